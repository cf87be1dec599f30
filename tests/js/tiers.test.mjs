// Compression tiers through the JS API (wasm): option validation, a skewed
// access pattern followed by recompress() (tier counts, recall and exact
// distances against a brute-force oracle, memory by tier), the injected clock,
// retrainCodebooks(), and tiers surviving toBytes/fromBytes byte-identically.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VectorIndex } from 'neurovec';
import { assertClose, assertNeurovecRejects, bruteForce, clusteredData, overlap, row } from './helpers.mjs';

const N = 2000;
const D = 32;
const Q = 60;
const K = 10;
const { data, queries } = clusteredData({ n: N, d: D, queries: Q, clusters: 40, noise: 1.0, seed: 5 });
const items = Array.from({ length: N }, (_, i) => ({ id: i, vector: row(data, i, D) }));

async function build(tiers = {}) {
  const index = await VectorIndex.create({ dimensions: D, metric: 'l2', m: 16, efConstruction: 100, efSearch: 64,
    tiers: { enabled: true, trainItems: 256, migrationBudget: 0, ...tiers } });
  index.setTierClock(0);
  index.addBatch(items.map((it) => it.id), data);
  return index;
}

function recall(index) {
  let sum = 0;
  for (let q = 0; q < Q; q++) {
    const query = row(queries, q, D);
    const got = index.search(query, K);
    for (const r of got) assertClose(r.distance, bruteForce('l2', [items[r.id]], query, 1)[0].distance);
    sum += overlap(got, bruteForce('l2', items, query, K));
  }
  return sum / Q;
}

describe('tiers', () => {
  test('options are validated with messages that name the option', async () => {
    await assertNeurovecRejects(() => VectorIndex.create({ dimensions: 4, tiers: true }),
      'INVALID_ARGUMENT', /tiers must be an object/);
    await assertNeurovecRejects(() => VectorIndex.create({ dimensions: 4, tiers: {} }),
      'INVALID_ARGUMENT', /tiers\.enabled must be true or false/);
    await assertNeurovecRejects(() => VectorIndex.create({ dimensions: 4, tiers: { enabled: true, thresholds: { warm: 0.9 } } }),
      'INVALID_ARGUMENT', /decrease strictly/);
    await assertNeurovecRejects(() => VectorIndex.create({ dimensions: 4, tiers: { enabled: true, thresholds: { tepid: 0.5 } } }),
      'INVALID_ARGUMENT', /unknown tiers\.thresholds key "tepid"/);
    await assertNeurovecRejects(() => VectorIndex.create({ dimensions: 4, tiers: { enabled: true, halfLifeSeconds: 0 } }),
      'INVALID_ARGUMENT', /halfLifeSeconds must be a finite number > 0/);
    await assertNeurovecRejects(() => VectorIndex.create({ dimensions: 4, tiers: { enabled: true, trainItems: 10 } }),
      'INVALID_ARGUMENT', /trainItems must be an integer from 256/);
    await assertNeurovecRejects(() => VectorIndex.create({ dimensions: 4, tiers: { enabled: true, budget: 3 } }),
      'INVALID_ARGUMENT', /unknown tiers option "budget"/);
    await assertNeurovecRejects(() => VectorIndex.create({ dimensions: 4, tiers: { enabled: true }, quantizedTraversal: { codec: 'f16' } }),
      'INVALID_ARGUMENT', /cannot be combined/);
    const plain = await VectorIndex.create({ dimensions: 4 });
    assert.throws(() => plain.recompress(), (e) => e.code === 'FAILED_PRECONDITION');
    assert.equal(plain.stats().tiers, undefined);
    plain.dispose();
  });

  test('a skewed workload, then recompress(): tiers by heat, exact distances, recall, memory', async () => {
    const index = await build();
    assert.deepEqual(index.stats().tiers, { hot: N, warm: 0, cool: 0, cold: 0, archive: 0 });
    const before = recall(index);
    // Queries 0..9 over and over: their neighbours get the accesses.
    for (let i = 0; i < 300; i++) {
      index.setTierClock(i);
      index.search(row(queries, i % 10, D), K);
    }
    const moved = index.recompress();
    const stats = index.stats();
    assert.equal(Object.values(moved).reduce((a, b) => a + b, 0), N - stats.tiers.hot);
    assert.ok(stats.tiers.hot >= 1 && stats.tiers.hot < 100, `hot ${stats.tiers.hot}`);
    assert.ok(stats.tiers.archive > N / 2, `archive ${stats.tiers.archive}`);
    assert.equal(Object.values(stats.tiers).reduce((a, b) => a + b, 0), N);
    const after = recall(index);
    assert.ok(before >= 0.95, `recall before ${before}`);
    assert.ok(after >= 0.9, `recall after ${after}`);
    const m = stats.memory;
    // Rotated binary: D = 32 dims pad to 32 sign bits, + f32 residual norm and alignment.
    assert.equal(m.tiers.tiers.archive, stats.tiers.archive * (D / 8 + 8));
    assert.ok(m.tiers.codebooks > 0);
    assert.equal(m.tiers.vectorsIfReleased,
      m.tiers.tiers.hot + m.tiers.tiers.warm + m.tiers.tiers.cool + m.tiers.tiers.cold + m.tiers.tiers.archive + m.tiers.codebooks);
    assert.ok(m.tiers.vectorsIfReleased < m.rawF32 / 2);
    // No further accesses: a second pass moves nothing.
    assert.deepEqual(index.recompress(), { hot: 0, warm: 0, cool: 0, cold: 0, archive: 0 });
    index.retrainCodebooks();
    assert.ok(recall(index) >= 0.9);
    assert.throws(() => index.setTierClock(10), (e) => e.code === 'INVALID_ARGUMENT' && /backwards/.test(e.message));
    index.dispose();
  });

  test('tiers survive toBytes/fromBytes, and saving again gives the same bytes', async () => {
    const index = await build({ halfLifeSeconds: 60 });
    for (let i = 0; i < 100; i++) index.search(row(queries, i % 5, D), K);
    index.recompress();
    const bytes = await index.toBytes();
    const copy = await VectorIndex.fromBytes(bytes);
    assert.deepEqual(copy.stats().tiers, index.stats().tiers);
    for (let q = 0; q < 10; q++) {
      const query = row(queries, q, D);
      assert.deepEqual(copy.search(query, K).map((r) => r.id), index.search(query, K).map((r) => r.id));
    }
    assert.deepEqual(await copy.toBytes(), await index.toBytes());
    index.dispose();
    copy.dispose();
  });
});
