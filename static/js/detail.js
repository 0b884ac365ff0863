// The detail view of one machine: per-core CPU, disks, interfaces, top
// processes, host info and live charts. Refreshed from the REST API when the
// machine's update arrives, at most once a second. On a public relay
// (read-only) only the summary and the live charts are there.

import { pct, bytes, rate, ago, duration, escapeHtml, labelChips } from './format.js';
import { levelOf } from './meta.js';
import { Series, makeChart, WINDOW_SECS } from './charts.js';
import { HistoryPanel } from './history.js';
import { readOnly, recentPoints } from './mode.js';
import { SettingsPanel } from './machine_settings.js';
import { silenceFor } from './silences.js';

const REFRESH_MIN_MS = 1000;

export class Detail {
  // `summaryOf()` gives the machine's latest summary (all a relay has).
  constructor(root, id, summaryOf) {
    this.root = root;
    this.id = id;
    this.summaryOf = summaryOf;
    this.cpuMem = new Series(2);
    this.net = new Series(2);
    this.lastFetch = 0;
    this.charts = [];
    root.innerHTML = `
      <a href="#/">← all machines</a>
      <h2 data-field="title">${escapeHtml(id)}</h2>
      <div class="detail-actions hub-only"><button data-action="silence-machine" title="Hold every alert of this machine back for 2 hours (maintenance)">Silence 2 h</button> <span class="meta" data-field="silence-status"></span></div>
      <div class="sub" data-field="sub">loading…</div>
      <div class="panels">
        <div class="panel"><h3>CPU and memory, last 5 minutes</h3><div data-chart="cpumem"></div></div>
        <div class="panel"><h3>Network, last 5 minutes</h3><div data-chart="net"></div></div>
        <div class="panel"><h3>CPU per core</h3><div class="cores" data-field="cores"></div></div>
        <div class="panel"><h3>Top processes</h3><div data-field="procs"></div></div>
        <div class="panel"><h3>Disks</h3><div data-field="disks"></div></div>
        <div class="panel"><h3>Interfaces</h3><div data-field="nics"></div></div>
        <div class="panel"><h3>Host</h3><div data-field="host"></div></div>
        <div class="panel hub-only" data-field="settings"></div>
      </div>
      <div class="panel history" data-field="history"></div>`;
    this.cpuMemChart = makeChart(root.querySelector('[data-chart=cpumem]'), ['CPU %', 'Memory %'], { height: 180, legend: true, windowSecs: WINDOW_SECS });
    this.netChart = makeChart(root.querySelector('[data-chart=net]'), ['rx B/s', 'tx B/s'], { height: 180, scale: 'rate', legend: true, windowSecs: WINDOW_SECS });
    if (readOnly) {
      for (const name of ['cores', 'procs', 'disks', 'nics', 'host']) this.field(name).closest('.panel').hidden = true;
      this.field('settings').hidden = true;
      this.field('history').innerHTML = '<p class="meta" data-field="read-only">This public dashboard shows live data only.</p>';
    } else {
      this.history = new HistoryPanel(this.field('history'), id);
      this.settings = new SettingsPanel(this.field('settings'), id);
    }
    const silenceButton = root.querySelector('[data-action=silence-machine]');
    if (readOnly) silenceButton.closest('.detail-actions').hidden = true;
    silenceButton.addEventListener('click', async () => {
      try {
        const silence = await silenceFor(id, null, 2, 'silenced from the machine page');
        this.field('silence-status').textContent = `notifications held back until ${new Date(silence.ends_at).toLocaleTimeString()} (Silences page)`;
      } catch (e) {
        this.field('silence-status').textContent = `cannot silence: ${e.message}`;
      }
    });
    this.backfill();
    this.refresh(true);
  }

  field(name) { return this.root.querySelector(`[data-field=${name}]`); }

  async backfill() {
    try {
      const points = await recentPoints(this.id);
      const live = this.cpuMem.points;
      this.cpuMem.load(points);
      for (const p of live) this.cpuMem.push(...p);
      this.cpuMemChart.set(this.cpuMem);
    } catch { /* live points still come */ }
  }

  // Called on every update of this machine.
  async refresh(force = false) {
    const now = Date.now();
    if (!force && now - this.lastFetch < REFRESH_MIN_MS) return;
    this.lastFetch = now;
    if (readOnly) { this.renderSummary(this.summaryOf()); return; }
    let m;
    try {
      const res = await fetch(`/api/machines/${encodeURIComponent(this.id)}`);
      if (res.status === 404) { this.field('sub').textContent = 'no such machine (yet)'; return; }
      if (!res.ok) return;
      m = await res.json();
    } catch { return; }
    if (this.closed) return;
    this.render(m);
  }

