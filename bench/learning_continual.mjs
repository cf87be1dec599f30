// `npm run bench:continual`: does the index keep what it learned when the
// feedback moves on (issue 14)? Fashion-MNIST, wasm, the public JS API.
//
// Index: the 60k training images (the file bench/learning_clicks.mjs caches).
// Feedback: full labels (each of a query's 50 vector results judged by class),
// from test images 0..4999 in two phases: first the queries of classes 0-4
// (phase A), train(); then those of classes 5-9 (phase B), train() again.
// Tuning split: test images 5000..6999 (the EWC strength is chosen there);
// test split: 7000..9999, used once per configuration after the choice.
// Configurations: plain (no replay, no EWC), replay only (the default
// reservoir), and replay with EWC at each lambda of --lambdas (10,100,1000),
// of which the tuning split keeps the one with the best mean precision over
// both class groups after phase B.
// Reported per configuration: precision@10 (neural) on classes 0-4 after A
// and after B (the drop is the forgetting), on classes 5-9 after B, and
// vector mode beside them.
//
// With --online, no train() at all: `learning.onlineSteps: 1` learns each
// event as it comes, and EWC anchors itself every 128 events (online EWC,
// cpp/src/learning/index_learner.h); an "EWC only" row (no replay) shows what
// the anchor does by itself.
//
// Options: --epochs 4, --lambdas 10,100,1000, --seed 1, --online, --hops H (the
// learner's default 2), --out PATH (JSON, default
// bench/results/learning-continual.json, or learning-continual-online.json).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { configureWasm, VectorIndex } from '../js/dist/index.js';
import { loadFashionMnist } from './datasets.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const epochs = Number(option('epochs', 4));
const lambdas = option('lambdas', '10,100,1000').split(',').map(Number);
const seed = Number(option('seed', 1));
const online = argv.includes('--online');
const hops = option('hops', undefined);
const out = option('out', online ? 'bench/results/learning-continual-online.json' : 'bench/results/learning-continual.json');
// What every configuration shares: online learning, and the model size.
const shared = { ...(online ? { onlineSteps: 1 } : {}), ...(hops === undefined ? {} : { hops: Number(hops) }) };
const cache = '/tmp/neurovec-fashion-learning.nvx';
const CANDIDATES = 50;

configureWasm({ threads: 1 });
const { train, test, dimensions: d } = loadFashionMnist();
const row = (i) => test.vectors.subarray(i * d, (i + 1) * d);
if (!existsSync(cache)) throw new Error(`${cache} is missing: run node bench/learning_clicks.mjs --quick once to build it`);
const bytes = new Uint8Array(readFileSync(cache));
const range = (from, to, keep) => Array.from({ length: to - from }, (_, i) => from + i).filter(keep);
const groupA = (i) => test.labels[i] < 5;
const groupB = (i) => test.labels[i] >= 5;
const split = {
  feedbackA: range(0, 5000, groupA), feedbackB: range(0, 5000, groupB),
  tuningA: range(5000, 7000, groupA), tuningB: range(5000, 7000, groupB),
  testA: range(7000, 10000, groupA), testB: range(7000, 10000, groupB),
};

function precision(index, mode, queries) {
  let hits = 0;
  for (const i of queries) {
    for (const r of index.search(row(i), 10, { mode })) hits += train.labels[r.id] === test.labels[i];
  }
  return hits / (10 * queries.length);
}

async function phase(index, queries) {
  for (const i of queries) {
    const shown = index.search(row(i), CANDIDATES).map((r) => r.id);
    const positive = shown.filter((id) => train.labels[id] === test.labels[i]);
    if (positive.length) index.feedback(row(i), { positive, negative: shown.filter((id) => train.labels[id] !== test.labels[i]) });
  }
  if (!online) await index.train({ epochs });
}

async function run(name, learning, evaluate) {
  const t0 = performance.now();
  const index = await VectorIndex.fromBytes(bytes);
  index.configureLearning({ candidates: CANDIDATES, seed, ...shared, ...learning });
  await phase(index, split.feedbackA);
  const afterA = evaluate === 'test' ? precision(index, 'neural', split.testA) : precision(index, 'neural', split.tuningA);
  await phase(index, split.feedbackB);
  const [a, b] = evaluate === 'test' ? [split.testA, split.testB] : [split.tuningA, split.tuningB];
  const result = { name, learning, afterA, aAfterB: precision(index, 'neural', a), bAfterB: precision(index, 'neural', b),
    ewcAnchors: index.stats().learning.ewcAnchors };
  result.drop = result.afterA - result.aAfterB;
  index.dispose();
  console.log(`${name} (${evaluate}): classes 0-4 ${result.afterA.toFixed(4)} after A, ${result.aAfterB.toFixed(4)} after B ` +
    `(drop ${result.drop.toFixed(4)}); classes 5-9 ${result.bAfterB.toFixed(4)} after B ` +
    `(${((performance.now() - t0) / 1e3).toFixed(0)} s)`);
  return result;
}

const vectorIndex = await VectorIndex.fromBytes(bytes);
const vector = { testA: precision(vectorIndex, 'vector', split.testA), testB: precision(vectorIndex, 'vector', split.testB) };
vectorIndex.dispose();
console.log(`vector mode, test split: classes 0-4 ${vector.testA.toFixed(4)}, classes 5-9 ${vector.testB.toFixed(4)}; ` +
  `phase A ${split.feedbackA.length} queries, phase B ${split.feedbackB.length}`);

// The EWC strength, on the tuning split.
let best = null;
for (const lambda of lambdas) {
  const r = await run(`replay + EWC ${lambda}`, { ewc: { lambda } }, 'tuning');
  const score = (r.aAfterB + r.bAfterB) / 2;
  if (!best || score > best.score) best = { lambda, score };
}
console.log(`tuning chose EWC lambda ${best.lambda}`);

const results = {
  protocol: { online, shared, epochs: online ? null : epochs, seed, lambdas, chosenLambda: best.lambda, queries: Object.fromEntries(Object.entries(split).map(([k, v]) => [k, v.length])) },
  vector,
  runs: [
    await run('plain (no replay, no EWC)', { replay: false }, 'test'),
    await run('replay only', {}, 'test'),
    await run(`replay + EWC ${best.lambda}`, { ewc: { lambda: best.lambda } }, 'test'),
    ...(online ? [await run(`EWC ${best.lambda} only (no replay)`, { replay: false, ewc: { lambda: best.lambda } }, 'test')] : []),
  ],
};
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${out}`);
