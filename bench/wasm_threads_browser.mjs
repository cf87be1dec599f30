#!/usr/bin/env node
// `npm run bench:threads:browser` (issue 17): the pthreads build in Chromium,
// in a page served with COOP/COEP headers (cross-origin isolated), against
// itself on one thread, in the same page: the fairest ratio (one graph, one
// JIT state, alternating), as bench/wasm_threads.mjs measures it in Node.
//  1. Node builds the Fashion-MNIST index (M=16, efConstruction=200) on its
//     pool and writes the file and the test queries under build/bench/ (the
//     test server serves the repository);
//  2. the page opens the file (fromBytes), checks recall@10 of 200 queries
//     against brute force, and times searchBatch over the queries at ef 64
//     with { threads: 1 } and { threads: pool }, alternating;
//  3. the page builds a second index from the first `--build-items` images,
//     addBatch with { threads: 1 } and with { threads: pool }, alternating.
// Writes bench/results/wasm-threads-browser.md.
//   node bench/wasm_threads_browser.mjs [--items 60000] [--queries 1000] [--build-items 10000] [--rounds 4] [--build-rounds 4] [--out F]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launch, serve } from '../tests/browser/harness.mjs';
import { exactNeighbours, loadFashionMnist } from './datasets.mjs';
import { ROOT } from './lib/paths.mjs';

const { values: opt } = parseArgs({
  options: {
    items: { type: 'string', default: '60000' },
    queries: { type: 'string', default: '1000' },
    'build-items': { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '4' },
    'build-rounds': { type: 'string', default: '4' },
    out: { type: 'string', default: join(ROOT, 'bench', 'results', 'wasm-threads-browser.md') },
  },
});
const K = 10;
const EF = 64;
const RECALL_QUERIES = 200;

const data = loadFashionMnist();
const d = data.dimensions;
const n = Math.min(Number(opt.items), data.train.count);
const queries = Math.min(Number(opt.queries), data.test.count);
const buildItems = Math.min(Number(opt['build-items']), n);
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

console.log('[threads:browser] brute force for recall ...');
const truth = exactNeighbours(data, n, RECALL_QUERIES, K);

