#!/usr/bin/env node
// `npm run bench:demo`: the demo page measured in real Chromium (Debian's,
// through playwright-core, on-disk profiles) with the full catalogue index
// (demo/data/debian.nvx; `npm run demo:data` makes it):
//   - first visit with a cold cache (a new profile each time) to usable search,
//     and to the first results of a query;
//   - reloads offline (context.setOffline) to usable search;
//   - encode + search per query, typed: every prefix of each query as a user
//     types it, in each mode, timed inside the worker by TextIndex (stats().lastSearch)
//     and as the page sees it (a round trip to the worker);
//   - the download: each file of the build, raw and gzip'd;
//   - screenshots for the README (docs/images/demo-search.png, demo-learned.png).
// Writes bench/results/demo.md and demo.json. `--sample` runs on the committed
// sample instead (quick check; does not write the README's screenshots).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchPersistent, ROOT } from '../tests/browser/harness.mjs';
import { buildDemoIndex } from '../scripts/demo_data.mjs';
import { buildDemo } from '../demo/build.mjs';
import { serveStatic } from '../demo/server.mjs';

const SAMPLE = process.argv.includes('--sample');
const COLD_RUNS = 3;
const RELOADS = 5;
const QUERIES = [
  'play music from the terminal', 'scan paper documents', 'edit photos', 'back up files to another machine',
  'read email in a text console', 'view pdf files', 'record the screen as a video', 'password manager',
  'web browser for the command line', 'compress files into an archive', 'draw diagrams', 'chat client for irc',
  'monitor network traffic', 'python library for http requests', 'convert video formats', 'spell checker',
  'tiling window manager', 'remote desktop viewer', 'check disk usage', 'edit subtitles for movies',
  'play chess against the computer', 'sync files between computers', 'take notes in markdown', 'find duplicate files',
];

const log = (...a) => console.log('[bench:demo]', ...a);
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const median = (xs) => quantile(xs, 0.5);
const f = (x, d = 2) => Number(x).toFixed(d);
const mib = (n) => (n < 2 ** 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 2 ** 20).toFixed(2)} MiB`);

const { out: index } = await buildDemoIndex({ sample: SAMPLE, log });
const site = buildDemo({ index, out: join(ROOT, 'build', 'demo-bench', SAMPLE ? 'site-sample' : 'site'), log }).out;
const build = JSON.parse(readFileSync(join(site, 'build.json'), 'utf8'));
const server = await serveStatic(site);
const url = `http://127.0.0.1:${server.address().port}/`;
const profiles = [];

async function fresh() {
  const dir = mkdtempSync(join(tmpdir(), 'neurovec-demo-bench-'));
  profiles.push(dir);
  const context = await launchPersistent(dir);
  const page = context.pages()[0] ?? (await context.newPage());
  await page.setViewportSize({ width: 1100, height: 860 });
  return { context, page };
}

async function ready(page) {
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 120_000 });
  const r = await page.evaluate(() => ({
    state: document.body.dataset.state, error: document.getElementById('error').textContent,
    readyAt: window.neurovecDemo.readyAt, info: window.neurovecDemo.info, timeline: window.neurovecDemo.timeline,
  }));
  if (r.state !== 'ready') throw new Error(`the page did not start: ${r.error}`);
  return r;
}

async function firstResults(page, query) {
  await page.fill('input[type=search]', query);
  await page.waitForFunction((q) => document.body.dataset.query === q && document.querySelector('[data-id]'), query);
  return page.evaluate(() => performance.now());
}

// When the worker had read the encoder's weights (ms since the navigation):
// searches by meaning from then on; before, the page answers by keywords.
async function meaningReady(page) {
  await page.waitForFunction(() => window.neurovecDemo.encoderReadyAt !== undefined, null, { timeout: 60_000 });
  return page.evaluate(() => ({ at: window.neurovecDemo.encoderReadyAt, encoderMs: window.neurovecDemo.encoderMs }));
}

const results = { machine: {}, cold: [], offline: [], offlineBusy: [], typed: {}, download: {} };
results.machine = { cpus: cpus().length, model: cpus()[0]?.model, loadavgBefore: loadavg().map((x) => f(x)), chromium: execFileSync('/usr/bin/chromium', ['--version']).toString().trim() };

