// Quantized traversal through the JS API: option validation, recall and exact
// distances against a brute-force oracle, stats().memory, deletes and slot
// reuse, filters, and the codes surviving toBytes/fromBytes and save/open.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { VectorIndex } from 'neurovec';
import {
  assertClose, assertNeurovecRejects, assertSortedAscending, bruteForce, clusteredData, overlap, row,
} from './helpers.mjs';

const N = 3000;
const D = 32;
const Q = 100;
const K = 10;
const { data, queries } = clusteredData({ n: N, d: D, queries: Q, clusters: 100, noise: 1.0, seed: 11 });
const items = Array.from({ length: N }, (_, i) => ({ id: i, vector: row(data, i, D) }));

async function build(quantizedTraversal, metric = 'l2') {
  const index = await VectorIndex.create({ dimensions: D, metric, m: 16, efConstruction: 200, efSearch: 64, seed: 42,
    ...(quantizedTraversal ? { quantizedTraversal } : {}) });
  index.addBatch(items.map((it) => it.id), data);
  return index;
}

function recall(index, metric, liveItems = items, ef = 64) {
  let sum = 0;
  for (let q = 0; q < Q; q++) {
    const query = row(queries, q, D);
    const got = index.search(query, K, { ef });
    const exact = bruteForce(metric, liveItems, query, K);
    assertSortedAscending(got);
    for (const r of got) assertClose(r.distance, bruteForce(metric, [liveItems.find((it) => it.id === r.id)], query, 1)[0].distance);
    sum += overlap(got, exact);
  }
  return sum / Q;
}

