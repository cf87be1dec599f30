#!/usr/bin/env node
// `npm run bench:workload`: workload adaptation (issue 15) in wasm through the
// JS API: entry hints from the queries an index served (setWorkloadSampling,
// adaptToWorkload) against the same index without them, at equal recall.
//
// Fashion-MNIST 60k x 784, L2, M 16, efConstruction 200, built natively
// (`neurovec build`) and opened in wasm (Node). The 10k test images are the
// query pool; per class, half stream as the workload and half are held out
// for evaluation (never sampled). A workload is 90% queries of two "hot"
// classes and 10% of the others. Per seed, phase A's hot pair streams 1,024
// queries, the index adapts, and the held-out queries are walked at each ef
// of a curve (plain walk, one thread); distances per query at a recall
// (0.95, 0.98) come from linear interpolation along each curve. Then the
// workload shifts to pair B: after N of B's queries (the sample keeps the
// last 1,024, so it still holds A's) the index adapts again, and B's
// held-out queries are measured at ef 16.
//
// The settings (8 hints, coverage 0.9) were chosen on classes 2 and 5 (a
// native probe with `neurovec routing-bench --adapt-hints`); the pairs
// reported here never include them. Last, the same index adapts on its own
// (setWorkloadSampling(1024, { adaptEvery: 1024 })) while a workload streams
// and shifts, window by window against the same stream without hints.
// Writes bench/results/workload.{md,json}.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadFashionMnist, prepareFashionFiles, prepareFashionTruth } from './datasets.mjs';
import { readIvecsFlat } from './lib/io.mjs';
import { ROOT, CLI } from './lib/paths.mjs';

const { values: opt } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    hints: { type: 'string', default: '8' },
    coverage: { type: 'string', default: '0.9' },
    efs: { type: 'string', default: '10,12,14,16,20,24,32,48' },
    shift: { type: 'string', default: '64,128,256,512,1024' },
    data: { type: 'string', default: join(ROOT, 'data') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  console.log('usage: node bench/workload.mjs [--seeds 1,2,3] [--hints 8] [--coverage 0.9] [--efs ...] [--shift 64,...] [--data DIR]');
  process.exit(0);
}
const log = (m) => console.error(`[workload] ${m}`);
const K = 10, STREAM = 1024, EVAL = 400, HOT_SHARE = 0.9, SHIFT_EF = 16, AUTO_WINDOW = 256;
const TUNING_CLASSES = [2, 5];
const PAIRS = { 1: [[0, 9], [1, 4]], 2: [[3, 7], [6, 8]], 3: [[4, 8], [0, 3]] };
const seeds = opt.seeds.split(',').map(Number);
const efs = opt.efs.split(',').map(Number);
const shiftSteps = opt.shift.split(',').map(Number);
const HINTS = Number(opt.hints), COVERAGE = Number(opt.coverage);
const RECALLS = [0.95, 0.98];
const CLASS_NAMES = ['T-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'];

if (!existsSync(CLI)) throw new Error('build/native/neurovec is missing: run `npm run build` first');
const files = prepareFashionFiles(opt.data);
const truthPath = prepareFashionTruth(opt.data, CLI, { log });
const graphPath = join(ROOT, 'build', 'workload', 'fmnist-m16-efc200.nvx');
if (!existsSync(graphPath)) {
  mkdirSync(dirname(graphPath), { recursive: true });
  log('building the graph natively (neurovec build)');
  execFileSync(CLI, ['build', '--base', files.base, '--out', graphPath, '--m', '16', '--ef-construction', '200',
    '--threads', String(Math.max(1, os.cpus().length))], { stdio: 'inherit' });
}
const truth = readIvecsFlat(truthPath);
const data = loadFashionMnist();
const d = data.dimensions;
const testRow = (i) => data.test.vectors.subarray(i * d, (i + 1) * d);

const { VectorIndex, configureWasm } = await import('neurovec');
configureWasm({ threads: 1 });
const index = await VectorIndex.fromBytes(new Uint8Array(readFileSync(graphPath)));
log(`opened ${graphPath} in wasm (${index.size} items)`);

