// The dashboard with 1,000 simulated machines (hub/examples/fake_fleet.rs,
// real protocol): every card renders, counts add up, filter and sort work,
// and updates modify cards in place instead of re-creating them.
// Correctness only; smoothness is measured by hand (see docs/architecture.md).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run, stop, launchBrowser, BIN } from './harness.mjs';

const MACHINES = 1000;
const WAIT_MS = 60000;
let hub, fleet, browser, page, dataDir;

before(async () => {
  const httpPort = await freePort();
  const grpcPort = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), 'sysmonstm-fleet-'));
  hub = run(join(BIN, 'sysmonstm-hub'), ['--http-addr', `127.0.0.1:${httpPort}`, '--grpc-addr', `127.0.0.1:${grpcPort}`,
    '--data-dir', dataDir, '--no-local-agent']);
  fleet = run(join(BIN, 'examples/fake_fleet'), ['--hub', `http://127.0.0.1:${grpcPort}`, '--machines', String(MACHINES)]);
  ({ browser, page } = await launchBrowser(`http://127.0.0.1:${httpPort}/`, hub));
});

after(async () => {
  await browser?.close();
  await stop(fleet);
  await stop(hub);
  rmSync(dataDir, { recursive: true, force: true });
});

test('a thousand machines render, counted once each', async () => {
  await page.waitForFunction((n) => document.querySelectorAll('article.card').length === n, MACHINES, { timeout: WAIT_MS });
  await page.waitForFunction((n) => document.querySelector('[data-count=online] b').textContent === String(n), MACHINES, { timeout: WAIT_MS });
  const ids = await page.$$eval('article.card', (cards) => new Set(cards.map((c) => c.dataset.machineId)).size);
  assert.equal(ids, MACHINES);
});

test('updates change cards in place', async () => {
  await page.$$eval('article.card', (cards) => cards.forEach((c) => { c.__marker = true; }));
  const before = await page.$eval('article.card[data-machine-id="fake-00007"]', (c) => c.dataset.sampleTs);
  await page.waitForFunction((ts) => document.querySelector('article.card[data-machine-id="fake-00007"]').dataset.sampleTs !== ts,
    before, { timeout: WAIT_MS });
  const kept = await page.$$eval('article.card', (cards) => cards.filter((c) => c.__marker).length);
  assert.equal(kept, MACHINES, 'every card element survived the updates');
});

test('filter and sort', async () => {
  await page.fill('#filter', 'fake-0099');
  await page.waitForFunction(() => [...document.querySelectorAll('article.card')].filter((c) => !c.hidden).length === 10);
  // Labels: the fake fleet's role=db is every fourth machine, env=prod every other one.
  const shown = () => page.$$eval('article.card', (cards) => cards.filter((c) => !c.hidden).map((c) => c.dataset.machineId));
  await page.fill('#filter', 'role=db');
  await page.waitForFunction((n) => [...document.querySelectorAll('article.card')].filter((c) => !c.hidden).length === n, MACHINES / 4);
  assert.ok((await shown()).every((id) => Number(id.slice(5)) % 4 === 0));
  await page.fill('#filter', 'env=dev role!=db fake-0000');
  await page.waitForFunction(() => [...document.querySelectorAll('article.card')].filter((c) => !c.hidden).length === 5);
  assert.deepEqual(await shown(), ['fake-00001', 'fake-00003', 'fake-00005', 'fake-00007', 'fake-00009']);
  const chips = await page.$$eval('article.card[data-machine-id="fake-00004"] .label-chip', (els) => els.map((e) => e.textContent));
  assert.deepEqual(chips, ['env=prod', 'role=db'], 'a card shows its labels');
  await page.fill('#filter', '');
  await page.selectOption('#sort', 'name');
  await page.waitForFunction(() => document.querySelector('article.card').dataset.machineId === 'fake-00000');
  const first = await page.$$eval('article.card', (cards) => cards.slice(0, 3).map((c) => c.dataset.machineId));
  assert.deepEqual(first, ['fake-00000', 'fake-00001', 'fake-00002']);
});

test('grouping by a label puts each group under its heading', async () => {
  await page.selectOption('#group', 'role');
  await page.waitForFunction(() => document.querySelectorAll('#cards .group-head').length === 2);
  const heads = await page.$$eval('#cards .group-head', (els) => els.map((e) => e.textContent));
  assert.deepEqual(heads, ['role=db · 250 machines', 'role=web · 750 machines']);
  // Every card after the web heading is a web machine.
  const order = await page.$$eval('#cards > *', (els) => els.map((e) => e.dataset.group ?? e.dataset.machineId));
  const web = order.indexOf('web');
  assert.equal(web, 251, 'db heading, 250 db cards, then the web heading');
  assert.ok(order.slice(1, web).every((id) => Number(id.slice(5)) % 4 === 0));
  // The filter counts per group; a group with nothing shown hides its heading.
  await page.fill('#filter', 'role=web');
  await page.waitForFunction(() => document.querySelector('#cards .group-head[data-group=db]').hidden);
  assert.equal(await page.locator('#cards .group-head[data-group=web]').textContent(), 'role=web · 750 machines');
  await page.fill('#filter', '');
  await page.selectOption('#group', '');
  await page.waitForFunction(() => document.querySelectorAll('#cards .group-head').length === 0);
});
