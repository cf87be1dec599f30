// The demo page (demo/) in real Chromium, on a persistent profile so OPFS is on
// disk as for users: built from the committed catalogue sample (the build is
// reused while its inputs are unchanged), loaded, searched as a user types;
// then offline (the service worker serves the page, the worker opens the index
// from OPFS); a thumbs-up moves a package up, and the taught ranking survives
// a reload; a second build replaces the first in the cache; the IndexedDB
// fallback. Screenshots go to build/demo-test/screenshots/ (the README's come
// from `npm run bench:demo`, on the full catalogue).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchPersistent, ROOT } from './harness.mjs';
import { buildDemoIndex } from '../../scripts/demo_data.mjs';
import { buildDemo } from '../../demo/build.mjs';
import { serveStatic } from '../../demo/server.mjs';

const WORK = join(ROOT, 'build', 'demo-test');
const SHOTS = join(WORK, 'screenshots');
const QUERY = 'play music from the terminal';

let server;
let context;
let page;
let profile;
let siteA;
let siteB;
let serving;
const requests = [];
const errors = [];

test.before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const quiet = () => undefined;
  const { out: index } = await buildDemoIndex({ sample: true, out: join(WORK, 'debian-sample.nvx'), log: quiet });
  siteA = buildDemo({ index, out: join(WORK, 'site-a'), label: 'test build A', log: quiet }).out;
  siteB = buildDemo({ index, out: join(WORK, 'site-b'), label: 'test build B', log: quiet }).out;
  serving = siteA;
  server = await serveStatic(() => serving, { onRequest: (path) => requests.push(path) });
  profile = mkdtempSync(join(tmpdir(), 'neurovec-demo-profile-'));
  context = await launchPersistent(profile);
  page = context.pages()[0] ?? (await context.newPage());
  await page.setViewportSize({ width: 1100, height: 860 });
  page.on('pageerror', (e) => errors.push(String(e)));
});

test.after(async () => {
  await context?.close();
  server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const url = () => `http://127.0.0.1:${server.address().port}/`;

async function ready(p = page) {
  await p.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 60_000 });
  const state = await p.evaluate(() => ({ state: document.body.dataset.state, error: document.getElementById('error').textContent }));
  assert.equal(state.state, 'ready', `the page did not start: ${state.error}`);
  return p.evaluate(() => window.neurovecDemo.info);
}

/** Types a query the way a user does and returns the result ids, best first. */
async function search(query, p = page) {
  await p.fill('input[type=search]', '');
  await p.type('input[type=search]', query, { delay: 5 });
  await p.waitForFunction((q) => document.body.dataset.query === q && document.querySelector('[data-id]'), query, { timeout: 20_000 });
  return p.$$eval('#results [data-id]', (els) => els.map((e) => e.dataset.id));
}

test('the page loads, and typing a query shows packages, best first', async () => {
  await page.goto(url());
  const info = await ready();
  assert.equal(info.storage, 'opfs');
  assert.equal(info.documents, 2053);
  assert.equal(info.copied, true);
  const ids = await search(QUERY);
  assert.equal(ids.length, 10);
  // What each result shows; and the ranking makes sense (loosely: the encoder is retrained from time to time).
  const shown = await page.$$eval('#results [data-id]', (els) => els.map((el) => ({
    id: el.dataset.id, name: el.querySelector('.name').textContent, section: el.querySelector('.section').textContent,
    synopsis: el.querySelector('.synopsis').textContent,
  })));
  assert.deepEqual(shown.map((r) => r.id), ids);
  for (const r of shown) {
    assert.equal(r.name, r.id);
    assert.ok(r.section && r.synopsis, `${r.id} shows its section and synopsis`);
  }
  assert.ok(shown.slice(0, 3).some((r) => /music|audio|sound/i.test(r.synopsis)), 'a top result is about music');
  assert.match(await page.textContent('#timing'), /encode (<0\.1|[\d.]+) ms \+ search (<0\.1|[\d.]+) ms/);
  // The three rankings side by side.
  await page.check('input[name=mode][value=compare]');
  await page.waitForFunction(() => document.querySelectorAll('#results .column').length === 3);
  await page.check('input[name=mode][value=hybrid]');
  await page.waitForFunction(() => document.querySelectorAll('#results .column').length === 1);
  await page.screenshot({ path: join(SHOTS, 'search.png') });
  assert.deepEqual(errors, []);
});

test('offline: after the first visit the page reloads and searches without the network', async () => {
  await page.waitForFunction(() => document.body.dataset.offline === 'ready', null, { timeout: 60_000 });
  const version = JSON.parse(readFileSync(join(siteA, 'build.json'), 'utf8')).version;
  assert.equal(await page.textContent('#build-version'), version);
  await context.setOffline(true);
  const before = requests.length;
  try {
    await page.reload();
    const info = await ready();
    assert.equal(info.copied, false, 'the index is opened from OPFS, not copied again');
    assert.equal(info.encoderLoaded, false, 'the read-only open leaves the encoder\'s weights in the file');
    await page.waitForFunction(() => window.neurovecDemo.encoderReadyAt !== undefined, null, { timeout: 20_000 });
    const ids = await search('scan paper documents');
    assert.ok(ids.length > 0);
    // Only the browser's own update check of sw.js (not subject to the page's
    // offline emulation) may reach the server: the page, its code, the wasm and
    // the index come from the cache and OPFS.
    const reached = requests.slice(before).filter((p) => p !== '/sw.js');
    assert.deepEqual(reached, [], 'no request of the page reached the server');
  } finally {
    await context.setOffline(false);
  }
});

