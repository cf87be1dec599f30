// `npm run bench:insert-learning`: does learning on insert (`learning.onInsert`,
// issue 14) help a model whose feedback never covered the items added after
// it learned? Fashion-MNIST, wasm, the public JS API, one thread.
//
// Index: the training images of classes 0-4 (L2, m 16, efConstruction 100,
// seed 42), built once in wasm and copied per run. Feedback with full labels
// (each of a query's 50 vector results judged by class) from the test images
// 0..4999 of classes 0-4, then train({ epochs }). Then the training images of
// classes 5-9 are added (addBatch, 1,000 at a time), and precision@10 is
// measured on the test split, test images 7000..9999 (used once per run), for
// both class groups. No setting was chosen on these figures: onInsert is 1
// step (the smallest), the rest the learner's defaults with --hops (0: the
// metric the README recommends for clicks).
//
// Runs, per seed (the learner's): onInsert off; onInsert: 1 with replay (the
// default 8 replayed feedback events per step); onInsert: 1 without replay
// (replay.perBatch 0), which shows what the insert examples do on their own.
// Also timed: addBatch of the 30k new items with and without learning.
//
// With EWC (`ewc: { lambda }`), the first insert step anchors at the model as
// feedback left it; lambda from --lambdas (100,1000) is chosen on the tuning
// split (test images 5000..6999, mean precision of both groups after the
// inserts), and only the chosen run counts on the test split.
//
// Options: --seeds 1,2 --epochs 4 --hops 0 --lambdas 100,1000
// --out bench/results/learning-insert.json
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { configureWasm, VectorIndex } from '../js/dist/index.js';
import { loadFashionMnist } from './datasets.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const seeds = option('seeds', '1,2').split(',').map(Number);
const epochs = Number(option('epochs', 4));
const hops = Number(option('hops', 0));
const out = option('out', 'bench/results/learning-insert.json');
const CANDIDATES = 50;
const BATCH = 1000;
const cache = '/tmp/neurovec-fashion-classes-0-4.nvx';

configureWasm({ threads: 1 });
const { train, test, dimensions: d } = loadFashionMnist();
const trainRow = (i) => train.vectors.subarray(i * d, (i + 1) * d);
const testRow = (i) => test.vectors.subarray(i * d, (i + 1) * d);
const range = (from, to, keep) => Array.from({ length: to - from }, (_, i) => from + i).filter(keep);
const oldClass = (label) => label < 5;
const oldItems = range(0, train.count, (i) => oldClass(train.labels[i]));
const newItems = range(0, train.count, (i) => !oldClass(train.labels[i]));
const split = {
  feedback: range(0, 5000, (i) => oldClass(test.labels[i])),
  tuningOld: range(5000, 7000, (i) => oldClass(test.labels[i])),
  tuningNew: range(5000, 7000, (i) => !oldClass(test.labels[i])),
  testOld: range(7000, 10000, (i) => oldClass(test.labels[i])),
  testNew: range(7000, 10000, (i) => !oldClass(test.labels[i])),
};
const lambdas = option('lambdas', '100,1000').split(',').map(Number);
const rowsOf = (ids) => {
  const v = new Float32Array(ids.length * d);
  ids.forEach((id, j) => v.set(trainRow(id), j * d));
  return v;
};

if (!existsSync(cache)) {
  const t0 = performance.now();
  const index = await VectorIndex.create({ dimensions: d, metric: 'l2', m: 16, efConstruction: 100, seed: 42 });
  for (let i = 0; i < oldItems.length; i += BATCH) {
    const ids = oldItems.slice(i, i + BATCH);
    index.addBatch(ids, rowsOf(ids));
  }
  writeFileSync(cache, await index.toBytes());
  console.log(`built the classes 0-4 index (${index.size} items) in ${((performance.now() - t0) / 1e3).toFixed(1)} s: ${cache}`);
  index.dispose();
}
const bytes = new Uint8Array(readFileSync(cache));

