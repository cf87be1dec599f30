#!/usr/bin/env node
// `npm run bench`: Fashion-MNIST (60k x 784, L2), HNSW M=16, efConstruction=200, recall@10.
// neurovec native (CLI), neurovec wasm (JS API), hnswlib-node and @ruvector/core, each on one
// thread (pinned to one CPU where taskset exists), queries one at a time, recall against the
// exact ground truth computed by our own CLI. See bench/README.md.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { prepareFashionFiles, prepareFashionTruth } from './datasets.mjs';
import { sliceVecsFile, vecsShape } from './lib/io.mjs';
import { qpsAtRecall, ratio, verdict } from './lib/metrics.mjs';
import { recallQpsSvg } from './lib/plot.mjs';
import { ROOT, CLI } from './lib/paths.mjs';

const ALL_ENGINES = ['native', 'wasm', 'wasm-q', 'hnswlib', 'ruvector'];
const LABELS = {
  native: 'neurovec native (C++)',
  wasm: 'neurovec wasm (JS API)',
  'wasm-q': 'neurovec wasm, quantized traversal int8-uniform (JS API)',
  hnswlib: 'hnswlib-node 3.0.0',
  ruvector: '@ruvector/core',
};
const TARGET_RECALL = 0.95;

const { values: opt } = parseArgs({
  options: {
    engines: { type: 'string', default: ALL_ENGINES.join(',') },
    queries: { type: 'string', default: '5000' },
    'native-queries': { type: 'string', default: '10000' },
    ef: { type: 'string', default: '10,11,12,13,14,16,20,24,32,48,64,96,128' },
    'ruvector-ef': { type: 'string', default: '10,12,16,24,48' },
    warmup: { type: 'string', default: '300' },
    runs: { type: 'string', default: '2' },
    'no-pin': { type: 'boolean', default: false },
    'no-2thread': { type: 'boolean', default: false },
    data: { type: 'string', default: join(ROOT, 'data') },
    out: { type: 'string', default: join(ROOT, 'bench', 'results') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (opt.help) {
  console.log(`usage: npm run bench -- [options]
  --engines LIST        engines to run (default ${ALL_ENGINES.join(',')})
  --queries N           test queries for the JS-side engines (wasm, wasm-q, hnswlib, ruvector; default 5000)
  --native-queries N    test queries for the native CLI (default 10000)
  --ef LIST             ef values (default ${opt.ef})
  --ruvector-ef LIST    ef values for @ruvector/core, one index build each (default ${opt['ruvector-ef']})
  --warmup N            warm-up queries per engine before timing (default 300)
  --runs N              timed passes over the queries per ef; the fastest counts (default 2)
  --no-pin              do not pin the one-thread runs to one CPU with taskset
  --no-2thread          skip the native 2-thread build
  --data DIR            data directory (default data/)
  --out DIR             results directory (default bench/results/)`);
  process.exit(0);
}

const intList = (s, what) => {
  const v = s.split(',').map((x) => Number(x.trim()));
  if (!v.length || v.some((x) => !Number.isInteger(x) || x <= 0)) throw new Error(`--${what} expects a list of positive integers`);
  return v;
};
const engines = opt.engines.split(',').map((e) => e.trim()).filter(Boolean);
for (const e of engines) if (!ALL_ENGINES.includes(e)) throw new Error(`unknown engine '${e}' (known: ${ALL_ENGINES.join(', ')})`);
const EFS = intList(opt.ef, 'ef').sort((a, b) => a - b);
const RUVECTOR_EFS = intList(opt['ruvector-ef'], 'ruvector-ef').sort((a, b) => a - b);
const JS_QUERIES = Number(opt.queries);
const NATIVE_QUERIES = Number(opt['native-queries']);
const WARMUP = Number(opt.warmup);
const RUNS = Number(opt.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs expects a positive integer');
const PARAMS = { k: 10, m: 16, efConstruction: 200, seed: 42, truthK: 100, totalQueries: 10000 };

const started = new Date();
const t0 = Date.now();
const say = (msg) => console.log(msg);
const section = (msg) => console.log(`\n== ${msg} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);

// ---------- machine ----------
function cpuModel() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown';
}
function cpuFlags() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    const flags = new Set(line.split(':')[1].trim().split(/\s+/));
    return ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl'].filter((f) => flags.has(f));
  } catch {
    return [];
  }
}
const haveTaskset = !opt['no-pin'] && spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
const PIN_CPU = os.cpus().length - 1;
const machine = {
  cpu_model: cpuModel(),
  cpu_flags: cpuFlags(),
  logical_cpus: os.cpus().length,
  memory_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  pinned_cpu: haveTaskset ? PIN_CPU : null,
  loadavg_start: os.loadavg(),
};

// ---------- helpers ----------
// Env of every measured child: no hidden worker pools (rayon / tokio / libuv / OpenMP).
const ONE_THREAD_ENV = { ...process.env, RAYON_NUM_THREADS: '1', TOKIO_WORKER_THREADS: '1', UV_THREADPOOL_SIZE: '1', OMP_NUM_THREADS: '1' };

// CPU seconds used by this process's reaped children (cutime + cstime in /proc/self/stat), or null.
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;
function childrenCpuSeconds() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
  } catch {
    return null;
  }
}

// Runs a command; resolves to { wall_seconds, cpu_seconds } of the whole child process.
function run(cmd, args, { pin = false, env = process.env, onLine } = {}) {
  const [c, a] = pin && haveTaskset ? ['taskset', ['-c', String(PIN_CPU), cmd, ...args]] : [cmd, args];
  const cpu0 = childrenCpuSeconds();
  const wall0 = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(c, a, { cwd: ROOT, env, stdio: ['ignore', onLine ? 'pipe' : 'inherit', 'inherit'] });
    let buf = '';
    if (onLine) {
      child.stdout.on('data', (chunk) => {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      });
    }
    child.on('error', reject);
    child.on('close', (code) => {
      if (onLine && buf) onLine(buf);
      const cpu1 = childrenCpuSeconds();
      const usage = { wall_seconds: (Date.now() - wall0) / 1000, cpu_seconds: cpu0 == null || cpu1 == null ? null : cpu1 - cpu0 };
      code === 0 ? resolvePromise(usage) : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`));
    });
  });
}

