// The audit log page: every change made with the admin token, newest
// first — who (the admin token's fingerprint), from where, what and to
// which rule, token or machine — filtered by action or target, paged with
// "Older".

import { adminGet } from './api.js';
import { ago, escapeHtml } from './format.js';

const PAGE_SIZE = 100;
const ACTIONS = ['rule.create', 'rule.update', 'rule.delete', 'channel.create', 'channel.update', 'channel.delete', 'channel.test', 'silence.create', 'silence.expire', 'alert.ack', 'agent_token.issue', 'agent_token.revoke', 'machine.update', 'machine.remove'];

function row(e) {
  const detail = JSON.stringify(e.detail);
  return `<tr data-audit-id="${e.id}" data-action="${escapeHtml(e.action)}">
    <td title="${escapeHtml(new Date(e.at).toLocaleString())}">${ago(e.at)}</td>
    <td><code>${escapeHtml(e.actor)}</code></td><td>${escapeHtml(e.address || '')}</td>
    <td>${escapeHtml(e.action)}</td><td><code>${escapeHtml(e.target)}</code></td>
    <td class="detail" title="${escapeHtml(detail)}"><code>${escapeHtml(detail)}</code></td></tr>`;
}

export async function renderAuditPage(root) {
  root.innerHTML = `<div class="page audit"><h2>Audit log</h2>
    <p class="hint">Every change made with the admin token: rules, channels (and their tests), agent tokens, machines and their labels.</p>
    <div class="toolbar">
      <select data-field="action" aria-label="Only this action"><option value="">Every action</option>${ACTIONS.map((a) => `<option>${a}</option>`).join('')}</select>
      <input data-field="target" placeholder="rule, token or machine id" aria-label="Only changes to this id">
    </div>
    <p data-field="status">loading…</p>
    <table hidden><thead><tr><th>When</th><th>Who</th><th>From</th><th>Action</th><th>Target</th><th>Change</th></tr></thead><tbody></tbody></table>
    <button data-action="older" hidden>Older</button></div>`;
  const field = (name) => root.querySelector(`[data-field=${name}]`);
  const body = root.querySelector('tbody');
  let oldest = null;
  const load = async (more) => {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (field('action').value) params.set('action', field('action').value);
    if (field('target').value.trim()) params.set('target', field('target').value.trim());
    if (more && oldest !== null) params.set('before', String(oldest));
    let entries;
    try {
      entries = await adminGet(`/api/audit?${params}`);
    } catch (e) {
      field('status').textContent = `cannot load the audit log: ${e.message}`;
      return;
    }
    if (!more) body.innerHTML = '';
    body.insertAdjacentHTML('beforeend', entries.map(row).join(''));
    if (entries.length) oldest = entries[entries.length - 1].id;
    const shown = body.children.length;
    field('status').textContent = shown ? `${shown} change${shown === 1 ? '' : 's'}` : 'No change recorded yet.';
    root.querySelector('table').hidden = shown === 0;
    root.querySelector('[data-action=older]').hidden = entries.length < PAGE_SIZE;
  };
  field('action').addEventListener('change', () => load(false));
  field('target').addEventListener('change', () => load(false));
  root.querySelector('[data-action=older]').addEventListener('click', () => load(true));
  await load(false);
}
