// "Add machine": the one line that installs the agent on a new machine
// (GET /install.sh on this hub), built as the user types. Ids are those
// the script takes (letters, digits, '.', '_', '-': host names), a subset of
// what the hub accepts, so that they need no quoting in its files. The hub says in
// /api/meta whether it has an agent binary to hand out; when it has none the
// dialog says why and how to provide one.

import { meta } from './meta.js';
import { readOnly } from './mode.js';

const MACHINE_ID = /^[A-Za-z0-9._-]{1,128}$/;

// `value` as one single-quoted shell word.
function shellWord(value) {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

// The command for `machineId` (and `token`, when the hub asks for one).
export function installCommand(origin, machineId, token) {
  const args = ['--machine-id', machineId];
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
  const problem = meta.install && !meta.install.available ? meta.install.problem : null;
  field('problem').hidden = !problem;
  field('problem').textContent = problem ? `This hub cannot hand out the agent yet: ${problem}` : '';

  const render = () => {
    const id = form.machine_id.value.trim();
    const valid = MACHINE_ID.test(id);
    field('invalid').hidden = valid || id === '';
    field('command').textContent = installCommand(location.origin, valid ? id : 'MACHINE-ID', form.token.value);
  };
  form.addEventListener('input', render);
  open.addEventListener('click', () => {
    render();
    field('copied').hidden = true;
    dialog.showModal();
    form.machine_id.focus();
  });
  dialog.querySelector('[data-action=copy]').addEventListener('click', async () => {
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
