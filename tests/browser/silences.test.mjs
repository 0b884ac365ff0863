// Silencing and acknowledging in a real headless Chromium: a firing alert
// is silenced from its row on the alerts page (it shows silenced, and the
// silence is listed as active), acknowledged (it shows who), the silence
// is expired from the silences page, and a maintenance window with a bad
// time zone is refused beside the field.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run, stop, launchBrowser, BIN } from './harness.mjs';

const TOKEN = 'browser-admin-token';
const WAIT_MS = 20000;
let hub, browser, page, dataDir, base;

before(async () => {
  const httpPort = await freePort();
  const grpcPort = await freePort();
  base = `http://127.0.0.1:${httpPort}`;
  dataDir = mkdtempSync(join(tmpdir(), 'sysmonstm-silences-'));
  hub = run(join(BIN, 'sysmonstm-hub'), ['--http-addr', `127.0.0.1:${httpPort}`, '--grpc-addr', `127.0.0.1:${grpcPort}`,
    '--data-dir', dataDir, '--machine-id', 'silence-hub', '--admin-token', TOKEN]);
  ({ browser, page } = await launchBrowser(`${base}/#/alerts`, hub, (dialog) => dialog.type() === 'prompt'
    ? dialog.accept(dialog.message().startsWith('Admin token') ? TOKEN : 'on it') : dialog.accept()));
  const res = await fetch(`${base}/api/rules`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Always busy', metric: 'cpu_percent', comparison: '>=', threshold: 0 }) });
  assert.equal(res.status, 201);
});

after(async () => {
  await browser?.close();
  await stop(hub);
  rmSync(dataDir, { recursive: true, force: true });
});

const firingRow = () => page.locator('#alerts-page [data-field=firing-list] tr[data-alert-id]', { hasText: 'Always busy' });

test('an alert is silenced from its row and shows it', async () => {
  await firingRow().waitFor({ timeout: WAIT_MS });
  await firingRow().locator('[data-action=silence]').click();
  await firingRow().locator('[data-field=silenced]').waitFor({ timeout: WAIT_MS });
  const silences = await (await fetch(`${base}/api/silences`)).json();
  assert.equal(silences.length, 1);
  assert.equal(silences[0].state, 'active');
  assert.equal(silences[0].machines, 'silence-hub');
  assert.ok(silences[0].rule_id, 'only that rule');
});

test('the alert is acknowledged and shows who', async () => {
  await firingRow().locator('[data-action=ack]').click();
  await firingRow().locator('[data-field=acked]').waitFor({ timeout: WAIT_MS });
  assert.match(await firingRow().locator('[data-field=acked]').textContent(), /acknowledged by admin:/);
  assert.equal(await firingRow().locator('[data-action=ack]').count(), 0, 'no second acknowledgement');
});

test('the silences page lists it, refuses a bad window beside its field, and expires it', async () => {
  await page.click('a[href="#/silences"]');
  const row = page.locator('#silences-page tr[data-silence-id]');
  await row.first().waitFor({ timeout: WAIT_MS });
  assert.match(await row.first().textContent(), /active/);
  await page.selectOption('form[data-silence-form] [name=mode]', 'weekly');
  await page.fill('form[data-silence-form] [name=time_zone]', 'Mars/Olympus');
  await page.click('form[data-silence-form] button[type=submit]');
  const error = page.locator('[data-error-for="recurring.time_zone"]');
  await page.waitForFunction(() => document.querySelector('[data-error-for="recurring.time_zone"]').textContent.length > 0, null, { timeout: WAIT_MS });
  assert.match(await error.textContent(), /time zone/);
  await row.first().locator('[data-action=expire]').click();
  await page.locator('#silences-page tr[data-silence-id] .badge', { hasText: 'expired' }).waitFor({ timeout: WAIT_MS });
  await page.click('a[href="#/alerts"]');
  await firingRow().waitFor({ timeout: WAIT_MS });
  await page.waitForFunction(() => ![...document.querySelectorAll('#alerts-page [data-field=firing-list] [data-field=silenced]')].length, null, { timeout: WAIT_MS });
});
