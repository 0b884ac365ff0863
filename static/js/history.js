// History charts of one machine, from /api/machines/{id}/history: range
// buttons, drag-to-zoom, and (for ranges ending now) the live tail appended
// as samples arrive.

import { makeChart } from './charts.js';
import { escapeHtml } from './format.js';

const RANGES = [['15m', 15 * 60e3], ['1h', 3600e3], ['6h', 6 * 3600e3], ['24h', 24 * 3600e3], ['7d', 7 * 86400e3], ['30d', 30 * 86400e3]];
const CHARTS = [
  { title: 'CPU %', metrics: ['cpu_percent'], scale: 'percent' },
  { title: 'Memory %', metrics: ['memory_percent', 'swap_percent'], scale: 'percent' },
  { title: 'Disk % (fullest)', metrics: ['disk_percent'], scale: 'percent' },
  { title: 'Load', metrics: ['load1', 'load5', 'load15'], scale: 'number' },
  { title: 'Network B/s', metrics: ['net_rx_bps', 'net_tx_bps'], scale: 'rate' },
  { title: 'Disk IO B/s', metrics: ['disk_read_bps', 'disk_write_bps'], scale: 'rate' },
];
const ALL = CHARTS.flatMap((c) => c.metrics);

export class HistoryPanel {
  constructor(root, id) {
    this.root = root;
    this.id = id;
    this.columns = null; // [[ts_s], [metric values] in ALL order]
    this.live = true; // the range ends now: append live samples
    root.innerHTML = `
      <div class="history-head"><h3>History</h3>
        <div class="ranges">${RANGES.map(([label]) => `<button data-range="${label}">${label}</button>`).join('')}</div>
        <span class="history-status" data-field="history-status"></span></div>
      <div class="history-grid">${CHARTS.map((c, i) => `
        <div class="history-chart"><h4>${escapeHtml(c.title)}</h4><div data-history-chart="${i}"></div></div>`).join('')}</div>`;
    this.charts = CHARTS.map((c, i) => makeChart(root.querySelector(`[data-history-chart="${i}"]`),
      c.metrics, { height: 160, scale: c.scale, legend: true, sync: 'history', onSelect: (from, to) => this.zoom(from, to) }));
    root.querySelectorAll('[data-range]').forEach((b) => b.addEventListener('click', () => this.range(b.dataset.range)));
    this.range('1h');
  }

  range(label) {
    const [, ms] = RANGES.find(([l]) => l === label);
    this.root.querySelectorAll('[data-range]').forEach((b) => b.classList.toggle('active', b.dataset.range === label));
    this.live = true;
    const to = Date.now();
    this.load(to - ms, to);
  }

  zoom(from, to) {
    this.root.querySelectorAll('[data-range]').forEach((b) => b.classList.remove('active'));
    this.live = false;
    this.load(from, to);
  }

  async load(from, to) {
    const status = this.root.querySelector('[data-field=history-status]');
    status.textContent = 'loading…';
    const url = `/api/machines/${encodeURIComponent(this.id)}/history?metrics=${ALL.join(',')}&from=${Math.round(from)}&to=${Math.round(to)}&step=auto`;
    let body;
    try {
      const res = await fetch(url);
      body = await res.json();
      if (!res.ok) throw new Error(body.error || res.statusText);
    } catch (e) {
      status.textContent = `history unavailable: ${e.message}`;
      return;
    }
    if (this.closed) return;
    const columns = [body.points.map((p) => p[0] / 1000), ...ALL.map((_, i) => body.points.map((p) => p[i + 1]))];
    this.columns = columns;
    this.width = to - from;
    status.textContent = `${body.points.length} points · ${body.resolution}${body.bucket_ms ? ` (${Math.round(body.bucket_ms / 1000)} s buckets)` : ''}`;
    this.root.dataset.points = body.points.length;
    this.root.dataset.resolution = body.resolution;
    this.draw();
  }

  draw() {
    let offset = 1;
    CHARTS.forEach((c, i) => {
      this.charts[i].setColumns([this.columns[0], ...this.columns.slice(offset, offset + c.metrics.length)]);
      offset += c.metrics.length;
    });
  }

  // A live sample (the whole latest sample of /api/machines/{id}).
  append(latest, summary) {
    if (!this.live || !this.columns) return;
    const ts = latest.timestamp_ms / 1000;
    const last = this.columns[0][this.columns[0].length - 1];
    if (last !== undefined && ts <= last) return;
    const values = {
      cpu_percent: latest.cpu.total_percent, memory_percent: latest.memory.percent, swap_percent: latest.memory.swap_percent,
      disk_percent: summary.disk_percent, load1: latest.load.load1, load5: latest.load.load5, load15: latest.load.load15,
      net_rx_bps: latest.net_rx_bps, net_tx_bps: latest.net_tx_bps, disk_read_bps: latest.disk_read_bps, disk_write_bps: latest.disk_write_bps,
    };
    this.columns[0].push(ts);
    ALL.forEach((m, i) => this.columns[i + 1].push(values[m]));
    // Keep the window: drop what fell out of the range's start.
    const horizon = (Date.now() - this.width) / 1000;
    while (this.columns[0].length && this.columns[0][0] < horizon - 1) this.columns.forEach((c) => c.shift());
    this.draw();
  }

  close() {
    this.closed = true;
    this.charts.forEach((c) => c.destroy());
  }
}