const server = await serve({ isolated: true });
const browser = await launch();
let result;
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/tests/browser/blank.html`);
  console.log('[threads:browser] measuring in Chromium ...');
  result = await page.evaluate(async ({ file, d, K, EF, rounds, buildRounds, buildItems, truth }) => {
    const { VectorIndex } = await import('/js/dist/index.browser.js');
    const bytes = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());
    const t0 = performance.now();
    const index = await VectorIndex.fromBytes(await bytes(`/build/bench/${file}`));
    const openMs = performance.now() - t0;
    const q = await bytes('/build/bench/fashion-test.f32');
    const queries = new Float32Array(q.buffer, 0, q.byteLength / 4);
    const threads = index.stats().threads;
    const pool = threads.pool;
    const lists = index.searchBatch(queries, K, { ef: EF });
    let hits = 0;
    truth.forEach((ids, i) => { const s = new Set(ids); for (const r of lists[i]) if (s.has(r.id)) hits++; });
    const count = queries.length / d;
    const search = [];
    for (let r = 0; r < rounds + 1; r++) {
      const qps = {};
      for (const t of r % 2 ? [pool, 1] : [1, pool]) { // the lead alternates
        const s = performance.now();
        index.searchBatch(queries, K, { ef: EF, threads: t });
        qps[t] = count / ((performance.now() - s) / 1000);
      }
      if (r > 0) search.push({ one: qps[1], pool: qps[pool] }); // round 0 warms up
    }
    // Single queries on the page's thread, for scale.
    const times = [];
    for (let i = 0; i < count; i++) {
      const s = performance.now();
      index.search(queries.subarray(i * d, (i + 1) * d), K, { ef: EF });
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    index.dispose();
    const tr = await bytes('/build/bench/fashion-train.f32');
    const items = new Float32Array(tr.buffer, 0, buildItems * d);
    const ids = Array.from({ length: buildItems }, (_, i) => i);
    const build = [];
    for (let r = 0; r < buildRounds; r++) {
      const ms = {};
      const unreachable = {};
      for (const t of r % 2 ? [pool, 1] : [1, pool]) { // the lead alternates
        const fresh = await VectorIndex.create({ dimensions: d, metric: 'l2', m: 16, efConstruction: 200, seed: 1 });
        const s = performance.now();
        fresh.addBatch(ids, items, { threads: t });
        ms[t] = performance.now() - s;
        unreachable[t] = fresh.health().unreachable;
        fresh.dispose();
      }
      build.push({ one: ms[1], pool: ms[pool], unreachableOne: unreachable[1], unreachablePool: unreachable[pool] });
    }
    return { threads, openMs, recall: hits / (truth.length * K), search, p50: times[times.length >> 1],
      build, isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency, ua: navigator.userAgent };
  }, { file: indexFile.split('/').pop(), d, K, EF, rounds: Number(opt.rounds), buildRounds: Number(opt['build-rounds']), buildItems, truth });
} finally {
  await browser.close();
  server.close();
}

const r = result;
if (r.threads.build !== 'pthreads') throw new Error(`the page ran the ${r.threads.build} build: ${r.threads.fallback}`);
const ratio = (x) => `${x.toFixed(2)}x`;
const lines = [
  '# WebAssembly threads in Chromium (pthreads build, cross-origin-isolated page)',
  '',
  `Produced by \`npm run bench:threads:browser\` (bench/wasm_threads_browser.mjs) on ${new Date().toISOString().slice(0, 10)}: ` +
    `Debian's Chromium (${/Chrom(e|ium)\/[\d.]+/.exec(r.ua)?.[0] ?? r.ua}, headless), a page served with COOP/COEP by the test server ` +
    `(crossOriginIsolated: ${r.isolated}), navigator.hardwareConcurrency ${r.cores}, so the pool has ${r.threads.pool} Workers; ` +
    `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}). Everything runs on the page's thread and its pool.`,
  '',
  `Fashion-MNIST ${n} x 784, L2, M=16, efConstruction=200 (built in Node, opened with fromBytes in ${r.openMs.toFixed(0)} ms); ` +
    `recall@${K} of ${RECALL_QUERIES} test queries against brute force: ${r.recall.toFixed(4)}; single-query p50 at ef ${EF}: ${r.p50.toFixed(3)} ms.`,
  '',
  `searchBatch over ${queries} test queries at ef ${EF}, the same index, \`{ threads: 1 }\` and \`{ threads: ${r.threads.pool} }\` alternating, ` +
    'the one that goes first alternating too (a warm-up round first, not shown):',
  '',
  '| round | QPS, 1 thread | QPS, pool | speed-up |',
  '|---|---|---|---|',
  ...r.search.map((s, i) => `| ${i + 1} | ${s.one.toFixed(0)} | ${s.pool.toFixed(0)} | ${ratio(s.pool / s.one)} |`),
  '',
  `addBatch of the first ${buildItems} training images into a new index (efConstruction 200) with 1 thread and with the pool, the one that goes first alternating:`,
  '',
  '| round | 1 thread | pool | speed-up | unreachable items, 1 thread / pool |',
  '|---|---|---|---|---|',
  ...r.build.map((b, i) => `| ${i + 1} | ${(b.one / 1000).toFixed(2)} s | ${(b.pool / 1000).toFixed(2)} s | ${ratio(b.one / b.pool)} | ` +
    `${b.unreachableOne} / ${b.unreachablePool} |`),
  '',
  'Unreachable items come with one thread too: Fashion-MNIST\'s near-duplicate images at M=16 leave some items without ' +
    'in-links (bench/results/wasm-threads.md; `optimize()` reconnects them).',
  '',
];
writeFileSync(opt.out, lines.join('\n'));
console.log(lines.join('\n'));