function precision(index, mode, queries) {
  let hits = 0;
  for (const i of queries) {
    for (const r of index.search(testRow(i), 10, { mode })) hits += train.labels[r.id] === test.labels[i];
  }
  return hits / (10 * queries.length);
}

async function run(name, learning, seed) {
  const index = await VectorIndex.fromBytes(bytes);
  index.configureLearning({ candidates: CANDIDATES, hops, seed, ...learning });
  for (const i of split.feedback) {
    const shown = index.search(testRow(i), CANDIDATES).map((r) => r.id);
    const positive = shown.filter((id) => train.labels[id] === test.labels[i]);
    const negative = shown.filter((id) => train.labels[id] !== test.labels[i]);
    if (positive.length) index.feedback(testRow(i), { positive, negative });
  }
  await index.train({ epochs });
  const oldBefore = precision(index, 'neural', split.testOld);
  const vectorOldBefore = precision(index, 'vector', split.testOld);
  const t0 = performance.now();
  for (let i = 0; i < newItems.length; i += BATCH) {
    const ids = newItems.slice(i, i + BATCH);
    index.addBatch(ids, rowsOf(ids));
  }
  const insertSeconds = (performance.now() - t0) / 1e3;
  const s = index.stats().learning;
  const r = {
    name, seed, learning, oldBefore, vectorOldBefore, insertSeconds, insertSteps: s.insertSteps, insertedExamples: s.insertedExamples,
    oldAfter: precision(index, 'neural', split.testOld), newAfter: precision(index, 'neural', split.testNew),
    tuningOldAfter: precision(index, 'neural', split.tuningOld), tuningNewAfter: precision(index, 'neural', split.tuningNew),
    ewcAnchors: s.ewcAnchors,
    vectorOld: precision(index, 'vector', split.testOld), vectorNew: precision(index, 'vector', split.testNew),
  };
  index.dispose();
  console.log(`seed ${seed}, ${name}: classes 0-4 ${r.oldBefore.toFixed(4)} -> ${r.oldAfter.toFixed(4)} ` +
    `(vector ${r.vectorOldBefore.toFixed(4)} -> ${r.vectorOld.toFixed(4)}); classes 5-9 ${r.newAfter.toFixed(4)} (vector ${r.vectorNew.toFixed(4)}); ` +
    `${newItems.length} items added in ${insertSeconds.toFixed(1)} s, ${r.insertSteps} steps on ${r.insertedExamples} of them`);
  return r;
}

const runs = [];
for (const seed of seeds) {
  runs.push(await run('onInsert off', {}, seed));
  runs.push(await run('onInsert 1, replay', { onInsert: 1 }, seed));
  runs.push(await run('onInsert 1, no replay', { onInsert: 1, replay: { perBatch: 0 } }, seed));
  // EWC's strength is chosen on the tuning split (mean of both class groups
  // after the inserts); only the chosen run's test figures are reported.
  const ewcRuns = [];
  for (const lambda of lambdas) ewcRuns.push(await run(`onInsert 1, replay, EWC ${lambda}`, { onInsert: 1, ewc: { lambda } }, seed));
  const score = (r) => (r.tuningOldAfter + r.tuningNewAfter) / 2;
  const chosen = ewcRuns.reduce((a, b) => (score(b) > score(a) ? b : a));
  for (const r of ewcRuns) r.chosenOnTuning = r === chosen;
  console.log(`seed ${seed}: the tuning split chose ${chosen.name}`);
  runs.push(...ewcRuns);
}
const results = {
  protocol: { seeds, epochs, hops, candidates: CANDIDATES, batch: BATCH, date: new Date().toISOString(),
    queries: Object.fromEntries(Object.entries(split).map(([k, v]) => [k, v.length])), oldItems: oldItems.length, newItems: newItems.length },
  runs,
};
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${out}`);
