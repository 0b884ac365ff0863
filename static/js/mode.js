// Where the dashboard runs: on a hub (everything), or on a public relay
// (read-only: live cards and charts; a relay has no REST detail, history,
// alerts or rules). A relay marks <body data-mode="relay"> and sends the
// last 5 minutes of chart points with its snapshot.

export const readOnly = document.body.dataset.mode === 'relay';

const snapshotRecent = new Map(); // machine_id -> [[ts, cpu, memory], ...]

// Keeps the chart points a relay's snapshot carried.
export function rememberRecent(recent) {
  snapshotRecent.clear();
  for (const [id, points] of Object.entries(recent || {})) snapshotRecent.set(id, points);
}

// The last 5 minutes of [ts, cpu %, memory %] of a machine, for its charts.
export async function recentPoints(id) {
  if (readOnly) return snapshotRecent.get(id) || [];
  const res = await fetch(`/api/machines/${encodeURIComponent(id)}/recent`);
  if (!res.ok) return [];
  return (await res.json()).points;
}
