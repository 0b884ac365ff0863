// "Add machine" in a real headless Chromium: the dialog builds the one-line
// install command, the test runs exactly that line in sh (with --prefix and
// --no-service added: no systemd here; as root, so without sudo), starts
// the agent it installed, and the machine appears on the dashboard. A hub
// without an agent binary says so in the dialog.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run, stop, launchBrowser, gotoWhenUp, BIN } from './harness.mjs';

const WAIT_MS = 20000;

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
  ({ child: hub, dir: dataDir, url } = await startHub([]));
  work = mkdtempSync(join(tmpdir(), 'sysmonstm-install-'));
  ({ browser, page } = await launchBrowser(url, hub));
});

after(async () => {
  await browser?.close();
  await stop(agent);
  await stop(hub);
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

test('the dialog gives a line that installs an agent, and the machine appears', async () => {
  await page.click('#add-machine-open');
  const dialog = page.locator('#add-machine');
  await dialog.waitFor({ state: 'visible', timeout: WAIT_MS });
  assert.equal(await dialog.locator('[data-field=problem]').isHidden(), true, 'this hub has an agent to hand out');

  await dialog.locator('input[name=machine_id]').fill('web 9');
  assert.equal(await dialog.locator('[data-field=invalid]').isVisible(), true, 'a bad id is pointed out');
  await dialog.locator('input[name=machine_id]').fill('web-9');
  await dialog.locator('input[name=token]').fill("t'ok");
  assert.equal(await dialog.locator('[data-field=invalid]').isHidden(), true);
  const command = await dialog.locator('[data-field=command]').textContent();
  const origin = new URL(page.url()).origin;
  assert.equal(command, `curl -fsSL ${origin}/install.sh | sudo sh -s -- --machine-id web-9 --token 't'\\''ok'`);

  const prefix = join(work, 'opt');
  const line = `${command.replace('| sudo sh', '| sh')} --prefix ${prefix} --no-service`;
  execFileSync('sh', ['-c', line], { stdio: 'pipe' });
  const installed = join(prefix, 'bin/sysmonstm-agent');
  assert.ok(existsSync(installed), 'the agent is installed');
  const tokenFile = join(prefix, 'etc/sysmonstm/agent.token');
  assert.equal(readFileSync(tokenFile, 'utf8'), "t'ok\n", 'the token survives the shell quoting');

  // Started as the script says, it shows up on the page that gave the line.
  const env = Object.fromEntries(readFileSync(join(prefix, 'etc/sysmonstm/agent.env'), 'utf8').split('\n')
    .filter((l) => l && !l.startsWith('#')).map((l) => l.split(/=(.*)/s).slice(0, 2)));
  agent = spawn(installed, [], {
    env: { ...process.env, ...env, SYSMONSTM_TOKEN_FILE: tokenFile }, stdio: 'ignore',
  });
  await dialog.locator('button[value=close]').click();
  await page.locator('article.card[data-machine-id="web-9"]').waitFor({ timeout: WAIT_MS });
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
