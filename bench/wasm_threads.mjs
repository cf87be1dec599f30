#!/usr/bin/env node
// `npm run bench:threads` (issue 17): the single-thread wasm build against the
// pthreads build (configureWasm({ threads })), both through the JS API in Node.
// Fashion-MNIST 60k x 784, L2, M=16, efConstruction=200: the time addBatch
// takes to build the index, recall@10 of 200 test queries against brute force,
// single-query latency at ef 64 on 1000 test queries, and searchBatch QPS
// over the same 1000 queries (best of three); then single-query latency alone
// (the same graph in both builds, pinned, builds alternating). Each configuration
// runs in its own process (the module is loaded once per process), one after
// the other, on the same machine. Writes bench/results/wasm-threads.md.
//   node bench/wasm_threads.mjs [--items 60000] [--threads 1,2] [--out bench/results/wasm-threads.md]
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/paths.mjs';

const { values: opt } = parseArgs({
  options: {
    items: { type: 'string', default: '60000' },
    threads: { type: 'string', default: '1,2' },
    queries: { type: 'string', default: '1000' },
    out: { type: 'string', default: join(ROOT, 'bench', 'results', 'wasm-threads.md') },
    child: { type: 'string' },
    latency: { type: 'string' },
    'latency-items': { type: 'string', default: '20000' },
    'latency-pairs': { type: 'string', default: '3' },
  },
});

const K = 10;
const EF = 64;
const RECALL_QUERIES = 200;

// A child process's start: the module with `threads`, Fashion-MNIST, the
// first `items` training images, and an empty L2 index (M=16) for them.
async function start(threads, items, indexOptions) {
  const { loadFashionMnist } = await import('./datasets.mjs');
  const { VectorIndex, configureWasm } = await import('../js/dist/index.js');
  configureWasm({ threads });
  const data = loadFashionMnist();
  const d = data.dimensions;
  const n = Math.min(Number(items), data.train.count);
  const index = await VectorIndex.create({ dimensions: d, metric: 'l2', m: 16, ...indexOptions });
  return { data, d, n, base: data.train.vectors.subarray(0, n * d), index };
}

async function child(threads) {
  const { data, d, n, base, index } = await start(threads, opt.items, { efConstruction: 200, efSearch: EF });
  const ids = Array.from({ length: n }, (_, i) => i);
  const t0 = performance.now();
  index.addBatch(ids, base, { chunkSize: 5000 });
  const buildMs = performance.now() - t0;
  const queries = Math.min(Number(opt.queries), data.test.count);
  const q = (i) => data.test.vectors.subarray(i * d, (i + 1) * d);
  for (let i = 0; i < 50; i++) index.search(q(i), K, { ef: EF }); // warm-up
  const times = [];
  const found = [];
  for (let i = 0; i < queries; i++) {
    const t = performance.now();
    const hits = index.search(q(i), K, { ef: EF });
    times.push(performance.now() - t);
    if (i < RECALL_QUERIES) found.push(hits.map((h) => h.id));
  }
  times.sort((a, b) => a - b);
  // searchBatch over the same queries: all at once, best of three.
  const flat = data.test.vectors.subarray(0, queries * d);
  let batchMs = Infinity;
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    index.searchBatch(flat, K, { ef: EF });
    batchMs = Math.min(batchMs, performance.now() - t);
  }
  const batchQps = queries / (batchMs / 1000);
  // The same index, the same process: searchBatch on one thread against the
  // whole pool, alternating (the fairest QPS ratio: one graph, one JIT state).
  const alternating = [];
  const pool = index.stats().threads.pool;
  if (pool > 1) {
    for (let r = 0; r < 4; r++) {
      const qps = {};
      for (const t of [1, pool]) {
        const start = performance.now();
        index.searchBatch(flat, K, { ef: EF, threads: t });
        qps[t] = queries / ((performance.now() - start) / 1000);
      }
      if (r > 0) alternating.push(qps[pool] / qps[1]); // the first round warms up
    }
  }
  const health = index.health();
  const stats = index.stats();
  process.stdout.write(JSON.stringify({
    threads, build: stats.threads.build, pool: stats.threads.pool, n, buildMs,
    p50: times[Math.floor(times.length / 2)], p90: times[Math.floor(times.length * 0.9)], found, batchQps, alternating,
    unreachable: health.unreachable,
  }));
}

// Single-query latency alone: both builds load the same graph (built on one
// thread with the same seed, so identical), search the same 3 x 3000 queries
// one at a time on one pinned CPU; only the build differs.
async function latencyChild(threads) {
  const { data, d, n, base, index } = await start(threads, opt['latency-items'], { efConstruction: 100, seed: 7 });
  index.addBatch(Array.from({ length: n }, (_, i) => i), base, { threads: 1 });
  const q = (i) => data.test.vectors.subarray(i * d, (i + 1) * d);
  for (let i = 0; i < 500; i++) index.search(q(i), K, { ef: EF });
  const times = [];
  for (let r = 0; r < 3; r++) {
    for (let i = 0; i < 3000; i++) {
      const t = performance.now();
      index.search(q(i), K, { ef: EF });
      times.push(performance.now() - t);
    }
  }
  times.sort((a, b) => a - b);
  const first = index.search(q(0), K, { ef: EF }).map((h) => h.id);
  process.stdout.write(JSON.stringify({ build: index.stats().threads.build, p50: times[times.length >> 1],
    mean: times.reduce((a, b) => a + b, 0) / times.length, first }));
}

