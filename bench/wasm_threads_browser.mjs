#!/usr/bin/env node
// `npm run bench:threads:browser` (issue 17): the single-thread build against
// the pthreads build in Chromium, in a page served with COOP/COEP headers
// (cross-origin isolated). As bench/wasm_threads.mjs does in Node, the page
// imports two copies of the package (build/bench-copies/), one per build, and
// every comparison is paired: the two builds take turns.
//  1. Node builds the Fashion-MNIST index (M=16, efConstruction=200) on its
//     pool and writes the file and the test queries under build/bench/ (the
//     test server serves the repository);
//  2. in the page, both builds open that file (fromBytes): recall@10 of 200
//     queries against brute force; searchBatch at ef 64 by the single-thread
//     build, the pthreads build on 1 thread and on its pool, in rotating order;
//     single-query latency, each query answered by one build then the other;
//  3. the same in neurovec/worker's Workers, where the index is meant to run
//     (a page's own thread may not block): one Worker per build, searchBatch
//     in turn;
//  4. the page builds an index of the first `--build-items` images in each
//     build, the same chunks of 5000 in turn.
// Writes bench/results/wasm-threads-browser.md.
//   node bench/wasm_threads_browser.mjs [--items 60000] [--queries 2000] [--rounds 6] [--build-items 60000] [--out F]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launch, serve } from '../tests/browser/harness.mjs';
import { exactNeighbours, loadFashionMnist } from './datasets.mjs';
import { copyPackage } from './lib/package_copies.mjs';
import { ROOT } from './lib/paths.mjs';

const { values: opt } = parseArgs({
  options: {
    items: { type: 'string', default: '60000' },
    queries: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '6' },
    'build-items': { type: 'string', default: '60000' },
    out: { type: 'string', default: join(ROOT, 'bench', 'results', 'wasm-threads-browser.md') },
  },
});
const K = 10;
const EF = 64;
const CHUNK = 5000;
const RECALL_QUERIES = 200;

const data = loadFashionMnist();
const d = data.dimensions;
const n = Math.min(Number(opt.items), data.train.count);
const queries = Math.min(Number(opt.queries), data.test.count);
const buildItems = Math.min(Number(opt['build-items']), data.train.count);
const dir = join(ROOT, 'build', 'bench');
mkdirSync(dir, { recursive: true });
const indexFile = join(dir, `fashion-${n}-m16-efc200.nvx`);
if (!existsSync(indexFile)) {
  console.log(`[threads:browser] building the ${n}-item index in Node ...`);
  const { VectorIndex } = await import('../js/dist/index.js');
  const index = await VectorIndex.create({ dimensions: d, metric: 'l2', m: 16, efConstruction: 200, efSearch: EF, seed: 1 });
  index.addBatch(Array.from({ length: n }, (_, i) => i), data.train.vectors.subarray(0, n * d), { chunkSize: 5000 });
  writeFileSync(indexFile, await index.toBytes());
  index.dispose();
}
writeFileSync(join(dir, 'fashion-test.f32'), data.test.vectors.subarray(0, queries * d));
writeFileSync(join(dir, 'fashion-train.f32'), data.train.vectors.subarray(0, buildItems * d));
copyPackage(['single', 'pthreads']);

console.log('[threads:browser] brute force for recall ...');
const truth = exactNeighbours(data, n, RECALL_QUERIES, K);

