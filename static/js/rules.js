// The rules page: list, create, edit, enable/disable, delete. Validation
// messages from the API appear beside the field they name.

import { adminGet, change, get, ApiError } from './api.js';
import { escapeHtml, labelText, labelObject } from './format.js';
import { meta } from './meta.js';

// The form's fields as the hub describes them (GET /api/meta):
// [name, label, kind], kind a list of options for a choice.
const FIELDS = meta.rule_fields.map((f) => [f.name, f.label, f.kind === 'choice' ? f.options : f.kind]);
const SUGGESTIONS = new Map(meta.rule_fields.filter((f) => f.kind === 'suggest').map((f) => [f.name, f.options]));

// The hub's channels, loaded when the editor opens (listing them needs the admin token).
let channels = [];

function input([key, , kind], value) {
  const v = value ?? '';
  if (kind === 'channels') {
    if (!channels.length) return `<span class="muted" data-field="no-channels">No channel yet: make one on the <a href="#/channels">Channels</a> page.</span>`;
    const picked = new Set(value || []);
    return `<div class="channel-picks">${channels.map((c) => `<label><input type="checkbox" name="${key}" value="${escapeHtml(c.id)}" ${picked.has(c.id) ? 'checked' : ''}> ${escapeHtml(c.name)} <span class="muted">${escapeHtml(c.kind)}</span></label>`).join('')}</div>`;
  }
  if (Array.isArray(kind)) {
    return `<select name="${key}">${kind.map((o) => `<option ${o === v ? 'selected' : ''}>${escapeHtml(o)}</option>`).join('')}</select>`;
  }
  if (kind === 'checkbox') return `<input type="checkbox" name="${key}" ${value !== false ? 'checked' : ''}>`;
  if (kind === 'lines') return `<textarea name="${key}">${escapeHtml((value || []).join('\n'))}</textarea>`;
  if (kind === 'labels') return `<input type="text" name="${key}" placeholder="env=prod, role=web" value="${escapeHtml(labelText(value))}">`;
  if (kind === 'suggest') {
    return `<input type="text" name="${key}" list="suggest-${key}" value="${escapeHtml(v)}" autocomplete="off"><datalist id="suggest-${key}">${
      (SUGGESTIONS.get(key) || []).map((o) => `<option value="${escapeHtml(o)}">`).join('')}</datalist>`;
  }
  if (kind === 'words') return `<input type="text" name="${key}" placeholder="rack, env" value="${escapeHtml((value || []).join(', '))}">`;
  return `<input type="${kind === 'number' ? 'text' : 'text'}" name="${key}" value="${escapeHtml(v)}" ${kind === 'number' ? 'inputmode="decimal"' : ''}>`;
}

// The form's values as the API wants them (numbers as numbers where they parse).
function collect(form) {
  const body = {};
  for (const [key, , kind] of FIELDS) {
    const el = form.elements[key];
    if (kind === 'channels') {
      body[key] = [...form.querySelectorAll(`input[name="${key}"]:checked`)].map((box) => box.value);
      continue;
    }
    if (kind === 'checkbox') body[key] = el.checked;
    else if (kind === 'lines') body[key] = el.value.split('\n').map((s) => s.trim()).filter(Boolean);
    else if (kind === 'labels') body[key] = labelObject(el.value);
    else if (kind === 'words') body[key] = el.value.split(/[\s,]+/).filter(Boolean);
    else if (kind === 'number') {
      const text = el.value.trim();
      if (text !== '') body[key] = Number.isFinite(Number(text)) ? Number(text) : text;
    } else if (el.value.trim() !== '') body[key] = el.value.trim();
  }
  if (body.metric === 'offline') { delete body.comparison; delete body.threshold; delete body.clear_threshold; }
  if (body.kind === 'predict') { delete body.comparison; delete body.clear_threshold; }
  return body;
}

export class RulesPage {
  constructor(root) {
    this.root = root;
    this.render();
  }

