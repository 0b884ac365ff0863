// The dashboard in a real headless Chromium: a running hub (the real binary,
// monitoring this machine through its own agent) and a second real agent.
// Checks that a card appears and its values change, counts, filter, the
// detail view, an agent going offline, and the connection indicator.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { freePort, run, stop, launchBrowser, BIN } from './harness.mjs';

const WAIT_MS = 20000;

let hub, agent, browser, page, dataDir, url, grpcPort;
const ADMIN = 'admin-token-of-the-dashboard-test';

before(async () => {
  const httpPort = await freePort();
  grpcPort = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), 'sysmonstm-browser-'));
  hub = run(join(BIN, 'sysmonstm-hub'), ['--http-addr', `127.0.0.1:${httpPort}`, '--grpc-addr', `127.0.0.1:${grpcPort}`,
    '--data-dir', dataDir, '--machine-id', 'browser-hub', '--max-disk', '2GiB', '--admin-token', ADMIN]);
  url = `http://127.0.0.1:${httpPort}/`;
  // The admin token when asked; yes to every confirmation (removing a machine).
  const answer = (dialog) => dialog.type() === 'prompt' ? dialog.accept(ADMIN) : dialog.accept();
  ({ browser, page } = await launchBrowser(url, hub, answer));
});

after(async () => {
  await browser?.close();
  await stop(agent);
  await stop(hub);
  rmSync(dataDir, { recursive: true, force: true });
});

const card = (id) => page.locator(`article.card[data-machine-id="${id}"]`);

test('the hub\'s own machine appears and its values change', async () => {
  await card('browser-hub').waitFor({ timeout: WAIT_MS });
  await page.waitForSelector('body[data-live="true"]', { timeout: WAIT_MS });
  assert.equal(await page.locator('#conn').textContent(), 'live');
  const first = await card('browser-hub').getAttribute('data-sample-ts');
  await page.waitForFunction(
    ([id, ts]) => document.querySelector(`article.card[data-machine-id="${id}"]`).dataset.sampleTs !== ts,
    ['browser-hub', first], { timeout: WAIT_MS });
  const cpu = await card('browser-hub').locator('[data-field=cpu]').textContent();
  assert.match(cpu, /^\d+\.\d%$/);
  const memWidth = await card('browser-hub').locator('[data-bar=memory]').evaluate((el) => parseFloat(el.style.width));
  assert.ok(memWidth > 0, `memory bar width ${memWidth}`);
  assert.equal(await page.locator('[data-count=online] b').textContent(), '1');
});

test('the storage panel shows what the history takes of --max-disk', async () => {
  const panel = page.locator('#storage');
  await panel.waitFor({ state: 'visible', timeout: WAIT_MS });
  assert.match(await panel.locator('[data-field=used]').textContent(), /^[\d.]+ (B|KiB|MiB) of 2\.0 GiB \(--max-disk\)$/);
  const width = await panel.locator('[data-bar=storage]').evaluate((el) => parseFloat(el.style.width));
  assert.ok(width >= 0 && width < 5, `a nearly empty store: ${width}%`);
  for (const field of ['raw', 'minute', 'hour']) {
    assert.ok(await panel.locator(`[data-field=${field}]`).textContent(), field);
  }
  await panel.locator('summary').click();
  const tables = await panel.locator('.storage-tables td:first-child').allTextContents();
  for (const table of ['samples_recent', 'chunks', 'samples_1m', 'samples_1h']) assert.ok(tables.includes(table), `${table} in ${tables}`);
});

test('a second agent adds a card; filter hides and shows it', async () => {
  agent = run(join(BIN, 'sysmonstm-agent'), ['--hub', `http://127.0.0.1:${grpcPort}`, '--machine-id', 'browser-agent', '--interval', '500ms']);
  await card('browser-agent').waitFor({ timeout: WAIT_MS });
  await page.waitForFunction(() => document.querySelector('[data-count=online] b').textContent === '2', null, { timeout: WAIT_MS });
  await page.fill('#filter', 'browser-agent');
  await page.waitForFunction(() => document.querySelector('article.card[data-machine-id="browser-hub"]').hidden);
  assert.equal(await card('browser-agent').isVisible(), true);
  await page.fill('#filter', '');
  await card('browser-hub').waitFor({ state: 'visible' });
});

