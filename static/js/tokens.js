// The agent tokens page: every token this hub issued (Add machine issues
// them), what it may report, when it expires, and Revoke. Secrets are
// never listed: the hub keeps only their hashes.

import { adminGet, change } from './api.js';
import { ago, escapeHtml } from './format.js';

function when(ms) {
  return ms == null ? 'never' : new Date(ms).toLocaleString();
}

function row(t) {
  const labels = Object.entries(t.labels || {}).map(([k, v]) => `${k}=${v}`).join(' ');
  const revoke = t.state === 'revoked' ? '' : '<button class="danger" data-action="revoke">Revoke</button>';
  return `<tr data-token-id="${escapeHtml(t.id)}" class="state-${t.state}">
    <td><code>${escapeHtml(t.id)}</code></td><td><code>${escapeHtml(t.machine_glob)}</code></td>
    <td>${escapeHtml(t.description)}${labels ? ` <span class="hint">${escapeHtml(labels)}</span>` : ''}</td>
    <td title="${escapeHtml(when(t.created_at))}">${ago(t.created_at)}</td>
    <td>${t.state === 'revoked' ? `revoked ${ago(t.revoked_at)}` : escapeHtml(when(t.expires_at))}</td>
    <td data-field="state">${t.state}</td><td>${revoke}</td></tr>`;
}

export async function renderTokensPage(root) {
  root.innerHTML = '<div class="page tokens"><h2>Agent tokens</h2><p data-field="status">loading…</p></div>';
  let tokens;
  try {
    tokens = await adminGet('/api/agent-tokens');
  } catch (e) {
    root.querySelector('[data-field=status]').textContent = `cannot load agent tokens: ${e.message}`;
    return;
  }
  const page = root.querySelector('.page');
  page.innerHTML = `<h2>Agent tokens</h2>
    <p class="hint">Agents present one of these to report the machine ids its glob matches. <b>Add machine</b> issues one; revoking ends its agents' streams at once and refuses them from then on. Tokens given with <code>--agent-token</code> are not listed.</p>
    ${tokens.length === 0 ? '<p class="empty">No token issued yet.</p>' : `<table><thead><tr><th>Id</th><th>Machines</th><th>Description</th><th>Created</th><th>Expires</th><th>State</th><th></th></tr></thead>
    <tbody>${tokens.map(row).join('')}</tbody></table>`}`;
  page.querySelectorAll('[data-action=revoke]').forEach((button) => {
    const id = button.closest('tr').dataset.tokenId;
    const token = tokens.find((t) => t.id === id);
    button.addEventListener('click', async () => {
      if (!window.confirm(`Revoke token ${id} (machines ${token.machine_glob})? Its agents are disconnected and refused.`)) return;
      try { await change('DELETE', `/api/agent-tokens/${encodeURIComponent(id)}`); } catch (e) { window.alert(e.message); }
      renderTokensPage(root);
    });
  });
}