// Runs in the page.
async function measure({ file, d, K, EF, CHUNK, rounds, buildItems, truth }) {
  const single = await import('/build/bench-copies/single/index.browser.js');
  const pthreads = await import('/build/bench-copies/pthreads/index.browser.js');
  const singleWorker = await import('/build/bench-copies/single/worker/client.js');
  const pthreadsWorker = await import('/build/bench-copies/pthreads/worker/client.js');
  single.configureWasm({ threads: 1 });
  const bytes = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  const file_ = await bytes(`/build/bench/${file}`);
  const q = await bytes('/build/bench/fashion-test.f32');
  const queries = new Float32Array(q.buffer, 0, q.byteLength / 4);
  const count = queries.length / d;
  const recallOf = (lists) => {
    let hits = 0;
    truth.forEach((ids, i) => { const s = new Set(ids); for (const r of lists[i]) if (s.has(r.id)) hits++; });
    return hits / (truth.length * K);
  };
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

  // In the page: one graph in both builds.
  const a = await single.VectorIndex.fromBytes(file_);
  const b = await pthreads.VectorIndex.fromBytes(file_);
  const threads = { single: a.stats().threads, pthreads: b.stats().threads };
  const pool = threads.pthreads.pool;
  const listsA = a.searchBatch(queries, K, { ef: EF });
  const listsB = b.searchBatch(queries, K, { ef: EF, threads: pool });
  const page = { recall: { single: recallOf(listsA), pthreads: recallOf(listsB) }, sameAnswers: same(listsA, listsB), rounds: [] };
  const runs = [['single', a, 1], ['pthreads1', b, 1], ['pool', b, pool]];
  for (let r = 0; r <= rounds; r++) {
    const ms = {};
    for (let i = 0; i < runs.length; i++) {
      const [name, index, t] = runs[(i + r) % runs.length];
      const s = performance.now();
      index.searchBatch(queries, K, { ef: EF, threads: t });
      ms[name] = performance.now() - s;
    }
    if (r > 0) page.rounds.push(ms);
  }
  for (let i = 0; i < 300; i++) { const x = queries.subarray(i * d, (i + 1) * d); a.search(x, K, { ef: EF }); b.search(x, K, { ef: EF }); }
  const times = { single: [], pthreads: [] };
  for (let p = 0; p < 2; p++) {
    for (let i = 0; i < count; i++) {
      const x = queries.subarray(i * d, (i + 1) * d);
      for (const [name, index] of (i + p) % 2 ? [['pthreads', b], ['single', a]] : [['single', a], ['pthreads', b]]) {
        const s = performance.now();
        index.search(x, K, { ef: EF });
        times[name].push(performance.now() - s);
      }
    }
  }
  page.times = times;
  a.dispose();
  b.dispose();

  // In Workers, one per build.
  const wa = await singleWorker.WorkerVectorIndex.fromBytes(file_.slice(), { threads: 1 });
  const wb = await pthreadsWorker.WorkerVectorIndex.fromBytes(file_.slice());
  const workers = { threads: { single: (await wa.stats()).threads, pthreads: (await wb.stats()).threads }, rounds: [] };
  const wListsA = await wa.searchBatch(queries, K, { ef: EF });
  const wListsB = await wb.searchBatch(queries, K, { ef: EF });
  workers.sameAnswers = same(wListsA, wListsB) && same(wListsA, listsA);
  for (let r = 0; r <= rounds; r++) {
    const ms = {};
    for (const [name, index] of r % 2 ? [['pool', wb], ['single', wa]] : [['single', wa], ['pool', wb]]) {
      const s = performance.now();
      await index.searchBatch(queries, K, { ef: EF });
      ms[name] = performance.now() - s;
    }
    if (r > 0) workers.rounds.push(ms);
  }
  await wa.dispose();
  await wb.dispose();

  // Building in the page, chunk by chunk in turn.
  const tr = await bytes('/build/bench/fashion-train.f32');
  const items = new Float32Array(tr.buffer, 0, buildItems * d);
  const options = { dimensions: d, metric: 'l2', m: 16, efConstruction: 200, seed: 1 };
  const ba = await single.VectorIndex.create(options);
  const bb = await pthreads.VectorIndex.create(options);
  const chunks = [];
  for (let s = 0, c = 0; s < buildItems; s += CHUNK, c++) {
    const e = Math.min(buildItems, s + CHUNK);
    const ids = Array.from({ length: e - s }, (_, i) => s + i);
    const ms = {};
    for (const [name, index] of c % 2 ? [['pool', bb], ['single', ba]] : [['single', ba], ['pool', bb]]) {
      const t = performance.now();
      index.addBatch(ids, items.subarray(s * d, e * d));
      ms[name] = performance.now() - t;
    }
    chunks.push(ms);
  }
  const build = { chunks, unreachable: { single: ba.health().unreachable, pool: bb.health().unreachable } };
  ba.dispose();
  bb.dispose();
  return { threads, page, workers, build, total: { single: sum(chunks.map((c) => c.single)), pool: sum(chunks.map((c) => c.pool)) },
    isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency, ua: navigator.userAgent };
}