async function ensureCli() {
  if (existsSync(CLI)) return;
  section('building the native CLI (build/native/neurovec was missing)');
  await run('cmake', ['-S', '.', '-B', 'build/native', '-DCMAKE_BUILD_TYPE=Release']);
  await run('cmake', ['--build', 'build/native', '-j', String(os.cpus().length)]);
  if (!existsSync(CLI)) throw new Error(`${CLI} still missing after the cmake build`);
}

// ---------- data ----------
section('data');
mkdirSync(opt.data, { recursive: true });
await ensureCli();
const files = prepareFashionFiles(opt.data, PARAMS.totalQueries);
const truthPath = prepareFashionTruth(opt.data, CLI, { queryCount: PARAMS.totalQueries, k: PARAMS.truthK, log: say });
const baseShape = vecsShape(files.base);
const queryShape = vecsShape(files.queries);
const truthShape = vecsShape(truthPath);
if (truthShape.count !== queryShape.count || truthShape.dimensions < PARAMS.k) {
  throw new Error(`${truthPath} is ${truthShape.count} x ${truthShape.dimensions}, expected ${queryShape.count} x >= ${PARAMS.k}; delete it to recompute`);
}
say(`base ${baseShape.count} x ${baseShape.dimensions}, queries ${queryShape.count}, truth ${truthShape.count} x ${truthShape.dimensions}`);
say(`one-thread runs ${haveTaskset ? `pinned to CPU ${PIN_CPU} with taskset` : 'not pinned'}; machine: ${machine.cpu_model}, ${machine.logical_cpus} logical CPUs, load ${machine.loadavg_start.map((x) => x.toFixed(2)).join(' ')}`);

const queriesFor = (n) => {
  if (n >= queryShape.count) return files.queries;
  return sliceVecsFile(files.queries, join(opt.data, `fashion-mnist-queries-${n}.fvecs`), n);
};

