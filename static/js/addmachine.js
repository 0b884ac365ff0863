// "Add machine": issues an agent token for a machine id (or a glob of ids)
// with POST /api/agent-tokens, then shows the one line that installs the
// agent with it (GET /install.sh on this hub). Ids are those the script
// takes (letters, digits, '.', '_', '-': host names), a subset of what the
// hub accepts, so that they need no quoting in its files; with a glob the
// line leaves the id to the machine's host name. The hub says in /api/meta
// whether it has an agent binary to hand out; when it has none the dialog
// says why and how to provide one.

import { change } from './api.js';
import { meta } from './meta.js';
import { readOnly } from './mode.js';
import { labelObject } from './format.js';

const MACHINE_ID = /^[A-Za-z0-9._-]{1,128}$/;
const MACHINE_GLOB = /^[A-Za-z0-9._*?[\]!-]{1,128}$/;

// `value` as one single-quoted shell word.
function shellWord(value) {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function isGlob(text) {
  return /[*?[]/.test(text);
}

// The command for `machineId` (null: the host name) and `token`.
export function installCommand(origin, machineId, token) {
  const args = [];
  if (machineId) args.push('--machine-id', machineId);
  if (token) args.push('--token', shellWord(token));
  return `curl -fsSL ${origin}/install.sh | sudo sh -s -- ${args.join(' ')}`;
}

export function setUpAddMachine() {
  const open = document.getElementById('add-machine-open');
  const dialog = document.getElementById('add-machine');
  if (readOnly) {
    open.hidden = true;
    for (const el of document.querySelectorAll('.hub-only')) el.hidden = true;
    return;
  }
  const form = dialog.querySelector('form');
  const field = (name) => dialog.querySelector(`[data-field=${name}]`);
  const action = (name) => dialog.querySelector(`[data-action=${name}]`);
  const problem = meta.install && !meta.install.available ? meta.install.problem : null;
  field('problem').hidden = !problem;
  field('problem').textContent = problem ? `This hub cannot hand out the agent yet: ${problem}` : '';

  const valid = (id) => (isGlob(id) ? MACHINE_GLOB : MACHINE_ID).test(id);
  // A command shown belongs to the token just issued: editing the form hides it.
  const reset = () => {
    const id = form.machine_id.value.trim();
    field('invalid').hidden = valid(id) || id === '';
    field('glob-hint').hidden = !isGlob(id) || !valid(id);
    field('result').hidden = true;
    field('error').hidden = true;
    field('copied').hidden = true;
    action('copy').disabled = true;
    action('create').disabled = !valid(id);
  };
  form.addEventListener('input', reset);
  form.addEventListener('change', reset);

  action('create').addEventListener('click', async () => {
    const id = form.machine_id.value.trim();
    if (!valid(id)) return;
    const body = { machine_glob: id, description: `Add machine: ${id}` };
    if (form.expires.value) body.expires_in = form.expires.value;
    const labels = labelObject(form.labels.value);
    if (Object.keys(labels).length) body.labels = labels;
    action('create').disabled = true;
    try {
      const issued = await change('POST', '/api/agent-tokens', body);
      field('command').textContent = installCommand(location.origin, isGlob(id) ? null : id, issued.token);
      field('token-id').textContent = issued.id;
      field('token-glob').textContent = issued.machine_glob;
      field('result').hidden = false;
      action('copy').disabled = false;
    } catch (e) {
      field('error').textContent = e.field ? `${e.field}: ${e.message}` : e.message;
      field('error').hidden = false;
      action('create').disabled = false;
    }
  });

  open.addEventListener('click', () => {
    form.reset();
    reset();
    dialog.showModal();
    form.machine_id.focus();
  });
  action('copy').addEventListener('click', async () => {
    const text = field('command').textContent;
    try {
      await navigator.clipboard.writeText(text);
      field('copied').hidden = false;
    } catch {
      // No clipboard (a page not served over https): select it to copy by hand.
      getSelection().selectAllChildren(field('command'));
    }
  });
}
