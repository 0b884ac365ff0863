// The fleet as a table beside the cards: one row per machine, sortable by
// any column, virtualised (only the rows in view, plus a margin, are in the
// DOM), so 10,000 machines scroll smoothly. Rows can be selected for bulk
// label changes and removal, made over REST with the admin token a few at a
// time, with progress and a summary of what failed.

import { change, ApiError } from './api.js';
import { pct, rate, ago, escapeHtml, healthRank, labelChips, labelObject, labelText } from './format.js';
import { readOnly } from './mode.js';

const ROW_PX = 30;
const OVERSCAN_ROWS = 6;
/// How often rows are sorted again while updates stream in.
const RESORT_MS = 1000;
/// REST calls in flight at once during a bulk change.
const BULK_CONCURRENCY = 8;


// [key, heading, sort value, cell html]
const COLUMNS = [
  ['name', 'Machine', (s) => (s.display_name || s.machine_id).toLowerCase(),
    (s) => `${escapeHtml(s.display_name || s.machine_id)}${s.display_name ? ` <span class="muted">${escapeHtml(s.machine_id)}</span>` : ''}`],
  ['health', 'Health', healthRank, (s) => { const b = s.status === 'offline' ? 'offline' : s.health; return `<span class="badge ${b}">${b}</span>`; }],
  ['cpu', 'CPU', (s) => s.cpu_percent, (s) => pct(s.cpu_percent)],
  ['memory', 'Memory', (s) => s.memory_percent, (s) => pct(s.memory_percent)],
  ['disk', 'Disk', (s) => s.disk_percent, (s) => pct(s.disk_percent)],
  ['load', 'Load', (s) => s.load1, (s) => (+s.load1).toFixed(2)],
  ['rx', 'Net ↓', (s) => s.net_rx_bps, (s) => rate(s.net_rx_bps)],
  ['tx', 'Net ↑', (s) => s.net_tx_bps, (s) => rate(s.net_tx_bps)],
  ['labels', 'Labels', (s) => labelText(s.labels), (s) => labelChips(s.labels)],
  ['seen', 'Seen', (s) => -s.last_seen, (s) => ago(s.last_seen)],
];
const NUMERIC = new Set(['cpu', 'memory', 'disk', 'load', 'rx', 'tx']);

