// `npm run bench:clicks`: does the index learn from clicks as users give them
// (issue 14)? Fashion-MNIST, wasm, the public JS API, with a protocol that
// keeps every choice off the figure that is reported.
//
// Index: the 60k training images (L2, m 16, efConstruction 100, seed 42),
// read from --cache (built there when missing; the same file bench/learning.mjs uses).
// Queries: the 10k test images, split once by position:
//   feedback 0..4999 (clicks are simulated on these), tuning 5000..6999 (every
//   choice: epochs, online steps, which skipped results are negatives), test
//   7000..9999 (touched once per seed and method, after the choices).
// Relevance: an item is relevant to a query when it has the query's class.
//
// The simulated user (one per seed): sees the top 10 the index shows now
// (vector mode, or neural once a model exists, when learning online); leaves
// without a click 10% of the time; otherwise wants 1 click (70%) or 2;
// examines rank r (0-based) with probability 1 / (r + 1) (position bias) and
// clicks the relevant results it examines, in order, until it has its clicks;
// each click goes to a random irrelevant shown result instead with
// probability 0.1 (a wrong click). A query with no click sends no feedback.
//
// Methods (each with the learner's defaults otherwise: 50 candidates, hidden
// 64, 4 heads, lr 0.002, batch 32):
//   gnn-batch      hops 2, clicks collected, then one train({ epochs })
//   metric-batch   hops 0 (the projection alone: a metric learned from the
//                  same clicks without message passing), same protocol
//   gnn-online     hops 2, learning.onlineSteps: every click is learned when
//                  it arrives, no train() call; precision on the first 1000
//                  test queries after every 500 feedback queries (the curve)
//   metric-online  hops 0, the same
//   gnn-labels     today's full-label feedback (every one of the top 50 judged
//                  by class), then train({ epochs }): the reference
//   metric-labels  hops 0 on the same full labels (what the graph adds there)
// Choices made on the tuning split, per method and seed: epochs (or online
// steps), which skipped results are negatives (feedback's `implicit`), and
// learning.randomNegatives (random live items as extra negatives).
// Reported: precision@10 on the test split per seed, the spread, and the
// difference to vector mode; the cost of one feedback() call when learning
// online; the neural and vector search latency in the same run.
//
// --dataset catalogue: the same protocol on the Debian catalogue (issue 14's
// second kind of data; bench/lib/catalogue_vectors.mjs): the index holds every
// package's name and description embedded by the project's text encoder (64
// dimensions, cosine), the queries are 10k package synopses (the query's own
// package is in the index, without its synopsis), and a result is relevant
// when it is of the query's package's Debian section (games, python, libs...).
//
// Options: --dataset fashion|catalogue, --rejects most[:rate] (thumbs-down marks beside the
// clicks, above; default 0), --epochs 4,12 (the grid of train()'s epochs), --seeds 3, --queries 5000 (feedback queries), --quick (seeds 1,
// 1000 feedback queries, 500 tuning, 1000 test: a smoke run), --methods
// gnn-batch,metric-batch,gnn-online,metric-online,gnn-labels (metric-labels: hops 0 on
// the same full labels), --implicit
// above,all (the grid; 'none' is tried only with random negatives),
// --random-negatives 0,16 (the grid), --online-steps 1,3 (the grid), --out
// PATH (JSON, default bench/results/learning-clicks.json), --cache PATH,
// --learning-rates 0.002,0.0005 (a grid of learning.learningRate; default:
// the learner's default only), --expand 0,100,400 (the grid of search's `expand`: how many items beyond the
// 50 candidates the learned walk may evaluate; chosen on the tuning split with
// the rest, on the same trained model). With expand, the test split also
// counts the relevant results that were outside the plain top 50 (the
// candidates), which a re-rank alone can never return. --edge-rates 0,0.1 (a
// grid of learning.edgeLearningRate, the per-link edge weights; GNN methods
// only, as only message passing reads edges; default 0). --memory 0,64,256 (a grid
// of the click memory's strength, search option memory.strength; with any value
// > 0 the learned index keeps a click memory, learning.memoryCapacity 8192, and
// the neural modes walk with the query it moves, the refiner ranking what that
// walk found; 0: the memory is not read; chosen on the tuning split with
// expand, on the same trained model; default 0: no memory). --memory-scans 1,2,4,8
// (a grid of the memory's search option memory.scan, beside each strength > 0;
// default: the library's default scan, not passed).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { configureWasm, VectorIndex } from '../js/dist/index.js';
import { rng } from '../tests/shared/random.mjs';
import { loadFashionMnist } from './datasets.mjs';
import { loadCatalogueLabelled } from './lib/catalogue_vectors.mjs';
import { CLI } from './lib/paths.mjs';
import { simulatedClicks, simulatedRejections } from './lib/simulated_user.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const option = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const quick = flag('quick');
const seeds = Number(option('seeds', quick ? 1 : 3));
const feedbackQueries = Number(option('queries', quick ? 1000 : 5000));
const methods = option('methods', 'gnn-batch,metric-batch,gnn-online,metric-online,gnn-labels').split(',');
const dataset = option('dataset', 'fashion');
if (!['fashion', 'catalogue'].includes(dataset)) throw new Error(`--dataset must be fashion or catalogue, got ${dataset}`);
const suffix = dataset === 'fashion' ? '' : `-${dataset}`;
const cache = option('cache', `/tmp/neurovec-${dataset === 'fashion' ? 'fashion' : dataset}-learning.nvx`);
const out = option('out', quick ? `/tmp/learning-clicks${suffix}-quick.json` : `bench/results/learning-clicks${suffix}.json`);
const TUNING = quick ? [5000, 5500] : [5000, 7000];
const TEST = quick ? [7000, 8000] : [7000, 10000];
const CURVE = [TEST[0], TEST[0] + 1000];
const SHOWN = 10;
const CANDIDATES = 50;
// The grids the tuning split chooses from.
const EPOCHS = option('epochs', quick ? '4' : '4,12').split(',').map(Number);
const ONLINE_STEPS = option('online-steps', quick ? '1' : '1,3').split(',').map(Number);
// Which skipped results are negatives, each with the random negatives of
// learning.randomNegatives (0: none) beside them.
const IMPLICIT = option('implicit', 'above,all').split(',');
const RANDOM_NEGATIVES = option('random-negatives', '0,16').split(',').map(Number);
const EXPAND = option('expand', '0').split(',').map(Number);
const MEMORY = option('memory', '0').split(',').map(Number);
if (MEMORY.some((m) => !(m >= 0 && m <= 1e6))) throw new Error('--memory takes strengths from 0 to 1e6');
const WITH_MEMORY = MEMORY.some((m) => m > 0);
const MEMORY_SCANS = option('memory-scans', '').split(',').filter(Boolean).map(Number);
// --rejects most[:rate]: the user also marks up to `most` examined irrelevant
// results as unwanted (feedback's `rejected`), each with probability `rate`
// (default 0.5); lib/simulated_user.mjs's simulatedRejections.
const REJECTS = (() => {
  const [most, rate] = option('rejects', '0').split(':').map(Number);
  if (!(Number.isInteger(most) && most >= 0) || (rate !== undefined && !(rate > 0 && rate <= 1))) {
    throw new Error('--rejects takes most[:rate], an integer >= 0 and a rate in (0, 1]');
  }
  return { most, rate: rate ?? 0.5 };
})();
const EDGE_RATES = option('edge-rates', '0').split(',').map(Number);
if (EDGE_RATES.some((r) => !(r >= 0 && r <= 10))) throw new Error('--edge-rates takes rates from 0 to 10');
const LEARNING_RATES = option('learning-rates', 'default').split(',').map((r) => (r === 'default' ? undefined : Number(r)));

