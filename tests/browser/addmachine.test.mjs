// "Add machine" in a real headless Chromium: the dialog issues an agent
// token for the id (asking for the admin token) and shows the one-line
// install command; the test runs exactly that line in sh (with --prefix and
// --no-service added: no systemd here; as root, so without sudo), starts
// the agent it installed, and the machine appears on the dashboard. The
// Tokens page lists the token and revokes it, which disconnects the agent.
// A glob gives a line without an id. A hub without an agent binary says so
// in the dialog.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run, stop, launchBrowser, gotoWhenUp, BIN } from './harness.mjs';

const WAIT_MS = 20000;
const ADMIN = 'admin-token-for-the-browser-test';

let hub, agent, browser, page, dataDir, work;

async function startHub(extra) {
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sysmonstm-add-'));
  const child = run(join(BIN, 'sysmonstm-hub'), ['--http-addr', `127.0.0.1:${httpPort}`,
    '--grpc-addr', `127.0.0.1:${grpcPort}`, '--data-dir', dir, '--no-local-agent', ...extra]);
  return { child, dir, url: `http://127.0.0.1:${httpPort}/` };
}

before(async () => {
  let url;
  ({ child: hub, dir: dataDir, url } = await startHub(['--admin-token', ADMIN]));
  work = mkdtempSync(join(tmpdir(), 'sysmonstm-install-'));
  // The admin token prompt, and the confirmation before revoking.
  ({ browser, page } = await launchBrowser(url, hub, (d) => d.accept(d.type() === 'prompt' ? ADMIN : undefined)));
});

after(async () => {
  await browser?.close();
  await stop(agent);
  await stop(hub);
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

test('the dialog issues a token and a line that installs an agent; revoking it disconnects the agent', async () => {
  await page.click('#add-machine-open');
  const dialog = page.locator('#add-machine');
  await dialog.waitFor({ state: 'visible', timeout: WAIT_MS });
  assert.equal(await dialog.locator('[data-field=problem]').isHidden(), true, 'this hub has an agent to hand out');
  const create = dialog.locator('[data-action=create]');

  await dialog.locator('input[name=machine_id]').fill('web 9');
  assert.equal(await dialog.locator('[data-field=invalid]').isVisible(), true, 'a bad id is pointed out');
  assert.equal(await create.isDisabled(), true, 'and no token is issued for it');
  await dialog.locator('input[name=machine_id]').fill('web-9');
  assert.equal(await dialog.locator('[data-field=invalid]').isHidden(), true);
  await dialog.locator('input[name=labels]').fill('env=prod, team=web');
  await create.click();
  const command = dialog.locator('[data-field=command]');
  await command.waitFor({ state: 'visible', timeout: WAIT_MS });
  const line = await command.textContent();
  const origin = new URL(page.url()).origin;
  const shown = line.match(/^curl -fsSL (\S+)\/install\.sh \| sudo sh -s -- --machine-id web-9 --token '(smt_[0-9a-f]{32})'$/);
  assert.ok(shown, `the line: ${line}`);
  assert.equal(shown[1], origin);
  const secret = shown[2];

  const prefix = join(work, 'opt');
  execFileSync('sh', ['-c', `${line.replace('| sudo sh', '| sh')} --prefix ${prefix} --no-service`], { stdio: 'pipe' });
  const installed = join(prefix, 'bin/sysmonstm-agent');
  assert.ok(existsSync(installed), 'the agent is installed');
  const tokenFile = join(prefix, 'etc/sysmonstm/agent.token');
  assert.equal(readFileSync(tokenFile, 'utf8'), `${secret}\n`, 'the issued token is what the agent presents');

  // Started as the script says, it shows up on the page that gave the line.
  const env = Object.fromEntries(readFileSync(join(prefix, 'etc/sysmonstm/agent.env'), 'utf8').split('\n')
    .filter((l) => l && !l.startsWith('#')).map((l) => l.split(/=(.*)/s).slice(0, 2)));
  agent = spawn(installed, [], {
    env: { ...process.env, ...env, SYSMONSTM_TOKEN_FILE: tokenFile }, stdio: 'ignore',
  });
  await dialog.locator('button[value=close]').click();
  const card = page.locator('article.card[data-machine-id="web-9"]');
  await card.waitFor({ timeout: WAIT_MS });
  await page.waitForFunction(() => !document.querySelector('article.card[data-machine-id="web-9"]').classList.contains('offline'), null, { timeout: WAIT_MS });
  assert.deepEqual(await card.locator('.label-chip').allTextContents(), ['env=prod', 'team=web'], "the token's labels");

  // The Tokens page lists it (never its secret) and revokes it.
  await page.click('.nav a[href="#/tokens"]');
  const row = page.locator('#tokens-page tr[data-token-id]');
  await row.waitFor({ timeout: WAIT_MS });
  assert.equal(await row.count(), 1);
  assert.equal(await row.locator('[data-field=state]').textContent(), 'active');
  assert.match(await row.textContent(), /web-9/);
  assert.ok(!(await page.locator('#tokens-page').textContent()).includes(secret), 'no secret on the page');
  await row.locator('[data-action=revoke]').click();
  await page.locator('#tokens-page tr[data-token-id] [data-field=state]', { hasText: 'revoked' }).waitFor({ timeout: WAIT_MS });
  await page.click('.nav a[href="#/"]');
  await page.waitForFunction(() => document.querySelector('article.card[data-machine-id="web-9"]').classList.contains('offline'), null, { timeout: WAIT_MS });
});

test('a glob gives one line for many machines, each reporting under its host name', async () => {
  await page.click('#add-machine-open');
  const dialog = page.locator('#add-machine');
  await dialog.locator('input[name=machine_id]').fill('web-*');
  assert.equal(await dialog.locator('[data-field=glob-hint]').isVisible(), true);
  await dialog.locator('select[name=expires]').selectOption('30d');
  await dialog.locator('[data-action=create]').click();
  const command = dialog.locator('[data-field=command]');
  await command.waitFor({ state: 'visible', timeout: WAIT_MS });
  assert.match(await command.textContent(), /\| sudo sh -s -- --token 'smt_[0-9a-f]{32}'$/);
  assert.equal(await dialog.locator('[data-field=token-glob]').textContent(), 'web-*');
  // Editing the form hides a line that no longer fits it.
  await dialog.locator('input[name=machine_id]').fill('db-*');
  assert.equal(await command.isHidden(), true);
  await dialog.locator('button[value=close]').click();
});

test('a hub without an agent binary says why in the dialog', async () => {
  const bare = await startHub(['--agent-binary', join(work, 'no-such-agent')]);
  const other = await browser.newPage();
  try {
    await gotoWhenUp(other, bare.url, bare.child);
    await other.click('#add-machine-open');
    const problem = other.locator('#add-machine [data-field=problem]');
    await problem.waitFor({ state: 'visible', timeout: WAIT_MS });
    const text = await problem.textContent();
    assert.match(text, /no agent binary at .*no-such-agent/);
    assert.match(text, /--agent-binary/);
  } finally {
    await other.close();
    await stop(bare.child);
    rmSync(bare.dir, { recursive: true, force: true });
  }
});
