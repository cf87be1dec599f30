// Runs one JS-side engine in its own process (started by bench/run.mjs, pinned to one CPU
// where taskset exists): build, warm-up, then per ef the timed queries one at a time.
// Usage: node bench/engine-child.mjs '<json config>'; writes its result as JSON to config.out.
import { writeFileSync } from 'node:fs';
import { readFvecs, readIvecsFlat } from './lib/io.mjs';
import { meanRecall } from './lib/metrics.mjs';

const ENGINES = {
  hnswlib: () => import('./engines/hnswlib.mjs'),
  ruvector: () => import('./engines/ruvector.mjs'),
  wasm: () => import('./engines/wasm.mjs'),
  'wasm-q': () => import('./engines/wasm_quantized.mjs'),
};

const config = JSON.parse(process.argv[2]);
const log = (msg) => process.stderr.write(`  [${config.engine}] ${msg}\n`);

function cpuSeconds(since) {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

async function main() {
  const engine = await ENGINES[config.engine]();
  const skip = await engine.check();
  if (skip) return { engine: engine.name, skipped: skip };

  const base = readFvecs(config.base);
  const allQueries = readFvecs(config.queries);
  const n = Math.min(config.queryCount, allQueries.count);
  const truth = readIvecsFlat(config.truth, n);
  if (truth.count < n) throw new Error(`${config.truth} has ${truth.count} rows, fewer than ${n} queries`);
  const d = base.dimensions;
  const k = config.k;

  const index = await engine.createIndex({
    dimensions: d,
    count: base.count,
    m: config.m,
    efConstruction: config.efConstruction,
    efSearch: config.buildEf ?? 64,
    seed: config.seed,
  });

  log(`building ${base.count} x ${d} (M=${config.m}, efConstruction=${config.efConstruction}${config.buildEf ? `, efSearch=${config.buildEf}` : ''})`);
  let lastTenth = -1;
  const progress = (done, total) => {
    const tenth = Math.floor((10 * done) / total);
    if (tenth !== lastTenth) {
      lastTenth = tenth;
      process.stderr.write(tenth === 10 ? ' 100%\n' : ` ${tenth * 10}%`);
    }
  };
  const wall0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const buildSeconds = await index.build(base.data, base.count, d, progress);
  const buildWall = Number(process.hrtime.bigint() - wall0) / 1e9;
  const buildCpu = cpuSeconds(cpu0);
  log(`build ${buildSeconds.toFixed(2)} s (wall incl. conversions ${buildWall.toFixed(2)} s, cpu ${buildCpu.toFixed(2)} s)`);

  const row = (i) => allQueries.data.subarray(i * d, (i + 1) * d);
  const prepared = Array.from({ length: n }, (_, i) => index.prepareQuery(row(i)));
  // Warm-up queries: test queries outside the timed set when there are enough, else the first ones.
  const warmStart = allQueries.count - config.warmup >= n ? allQueries.count - config.warmup : 0;
  const warm = Array.from({ length: Math.min(config.warmup, allQueries.count) }, (_, i) => index.prepareQuery(row(warmStart + i)));
  const out = new Int32Array(n * k);

  const isAsync = index.search.constructor.name === 'AsyncFunction';
  const runAll = isAsync
    ? async (qs, dst) => {
        for (let i = 0; i < qs.length; i++) await index.search(qs[i], k, dst, i * k);
      }
    : (qs, dst) => {
        for (let i = 0; i < qs.length; i++) index.search(qs[i], k, dst, i * k);
      };

  let probe = null;
  if (config.probe && index.probePerQueryEf) {
    probe = await index.probePerQueryEf(warm.slice(0, 200), k, Math.min(...config.efs), 400);
    log(`per-query efSearch ${probe.honoured ? 'is honoured' : 'is IGNORED'} (${probe.differingAnswers}/${probe.queries} answers differ between efSearch ${probe.efSmall} and ${probe.efLarge})`);
  }
  const efs = engine.efPerQuery ? config.efs : [config.buildEf];

  index.setEf(config.warmupEf ?? efs[efs.length - 1]);
  const warmOut = new Int32Array(warm.length * k);
  await runAll(warm, warmOut);
  log(`warmed up with ${warm.length} queries (rows ${warmStart}..${warmStart + warm.length - 1} of the test set)`);

  // Each ef is timed `runs` times over the whole query set; the fastest run counts (recall and
  // distance computations are the same in every run of a deterministic search).
  const runs = config.runs ?? 1;
  const points = [];
  for (const ef of efs) {
    index.setEf(ef);
    let best = null;
    const qpsRuns = [];
    for (let run = 0; run < runs; run++) {
      out.fill(-1);
      const dc0 = index.distanceComputations ? index.distanceComputations() : null;
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await runAll(prepared, out);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = cpuSeconds(c0);
      const dc1 = index.distanceComputations ? index.distanceComputations() : null;
      const point = {
        ef,
        recall: meanRecall(out, truth.data, n, k, truth.k),
        qps: n / seconds,
        seconds,
        cpu_seconds: cpu,
        distance_computations: dc0 == null ? null : (dc1 - dc0) / n,
      };
      qpsRuns.push(point.qps);
      if (!best || point.qps > best.qps) best = point;
    }
    best.qps_runs = qpsRuns;
    points.push(best);
    log(`ef ${String(ef).padStart(4)}  recall@${k} ${best.recall.toFixed(4)}  qps ${best.qps.toFixed(1).padStart(9)}` +
      (runs > 1 ? ` (best of ${qpsRuns.map((q) => q.toFixed(0)).join(', ')})` : '') +
      (best.distance_computations == null ? '' : `  distances/query ${best.distance_computations.toFixed(1)}`));
  }
  const rss = process.memoryUsage().rss;
  index.dispose();
  return {
    engine: engine.name,
    ...index.info,
    per_query_ef: engine.efPerQuery,
    ef_probe: probe,
    build_ef_search: config.buildEf ?? null,
    build_seconds: buildSeconds,
    build_wall_seconds: buildWall,
    build_cpu_seconds: buildCpu,
    items: base.count,
    dimensions: d,
    queries: n,
    runs_per_ef: runs,
    warmup_queries: warm.length,
    k,
    rss_bytes_after_search: rss,
    points,
  };
}

try {
  const result = await main();
  writeFileSync(config.out, JSON.stringify(result, null, 2));
} catch (e) {
  process.stderr.write(`  [${config.engine}] failed: ${e.stack ?? e}\n`);
  writeFileSync(config.out, JSON.stringify({ engine: config.engine, error: String(e.message ?? e) }));
  process.exitCode = 1;
}
