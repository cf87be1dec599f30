#!/usr/bin/env node
// `npm run bench:threads` (issue 17): the single-thread wasm build against the
// pthreads build, both through the JS API in Node, in ONE process. The module
// is loaded once per copy of the package, so the bench copies js/dist twice
// (build/bench-copies/) and loads the single-thread build from one copy and
// the pthreads build from the other. Every comparison is then paired: the two
// builds take turns within seconds of each other, on the same machine state,
// so the host's drift (10-25% between processes minutes apart on this VM)
// falls on both alike.
//  1. build: Fashion-MNIST 60k x 784, L2, M=16, efConstruction=200; the same
//     chunks of 5000 go into each build's index in turn (the one that goes
//     first alternates); the single-thread build on its one thread, the
//     pthreads build on its pool;
//  2. recall@10 of 200 test queries against brute force, and unreachable
//     items, for both indexes;
//  3. the single-thread build's index is opened in the pthreads build from its
//     bytes (the same graph); on that pair: searchBatch QPS at ef 64, the
//     single-thread build, the pthreads build on 1 thread and on its pool, in
//     rotating order, round after round; then single-query latency, each query
//     answered by one build then the other (order alternating);
//  4. searchBatch on the same file paged (readOnly, a cache that holds it),
//     1 thread against the pool, answers compared with the whole read;
//  5. the native build (`neurovec build`) on 1 and 2 threads in turn, and from
//     both builds' 2-thread speed-ups a projection to more cores (Amdahl's law
//     with the serial share those speed-ups imply);
//  6. the size of each build's files, raw and gzipped.
// Writes bench/results/wasm-threads.md.
//   node bench/wasm_threads.mjs [--items 60000] [--queries 2000] [--rounds 6]
//     [--latency-queries 5000] [--latency-passes 3] [--threads 2] [--out F]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { exactNeighbours, loadFashionMnist, prepareFashionFiles } from './datasets.mjs';
import { copyPackage } from './lib/package_copies.mjs';
import { CLI, ROOT } from './lib/paths.mjs';

const { values: opt } = parseArgs({
  options: {
    items: { type: 'string', default: '60000' },
    queries: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '6' },
    'latency-queries': { type: 'string', default: '5000' },
    'latency-passes': { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    'native-pairs': { type: 'string', default: '2' },
    out: { type: 'string', default: join(ROOT, 'bench', 'results', 'wasm-threads.md') },
  },
});

const K = 10;
const EF = 64;
const CHUNK = 5000;
const RECALL_QUERIES = 200;
const say = (s) => console.log(`[threads] ${s}`);

// The two builds side by side: two copies of the package, one module each.
async function loadBuilds(threads) {
  const dirs = copyPackage(['single', 'pthreads']);
  const single = await import(pathToFileURL(join(dirs.single, 'index.js')).href);
  const pthreads = await import(pathToFileURL(join(dirs.pthreads, 'index.js')).href);
  single.configureWasm({ threads: 1 });
  pthreads.configureWasm({ threads });
  return { single, pthreads };
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * q))]; };
const range = (xs, f) => `${f(Math.min(...xs))}-${f(Math.max(...xs))}`;
const x2 = (v) => `${v.toFixed(2)}x`;

function recallOf(index, data, truth) {
  const d = data.dimensions;
  const lists = index.searchBatch(data.test.vectors.subarray(0, RECALL_QUERIES * d), K, { ef: EF });
  let hit = 0;
  lists.forEach((hits, i) => { for (const h of hits) if (truth[i].has(h.id)) hit++; });
  return hit / (RECALL_QUERIES * K);
}

