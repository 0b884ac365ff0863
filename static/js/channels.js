// The channels page: where alerts are sent (email, Slack, Discord,
// Telegram, ntfy, Gotify, PagerDuty, signed webhooks). Each row says where
// it goes and which rules use it, with Send test, Edit and Delete. The form
// of each kind comes from the hub (GET /api/meta); secrets are never shown
// back: a secret field left empty keeps what the hub has.

import { adminGet, change, get, ApiError } from './api.js';
import { escapeHtml } from './format.js';
import { meta } from './meta.js';

const FORMS = new Map(meta.channel_kinds.map((k) => [k.kind, k]));

// Where a channel sends, in a few words (never a secret).
function where(c) {
  const host = (url) => { try { return new URL(url).host; } catch { return url || ''; } };
  switch (c.kind) {
    case 'email': return `${(c.to || []).join(', ')} via ${c.smtp_host}:${c.smtp_port} (${c.tls})`;
    case 'telegram': return `chat ${c.chat_id}`;
    case 'ntfy': return c.url;
    case 'gotify': return host(c.url);
    case 'pagerduty': return host(c.url);
    case 'webhook': return `${c.url}${c.secret_set ? ' (signed)' : ' (unsigned)'}`;
    default: return c.url_set ? 'incoming webhook set' : '';
  }
}

function input(field, channel) {
  const name = field.name;
  const value = channel ? channel[name] : undefined;
  const required = field.required ? 'required' : '';
  switch (field.kind) {
    case 'secret': {
      const set = channel && channel[`${name}_set`];
      const hint = set ? 'set — leave empty to keep it' : (field.required ? '' : 'optional');
      return `<input type="password" name="${name}" autocomplete="new-password" placeholder="${escapeHtml(hint)}" ${set ? '' : required}>`;
    }
    case 'choice':
      return `<select name="${name}">${field.options.map((o) => `<option ${o === value ? 'selected' : ''}>${escapeHtml(o)}</option>`).join('')}</select>`;
    case 'lines':
      return `<textarea name="${name}" ${required}>${escapeHtml((value || []).join('\n'))}</textarea>`;
    case 'multiline':
      return `<textarea name="${name}" class="pem">${escapeHtml(value || '')}</textarea>`;
    case 'number':
      return `<input type="text" inputmode="numeric" name="${name}" value="${escapeHtml(value ?? '')}" ${required}>`;
    default:
      return `<input type="text" name="${name}" value="${escapeHtml(value ?? '')}" ${required}>`;
  }
}

// The form's values as the API takes them; empty secrets are left out.
function collect(form, kind) {
  const body = { name: form.elements.name.value.trim(), kind };
  for (const field of FORMS.get(kind).fields) {
    const el = form.elements[field.name];
    const text = el.value.trim();
    if (field.kind === 'lines') body[field.name] = text.split('\n').map((s) => s.trim()).filter(Boolean);
    else if (field.kind === 'secret') { if (text) body[field.name] = text; }
    else if (field.kind === 'number') { if (text) body[field.name] = Number.isFinite(Number(text)) ? Number(text) : text; }
    else if (text) body[field.name] = text;
  }
  return body;
}

export class ChannelsPage {
  constructor(root) {
    this.root = root;
    this.render();
  }

