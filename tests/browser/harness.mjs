// Shared by the browser tests: free ports, processes, Chromium.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = process.env.SYSMONSTM_BIN_DIR || join(ROOT, 'target/debug');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const STARTUP_TRIES = 100;
const STARTUP_PAUSE_MS = 200;

export function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => ok(port)); });
  });
}

export function run(path, args) {
  const child = spawn(path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.log = '';
  child.stderr.on('data', (d) => { child.log += d; });
  return child;
}

export function stop(child) {
  return new Promise((ok) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return ok();
    child.once('exit', ok);
    child.kill('SIGTERM');
  });
}

// Launches Debian's Chromium headless and opens `url`, waiting for the hub
// to listen. `onDialog` (optional) answers prompts and confirms: it is set
// before the page opens, since a page may ask for the admin token as it
// first renders (an unanswered dialog is dismissed).
export async function launchBrowser(url, hub, onDialog) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => { throw e; });
  if (onDialog) page.on('dialog', onDialog);
  await gotoWhenUp(page, url, hub);
  return { browser, page };
}

// Opens `url` in `page`, retrying while the server `hub` (a child) starts.
export async function gotoWhenUp(page, url, hub) {
  for (let i = 0; ; i++) {
    try { return await page.goto(url); } catch (e) {
      if (i > STARTUP_TRIES) throw new Error(`server did not come up: ${e}\n${hub.log}`);
      await new Promise((r) => setTimeout(r, STARTUP_PAUSE_MS));
    }
  }
}
