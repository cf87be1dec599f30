// Is a memory of past clicks worth building? (issue 14, sparse clicks)
//
// The learned refiners turn 5,000 feedback queries' clicks into +0.02
// precision@10 at best (learning-clicks-catalogue.md). This bench measures a
// non-parametric alternative before anything is built into the core: keep
// every (query, clicked items) event, and expand a new query towards the items
// clicked for its nearest past queries (Rocchio-style relevance feedback, with
// the past queries' clicks standing in for the user's own):
//   q' = q / |q| + beta * sum_j s_j * c_j / sum_j s_j       (cosine: the catalogue)
//   q' = (q + beta * sum_j s_j * c_j / sum_j s_j) / (1 + beta)   (L2: Fashion-MNIST)
// over the m past queries j nearest to q (cosine >= tau), with weights
// s_j = cosine^power, c_j the mean of j's clicked items (normalised for
// cosine, raw for L2). The index is then searched with q'. Besides
// precision@10, each search's overlap@10 with the query's exact top 10 says
// how much of the answer to the query itself an expansion keeps.
//
// Same data, splits and simulated user as `bench:clicks [--dataset catalogue]`
// (feedback queries 0..4999 with the seed's clicks, tuning 5000..6999 for
// every choice, test 7000..9999 once per seed). Plain JS over the wasm index:
// the memory is brute force over the past queries.
//
// With --rejects most[:rate], the user also presses thumbs-down as in
// `bench:clicks --rejects` (simulatedRejections, its own random stream), the
// memory keeps the mean r_j of each event's rejected items too, and the
// expansion subtracts them: beta * sum_j s_j * (c_j - gamma * r_j) / sum_j s_j.
//
//
// With --engine library, the memory is the library's own (learning.memoryCapacity,
// index/click_memory.h): each seed's feedback goes through index.feedback({
// clicked, shown, rejected }) of a fresh copy of the index, and every setting
// is a search option (search(q, 10, { mode: 'neural', memory })). The library
// has no weighting power (the JS memory's `power` is 0 there, which the tuning
// split chose in 5 of 6 runs) and reads memory.minSimilarity for tau. Its
// lookup reads coarse lists of similar past queries (memory.scan, a multiple of
// the neighbours; 0: every event, as the JS memory does), and the scans of
// --scans (default 0,1,2,4,8) join the tuning grid. It also
// times the test split's searches: p50 of neural mode with the chosen setting
// against vector mode, same index, same run.
//
//
// With --engine library --curves, nothing is chosen again: for each seed of the
// --out JSON (a finished library run with the same --rejects), the library's
// memory is fed the same feedback from scratch, and after every 500 feedback
// queries the chosen setting's precision@10 on the curve queries (the first
// 1,000 of the test split, as bench:clicks draws its curves) is added to the
// JSON as that seed's `curve`: learning from clicks with no train(), as a user
// would see it (bench/learning_charts.mjs draws it).
//
// With --engine library --latency, the timing alone is redone for a finished
// library run (--out), each seed's memory fed anew.
//
//   node bench/learning_click_memory.mjs [--dataset catalogue|fashion] [--seeds 3] [--out PATH]
//     [--rejects most[:rate]] [--betas 0,0.5,...] [--neighbours 100,200,500] [--gammas 0,0.5,1,2] [--scans 0,1,2,4,8]
//     [--engine js|library] [--curves] [--latency]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { configureWasm, VectorIndex } from '../js/dist/index.js';
import { rng } from '../tests/shared/random.mjs';
import { loadFashionMnist } from './datasets.mjs';
import { loadCatalogueLabelled, prepareCatalogueVectors } from './lib/catalogue_vectors.mjs';
import { readIvecsFlat } from './lib/io.mjs';
import { CLI } from './lib/paths.mjs';
import { simulatedClicks, simulatedRejections } from './lib/simulated_user.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const seeds = Number(option('seeds', 3));
const dataset = option('dataset', 'catalogue');
if (!['fashion', 'catalogue'].includes(dataset)) throw new Error(`--dataset must be fashion or catalogue, got ${dataset}`);
const cosine = dataset === 'catalogue';
const out = option('out', `bench/results/learning-click-memory-${dataset}.json`);
const cache = option('cache', `/tmp/neurovec-${dataset}-learning.nvx`);
const FEEDBACK = [0, 5000];
const TUNING = [5000, 7000];
const TEST = [7000, 10000];
const list = (name, fallback) => option(name, fallback).split(',').map(Number);
const BETAS = list('betas', '0,0.5,1,2,4,16,64,256');  // 0: no expansion (the tuning split may choose it)
const NEIGHBOURS = list('neighbours', '100,200,500');
const THRESHOLDS = [0, 0.8];
const POWERS = [0, 1, 4];
const REJECTS = (() => {
  const [most, rate] = option('rejects', '0').split(':').map(Number);
  if (!(Number.isInteger(most) && most >= 0) || (rate !== undefined && !(rate > 0 && rate <= 1))) {
    throw new Error('--rejects takes most[:rate], an integer >= 0 and a rate in (0, 1]');
  }
  return { most, rate: rate ?? 0.5 };
})();
const GAMMAS = REJECTS.most > 0 ? list('gammas', '0,0.5,1,2') : [0];
const ENGINE = option('engine', 'js');
if (!['js', 'library'].includes(ENGINE)) throw new Error(`--engine must be js or library, got ${ENGINE}`);
// The library's lookup reads scan x neighbours past events from its coarse
// lists (memory.scan; 0: all, exact); the JS memory is exact (scan 0).
const SCANS = ENGINE === 'library' ? list('scans', '0,1,2,4,8') : [0];
if ((REJECTS.most > 0 || ENGINE === 'library') && !argv.includes('--out')) {
  throw new Error('--rejects and --engine library need --out (the default file holds the clicks-only run of the JS memory)');
}