export class FleetTable {
  // `fleet`: machine_id -> summary (the app's); `matches(summary)`: the filter.
  constructor(root, { fleet, matches, onOpen }) {
    this.root = root;
    this.fleet = fleet;
    this.matches = matches;
    this.onOpen = onOpen;
    this.sort = { key: 'health', down: false };
    this.selected = new Set();
    this.rows = [];
    this.sortedAt = 0;
    this.frame = 0;
    root.innerHTML = `
      <div class="bulk" data-field="bulk" hidden>
        <b data-field="selected-count">0</b> selected
        <input data-field="add-label" placeholder="env=prod, team=web" aria-label="Labels to set on the selected machines">
        <button data-action="add-label">Set labels</button>
        <input data-field="drop-label" placeholder="team" aria-label="Label keys to remove from the selected machines">
        <button data-action="drop-label">Remove labels</button>
        <button class="danger" data-action="remove">Remove machines…</button>
        <button data-action="clear">Clear selection</button>
        <span class="bulk-status" data-field="bulk-status"></span>
      </div>
      <div class="table-scroll" data-field="scroll">
        <table class="fleet-table">
          <thead><tr><th class="pick"><input type="checkbox" data-action="select-all" aria-label="Select every machine shown"></th>
            ${COLUMNS.map(([key, head]) => `<th data-sort="${key}" class="${NUMERIC.has(key) ? 'num' : ''}">${head}<i></i></th>`).join('')}</tr></thead>
          <tbody></tbody>
        </table>
      </div>`;
    // A public relay changes nothing: no selection, no bulk actions.
    root.classList.toggle('read-only', readOnly);
    this.scroll = root.querySelector('[data-field=scroll]');
    this.body = root.querySelector('tbody');
    // Rows in the DOM by machine id, between two spacer rows that stand for the rest.
    this.drawn = new Map();
    const pad = () => {
      const tr = document.createElement('tr');
      tr.className = 'pad';
      tr.innerHTML = `<td colspan="${COLUMNS.length + 1}"></td>`;
      return tr;
    };
    this.topPad = pad();
    this.bottomPad = pad();
    this.body.append(this.topPad, this.bottomPad);
    this.scroll.addEventListener('scroll', () => this.schedule(false));
    root.querySelector('thead').addEventListener('click', (e) => {
      const th = e.target.closest('th[data-sort]');
      if (!th) return;
      const key = th.dataset.sort;
      this.sort = { key, down: this.sort.key === key ? !this.sort.down : NUMERIC.has(key) };
      this.schedule(true);
    });
    root.querySelector('[data-action=select-all]').addEventListener('change', (e) => {
      for (const id of this.rows) if (e.target.checked) this.selected.add(id); else this.selected.delete(id);
      this.schedule(false);
    });
    this.body.addEventListener('click', (e) => {
      const row = e.target.closest('tr[data-machine-id]');
      if (!row) return;
      const id = row.dataset.machineId;
      if (e.target.matches('input[type=checkbox]')) {
        if (e.target.checked) this.selected.add(id); else this.selected.delete(id);
        this.showBulk();
      } else {
        this.onOpen(id);
      }
    });
    const on = (action, run) => root.querySelector(`[data-action=${action}]`).addEventListener('click', run);
    on('add-label', () => this.setLabels());
    on('drop-label', () => this.dropLabels());
    on('remove', () => this.removeSelected());
    on('clear', () => { this.selected.clear(); this.schedule(false); });
  }

