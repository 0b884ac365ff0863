// A machine's settings panel on its detail page: what the hub sets on it
// (display name, labels that win over the agent's, sampling interval) and
// removing it. Changes need the admin token; refusals show beside the
// field they name.

import { change, ApiError } from './api.js';
import { escapeHtml, labelText, labelObject } from './format.js';

export class SettingsPanel {
  constructor(root, id) {
    this.root = root;
    this.id = id;
    this.filled = false;
    root.innerHTML = `<h3>Settings</h3>
      <form class="settings-form" data-settings-form>
        <label for="display_name">Display name</label><input name="display_name" placeholder="${escapeHtml(id)}">
        <span class="field-error" data-error-for="display_name"></span>
        <label for="labels">Labels</label><input name="labels" placeholder="env=prod, role=web">
        <span class="field-error" data-error-for="labels"></span>
        <label for="interval">Sampling interval</label><input name="interval" placeholder="the agent's own (e.g. 1s)">
        <span class="field-error" data-error-for="interval"></span>
        <div class="meta" data-field="agent-labels"></div>
        <div class="form-status" data-field="settings-status"></div>
        <div><button class="primary" type="submit">Save</button>
          <button class="danger" type="button" data-action="remove">Remove machine…</button></div>
      </form>`;
    this.form = root.querySelector('form');
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.save(); });
    this.form.querySelector('[data-action=remove]').addEventListener('click', () => this.remove());
  }

  // The machine's detail (GET /api/machines/{id}); fills the form once, so
  // that later refreshes do not overwrite what is being typed.
  show(machine) {
    this.machine = machine;
    const agent = labelText(machine.host?.labels);
    this.root.querySelector('[data-field=agent-labels]').textContent = agent ? `The agent's own labels: ${agent}` : '';
    if (this.filled) return;
    const s = machine.settings || {};
    this.form.elements.display_name.value = s.display_name || '';
    this.form.elements.labels.value = labelText(s.labels);
    this.form.elements.interval.value = s.interval || '';
    this.hubLabels = s.labels || {};
    this.filled = true;
  }

  status(text) { this.root.querySelector('[data-field=settings-status]').textContent = text; }

  async save() {
    this.form.querySelectorAll('[data-error-for]').forEach((el) => { el.textContent = ''; });
    const f = this.form.elements;
    const wanted = labelObject(f.labels.value);
    // A merge patch: labels no longer in the box are removed (null).
    const labels = { ...Object.fromEntries(Object.keys(this.hubLabels || {}).map((k) => [k, null])), ...wanted };
    const body = { display_name: f.display_name.value.trim() || null, labels, interval: f.interval.value.trim() || null };
    try {
      await change('PATCH', `/api/machines/${encodeURIComponent(this.id)}`, body);
      this.hubLabels = wanted;
      this.status('Saved.');
    } catch (e) {
      const slot = e instanceof ApiError && e.field && this.form.querySelector(`[data-error-for="${e.field.split('.')[0]}"]`);
      if (slot) slot.textContent = e.message;
      else this.status(e.message);
    }
  }

  async remove() {
    const name = this.machine?.display_name || this.id;
    if (!window.confirm(`Remove ${name} from the hub? Its alerts resolve. An agent that keeps running adds it again.`)) return;
    const purge = window.confirm('Also delete its history (samples and rollups)? Cancel keeps the history.');
    const url = (force) => `/api/machines/${encodeURIComponent(this.id)}?${force ? 'force=true&' : ''}${purge ? 'purge=history' : ''}`;
    try {
      try {
        await change('DELETE', url(false));
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 409 || e.field !== 'force') throw e;
        if (!window.confirm(`${e.message}\n\nEnd its agent's stream and remove it anyway?`)) return;
        await change('DELETE', url(true));
      }
      location.hash = '#/';
    } catch (e) {
      this.status(e.message);
    }
  }
}