describe('quantized traversal', () => {
  test('options are validated with messages that name the option', async () => {
    await assertNeurovecRejects(() => VectorIndex.create({ dimensions: 4, quantizedTraversal: { codec: 'int4' } }),
      'INVALID_ARGUMENT', /quantizedTraversal\.codec/, /int8-uniform/);
    await assertNeurovecRejects(() => VectorIndex.create({ dimensions: 4, quantizedTraversal: 'int8' }),
      'INVALID_ARGUMENT', /quantizedTraversal must be an object/);
    await assertNeurovecRejects(() => VectorIndex.create({ dimensions: 4, quantizedTraversal: { codec: 'int8', rerank: -1 } }),
      'INVALID_ARGUMENT', /rerank/);
    await assertNeurovecRejects(() => VectorIndex.create({ dimensions: 4, quantizedTraversal: { codec: 'pq8', trainItems: 10 } }),
      'INVALID_ARGUMENT', /trainItems/, /256/);
    await assertNeurovecRejects(() => VectorIndex.create({ dimensions: 4, quantizedTraversal: { codec: 'f16', depth: 3 } }),
      'INVALID_ARGUMENT', /unknown quantizedTraversal option "depth"/);
    const plain = await VectorIndex.create({ dimensions: 4 });
    assert.throws(() => plain.retrainQuantizer(), (e) => e.code === 'FAILED_PRECONDITION');
    assert.equal(plain.stats().quantizedTraversal, undefined);
    plain.dispose();
  });

  for (const codec of ['int8', 'int8-uniform', 'f16']) {
    test(`${codec}: recall close to the float walk, exact distances, codes in memory stats`, async () => {
      const plain = await build(undefined);
      const index = await build({ codec });
      // ef 12: recall is below 1 there (about 0.9), so a walk misled by codes shows.
      const base = recall(plain, 'l2', items, 12);
      const got = recall(index, 'l2', items, 12);
      console.log(`# ${codec}: recall@10 ${got.toFixed(4)} (float walk ${base.toFixed(4)})`);
      assert.ok(got >= base - 0.02, `recall ${got} vs ${base}`);
      const stats = index.stats();
      assert.deepEqual(stats.quantizedTraversal, { codec, rerank: 0, trainItems: 1024, trained: true });
      const bytesPerDim = codec === 'f16' ? 2 : 1;
      assert.equal(stats.memory.codes, stats.capacity * D * bytesPerDim);
      assert.equal(stats.memory.rawF32, N * D * 4);
      assert.equal(stats.memory.total, stats.memory.vectors + stats.memory.codes + stats.memory.graph + stats.memory.other);
      assert.equal(stats.memoryBytes, stats.memory.total);
      assert.equal(plain.stats().memory.codes, 0);
      plain.dispose();
      index.dispose();
    });
  }

  test('trains at trainItems; deletes, slot reuse and filters keep working', async () => {
    const index = await VectorIndex.create({ dimensions: D, metric: 'cosine', quantizedTraversal: { codec: 'int8', rerank: 20, trainItems: 200 } });
    for (let i = 0; i < 199; i++) index.add(i, row(data, i, D), { even: i % 2 === 0 });
    assert.equal(index.stats().quantizedTraversal.trained, false);
    for (let i = 199; i < 2000; i++) index.add(i, row(data, i, D), { even: i % 2 === 0 });
    assert.equal(index.stats().quantizedTraversal.trained, true);
    // Delete a third, reuse the slots with other vectors (ids 5000+).
    for (let i = 0; i < 2000; i += 3) index.delete(i);
    for (let i = 2000; i < 2600; i++) index.add(3000 + i, row(data, i, D), { even: i % 2 === 0 });
    const live = [];
    for (let i = 0; i < 2000; i++) if (i % 3 !== 0) live.push({ id: i, vector: row(data, i, D), metadata: { even: i % 2 === 0 } });
    for (let i = 2000; i < 2600; i++) live.push({ id: 3000 + i, vector: row(data, i, D), metadata: { even: i % 2 === 0 } });
    // Each reused slot's code is its new vector's: the item is its own nearest.
    let self = 0;
    for (let i = 2000; i < 2600; i++) self += index.search(row(data, i, D), 1, { ef: 32 })[0]?.id === 3000 + i ? 1 : 0;
    assert.ok(self / 600 >= 0.98, `self hits ${self}/600`);
    assert.ok(recall(index, 'cosine', live) >= 0.9);
    const filtered = index.search(row(queries, 0, D), K, { filter: { even: true } });
    assert.equal(filtered.length, K);
    const exact = bruteForce('cosine', live, row(queries, 0, D), K, (it) => it.metadata.even);
    for (const r of filtered) assert.equal(r.metadata.even, true);
    assert.ok(overlap(filtered, exact) >= 0.8);
    index.retrainQuantizer();
    assert.ok(recall(index, 'cosine', live) >= 0.9);
    index.dispose();
  });

  test('codes survive toBytes/fromBytes and save/open with the same results', async () => {
    const index = await build({ codec: 'int8-uniform', rerank: 16 });
    const bytes = await index.toBytes();
    const back = await VectorIndex.fromBytes(bytes);
    assert.deepEqual(back.options.quantizedTraversal, { codec: 'int8-uniform', rerank: 16, trainItems: 1024 });
    assert.equal(back.stats().quantizedTraversal.trained, true);
    assert.equal(back.stats().memory.codes, index.stats().memory.codes);
    assert.deepEqual(await back.toBytes(), bytes, 'save -> open -> save must be byte-identical');
    for (let q = 0; q < 20; q++) assert.deepEqual(back.search(row(queries, q, D), K), index.search(row(queries, q, D), K));
    const dir = mkdtempSync(join(tmpdir(), 'neurovec-quant-'));
    try {
      const path = join(dir, 'q.nvx');
      await index.save(path);
      const opened = await VectorIndex.open(path, { readOnly: true });
      for (let q = 0; q < 20; q++) assert.deepEqual(opened.search(row(queries, q, D), K), index.search(row(queries, q, D), K));
      await opened.close();
      // A durable index created with the option keeps it across close/open.
      const durablePath = join(dir, 'd.nvx');
      const durable = await VectorIndex.create({ dimensions: D, metric: 'l2', storage: durablePath, quantizedTraversal: { codec: 'f16', trainItems: 100 } });
      for (let i = 0; i < 300; i++) durable.add(i, row(data, i, D));
      await durable.close();
      const reopened = await VectorIndex.open(durablePath);
      assert.deepEqual(reopened.stats().quantizedTraversal, { codec: 'f16', rerank: 0, trainItems: 100, trained: true });
      assert.equal(reopened.search(row(data, 5, D), 1)[0].id, 5);
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    index.dispose();
    back.dispose();
  });
});