// ---------- native ----------
async function runNative(threads, queriesPath, efs, pin) {
  const lines = [];
  const usage = await run(CLI, ['bench', '--base', files.base, '--queries', queriesPath, '--truth', truthPath, '--k', String(PARAMS.k),
    '--m', String(PARAMS.m), '--ef-construction', String(PARAMS.efConstruction), '--seed', String(PARAMS.seed),
    '--threads', String(threads), '--ef', efs.join(','), '--json'], {
    pin,
    env: ONE_THREAD_ENV,
    onLine: (line) => {
      if (!line.trim()) return;
      const o = JSON.parse(line);
      lines.push(o);
      if ('build_seconds' in o) say(`  [native ${threads}t] build ${o.build_seconds.toFixed(2)} s, kernel ${o.kernel}`);
      else say(`  [native ${threads}t] ef ${String(o.ef).padStart(4)}  recall@10 ${o.recall.toFixed(4)}  qps ${o.qps.toFixed(1).padStart(9)}  distances/query ${o.distance_computations.toFixed(1)}`);
    },
  });
  return { build: lines[0], points: lines.slice(1), usage };
}

const results = {};
const skipped = {};

if (engines.includes('native')) {
  section(`native CLI, 1 thread, ${Math.min(NATIVE_QUERIES, queryShape.count)} queries`);
  // The first ef pass (the largest ef) is a warm-up over all queries and is dropped.
  const warmEf = EFS[EFS.length - 1];
  const r = await runNative(1, queriesFor(NATIVE_QUERIES), [warmEf, ...EFS.flatMap((ef) => Array(RUNS).fill(ef))], true);
  const byEf = new Map();
  for (const p of r.points.slice(1)) {
    const prev = byEf.get(p.ef);
    const qpsRuns = [...(prev?.qps_runs ?? []), p.qps];
    byEf.set(p.ef, { ...(prev && prev.qps >= p.qps ? prev : p), qps_runs: qpsRuns });
  }
  results.native = {
    engine: 'neurovec native',
    kernel: r.build.kernel,
    parameters: { m: r.build.m, ef_construction: r.build.ef_construction, seed: PARAMS.seed, threads: 1 },
    notes: `build/native/neurovec bench --threads 1; a first pass over all queries at ef=${warmEf} is a warm-up and is not reported; each ef is listed ${RUNS} time(s) and the fastest pass counts.`,
    build_seconds: r.build.build_seconds,
    process_wall_seconds: r.usage.wall_seconds,
    process_cpu_seconds: r.usage.cpu_seconds,
    items: r.build.items,
    dimensions: r.build.dimensions,
    queries: Math.min(NATIVE_QUERIES, queryShape.count),
    warmup_queries: Math.min(NATIVE_QUERIES, queryShape.count),
    runs_per_ef: RUNS,
    k: PARAMS.k,
    points: [...byEf.values()].map((p) => ({ ef: p.ef, recall: p.recall, qps: p.qps, qps_runs: p.qps_runs, distance_computations: p.distance_computations })),
  };
  if (!opt['no-2thread']) {
    section('native CLI, 2-thread build (build time only; 1000 queries at ef=10 to complete the command)');
    const r2 = await runNative(2, queriesFor(1000), [10], false);
    results.native_2threads = {
      engine: 'neurovec native, 2-thread build',
      kernel: r2.build.kernel,
      threads: r2.build.threads,
      build_seconds: r2.build.build_seconds,
      process_wall_seconds: r2.usage.wall_seconds,
      process_cpu_seconds: r2.usage.cpu_seconds,
      items: r2.build.items,
    };
  }
}

// ---------- JS-side engines (one child process each, one thread) ----------
async function runChild(engine, extra) {
  const out = join(os.tmpdir(), `neurovec-bench-${engine}-${process.pid}-${Date.now()}.json`);
  const config = {
    engine,
    base: files.base,
    queries: files.queries,
    truth: truthPath,
    queryCount: JS_QUERIES,
    warmup: WARMUP,
    k: PARAMS.k,
    m: PARAMS.m,
    efConstruction: PARAMS.efConstruction,
    seed: PARAMS.seed,
    efs: EFS,
    runs: RUNS,
    out,
    ...extra,
  };
  let usage = null;
  try {
    usage = await run(process.execPath, [join(ROOT, 'bench', 'engine-child.mjs'), JSON.stringify(config)], { pin: true, env: ONE_THREAD_ENV });
  } catch (e) {
    if (!existsSync(out)) throw e;
  }
  const result = JSON.parse(readFileSync(out, 'utf8'));
  rmSync(out, { force: true });
  if (usage) Object.assign(result, { process_wall_seconds: usage.wall_seconds, process_cpu_seconds: usage.cpu_seconds });
  return result;
}