configureWasm({ threads: 1 });
const { train, test, dimensions: d } = cosine ? await loadCatalogueLabelled(CLI, { log: console.log }) : loadFashionMnist();
if (!existsSync(cache)) {
  throw new Error(`${cache} is missing: run npm run bench:clicks -- --dataset ${dataset} first (it builds it)`);
}
const cacheBytes = new Uint8Array(readFileSync(cache));
const index = await VectorIndex.fromBytes(cacheBytes);
const row = (flat, i) => flat.subarray(i * d, (i + 1) * d);
// The exact cosine top 10 of each (unexpanded) query: how much of the answer to
// the query itself the expanded search keeps.
const truth = readIvecsFlat(cosine ? (await prepareCatalogueVectors(CLI)).truth : 'data/fashion-mnist-truth-10000.ivecs');
const unit = (v) => {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  return Float32Array.from(v, (x) => x / n);
};
// Unit vectors find a query's past neighbours; the search and the expansion
// use the metric's own space (unit vectors for cosine, raw ones for L2).
const queries = Array.from({ length: TEST[1] }, (_, i) => unit(row(test.vectors, i)));
const searched = cosine ? queries : Array.from({ length: TEST[1] }, (_, i) => Float32Array.from(row(test.vectors, i)));
const dot = (a, b) => {
  let s = 0;
  for (let i = 0; i < d; i++) s += a[i] * b[i];
  return s;
};

// precision@10 (results of the query's section) and overlap@10 (results among
// the query's exact 10 nearest) of a search with `vector` for query i.
function judge(i, vector) {
  return judgeResults(i, index.search(vector, 10));
}
function judgeResults(i, results) {
  const exact = new Set(truth.data.subarray(i * truth.k, i * truth.k + 10));
  let hits = 0;
  let overlap = 0;
  for (const r of results) {
    hits += train.labels[r.id] === test.labels[i];
    overlap += exact.has(r.id);
  }
  return [hits / 10, overlap / 10];
}
const judgedMean = (f, [from, to]) => {
  let p = 0;
  let o = 0;
  for (let i = from; i < to; i++) {
    const [a, b] = f(i);
    p += a;
    o += b;
  }
  return { precision: p / (to - from), overlap: o / (to - from) };
};