const server = await serve({ isolated: true });
const browser = await launch();
let r;
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/tests/browser/blank.html`);
  console.log('[threads:browser] measuring in Chromium ...');
  r = await page.evaluate(measure, { file: indexFile.split('/').pop(), d, K, EF, CHUNK, rounds: Number(opt.rounds), buildItems, truth });
} finally {
  await browser.close();
  server.close();
}

if (r.threads.pthreads.build !== 'pthreads') throw new Error(`the page ran the ${r.threads.pthreads.build} build: ${r.threads.pthreads.fallback}`);
if (r.workers.threads.pthreads.build !== 'pthreads') throw new Error(`the Worker ran the ${r.workers.threads.pthreads.build} build`);
const pool = r.threads.pthreads.pool;
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const median = (xs) => { const s = [...xs].sort((p, q) => p - q); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const x2 = (v) => `${v.toFixed(2)}x`;
const pct = (v) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`;
const qps = (ms, batches = 1) => (batches * queries) / (ms / 1000);
const total = (rounds, name) => sum(rounds.map((m) => m[name]));
const perRound = (rounds, name) => rounds.map((m) => x2(m.single / m[name])).join(', ');
const lat = r.page.times;
const p50 = { single: median(lat.single), pthreads: median(lat.pthreads) };
const mean = { single: sum(lat.single) / lat.single.length, pthreads: sum(lat.pthreads) / lat.pthreads.length };
const lines = [
  '# WebAssembly threads in Chromium: single-thread build against the pthreads build',
  '',
  `Produced by \`npm run bench:threads:browser\` (bench/wasm_threads_browser.mjs) on ${new Date().toISOString().slice(0, 10)}: ` +
    `Debian's Chromium (${/Chrom(e|ium)\/[\d.]+/.exec(r.ua)?.[0] ?? r.ua}, headless), a page served with COOP/COEP by the test server ` +
    `(crossOriginIsolated: ${r.isolated}), navigator.hardwareConcurrency ${r.cores}, so the pool has ${pool} Workers; ` +
    `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}). The page imports two copies of the package, one per build, ` +
    'and the builds take turns, so each ratio is paired.',
  '',
  `Fashion-MNIST ${n} x 784, L2, M=16, efConstruction=200 (built in Node), opened with fromBytes by both builds; ` +
    `recall@${K} of ${RECALL_QUERIES} test queries against brute force at ef ${EF}: ${r.page.recall.single.toFixed(4)} (single), ` +
    `${r.page.recall.pthreads.toFixed(4)} (pthreads); answers identical: ${r.page.sameAnswers ? 'yes' : '**NO**'}.`,
  '',
  `## searchBatch in the page: ${queries} test queries at ef ${EF}, ${r.page.rounds.length} rounds after a warm-up, rotating order`,
  '',
  '| build | threads | QPS (all rounds) | speed-up over the single-thread build | per round |',
  '|---|---|---|---|---|',
  `| single | 1 | ${qps(total(r.page.rounds, 'single'), r.page.rounds.length).toFixed(0)} | 1.00x | |`,
  `| pthreads | 1 | ${qps(total(r.page.rounds, 'pthreads1'), r.page.rounds.length).toFixed(0)} | ` +
    `${x2(total(r.page.rounds, 'single') / total(r.page.rounds, 'pthreads1'))} | ${perRound(r.page.rounds, 'pthreads1')} |`,
  `| pthreads | ${pool} | ${qps(total(r.page.rounds, 'pool'), r.page.rounds.length).toFixed(0)} | ` +
    `**${x2(total(r.page.rounds, 'single') / total(r.page.rounds, 'pool'))}** | ${perRound(r.page.rounds, 'pool')} |`,
  '',
  `The pool against the pthreads build on 1 thread: ${x2(total(r.page.rounds, 'pthreads1') / total(r.page.rounds, 'pool'))}.`,
  '',
  `## searchBatch in neurovec/worker: one Worker per build, the same queries, ${r.workers.rounds.length} rounds after a warm-up, in turn`,
  '',
  `The Workers run ${r.workers.threads.single.build} (pool ${r.workers.threads.single.pool}) and ${r.workers.threads.pthreads.build} ` +
    `(pool ${r.workers.threads.pthreads.pool}); answers identical to the page's: ${r.workers.sameAnswers ? 'yes' : '**NO**'}. ` +
    'Times include posting the queries and the results between the page and the Worker.',
  '',
  '| build | QPS (all rounds) | speed-up | per round |',
  '|---|---|---|---|',
  `| single | ${qps(total(r.workers.rounds, 'single'), r.workers.rounds.length).toFixed(0)} | 1.00x | |`,
  `| pthreads, pool ${r.workers.threads.pthreads.pool} | ${qps(total(r.workers.rounds, 'pool'), r.workers.rounds.length).toFixed(0)} | ` +
    `**${x2(total(r.workers.rounds, 'single') / total(r.workers.rounds, 'pool'))}** | ${perRound(r.workers.rounds, 'pool')} |`,
  '',
  `## Single-query latency in the page: 2 passes over ${queries} queries at ef ${EF}, each answered by one build then the other`,
  '',
  '| build | p50 | mean |',
  '|---|---|---|',
  `| single | ${p50.single.toFixed(3)} ms | ${mean.single.toFixed(3)} ms |`,
  `| pthreads | ${p50.pthreads.toFixed(3)} ms | ${mean.pthreads.toFixed(3)} ms |`,
  `| change | **${pct(p50.pthreads / p50.single - 1)}** | ${pct(mean.pthreads / mean.single - 1)} |`,
  '',
  'Chromium rounds `performance.now()` to 5 us in an isolated page (100 us otherwise), so single times are coarse; the p50 ' +
    'of thousands is still steady.',
  '',
  `## Building in the page: the first ${buildItems} training images, the same chunks of ${CHUNK} in turn`,
  '',
  '| build | threads | time | speed-up | chunk speed-ups | unreachable items |',
  '|---|---|---|---|---|---|',
  `| single | 1 | ${(r.total.single / 1000).toFixed(1)} s | 1.00x | | ${r.build.unreachable.single} |`,
  `| pthreads | ${pool} | ${(r.total.pool / 1000).toFixed(1)} s | **${x2(r.total.single / r.total.pool)}** | ` +
    `${x2(Math.min(...r.build.chunks.map((c) => c.single / c.pool)))}-${x2(Math.max(...r.build.chunks.map((c) => c.single / c.pool)))} ` +
    `(median ${x2(median(r.build.chunks.map((c) => c.single / c.pool)))}) | ${r.build.unreachable.pool} |`,
  '',
  'A page\'s own thread may not block, so the page spin-waits while its pool works (run the index in neurovec/worker for ' +
    'a page that must stay responsive). Unreachable items come with one thread too: Fashion-MNIST\'s near-duplicate images ' +
    'at M=16 leave some items without in-links (`optimize()` reconnects them).',
  '',
];
writeFileSync(opt.out, lines.join('\n'));
console.log(lines.join('\n'));
if (!r.page.sameAnswers || !r.workers.sameAnswers) throw new Error('the builds gave different answers for the same graph');
