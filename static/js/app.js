// sysmonstm dashboard: fleet overview (cards) and a detail view per machine,
// fed by the hub's /ws live feed.

import { connectLive } from './live.js';
import { Card } from './cards.js';
import { Detail } from './detail.js';
import { AlertState, renderAlertsPage } from './alerts.js';
import { RulesPage } from './rules.js';
import { readOnly, rememberRecent } from './mode.js';
import { ensureViewer } from './session.js';
import { startStoragePanel } from './storage.js';
import { setUpAddMachine } from './addmachine.js';
import { labelsMatch } from './format.js';
import { renderTokensPage } from './tokens.js';

const HEALTH_RANK = { critical: 0, warning: 1, ok: 2 };
const CLOCK_TICK_MS = 1000;

const cards = new Map(); // machine_id -> Card
const cardsEl = document.getElementById('cards');
const emptyEl = document.getElementById('empty');
const filterEl = document.getElementById('filter');
const sortEl = document.getElementById('sort');
const fleetEl = document.getElementById('fleet');
const detailEl = document.getElementById('detail');
const alertsEl = document.getElementById('alerts-page');
const rulesEl = document.getElementById('rules-page');
const tokensEl = document.getElementById('tokens-page');
const bannerEl = document.getElementById('banner');
let detail = null;
let page = 'fleet';

setUpAddMachine();

// On a public relay there are no alerts or rules pages (no REST behind it).
if (readOnly) for (const a of document.querySelectorAll('.nav a[href="#/alerts"], .nav a[href="#/rules"]')) a.hidden = true;

// Firing alerts: banner, card badges, and the alerts page when open.
const alertState = new AlertState(() => {
  const n = alertState.firing.size;
  bannerEl.hidden = n === 0;
  bannerEl.querySelector('[data-field=firing-count]').textContent = n;
  bannerEl.querySelector('[data-field=firing-noun]').textContent = n === 1 ? 'alert' : 'alerts';
  for (const card of cards.values()) card.setAlerts(alertState.countFor(card.id));
  if (page === 'alerts') renderAlertsPage(alertsEl, alertState);
});
let orderDirty = true;

function rank(s) {
  return s.status === 'offline' ? 3 : HEALTH_RANK[s.health] ?? 2;
}

const comparators = {
  health: (a, b) => rank(a) - rank(b) || a.machine_id.localeCompare(b.machine_id),
  name: (a, b) => a.machine_id.localeCompare(b.machine_id),
  cpu: (a, b) => b.cpu_percent - a.cpu_percent,
};

function apply(machines) {
  for (const s of machines) {
    const card = cards.get(s.machine_id);
    if (!card) {
      const created = new Card(s, open);
      created.setAlerts(alertState.countFor(s.machine_id));
      cards.set(s.machine_id, created);
      orderDirty = true;
    } else {
      if (rank(card.summary) !== rank(s) || sortEl.value === 'cpu') orderDirty = true;
      card.update(s);
    }
    if (detail && detail.id === s.machine_id) detail.refresh();
  }
  render();
}

// Places cards in order and applies the filter, moving only what changed.
function render() {
  // Words of the filter: `env=prod` / `role!=db` match labels, others the name.
  const words = filterEl.value.trim().split(/\s+/).filter(Boolean);
  const labelWords = words.filter((w) => w.includes('='));
  const needle = words.filter((w) => !w.includes('=')).join(' ').toLowerCase();
  let shown = 0;
  if (orderDirty) {
    const sorted = [...cards.values()].sort((a, b) => comparators[sortEl.value](a.summary, b.summary));
    sorted.forEach((card, i) => {
      if (cardsEl.children[i] !== card.el) cardsEl.insertBefore(card.el, cardsEl.children[i] || null);
    });
    orderDirty = false;
  }
  for (const card of cards.values()) {
    const s = card.summary;
    const named = !needle || `${s.hostname} ${s.machine_id} ${s.display_name || ''}`.toLowerCase().includes(needle);
    const match = named && labelWords.every((w) => labelsMatch(s.labels, w));
    if (card.el.hidden === match) card.el.hidden = !match;
    if (match) shown++;
  }
  emptyEl.hidden = cards.size > 0;
  renderCounts();
  return shown;
}

function renderCounts() {
  const counts = { online: 0, offline: 0, warning: 0, critical: 0 };
  for (const { summary: s } of cards.values()) {
    if (s.status === 'offline') { counts.offline++; continue; }
    counts.online++;
    if (s.health === 'warning') counts.warning++;
    if (s.health === 'critical') counts.critical++;
  }
  for (const [key, n] of Object.entries(counts)) {
    const b = document.querySelector(`[data-count=${key}] b`);
    if (b.textContent !== String(n)) b.textContent = n;
  }
}

function open(id) {
  location.hash = `#/machine/${encodeURIComponent(id)}`;
}

function route() {
  const hash = location.hash;
  const match = hash.match(/^#\/machine\/(.+)$/);
  if (detail) { detail.close(); detail = null; }
  const pages = { '#/alerts': 'alerts', '#/rules': 'rules', '#/tokens': 'tokens' };
  page = match ? 'detail' : pages[hash] || 'fleet';
  if (readOnly && page !== 'detail') page = 'fleet';
  fleetEl.hidden = page !== 'fleet';
  detailEl.hidden = page !== 'detail';
  alertsEl.hidden = page !== 'alerts';
  rulesEl.hidden = page !== 'rules';
  tokensEl.hidden = page !== 'tokens';
  if (page === 'detail') {
    const id = decodeURIComponent(match[1]);
    detail = new Detail(detailEl, id, () => cards.get(id)?.summary);
  }
  if (page === 'alerts') renderAlertsPage(alertsEl, alertState);
  if (page === 'rules') new RulesPage(rulesEl);
  if (page === 'tokens') renderTokensPage(tokensEl);
}

filterEl.addEventListener('input', render);
sortEl.addEventListener('change', () => { orderDirty = true; render(); });
window.addEventListener('hashchange', route);
setInterval(() => { for (const card of cards.values()) if (card.visible) card.tick(); }, CLOCK_TICK_MS);

// With --viewer-token, nothing is fetched before this browser has signed in.
await ensureViewer();
connectLive({
  onSnapshot(machines, recent) {
    rememberRecent(recent);
    const seen = new Set(machines.map((m) => m.machine_id));
    for (const [id, card] of cards) if (!seen.has(id)) { card.remove(); cards.delete(id); }
    orderDirty = true;
    apply(machines);
  },
  onUpdate: apply,
  onAlert: (alert) => alertState.apply(alert),
  onRemoved(id) {
    cards.get(id)?.remove();
    cards.delete(id);
    if (detail && detail.id === id) detail.removed();
    render();
  },
  onState(up) {
    if (up && !readOnly) alertState.reload();
    const el = document.getElementById('conn');
    el.textContent = up ? 'live' : 'reconnecting…';
    el.className = `conn ${up ? 'conn-up' : 'conn-down'}`;
    document.body.dataset.live = up ? 'true' : 'false';
  },
});
route();
if (!readOnly) startStoragePanel(document.getElementById('storage'));