// Plain vector search (the baseline).
const vector = { tuning: judgedMean((i) => judge(i, searched[i]), TUNING), test: judgedMean((i) => judge(i, searched[i]), TEST) };
console.log(`vector: precision@10 tuning ${vector.tuning.precision.toFixed(4)}, test ${vector.test.precision.toFixed(4)}; ` +
  `overlap@10 with the exact top 10: tuning ${vector.tuning.overlap.toFixed(4)}, test ${vector.test.overlap.toFixed(4)}`);

const results = { protocol: { dataset, engine: ENGINE, feedback: FEEDBACK, tuning: TUNING, test: TEST, betas: BETAS, scans: SCANS,
  neighbours: NEIGHBOURS, thresholds: THRESHOLDS, powers: ENGINE === 'library' ? [0] : POWERS, gammas: GAMMAS, rejects: REJECTS },
vector, perSeed: [] };
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
// One seed's simulated user over the feedback queries, shown `searchIndex`'s
// plain top 10: the same clicks as bench:clicks' seed (its random stream) and
// thumbs-down marks from their own stream. Yields the queries with a click.
function* simulatedFeedback(seed, searchIndex) {
  const random = rng(1000 + seed);
  const marking = rng(3000 + seed);
  for (let i = FEEDBACK[0]; i < FEEDBACK[1]; i++) {
    const shown = searchIndex.search(searched[i], 10).map((r) => r.id);
    const relevant = (id) => train.labels[id] === test.labels[i];
    const clicked = simulatedClicks(shown, relevant, random);
    const rejected = REJECTS.most > 0 ? simulatedRejections(shown, relevant, clicked, marking, REJECTS) : [];
    if (clicked.length) yield { i, shown, clicked, rejected };
  }
}

// Every setting of the grid scored on the tuning split (beta 0, no expansion,
// once: its other settings change nothing); the best, the first on ties, is
// chosen. `powers`: the JS memory's weighting powers ([0] for the library's).
function chooseOnTuning(powers, score) {
  let best = null;
  const grid = [];
  for (const beta of BETAS) {
    for (const m of NEIGHBOURS) {
      for (const tau of THRESHOLDS) {
        for (const power of powers) {
          for (const gamma of GAMMAS) {
            for (const scan of SCANS) {
              if (beta === 0 && (m !== NEIGHBOURS[0] || tau !== THRESHOLDS[0] || power !== powers[0] || gamma !== GAMMAS[0] ||
                scan !== SCANS[0])) continue;
              const setting = { beta, m, tau, power, gamma, scan };
              const tuning = score(setting, TUNING);
              grid.push({ ...setting, ...tuning });
              if (!best || tuning.precision > best.tuning.precision) best = { setting, tuning };
            }
          }
        }
      }
    }
  }
  return { best, grid };
}

/** The search options of a library setting (beta 0: vector mode). */
const librarySearchOptions = (setting) => (setting.beta === 0 ? {} : {
  mode: 'neural', memory: { strength: setting.beta, neighbours: setting.m, minSimilarity: setting.tau, rejectWeight: setting.gamma,
    scan: setting.scan ?? 0 },
});

// Latency on the test split: vector mode and the setting's search, one after
// the other for each query, in alternating order, so that neither is always
// the one that finds the query's part of the graph in cache (measured first:
// an earlier version always timed vector mode first, and on Fashion-MNIST the
// same search timed second ran 4x faster).
function timeSearches(learned, setting) {
  const vectorMs = [];
  const neuralMs = [];
  const options = librarySearchOptions(setting);
  for (let i = TEST[0]; i < TEST[1]; i++) {
    for (const first of i % 2 ? ['neural', 'vector'] : ['vector', 'neural']) {
      const t = performance.now();
      learned.search(searched[i], 10, first === 'vector' ? {} : options);
      (first === 'vector' ? vectorMs : neuralMs).push(performance.now() - t);
    }
  }
  return { vectorP50Ms: median(vectorMs), neuralP50Ms: median(neuralMs), order: 'alternating' };
}

