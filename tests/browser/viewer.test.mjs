// A hub started with --viewer-token: the dashboard asks for the token before
// showing anything, refuses a wrong one with the hub's message, and after
// the right one shows the live fleet (the hub's own machine) and keeps the
// sign-in across reloads (HttpOnly cookie, never visible to the page).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run, stop, launchBrowser, BIN } from './harness.mjs';

const VIEWER_TOKEN = 'viewer-token-0123456789';
const WAIT_MS = 30000;
let hub, browser, page, dataDir, base;

before(async () => {
  const httpPort = await freePort();
  const grpcPort = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), 'sysmonstm-viewer-'));
  base = `http://127.0.0.1:${httpPort}`;
  hub = run(join(BIN, 'sysmonstm-hub'), ['--http-addr', `127.0.0.1:${httpPort}`, '--grpc-addr', `127.0.0.1:${grpcPort}`,
    '--data-dir', dataDir, '--machine-id', 'viewer-self', '--viewer-token', VIEWER_TOKEN]);
  ({ browser, page } = await launchBrowser(`${base}/`, hub));
});

after(async () => {
  await browser?.close();
  await stop(hub);
  rmSync(dataDir, { recursive: true, force: true });
});

test('the API refuses reading without the token', async () => {
  const res = await fetch(`${base}/api/machines`);
  assert.equal(res.status, 401);
  assert.match((await res.json()).error, /viewer token/);
  assert.equal((await fetch(`${base}/api/machines`, { headers: { authorization: `Bearer ${VIEWER_TOKEN}` } })).status, 200);
  assert.equal((await fetch(`${base}/health`)).status, 200, 'probes stay open');
});

test('the page asks for the token, refuses a wrong one, then shows the fleet', async () => {
  await page.waitForSelector('#signin:not([hidden])', { timeout: WAIT_MS });
  assert.equal(await page.$$eval('article.card', (cards) => cards.length), 0, 'nothing shown before signing in');
  await page.fill('#signin input', 'not-the-token');
  await page.click('#signin button');
  await page.waitForSelector('#signin [data-field=error]:not([hidden])', { timeout: WAIT_MS });
  assert.match(await page.textContent('#signin [data-field=error]'), /wrong viewer token/);
  await page.fill('#signin input', VIEWER_TOKEN);
  await page.click('#signin button');
  await page.waitForSelector('#signin', { state: 'hidden', timeout: WAIT_MS });
  await page.waitForSelector('article.card[data-machine-id="viewer-self"]', { timeout: WAIT_MS });
  await page.waitForFunction(() => document.body.dataset.live === 'true', null, { timeout: WAIT_MS });
  assert.equal(await page.evaluate(() => document.cookie), '', 'the cookie is HttpOnly');
});

test('a reload stays signed in', async () => {
  await page.reload();
  await page.waitForSelector('article.card[data-machine-id="viewer-self"]', { timeout: WAIT_MS });
  assert.equal(await page.isHidden('#signin'), true);
});