// Native build time on 1 and 2 threads, in turn (the CLI's wall time,
// including reading the .fvecs and writing the file).
function nativeBuilds(pairs) {
  if (!existsSync(CLI)) return undefined;
  const { base } = prepareFashionFiles(join(ROOT, 'data'));
  const out = join(ROOT, 'build', 'bench', 'wasm-threads-native.nvx');
  const rows = [];
  for (let p = 0; p < pairs; p++) {
    const row = {};
    for (const t of p % 2 ? [2, 1] : [1, 2]) {
      const s = performance.now();
      const r = spawnSync(CLI, ['build', '--base', base, '--out', out, '--threads', String(t), '--seed', '1'], { stdio: ['ignore', 'ignore', 'inherit'] });
      if (r.status !== 0) throw new Error(`neurovec build --threads ${t} failed (exit ${r.status})`);
      row[t] = performance.now() - s;
    }
    rows.push(row);
  }
  rmSync(out, { force: true });
  return rows;
}

// Amdahl's law: the serial share f that a speed-up s on p threads implies,
// and the speed-up it projects for c cores.
const serialShare = (s, p) => Math.max(0, (p / s - 1) / (p - 1));
const projected = (f, c) => 1 / (f + (1 - f) / c);

// The files each build's loader reads (the glue that Node or a bundler loads, the worker script, the module).
function packageSizes() {
  const wasm = join(ROOT, 'js', 'dist', 'wasm');
  const sets = { single: ['neurovec.mjs', 'neurovec.wasm'], pthreads: ['neurovec-threads.mjs', 'neurovec-threads.worker.js', 'neurovec-threads.wasm'] };
  return Object.fromEntries(Object.entries(sets).map(([name, files]) => [name, files.map((f) => {
    const bytes = readFileSync(join(wasm, f));
    return { file: f, bytes: statSync(join(wasm, f)).size, gzip: gzipSync(bytes, { level: 9 }).length };
  })]));
}

