// The channels page in a real headless Chromium: a refused field is shown
// beside it, a signed webhook channel is created and its test reaches a
// receiver (with its signature), a rule notifies it, and the alert's
// deliveries show on the alerts page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run, stop, launchBrowser, BIN } from './harness.mjs';

const TOKEN = 'browser-admin-token';
const SECRET = 'browser test signing secret';
const WAIT_MS = 20000;
let hub, browser, page, dataDir, receiver;
const received = [];

before(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => { received.push({ path: req.url, headers: req.headers, body }); res.end('{}'); });
  });
  await new Promise((done) => receiver.listen(0, '127.0.0.1', done));
  const httpPort = await freePort();
  const grpcPort = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), 'sysmonstm-channels-'));
  hub = run(join(BIN, 'sysmonstm-hub'), ['--http-addr', `127.0.0.1:${httpPort}`, '--grpc-addr', `127.0.0.1:${grpcPort}`,
    '--data-dir', dataDir, '--machine-id', 'channels-hub', '--admin-token', TOKEN, '--allow-private-webhooks']);
  const answer = (dialog) => dialog.type() === 'prompt' ? dialog.accept(TOKEN) : dialog.accept();
  ({ browser, page } = await launchBrowser(`http://127.0.0.1:${httpPort}/#/channels`, hub, answer));
});

after(async () => {
  await browser?.close();
  await stop(hub);
  receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const hookUrl = () => `http://127.0.0.1:${receiver.address().port}/hook`;

test('a refused field is shown beside it', async () => {
  await page.waitForSelector('#channels-page [data-action=new]', { timeout: WAIT_MS });
  await page.click('#channels-page [data-action=new]');
  await page.selectOption('form[data-channel-form] [name=kind]', 'ntfy');
  await page.fill('form[data-channel-form] [name=name]', 'phone');
  await page.fill('form[data-channel-form] [name=url]', `http://127.0.0.1:${receiver.address().port}/`);
  await page.click('form[data-channel-form] button[type=submit]');
  await page.waitForFunction(() => document.querySelector('[data-error-for=url]')?.textContent.length > 0, null, { timeout: WAIT_MS });
  assert.match(await page.locator('[data-error-for=url]').textContent(), /topic/);
  await page.click('form[data-channel-form] [data-action=cancel]');
});

test('a signed webhook channel is created and its test reaches the receiver', async () => {
  await page.click('#channels-page [data-action=new]');
  await page.selectOption('form[data-channel-form] [name=kind]', 'webhook');
  await page.fill('form[data-channel-form] [name=name]', 'ops hook');
  await page.fill('form[data-channel-form] [name=url]', hookUrl());
  await page.fill('form[data-channel-form] [name=secret]', SECRET);
  await page.click('form[data-channel-form] button[type=submit]');
  const row = page.locator('#channels-page tr[data-channel-id]', { hasText: 'ops hook' });
  await row.waitFor({ timeout: WAIT_MS });
  assert.match(await row.locator('.where').textContent(), /\(signed\)/);
  assert.ok(!(await page.content()).includes(SECRET), 'the secret is never shown back');
  await row.locator('[data-action=test]').click();
  await row.locator('[data-field=outcome].ok').waitFor({ timeout: WAIT_MS });
  assert.match(await row.locator('[data-field=outcome]').textContent(), /sent in \d+ ms/);
  const got = received.find((r) => r.path === '/hook');
  assert.ok(got, 'the receiver got the test');
  const mac = createHmac('sha256', SECRET).update(`${got.headers['x-sysmonstm-timestamp']}.${got.body}`).digest('hex');
  assert.equal(got.headers['x-sysmonstm-signature'], `sha256=${mac}`);
  assert.equal(JSON.parse(got.body).test, true);
});

test('a rule notifies the channel, and the alert shows its deliveries', async () => {
  await page.click('a[href="#/rules"]');
  await page.waitForSelector('#rules-page [data-action=new]', { timeout: WAIT_MS });
  await page.click('#rules-page [data-action=new]');
  await page.fill('form[data-rule-form] [name=name]', 'Notify CPU');
  await page.selectOption('form[data-rule-form] [name=comparison]', '>=');
  await page.fill('form[data-rule-form] [name=threshold]', '0');
  await page.locator('form[data-rule-form] .channel-picks label', { hasText: 'ops hook' }).locator('input').check();
  await page.click('form[data-rule-form] button[type=submit]');
  await page.waitForSelector('#rules-page tr[data-rule-id] >> text=Notify CPU', { timeout: WAIT_MS });
  const deadline = Date.now() + WAIT_MS;
  while (!received.some((r) => r.path === '/hook' && JSON.parse(r.body).test === false) && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 100));
  }
  const fired = received.find((r) => r.path === '/hook' && JSON.parse(r.body).test === false);
  assert.ok(fired, 'the rule notified the channel');
  assert.equal(JSON.parse(fired.body).alert.machine_id, 'channels-hub');
  await page.click('a[href="#/alerts"]');
  const row = page.locator('#alerts-page [data-field=history-list] tr[data-alert-id]', { hasText: 'Notify CPU' });
  await row.waitFor({ timeout: WAIT_MS });
  await row.locator('details[data-alert-id] summary').click();
  await row.locator('table.deliveries td', { hasText: 'sent' }).first().waitFor({ timeout: WAIT_MS });
  assert.match(await row.locator('table.deliveries').textContent(), /ops hook/);
});