for (const engine of ['wasm', 'wasm-q', 'hnswlib']) {
  if (!engines.includes(engine)) continue;
  section(`${LABELS[engine]}, 1 thread, ${Math.min(JS_QUERIES, queryShape.count)} queries`);
  const r = await runChild(engine, {});
  if (r.skipped || r.error) {
    skipped[engine] = r.skipped ?? `failed: ${r.error}`;
    say(`  SKIPPED ${LABELS[engine]}: ${skipped[engine]}`);
  } else {
    results[engine] = r;
  }
}

if (engines.includes('ruvector')) {
  section(`${LABELS.ruvector}, 1 thread, ${Math.min(JS_QUERIES, queryShape.count)} queries`);
  // The first index probes whether the per-query efSearch is honoured; if it is not, every
  // other ef needs its own index (hnswConfig.efSearch is fixed at construction).
  const first = await runChild('ruvector', { efs: RUVECTOR_EFS, buildEf: RUVECTOR_EFS[0], probe: true });
  if (first.skipped || first.error) {
    skipped.ruvector = first.skipped ?? `failed: ${first.error}`;
    say(`  SKIPPED ${LABELS.ruvector}: ${skipped.ruvector}`);
  } else {
    const buildOf = (x, ef) => ({ ef_search: ef, build_seconds: x.build_seconds, build_wall_seconds: x.build_wall_seconds, build_cpu_seconds: x.build_cpu_seconds });
    const r = { ...first, builds: [buildOf(first, RUVECTOR_EFS[0])] };
    if (!first.per_query_ef) {
      for (const ef of RUVECTOR_EFS.slice(1)) {
        say(`  [ruvector] new index with hnswConfig.efSearch=${ef}`);
        const next = await runChild('ruvector', { efs: [ef], buildEf: ef, probe: false });
        if (next.error) throw new Error(`ruvector ef=${ef}: ${next.error}`);
        r.points.push(...next.points);
        r.builds.push(buildOf(next, ef));
      }
      r.notes += ` The per-query efSearch is ignored (probe: ${first.ef_probe.differingAnswers}/${first.ef_probe.queries} answers differ between efSearch ${first.ef_probe.efSmall} and ${first.ef_probe.efLarge}), so each ef point is a separate index built with hnswConfig.efSearch = ef; build_seconds is that of the first (ef=${RUVECTOR_EFS[0]}).`;
    }
    results.ruvector = r;
  }
}

// ---------- summary ----------
section('summary');
machine.loadavg_end = os.loadavg();
const summary = {};
for (const [key, r] of Object.entries(results)) {
  if (!r.points) continue;
  summary[key] = { build_seconds: r.build_seconds, queries: r.queries, ...qpsAtRecall(r.points, TARGET_RECALL) };
}
const best = (key) => summary[key]?.best?.qps ?? null;
const interp = (key) => summary[key]?.interpolated?.qps ?? null;
const missing = (...keys) => keys.filter((k) => !summary[k] && !results[k]).map((k) => skipped[k] ?? `${k} not run`).join('; ') || 'no point reaches recall 0.95';
const targets = [
  {
    name: 'native QPS / hnswlib-node QPS at recall@10 >= 0.95',
    value: ratio(best('native'), best('hnswlib')),
    interpolated: ratio(interp('native'), interp('hnswlib')),
    min: 1.2,
    missing: missing('native', 'hnswlib'),
  },
  {
    name: 'wasm QPS / hnswlib-node QPS at recall@10 >= 0.95',
    value: ratio(best('wasm'), best('hnswlib')),
    interpolated: ratio(interp('wasm'), interp('hnswlib')),
    min: 0.8,
    missing: missing('wasm', 'hnswlib'),
  },
  {
    name: 'wasm quantized traversal (int8-uniform) QPS / hnswlib-node QPS at recall@10 >= 0.95',
    value: ratio(best('wasm-q'), best('hnswlib')),
    interpolated: ratio(interp('wasm-q'), interp('hnswlib')),
    min: 1.2,
    missing: missing('wasm-q', 'hnswlib'),
  },
  {
    name: 'hnswlib-node build time / native 1-thread build time (native no slower)',
    value: ratio(results.hnswlib?.build_seconds, results.native?.build_seconds),
    min: 1.0,
    missing: missing('native', 'hnswlib'),
  },
  {
    name: 'native build speedup, 1 thread / 2 threads',
    value: ratio(results.native?.build_seconds, results.native_2threads?.build_seconds),
    min: 1.7,
    missing: results.native ? (opt['no-2thread'] ? '--no-2thread' : 'native 2-thread run missing') : 'native not run',
  },
].map((t) => ({ ...t, verdict: verdict(t.value, t.min, t.missing) }));

