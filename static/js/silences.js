// Silences and maintenance windows: while one holds, matching alerts are
// recorded (marked silenced) but nobody is notified; if they still fire
// when it ends, they are notified then. The page lists them (active,
// pending, expired), makes new ones (for a while, or every week on some
// days in a time zone) and expires them. `silenceFor` makes one from an
// alert or a machine page ("Silence 2 h").

import { change, get, ApiError } from './api.js';
import { ago, escapeHtml, labelText, labelObject } from './format.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const HOUR_MS = 3600 * 1000;

// A glob matching exactly `id` (glob characters bracketed).
export function exactGlob(id) {
  return id.replace(/[*?[\]]/g, (c) => `[${c}]`);
}

// Silences `machineId` (all its rules, or one) for `hours` from now.
export async function silenceFor(machineId, ruleId, hours, comment) {
  const body = { machines: exactGlob(machineId), ends_at: Date.now() + hours * HOUR_MS, comment };
  if (ruleId) body.rule_id = ruleId;
  return change('POST', '/api/silences', body);
}

function when(s) {
  if (s.recurring) {
    const r = s.recurring;
    return `every ${r.days.join(', ')} from ${escapeHtml(r.start)} for ${escapeHtml(r.duration)} (${escapeHtml(r.time_zone)})`;
  }
  const end = new Date(s.ends_at);
  return `${new Date(s.starts_at).toLocaleString()} → ${end.toLocaleString()}`;
}

function matches(s) {
  const parts = [`machines <code>${escapeHtml(s.machines)}</code>`];
  if (Object.keys(s.labels || {}).length) parts.push(`with ${escapeHtml(labelText(s.labels))}`);
  parts.push(s.rule_id ? `rule <code>${escapeHtml(s.rule_id)}</code>` : 'every rule');
  return parts.join(' · ');
}

function row(s) {
  const expire = s.state === 'expired' ? '' : '<button class="danger" data-action="expire">Expire</button>';
  return `<tr data-silence-id="${escapeHtml(s.id)}" class="state-${s.state}"><td><span class="badge silence-${s.state}">${s.state}</span></td>
    <td>${matches(s)}</td><td>${when(s)}</td><td>${escapeHtml(s.comment)}</td>
    <td title="${escapeHtml(new Date(s.created_at).toLocaleString())}">${escapeHtml(s.created_by)}, ${ago(s.created_at)}</td><td>${expire}</td></tr>`;
}

export async function renderSilencesPage(root) {
  root.innerHTML = '<div class="page silences"><h2>Silences</h2><p data-field="status">loading…</p></div>';
  let silences, rules;
  try {
    [silences, rules] = await Promise.all([get('/api/silences'), get('/api/rules')]);
  } catch (e) {
    root.querySelector('[data-field=status]').textContent = `cannot load silences: ${e.message}`;
    return;
  }
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const page = root.querySelector('.page');
  page.innerHTML = `<h2>Silences and maintenance windows</h2>
    <p class="hint">While one holds, matching alerts are recorded (marked silenced) and nobody is notified; alerts still firing when it ends are notified then.</p>
    <form class="rule-form silence-form" data-silence-form>
      <label>Machines (glob)</label><input name="machines" value="*"><span class="field-error" data-error-for="machines"></span>
      <label>With labels</label><input name="labels" placeholder="env=prod"><span class="field-error" data-error-for="labels"></span>
      <label>Rule</label><select name="rule_id"><option value="">every rule</option>${rules.map((r) => `<option value="${escapeHtml(r.id)}">${escapeHtml(r.name)}</option>`).join('')}</select><span class="field-error" data-error-for="rule_id"></span>
      <label>When</label><select name="mode"><option value="for">for a while, from now</option><option value="weekly">every week (maintenance window)</option></select><span></span>
      <label data-mode="for">For</label><select data-mode="for" name="hours"><option value="1">1 hour</option><option value="2" selected>2 hours</option><option value="4">4 hours</option><option value="8">8 hours</option><option value="24">1 day</option><option value="168">1 week</option></select><span class="field-error" data-mode="for" data-error-for="ends_at"></span>
      <label data-mode="weekly" hidden>Days</label><div data-mode="weekly" hidden class="channel-picks">${DAYS.map((d) => `<label><input type="checkbox" name="days" value="${d}" ${d === 'sat' || d === 'sun' ? 'checked' : ''}> ${d}</label>`).join('')}</div><span class="field-error" data-mode="weekly" hidden data-error-for="recurring.days"></span>
      <label data-mode="weekly" hidden>From (local time)</label><input data-mode="weekly" hidden name="start" value="22:00"><span class="field-error" data-mode="weekly" hidden data-error-for="recurring.start"></span>
      <label data-mode="weekly" hidden>For</label><input data-mode="weekly" hidden name="duration" value="4h"><span class="field-error" data-mode="weekly" hidden data-error-for="recurring.duration"></span>
      <label data-mode="weekly" hidden>Time zone</label><input data-mode="weekly" hidden name="time_zone" value="${escapeHtml(zone)}"><span class="field-error" data-mode="weekly" hidden data-error-for="recurring.time_zone"></span>
      <label>Comment</label><input name="comment" placeholder="why"><span class="field-error" data-error-for="comment"></span>
      <div class="form-status" data-field="form-status"></div>
      <div><button class="primary" type="submit">Silence</button></div>
    </form>
    ${silences.length === 0 ? '<p class="empty">No silence yet.</p>' : `<table><thead><tr><th>State</th><th>Matches</th><th>When</th><th>Comment</th><th>By</th><th></th></tr></thead>
    <tbody>${silences.map(row).join('')}</tbody></table>`}`;
  const form = page.querySelector('form');
  const showMode = () => {
    const mode = form.elements.mode.value;
    form.querySelectorAll('[data-mode]').forEach((el) => { el.hidden = el.dataset.mode !== mode; });
  };
  form.elements.mode.addEventListener('change', showMode);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    form.querySelectorAll('[data-error-for]').forEach((el) => { el.textContent = ''; });
    form.querySelector('[data-field=form-status]').textContent = '';
    const f = form.elements;
    const body = { machines: f.machines.value.trim() || '*', labels: labelObject(f.labels.value), comment: f.comment.value.trim() };
    if (f.rule_id.value) body.rule_id = f.rule_id.value;
    if (f.mode.value === 'for') body.ends_at = Date.now() + Number(f.hours.value) * HOUR_MS;
    else {
      body.recurring = { days: [...form.querySelectorAll('input[name=days]:checked')].map((b) => b.value),
        start: f.start.value.trim(), duration: f.duration.value.trim(), time_zone: f.time_zone.value.trim() };
    }
    try {
      await change('POST', '/api/silences', body);
      renderSilencesPage(root);
    } catch (e) {
      const slot = e instanceof ApiError && e.field && (form.querySelector(`[data-error-for="${e.field}"]`)
        || form.querySelector(`[data-error-for="${e.field.split('.')[0]}"]`));
      if (slot) slot.textContent = e.message;
      else form.querySelector('[data-field=form-status]').textContent = e.message;
    }
  });
  page.querySelectorAll('[data-action=expire]').forEach((button) => {
    const id = button.closest('tr').dataset.silenceId;
    button.addEventListener('click', async () => {
      try { await change('DELETE', `/api/silences/${encodeURIComponent(id)}`); } catch (e) { window.alert(e.message); }
      renderSilencesPage(root);
    });
  });
}
