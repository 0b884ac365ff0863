// sysmonstm dashboard: fleet overview (cards, optionally grouped by a
// label, or a table) and a detail view per machine, fed by the hub's /ws
// live feed.

import { connectLive } from './live.js';
import { Card } from './cards.js';
import { Detail } from './detail.js';
import { AlertState, renderAlertsPage } from './alerts.js';
import { RulesPage } from './rules.js';
import { ChannelsPage } from './channels.js';
import { renderSilencesPage } from './silences.js';
import { readOnly, rememberRecent } from './mode.js';
import { ensureViewer } from './session.js';
import { startStoragePanel } from './storage.js';
import { setUpAddMachine } from './addmachine.js';
import { healthRank as rank, labelsMatch } from './format.js';
import { renderTokensPage } from './tokens.js';
import { renderAuditPage } from './audit.js';
import { FleetTable } from './fleet_table.js';

const CLOCK_TICK_MS = 1000;

const fleet = new Map(); // machine_id -> latest summary
const cards = new Map(); // machine_id -> Card (only while the cards view is shown)
const VIEW_KEY = 'sysmonstm.fleetView';
const cardsEl = document.getElementById('cards');
const emptyEl = document.getElementById('empty');
const filterEl = document.getElementById('filter');
const sortEl = document.getElementById('sort');
const groupEl = document.getElementById('group');
const viewEl = document.getElementById('view');
const tableEl = document.getElementById('fleet-table');
const fleetEl = document.getElementById('fleet');
const detailEl = document.getElementById('detail');
const alertsEl = document.getElementById('alerts-page');
const rulesEl = document.getElementById('rules-page');
const tokensEl = document.getElementById('tokens-page');
const channelsEl = document.getElementById('channels-page');
const silencesEl = document.getElementById('silences-page');
const auditEl = document.getElementById('audit-page');
const bannerEl = document.getElementById('banner');
let detail = null;
let page = 'fleet';
const groupHeads = new Map(); // group value -> its heading in the cards view
const labelKeys = new Set();

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

const comparators = {
  health: (a, b) => rank(a) - rank(b) || a.machine_id.localeCompare(b.machine_id),
  name: (a, b) => a.machine_id.localeCompare(b.machine_id),
  cpu: (a, b) => b.cpu_percent - a.cpu_percent,
};

// The label value a machine is grouped under ('' without it), or null when not grouping.
function groupOf(s) {
  return groupEl.value ? s.labels?.[groupEl.value] ?? '' : null;
}

// New label keys become choices of the group-by menu.
function learnLabels(s) {
  for (const key of Object.keys(s.labels || {})) {
    if (labelKeys.has(key)) continue;
    labelKeys.add(key);
    const option = document.createElement('option');
    option.value = key;
    option.textContent = `Group: ${key}`;
    const after = [...groupEl.options].slice(1).find((o) => o.value > key);
    groupEl.insertBefore(option, after || null);
  }
}

function tableView() { return viewEl.value === 'table'; }

function addCard(s) {
  const card = new Card(s, open);
  card.setAlerts(alertState.countFor(s.machine_id));
  cards.set(s.machine_id, card);
  orderDirty = true;
}

function apply(machines) {
  for (const s of machines) {
    const before = fleet.get(s.machine_id);
    fleet.set(s.machine_id, s);
    learnLabels(s);
    if (!tableView()) {
      const card = cards.get(s.machine_id);
      if (!card) addCard(s);
      else {
        if (rank(card.summary) !== rank(s) || sortEl.value === 'cpu' || groupOf(card.summary) !== groupOf(s)) orderDirty = true;
        card.update(s);
      }
    } else if (!before) orderDirty = true;
    if (detail && detail.id === s.machine_id) detail.refresh();
  }
  render();
}

// Whether a machine meets the filter: words `env=prod` / `role!=db` match
// labels, the others its name.
function matcher() {
  const words = filterEl.value.trim().split(/\s+/).filter(Boolean);
  const labelWords = words.filter((w) => w.includes('='));
  const needle = words.filter((w) => !w.includes('=')).join(' ').toLowerCase();
  return (s) => (!needle || `${s.hostname} ${s.machine_id} ${s.display_name || ''}`.toLowerCase().includes(needle))
    && labelWords.every((w) => labelsMatch(s.labels, w));
}
let matches = matcher();

const table = new FleetTable(tableEl, { fleet, matches: (s) => matches(s), onOpen: open });

function render() {
  emptyEl.hidden = fleet.size > 0;
  renderCounts();
  if (tableView()) {
    if (orderDirty) table.refilter(); else table.changed();
    orderDirty = false;
    return;
  }
  renderCards();
}