  render(m) {
    const l = m.latest, h = m.host;
    this.history.append(l, m);
    this.settings.show(m);
    this.field('title').textContent = m.display_name ? `${m.display_name} (${m.machine_id})` : m.machine_id;
    this.field('sub').textContent = `${hostPart(m)}${m.status} · ${m.health} · seen ${ago(m.last_seen)} · up ${duration(l.uptime_secs)} · ${l.process_count} processes · ${l.tcp_connections} TCP connections`;
    if (this.cpuMem.push(l.timestamp_ms, l.cpu.total_percent, l.memory.percent)) this.cpuMemChart.set(this.cpuMem);
    if (this.net.push(l.timestamp_ms, l.net_rx_bps, l.net_tx_bps)) this.netChart.set(this.net);
    this.field('cores').innerHTML = l.cpu.per_core_percent.map((v, i) => `
      <div class="bar-row"><span>cpu${i}</span><div class="bar"><i class="${levelOf('cpu_percent', v)}" style="width:${Math.min(100, v)}%"></i></div><span>${pct(v)}</span></div>`).join('')
      + `<div class="meta">user <b>${pct(l.cpu.user_percent)}</b> system <b>${pct(l.cpu.system_percent)}</b> iowait <b>${pct(l.cpu.iowait_percent)}</b> steal <b>${pct(l.cpu.steal_percent)}</b></div>`;
    this.field('procs').innerHTML = table(['PID', 'Name', 'CPU', 'RSS'], l.top_processes.map((p) => [p.pid, escapeHtml(p.name), pct(p.cpu_percent), bytes(p.rss)]));
    this.field('disks').innerHTML = table(['Mount', 'Device', 'FS', 'Used', 'Size', 'Use'],
      l.disks.map((d) => [escapeHtml(d.mount_point), escapeHtml(d.device), escapeHtml(d.filesystem), bytes(d.used), bytes(d.total), pct(d.percent)]))
      + table(['Device', 'Read', 'Write'], l.disk_io.map((d) => [escapeHtml(d.device), rate(d.read_bps), rate(d.write_bps)]));
    this.field('nics').innerHTML = table(['Interface', 'Rx', 'Tx', 'Rx total', 'Tx total'],
      l.net.map((n) => [escapeHtml(n.interface), rate(n.rx_bps), rate(n.tx_bps), bytes(n.rx_bytes_total), bytes(n.tx_bytes_total)]));
    this.field('host').innerHTML = table(['', ''], [
      ['Hostname', escapeHtml(h.hostname)], ['Labels', labelChips(m.labels) || '—'], ['OS', escapeHtml(h.os)], ['Kernel', escapeHtml(h.kernel)], ['Arch', escapeHtml(h.arch)],
      ['CPU', escapeHtml(h.cpu_model)], ['Cores', h.cpu_cores], ['Memory', bytes(h.memory_total)],
      ['Swap', `${bytes(l.memory.swap_used)} / ${bytes(l.memory.swap_total)}`],
      ['Load', `${l.load.load1.toFixed(2)} ${l.load.load5.toFixed(2)} ${l.load.load15.toFixed(2)}`]]);
  }

  // What a relay publishes: the summary only.
  renderSummary(s) {
    if (!s) { this.field('sub').textContent = 'no such machine (yet)'; return; }
    this.field('title').textContent = s.machine_id;
    this.field('sub').textContent = `${hostPart(s)}${s.status} · ${s.health} · seen ${ago(s.last_seen)} · ${s.cpu_cores} cores · ${s.process_count} processes · load ${s.load1.toFixed(2)}`;
    if (this.cpuMem.push(s.sample_ts, s.cpu_percent, s.memory_percent)) this.cpuMemChart.set(this.cpuMem);
    if (this.net.push(s.sample_ts, s.net_rx_bps, s.net_tx_bps)) this.netChart.set(this.net);
  }

  // The machine was removed from the hub (by anyone).
  removed() {
    this.field('sub').textContent = 'This machine was removed from the hub.';
    this.closed = true;
  }

  close() {
    this.closed = true;
    this.history?.close();
    this.cpuMemChart.destroy();
    this.netChart.destroy();
    this.root.innerHTML = '';
  }
}

// "host vm · " when the hostname differs from the machine id.
function hostPart(m) {
  return m.hostname && m.hostname !== m.machine_id ? `host ${m.hostname} · ` : '';
}

function table(head, rows) {
  const numeric = (v) => typeof v === 'number' || /^[\d.]+ ?(%|[KMGTP]?i?B(\/s)?)$/.test(String(v));
  return `<table><thead><tr>${head.map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody>${rows.map((r) =>
    `<tr>${r.map((c) => `<td class="${numeric(c) ? 'num' : ''}">${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}
