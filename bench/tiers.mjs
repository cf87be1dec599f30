#!/usr/bin/env node
// `npm run bench:tiers`: issue 4's skewed workload on Fashion-MNIST (60k x 784, L2), natively
// (`neurovec tiers-bench --json`) and in Node through the JS API (the wasm core), same protocol:
//   1. a durable tiered index (m 16, efConstruction 200) in a new file; codebooks trained on a
//      sample; a checkpoint, so the file holds every f32 row and non-hot rows can leave memory;
//   2. recall@10 of the 10,000 test queries (ef 64) against the exact neighbours (brute force,
//      data/fashion-mnist-truth-10000.ivecs), all items hot;
//   3. 20,000 queries drawn 90% from two classes (0 T-shirt/top, 1 trouser), 10% from the
//      other eight, the tier clock advancing 0.05 s per query (half-life 3600 s), starting
//      20 half-lives after step 2 so its accesses have decayed away;
//   4. recompress(), timed; vector memory (f32 rows still in memory + page cache + codes +
//      codebooks) against raw f32; recall@10 again, hot-class and other queries apart.
// Writes bench/results/tiers.{md,json,svg}. Figures are this machine's.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FASHION_DIR, loadFashionMnist, prepareFashionFiles, prepareFashionTruth } from './datasets.mjs';
import { readIvecsFlat } from './lib/io.mjs';
import { tierChartSvg } from './lib/bars.mjs';
import { ROOT, CLI } from './lib/paths.mjs';

