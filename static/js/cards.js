// One card per machine. The DOM is built once; an update only rewrites the
// card's own text and bar widths. The chart exists only while the card is on
// screen, so a fleet of 1,000 machines stays smooth.

import { pct, rate, ago, escapeHtml, labelChips } from './format.js';
import { levelOf } from './meta.js';
import { Series, makeChart, WINDOW_SECS } from './charts.js';
import { recentPoints } from './mode.js';

const visibility = new IntersectionObserver((entries) => {
  for (const entry of entries) entry.target.card?.setVisible(entry.isIntersecting);
}, { rootMargin: '200px' });

export class Card {
  constructor(summary, onOpen) {
    this.id = summary.machine_id;
    this.series = new Series(2);
    this.chart = null;
    this.visible = false;
    this.backfilled = false;
    const el = document.createElement('article');
    el.className = 'card';
    el.dataset.machineId = this.id;
    el.innerHTML = `
      <div class="card-head"><span class="card-name"><span class="card-title" data-field="name"></span><span class="card-host" data-field="hostname" hidden></span></span><span class="alert-badge" data-field="alerts" hidden></span><span class="badge" data-field="health"></span></div>
      ${['cpu', 'memory', 'disk'].map((k) => `
      <div class="bar-row"><span>${k === 'cpu' ? 'CPU' : k === 'memory' ? 'Memory' : 'Disk'}</span><div class="bar"><i data-bar="${k}"></i></div><span data-field="${k}"></span></div>`).join('')}
      <div class="meta">
        <span>load <b data-field="load"></b></span>
        <span>↓ <b data-field="rx"></b></span><span>↑ <b data-field="tx"></b></span>
        <span>seen <b data-field="seen"></b></span>
      </div>
      <div class="labels" data-field="labels" hidden></div>
      <div class="chart"></div>`;
    el.card = this;
    el.addEventListener('click', () => onOpen(this.id));
    this.el = el;
    this.fields = Object.fromEntries([...el.querySelectorAll('[data-field]')].map((n) => [n.dataset.field, n]));
    this.bars = Object.fromEntries([...el.querySelectorAll('[data-bar]')].map((n) => [n.dataset.bar, n]));
    this.update(summary);
    visibility.observe(el);
  }

  update(s) {
    this.summary = s;
    const offline = s.status === 'offline';
    this.el.classList.toggle('offline', offline);
    this.el.dataset.sampleTs = s.sample_ts;
    this.el.dataset.status = s.status;
    // The machine id is the name its operator gave (--machine-id); the
    // hostname, when it says something more, goes under it.
    // A display name set at the hub stands in for the id, the id then under it.
    const name = s.display_name || s.machine_id;
    this.fields.name.textContent = name;
    this.fields.name.title = s.hostname ? `${s.machine_id} on host ${s.hostname}` : s.machine_id;
    const under = s.display_name ? s.machine_id : s.hostname;
    const host = under && under !== name ? under : '';
    this.fields.hostname.textContent = host;
    this.fields.hostname.hidden = !host;
    const chips = labelChips(s.labels);
    if (chips !== this.chips) {
      this.chips = chips;
      this.fields.labels.innerHTML = chips;
      this.fields.labels.hidden = !chips;
    }
    const badge = offline ? 'offline' : s.health;
    this.fields.health.textContent = badge;
    this.fields.health.className = `badge ${badge}`;
    this.setBar('cpu', 'cpu_percent', s.cpu_percent);
    this.setBar('memory', 'memory_percent', s.memory_percent);
    this.setBar('disk', 'disk_percent', s.disk_percent);
    this.fields.load.textContent = `${(+s.load1).toFixed(2)} ${(+s.load5).toFixed(2)} ${(+s.load15).toFixed(2)}`;
    this.fields.rx.textContent = rate(s.net_rx_bps);
    this.fields.tx.textContent = rate(s.net_tx_bps);
    this.tick();
    if (!offline && this.series.push(s.sample_ts, s.cpu_percent, s.memory_percent) && this.chart) {
      this.chart.set(this.series);
    }
  }

  // Shows how many alerts fire on this machine.
  setAlerts(n) {
    const badge = this.fields.alerts;
    badge.hidden = n === 0;
    badge.textContent = `⚠ ${n}`;
    this.el.dataset.alerts = n;
  }

  // Refreshes what depends on the clock alone.
  tick() {
    this.fields.seen.textContent = ago(this.summary.last_seen);
  }

  // A bar coloured by the server's health limits for summary field `field`.
  setBar(key, field, value) {
    this.fields[key].textContent = pct(value);
    const bar = this.bars[key];
    bar.style.width = `${Math.min(100, Math.max(0, value || 0))}%`;
    bar.className = levelOf(field, value);
  }

  async setVisible(visible) {
    this.visible = visible;
    if (visible && !this.chart) {
      this.chart = makeChart(this.el.querySelector('.chart'), ['CPU %', 'Memory %'], { windowSecs: WINDOW_SECS });
      if (!this.backfilled) {
        this.backfilled = true;
        try {
          const points = await recentPoints(this.id);
          const live = this.series.points;
          this.series.load(points);
          for (const p of live) this.series.push(...p);
        } catch { /* live points still come */ }
      }
      this.chart?.set(this.series);
    } else if (!visible && this.chart) {
      this.chart.destroy();
      this.chart = null;
    }
  }

  remove() {
    visibility.unobserve(this.el);
    this.chart?.destroy();
    this.el.remove();
  }
}

export { escapeHtml };