// Places cards in order (under their group's heading when grouping) and
// applies the filter, moving only what changed.
function renderCards() {
  if (orderDirty) {
    const grouped = groupEl.value !== '';
    // Machines without the label come last.
    const groupKey = (card) => groupOf(card.summary) || '\uffff';
    const byGroup = (a, b) => (grouped ? groupKey(a).localeCompare(groupKey(b)) : 0);
    const sorted = [...cards.values()].sort((a, b) => byGroup(a, b) || comparators[sortEl.value](a.summary, b.summary));
    const wanted = [];
    let last = null;
    for (const card of sorted) {
      const g = groupOf(card.summary);
      if (grouped && g !== last) {
        if (!groupHeads.has(g)) {
          const head = document.createElement('h3');
          head.className = 'group-head';
          head.dataset.group = g;
          groupHeads.set(g, head);
        }
        wanted.push(groupHeads.get(g));
        last = g;
      }
      wanted.push(card.el);
    }
    const kept = new Set(wanted);
    for (const [g, head] of groupHeads) if (!kept.has(head)) { head.remove(); groupHeads.delete(g); }
    wanted.forEach((el, i) => {
      if (cardsEl.children[i] !== el) cardsEl.insertBefore(el, cardsEl.children[i] || null);
    });
    orderDirty = false;
  }
  const shownIn = new Map();
  for (const card of cards.values()) {
    const match = matches(card.summary);
    if (card.el.hidden === match) card.el.hidden = !match;
    if (match && groupEl.value) shownIn.set(groupOf(card.summary), (shownIn.get(groupOf(card.summary)) || 0) + 1);
  }
  for (const [g, head] of groupHeads) {
    const n = shownIn.get(g) || 0;
    head.hidden = n === 0;
    const text = `${groupEl.value}=${g || '(none)'} · ${n} machine${n === 1 ? '' : 's'}`;
    if (head.textContent !== text) head.textContent = text;
  }
}

// Cards exist only in the cards view: switching to the table drops them.
function showView() {
  const asTable = tableView();
  localStorage.setItem(VIEW_KEY, viewEl.value);
  cardsEl.hidden = asTable;
  tableEl.hidden = !asTable;
  groupEl.hidden = asTable;
  sortEl.hidden = asTable;
  if (asTable) {
    for (const card of cards.values()) card.remove();
    cards.clear();
    for (const head of groupHeads.values()) head.remove();
    groupHeads.clear();
  } else {
    for (const s of fleet.values()) if (!cards.has(s.machine_id)) addCard(s);
  }
  orderDirty = true;
  render();
}

function renderCounts() {
  const counts = { online: 0, offline: 0, warning: 0, critical: 0 };
  for (const s of fleet.values()) {
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
  const pages = { '#/alerts': 'alerts', '#/rules': 'rules', '#/channels': 'channels', '#/silences': 'silences', '#/tokens': 'tokens', '#/audit': 'audit' };
  page = match ? 'detail' : pages[hash] || 'fleet';
  if (readOnly && page !== 'detail') page = 'fleet';
  fleetEl.hidden = page !== 'fleet';
  detailEl.hidden = page !== 'detail';
  alertsEl.hidden = page !== 'alerts';
  rulesEl.hidden = page !== 'rules';
  tokensEl.hidden = page !== 'tokens';
  channelsEl.hidden = page !== 'channels';
  silencesEl.hidden = page !== 'silences';
  auditEl.hidden = page !== 'audit';
  if (page === 'detail') {
    const id = decodeURIComponent(match[1]);
    detail = new Detail(detailEl, id, () => fleet.get(id));
  }
  if (page === 'alerts') renderAlertsPage(alertsEl, alertState);
  if (page === 'rules') new RulesPage(rulesEl);
  if (page === 'tokens') renderTokensPage(tokensEl);
  if (page === 'channels') new ChannelsPage(channelsEl);
  if (page === 'silences') renderSilencesPage(silencesEl);
  if (page === 'audit') renderAuditPage(auditEl);
}

filterEl.addEventListener('input', () => { matches = matcher(); if (tableView()) orderDirty = true; render(); });
sortEl.addEventListener('change', () => { orderDirty = true; render(); });
groupEl.addEventListener('change', () => { orderDirty = true; render(); });
viewEl.addEventListener('change', showView);
viewEl.value = localStorage.getItem(VIEW_KEY) === 'table' ? 'table' : 'cards';
showView();
window.addEventListener('hashchange', route);
setInterval(() => { for (const card of cards.values()) if (card.visible) card.tick(); }, CLOCK_TICK_MS);

// With --viewer-token, nothing is fetched before this browser has signed in.
await ensureViewer();
connectLive({
  onSnapshot(machines, recent) {
    rememberRecent(recent);
    const seen = new Set(machines.map((m) => m.machine_id));
    for (const [id, card] of cards) if (!seen.has(id)) { card.remove(); cards.delete(id); }
    for (const id of fleet.keys()) if (!seen.has(id)) fleet.delete(id);
    orderDirty = true;
    apply(machines);
  },
  onUpdate: apply,
  onAlert: (alert) => alertState.apply(alert),
  onRemoved(id) {
    cards.get(id)?.remove();
    cards.delete(id);
    fleet.delete(id);
    table.forget(id);
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