test('a thumbs-up moves a package up for similar queries, and survives a reload', async () => {
  const ids = await search(QUERY);
  const target = ids[6];
  await page.click(`#results [data-id="${target}"] .thumb.up`);
  await page.waitForFunction((t) => {
    const ids = [...document.querySelectorAll('#results [data-id]')].map((e) => e.dataset.id);
    return ids.indexOf(t) >= 0 && ids.indexOf(t) < 6;
  }, target, { timeout: 20_000 });
  const taught = await page.$$eval('#results [data-id]', (els) => els.map((e) => e.dataset.id));
  const badge = await page.$eval(`#results [data-id="${target}"] .badge`, (el) => el.textContent);
  assert.match(badge, /^▲\d+$/, 'a rank-change badge');
  await page.screenshot({ path: join(SHOTS, 'learned.png') });

  // Before learning: the ranking without feedback is the original one.
  await page.check('#before');
  await page.waitForFunction((t) => document.querySelectorAll('#results [data-id]')[6]?.dataset.id === t, target);
  await page.uncheck('#before');

  // The same query written differently (case, punctuation) moves it up too; how far meaning
  // carries a click to other wordings depends on the encoder (bench:demo's screenshot shows one).
  const similar = await search('Play music from the terminal!');
  assert.ok(similar.indexOf(target) >= 0 && similar.indexOf(target) < 6, `similar query: ${similar.join(' ')}`);

  await page.reload();
  const info = await ready();
  assert.equal(info.feedbackEvents, 1);
  assert.deepEqual(await search(QUERY), taught, 'the taught ranking after a reload');

  // Reset: the original ranking again, and nothing learned after a reload.
  await page.click('#reset');
  await page.waitForFunction((t) => document.querySelectorAll('#results [data-id]')[6]?.dataset.id === t, target);
  await page.reload();
  assert.equal((await ready()).feedbackEvents, 0);
  assert.deepEqual(errors, []);
});

test('a new build replaces the cached one (one cache, the new version)', async () => {
  const ids = await search(QUERY);
  await page.click(`#results [data-id="${ids[4]}"] .thumb.up`);
  await page.waitForFunction(() => window.neurovecDemo.info && document.querySelector('.badge'));
  const oldVersion = JSON.parse(readFileSync(join(siteA, 'build.json'), 'utf8')).version;
  const newVersion = JSON.parse(readFileSync(join(siteB, 'build.json'), 'utf8')).version;
  assert.notEqual(oldVersion, newVersion);
  serving = siteB;
  // The browser checks sw.js on navigation; the new worker fills its cache,
  // takes over, and the page reloads itself onto the new build.
  await page.reload();
  await page.waitForFunction((v) => document.getElementById('build-version')?.textContent === v, newVersion, { timeout: 60_000 });
  await ready();
  const caches = await page.evaluate(() => caches.keys());
  assert.deepEqual(caches, [`neurovec-demo-${newVersion}`]);
  assert.match(await page.textContent('#offline'), /test build B/);
  // Same index in both builds: what was learned is kept.
  assert.equal((await page.evaluate(() => window.neurovecDemo.info)).feedbackEvents, 1);
  assert.ok((await search(QUERY)).length > 0);
});

test('export and import the index as a file; a file that is not an index is refused and changes nothing', async () => {
  await search(QUERY);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const saved = join(WORK, 'exported.nvx');
  await download.saveAs(saved);
  const bytes = readFileSync(saved);
  assert.equal(bytes.subarray(0, 8).toString('latin1'), 'NEUROVEC', 'an index file');
  assert.ok(bytes.length > 1 << 20, `the export holds the whole index (${bytes.length} bytes)`);
  const before = await page.evaluate(() => window.neurovecDemo.info.feedbackEvents);

  await page.setInputFiles('#import', { name: 'not-an-index.nvx', mimeType: 'application/octet-stream', buffer: Buffer.from('hello, not an index') });
  await page.waitForFunction(() => !document.getElementById('error').hidden);
  assert.match(await page.textContent('#error'), /^Import failed \(the index in use is unchanged\): /);
  assert.ok((await search('edit photos')).length > 0, 'search still works');

  await page.setInputFiles('#import', saved);
  await page.waitForFunction(() => /Imported exported\.nvx/.test(document.getElementById('flash')?.textContent ?? ''));
  assert.equal(await page.evaluate(() => document.getElementById('error').hidden), true, 'the error was cleared');
  assert.deepEqual(await search(QUERY), await search(QUERY));
  await page.reload();
  const info = await ready();
  assert.equal(info.feedbackEvents, before, 'what was learned travels inside the exported file');
  assert.equal(info.documents, 2053);
  // A reset forgets it too, for good.
  await page.click('#reset');
  await page.waitForFunction(() => document.getElementById('reset').disabled);
  await page.reload();
  assert.equal((await ready()).feedbackEvents, 0);
});

test('where OPFS is missing, the index lives in IndexedDB', async () => {
  const other = await context.newPage();
  try {
    other.on('pageerror', (e) => errors.push(String(e)));
    await other.goto(`${url()}?idb`);
    const info = await ready(other);
    assert.equal(info.storage, 'indexedDB');
    assert.ok((await search(QUERY, other)).length > 0);
    assert.match(await other.textContent('#storage'), /IndexedDB/);
    await other.reload();
    assert.equal((await ready(other)).copied, false);
  } finally {
    await other.close();
  }
  assert.deepEqual(errors, []);
});