test('a card is titled with its machine id, the hostname under it', async () => {
  // Both machines run on this host: their ids tell them apart, not the hostname.
  for (const id of ['browser-hub', 'browser-agent']) {
    assert.equal(await card(id).locator('.card-title').textContent(), id);
    const host = card(id).locator('.card-host');
    if (hostname() !== id) {
      assert.equal(await host.textContent(), hostname());
      assert.equal(await host.isVisible(), true, `${id}: hostname shown`);
    }
  }
});

test('a display name and labels set at the hub show at once', async () => {
  const res = await fetch(new URL('api/machines/browser-agent', url), {
    method: 'PATCH',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ display_name: 'Agent one', labels: { env: 'prod' } }),
  });
  assert.equal(res.status, 200, await res.text());
  await page.waitForFunction(() => document.querySelector('article.card[data-machine-id="browser-agent"] .card-title').textContent === 'Agent one',
    null, { timeout: WAIT_MS });
  assert.equal(await card('browser-agent').locator('.card-host').textContent(), 'browser-agent', 'the id under the name');
  assert.deepEqual(await card('browser-agent').locator('.label-chip').allTextContents(), ['env=prod']);
  await page.fill('#filter', 'env=prod');
  await page.waitForFunction(() => document.querySelector('article.card[data-machine-id="browser-hub"]').hidden);
  await page.fill('#filter', '');
});

test('the detail view shows cores, processes and host', async () => {
  await card('browser-hub').click();
  await page.waitForSelector('#detail:not([hidden]) [data-field=procs] tbody tr', { timeout: WAIT_MS });
  const rows = await page.locator('[data-field=procs] tbody tr').count();
  assert.ok(rows >= 1 && rows <= 5, `${rows} process rows`);
  const cores = await page.locator('[data-field=cores] .bar-row').count();
  assert.ok(cores >= 1);
  assert.match(await page.locator('[data-field=host]').textContent(), /Kernel/);
  assert.equal(await page.locator('#detail [data-field=title]').textContent(), 'browser-hub');
  // The live charts span their five minutes up to now, from the first point on.
  for (const chart of ['cpumem', 'net']) {
    const el = page.locator(`[data-chart=${chart}]`);
    await page.waitForFunction((c) => document.querySelector(`[data-chart=${c}]`).dataset.xTo, chart, { timeout: WAIT_MS });
    const [from, to] = [Number(await el.getAttribute('data-x-from')), Number(await el.getAttribute('data-x-to'))];
    assert.equal(to - from, 300, `${chart}: ${from}..${to}`);
    assert.ok(Math.abs(to - Date.now() / 1000) < 30, `${chart} ends now: ${to}`);
  }
  // History from the store: points for the default range, then for another range.
  await page.waitForFunction(() => Number(document.querySelector('[data-field=history]')?.dataset.points) > 0, null, { timeout: WAIT_MS });
  assert.equal(await page.locator('[data-field=history]').getAttribute('data-resolution'), 'raw');
  await page.click('[data-range="7d"]');
  await page.waitForFunction(() => document.querySelector('[data-field=history]').dataset.resolution === '1h', null, { timeout: WAIT_MS });
  assert.equal(await page.locator('[data-range="7d"]').getAttribute('class'), 'active');
  const canvases = await page.locator('[data-field=history] canvas').count();
  assert.ok(canvases >= 6, `${canvases} history charts`);
  await page.screenshot({ path: join(dataDir, 'detail.png') });
  await page.click('text=← all machines');
  await page.waitForSelector('#fleet:not([hidden])');
});