// Relevant results of the setting's top 10 on the test split that were not
// among the plain walk's top 50 for the user's query (issue 14 asks for their
// count and share: what the moved walk reaches that a re-rank of the plain
// candidates never could).
function beyondPlainTop50(learned, setting) {
  const options = librarySearchOptions(setting);
  let relevant = 0;
  let beyond = 0;
  for (let i = TEST[0]; i < TEST[1]; i++) {
    const plain = new Set(learned.search(searched[i], 50).map((r) => r.id));
    for (const r of learned.search(searched[i], 10, options)) {
      if (train.labels[r.id] !== test.labels[i]) continue;
      relevant++;
      beyond += !plain.has(r.id);
    }
  }
  return { relevant, beyond, share: relevant ? beyond / relevant : 0 };
}

// The library's memory: one seed's feedback through index.feedback, the grid as search options.
async function librarySeed(seed) {
  const learned = await VectorIndex.fromBytes(cacheBytes);
  learned.configureLearning({ memoryCapacity: 8192 });
  let rejections = 0;
  for (const { i, shown, clicked, rejected } of simulatedFeedback(seed, learned)) {
    rejections += rejected.length;
    learned.feedback(searched[i], { clicked, shown, rejected });
  }
  const events = learned.stats().learning.memoryEvents;
  const search = (i, setting) => learned.search(searched[i], 10, librarySearchOptions(setting));
  const score = (setting, split) => judgedMean((i) => judgeResults(i, search(i, setting)), split);
  const { best, grid } = chooseOnTuning([0], score);
  const testJudged = score(best.setting, TEST);
  const latency = timeSearches(learned, best.setting);
  const beyond = beyondPlainTop50(learned, best.setting);
  learned.dispose();
  return { events, rejections, best, grid, testJudged, latency, beyond };
}

// --latency: the timing of a finished library run again (timeSearches), each
// seed's memory fed anew; the JSON's latency is replaced, and its `beyond`
// (beyondPlainTop50) computed again.
if (ENGINE === 'library' && argv.includes('--latency')) {
  const saved = JSON.parse(readFileSync(out, 'utf8'));
  if (saved.protocol.engine !== 'library') throw new Error(`${out} is not a library run`);
  for (const entry of saved.perSeed) {
    const learned = await VectorIndex.fromBytes(cacheBytes);
    learned.configureLearning({ memoryCapacity: 8192 });
    for (const { i, shown, clicked, rejected } of simulatedFeedback(entry.seed, learned)) {
      learned.feedback(searched[i], { clicked, shown, rejected });
    }
    entry.latency = timeSearches(learned, entry.setting);
    entry.beyond = beyondPlainTop50(learned, entry.setting);
    learned.dispose();
    const { vectorP50Ms: v, neuralP50Ms: n } = entry.latency;
    const { beyond, relevant, share } = entry.beyond;
    console.log(`seed ${entry.seed}: p50 vector ${v.toFixed(3)} ms, neural ${n.toFixed(3)} ms (${(n / v).toFixed(2)}x); ` +
      `relevant results from beyond the plain top 50: ${beyond} of ${relevant} (${(100 * share).toFixed(1)}%)`);
  }
  writeFileSync(out, `${JSON.stringify(saved, null, 2)}\n`);
  process.exit(0);
}

