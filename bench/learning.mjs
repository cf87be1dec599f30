// `node bench/learning.mjs`: the index learns from feedback, in wasm, through
// the public JS API (issue 5), on Fashion-MNIST.
//
// Index: the 60k training images (L2, m 16, efConstruction 100, seed 42).
// Feedback: test images 0..T-1 (T = --train-queries, 5000): each is searched
// in vector mode for 50 results; those of the query's class are the positives,
// the others the negatives. Evaluation: test images 5000..5999 (never given as
// feedback, whatever T), precision@10 of vector mode before and of neural mode
// after train() (re-ranking the 50 HNSW candidates), and the latency of one
// neural search (search + refiner) per query in wasm.
//
// Options: --train-queries N (5000), --epochs E (20), --eval-queries N (1000),
// --cache PATH (an index file of the 60k images to reuse; built and written
// there when missing; default /tmp/neurovec-fashion-learning.nvx).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { VectorIndex } from '../js/dist/index.js';
import { loadFashionMnist } from './datasets.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => {
  if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1]]);
  return pairs;
}, []));
const trainQueries = Number(args['train-queries'] ?? 5000);
const evalQueries = Number(args['eval-queries'] ?? 1000);
const epochs = Number(args.epochs ?? 20);
const cache = args.cache ?? '/tmp/neurovec-fashion-learning.nvx';
const EVAL_START = 5000;
const CANDIDATES = 50;
if (trainQueries > EVAL_START) throw new Error(`--train-queries must be at most ${EVAL_START} (the held-out queries start there)`);

const { train, test, dimensions: d } = loadFashionMnist();
const row = (set, i) => set.vectors.subarray(i * d, (i + 1) * d);
const learning = { candidates: CANDIDATES, seed: 42 };

let index;
let t0 = performance.now();
if (existsSync(cache)) {
  index = await VectorIndex.fromBytes(new Uint8Array(readFileSync(cache)));
  // Written before any learning: the learner gets the defaults, which are `learning` above.
  console.log(`index: ${index.size} x ${d} read from ${cache} in ${((performance.now() - t0) / 1e3).toFixed(1)} s`);
} else {
  index = await VectorIndex.create({ dimensions: d, metric: 'l2', m: 16, efConstruction: 100, seed: 42, learning });
  index.addBatch(Array.from({ length: train.count }, (_, i) => i), train.vectors, { chunkSize: 5000 });
  console.log(`index: ${index.size} x ${d} built in wasm in ${((performance.now() - t0) / 1e3).toFixed(1)} s`);
  writeFileSync(cache, await index.toBytes());
}

// Feedback from the training queries.
t0 = performance.now();
let events = 0;
for (let i = 0; i < trainQueries; i++) {
  const shown = index.search(row(test, i), CANDIDATES);
  const label = test.labels[i];
  const positive = shown.filter((r) => train.labels[r.id] === label).map((r) => r.id);
  const negative = shown.filter((r) => train.labels[r.id] !== label).map((r) => r.id);
  if (positive.length === 0) continue;
  index.feedback(row(test, i), { positive, negative });
  events++;
}
console.log(`feedback: ${events} events from test images 0..${trainQueries - 1} (${CANDIDATES} results each) ` +
  `in ${((performance.now() - t0) / 1e3).toFixed(1)} s`);

function evaluate(mode) {
  let hits = 0;
  const latencies = [];
  for (let i = EVAL_START; i < EVAL_START + evalQueries; i++) {
    const start = performance.now();
    const results = index.search(row(test, i), 10, { mode });
    latencies.push(performance.now() - start);
    for (const r of results) hits += train.labels[r.id] === test.labels[i];
  }
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.round(p * (latencies.length - 1)))];
  return { precision: hits / (10 * evalQueries), p50: pct(0.5), p99: pct(0.99) };
}

const baseline = evaluate('vector');
console.log(`held-out: test images ${EVAL_START}..${EVAL_START + evalQueries - 1}`);
console.log(`baseline precision@10 (vector mode): ${baseline.precision.toFixed(4)}; ` +
  `vector latency p50 ${baseline.p50.toFixed(3)} ms, p99 ${baseline.p99.toFixed(3)} ms`);

t0 = performance.now();
let lastEpoch = 0;
const done = await index.train({
  epochs,
  onProgress: (p) => {
    if (p.epoch !== lastEpoch) {
      lastEpoch = p.epoch;
      console.log(`  epoch ${p.epoch}/${p.epochs}: ${p.examplesDone} examples, ${((performance.now() - t0) / 1e3).toFixed(1)} s`);
    }
  },
});
const seconds = (performance.now() - t0) / 1e3;
console.log(`training in wasm: ${done.examplesDone} examples (${epochs} epochs x ${events} events, batch 32) in ` +
  `${seconds.toFixed(1)} s = ${(done.examplesDone / seconds).toFixed(1)} examples/s (one thread)`);

const neural = evaluate('neural');
console.log(`trained precision@10 (neural mode, ${CANDIDATES} candidates): ${neural.precision.toFixed(4)} ` +
  `(${(neural.precision - baseline.precision >= 0 ? '+' : '')}${(neural.precision - baseline.precision).toFixed(4)})`);
console.log(`neural query latency in wasm (search + refiner): p50 ${neural.p50.toFixed(3)} ms, p99 ${neural.p99.toFixed(3)} ms`);

// The learned parameters travel with the file.
const copy = await VectorIndex.fromBytes(await index.toBytes());
const same = [5000, 5500, 5999].every((i) =>
  JSON.stringify(copy.search(row(test, i), 10, { mode: 'neural' })) === JSON.stringify(index.search(row(test, i), 10, { mode: 'neural' })));
console.log(`toBytes/fromBytes: neural results identical on 3 queries: ${same}`);
copy.dispose();
index.dispose();
