// The storage panel under the fleet: how much disk the history takes
// (of --max-disk, when set), how far back each resolution reaches, what a
// stored sample costs, and the tables it is made of. From /api/stats.

import { get } from './api.js';
import { bytes, duration, escapeHtml } from './format.js';

const REFRESH_MS = 60000;
const DAY_S = 86400;

// How far back `oldest` (ms) reaches, in words.
function reach(oldest, now) {
  if (oldest === null || oldest === undefined) return 'none yet';
  const secs = Math.max(0, (now - oldest) / 1000);
  return secs >= 2 * DAY_S ? `${(secs / DAY_S).toFixed(1)} days` : duration(secs);
}

function render(el, s) {
  const now = Date.now();
  const limit = s.limit_bytes;
  const share = limit ? Math.min(100, (100 * s.total_bytes) / limit) : null;
  const level = share === null ? 'ok' : share > 95 ? 'critical' : share > 85 ? 'warning' : 'ok';
  el.dataset.totalBytes = s.total_bytes;
  el.innerHTML = `
    <div class="storage-head">
      <h3>Storage</h3>
      <span data-field="used">${bytes(s.total_bytes)}${limit ? ` of ${bytes(limit)} (--max-disk)` : ' (no --max-disk limit)'}</span>
      <span data-field="per-sample">${s.bytes_per_sample ? `${bytes(s.bytes_per_sample)} per raw sample held, everything included` : ''}</span>
    </div>
    ${limit ? `<div class="bar storage-bar"><i class="${level}" data-bar="storage" style="width:${share.toFixed(1)}%"></i></div>` : ''}
    <dl class="storage-reach">
      <div><dt>raw (every sample)</dt><dd data-field="raw">${reach(s.oldest_raw_ms, now)}</dd></div>
      <div><dt>1-minute</dt><dd data-field="minute">${reach(s.oldest_minute_ms, now)}</dd></div>
      <div><dt>1-hour</dt><dd data-field="hour">${reach(s.oldest_hour_ms, now)}</dd></div>
      <div><dt>raw samples</dt><dd data-field="samples">${Number(s.raw_samples).toLocaleString()}</dd></div>
    </dl>
    <details><summary>Tables</summary>
      <table class="storage-tables">${s.tables.map((t) =>
        `<tr><td>${escapeHtml(t.table)}</td><td>${bytes(t.bytes)}</td></tr>`).join('')}</table>
    </details>`;
  el.hidden = false;
}

// Shows the panel in `el` and keeps it current; stays hidden where the
// hub has not measured yet or there is no REST API (a public relay).
export function startStoragePanel(el) {
  const refresh = async () => {
    try {
      const stats = await get('/api/stats');
      if (stats.storage) render(el, stats.storage);
    } catch { /* shown again at the next refresh */ }
  };
  refresh();
  setInterval(refresh, REFRESH_MS);
}