  // Something changed: rows are re-filtered (and re-sorted when `resort`,
  // or at most every RESORT_MS), then the rows in view drawn, once a frame.
  schedule(resort) {
    if (resort) this.sortedAt = 0;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.draw(); });
  }

  changed() { this.schedule(Date.now() - this.sortedAt > RESORT_MS); }

  refilter() { this.schedule(true); }

  forget(id) { this.selected.delete(id); this.schedule(true); }

  order() {
    const column = COLUMNS.find(([key]) => key === this.sort.key);
    const value = column[2];
    const sign = this.sort.down ? -1 : 1;
    const shown = [...this.fleet.values()].filter(this.matches);
    shown.sort((a, b) => {
      const x = value(a), y = value(b);
      return sign * (x < y ? -1 : x > y ? 1 : 0) || a.machine_id.localeCompare(b.machine_id);
    });
    this.rows = shown.map((s) => s.machine_id);
    this.sortedAt = Date.now();
    for (const th of this.root.querySelectorAll('th[data-sort]')) {
      th.dataset.active = th.dataset.sort === this.sort.key ? (this.sort.down ? 'down' : 'up') : '';
    }
  }

  // Draws the rows in view (plus a margin): rows already in the DOM are
  // kept, and rewritten only when their machine's summary changed, so a
  // scroll builds just the rows that came into view.
  draw() {
    if (!this.sortedAt) this.order();
    else this.rows = this.rows.filter((id) => this.fleet.has(id));
    const total = this.rows.length;
    const top = this.scroll.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW_PX) - OVERSCAN_ROWS);
    const last = Math.min(total, Math.ceil((top + this.scroll.clientHeight) / ROW_PX) + OVERSCAN_ROWS);
    const wanted = this.rows.slice(first, last);
    const keep = new Set(wanted);
    for (const [id, tr] of this.drawn) if (!keep.has(id)) { tr.remove(); this.drawn.delete(id); }
    let at = this.topPad;
    for (const id of wanted) {
      const s = this.fleet.get(id);
      let tr = this.drawn.get(id);
      if (!tr) {
        tr = document.createElement('tr');
        tr.dataset.machineId = id;
        this.drawn.set(id, tr);
      }
      const picked = this.selected.has(id);
      if (tr.summary !== s || tr.picked !== picked) {
        tr.summary = s;
        tr.picked = picked;
        tr.className = s.status === 'offline' ? 'offline' : '';
        tr.innerHTML = `<td class="pick"><input type="checkbox" ${picked ? 'checked' : ''} aria-label="Select ${escapeHtml(id)}"></td>${COLUMNS.map(([key, , , html]) => `<td class="${NUMERIC.has(key) ? 'num' : ''}" data-col="${key}">${html(s)}</td>`).join('')}`;
      }
      if (at.nextSibling !== tr) at.after(tr);
      at = tr;
    }
    if (at.nextSibling !== this.bottomPad) at.after(this.bottomPad);
    this.topPad.style.height = `${first * ROW_PX}px`;
    this.bottomPad.style.height = `${(total - last) * ROW_PX}px`;
    this.root.dataset.rows = total;
    this.root.dataset.first = first;
    this.showBulk();
  }

  showBulk() {
    for (const id of this.selected) if (!this.fleet.has(id)) this.selected.delete(id);
    this.root.querySelector('[data-field=bulk]').hidden = readOnly || this.selected.size === 0;
    this.root.querySelector('[data-field=selected-count]').textContent = this.selected.size;
    const all = this.root.querySelector('[data-action=select-all]');
    all.checked = this.rows.length > 0 && this.rows.every((id) => this.selected.has(id));
  }

  status(text) { this.root.querySelector('[data-field=bulk-status]').textContent = text; }

  // Runs `call(id)` for every selected machine, a few at a time; reports
  // progress and what failed (the first error's words).
  async each(verb, call) {
    const ids = [...this.selected];
    let done = 0, failed = 0, firstError = '';
    const failures = [];
    const next = async () => {
      while (ids.length) {
        const id = ids.shift();
        try { await call(id); } catch (e) { failed++; failures.push([id, e]); firstError ||= `${id}: ${e.message}`; }
        done++;
        this.status(`${verb}… ${done}/${done + ids.length}`);
      }
    };
    await Promise.all(Array.from({ length: BULK_CONCURRENCY }, next));
    this.status(failed ? `${verb}: ${done - failed} done, ${failed} failed (${firstError})` : `${verb}: ${done} done`);
    return failures;
  }

  patchAll(verb, labels) {
    return this.each(verb, (id) => change('PATCH', `/api/machines/${encodeURIComponent(id)}`, { labels }));
  }

  async setLabels() {
    const labels = labelObject(this.root.querySelector('[data-field=add-label]').value);
    if (!Object.keys(labels).length) { this.status('Type labels to set, like env=prod.'); return; }
    await this.patchAll('Labelling', labels);
  }

  async dropLabels() {
    const keys = this.root.querySelector('[data-field=drop-label]').value.split(/[\s,]+/).filter(Boolean);
    if (!keys.length) { this.status('Type the label keys to remove.'); return; }
    await this.patchAll('Removing labels', Object.fromEntries(keys.map((k) => [k, null])));
  }

  async removeSelected() {
    const n = this.selected.size;
    if (!window.confirm(`Remove ${n} machine${n === 1 ? '' : 's'} from the hub? Their history is kept; their alerts resolve.`)) return;
    const url = (id, force) => `/api/machines/${encodeURIComponent(id)}${force ? '?force=true' : ''}`;
    const failures = await this.each('Removing', (id) => change('DELETE', url(id, false)));
    const online = failures.filter(([, e]) => e instanceof ApiError && e.status === 409 && e.field === 'force').map(([id]) => id);
    if (!online.length) return;
    if (!window.confirm(`${online.length} of them are online. End their agents' streams and remove them anyway? (An agent that keeps running adds its machine again.)`)) return;
    this.selected = new Set(online);
    await this.each('Removing online machines', (id) => change('DELETE', url(id, true)));
  }
}