const { values: opt } = parseArgs({
  options: {
    engines: { type: 'string', default: 'native,wasm' },
    data: { type: 'string', default: join(ROOT, 'data') },
    out: { type: 'string', default: join(ROOT, 'bench', 'results') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  console.log('usage: node bench/tiers.mjs [--engines native,wasm] [--data DIR] [--out DIR]');
  process.exit(0);
}
const log = (m) => console.error(`[tiers] ${m}`);
const K = 10, EF = 64, RERANK = 100, WORKLOAD = 20000, HOT_SHARE = 90, HALF_LIFE = 3600, STEP = 0.05;
const HOT_CLASSES = new Set([0, 1]);

const files = prepareFashionFiles(opt.data);
const truthPath = prepareFashionTruth(opt.data, CLI, { log });
const engines = opt.engines.split(',');
const results = [];
const tmp = mkdtempSync(join(os.tmpdir(), 'neurovec-tiers-'));

try {
  if (engines.includes('native')) {
    if (!existsSync(CLI)) throw new Error('build/native/neurovec is missing: run `npm run build` first');
    log('native: neurovec tiers-bench --file ... --json');
    const out = execFileSync(CLI, ['tiers-bench', '--base', files.base, '--queries', files.queries, '--truth', truthPath,
      '--base-labels', join(FASHION_DIR, 'train-labels-idx1-ubyte.gz'),
      '--query-labels', join(FASHION_DIR, 't10k-labels-idx1-ubyte.gz'),
      '--file', join(tmp, 'native.nvx'), '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    results.push(JSON.parse(out.trim().split('\n').pop()));
  }
  if (engines.includes('wasm')) results.push(await runWasm(join(tmp, 'wasm.nvx')));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

// ---- the same protocol through the JS API (wasm core, node:fs storage)
async function runWasm(path) {
  const { VectorIndex, configureWasm } = await import(join(ROOT, 'js', 'dist', 'index.js'));
  configureWasm({ threads: 1 }); // the figures are one-thread figures
  const { train, test, dimensions } = loadFashionMnist();
  const { data: truth, k: truthK } = readIvecsFlat(truthPath);
  const ms = (t0) => performance.now() - t0;
  const index = await VectorIndex.create({ dimensions, metric: 'l2', m: 16, efConstruction: 200, efSearch: EF,
    tiers: { enabled: true, migrationBudget: 0, rerank: RERANK, halfLifeSeconds: HALF_LIFE }, storage: path });
  try {
    index.setTierClock(0);
    log('wasm: adding 60,000 vectors (one thread)...');
    let t0 = performance.now();
    index.addBatch(Array.from({ length: train.count }, (_, i) => i), train.vectors, {
      onProgress: (p) => { if (p.done % 10000 === 0) log(`  ${p.done} / ${p.total}`); },
    });
    const buildSeconds = ms(t0) / 1e3;
    index.retrainCodebooks();
    await index.checkpoint();
    const query = (q) => test.vectors.subarray(q * dimensions, (q + 1) * dimensions);
    const measure = () => {
      let hot = 0, other = 0, hotN = 0, otherN = 0;
      const t = performance.now();
      for (let q = 0; q < test.count; q++) {
        const got = index.search(query(q), K, { ef: EF });
        const want = new Set(truth.subarray(q * truthK, q * truthK + K));
        let found = 0;
        for (const r of got) found += want.has(r.id);
        if (HOT_CLASSES.has(test.labels[q])) { hot += found; hotN++; } else { other += found; otherN++; }
      }
      return { hot: hot / (hotN * K), other: other / (otherN * K), hotN, otherN, msPerQuery: ms(t) / test.count };
    };
    log('wasm: recall before (all hot)...');
    const before = measure();
    // xorshift32: a fixed, seeded draw of the workload.
    let s = 42;
    const next = (n) => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s % n; };
    const hotPool = [], otherPool = [];
    for (let q = 0; q < test.count; q++) (HOT_CLASSES.has(test.labels[q]) ? hotPool : otherPool).push(q);
    let now = 20 * HALF_LIFE, fromHot = 0;
    log(`wasm: ${WORKLOAD} skewed queries...`);
    t0 = performance.now();
    for (let i = 0; i < WORKLOAD; i++) {
      const hot = next(100) < HOT_SHARE;
      fromHot += hot;
      const pool = hot ? hotPool : otherPool;
      now += STEP;
      index.setTierClock(now);
      index.search(query(pool[next(pool.length)]), K, { ef: EF });
    }
    const workloadSeconds = ms(t0) / 1e3;
    t0 = performance.now();
    const moved = index.recompress();
    const recompressSeconds = ms(t0) / 1e3;
    const movedTotal = Object.values(moved).reduce((a, b) => a + b, 0);
    const st = index.stats();
    log('wasm: recall after recompress...');
    const after = measure();
    const mem = st.memory;
    return {
      engine: 'wasm', items: train.count, dimensions, workload: WORKLOAD, fromHot, ef: EF, rerank: RERANK, fileBacked: true,
      buildSeconds, workloadSeconds,
      recompress: { moved: movedTotal, seconds: recompressSeconds, vectorsPerSecond: movedTotal / recompressSeconds },
      tiers: st.tiers, tierBytes: mem.tiers.tiers, codebookBytes: mem.tiers.codebooks, rawF32Bytes: mem.rawF32,
      residentVectorBytes: mem.vectors + mem.codes + mem.tiers.codebooks,  // codes include the tiers' codes
      projectedVectorBytes: mem.tiers.vectorsIfReleased, pageCacheBytes: st.paging?.cacheBytes ?? 0,
      recallBefore: { hot: before.hot, other: before.other }, recallAfter: { hot: after.hot, other: after.other },
      hotQueries: after.hotN, otherQueries: after.otherN, msPerQueryAfter: after.msPerQuery,
    };
  } finally {
    await index.close();
  }
}

// Engines not run this time keep their last figures (from tiers.json), marked with their date.
const previousPath = join(opt.out, 'tiers.json');
if (existsSync(previousPath)) {
  const previous = JSON.parse(readFileSync(previousPath, 'utf8'));
  for (const r of previous.results ?? []) {
    if (!results.some((x) => x.engine === r.engine)) results.push({ ...r, date: r.date ?? previous.date });
  }
}
const stamp = new Date().toISOString();
for (const r of results) r.date ??= stamp;
results.sort((a, b) => a.engine.localeCompare(b.engine));

// ---- report
const mib = (b) => (b / 1048576).toFixed(2);
const pass = (ok) => (ok ? 'met' : '**missed**');
const lines = [];
const dates = [...new Set(results.map((r) => r.date.slice(0, 16)))];
lines.push('# Compression tiers: skewed workload on Fashion-MNIST (issue 4)', '');
lines.push(`Command: \`node bench/tiers.mjs\` (${new Date().toISOString().slice(0, 10)}; ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'CPU'}; ` +
  `load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')}). Protocol in the script's header: a durable ` +
  `tiered index of the 60,000 x 784 training images (L2, m 16, efConstruction 200) in a new file, checkpointed; ` +
  `${WORKLOAD.toLocaleString('en')} queries from the test set, ${HOT_SHARE}% from classes 0 and 1; recompress(); ` +
  `recall@${K} (ef ${EF}, re-rank ${RERANK}) of all 10,000 test queries against brute force. native = the C++ CLI; ` +
  'wasm = the same protocol through the JS API in Node.', '');
if (dates.length > 1) lines.push(`Engines measured at different times: ${results.map((r) => `${r.engine} ${r.date.slice(0, 16)}`).join(', ')}.`, '');
lines.push('| figure | target | ' + results.map((r) => r.engine).join(' | ') + ' |');
lines.push('| --- | --- | ' + results.map(() => '---').join(' | ') + ' |');
const row = (name, target, f) => lines.push(`| ${name} | ${target} | ${results.map(f).join(' | ')} |`);
row('vector memory resident after recompress (f32 rows in memory + page cache + norms + codes + codebooks) / raw f32', '<= 0.30',
  (r) => `**${(r.residentVectorBytes / r.rawF32Bytes).toFixed(3)}x** (${mib(r.residentVectorBytes)} of ${mib(r.rawF32Bytes)} MiB) ${pass(r.residentVectorBytes <= 0.3 * r.rawF32Bytes)}`);
row(`recall@${K} hot-class queries after`, '>= 0.95', (r) => `**${r.recallAfter.hot.toFixed(4)}** ${pass(r.recallAfter.hot >= 0.95)} (${r.hotQueries} queries)`);
row(`recall@${K} other queries after`, '>= 0.90', (r) => `**${r.recallAfter.other.toFixed(4)}** ${pass(r.recallAfter.other >= 0.9)} (${r.otherQueries} queries)`);
row('recompression', '>= 10,000 vectors/s', (r) => `**${Math.round(r.recompress.vectorsPerSecond).toLocaleString('en')}** vectors/s (${r.recompress.moved.toLocaleString('en')} moved in ${r.recompress.seconds.toFixed(2)} s) ${pass(r.recompress.vectorsPerSecond >= 1e4)}`);
row(`recall@${K} before (all f32): hot / other`, '', (r) => `${r.recallBefore.hot.toFixed(4)} / ${r.recallBefore.other.toFixed(4)}`);
row('tiers after: hot / warm / cool / cold / archive', '', (r) => ['hot', 'warm', 'cool', 'cold', 'archive'].map((t) => r.tiers[t].toLocaleString('en')).join(' / '));
row('MiB per tier: hot / warm / cool / cold / archive; codebooks', '', (r) => ['hot', 'warm', 'cool', 'cold', 'archive'].map((t) => mib(r.tierBytes[t])).join(' / ') + `; ${mib(r.codebookBytes)}`);
row('page cache bound (rows of non-hot items read from the file)', '', (r) => `${mib(r.pageCacheBytes)} MiB`);
row('ms per query after (ef 64, re-rank 100, one thread)', '', (r) => r.msPerQueryAfter.toFixed(3));
row('build (s) / workload (s)', '', (r) => `${r.buildSeconds.toFixed(1)} / ${r.workloadSeconds.toFixed(1)}`);
lines.push('', '![tiers](tiers.svg)', '');
lines.push('Tier codecs (docs/tiers.md): hot f32, warm f16, cool PQ8 (d/4 sub-quantizers), cold PQ4 (d/8 + 4 outliers), ' +
  'archive rotated sign bits (1024 bits after a randomized Hadamard rotation + residual norm and alignment: 136 bytes ' +
  'at 784 dimensions; RaBitQ\'s estimator). Re-ranking reads the f32 rows of non-hot candidates from the file ' +
  'through the bounded page cache.', '');
mkdirSync(opt.out, { recursive: true });
writeFileSync(join(opt.out, 'tiers.md'), lines.join('\n'));
writeFileSync(join(opt.out, 'tiers.json'), JSON.stringify({ date: stamp, results }, null, 2) + '\n');
writeFileSync(join(opt.out, 'tiers.svg'), tierChartSvg(results, {
  title: 'Fashion-MNIST 60k: tiers after a skewed workload and recompress()',
  subtitle: `${WORKLOAD.toLocaleString('en')} queries, ${HOT_SHARE}% from 2 classes; recall@${K} ef ${EF} re-rank ${RERANK}`,
}));
console.log(lines.join('\n'));
