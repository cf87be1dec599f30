// `node bench/neural_latency.mjs`: what a neural query costs against a plain
// one, in wasm, one thread (issue 14's "fast neural mode": p50 at most 1.5x).
//
// Index: the 60k Fashion-MNIST training images (the file bench/learning.mjs
// and bench/learning_clicks.mjs cache, built here when missing). Model: the
// default learner trained for --epochs (2) on full-label feedback of test
// images 0..--feedback-1 (1000), --hops (2; 0 is the metric without message
// passing); what it learned does not matter here, only its cost. Then --queries (1000) test images from 5000 on, each searched in
// vector and in neural mode, alternating, k 10 at the default ef; p50 and p99
// of each, and their ratio. The first pass over the queries is timed apart
// ("cold": the refiner's kept projections are empty) from a second ("warm").
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { configureWasm, VectorIndex } from '../js/dist/index.js';
import { loadFashionMnist } from './datasets.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const epochs = option('epochs', 2);
const feedbackCount = option('feedback', 1000);
const queries = option('queries', 1000);
const hops = option('hops', 2);
const cache = '/tmp/neurovec-fashion-learning.nvx';

configureWasm({ threads: 1 });
const { train, test, dimensions: d } = loadFashionMnist();
const row = (i) => test.vectors.subarray(i * d, (i + 1) * d);
let index;
if (existsSync(cache)) {
  index = await VectorIndex.fromBytes(new Uint8Array(readFileSync(cache)));
} else {
  index = await VectorIndex.create({ dimensions: d, metric: 'l2', m: 16, efConstruction: 100, seed: 42 });
  index.addBatch(Array.from({ length: train.count }, (_, i) => i), train.vectors, { chunkSize: 5000 });
  writeFileSync(cache, await index.toBytes());
}
index.configureLearning({ candidates: 50, seed: 42, hops });
for (let i = 0; i < feedbackCount; i++) {
  const shown = index.search(row(i), 50).map((r) => r.id);
  const positive = shown.filter((id) => train.labels[id] === test.labels[i]);
  if (positive.length) index.feedback(row(i), { positive, negative: shown.filter((id) => train.labels[id] !== test.labels[i]) });
}
await index.train({ epochs });

const p = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
for (const pass of ['cold', 'warm']) {
  const times = { vector: [], neural: [] };
  for (let i = 5000; i < 5000 + queries; i++) {
    for (const mode of i % 2 ? ['vector', 'neural'] : ['neural', 'vector']) {
      const start = performance.now();
      index.search(row(i), 10, { mode });
      times[mode].push(performance.now() - start);
    }
  }
  for (const t of Object.values(times)) t.sort((a, b) => a - b);
  const v = p(times.vector, 0.5);
  const n = p(times.neural, 0.5);
  console.log(`hops ${hops}, ${pass}: vector p50 ${v.toFixed(3)} ms p99 ${p(times.vector, 0.99).toFixed(3)} ms; neural p50 ${n.toFixed(3)} ms ` +
    `p99 ${p(times.neural, 0.99).toFixed(3)} ms; neural/vector p50 ${(n / v).toFixed(2)}x`);
}
index.dispose();