try {
  // ---- cold first visits ----
  let keep;
  for (let i = 0; i < COLD_RUNS; i++) {
    const { context, page } = await fresh();
    await page.goto(url);
    const r = await ready(page);
    const resultsAt = await firstResults(page, QUERIES[0]);
    const meaning = await meaningReady(page);
    results.cold.push({ readyMs: r.readyAt, firstResultsMs: resultsAt, meaningMs: meaning.at, encoderMs: meaning.encoderMs, phases: r.info.phases, timeline: r.timeline });
    log(`cold visit ${i + 1}: usable ${f(r.readyAt, 0)} ms, first results ${f(resultsAt, 0)} ms`, JSON.stringify(r.info.phases));
    if (i === COLD_RUNS - 1) keep = { context, page };
    else await context.close();
  }
  const { context, page } = keep;
  await page.waitForFunction(() => document.body.dataset.offline === 'ready', null, { timeout: 120_000 });

  // ---- offline reloads ----
  await context.setOffline(true);
  for (let i = 0; i < RELOADS; i++) {
    await page.reload();
    const r = await ready(page);
    const resultsAt = await firstResults(page, QUERIES[(i + 1) % QUERIES.length]);
    const meaning = await meaningReady(page);
    results.offline.push({ readyMs: r.readyAt, firstResultsMs: resultsAt, meaningMs: meaning.at, encoderMs: meaning.encoderMs, phases: r.info.phases, timeline: r.timeline });
    log(`offline reload ${i + 1}: usable ${f(r.readyAt, 0)} ms, first results ${f(resultsAt, 0)} ms, meaning ${f(meaning.at, 0)} ms`, JSON.stringify(r.info.phases), JSON.stringify(r.timeline));
  }
  // The same reloads with one core kept busy by another process: how much the
  // figure above owes to a quiet machine (earlier runs on a shared VM were
  // 2-3x slower).
  const busy = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (let i = 0; i < RELOADS; i++) {
      await page.reload();
      const r = await ready(page);
      results.offlineBusy.push({ readyMs: r.readyAt, phases: r.info.phases, timeline: r.timeline });
      log(`offline reload ${i + 1}, one core busy: usable ${f(r.readyAt, 0)} ms`, JSON.stringify(r.info.phases));
    }
  } finally {
    busy.kill('SIGKILL');
  }

  // ---- typed queries: every prefix, each mode ----
  for (const mode of ['hybrid', 'semantic', 'keyword']) {
    const samples = await page.evaluate(async ({ queries, mode }) => {
      const out = [];
      for (const q of queries) {
        for (let n = 1; n <= q.length; n++) {
          const prefix = q.slice(0, n);
          if (!/[a-z0-9]/i.test(prefix)) continue;
          const t = performance.now();
          const r = await window.neurovecDemo.call('search', { query: prefix, k: 10, mode, useFeedback: true });
          out.push({ inside: r.encodeMs + r.searchMs, encode: r.encodeMs, search: r.searchMs, worker: r.totalMs, roundTrip: performance.now() - t });
        }
      }
      return out;
    }, { queries: QUERIES, mode });
    const pick = (k) => samples.map((s) => s[k]);
    results.typed[mode] = {
      searches: samples.length,
      insideP50: median(pick('inside')), insideP95: quantile(pick('inside'), 0.95), insideMax: Math.max(...pick('inside')),
      encodeP50: median(pick('encode')), searchP50: median(pick('search')),
      workerP50: median(pick('worker')), roundTripP50: median(pick('roundTrip')), roundTripP95: quantile(pick('roundTrip'), 0.95),
    };
    log(`typed ${mode}: ${samples.length} searches, encode+search p50 ${f(results.typed[mode].insideP50, 3)} ms, p95 ${f(results.typed[mode].insideP95, 3)} ms, round trip p50 ${f(results.typed[mode].roundTripP50, 3)} ms`);
  }
  await context.setOffline(false);

  // ---- screenshots (full catalogue only) ----
  if (!SAMPLE) {
    const shots = join(ROOT, 'docs', 'images');
    mkdirSync(shots, { recursive: true });
    await page.evaluate(() => window.neurovecDemo.call('clear'));
    await page.reload();
    await ready(page);
    await page.fill('input[type=search]', '');
    await page.type('input[type=search]', QUERIES[0], { delay: 20 });
    await page.waitForFunction((q) => document.body.dataset.query === q && document.querySelector('[data-id]'), QUERIES[0]);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(shots, 'demo-search.png') });
    const ids = await page.$$eval('#results [data-id]', (els) => els.map((e) => e.dataset.id));
    const target = ids[5];
    await page.click(`#results [data-id="${target}"] .thumb.up`);
    await page.waitForFunction((t) => document.querySelector(`#results [data-id="${t}"] .badge`), target);
    // The next similar query shows the effect.
    await page.fill('input[type=search]', '');
    await page.type('input[type=search]', 'play music in a terminal', { delay: 20 });
    await page.waitForFunction(() => document.body.dataset.query === 'play music in a terminal' && document.querySelector('[data-id]'));
    await page.waitForTimeout(2800); // the "learned" notice fades
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(shots, 'demo-learned.png') });
    results.screenshotTarget = { query: QUERIES[0], similar: 'play music in a terminal', thumbsUp: target, was: 6,
      now: 1 + (await page.$$eval('#results [data-id]', (els) => els.map((e) => e.dataset.id))).indexOf(target) };
    await page.evaluate(() => window.neurovecDemo.call('clear'));
    log('screenshots: docs/images/demo-search.png, docs/images/demo-learned.png', JSON.stringify(results.screenshotTarget));
  }
  {
    // A thumb as the page sends it: applied in memory, appended to the journal in OPFS and flushed.
    const thumbs = await page.evaluate(async (queries) => {
      const out = [];
      for (const query of queries) {
        const shown = (await window.neurovecDemo.call('search', { query, k: 10, mode: 'hybrid' })).results.map((r) => r.id);
        const t = performance.now();
        await window.neurovecDemo.call('feedback', { query, clicked: [shown[3]], shown });
        out.push(performance.now() - t);
      }
      await window.neurovecDemo.call('clear');
      return out;
    }, QUERIES.slice(0, 9));
    results.thumbMs = { p50: median(thumbs), max: Math.max(...thumbs), runs: thumbs.length };
    log(`a thumb, journaled: p50 ${f(results.thumbMs.p50)} ms`);
  }
  await context.close();
} finally {
  server.close();
  for (const dir of profiles) rmSync(dir, { recursive: true, force: true });
}
results.machine.loadavgAfter = loadavg().map((x) => f(x));