  async render(editing = null) {
    let rules = [];
    try { rules = await get('/api/rules'); } catch (e) { this.root.textContent = `cannot load rules: ${e.message}`; return; }
    this.rules = rules;
    this.root.innerHTML = `<div class="page"><h2>Alert rules</h2>
      <div class="toolbar"><button class="primary" data-action="new">New rule</button></div>
      <div data-field="editor"></div>
      <table><thead><tr><th>Name</th><th>Condition</th><th>For</th><th>Severity</th><th>Machines</th><th>Notifies</th><th>Enabled</th><th></th></tr></thead>
      <tbody>${rules.map((r) => `<tr data-rule-id="${escapeHtml(r.id)}"><td>${escapeHtml(r.name)}</td>
        <td>${escapeHtml(r.metric)} ${r.comparison ? `${escapeHtml(r.comparison)} ${r.threshold}` : ''}${r.clear_threshold != null ? ` (clears at ${r.clear_threshold})` : ''}</td>
        <td>${escapeHtml(r.for)}</td><td><span class="badge ${r.severity}">${r.severity}</span></td><td>${escapeHtml(r.selector)}${Object.keys(r.labels || {}).length ? ` <span class="muted">with ${escapeHtml(labelText(r.labels))}</span>` : ''}</td>
        <td>${(r.channels || []).length + (r.webhooks || []).length || '<span class="muted">no one</span>'}</td>
        <td><input type="checkbox" data-action="toggle" ${r.enabled ? 'checked' : ''}></td>
        <td><button data-action="edit">Edit</button> <button class="danger" data-action="delete">Delete</button></td></tr>`).join('')}</tbody></table></div>`;
    this.root.querySelector('[data-action=new]').addEventListener('click', () => this.edit(null));
    this.root.querySelectorAll('tr[data-rule-id]').forEach((row) => {
      const rule = rules.find((r) => r.id === row.dataset.ruleId);
      row.querySelector('[data-action=edit]').addEventListener('click', () => this.edit(rule));
      row.querySelector('[data-action=delete]').addEventListener('click', () => this.remove(rule));
      row.querySelector('[data-action=toggle]').addEventListener('change', (e) => this.toggle(rule, e.target));
    });
    if (editing !== null) this.edit(editing);
  }

  async edit(rule) {
    const editor = this.root.querySelector('[data-field=editor]');
    try { channels = await adminGet('/api/channels'); } catch { channels = []; }
    const defaults = { metric: 'cpu_percent', kind: 'threshold', comparison: '>', severity: 'warning', selector: '*', for: '0s', clear_for: '0s', group_wait: '30s', enabled: true };
    const values = rule || defaults;
    editor.innerHTML = `<form class="rule-form" data-rule-form>
      ${FIELDS.map((f) => `<label for="${f[0]}">${escapeHtml(f[1])}</label>${input(f, values[f[0]])}<span class="field-error" data-error-for="${f[0]}"></span>`).join('')}
      <div class="form-status" data-field="form-status"></div>
      <div><button class="primary" type="submit">${rule ? 'Save' : 'Create'}</button> <button type="button" data-action="cancel">Cancel</button></div></form>`;
    const form = editor.querySelector('form');
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      form.querySelectorAll('[data-error-for]').forEach((el) => { el.textContent = ''; });
      form.querySelector('[data-field=form-status]').textContent = '';
      const body = collect(form);
      try {
        if (rule) await change('PUT', `/api/rules/${encodeURIComponent(rule.id)}`, { ...body, version: rule.version });
        else await change('POST', '/api/rules', body);
        this.render();
      } catch (e) {
        // `labels.env` is shown beside the labels field.
        const slot = e instanceof ApiError && e.field && form.querySelector(`[data-error-for="${e.field.split('.')[0]}"]`);
        if (slot) slot.textContent = e.message;
        else form.querySelector('[data-field=form-status]').textContent = e.message;
      }
    });
    form.querySelector('[data-action=cancel]').addEventListener('click', () => { editor.innerHTML = ''; });
  }

  async toggle(rule, box) {
    try {
      await change('PATCH', `/api/rules/${encodeURIComponent(rule.id)}`, { enabled: box.checked, version: rule.version });
    } catch (e) {
      window.alert(e.message);
    }
    this.render();
  }

  async remove(rule) {
    if (!window.confirm(`Delete the rule “${rule.name}”? Its alerts resolve.`)) return;
    try { await change('DELETE', `/api/rules/${encodeURIComponent(rule.id)}`); } catch (e) { window.alert(e.message); }
    this.render();
  }
}