function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
function shuffle(a, r) {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

// Recall@K against brute force and distance computations per query at one ef.
function measure(rows, ef) {
  const before = index.stats().distanceComputations;
  let hit = 0;
  for (const i of rows) {
    const want = new Set(truth.data.subarray(i * truth.k, i * truth.k + K));
    for (const r of index.search(testRow(i), K, { ef, routing: 'plain' })) if (want.has(r.id)) hit++;
  }
  return { ef, recall: hit / (rows.length * K), computations: (index.stats().distanceComputations - before) / rows.length };
}
const curve = (rows) => efs.map((ef) => measure(rows, ef));
// Distances at a recall by linear interpolation along a curve (null past its ends).
function at(points, recall) {
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1], b = points[i];
    if (a.recall <= recall && recall <= b.recall) {
      const t = b.recall === a.recall ? 0 : (recall - a.recall) / (b.recall - a.recall);
      return a.computations + t * (b.computations - a.computations);
    }
  }
  return null;
}
// The most an entry point can save: each query walks from the stored item the
// index finds nearest to it (one hint adapted from that query alone, which
// serves it), and the hint's own distance is not counted. No adaptation can
// start closer without knowing the answer; what is left is the walk at ef.
function entryCeiling(rows) {
  const sums = efs.map((ef) => ({ ef, hit: 0, computations: 0 }));
  for (const i of rows) {
    const q = testRow(i);
    index.adaptToWorkload({ hints: 1, coverage: 1, minQueries: 1, queries: [q] });
    const want = new Set(truth.data.subarray(i * truth.k, i * truth.k + K));
    for (const s of sums) {
      const before = index.stats().distanceComputations;
      for (const r of index.search(q, K, { ef: s.ef, routing: 'plain' })) if (want.has(r.id)) s.hit++;
      s.computations += index.stats().distanceComputations - before - 1;
    }
  }
  index.dropWorkloadAdaptation();
  return sums.map((s) => ({ ef: s.ef, recall: s.hit / (rows.length * K), computations: s.computations / rows.length }));
}
function stream(rows) {
  for (const i of rows) index.search(testRow(i), K);
}