// --curves: the chosen settings' precision along the feedback stream (see the header).
if (ENGINE === 'library' && argv.includes('--curves')) {
  const saved = JSON.parse(readFileSync(out, 'utf8'));
  if (saved.protocol.engine !== 'library' || JSON.stringify(saved.protocol.rejects) !== JSON.stringify(REJECTS)) {
    throw new Error(`${out} is not a finished library run with --rejects ${REJECTS.most}:${REJECTS.rate}`);
  }
  const CURVE = [TEST[0], TEST[0] + 1000];
  const TUNING_CURVE = [TUNING[0], TUNING[0] + 1000];
  // --neighbour-shares 0,10,20,40: read at most one past event in `share` (0:
  // no such cap) besides the chosen neighbours, emulated here per search from
  // stats().learning.memoryEvents; the share is chosen on the tuning split by
  // the mean precision along its curve, and the test curve is drawn for it and
  // for no cap.
  const SHARES = list('neighbour-shares', '0');
  saved.vector.curve = judgedMean((i) => judge(i, searched[i]), CURVE).precision;
  saved.vector.tuningCurve = judgedMean((i) => judge(i, searched[i]), TUNING_CURVE).precision;
  // One seed's memory fed from empty; after every 500 feedback queries, precision on each split of `splits` for each share.
  const curves = async (seed, setting, shares, splits) => {
    const learned = await VectorIndex.fromBytes(cacheBytes);
    learned.configureLearning({ memoryCapacity: 8192 });
    const out = new Map(shares.map((share) => [share, splits.map(() => [])]));
    // Checkpoints after every 500 feedback queries, clicked or not: the events of
    // queries up to each checkpoint are fed before it is measured.
    const feedback = simulatedFeedback(seed, learned);
    let next = feedback.next();
    for (let i = FEEDBACK[0]; i < FEEDBACK[1]; i++) {
      if (!next.done && next.value.i === i) {
        const { shown, clicked, rejected } = next.value;
        learned.feedback(searched[i], { clicked, shown, rejected });
        next = feedback.next();
      }
      if ((i + 1 - FEEDBACK[0]) % 500 !== 0) continue;
      const events = learned.stats().learning.memoryEvents;
      for (const share of shares) {
        const neighbours = share > 0 ? Math.max(1, Math.min(setting.m, Math.ceil(events / share))) : setting.m;
        const memory = { strength: setting.beta, neighbours, minSimilarity: setting.tau, rejectWeight: setting.gamma, scan: setting.scan ?? 0 };
        splits.forEach((split, k) => {
          const { precision } = judgedMean((j) => judgeResults(j, learned.search(searched[j], 10, { mode: 'neural', memory })), split);
          out.get(share)[k].push({ queries: i + 1 - FEEDBACK[0], events, neighbours, precision });
        });
      }
    }
    learned.dispose();
    return out;
  };
  const mean = (curve) => curve.reduce((a, c) => a + c.precision, 0) / curve.length;
  for (const entry of saved.perSeed) {
    const { seed, setting } = entry;
    let share = 0;
    if (SHARES.length > 1) {
      const tuning = await curves(seed, setting, SHARES, [TUNING_CURVE]);
      for (const s of SHARES) {
        const curve = tuning.get(s)[0];
        console.log(`seed ${seed}, share ${s}: tuning curve ${curve.map((c) => c.precision.toFixed(4)).join(' ')} (mean ${mean(curve).toFixed(4)})`);
        if (mean(curve) > mean(tuning.get(share)[0])) share = s;
      }
      entry.shareTuning = Object.fromEntries(SHARES.map((s) => [s, tuning.get(s)[0]]));
    }
    const test = await curves(seed, setting, [...new Set([0, share])], [CURVE]);
    entry.curve = test.get(0)[0];
    if (SHARES.length > 1) {
      entry.share = share;
      entry.curveWithShare = test.get(share)[0];
    }
    for (const [s, [curve]] of test) {
      console.log(`seed ${seed}, share ${s}${s === share ? ' (chosen)' : ''}: test curve ${curve.map((c) => c.precision.toFixed(4)).join(' ')}`);
    }
  }
  saved.curveQueries = CURVE;
  writeFileSync(out, `${JSON.stringify(saved, null, 2)}\n`);
  console.log(`added the curves to ${out}`);
  process.exit(0);
}

