// Number and time formatting shared by the views.

export function pct(v) {
  return `${(Number(v) || 0).toFixed(1)}%`;
}

export function bytes(n) {
  n = Number(n) || 0;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function rate(n) {
  return `${bytes(n)}/s`;
}

export function ago(ms) {
  if (!ms) return 'never';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function duration(secs) {
  secs = Number(secs) || 0;
  const d = Math.floor(secs / 86400), h = Math.floor((secs % 86400) / 3600), m = Math.floor((secs % 3600) / 60);
  return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m`;
}

export function escapeHtml(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

// A machine's labels as chips (`env=prod`), for cards and the detail view.
export function labelChips(labels) {
  return Object.entries(labels || {})
    .map(([k, v]) => `<span class="label-chip" data-label="${escapeHtml(k)}">${escapeHtml(k)}=${escapeHtml(v)}</span>`).join('');
}

// Whether `labels` meet a filter word: `key=value`, `key!=value` or a bare
// key (has the label), as GET /api/machines?label= reads them.
export function labelsMatch(labels, word) {
  const all = labels || {};
  const not = word.indexOf('!=');
  if (not > 0) return all[word.slice(0, not)] !== word.slice(not + 2);
  const eq = word.indexOf('=');
  if (eq > 0) return all[word.slice(0, eq)] === word.slice(eq + 1);
  return false;
}

// Worst first: critical, warning, ok, then offline (sorting cards and rows).
const HEALTH_RANK = { critical: 0, warning: 1, ok: 2 };
export function healthRank(s) {
  return s.status === 'offline' ? 3 : HEALTH_RANK[s.health] ?? 2;
}

// {env: 'prod', role: 'web'} as `env=prod, role=web`, and back (forms).
export function labelText(labels) {
  return Object.entries(labels || {}).map(([k, v]) => `${k}=${v}`).join(', ');
}

export function labelObject(text) {
  const labels = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = part.indexOf('=');
    if (at < 0) labels[part] = '';
    else labels[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return labels;
}
