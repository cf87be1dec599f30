// Workload adaptation in wasm: setWorkloadSampling(), adaptToWorkload(),
// stats().workload; results keep their recall against brute force, and bad
// options give clear errors with nothing changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VectorIndex, NeurovecError } from 'neurovec';
import { bruteForce, clusteredData, overlap, row } from './helpers.mjs';

test('adaptToWorkload: sampled hot queries start at hints, recall stays', async () => {
  const d = 16, n = 3000;
  const { data, queries } = clusteredData({ n, d, queries: 600, clusters: 20, seed: 3 });
  const index = await VectorIndex.create({ dimensions: d, metric: 'l2', m: 12, efConstruction: 100 });
  index.addBatch(Array.from({ length: n }, (_, i) => i), data);
  const items = Array.from({ length: n }, (_, i) => ({ id: i, vector: row(data, i, d) }));
  // Hot: queries near the first query's cluster (the 150 nearest to it of the 600).
  const hot = Array.from({ length: 600 }, (_, i) => i)
    .map((i) => ({ i, dist: bruteForce('l2', [{ id: i, vector: row(queries, i, d) }], row(queries, 0, d), 1)[0].distance }))
    .sort((a, b) => a.dist - b.dist).slice(0, 150).map((x) => row(queries, x.i, d));
  const recall = (qs) => qs.reduce((s, q) => s + overlap(index.search(q, 10, { ef: 48 }), bruteForce('l2', items, q, 10)), 0) / qs.length;
  const before = recall(hot);

  assert.throws(() => index.adaptToWorkload(), (e) => e instanceof NeurovecError && e.code === 'FAILED_PRECONDITION' && /SetWorkloadSampling is off/.test(e.message));
  index.setWorkloadSampling(100);
  for (const q of hot) index.search(q, 10);
  let w = index.stats().workload;
  assert.deepEqual([w.sampleCapacity, w.sampled, w.recorded, w.hints], [100, 100, 150, 0]);
  assert.throws(() => index.adaptToWorkload({ minQueries: 101 }), /at least 101 queries, the sample holds 100/);
  const report = index.adaptToWorkload({ minQueries: 50, hints: 4 });
  assert.ok(report.hints >= 2 && report.hints <= 4, `hints ${report.hints}`);
  assert.equal(report.queries, 100);
  assert.ok(report.bound > 0);
  index.setWorkloadSampling(0);
  const after = recall(hot);
  w = index.stats().workload;
  assert.equal(w.hints, report.hints);
  assert.ok(w.hintedSearches >= 100, `hinted ${w.hintedSearches} of 150`);
  assert.ok(after >= before - 0.02 && after >= 0.9, `recall ${after} (before ${before})`);

  // Given queries instead of the sample; bad options are refused and keep the hints.
  assert.throws(() => index.adaptToWorkload({ hints: 0 }), /hints must be an integer from 1 to 1024/);
  assert.throws(() => index.adaptToWorkload({ coverage: 2 }), /coverage must be a number from 0 to 1/);
  assert.throws(() => index.adaptToWorkload({ bogus: 1 }), /unknown adaptToWorkload option "bogus"/);
  assert.throws(() => index.adaptToWorkload({ queries: new Float32Array(d + 1) }), /multiple of the dimensions/);
  assert.throws(() => index.setWorkloadSampling(-1), /capacity must be an integer/);
  assert.equal(index.stats().workload.hints, report.hints);
  const given = index.adaptToWorkload({ queries: hot, minQueries: 10, hints: 2 });
  assert.equal(given.queries, 150);
  index.dropWorkloadAdaptation();
  assert.equal(index.stats().workload.hints, 0);
  index.dispose();
});