  async render() {
    this.root.innerHTML = '<div class="page channels"><h2>Notification channels</h2><p data-field="status">loading…</p></div>';
    let rules = [];
    try {
      [this.channels, rules] = await Promise.all([adminGet('/api/channels'), get('/api/rules')]);
    } catch (e) {
      this.root.querySelector('[data-field=status]').textContent = `cannot load channels: ${e.message}`;
      return;
    }
    const users = (id) => rules.filter((r) => (r.channels || []).includes(id)).map((r) => r.name);
    const page = this.root.querySelector('.page');
    page.innerHTML = `<h2>Notification channels</h2>
      <p class="hint">Rules name the channels they notify (Rules → Notify). <b>Send test</b> sends a test message now and says how it went.</p>
      <div class="toolbar"><button class="primary" data-action="new">New channel</button></div>
      <div data-field="editor"></div>
      ${this.channels.length === 0 ? '<p class="empty">No channel yet.</p>' : `<table><thead><tr><th>Name</th><th>Kind</th><th>Sends to</th><th>Used by</th><th></th><th></th></tr></thead>
      <tbody>${this.channels.map((c) => `<tr data-channel-id="${escapeHtml(c.id)}"><td>${escapeHtml(c.name)}</td>
        <td>${escapeHtml(FORMS.get(c.kind)?.label || c.kind)}</td><td class="where">${escapeHtml(where(c))}</td>
        <td>${escapeHtml(users(c.id).join(', ')) || '<span class="muted">no rule</span>'}</td>
        <td><button data-action="test">Send test</button> <span class="test-outcome" data-field="outcome"></span></td>
        <td><button data-action="edit">Edit</button> <button class="danger" data-action="delete">Delete</button></td></tr>`).join('')}</tbody></table>`}`;
    page.querySelector('[data-action=new]').addEventListener('click', () => this.edit(null));
    page.querySelectorAll('tr[data-channel-id]').forEach((row) => {
      const channel = this.channels.find((c) => c.id === row.dataset.channelId);
      row.querySelector('[data-action=test]').addEventListener('click', () => this.test(channel, row));
      row.querySelector('[data-action=edit]').addEventListener('click', () => this.edit(channel));
      row.querySelector('[data-action=delete]').addEventListener('click', () => this.remove(channel));
    });
  }

  edit(channel) {
    const editor = this.root.querySelector('[data-field=editor]');
    let kind = channel ? channel.kind : 'email';
    const draw = () => {
      const form = FORMS.get(kind);
      editor.innerHTML = `<form class="rule-form channel-form" data-channel-form>
        <label for="name">Name</label><input type="text" name="name" required value="${escapeHtml(channel?.name || '')}"><span class="field-error" data-error-for="name"></span>
        <label for="kind">Kind</label><select name="kind" ${channel ? 'disabled' : ''}>${meta.channel_kinds.map((k) => `<option value="${k.kind}" ${k.kind === kind ? 'selected' : ''}>${escapeHtml(k.label)}</option>`).join('')}</select><span class="field-error" data-error-for="kind"></span>
        ${form.fields.map((f) => `<label for="${f.name}">${escapeHtml(f.label)}</label>${input(f, channel)}<span class="field-error" data-error-for="${f.name}"></span>`).join('')}
        <div class="form-status" data-field="form-status"></div>
        <div><button class="primary" type="submit">${channel ? 'Save' : 'Create'}</button> <button type="button" data-action="cancel">Cancel</button></div></form>`;
      const el = editor.querySelector('form');
      el.elements.kind.addEventListener('change', (e) => { kind = e.target.value; draw(); });
      el.querySelector('[data-action=cancel]').addEventListener('click', () => { editor.innerHTML = ''; });
      el.addEventListener('submit', (event) => { event.preventDefault(); this.save(el, kind, channel); });
    };
    draw();
  }

  async save(form, kind, channel) {
    form.querySelectorAll('[data-error-for]').forEach((el) => { el.textContent = ''; });
    form.querySelector('[data-field=form-status]').textContent = '';
    const body = collect(form, kind);
    try {
      if (channel) await change('PATCH', `/api/channels/${encodeURIComponent(channel.id)}`, { ...body, version: channel.version });
      else await change('POST', '/api/channels', body);
      this.render();
    } catch (e) {
      const slot = e instanceof ApiError && e.field && form.querySelector(`[data-error-for="${e.field}"]`);
      if (slot) slot.textContent = e.message;
      else form.querySelector('[data-field=form-status]').textContent = e.message;
    }
  }

  async test(channel, row) {
    const outcome = row.querySelector('[data-field=outcome]');
    const button = row.querySelector('[data-action=test]');
    button.disabled = true;
    outcome.className = 'test-outcome';
    outcome.textContent = 'sending…';
    try {
      const result = await change('POST', `/api/channels/${encodeURIComponent(channel.id)}/test`);
      outcome.className = `test-outcome ${result.ok ? 'ok' : 'failed'}`;
      outcome.textContent = result.ok ? `✓ sent in ${result.took_ms} ms` : `✗ ${result.error}`;
    } catch (e) {
      outcome.className = 'test-outcome failed';
      outcome.textContent = `✗ ${e.message}`;
    }
    button.disabled = false;
  }

  async remove(channel) {
    if (!window.confirm(`Delete the channel “${channel.name}”?`)) return;
    try { await change('DELETE', `/api/channels/${encodeURIComponent(channel.id)}`); } catch (e) { window.alert(e.message); }
    this.render();
  }
}
