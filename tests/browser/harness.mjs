// Shared by the real-Chromium tests: a static server over the repository (so
// pages import /js/dist/... like an app would) and Debian's Chromium launched
// the way docs/toolchain.md says (nothing is downloaded).
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';
export const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };

/** Headers that make a page cross-origin isolated (shared memory, wasm threads). */
export const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

/** `{ isolated: true }` sends ISOLATION_HEADERS with every file; `{ wasmType }`
 * replaces application/wasm (a server that does not know .wasm files). */
export function serve({ isolated = false, wasmType = TYPES['.wasm'] } = {}) {
  const extra = isolated ? ISOLATION_HEADERS : {};
  const types = { ...TYPES, '.wasm': wasmType };
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    const file = join(ROOT, path);
    if (!file.startsWith(ROOT)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', ...extra }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The URL of an empty page of the test origin (OPFS and IndexedDB are per origin). */
export function blankUrl(server) {
  return `http://127.0.0.1:${server.address().port}/tests/browser/blank.html`;
}

/** A new page of `owner` (a browser or a context) on the blank page of
 * `server`'s origin, with the errors it throws collected in `errors`. */
export async function blankPage(owner, server) {
  const page = await owner.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(blankUrl(server));
  return { page, errors };
}

export function launch() {
  if (!existsSync(CHROMIUM)) throw new Error('Debian chromium is required (npm test installs it)');
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/**
 * Chromium on a profile kept in `userDataDir` (a normal profile, as users have):
 * contexts of launch() are off-the-record, and there Chromium keeps OPFS in
 * memory behind the browser process, so each sync-handle read is a round trip
 * (measured: ~0.5 ms per 4 KiB read, against microseconds on a disk profile).
 * Benchmarks of OPFS reads need this one. Returns the persistent context.
 */
export function launchPersistent(userDataDir) {
  if (!existsSync(CHROMIUM)) throw new Error('Debian chromium is required (npm test installs it)');
  return chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, args: FLAGS });
}

/**
 * Chromium started by us (not by playwright) on a persistent profile, so the
 * test can SIGKILL the whole browser (its process group) and start it again on
 * the same profile. Playwright attaches over CDP.
 */
export async function launchOwned(userDataDir) {
  const portFile = join(userDataDir, 'DevToolsActivePort');
  // A SIGKILLed browser leaves its port file and its profile lock behind;
  // every process of it is gone (the whole group was killed), so they are stale.
  for (const stale of ['DevToolsActivePort', 'SingletonLock', 'SingletonSocket', 'SingletonCookie']) {
    rmSync(join(userDataDir, stale), { force: true });
  }
  const child = spawn(CHROMIUM, [...FLAGS, `--user-data-dir=${userDataDir}`, '--remote-debugging-port=0', 'about:blank'],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => { stderr += c; });
  const deadline = Date.now() + 20_000;
  let port;
  for (;;) {
    // Written by Chromium once the debugging port is open (first line: the port).
    const m = existsSync(portFile) && /^(\d+)/.exec(readFileSync(portFile, 'utf8'));
    if (m) { port = Number(m[1]); break; }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`chromium did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    browser,
    context: browser.contexts()[0],
    pid: child.pid,
    exited,
    /**
     * SIGKILL to the browser's process group; resolves once none of its
     * processes is still running. The browser process exiting is not enough:
     * a killed storage process stuck in fsync holds IndexedDB's LevelDB lock
     * until the kernel lets it go, and a browser started on the profile
     * before that fails indexedDB.open ("Internal error opening backing
     * store", seen once in CI).
     */
    async kill() {
      process.kill(-child.pid, 'SIGKILL');
      const result = await exited;
      await waitGroupGone(child.pid, 20_000);
      return result;
    },
  };
}

/** Pids of processes in group `pgid` that have not exited (zombies have: their locks are released). */
function liveGroupMembers(pgid) {
  const live = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') live.push(Number(name));
  }
  return live;
}

async function waitGroupGone(pgid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = liveGroupMembers(pgid);
    if (live.length === 0) return;
    if (Date.now() > deadline) throw new Error(`processes ${live.join(', ')} of the killed browser still run after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
