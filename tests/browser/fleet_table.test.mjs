// The fleet table with 10,000 simulated machines (hub/examples/fake_fleet.rs,
// real protocol, a sample every 5 s each): every machine is a row, only the
// rows in view are in the DOM, columns sort, the filter applies, scrolling
// reaches the end, and selected rows take bulk label changes and removal.
// Correctness only; smoothness is measured by hand (docs/architecture.md).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run, stop, launchBrowser, BIN } from './harness.mjs';

const MACHINES = 10000;
const WAIT_MS = 120000;
const ADMIN = 'fleet-table-admin-token';
let hub, fleet, browser, page, dataDir, base;

before(async () => {
  const httpPort = await freePort();
  const grpcPort = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), 'sysmonstm-table-'));
  hub = run(join(BIN, 'sysmonstm-hub'), ['--http-addr', `127.0.0.1:${httpPort}`, '--grpc-addr', `127.0.0.1:${grpcPort}`,
    '--data-dir', dataDir, '--no-local-agent', '--admin-token', ADMIN]);
  fleet = run(join(BIN, 'examples/fake_fleet'), ['--hub', `http://127.0.0.1:${grpcPort}`, '--machines', String(MACHINES), '--interval', '5s']);
  base = `http://127.0.0.1:${httpPort}/`;
  const answer = (dialog) => dialog.type() === 'prompt' ? dialog.accept(ADMIN) : dialog.accept();
  ({ browser, page } = await launchBrowser(base, hub, answer));
});

after(async () => {
  await browser?.close();
  await stop(fleet);
  await stop(hub);
  rmSync(dataDir, { recursive: true, force: true });
});

const rows = () => page.$$eval('#fleet-table tbody tr[data-machine-id]', (trs) => trs.map((tr) => tr.dataset.machineId));
const column = (key) => page.$$eval(`#fleet-table tbody tr[data-machine-id] td[data-col=${key}]`, (tds) => tds.map((td) => td.textContent));

test('ten thousand machines are rows, and only those in view are drawn', async () => {
  await page.selectOption('#view', 'table');
  await page.waitForFunction((n) => document.querySelector('#fleet-table').dataset.rows === String(n), MACHINES, { timeout: WAIT_MS });
  const drawn = (await rows()).length;
  assert.ok(drawn > 10 && drawn < 200, `${drawn} rows in the DOM`);
  assert.equal(await page.locator('#cards article.card').count(), 0, 'no cards behind the table');
  assert.equal(await page.locator('[data-count=online] b').textContent(), String(MACHINES));
});

test('columns sort both ways, and scrolling reaches the last machine', async () => {
  await page.click('#fleet-table th[data-sort=name]');
  await page.waitForFunction(() => document.querySelector('#fleet-table tbody tr[data-machine-id]')?.dataset.machineId === 'fake-00000', null, { timeout: WAIT_MS });
  assert.deepEqual((await rows()).slice(0, 3), ['fake-00000', 'fake-00001', 'fake-00002']);
  await page.$eval('#fleet-table [data-field=scroll]', (el) => { el.scrollTop = el.scrollHeight; });
  await page.waitForFunction(() => [...document.querySelectorAll('#fleet-table tbody tr[data-machine-id]')].at(-1)?.dataset.machineId === 'fake-09999', null, { timeout: WAIT_MS });
  assert.ok(Number(await page.locator('#fleet-table').getAttribute('data-first')) > 9000, 'the top rows left the DOM');
  await page.click('#fleet-table th[data-sort=disk]');
  await page.$eval('#fleet-table [data-field=scroll]', (el) => { el.scrollTop = 0; });
  await page.waitForFunction(() => document.querySelector('#fleet-table th[data-sort=disk]').dataset.active === 'down'
    && document.querySelector('#fleet-table').dataset.first === '0');
  const disks = (await column('disk')).map(parseFloat);
  assert.ok(disks.every((v, i) => i === 0 || disks[i - 1] >= v), `descending: ${disks.slice(0, 8)}`);
  assert.equal(disks[0], 89, 'the fullest disk first (40 % + 49)');
  await page.click('#fleet-table th[data-sort=disk]');
  await page.waitForFunction(() => document.querySelector('#fleet-table th[data-sort=disk]').dataset.active === 'up');
  assert.equal(parseFloat((await column('disk'))[0]), 40);
});

test('the filter applies to the table', async () => {
  await page.fill('#filter', 'role=db');
  await page.waitForFunction((n) => document.querySelector('#fleet-table').dataset.rows === String(n), MACHINES / 4, { timeout: WAIT_MS });
  await page.fill('#filter', 'fake-0999');
  await page.waitForFunction(() => document.querySelector('#fleet-table').dataset.rows === '10', null, { timeout: WAIT_MS });
});

test('selected rows take bulk labels, lose them, and are removed', async () => {
  await page.click('#fleet-table th[data-sort=name]');
  await page.waitForFunction(() => document.querySelector('#fleet-table th[data-sort=name]').dataset.active === 'up');
  const picked = ['fake-09990', 'fake-09991', 'fake-09992'];
  for (const id of picked) await page.check(`#fleet-table tr[data-machine-id="${id}"] input[type=checkbox]`);
  assert.equal(await page.locator('#fleet-table [data-field=selected-count]').textContent(), '3');
  await page.fill('#fleet-table [data-field=add-label]', 'team=storage, rack=r7');
  await page.click('#fleet-table [data-action=add-label]');
  await page.waitForFunction(() => document.querySelector('#fleet-table [data-field=bulk-status]').textContent === 'Labelling: 3 done', null, { timeout: WAIT_MS });
  const labelsOf = async (id) => (await (await fetch(new URL(`api/machines/${id}`, base))).json()).labels;
  for (const id of picked) assert.equal((await labelsOf(id)).team, 'storage', id);
  assert.equal((await labelsOf('fake-09993')).team, undefined, 'an unselected machine is untouched');
  await page.fill('#fleet-table [data-field=drop-label]', 'rack');
  await page.click('#fleet-table [data-action=drop-label]');
  await page.waitForFunction(() => document.querySelector('#fleet-table [data-field=bulk-status]').textContent === 'Removing labels: 3 done', null, { timeout: WAIT_MS });
  assert.equal((await labelsOf('fake-09990')).rack, undefined);
  assert.equal((await labelsOf('fake-09990')).team, 'storage');

  // They are online: the first pass is refused, the confirmation forces it.
  await page.click('#fleet-table [data-action=remove]');
  await page.waitForFunction(() => document.querySelector('#fleet-table [data-field=bulk-status]').textContent === 'Removing online machines: 3 done', null, { timeout: WAIT_MS });
  await page.waitForFunction(() => document.querySelector('#fleet-table').dataset.rows === '7', null, { timeout: WAIT_MS });
  for (const id of picked) assert.equal((await fetch(new URL(`api/machines/${id}`, base))).status, 404, id);
  assert.equal(await page.locator('#fleet-table [data-field=bulk]').isHidden(), true, 'nothing selected any more');
  await page.fill('#filter', '');
  await page.screenshot({ path: join(dataDir, 'table.png') });
});