// ---- download ----
const files = { ...build.precached, [build.index]: build.indexBytes };
for (const [name, bytes] of Object.entries(files)) {
  results.download[name] = { bytes, gzip: gzipSync(readFileSync(join(site, name)), { level: 6 }).length };
}
const total = Object.values(results.download).reduce((a, d) => a + d.bytes, 0);
const totalGzip = Object.values(results.download).reduce((a, d) => a + d.gzip, 0);

// ---- the index's parts (TextIndex.stats in Node) ----
const { TextIndex } = await import('neurovec/text');
const opened = await TextIndex.open(index, { readOnly: true });
opened.loadEncoder();  // a read-only open leaves the weights in the file: stats() counts them once read
const s = opened.stats();
results.index = { file: statSync(index).size, documents: s.documents, terms: s.terms, postings: s.postings, encoderBytes: s.encoderBytes, keywordBytes: s.keywordBytes, dimensions: s.dimensions };
opened.dispose();

// ---- how tiers would shrink it (TextIndex's tiers option, in Node) ----
// The same documents in a tiered index; the typed queries heat what they
// touch, recompress() moves the rest to compact codes; then the file's size,
// the vectors' memory, and semantic top-10 agreement with the shipped index.
{
  const { packageDocument, CATALOGUE, SAMPLE: SAMPLE_JSONL, ENCODER } = await import('../scripts/demo_data.mjs');
  const docs = readFileSync(SAMPLE ? SAMPLE_JSONL : CATALOGUE, 'utf8').split('\n').filter((l) => l.trim()).map((l) => packageDocument(JSON.parse(l)));
  const tiered = await TextIndex.create({ encoder: new Uint8Array(readFileSync(ENCODER)), seed: 42, tiers: { enabled: true } });
  tiered.addBatch(docs.map((d) => d.id), docs.map((d) => d.text), { metadata: docs.map((d) => d.metadata), chunkSize: 4000 });
  const plain = await TextIndex.open(index, { readOnly: true });
  for (const q of QUERIES) tiered.search(q, 10);
  const counts = tiered.recompress();
  let same = 0;
  let n = 0;
  for (const q of QUERIES) {
    const a = new Set(plain.search(q, 10, { mode: 'semantic' }).map((r) => r.id));
    for (const r of tiered.search(q, 10, { mode: 'semantic' })) same += a.has(r.id) ? 1 : 0;
    n += a.size;
  }
  const memory = tiered.stats().vectors.memory;
  results.tiers = { counts, fileBytes: (await tiered.toBytes()).length, vectorsBytes: docs.length * tiered.stats().dimensions * 4,
    vectorsIfReleased: memory?.tiers?.vectorsIfReleased, codes: memory?.codes, semanticAgreement10: same / n };
  plain.dispose();
  tiered.dispose();
  log('tiers:', JSON.stringify(results.tiers));
}

