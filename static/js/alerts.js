// Firing alerts (kept live from /ws alert frames) and the alerts page:
// what fires now, recent history, and the processes captured at firing.

import { change, get } from './api.js';
import { silenceFor } from './silences.js';
import { pct, bytes, ago, escapeHtml } from './format.js';

// Every attempt to notify an alert's channels (GET /api/alerts/{id}).
async function loadDeliveries(box) {
  const slot = box.querySelector('[data-field=deliveries]');
  try {
    const alert = await get(`/api/alerts/${encodeURIComponent(box.dataset.alertId)}`);
    const list = alert.deliveries || [];
    slot.innerHTML = list.length === 0 ? '<i>no channel was notified</i>'
      : `<table class="deliveries"><thead><tr><th>Channel</th><th>Event</th><th>Try</th><th>When</th><th>Outcome</th></tr></thead><tbody>${
        list.map((d) => `<tr><td>${escapeHtml(d.channel_name)} <span class="muted">${escapeHtml(d.kind)}</span></td><td>${d.state}</td><td>${d.attempt}</td>
          <td title="${escapeHtml(new Date(d.at).toLocaleString())}">${ago(d.at)}</td>
          <td class="${d.ok ? '' : 'failed'}">${d.ok ? 'sent' : escapeHtml(d.error || 'failed')}</td></tr>`).join('')}</tbody></table>`;
  } catch (e) {
    slot.textContent = `cannot load deliveries: ${e.message}`;
  }
}

function wireDeliveries(root) {
  root.querySelectorAll('details[data-alert-id]').forEach((box) => {
    box.addEventListener('toggle', () => { if (box.open) loadDeliveries(box); });
  });
}

export class AlertState {
  constructor(onChange) {
    this.firing = new Map(); // alert id -> alert
    this.onChange = onChange;
  }

  // Called after each (re)connect: the hub's current firing alerts.
  async reload() {
    try {
      const list = await get('/api/alerts?state=firing&limit=1000');
      this.firing = new Map(list.map((a) => [a.id, a]));
      this.onChange();
    } catch { /* next reconnect reloads */ }
  }

  apply(alert) {
    if (alert.state === 'firing') this.firing.set(alert.id, alert);
    else this.firing.delete(alert.id);
    this.onChange(alert);
  }

  countFor(machineId) {
    let n = 0;
    for (const a of this.firing.values()) if (a.machine_id === machineId) n++;
    return n;
  }
}

function processes(list) {
  if (!list?.length) return '<i>no snapshot</i>';
  return `<table><thead><tr><th>PID</th><th>Name</th><th class="num">CPU</th><th class="num">RSS</th></tr></thead><tbody>${
    list.map((p) => `<tr><td>${p.pid}</td><td>${escapeHtml(p.name)}</td><td class="num">${pct(p.cpu_percent)}</td><td class="num">${bytes(p.rss)}</td></tr>`).join('')
  }</tbody></table>`;
}

// Silenced / acknowledged marks, and what can be done to a firing alert.
function marks(a) {
  const out = [];
  if (a.silenced) out.push('<span class="badge silenced" data-field="silenced">silenced</span>');
  if (a.acknowledged) {
    out.push(`<span class="badge acked" data-field="acked" title="${escapeHtml(a.acknowledged.comment || '')}">acknowledged by ${escapeHtml(a.acknowledged.by)}</span>`);
  }
  return out.join(' ');
}

function actions(a) {
  if (a.state !== 'firing') return '';
  return `<button data-action="silence" title="Hold this rule's notifications for this machine back for 2 hours">Silence 2 h</button>
    ${a.acknowledged ? '' : '<button data-action="ack" title="Stop its repeats">Acknowledge</button>'}`;
}

function wireActions(root, state) {
  root.querySelectorAll('tr[data-alert-id]').forEach((row) => {
    const id = row.dataset.alertId;
    row.querySelector('[data-action=silence]')?.addEventListener('click', async () => {
      const alert = state.firing.get(id);
      if (!alert) { window.alert('This alert does not fire any more.'); return; }
      try { await silenceFor(alert.machine_id, alert.rule_id, 2, `silenced from the alerts page: ${alert.rule_name}`); } catch (e) { window.alert(e.message); }
    });
    row.querySelector('[data-action=ack]')?.addEventListener('click', async () => {
      const comment = window.prompt('Acknowledge: a comment (optional)') ?? null;
      if (comment === null) return;
      try { await change('POST', `/api/alerts/${encodeURIComponent(id)}/ack`, { comment }); } catch (e) { window.alert(e.message); }
    });
  });
}

function rows(list) {
  if (!list.length) return '<p class="empty">None.</p>';
  return `<table><thead><tr><th>Machine</th><th>Rule</th><th>Severity</th><th>State</th><th class="num">Value</th><th>Started</th><th>Resolved</th><th>Processes at firing</th><th>Notified</th><th></th></tr></thead><tbody>${
    list.map((a) => `<tr data-alert-id="${escapeHtml(a.id)}"><td><a href="#/machine/${encodeURIComponent(a.machine_id)}">${escapeHtml(a.machine_id)}</a></td>
      <td>${escapeHtml(a.rule_name)}${a.part ? ` <span class="muted" data-field="part">${escapeHtml(a.part)}</span>` : ''}</td><td><span class="badge ${a.severity}">${a.severity}</span></td><td>${a.state} ${marks(a)}</td>
      <td class="num">${Number(a.value).toFixed(1)}</td><td>${ago(a.started_at)}</td><td>${a.resolved_at ? ago(a.resolved_at) : ''}</td>
      <td><details><summary>${a.top_processes?.length || 0} processes</summary>${processes(a.top_processes)}</details></td>
      <td><details data-alert-id="${escapeHtml(a.id)}"><summary>deliveries</summary><div data-field="deliveries">loading…</div></details></td>
      <td class="actions">${actions(a)}</td></tr>`).join('')
  }</tbody></table>`;
}

export async function renderAlertsPage(root, state) {
  root.innerHTML = `<div class="page"><h2>Alerts</h2>
    <section><h3>Firing now</h3><div data-field="firing-list">${rows([...state.firing.values()])}</div></section>
    <section><h3>Recent</h3><div data-field="history-list">loading…</div></section></div>`;
  const firing = root.querySelector('[data-field=firing-list]');
  wireDeliveries(firing);
  wireActions(firing, state);
  try {
    const recent = await get('/api/alerts?state=all&limit=200');
    const history = root.querySelector('[data-field=history-list]');
    history.innerHTML = rows(recent);
    wireDeliveries(history);
    wireActions(history, state);
  } catch (e) {
    root.querySelector('[data-field=history-list]').textContent = `cannot load alerts: ${e.message}`;
  }
}