// One thread: the figures are per-query costs, as a browser tab without isolation has.
configureWasm({ threads: 1 });
const { train, test, dimensions: d } = dataset === 'fashion' ? loadFashionMnist() : await loadCatalogueLabelled(CLI, { log: console.log });
const metric = dataset === 'fashion' ? 'l2' : 'cosine';
const row = (i) => test.vectors.subarray(i * d, (i + 1) * d);

let t0 = performance.now();
let bytes;
if (existsSync(cache)) {
  bytes = new Uint8Array(readFileSync(cache));
  console.log(`index: read ${cache}`);
} else {
  const index = await VectorIndex.create({ dimensions: d, metric, m: 16, efConstruction: 100, seed: 42 });
  index.addBatch(Array.from({ length: train.count }, (_, i) => i), train.vectors, { chunkSize: 5000 });
  bytes = await index.toBytes();
  writeFileSync(cache, bytes);
  index.dispose();
  console.log(`index: built in wasm in ${((performance.now() - t0) / 1e3).toFixed(1)} s, written to ${cache}`);
}

/** Search options of `mode` (expand and memory apply to the learned modes; memory: its strength, 0 not read). */
const searchOptions = (mode, expand, memory = 0, scan = undefined) => {
  if (mode === 'vector') return { mode };
  const read = memory > 0 ? { strength: memory, ...(scan === undefined ? {} : { scan }) } : false;
  return { mode, ...(expand ? { expand } : {}), ...(WITH_MEMORY ? { memory: read } : {}) };
};

