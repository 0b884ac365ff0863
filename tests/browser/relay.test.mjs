// The public relay in a real headless Chromium: a real hub (monitoring this
// machine) pushes its feed to a real relay; the relay's page shows the
// machine live, read-only: no alerts or rules pages, no REST detail or
// history, and never a request the relay does not serve.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run, stop, launchBrowser, BIN } from './harness.mjs';

const WAIT_MS = 20000;
const KEY = 'browser-relay-key-0123456789';

let hub, relay, browser, page, dataDir;
const requests = [];

before(async () => {
  const [httpPort, grpcPort, relayPort] = [await freePort(), await freePort(), await freePort()];
  dataDir = mkdtempSync(join(tmpdir(), 'sysmonstm-relay-browser-'));
  relay = run(join(BIN, 'sysmonstm-relay'), ['--listen', `127.0.0.1:${relayPort}`, '--api-key', KEY]);
  hub = run(join(BIN, 'sysmonstm-hub'), ['--http-addr', `127.0.0.1:${httpPort}`, '--grpc-addr', `127.0.0.1:${grpcPort}`,
    '--data-dir', dataDir, '--machine-id', 'relayed-hub',
    '--relay-url', `ws://127.0.0.1:${relayPort}/ingest`, '--relay-api-key', KEY]);
  ({ browser, page } = await launchBrowser(`http://127.0.0.1:${relayPort}/`, relay));
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
});

after(async () => {
  await browser?.close();
  await stop(hub);
  await stop(relay);
  rmSync(dataDir, { recursive: true, force: true });
});

const card = (id) => page.locator(`article.card[data-machine-id="${id}"]`);

test('the hub\'s machine appears on the relay and stays live', async () => {
  await card('relayed-hub').waitFor({ timeout: WAIT_MS });
  await page.waitForSelector('body[data-live="true"]', { timeout: WAIT_MS });
  const first = await card('relayed-hub').getAttribute('data-sample-ts');
  await page.waitForFunction(
    ([id, ts]) => document.querySelector(`article.card[data-machine-id="${id}"]`).dataset.sampleTs !== ts,
    ['relayed-hub', first], { timeout: WAIT_MS });
  assert.equal(await page.locator('[data-count=online] b').textContent(), '1');
});

test('the page is read-only: no alerts or rules pages', async () => {
  assert.equal(await page.locator('.nav a[href="#/rules"]').isVisible(), false);
  assert.equal(await page.locator('.nav a[href="#/alerts"]').isVisible(), false);
  assert.equal(await page.locator('#add-machine-open').isVisible(), false, 'a relay adds no machines');
  await page.evaluate(() => { location.hash = '#/rules'; });
  await page.locator('#fleet').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#rules-page').isVisible(), false);
  await page.evaluate(() => { location.hash = '#/'; });
});

test('the machine view shows live charts from the relay alone', async () => {
  await card('relayed-hub').click();
  await page.locator('#detail [data-field=read-only]').waitFor({ timeout: WAIT_MS });
  await page.waitForFunction(() => document.querySelector('#detail [data-field=sub]').textContent.includes('online'));
  assert.equal(await page.locator('#detail [data-field=title]').textContent(), 'relayed-hub');
  assert.match(await page.locator('#detail [data-field=sub]').textContent(), /^(host \S+ · )?online · /);
  assert.ok(await page.locator('#detail [data-chart=cpumem] canvas').count() > 0, 'CPU/memory chart drawn');
  assert.equal(await page.locator('#detail [data-field=cores]').isVisible(), false);
  const served = (p) => p === '/' || p === '/ws' || p === '/style.css' || p.startsWith('/js/') || p.startsWith('/vendor/');
  const strays = requests.filter((p) => !served(p));
  assert.deepEqual(strays, [], `requests the relay does not serve: ${strays}`);
});
