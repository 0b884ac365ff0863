// What the dashboard must know of the server, asked once at start
// (GET /api/meta) instead of repeated here: the health limits that colour
// bars and, on a hub, the metrics rules may watch, the rule form's
// fields and the channel kinds with their forms. A server that does not
// answer leaves bars uncoloured and the forms empty, and says so on the
// console.

// What is missing stays empty: a relay tells only the health limits.
const NOTHING = { metrics: [], rule_fields: [], channel_kinds: [], health: null };

async function load() {
  try {
    const res = await fetch('/api/meta');
    if (res.ok) return { ...NOTHING, ...(await res.json()) };
    console.error(`GET /api/meta: ${res.status}`);
  } catch (e) {
    console.error('GET /api/meta failed', e);
  }
  return NOTHING;
}

export const meta = await load();

// The bar colour of `value` for summary field `field` (cpu_percent, …).
export function levelOf(field, value) {
  const limits = meta.health?.[field];
  if (!limits) return 'ok';
  return value > limits.critical ? 'critical' : value > limits.warning ? 'warning' : 'ok';
}