function precision(index, mode, [from, to], expand = 0, memory = 0, scan = undefined) {
  let hits = 0;
  for (let i = from; i < to; i++) {
    for (const r of index.search(row(i), 10, searchOptions(mode, expand, memory, scan))) hits += train.labels[r.id] === test.labels[i];
  }
  return hits / (10 * (to - from));
}

/** Relevant results of the neural top 10 that were not among the plain top 50 (the candidates). */
function beyondCandidates(index, [from, to], expand, memory = 0, scan = undefined) {
  let relevant = 0;
  let beyond = 0;
  for (let i = from; i < to; i++) {
    const candidates = new Set(index.search(row(i), CANDIDATES).map((r) => r.id));
    for (const r of index.search(row(i), 10, searchOptions('neural', expand, memory, scan))) {
      if (train.labels[r.id] !== test.labels[i]) continue;
      relevant++;
      beyond += !candidates.has(r.id);
    }
  }
  return { relevant, beyond, share: relevant ? beyond / relevant : 0 };
}

function latency(index, mode, [from, to], expand = 0, memory = 0, scan = undefined) {
  const times = [];
  for (let i = from; i < to; i++) {
    const start = performance.now();
    index.search(row(i), 10, searchOptions(mode, expand, memory, scan));
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function quantile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/**
 * One run of a method with one setting: a fresh copy of the index, the
 * feedback of queries 0..feedbackQueries-1, training if batch. Returns the
 * index (the caller evaluates and disposes) and what the run measured.
 */
async function runOnce(method, seed, setting) {
  const index = await VectorIndex.fromBytes(bytes);
  const online = method.endsWith('-online');
  index.configureLearning({
    candidates: CANDIDATES, seed, hops: method.startsWith('metric') ? 0 : 2, onlineSteps: online ? setting.steps : 0,
    randomNegatives: setting.randomNegatives ?? 0,
    ...(setting.learningRate === undefined ? {} : { learningRate: setting.learningRate }),
    ...(setting.edgeRate ? { edgeLearningRate: setting.edgeRate } : {}),
    ...(WITH_MEMORY ? { memoryCapacity: 8192 } : {}),
  });
  const random = rng(1000 + seed);
  const marking = rng(3000 + seed);  // the thumbs-down marks' own stream: the clicks stay the same
  const costs = [];
  let rejections = 0;
  const curve = [];
  let events = 0;
  let learned = false;
  for (let i = 0; i < feedbackQueries; i++) {
    if (method.endsWith('-labels')) {
      const shown = index.search(row(i), CANDIDATES).map((r) => r.id);
      const positive = shown.filter((id) => train.labels[id] === test.labels[i]);
      if (positive.length) {
        index.feedback(row(i), { positive, negative: shown.filter((id) => train.labels[id] !== test.labels[i]) });
        events++;
      }
      continue;
    }
    const shown = index.search(row(i), SHOWN, { mode: online && learned ? 'neural' : 'vector' }).map((r) => r.id);
    const relevant = (id) => train.labels[id] === test.labels[i];
    const clicked = simulatedClicks(shown, relevant, random);
    const rejected = REJECTS.most > 0 ? simulatedRejections(shown, relevant, clicked, marking, REJECTS) : [];
    if (clicked.length) {
      rejections += rejected.length;
      const start = performance.now();
      index.feedback(row(i), { clicked, shown, implicit: setting.implicit, ...(rejected.length ? { rejected } : {}) });
      costs.push(performance.now() - start);
      events++;
      learned = online;
    }
    if (online && setting.curve && (i + 1) % 500 === 0) {
      curve.push({ queries: i + 1, events, precision: learned ? precision(index, 'neural', CURVE) : null });
      console.log(`    after ${i + 1} queries (${events} with clicks): precision@10 ${curve.at(-1).precision?.toFixed(4)}`);
    }
  }
  let trainSeconds = 0;
  if (!online) {
    t0 = performance.now();
    await index.train({ epochs: setting.epochs });
    trainSeconds = (performance.now() - t0) / 1e3;
  }
  costs.sort((a, b) => a - b);
  return {
    index, events, rejections, trainSeconds, curve,
    feedbackMs: costs.length ? { p50: quantile(costs, 0.5), p99: quantile(costs, 0.99) } : null,
  };
}

function settingsOf(method) {
  // Per-link edge weights are read by message passing only: the metric (hops 0) has none to learn.
  const withEdges = (settings) => (method.startsWith('gnn')
    ? settings.flatMap((s) => EDGE_RATES.map((edgeRate) => (edgeRate ? { ...s, edgeRate } : s)))
    : settings);
  if (method.endsWith('-labels')) return withEdges(EPOCHS.map((epochs) => ({ epochs })));
  const negatives = IMPLICIT.flatMap((implicit) => RANDOM_NEGATIVES.map((randomNegatives) => ({ implicit, randomNegatives })))
    // Clicks alone teach nothing: 'none' needs random negatives.
    .filter((n) => n.implicit !== 'none' || n.randomNegatives > 0 || REJECTS.most > 0)
    .flatMap((n) => LEARNING_RATES.map((learningRate) => (learningRate === undefined ? n : { ...n, learningRate })));
  if (method.endsWith('-online')) return withEdges(ONLINE_STEPS.flatMap((steps) => negatives.map((n) => ({ steps, ...n }))));
  return withEdges(EPOCHS.flatMap((epochs) => negatives.map((n) => ({ epochs, ...n }))));
}

const base = await VectorIndex.fromBytes(bytes);
const vector = { test: precision(base, 'vector', TEST), tuning: precision(base, 'vector', TUNING),
  curve: precision(base, 'vector', CURVE) };
console.log(`vector mode precision@10: tuning ${vector.tuning.toFixed(4)}, test ${vector.test.toFixed(4)}, ` +
  `curve queries ${vector.curve.toFixed(4)}`);
base.dispose();

const results = { protocol: { dataset, metric, feedbackQueries, rejects: REJECTS, tuning: TUNING, test: TEST, curve: CURVE, seeds, epochsGrid: EPOCHS,
  onlineStepsGrid: ONLINE_STEPS, implicitGrid: IMPLICIT, randomNegativesGrid: RANDOM_NEGATIVES, expandGrid: EXPAND,
  learningRateGrid: LEARNING_RATES.map((r) => r ?? 'default'), edgeRateGrid: EDGE_RATES, memoryGrid: MEMORY,
  ...(MEMORY_SCANS.length ? { memoryScanGrid: MEMORY_SCANS } : {}) },
vector, methods: {} };
for (const method of methods) {
  const perSeed = [];
  for (let seed = 1; seed <= seeds; seed++) {
    let best = null;
    for (const setting of settingsOf(method)) {
      t0 = performance.now();
      const run = await runOnce(method, seed, setting);
      // expand changes the search, not the model: every value on the same run.
      let bestHere = null;
      for (const expand of EXPAND) {
        for (const memory of MEMORY) {
          for (const scan of memory > 0 && MEMORY_SCANS.length ? MEMORY_SCANS : [undefined]) {
            const tuning = precision(run.index, 'neural', TUNING, expand, memory, scan);
            const chosen = WITH_MEMORY ? { ...setting, expand, memory, ...(scan === undefined ? {} : { memoryScan: scan }) }
              : { ...setting, expand };
            console.log(`  ${method} seed ${seed} ${JSON.stringify(chosen)}: ${run.events} events, ` +
              `tuning precision@10 ${tuning.toFixed(4)} (${((performance.now() - t0) / 1e3).toFixed(0)} s)`);
            if (!bestHere || tuning > bestHere.tuning) bestHere = { setting: chosen, tuning };
          }
        }
      }
      if (!best || bestHere.tuning > best.tuning) {
        best?.run.index.dispose();
        best = { ...bestHere, run };
      } else {
        run.index.dispose();
      }
    }
    // The test split, once, for the chosen setting; the online curve is redrawn for it.
    const { index } = best.run;
    const { expand, memory = 0, memoryScan } = best.setting;
    const testP = precision(index, 'neural', TEST, expand, memory, memoryScan);
    const entry = {
      seed, setting: best.setting, tuning: best.tuning, test: testP, gain: testP - vector.test, events: best.run.events,
      rejections: best.run.rejections,
      trainSeconds: best.run.trainSeconds, feedbackMs: best.run.feedbackMs,
      neuralP50: latency(index, 'neural', CURVE, expand, memory, memoryScan), vectorP50: latency(index, 'vector', CURVE),
    };
    if (WITH_MEMORY) {
      // What the memory brought on the test split: relevant results from beyond the plain top 50.
      entry.beyond = beyondCandidates(index, TEST, expand, memory, memoryScan);
      console.log(`  test: ${entry.beyond.beyond} of ${entry.beyond.relevant} relevant results came from beyond the plain top 50`);
    }
    if (EXPAND.some((e) => e > 0)) {
      // On the test split, with and without the walk (the choice above made on tuning only).
      entry.beyond = beyondCandidates(index, TEST, expand);
      entry.testWithoutExpand = expand ? precision(index, 'neural', TEST, 0) : testP;
      const widest = Math.max(...EXPAND);
      entry.beyondWidest = { expand: widest, ...beyondCandidates(index, TEST, widest),
        precision: precision(index, 'neural', TEST, widest), neuralP50: latency(index, 'neural', CURVE, widest) };
      console.log(`  test: relevant results from beyond the 50 candidates at expand ${expand}: ` +
        `${entry.beyond.beyond} of ${entry.beyond.relevant}; at expand ${widest}: ${entry.beyondWidest.beyond} of ` +
        `${entry.beyondWidest.relevant} (precision ${entry.beyondWidest.precision.toFixed(4)}); ` +
        `without expand ${entry.testWithoutExpand.toFixed(4)}`);
    }
    index.dispose();
    if (method.endsWith('-online')) {
      console.log(`  ${method} seed ${seed}: the curve of ${JSON.stringify(best.setting)}`);
      const again = await runOnce(method, seed, { ...best.setting, curve: true });
      entry.curve = again.curve;
      again.index.dispose();
    }
    perSeed.push(entry);
    // Saved after every seed, so a long run stopped part-way keeps what it measured.
    results.methods[method] = { perSeed, partial: true };
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`${method} seed ${seed}: ${JSON.stringify(best.setting)} test precision@10 ${testP.toFixed(4)} ` +
      `(${entry.gain >= 0 ? '+' : ''}${entry.gain.toFixed(4)} over vector)`);
  }
  const gains = perSeed.map((s) => s.gain).sort((a, b) => a - b);
  results.methods[method] = { perSeed, gainMin: gains[0], gainMax: gains.at(-1),
    gainMean: gains.reduce((a, b) => a + b, 0) / gains.length };
  console.log(`${method}: gain over vector on the test split ${gains.map((g) => g.toFixed(4)).join(', ')}`);
}
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${out}`);
