// Small live charts (uPlot, vendored) of a machine's recent values.

export const WINDOW_SECS = 300;
const COLORS = ['#58a6ff', '#bc8cff', '#3fb950', '#d29922'];

// A ring of [ts_ms, ...values] points covering the last WINDOW_SECS.
export class Series {
  constructor(width) { this.points = []; this.width = width; }
  push(ts, ...values) {
    const last = this.points[this.points.length - 1];
    if (last && ts <= last[0]) return false;
    this.points.push([ts, ...values]);
    const horizon = ts - WINDOW_SECS * 1000;
    while (this.points.length && this.points[0][0] < horizon) this.points.shift();
    return true;
  }
  load(points) { this.points = []; for (const p of points) this.push(...p); }
  columns() {
    const cols = [this.points.map((p) => p[0] / 1000)];
    for (let i = 1; i <= this.width; i++) cols.push(this.points.map((p) => p[i]));
    return cols;
  }
}

// The x range of a chart from its first and last x (seconds): with
// `window`, the last `window` seconds up to the newest point (a live chart's
// axis spans its five minutes from the first point on); otherwise the data's
// own span, or a minute around a single point. Computed from the data, not
// from the range uPlot proposes: for one point on a time scale it proposes
// 86,400 / 1e-3 s after it, which drew a 2027-2029 axis.
export function xRange(min, max, window) {
  if (min == null || max == null) { const now = Date.now() / 1000; return [now - (window || 60), now]; }
  if (window) return [max - window, max];
  return max - min < 1 ? [min - 30, max + 30] : [min, max];
}

// A uPlot chart inside `el`; `labels` name the series; `scale` is 'percent',
// 'rate' or 'number'. `onSelect(fromMs, toMs)` turns drag-select into zoom;
// `windowSecs` fixes the x axis to the last `windowSecs` seconds.
export function makeChart(el, labels, { height = 80, scale = 'percent', legend = false, onSelect = null, sync = null, windowSecs = 0 } = {}) {
  const opts = {
    width: el.clientWidth || 280,
    height,
    legend: { show: legend },
    cursor: { show: legend, drag: { x: !!onSelect, y: false, setScale: false }, sync: sync ? { key: sync } : undefined },
    axes: [
      { stroke: '#8393a3', grid: { stroke: '#242d36' }, size: legend ? 40 : 0, show: legend },
      { stroke: '#8393a3', grid: { stroke: '#242d36' }, size: legend ? 60 : 36 },
    ],
    scales: { x: { time: true, range: (u) => xRange(u.data[0][0], u.data[0][u.data[0].length - 1], windowSecs) }, y: scale === 'percent' ? { range: [0, 100] } : { auto: true, range: (u, min, max) => [0, Math.max(max, 1)] } },
    // Points are drawn while there are too few for a line (a quiet machine's first seconds).
    series: [{}, ...labels.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 1.5, points: { show: (u) => u.data[0].length < 3 } }))],
    hooks: {
      // The x range shown, on the element (seconds), for tests and tools.
      setScale: [(u, key) => {
        if (key !== 'x') return;
        el.dataset.xFrom = Math.round(u.scales.x.min);
        el.dataset.xTo = Math.round(u.scales.x.max);
      }],
      ...(onSelect ? { setSelect: [(u) => {
        if (u.select.width < 5) return;
        const from = u.posToVal(u.select.left, 'x') * 1000;
        const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
        u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
        onSelect(Math.round(from), Math.round(to));
      }] } : {}),
    },
  };
  const chart = new uPlot(opts, [[], ...labels.map(() => [])], el);
  const resize = new ResizeObserver(() => chart.setSize({ width: el.clientWidth, height }));
  resize.observe(el);
  return {
    set(series) { chart.setData(series.columns()); },
    // Columns as uPlot wants them: [[ts_s...], [v...], ...].
    setColumns(columns) { chart.setData(columns); },
    destroy() { resize.disconnect(); chart.destroy(); },
  };
}