function latencyPairs() {
  const pin = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  const rows = [];
  for (let p = 0; p < Number(opt['latency-pairs']); p++) {
    for (const threads of [1, 2]) {
      const args = [fileURLToPath(import.meta.url), '--latency', String(threads), '--latency-items', opt['latency-items']];
      const r = pin ? spawnSync('taskset', ['-c', '1', process.execPath, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
        : spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      if (r.status !== 0) throw new Error(`latency run threads=${threads} failed (exit ${r.status})`);
      rows.push(JSON.parse(r.stdout));
    }
  }
  const same = rows.every((r) => JSON.stringify(r.first) === JSON.stringify(rows[0].first));
  return { rows, same, pin };
}

async function main() {
  if (opt.child) return child(Number(opt.child));
  if (opt.latency) return latencyChild(Number(opt.latency));
  const runs = [];
  for (const threads of opt.threads.split(',').map(Number)) {
    console.log(`[threads] building with threads=${threads} ...`);
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', String(threads), '--items', opt.items,
      '--queries', opt.queries], { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error(`threads=${threads} failed (exit ${r.status})`);
    runs.push(JSON.parse(r.stdout));
  }
  const { exactNeighbours, loadFashionMnist } = await import('./datasets.mjs');
  const data = loadFashionMnist();
  const truth = exactNeighbours(data, runs[0].n, RECALL_QUERIES, K).map((ids) => new Set(ids));
  for (const run of runs) {
    let hit = 0;
    run.found.forEach((ids, i) => { for (const id of ids) if (truth[i].has(id)) hit++; });
    run.recall = hit / (RECALL_QUERIES * K);
  }
  const one = runs.find((r) => r.threads === 1) ?? runs[0];
  const lines = [
    '# WebAssembly threads: single-thread build against the pthreads build (Node)',
    '',
    `Fashion-MNIST ${one.n} x 784, L2, M=16, efConstruction=200, addBatch in chunks of 5000; recall@${K} of ` +
      `${RECALL_QUERIES} test queries against brute force; single-query latency at ef ${EF} over ${opt.queries} test queries, and searchBatch QPS over the same queries (best of 3). ` +
      `Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), each row its own process, one after the other. ` +
      'Produced by `npm run bench:threads`.',
    '',
    '| build | threads | build time | speed-up | recall@10 | search p50 | search p90 | searchBatch QPS | QPS speed-up | unreachable |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map((r) => `| ${r.build} | ${r.threads} | ${(r.buildMs / 1000).toFixed(1)} s | ${(one.buildMs / r.buildMs).toFixed(2)}x | ` +
      `${r.recall.toFixed(4)} | ${r.p50.toFixed(3)} ms | ${r.p90.toFixed(3)} ms | ${r.batchQps.toFixed(0)} | ` +
      `${(r.batchQps / one.batchQps).toFixed(2)}x | ${r.unreachable} |`),
    '',
  ];
  for (const r of runs.filter((x) => x.alternating.length)) {
    lines.push(`searchBatch on the same index in the same process (threads=${r.threads} row), 1 thread against ${r.threads}, ` +
      `alternating, 3 rounds after a warm-up: ${r.alternating.map((x) => `${x.toFixed(2)}x`).join(', ')}.`, '');
  }
  console.log('[threads] single-query latency, builds alternating ...');
  const lat = latencyPairs();
  const ms = (x) => `${x.toFixed(3)} ms`;
  lines.push(`Single-query latency alone: ${opt['latency-items']} items built on one thread with one seed (the same graph in ` +
    `both builds: ${lat.same ? 'yes, the first query\'s results are identical' : 'NO, the results differ'}), 3 x 3000 test ` +
    `queries at ef ${EF} one at a time${lat.pin ? ', each process pinned to one CPU (taskset)' : ''}, builds alternating:`, '',
    '| pair | single p50 | pthreads p50 | change | single mean | pthreads mean |', '|---|---|---|---|---|---|');
  for (let p = 0; p < lat.rows.length; p += 2) {
    const [a, b] = [lat.rows[p], lat.rows[p + 1]];
    lines.push(`| ${p / 2 + 1} | ${ms(a.p50)} | ${ms(b.p50)} | ${((b.p50 / a.p50 - 1) * 100).toFixed(1)}% | ${ms(a.mean)} | ${ms(b.mean)} |`);
  }
  lines.push('');
  writeFileSync(opt.out, lines.join('\n'));
  console.log(lines.join('\n'));
}

await main();