test('the settings panel renames, relabels and re-times a machine, naming a bad field', async () => {
  await card('browser-agent').click();
  const form = page.locator('form[data-settings-form]');
  await page.waitForFunction(() => document.querySelector('form[data-settings-form] [name=labels]')?.value === 'env=prod', null, { timeout: WAIT_MS });
  assert.equal(await form.locator('[name=display_name]').inputValue(), 'Agent one');
  await form.locator('[name=labels]').fill('team=ops');
  await form.locator('[name=interval]').fill('2x');
  await form.locator('button[type=submit]').click();
  await page.waitForFunction(() => document.querySelector('[data-error-for=interval]').textContent.length > 0, null, { timeout: WAIT_MS });
  assert.match(await page.locator('[data-error-for=interval]').textContent(), /2x/);
  await form.locator('[name=interval]').fill('2s');
  await form.locator('[name=display_name]').fill('Agent two');
  await form.locator('button[type=submit]').click();
  await page.waitForFunction(() => document.querySelector('[data-field=settings-status]').textContent === 'Saved.', null, { timeout: WAIT_MS });
  const settings = (await (await fetch(new URL('api/machines/browser-agent', url))).json()).settings;
  assert.deepEqual(settings, { labels: { team: 'ops' }, display_name: 'Agent two', interval: '2s' }, 'env removed, team set');
  await page.waitForFunction(() => document.querySelector('#detail [data-field=title]').textContent.startsWith('Agent two'), null, { timeout: WAIT_MS });
  await page.screenshot({ path: join(dataDir, 'settings.png') });
  await page.click('text=← all machines');
  await page.waitForSelector('#fleet:not([hidden])');
});

test('a stopped agent turns its card offline', async () => {
  await stop(agent);
  await page.waitForSelector('article.card.offline[data-machine-id="browser-agent"]', { timeout: WAIT_MS });
  assert.equal(await page.locator('[data-count=offline] b').textContent(), '1');
  assert.equal(await card('browser-agent').locator('[data-field=health]').textContent(), 'offline');
});

test('removing a machine from its page drops its card', async () => {
  await card('browser-agent').click();
  await page.waitForSelector('form[data-settings-form] [data-action=remove]', { timeout: WAIT_MS });
  await page.click('form[data-settings-form] [data-action=remove]');
  await page.waitForSelector('#fleet:not([hidden])', { timeout: WAIT_MS });
  await card('browser-agent').waitFor({ state: 'detached', timeout: WAIT_MS });
  assert.equal((await fetch(new URL('api/machines/browser-agent', url))).status, 404);
  assert.equal(await page.locator('[data-count=offline] b').textContent(), '0');
});

test('the audit page lists the changes made, newest first, and filters them', async () => {
  await page.click('.nav a[href="#/audit"]');
  await page.waitForSelector('#audit-page tr[data-audit-id]', { timeout: WAIT_MS });
  const actions = await page.$$eval('#audit-page tr[data-audit-id]', (rows) => rows.map((r) => r.dataset.action));
  assert.deepEqual(actions, ['machine.remove', 'machine.update', 'machine.update'], 'the removal, the panel save, the first PATCH');
  assert.match(await page.locator('#audit-page tr[data-audit-id]').first().textContent(), /browser-agent/);
  assert.ok(!(await page.locator('#audit-page').textContent()).includes(ADMIN), 'the admin token is not shown');
  await page.selectOption('#audit-page [data-field=action]', 'machine.remove');
  await page.waitForFunction(() => document.querySelectorAll('#audit-page tr[data-audit-id]').length === 1, null, { timeout: WAIT_MS });
  await page.click('.nav a[href="#/"]');
});

test('the connection indicator shows a lost hub', async () => {
  await stop(hub);
  await page.waitForSelector('body[data-live="false"]', { timeout: WAIT_MS });
  assert.equal(await page.locator('#conn').textContent(), 'reconnecting…');
});