const results = { machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model }, setup: { k: K, stream: STREAM, eval: EVAL, hotShare: HOT_SHARE, hints: HINTS, coverage: COVERAGE, efs, shiftSteps, shiftEf: SHIFT_EF, tuningClasses: TUNING_CLASSES, date: new Date().toISOString() }, seeds: [] };
for (const seed of seeds) {
  const [pairA, pairB] = PAIRS[seed] ?? (() => { throw new Error(`no class pairs for seed ${seed} (1, 2 or 3)`); })();
  const r = rng(seed * 7919);
  const byClass = Array.from({ length: 10 }, () => []);
  for (let i = 0; i < data.test.count; i++) byClass[data.test.labels[i]].push(i);
  const streamPool = [], evalPool = [];
  for (let c = 0; c < 10; c++) {
    const ids = shuffle(byClass[c], r);
    streamPool[c] = ids.slice(0, ids.length / 2);
    evalPool[c] = ids.slice(ids.length / 2);
  }
  const workload = (hot, n) => {
    const others = [...Array(10).keys()].filter((c) => !hot.includes(c));
    const out = [];
    for (let i = 0; i < n; i++) {
      const pool = r() < HOT_SHARE ? streamPool[hot[Math.floor(r() * 2)]] : streamPool[others[Math.floor(r() * others.length)]];
      out.push(pool[Math.floor(r() * pool.length)]);
    }
    return out;
  };
  const evalOf = (classes) => shuffle(classes.flatMap((c) => evalPool[c]), r).slice(0, EVAL);
  const hotA = evalOf(pairA), hotB = evalOf(pairB);
  const otherClasses = [...Array(10).keys()].filter((c) => !pairA.includes(c));
  const others = evalOf(otherClasses);

  // Sampling is on only while the workload streams: the held-out queries the
  // figures come from are never sampled.
  index.dropWorkloadAdaptation();
  index.setWorkloadSampling(0);
  log(`seed ${seed}: hot ${pairA.map((c) => CLASS_NAMES[c]).join(' + ')}, then ${pairB.map((c) => CLASS_NAMES[c]).join(' + ')}`);
  const before = { hotA: curve(hotA), others: curve(others), hotB: curve(hotB) };
  const ceiling = entryCeiling(hotA);
  const streamA = workload(pairA, STREAM);
  index.setWorkloadSampling(STREAM);
  stream(streamA);
  const adaptA = index.adaptToWorkload({ hints: HINTS, coverage: COVERAGE, seed });
  index.setWorkloadSampling(0);
  const s0 = index.stats().workload;
  const after = { hotA: curve(hotA), others: curve(others), hotB: curve(hotB) };
  const s1 = index.stats().workload;
  const hintedShare = (rows, from, to) => (to.hintedSearches - from.hintedSearches) / (rows * efs.length);
  // Hinted share of each evaluation set: 3 sets walked efs.length times each, in order.
  const shares = { all: hintedShare(hotA.length + others.length + hotB.length, s0, s1) };

  // The shift to pair B: adapt after N of its queries.
  const shift = [];
  const streamB = workload(pairB, Math.max(...shiftSteps));
  const beforeShiftB = before.hotB.find((p) => p.ef === SHIFT_EF);
  for (const n of shiftSteps) {
    // The sample as it stands after A's stream and then N of B's: refilled
    // from the start, since sampling was off while measuring.
    index.setWorkloadSampling(STREAM);
    index.adaptToWorkload({ hints: HINTS, coverage: COVERAGE, seed, queries: streamA.map(testRow) });
    stream(streamA);
    const w0 = index.stats().workload;
    stream(streamB.slice(0, n));
    const w1 = index.stats().workload;
    const unhinted = (w1.unhintedSearches - w0.unhintedSearches) / Math.max(1, (w1.unhintedSearches - w0.unhintedSearches) + (w1.hintedSearches - w0.hintedSearches));
    const report = index.adaptToWorkload({ hints: HINTS, coverage: COVERAGE, seed });
    index.setWorkloadSampling(0);
    const m = measure(hotB, SHIFT_EF);
    shift.push({ queries: n, unhintedShareOfStream: unhinted, hints: report.hints, recall: m.recall, computations: m.computations });
  }
  // Automatic re-adaptation: setWorkloadSampling(1024, { adaptEvery: 1024 })
  // while pair A streams 2,048 queries and then pair B 3,072, searched at
  // ef 16 in windows of 256 with a turn of the event loop between windows
  // (where a due adaptation runs). Each window's queries are served by hints
  // made from earlier queries only. The same stream without hints beside it.
  const autoStream = workload(pairA, 2 * STREAM).concat(workload(pairB, 3 * STREAM));
  const windows = async (adapting) => {
    index.dropWorkloadAdaptation();
    index.setWorkloadSampling(adapting ? STREAM : 0, adapting ? { adaptEvery: STREAM, hints: HINTS, coverage: COVERAGE, seed } : {});
    const out = [];
    const adaptationsBefore = index.stats().workload.adaptations;
    for (let start = 0; start < autoStream.length; start += AUTO_WINDOW) {
      const w0 = index.stats().workload;
      const m = measure(autoStream.slice(start, start + AUTO_WINDOW), SHIFT_EF);
      const w1 = index.stats().workload;
      const hinted = w1.hintedSearches - w0.hintedSearches, unhinted = w1.unhintedSearches - w0.unhintedSearches;
      out.push({ from: start, recall: m.recall, computations: m.computations, hintedShare: hinted / AUTO_WINDOW, adaptations: w1.adaptations - adaptationsBefore, unhintedShare: hinted + unhinted ? unhinted / (hinted + unhinted) : null });
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (index.stats().workload.lastAdaptationError) throw new Error(index.stats().workload.lastAdaptationError);
    index.setWorkloadSampling(0);
    index.dropWorkloadAdaptation();
    return out;
  };
  const automatic = { adapting: await windows(true), plain: await windows(false), shiftAt: 2 * STREAM };

  const ratios = (b, a) => Object.fromEntries(RECALLS.map((rc) => {
    const x = at(b, rc), y = at(a, rc);
    return [rc, { before: x, after: y, ratio: x && y ? y / x : null }];
  }));
  const entry = {
    seed, pairA, pairB, adaptA, shares,
    before, after,
    ceiling, hotCeiling: ratios(before.hotA, ceiling),
    hot: ratios(before.hotA, after.hotA), others: ratios(before.others, after.others), shiftedHotWithOldHints: ratios(before.hotB, after.hotB),
    shift: { plainBefore: beforeShiftB, steps: shift },
    automatic,
  };
  results.seeds.push(entry);
  log(`seed ${seed}: hot at 0.95 ${entry.hot[0.95].before?.toFixed(1)} -> ${entry.hot[0.95].after?.toFixed(1)}, others ${entry.others[0.95].before?.toFixed(1)} -> ${entry.others[0.95].after?.toFixed(1)}`);
}
index.dispose?.();
results.machine.loadavg = os.loadavg().map((x) => +x.toFixed(2));

// ---- report ----
const f1 = (x) => (x == null ? 'n/a' : x.toFixed(1));
const f2 = (x) => (x == null ? 'n/a' : x.toFixed(2));
const f4 = (x) => x.toFixed(4);
const pairName = (p) => p.map((c) => CLASS_NAMES[c]).join(' + ');
let md = `# Workload adaptation: \`npm run bench:workload\`\n\n`;
md += `What is measured: entry hints (\`setWorkloadSampling\`, \`adaptToWorkload\`; issue 15) against the same index\n`;
md += `without them, in wasm (Node, the JS API, one thread), ${results.setup.date.slice(0, 10)}; ${results.machine.cpus} cores (${results.machine.model}), load ${results.machine.loadavg.join(' ')}.\n\n`;
md += `Setup: Fashion-MNIST 60k x 784, L2, M 16, efConstruction 200, built natively and opened in wasm. Per class, half\n`;
md += `the test images stream as the workload and half are held out (never sampled) for the figures. A workload is\n`;
md += `${HOT_SHARE * 100}% queries of two hot classes and ${Math.round((1 - HOT_SHARE) * 100)}% of the others; ${STREAM} queries stream through \`search()\` with a\n`;
md += `sample of ${STREAM}, then \`adaptToWorkload({ hints: ${HINTS}, coverage: ${COVERAGE} })\`. Held-out sets of ${EVAL}: the hot pair's, the\n`;
md += `other classes', and the next pair's. Each is walked plainly at ef ${efs.join(', ')}; distances per query at a\n`;
md += `recall@10 come from linear interpolation along that curve (recall against brute force). Hints and coverage\n`;
md += `were chosen on classes ${TUNING_CLASSES.join(' and ')} (a native probe); no pair below includes them.\n\n`;
md += `Goal of issue 15: at least 20% fewer distance computations for the hot queries at equal recall, none more for\n`;
md += `the others, and a measured number of queries to follow a shift.\n\n`;
md += `## Hot and other queries, before and after adapting\n\n`;
md += `| seed | hot pair | hints | queries | recall | hot before | hot after | hot ratio | others before | others after | others ratio |\n|---|---|---|---|---|---|---|---|---|---|---|\n`;
for (const s of results.seeds) {
  for (const rc of RECALLS) {
    md += `| ${s.seed} | ${pairName(s.pairA)} | ${s.adaptA.hints} | ${s.adaptA.queries} | ${rc} | ${f1(s.hot[rc].before)} | ${f1(s.hot[rc].after)} | **${f2(s.hot[rc].ratio)}** | ${f1(s.others[rc].before)} | ${f1(s.others[rc].after)} | **${f2(s.others[rc].ratio)}** |\n`;
  }
}
md += `\nThe most entry points could give the hot queries: each walks from the stored item the index finds nearest to it\n`;
md += `(a hint adapted from that one query), and that hint's distance is not counted. This start knows the answer's\n`;
md += `neighbourhood before the search begins, so no adaptation of where walks start can beat it; the rest is the\n`;
md += `walk at ef, which only a different walk (a learned stop, skipped neighbours) makes shorter.\n\n`;
md += `| seed | recall | hot before | with hints | nearest-item start | hints ratio | ceiling ratio |\n|---|---|---|---|---|---|---|\n`;
for (const s of results.seeds) {
  for (const rc of RECALLS) md += `| ${s.seed} | ${rc} | ${f1(s.hot[rc].before)} | ${f1(s.hot[rc].after)} | ${f1(s.hotCeiling[rc].after)} | ${f2(s.hot[rc].ratio)} | **${f2(s.hotCeiling[rc].ratio)}** |\n`;
}
md += `\nThe next pair's queries with the first pair's hints (the cost of hints for a workload that moved on):\n\n`;
md += `| seed | next pair | recall | before | with the old hints | ratio |\n|---|---|---|---|---|---|\n`;
for (const s of results.seeds) {
  for (const rc of RECALLS) md += `| ${s.seed} | ${pairName(s.pairB)} | ${rc} | ${f1(s.shiftedHotWithOldHints[rc].before)} | ${f1(s.shiftedHotWithOldHints[rc].after)} | ${f2(s.shiftedHotWithOldHints[rc].ratio)} |\n`;
}
md += `\n## Following a shift (ef ${SHIFT_EF}, the next pair's held-out queries)\n\n`;
md += `With the old pair's hints in use, N queries of the new workload stream, then \`adaptToWorkload()\` again (the\n`;
md += `sample of ${STREAM} then holds N of the new workload's queries and ${STREAM} - N of the old one's). "unhinted" is the\n`;
md += `share of those N queries that found no hint near (stats().workload): the signal that the workload moved.\n\n`;
md += `| seed | N | unhinted while streaming | recall | distances | without hints |\n|---|---|---|---|---|---|\n`;
for (const s of results.seeds) {
  for (const st of s.shift.steps) {
    md += `| ${s.seed} | ${st.queries} | ${(st.unhintedShareOfStream * 100).toFixed(0)}% | ${f4(st.recall)} | ${f1(st.computations)} | ${f4(s.shift.plainBefore.recall)} / ${f1(s.shift.plainBefore.computations)} |\n`;
  }
}
md += `\n## Following a shift on its own (\`setWorkloadSampling(${STREAM}, { adaptEvery: ${STREAM} })\`, ef ${SHIFT_EF})\n\n`;
md += `The workload streams through \`search()\`: ${2 * STREAM} queries of the first pair's workload, then ${3 * STREAM} of the next pair's,\n`;
md += `in windows of ${AUTO_WINDOW} with a turn of the event loop between windows. No \`adaptToWorkload()\` call: the index adapts\n`;
md += `each time ${STREAM} queries were sampled since the last time. A window is served by hints made from earlier queries\n`;
md += `only. Beside it, the same queries without sampling or hints. The ratio is distances with / without; recall@10\n`;
md += `is against brute force. The shift comes at query ${2 * STREAM}.\n\n`;
md += `| seed | queries | adaptations so far | hinted | recall, adapting | recall, plain | distances, adapting | plain | ratio |\n|---|---|---|---|---|---|---|---|---|\n`;
for (const s of results.seeds) {
  s.automatic.adapting.forEach((w, i) => {
    const p = s.automatic.plain[i];
    const label = `${w.from}-${w.from + AUTO_WINDOW - 1}${w.from === s.automatic.shiftAt ? ' (shift)' : ''}`;
    md += `| ${s.seed} | ${label} | ${w.adaptations} | ${(w.hintedShare * 100).toFixed(0)}% | ${f4(w.recall)} | ${f4(p.recall)} | ${f1(w.computations)} | ${f1(p.computations)} | ${f2(w.computations / p.computations)} |\n`;
  });
}
{
  // Phases of each run, by the adaptations counted at each window.
  const span = (xs) => xs.length ? `${f2(Math.min(...xs))}-${f2(Math.max(...xs))}` : 'n/a';
  const hot = [], old = [], readapted = [], follow = [];
  for (const s of results.seeds) {
    const a = s.automatic;
    const atShift = a.adapting.find((w) => w.from === a.shiftAt).adaptations;
    a.adapting.forEach((w, i) => {
      const ratio = w.computations / a.plain[i].computations;
      if (w.from < a.shiftAt && w.adaptations > 0) hot.push(ratio);
      else if (w.from >= a.shiftAt && w.adaptations === atShift) old.push(ratio);
      else if (w.from >= a.shiftAt) readapted.push(ratio);
    });
    const first = a.adapting.find((w) => w.from >= a.shiftAt && w.adaptations > atShift);
    follow.push(first ? first.from - a.shiftAt : null);
  }
  md += `\nReading, over the ${results.seeds.length} seeds: once adapted, the first workload's windows compute ${span(hot)} of the\n`;
  md += `distances of the same queries without hints; after the shift, while the hints are still the old workload's,\n`;
  md += `${span(old)}; from the first adaptation after the shift on, ${span(readapted)}. The index followed the shift after\n`;
  md += `${follow.map((x) => (x == null ? 'n/a' : x)).join(', ')} of the new workload's queries, at the first adaptation whose sample held only new queries.\n`;
  md += `Here the shift fell on an adaptation (whose sample was all old), so the next one's was all new. A shift\n`;
  md += `between two adaptations is first met by a sample that is part old and part new (with capacity = adaptEvery).\n`;
}
md += `\n## Curves\n\n`;
for (const s of results.seeds) {
  const line = (pts) => pts.map((p) => `ef ${p.ef} ${f4(p.recall)}/${f1(p.computations)}`).join(', ');
  md += `Seed ${s.seed}, hot before: ${line(s.before.hotA)}; after: ${line(s.after.hotA)}; nearest-item start: ${line(s.ceiling)}. Others before: ${line(s.before.others)}; after: ${line(s.after.others)}.\n\n`;
}
md += `Raw figures: [workload.json](workload.json).\n`;
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', 'workload.json'), JSON.stringify(results, null, 1) + '\n');
writeFileSync(join(ROOT, 'bench', 'results', 'workload.md'), md);
console.log(md);