// ---------- contention check ----------
// Every one-thread phase should have had a whole CPU: a CPU share (cpu / wall seconds) well
// below 1 means other processes competed for that CPU and the timing is pessimistic.
const share = (cpu, wall) => (cpu == null || !wall ? null : cpu / wall);
const warnings = [];
const pct = (x) => `${(100 * x).toFixed(0)}%`;
if (results.native) {
  const s = share(results.native.process_cpu_seconds, results.native.process_wall_seconds);
  results.native.cpu_share = s;
  if (s != null && s < 0.9) warnings.push(`native 1-thread run got ${pct(s)} of a CPU on average`);
}
if (results.native_2threads) {
  const s = share(results.native_2threads.process_cpu_seconds, results.native_2threads.process_wall_seconds);
  results.native_2threads.cpu_share = s;
  if (s != null && s < 1.6) warnings.push(`native 2-thread run used ${s.toFixed(2)} CPUs on average (of 2): the other CPU was busy, so its build time and speedup are pessimistic`);
}
for (const key of ['wasm', 'wasm-q', 'hnswlib', 'ruvector']) {
  const r = results[key];
  if (!r) continue;
  r.build_cpu_share = share(r.build_cpu_seconds, r.build_wall_seconds);
  if (r.build_cpu_share != null && r.build_cpu_share < 0.9) warnings.push(`${LABELS[key]} build got ${pct(r.build_cpu_share)} of a CPU`);
  for (const b of (r.builds ?? []).slice(1)) {
    const bs = share(b.build_cpu_seconds, b.build_wall_seconds);
    if (bs != null && bs < 0.9) warnings.push(`${LABELS[key]} build with efSearch=${b.ef_search} got ${pct(bs)} of a CPU (used only for its ef point, not for build-time figures)`);
  }
  const low = r.points.filter((p) => share(p.cpu_seconds, p.seconds) < 0.9);
  if (low.length) warnings.push(`${LABELS[key]} queries got < 90% of a CPU at ef ${low.map((p) => `${p.ef} (${pct(share(p.cpu_seconds, p.seconds))})`).join(', ')}`);
}
if (warnings.length) warnings.push(`the machine was busy (1-minute load average ${machine.loadavg_start[0].toFixed(2)} at start, ${machine.loadavg_end[0].toFixed(2)} at end; this run itself adds about 1)`);

// ---------- tables ----------
const f = (v, d = 1) => (v == null ? '-' : v.toFixed(d));
const order = ['native', 'wasm', 'wasm-q', 'hnswlib', 'ruvector'].filter((k) => results[k]);

