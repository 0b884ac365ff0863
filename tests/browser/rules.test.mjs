// The rules page and alerts in a real headless Chromium: create a rule in
// the editor (a validation error shows beside its field first), see it fire
// (banner, card badge, alerts page with the process snapshot), disable it
// and see the alert resolve.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run, stop, launchBrowser, BIN } from './harness.mjs';

const TOKEN = 'browser-admin-token';
const WAIT_MS = 20000;
let hub, browser, page, dataDir;

before(async () => {
  const httpPort = await freePort();
  const grpcPort = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), 'sysmonstm-rules-'));
  hub = run(join(BIN, 'sysmonstm-hub'), ['--http-addr', `127.0.0.1:${httpPort}`, '--grpc-addr', `127.0.0.1:${grpcPort}`,
    '--data-dir', dataDir, '--machine-id', 'rules-hub', '--admin-token', TOKEN]);
  const answer = (dialog) => dialog.type() === 'prompt' ? dialog.accept(TOKEN) : dialog.accept();
  ({ browser, page } = await launchBrowser(`http://127.0.0.1:${httpPort}/#/rules`, hub, answer));
});

after(async () => {
  await browser?.close();
  await stop(hub);
  rmSync(dataDir, { recursive: true, force: true });
});

test('the rules page lists the default rules', async () => {
  await page.waitForSelector('#rules-page tr[data-rule-id]', { timeout: WAIT_MS });
  assert.equal(await page.locator('#rules-page tr[data-rule-id]').count(), 4);
});

test('a rule is created in the editor, with field errors shown beside the field', async () => {
  await page.click('[data-action=new]');
  await page.fill('form[data-rule-form] [name=name]', 'Browser CPU rule');
  await page.fill('form[data-rule-form] [name=metric]', 'cpu_percent');
  await page.selectOption('form[data-rule-form] [name=comparison]', '>=');
  await page.fill('form[data-rule-form] [name=threshold]', 'lots');
  await page.selectOption('form[data-rule-form] [name=severity]', 'critical');
  await page.click('form[data-rule-form] button[type=submit]');
  await page.waitForFunction(() => document.querySelector('[data-error-for=threshold]').textContent.length > 0, null, { timeout: WAIT_MS });
  assert.match(await page.locator('[data-error-for=threshold]').textContent(), /threshold/);
  await page.fill('form[data-rule-form] [name=threshold]', '0');
  // A bad label key is shown beside the labels field, naming the label.
  await page.fill('form[data-rule-form] [name=labels]', 'Env=prod');
  await page.click('form[data-rule-form] button[type=submit]');
  await page.waitForFunction(() => document.querySelector('[data-error-for=labels]').textContent.length > 0, null, { timeout: WAIT_MS });
  assert.match(await page.locator('[data-error-for=labels]').textContent(), /Env|key/);
  await page.fill('form[data-rule-form] [name=labels]', '');
  await page.click('form[data-rule-form] button[type=submit]');
  await page.waitForSelector('#rules-page tr[data-rule-id] >> text=Browser CPU rule', { timeout: WAIT_MS });
  assert.equal(await page.locator('#rules-page tr[data-rule-id]').count(), 5);
});

test('the rule fires: banner, card badge and alerts page', async () => {
  await page.waitForSelector('#banner:not([hidden])', { timeout: WAIT_MS });
  await page.click('a[href="#/"]');
  await page.waitForSelector('article.card[data-machine-id="rules-hub"] [data-field=alerts]:not([hidden])', { timeout: WAIT_MS });
  await page.click('#banner');
  await page.waitForSelector('#alerts-page [data-field=firing-list] tr[data-alert-id]', { timeout: WAIT_MS });
  // Default rules may fire too on the machine running the tests (a full disk).
  const row = page.locator('#alerts-page [data-field=firing-list] tr[data-alert-id]', { hasText: 'Browser CPU rule' });
  await row.waitFor({ timeout: WAIT_MS });
  assert.match(await row.locator('summary').first().textContent(), /[1-9]\d* processes/);
});

test('disabling the rule resolves its alert', async () => {
  await page.click('a[href="#/rules"]');
  const row = page.locator('#rules-page tr[data-rule-id]', { hasText: 'Browser CPU rule' });
  // One alert fewer (default rules may keep firing on the test machine).
  const before = Number(await page.locator('#banner [data-field=firing-count]').textContent());
  await row.locator('[data-action=toggle]').uncheck();
  await page.waitForFunction((n) => {
    const banner = document.querySelector('#banner');
    const count = Number(banner.querySelector('[data-field=firing-count]').textContent);
    return n === 1 ? banner.hidden : count === n - 1;
  }, before, { timeout: WAIT_MS });
  await page.waitForSelector('#rules-page tr[data-rule-id]', { timeout: WAIT_MS });
  const toggled = page.locator('#rules-page tr[data-rule-id]', { hasText: 'Browser CPU rule' }).locator('[data-action=toggle]');
  assert.equal(await toggled.isChecked(), false);
});
