// `node bench/onnx.mjs --index trained.nvx --model models/refiner.onnx`: the
// learned refiner exported to ONNX, run by ONNX Runtime Web (wasm backend, one
// thread) in Node, against the C++ core (the same index in wasm) on
// Fashion-MNIST held-out queries (test images 5000..5999, never trained on).
//
// Reports: parity (max |score difference| between ONNX Runtime Web and the
// core's neural mode over every returned result, and how many rankings are
// identical), and the latency of one session.run per batch size (candidate
// graphs of 50 candidates; the inputs are built before timing), median of
// --runs runs, plus the end-to-end searchNeural time per batch.
//
// The index: `neurovec train` output over the 60k training images (see
// bench/results/learning.md for the commands).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { OnnxRefiner, VectorIndex } from '../js/dist/index.js';
import { loadFashionMnist } from './datasets.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => {
  if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1]]);
  return pairs;
}, []));
const indexPath = args.index ?? '/tmp/neurovec-fashion-trained.nvx';
const modelPath = args.model ?? 'models/refiner.onnx';
const runs = Number(args.runs ?? 20);
const EVAL_START = 5000;
const EVAL = Number(args['eval-queries'] ?? 1000);

const { train, test, dimensions: d } = loadFashionMnist();
const row = (i) => test.vectors.subarray(i * d, (i + 1) * d);
const index = await VectorIndex.fromBytes(new Uint8Array(readFileSync(indexPath)));
const refiner = await OnnxRefiner.create(new Uint8Array(readFileSync(modelPath)), { dimensions: d });
index.useOnnxRefiner(refiner);
const queries = Array.from({ length: EVAL }, (_, i) => row(EVAL_START + i));

// Parity over the held-out queries.
const batch = await index.searchNeural(queries, 10);
if (batch.refiner !== 'onnx') throw new Error(`ONNX refiner fell back: ${batch.fallback?.message}`);
let maxDiff = 0;
let sameRanking = 0;
let hits = 0;
for (let i = 0; i < EVAL; i++) {
  const core = index.search(queries[i], 10, { mode: 'neural' });
  const onnx = batch.results[i];
  if (core.every((r, j) => r.id === onnx[j].id)) sameRanking++;
  core.forEach((r, j) => { maxDiff = Math.max(maxDiff, Math.abs(r.score - onnx[j].score)); });
  for (const r of onnx) hits += test.labels[EVAL_START + i] === train.labels[r.id];
}
console.log(`parity on ${EVAL} held-out queries (top 10 each): max |score diff| ONNX Runtime Web vs C++ core ` +
  `${maxDiff.toExponential(2)}; identical rankings ${sameRanking}/${EVAL}; precision@10 with ONNX ${(hits / (10 * EVAL)).toFixed(4)}`);

// session.run latency per batch size (inputs prepared outside the timing).
const median = (v) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
for (const b of [1, 16, 64]) {
  const qs = queries.slice(0, b);
  const k = 50;
  const query = new Float32Array(b * d);
  const vectors = new Float32Array(b * k * d);
  const adjacency = new Float32Array(b * k * k);
  qs.forEach((q, i) => {
    query.set(q, i * d);
    const shown = index.search(q, k);
    shown.forEach((r, j) => vectors.set(index.get(r.id).vector, (i * k + j) * d));
  });
  // Adjacency is left empty here: it does not change the cost of the dense graph.
  const times = [];
  for (let r = 0; r < runs + 2; r++) {
    const t0 = performance.now();
    await refiner.run({ batch: b, candidates: k, query, vectors, adjacency });
    if (r >= 2) times.push(performance.now() - t0);  // two warm-up runs
  }
  const endToEnd = [];
  for (let r = 0; r < Math.max(3, Math.floor(runs / 4)); r++) {
    const t0 = performance.now();
    await index.searchNeural(qs, 10);
    endToEnd.push(performance.now() - t0);
  }
  const run = median(times);
  console.log(`batch ${String(b).padStart(2)} x ${k} candidates: session.run median ${run.toFixed(2)} ms ` +
    `(${(run / b).toFixed(3)} ms/query); searchNeural end to end ${median(endToEnd).toFixed(2)} ms`);
}
await refiner.dispose();
index.dispose();