async function main() {
  const threads = Number(opt.threads);
  const builds = await loadBuilds(threads);
  const data = loadFashionMnist();
  const d = data.dimensions;
  const n = Math.min(Number(opt.items), data.train.count);
  const queries = Math.min(Number(opt.queries), data.test.count);
  const options = { dimensions: d, metric: 'l2', m: 16, efConstruction: 200, efSearch: EF, seed: 1 };

  // 1. Build, chunk by chunk in turn.
  const single = await builds.single.VectorIndex.create(options);
  const pthreads = await builds.pthreads.VectorIndex.create(options);
  const pool = pthreads.stats().threads.pool;
  if (single.stats().threads.build !== 'single' || pthreads.stats().threads.build !== 'pthreads') {
    throw new Error(`expected the single and pthreads builds, got ${single.stats().threads.build} and ${pthreads.stats().threads.build}`);
  }
  say(`building ${n} items in both builds, chunks of ${CHUNK} in turn (pool of ${pool}) ...`);
  const chunks = [];
  for (let s = 0, c = 0; s < n; s += CHUNK, c++) {
    const e = Math.min(n, s + CHUNK);
    const ids = Array.from({ length: e - s }, (_, i) => s + i);
    const vectors = data.train.vectors.subarray(s * d, e * d);
    const ms = {};
    for (const [name, index] of c % 2 ? [['pthreads', pthreads], ['single', single]] : [['single', single], ['pthreads', pthreads]]) {
      const t = performance.now();
      index.addBatch(ids, vectors);
      ms[name] = performance.now() - t;
    }
    chunks.push(ms);
  }
  const buildSingle = sum(chunks.map((c) => c.single));
  const buildPool = sum(chunks.map((c) => c.pthreads));
  say(`build ${(buildSingle / 1000).toFixed(1)} s / ${(buildPool / 1000).toFixed(1)} s = ${x2(buildSingle / buildPool)}`);

  // 2. Recall and reachability of both.
  const truth = exactNeighbours(data, n, RECALL_QUERIES, K).map((ids) => new Set(ids));
  const built = {
    single: { recall: recallOf(single, data, truth), unreachable: single.health().unreachable },
    pthreads: { recall: recallOf(pthreads, data, truth), unreachable: pthreads.health().unreachable },
  };
  pthreads.dispose();

  // 3. One graph in both builds.
  const bytes = await single.toBytes();
  const twin = await builds.pthreads.VectorIndex.fromBytes(bytes);
  const flat = data.test.vectors.subarray(0, queries * d);
  const lists = { single: single.searchBatch(flat, K, { ef: EF }), twin: twin.searchBatch(flat, K, { ef: EF, threads: pool }) };
  const sameAnswers = JSON.stringify(lists.single) === JSON.stringify(lists.twin);
  const runs = [['single', single, 1], ['pthreads-1', twin, 1], ['pthreads-pool', twin, pool]];
  say(`searchBatch of ${queries} queries, ${opt.rounds} rounds after a warm-up ...`);
  const rounds = [];
  for (let r = 0; r <= Number(opt.rounds); r++) {
    const ms = {};
    for (let i = 0; i < runs.length; i++) {
      const [name, index, t] = runs[(i + r) % runs.length]; // the order rotates
      const s = performance.now();
      index.searchBatch(flat, K, { ef: EF, threads: t });
      ms[name] = performance.now() - s;
    }
    if (r > 0) rounds.push(ms); // round 0 warms up
  }
  const qps = (ms, batches = 1) => (batches * queries) / (ms / 1000);
  const total = Object.fromEntries(runs.map(([name]) => [name, sum(rounds.map((m) => m[name]))]));

  say(`single-query latency, ${opt['latency-passes']} x ${opt['latency-queries']} queries, builds in turn ...`);
  const lq = Math.min(Number(opt['latency-queries']), data.test.count);
  const q = (i) => data.test.vectors.subarray(i * d, (i + 1) * d);
  for (let i = 0; i < 500; i++) { single.search(q(i), K, { ef: EF }); twin.search(q(i), K, { ef: EF }); }
  const times = { single: [], pthreads: [] };
  for (let p = 0; p < Number(opt['latency-passes']); p++) {
    for (let i = 0; i < lq; i++) {
      for (const [name, index] of (i + p) % 2 ? [['pthreads', twin], ['single', single]] : [['single', single], ['pthreads', twin]]) {
        const s = performance.now();
        index.search(q(i), K, { ef: EF });
        times[name].push(performance.now() - s);
      }
    }
  }
  const perQuery = times.single.map((t, i) => times.pthreads[i] / t);
  const latency = {
    p50: { single: median(times.single), pthreads: median(times.pthreads) },
    p90: { single: quantile(times.single, 0.9), pthreads: quantile(times.pthreads, 0.9) },
    mean: { single: sum(times.single) / times.single.length, pthreads: sum(times.pthreads) / times.pthreads.length },
    perQueryMedian: median(perQuery),
  };
  const passP50 = [];
  const per = times.single.length / Number(opt['latency-passes']);
  for (let p = 0; p < Number(opt['latency-passes']); p++) {
    passP50.push(median(times.pthreads.slice(p * per, (p + 1) * per)) / median(times.single.slice(p * per, (p + 1) * per)) - 1);
  }
  single.dispose();

  // 4. The same file paged, in the pthreads build.
  say('searchBatch over the file paged (readOnly, the cache holds it) ...');
  const dir = join(ROOT, 'build', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'wasm-threads-60k.nvx');
  writeFileSync(file, bytes);
  const paged = await builds.pthreads.VectorIndex.open(file, { readOnly: true, pageCacheBytes: 512 * 1024 * 1024 });
  const pagedAnswers = paged.searchBatch(flat, K, { ef: EF, threads: pool });
  const pagedSame = JSON.stringify(pagedAnswers) === JSON.stringify(lists.twin);
  const pagedRounds = [];
  for (let r = 0; r <= Math.max(2, Number(opt.rounds) >> 1); r++) {
    const ms = {};
    for (const t of r % 2 ? [pool, 1] : [1, pool]) {
      const s = performance.now();
      paged.searchBatch(flat, K, { ef: EF, threads: t });
      ms[t] = performance.now() - s;
    }
    if (r > 0) pagedRounds.push(ms);
  }
  paged.close?.();
  twin.dispose();

  say('native build on 1 and 2 threads ...');
  const native = nativeBuilds(Number(opt['native-pairs']));
  const sizes = packageSizes();

  const ms = (v) => `${v.toFixed(3)} ms`;
  const pct = (v) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`;
  const cpu = `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'})`;
  const lines = [
    '# WebAssembly threads: single-thread build against the pthreads build (Node)',
    '',
    `Produced by \`npm run bench:threads\` (bench/wasm_threads.mjs) on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpu}. ` +
      'Both builds run in one process (two copies of the package, each loading its own module) and take turns, so ' +
      'every ratio below is paired: the two sides ran seconds apart on the same machine state.',
    '',
    `## Build: Fashion-MNIST ${n} x 784, L2, M=16, efConstruction=200`,
    '',
    `The same chunks of ${CHUNK} items went into each build's index in turn (the one that goes first alternates); ` +
      `the single-thread build on its one thread, the pthreads build on its pool of ${pool}.`,
    '',
    '| build | threads | build time | speed-up | chunk speed-ups | recall@10 (ef 64) | unreachable items |',
    '|---|---|---|---|---|---|---|',
    `| single | 1 | ${(buildSingle / 1000).toFixed(1)} s | 1.00x | | ${built.single.recall.toFixed(4)} | ${built.single.unreachable} |`,
    `| pthreads | ${pool} | ${(buildPool / 1000).toFixed(1)} s | **${x2(buildSingle / buildPool)}** | ` +
      `${range(chunks.map((c) => c.single / c.pthreads), x2)} (median ${x2(median(chunks.map((c) => c.single / c.pthreads)))}) | ` +
      `${built.pthreads.recall.toFixed(4)} | ${built.pthreads.unreachable} |`,
    '',
    `Recall@10 of ${RECALL_QUERIES} test queries against brute force. Unreachable items come with one thread too: ` +
      'Fashion-MNIST\'s near-duplicate images at M=16 leave some items without in-links; `optimize()` reconnects them.',
    '',
    `## searchBatch: ${queries} test queries, k ${K}, ef ${EF}, one graph`,
    '',
    'The single-thread build\'s index, and the same bytes opened in the pthreads build (answers identical: ' +
      `${sameAnswers ? 'yes' : '**NO**'}). Each round runs the three in rotating order; ${rounds.length} rounds after a warm-up.`,
    '',
    '| build | threads | QPS (all rounds) | QPS per round | against the single-thread build | against itself on 1 thread |',
    '|---|---|---|---|---|---|',
    ...runs.map(([name, , t]) => `| ${name.startsWith('single') ? 'single' : 'pthreads'} | ${t} | ${qps(total[name], rounds.length).toFixed(0)} | ` +
      `${range(rounds.map((m) => qps(m[name])), (v) => v.toFixed(0))} | ${x2(total.single / total[name])} | ` +
      `${name === 'single' ? '' : x2(total['pthreads-1'] / total[name])} |`),
    '',
    `Per round, the pool against the single-thread build: ${rounds.map((m) => x2(m.single / m['pthreads-pool'])).join(', ')}; ` +
      `against the pthreads build on 1 thread: ${rounds.map((m) => x2(m['pthreads-1'] / m['pthreads-pool'])).join(', ')}.`,
    '',
    '## Single-query latency, one graph',
    '',
    `${opt['latency-passes']} passes over ${lq} test queries at ef ${EF}, k ${K}, after 500 warm-up queries; each query ` +
      'answered by one build and then the other, the one that goes first alternating. The pthreads build searches on the calling thread.',
    '',
    '| build | p50 | p90 | mean |',
    '|---|---|---|---|',
    `| single | ${ms(latency.p50.single)} | ${ms(latency.p90.single)} | ${ms(latency.mean.single)} |`,
    `| pthreads | ${ms(latency.p50.pthreads)} | ${ms(latency.p90.pthreads)} | ${ms(latency.mean.pthreads)} |`,
    `| change | **${pct(latency.p50.pthreads / latency.p50.single - 1)}** | ${pct(latency.p90.pthreads / latency.p90.single - 1)} | ` +
      `${pct(latency.mean.pthreads / latency.mean.single - 1)} |`,
    '',
    `Median of the per-query ratios (pthreads / single): ${latency.perQueryMedian.toFixed(4)}. ` +
      `p50 change per pass: ${passP50.map(pct).join(', ')}.`,
    '',
    '## searchBatch over the file paged',
    '',
    'The same index written to a file and opened in the pthreads build with `{ readOnly: true, pageCacheBytes: 512 MiB }` ' +
      '(the cache holds every block; with a smaller one a batch stays on the calling thread, see README). The calling thread ' +
      `reads the file for the pool. Answers equal to the whole read: ${pagedSame ? 'yes' : '**NO**'}.`,
    '',
    '| round | QPS, 1 thread | QPS, pool | speed-up |',
    '|---|---|---|---|',
    ...pagedRounds.map((m, i) => `| ${i + 1} | ${qps(m[1]).toFixed(0)} | ${qps(m[pool]).toFixed(0)} | ${x2(m[1] / m[pool])} |`),
    `| all | ${qps(sum(pagedRounds.map((m) => m[1])), pagedRounds.length).toFixed(0)} | ${qps(sum(pagedRounds.map((m) => m[pool])), pagedRounds.length).toFixed(0)} | ` +
      `**${x2(sum(pagedRounds.map((m) => m[1])) / sum(pagedRounds.map((m) => m[pool])))}** |`,
    '',
  ];
  const wasmSpeedup = buildSingle / buildPool;
  if (native) {
    const nativeSpeedup = sum(native.map((r) => r[1])) / sum(native.map((r) => r[2]));
    const fNative = serialShare(nativeSpeedup, 2);
    const fWasm = serialShare(wasmSpeedup, pool);
    lines.push('## Native scaling, and a projection to more cores', '',
      `\`neurovec build\` of the same 60000 items (efConstruction 200, seed 1) on 1 and 2 threads, in turn, ${native.length} pairs ` +
        '(wall time, including reading the .fvecs and writing the file):', '',
      '| pair | 1 thread | 2 threads | speed-up |', '|---|---|---|---|',
      ...native.map((r, i) => `| ${i + 1} | ${(r[1] / 1000).toFixed(1)} s | ${(r[2] / 1000).toFixed(1)} s | ${x2(r[1] / r[2])} |`), '',
      `This VM has ${os.availableParallelism()} cores, so more threads cannot be measured here. Amdahl's law with the serial share that ` +
        `each 2-thread speed-up implies (native ${x2(nativeSpeedup)}: ${(fNative * 100).toFixed(1)}%; wasm ${x2(wasmSpeedup)}: ` +
        `${(fWasm * 100).toFixed(1)}%) projects, per core count:`, '',
      '| cores | native build, projected | wasm build, projected |', '|---|---|---|',
      ...[2, 4, 8].map((c) => `| ${c} | ${x2(projected(fNative, c))} | ${x2(projected(fWasm, c))} |`), '',
      'A projection, not a measurement: it assumes the rest of the build parallelises as well on more cores, while link ' +
        'updates contend more often and memory bandwidth is shared; the wasm pool is also capped at 8 threads by default.', '');
  }
  const kib = (b) => `${(b / 1024).toFixed(0)} KiB`;
  lines.push('## Package size', '',
    'The files each build loads (js/dist/wasm/; the package also ships .js/.cjs twins of the glue for CommonJS and classic ' +
      'workers). Gzip at level 9, as a server would send them:', '',
    '| build | files | bytes | gzipped |', '|---|---|---|---|',
    ...Object.entries(sizes).map(([name, files]) => `| ${name} | ${files.map((f) => `${f.file} ${kib(f.bytes)}`).join(', ')} | ` +
      `${kib(sum(files.map((f) => f.bytes)))} | ${kib(sum(files.map((f) => f.gzip)))} |`), '',
    'A page that is not cross-origin isolated never fetches the pthreads files.', '');
  writeFileSync(opt.out, lines.join('\n'));
  console.log(lines.join('\n'));
  if (!sameAnswers || !pagedSame) throw new Error('the builds or the paged open gave different answers for the same graph');
  process.exit(0); // the pools' Workers are unref'd, but the copies' modules hold the heap until exit
}

await main();