for (let seed = 1; seed <= seeds; seed++) {
  if (ENGINE === 'library') {
    const { events, rejections, best, grid, testJudged, latency, beyond } = await librarySeed(seed);
    const entry = { seed, events, rejections, ...best, test: testJudged, gain: testJudged.precision - vector.test.precision,
      latency, beyond, tuningGrid: grid };
    results.perSeed.push(entry);
    console.log(`seed ${seed}: ${events} events in the library's memory; chosen on tuning ${JSON.stringify(best.setting)} ` +
      `(tuning ${best.tuning.precision.toFixed(4)}); test precision@10 ${testJudged.precision.toFixed(4)} ` +
      `(${entry.gain >= 0 ? '+' : ''}${entry.gain.toFixed(4)} over vector), overlap@10 ${testJudged.overlap.toFixed(4)}; ` +
      `p50 vector ${latency.vectorP50Ms.toFixed(3)} ms, neural ${latency.neuralP50Ms.toFixed(3)} ms ` +
      `(${(latency.neuralP50Ms / latency.vectorP50Ms).toFixed(2)}x); relevant results from beyond the plain top 50: ` +
      `${beyond.beyond} of ${beyond.relevant} (${(100 * beyond.share).toFixed(1)}%)`);
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    continue;
  }
  // The feedback: the same clicks as bench:clicks' seed (its random stream, the plain top 10).
  const memory = [];
  let rejections = 0;
  for (const { i, clicked, rejected } of simulatedFeedback(seed, index)) {
    const mean = (ids) => {
      const c = new Float32Array(d);
      for (const id of ids) {
        const v = cosine ? unit(row(train.vectors, id)) : row(train.vectors, id);
        for (let k = 0; k < d; k++) c[k] += v[k] / ids.length;
      }
      return c;
    };
    rejections += rejected.length;
    memory.push({ query: queries[i], clicked: mean(clicked), rejected: mean(rejected) });
  }
  // Each evaluated query's past neighbours, best first (brute force).
  const nearest = (q) => memory.map((m, j) => [dot(q, m.query), j]).sort((a, b) => b[0] - a[0])
    .slice(0, Math.max(...NEIGHBOURS));
  const neighboursOf = new Map();
  for (let i = TUNING[0]; i < TEST[1]; i++) neighboursOf.set(i, nearest(queries[i]));
  const expanded = (i, { beta, m, tau, power, gamma }) => {
    const q = Float32Array.from(searched[i]);
    const near = neighboursOf.get(i).slice(0, m).filter(([s]) => s >= tau && s > 0).map(([s, j]) => [s ** power, j]);
    const total = near.reduce((s, [w]) => s + w, 0);
    if (!near.length || total <= 0) return q;
    for (const [w, j] of near) {
      const { clicked: c, rejected: r } = memory[j];
      for (let k = 0; k < d; k++) q[k] += beta * (w / total) * (c[k] - gamma * r[k]);
    }
    if (!cosine) for (let k = 0; k < d; k++) q[k] /= 1 + beta;
    return q;
  };
  const score = (setting, split) => judgedMean((i) => judge(i, expanded(i, setting)), split);
  const { best, grid } = chooseOnTuning(POWERS, score);
  const testJudged = score(best.setting, TEST);
  const entry = { seed, events: memory.length, rejections, ...best, test: testJudged, gain: testJudged.precision - vector.test.precision,
    tuningGrid: grid };
  results.perSeed.push(entry);
  console.log(`seed ${seed}: ${memory.length} events; chosen on tuning ${JSON.stringify(best.setting)} ` +
    `(tuning ${best.tuning.precision.toFixed(4)}); test precision@10 ${testJudged.precision.toFixed(4)} ` +
    `(${entry.gain >= 0 ? '+' : ''}${entry.gain.toFixed(4)} over vector), overlap@10 ${testJudged.overlap.toFixed(4)}`);
  // How much of the query's own answer each strength keeps, on tuning (the chosen m, tau and power).
  for (const g of grid.filter((x) => x.m === best.setting.m && x.tau === best.setting.tau && x.power === best.setting.power &&
    x.gamma === best.setting.gamma && x.scan === best.setting.scan)) {
    console.log(`  tuning, beta ${g.beta}: precision@10 ${g.precision.toFixed(4)}, overlap@10 ${g.overlap.toFixed(4)}`);
  }
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
}
index.dispose();
console.log(`wrote ${out}`);