// What a durable TextIndex would pay per thumb instead: feedback then sync() (a checkpoint), in Node.
{
  const copy = join(mkdtempSync(join(tmpdir(), 'neurovec-demo-sync-')), 'index.nvx');
  writeFileSync(copy, readFileSync(index));
  const writable = await TextIndex.open(copy);
  const times = [];
  for (const q of QUERIES.slice(0, 3)) {
    const shown = writable.search(q, 10).map((r) => r.id);
    const t = performance.now();
    writable.feedback(q, { clicked: [shown[3]], shown });
    await writable.sync();
    times.push(performance.now() - t);
  }
  await writable.close();
  rmSync(join(copy, '..'), { recursive: true, force: true });
  results.syncPerThumbMs = { p50: median(times), runs: times.map((x) => Number(f(x, 0))) };
  log(`feedback + sync() per thumb in Node: ${results.syncPerThumbMs.runs.join(', ')} ms`);
}

writeFileSync(join(ROOT, 'bench', 'results', SAMPLE ? 'demo-sample.json' : 'demo.json'), `${JSON.stringify(results, null, 2)}\n`);

const cold = results.cold;
const off = results.offline;
// The open, three times in one Node process (the first in a fresh instance).
const OPEN_NOTE = (() => {
  const script = `import { TextIndex } from 'neurovec/text'; const out = []; for (let i = 0; i < 3; i++) { const t = performance.now(); ` +
    `const x = await TextIndex.open(${JSON.stringify(index)}, { readOnly: true }); out.push((performance.now() - t).toFixed(0)); x.dispose(); } console.log(out.join(', '));`;
  const ms = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT }).toString().trim();
  results.nodeOpens = ms;
  return `${ms} ms (three TextIndex.open calls, read-only, in one process: \`node --input-type=module -e "…"\` in bench/demo.mjs)`;
})();

// This machine's cost of touching memory for the first time (fresh pages from
// the OS) against touching it again, and how much wasm heap an open grows.
const MEMORY_NOTE = (() => {
  const fill = execFileSync(process.execPath, ['-e', `const n = 256 * 2 ** 20; let t = performance.now(); const a = new Uint8Array(n); a.fill(1);
    const first = performance.now() - t; t = performance.now(); a.fill(2); console.log(JSON.stringify({ first, again: performance.now() - t }));`]).toString();
  const heap = execFileSync(process.execPath, ['--input-type=module', '-e', `import { TextIndex } from 'neurovec/text'; import { VectorIndex } from 'neurovec';
    import { getModule } from './js/dist/wasm_module.js'; (await VectorIndex.create({ dimensions: 4 })).dispose(); const mod = await getModule();
    const before = mod.HEAPU8.length; const x = await TextIndex.open(${JSON.stringify(index)}, { readOnly: true });
    console.log(JSON.stringify({ before, after: mod.HEAPU8.length })); x.dispose();`], { cwd: ROOT }).toString();
  results.memory = { fill256MiB: JSON.parse(fill), heap: JSON.parse(heap) };
  const { first, again } = results.memory.fill256MiB;
  const { before, after } = results.memory.heap;
  return `Filling 256 MiB of fresh memory takes ${f(first, 0)} ms here and ${f(again, 0)} ms the second time ` +
    `(${f((256 / first) * 1000, 0)} MiB/s against ${f((256 / again) * 1000, 0)} MiB/s), and a first open grows the wasm heap from ` +
    `${mib(before)} to ${mib(after)} (besides the buffers its reads allocate in JS): on this VM, first touches of memory ` +
    'are a large part of a first open, and of the first visit\'s download too. A machine whose page faults are not this ' +
    'slow should do much better; that was not measured.';
})();