function engineRows() {
  return order.map((key) => {
    const r = results[key];
    const s = summary[key];
    const b = s.best ? `${f(s.best.qps)} (ef ${s.best.ef}, recall ${s.best.recall.toFixed(4)})` : 'none reaches 0.95';
    const i = s.interpolated ? `${f(s.interpolated.qps)} (ef ${s.interpolated.between.join('-')})` : `- (${s.note})`;
    return [LABELS[key], f(r.build_seconds, 2), String(r.queries), b, i];
  });
}
function targetRows() {
  return targets.map((t) => [t.name, t.value == null ? '-' : t.value.toFixed(3), t.interpolated == null ? '-' : t.interpolated.toFixed(3), `>= ${t.min}`, t.verdict]);
}
function pointRows(key) {
  return [...results[key].points].sort((a, b) => a.ef - b.ef).map((p) => [String(p.ef), p.recall.toFixed(4), f(p.qps),
    p.distance_computations == null ? '-' : f(p.distance_computations), p.cpu_seconds == null ? '-' : pct(share(p.cpu_seconds, p.seconds))]);
}

function textTable(head, rows) {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}
function mdTable(head, rows) {
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const ENGINE_HEAD = ['engine', 'build (s)', 'queries', 'best QPS at recall >= 0.95', 'QPS interpolated at 0.95'];
const TARGET_HEAD = ['target', 'value (best)', 'value (interp.)', 'needs', 'verdict'];
const POINT_HEAD = ['ef', 'recall@10', 'QPS', 'distances/query', 'CPU share'];

say('');
say(textTable(ENGINE_HEAD, engineRows()));
if (results.native_2threads) say(`native 2-thread build: ${results.native_2threads.build_seconds.toFixed(2)} s`);
for (const [k, why] of Object.entries(skipped)) say(`${LABELS[k]}: SKIPPED (${why})`);
say('');
say(textTable(TARGET_HEAD, targetRows()));
for (const w of warnings) say(`WARNING: ${w}`);

// ---------- files ----------
mkdirSync(opt.out, { recursive: true });
const finished = new Date();
const doc = {
  benchmark: 'fashion-mnist-784-euclidean',
  dataset: {
    name: 'Fashion-MNIST (Debian dataset-fashion-mnist)',
    base: baseShape.count,
    queries_available: queryShape.count,
    dimensions: baseShape.dimensions,
    metric: 'l2 (squared Euclidean; ranking identical to Euclidean)',
    ground_truth: `exact, k=${truthShape.dimensions}, by build/native/neurovec groundtruth (${relative(ROOT, truthPath)})`,
  },
  parameters: { k: PARAMS.k, m: PARAMS.m, ef_construction: PARAMS.efConstruction, seed: PARAMS.seed, efs: EFS, ruvector_efs: RUVECTOR_EFS, runs_per_ef: RUNS, warmup_queries: WARMUP, js_queries: JS_QUERIES, native_queries: NATIVE_QUERIES, recall_target: TARGET_RECALL },
  method: `One thread for everything measured (child processes pinned to one CPU with taskset when available; RAYON_NUM_THREADS/TOKIO_WORKER_THREADS/UV_THREADPOOL_SIZE=1). Queries one at a time; QPS = queries / wall time of the query loop, fastest of ${RUNS} pass(es) per ef; recall@10 = |returned ∩ exact top-10| / 10, averaged.`,
  machine,
  started: started.toISOString(),
  finished: finished.toISOString(),
  total_seconds: (finished - started) / 1000,
  engines: results,
  skipped,
  summary,
  targets,
  warnings,
};
const base = join(opt.out, 'fashion-mnist');
writeFileSync(`${base}.json`, JSON.stringify(doc, null, 2) + '\n');

const series = order.map((k) => ({ label: `${LABELS[k]}${k === 'ruvector' && results.ruvector.per_query_ef === false ? ' (one build per ef)' : ''}`, points: results[k].points }));
const svg = recallQpsSvg(series, {
  title: 'Fashion-MNIST 60k x 784, L2 — recall@10 vs QPS',
  subtitle: `M=16, efConstruction=200, one thread, queries one at a time; ${machine.cpu_model}, Node ${process.version}, ${started.toISOString().slice(0, 10)}`,
});
writeFileSync(`${base}-recall-qps.svg`, svg);
const png = renderPng(`${base}-recall-qps.svg`, `${base}-recall-qps.png`);

const md = [];
md.push('# Fashion-MNIST benchmark');
md.push('');
md.push(`Generated by \`npm run bench\` on ${started.toISOString()} (${doc.total_seconds.toFixed(0)} s). Machine: ${machine.cpu_model} (${machine.logical_cpus} logical CPUs, flags ${machine.cpu_flags.join(' ')}), ${machine.os}, Node ${machine.node}. Load average at start ${machine.loadavg_start.map((x) => x.toFixed(2)).join(' ')}, at end ${machine.loadavg_end.map((x) => x.toFixed(2)).join(' ')}.`);
md.push('');
md.push(`Data: ${baseShape.count} x ${baseShape.dimensions} base vectors, L2, exact top-${truthShape.dimensions} ground truth from our CLI. HNSW M=${PARAMS.m}, efConstruction=${PARAMS.efConstruction}, k=${PARAMS.k}. ${doc.method}`);
md.push('');
md.push('![recall vs QPS](fashion-mnist-recall-qps.svg)');
md.push('');
md.push('## Summary');
md.push('');
md.push(mdTable(ENGINE_HEAD, engineRows()));
md.push('');
if (results.native_2threads) {
  const n2 = results.native_2threads;
  md.push(`Native 2-thread build: ${n2.build_seconds.toFixed(2)} s (1 thread: ${results.native.build_seconds.toFixed(2)} s); that CLI run used ${n2.cpu_share == null ? '?' : n2.cpu_share.toFixed(2)} CPUs on average.`);
}
for (const [k, why] of Object.entries(skipped)) md.push(`${LABELS[k]}: skipped (${why}).`);
md.push('');
md.push('## Targets');
md.push('');
md.push(mdTable(TARGET_HEAD, targetRows()));
md.push('');
if (warnings.length) {
  md.push('**Timing warnings** (CPU share = CPU seconds / wall seconds of the measured phase):');
  md.push('');
  for (const w of warnings) md.push(`- ${w}`);
  md.push('');
}
md.push('"best" is the highest QPS among the ef values with recall@10 >= 0.95; "interp." interpolates QPS linearly at recall exactly 0.95 between the two ef values that bracket it.');
md.push('');
md.push('## Engines');
for (const key of order) {
  const r = results[key];
  md.push('');
  md.push(`### ${LABELS[key]}`);
  md.push('');
  const facts = [`build ${f(r.build_seconds, 2)} s`, `${r.queries} queries`];
  if (r.build_cpu_share != null) facts.push(`build CPU share ${pct(r.build_cpu_share)}`);
  if (r.cpu_share != null) facts.push(`CPU share of the whole CLI run ${pct(r.cpu_share)}`);
  if (r.version) facts.push(`version ${r.version}`);
  if (r.kernel) facts.push(`kernel ${r.kernel}`);
  if (r.memory) {
    const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    facts.push(`memory (stats().memory): vectors ${mib(r.memory.vectors)}, codes ${mib(r.memory.codes)}, graph ${mib(r.memory.graph)}, total ${mib(r.memory.total)}, raw f32 ${mib(r.memory.rawF32)}`);
  }
  md.push(`${facts.join(', ')}. ${r.notes ?? ''}`);
  md.push('');
  md.push(mdTable(POINT_HEAD, pointRows(key)));
}
md.push('');
writeFileSync(`${base}.md`, md.join('\n'));

say('');
say(`wrote ${[`${base}.json`, `${base}.md`, `${base}-recall-qps.svg`, png].filter(Boolean).map((p) => relative(ROOT, p)).join(', ')}`);
say(`total ${((Date.now() - t0) / 1000).toFixed(0)} s`);

// SVG -> PNG with whatever converter exists (optional).
function renderPng(svgPath, pngPath) {
  const tries = [
    ['rsvg-convert', ['-b', 'white', '-o', pngPath, svgPath]],
    ['convert', ['-density', '96', '-background', 'white', svgPath, pngPath]],
    ['chromium', ['--headless', '--disable-gpu', '--no-sandbox', `--screenshot=${pngPath}`, '--window-size=900,600', `file://${svgPath}`]],
  ];
  for (const [cmd, args] of tries) {
    const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 60000 });
    if (r.status === 0 && existsSync(pngPath)) return pngPath;
  }
  return null;
}