const quiet = Number(results.machine.loadavgBefore[0]) < results.machine.cpus / 2;
const LOAD_NOTE = quiet
  ? 'the machine was otherwise quiet when the run began'
  : 'other work shared the machine: figures are upper bounds of what a quiet machine gives';
const GOAL_NOTE = (() => {
  const first = median(cold.map((c) => c.readyMs));
  const reload = median(off.map((c) => c.readyMs));
  const busy = median(results.offlineBusy.map((c) => c.readyMs));
  const say = (ms, goal) => (ms < goal ? `met (${f(ms, 0)} ms)` : `missed (${f(ms, 0)} ms)`);
  return `In this run the first-visit goal (2 s) is ${say(first, 2000)}; the offline-reload goal (300 ms) is ` +
    `${say(reload, 300)}, and with one core busy ${say(busy, 300)}.`;
})();

const md = `# The demo in Chromium

\`npm run bench:demo\` (bench/demo.mjs): the demo page (demo/, built with Vite) served by demo/server.mjs on
127.0.0.1, driven by playwright-core in Debian's ${results.machine.chromium} (headless, on-disk profiles), over
the ${SAMPLE ? 'committed sample' : 'full catalogue'}: ${results.index.documents.toLocaleString('en')} packages, ${results.index.terms.toLocaleString('en')} terms,
${results.index.dimensions}-d encoder vectors. Machine: ${results.machine.cpus} cores (${results.machine.model}); load average
${results.machine.loadavgBefore.join(' / ')} before and ${results.machine.loadavgAfter.join(' / ')} after (${LOAD_NOTE}).

## Per query, typed (goal: encode + search p50 under 5 ms)

Each of ${QUERIES.length} queries typed a character at a time: every prefix is a search (k = 10), as the page does
while a user types. "Inside" is TextIndex's own timing in the worker (stats().lastSearch: encoding the
query, then the rest); "round trip" is what the page waits for (postMessage to the worker and back,
the search, and, once anything was learned, a second search without feedback for the rank badges; none here).
performance.now() in a page or worker that is not cross-origin isolated ticks in 0.1 ms steps, so the
in-worker figures are multiples of 0.1 ms (0.000 means under 0.1 ms).

| mode | searches | encode + search p50 | p95 | max | encode p50 | search p50 | page round trip p50 | p95 |
|---|---|---|---|---|---|---|---|---|
${Object.entries(results.typed).map(([m, t]) => `| ${m} | ${t.searches} | **${f(t.insideP50, 3)} ms** | ${f(t.insideP95, 3)} ms | ${f(t.insideMax, 1)} ms | ${f(t.encodeP50, 3)} ms | ${f(t.searchP50, 3)} ms | ${f(t.roundTripP50, 3)} ms | ${f(t.roundTripP95, 3)} ms |`).join('\n')}

A thumb as the page sends it (applied to the index in memory, appended to the journal in OPFS and
flushed, before the page hears back): **${f(results.thumbMs.p50)} ms** p50 round trip (max ${f(results.thumbMs.max)} ms,
${results.thumbMs.runs} thumbs). Keeping it with the index file instead (\`feedback\` then \`sync()\`, a checkpoint
of the whole file) takes ${results.syncPerThumbMs.runs.join(', ')} ms per thumb in Node: why the demo journals.

## Load (goals: first visit under 2 s, offline reload under 300 ms)

Milliseconds from the start of the navigation to usable search (the index open in the worker; the search
box answers), and to the first results of a query typed then. First visits: a new profile each
(cold HTTP cache, no service worker, empty OPFS), ${COLD_RUNS} runs; the service worker fills its cache
alongside. Offline: reloads with context.setOffline(true), the page from the service worker's cache,
the index from OPFS, ${RELOADS} runs.

| visit | usable (median) | runs | first results (median) | search by meaning from (median) |
|---|---|---|---|---|
| first, cold cache | **${f(median(cold.map((c) => c.readyMs)), 0)} ms** | ${cold.map((c) => f(c.readyMs, 0)).join(', ')} | ${f(median(cold.map((c) => c.firstResultsMs)), 0)} ms | ${f(median(cold.map((c) => c.meaningMs)), 0)} ms |
| reload, offline | **${f(median(off.map((c) => c.readyMs)), 0)} ms** | ${off.map((c) => f(c.readyMs, 0)).join(', ')} | ${f(median(off.map((c) => c.firstResultsMs)), 0)} ms | ${f(median(off.map((c) => c.meaningMs)), 0)} ms |
| reload, offline, one core busy | ${f(median(results.offlineBusy.map((c) => c.readyMs)), 0)} ms | ${results.offlineBusy.map((c) => f(c.readyMs, 0)).join(', ')} | | |

Usable: the index is open and the search box answers. The open leaves the encoder's weights in the file
(read-only opens do, since 2026-12-06): the worker reads them right after it says it is ready (encoder
read: ${f(median(off.map((c) => c.encoderMs)), 1)} ms median on offline reloads), and until then the page answers
searches by meaning or hybrid by keywords, marked so, and asks again once they are in. "First results" come
from a query typed the moment the page is usable (by keywords if they come before the weights are in);
"search by meaning from": when the weights were in.

The last row: the same reloads while another process keeps one of the ${results.machine.cpus} cores busy
(\`node -e "for (;;) {}"\`), to show how much the reload owes to a quiet machine. ${GOAL_NOTE}

Where the time goes (worker phases, medians, ms): first visit ${phaseLine(cold)}; offline reload ${phaseLine(off)}.
wasmMs: fetching and compiling the module; downloadMs / copyMs: the index over HTTP, then into OPFS
(first visit only); openMs: TextIndex.open of the OPFS copy, read-only (ids, metadata, the keyword
index and the encoder are read and decoded; vectors and level-0 graph lists are paged in by searches);
journalMs: replaying what was learned.

Before the worker opens anything (medians, ms since the navigation): the page's script starts at
${timeline(cold, 'pageStartAt')} (first visit) / ${timeline(off, 'pageStartAt')} (offline reload), the worker's module at
${timeline(cold, 'workerBootAt')} / ${timeline(off, 'workerBootAt')}, its init at ${timeline(cold, 'initStartAt')} / ${timeline(off, 'initStartAt')};
init itself (storage, download, open, journal) takes ${timeline(cold, 'initMs')} / ${timeline(off, 'initMs')}. In Node, on this machine,
the same file opens in ${OPEN_NOTE}.

History. 2026-12-07: the keyword index's 2 million postings are no longer decoded and checked at open
(each list is checked when a search first reads it, all of them before the first write). The same session,
this bench run with the code before the change between runs with it (medians): offline reload 138 ms before
(135-141, load average 1.2), 143, 148, 160 and 159 ms after (the last is this file's run); open phase 57 ms before, 48, 49, 56 and 52 ms after; with one
core busy 219 ms before, 167, 247, 249 and 256 ms after. The reload moves by more than the change between runs:
the open is a few ms shorter, the reload not measurably. A warm profile of 20 opens in Node after
the change (a \`--profiling-funcs\` relink, not committed): CRC-32C of the sections read whole 7 ms per
open, the ids into the key map 3-4 ms (with malloc's lock in the threaded build), the reads 3 ms.
The VM itself was faster that day than on 2026-12-06 (fresh memory filled at 545, 2509 and 1569 MiB/s in
three of these runs, against 409): most of the gap to the 2026-12-06 figures below is the machine, not the code.
2026-12-06: the open no longer computes the encoder's own CRC-32C a second time (the section's
checksum, verified at every open, covers the same 8.9 MB): a first open in Node went from 82 to 68 ms (median
of 6 fresh processes each). Before that change, a run on this VM while it was shared with other work
(load average about 2 on 2 cores) gave 1902 ms for a first visit and 504 ms for an offline reload (open 252 ms),
and a run on the quiet machine the same day 622 ms and 180 ms (open 76 ms). 2026-12-05 (before: first visit 2612 ms, offline reload 784 ms, open 529 / 554 ms, file
56.43 MiB, 2026-12-04): the open no longer parses each document's metadata (the filter columns are built
by the first search with a filter; the JSON is kept as stored), no longer zero-fills the buffers its reads
fill, and the keyword index is searched in its stored form (sorted terms, delta/varint-coded posting
lists; checked at open, materialised only by the first write) instead of rebuilding 2 million postings
from per-document lists. A CPU profile of one first open in Node after these changes (the wasm relinked
with \`--profiling-funcs\`, not committed): \`nv_open_durable\` 253 ms, of which 109 ms are the storage reads of
the sections read whole (ids, metadata, keyword index, encoder: readSync into fresh wasm heap), 67 ms their
CRC-32C, 24 ms the ids into the key map; \`nv_text_attach\` 35 ms. What is left is mostly reading and checking
bytes: paging the encoder's embedding rows, the metadata and the postings (as the vectors and graph lists
are paged) is the next step, not taken yet. ${MEMORY_NOTE} A reload always gets a fresh instance.

## Download

What a first visit fetches (the service worker pre-caches all but the index, which the worker stores in
OPFS itself; the encoder's weights are inside the index file). gzip: level 6, what a server that
compresses would send (demo/server.mjs sends files as they are).

| file | bytes | gzip |
|---|---|---|
${Object.entries(results.download).map(([n, d]) => `| ${n} | ${mib(d.bytes)} | ${mib(d.gzip)} |`).join('\n')}
| **total** | **${mib(total)}** | **${mib(totalGzip)}** |

The index file (${mib(results.index.file)}): keyword index ${mib(results.index.keywordBytes)} (BM25 term lists of
${results.index.postings.toLocaleString('en')} postings), encoder weights ${mib(results.index.encoderBytes)}, and the vectors with the HNSW graph,
ids and metadata (the rest).

**Tiers** (docs/tiers.md; \`TextIndex.create({ tiers: { enabled: true } })\`, measured in Node on the same
documents: the ${QUERIES.length} queries above heat what they touch, then \`recompress()\`): tier counts
${JSON.stringify(results.tiers.counts)}; the file ${mib(results.tiers.fileBytes)} against ${mib(results.index.file)} untiered;
vectors in memory ${mib(results.tiers.vectorsBytes ?? 0)} as float32, ${mib(results.tiers.vectorsIfReleased ?? 0)} once the f32 rows of
non-hot documents leave memory (codes ${mib(results.tiers.codes ?? 0)}); semantic top-10 agreement with the untiered
index on those queries ${results.tiers.semanticAgreement10.toFixed(3)}. Tiers act on the vectors only
(${results.index.documents.toLocaleString('en')} x ${results.index.dimensions} float32 = ${mib(results.index.documents * results.index.dimensions * 4)}): the keyword index and the encoder,
${f((100 * (results.index.keywordBytes + results.index.encoderBytes)) / results.index.file, 0)}% of the file, are untouched. The page ships the untiered index.
`;
function phaseLine(runs) {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.phases ?? {})))].filter((k) => k !== 'replayed');
  return keys.map((k) => `${k} ${f(median(runs.map((r) => r.phases?.[k] ?? 0)), 0)}`).join(', ');
}

function timeline(runs, key) {
  return f(median(runs.map((r) => r.timeline?.[key] ?? 0)), 0);
}
writeFileSync(join(ROOT, 'bench', 'results', SAMPLE ? 'demo-sample.md' : 'demo.md'), md);
log(`wrote bench/results/${SAMPLE ? 'demo-sample' : 'demo'}.md`);
