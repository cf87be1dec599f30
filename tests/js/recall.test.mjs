// Search quality against a brute-force oracle: recall@10 for each metric,
// ascending order, distances equal to the oracle's, and recall over the live
// items after deleting 40%.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VectorIndex } from 'neurovec';
import {
  assertClose, assertSortedAscending, bruteForce, clusteredData, METRIC_NAMES, overlap, rng, row,
} from './helpers.mjs';

const N = 3000;
const D = 32;
const Q = 150;
const K = 10;
// 100 clusters with noise as wide as the spread of the centres: hard enough that
// a small ef loses recall (about 0.9 at ef=10), so the thresholds mean something.
const { data, queries } = clusteredData({ n: N, d: D, queries: Q, clusters: 100, noise: 1.0, seed: 7 });
const items = Array.from({ length: N }, (_, i) => ({ id: i, vector: row(data, i, D) }));

// Thresholds sit below what the index achieves (measured values are printed as
// diagnostics) so that a regression fails but float noise does not.
const MIN_RECALL = { l2: 0.95, cosine: 0.95, dot: 0.95, manhattan: 0.95 };

async function build(metric, options = {}) {
  const index = await VectorIndex.create({ dimensions: D, metric, m: 16, efConstruction: 200, efSearch: 64, seed: 42, ...options });
  index.addBatch(items.map((it) => it.id), data);
  return index;
}

function measure(index, metric, liveItems, ef) {
  let recall = 0;
  for (let q = 0; q < Q; q++) {
    const query = row(queries, q, D);
    const exact = bruteForce(metric, liveItems, query, K);
    const got = index.search(query, K, ef === undefined ? {} : { ef });
    assert.equal(got.length, K);
    recall += overlap(got, exact);
  }
  return recall / Q;
}

describe('recall@10 against brute force (3000 x 32, clustered, 150 queries)', () => {
  for (const metric of METRIC_NAMES) {
    test(`${metric}: recall, order and oracle distances`, async (t) => {
      const index = await build(metric);
      try {
        assert.equal(index.size, N);
        const byId = new Map(items.map((it) => [it.id, it.vector]));
        let recall = 0;
        for (let q = 0; q < Q; q++) {
          const query = row(queries, q, D);
          const exact = bruteForce(metric, items, query, K);
          const got = index.search(query, K);
          assert.equal(got.length, K);
          assertSortedAscending(got);
          assert.equal(new Set(got.map((r) => r.id)).size, K, 'duplicate ids in one result list');
          for (const r of got) {
            // Each returned distance is the metric's distance to that item.
            assertClose(r.distance, bruteForce(metric, [{ id: r.id, vector: byId.get(r.id) }], query, 1)[0].distance,
              `${metric} distance of item ${r.id}`);
          }
          // The nearest found item cannot be closer than the true nearest.
          assert.ok(got[0].distance >= exact[0].distance - (1e-3 * Math.abs(exact[0].distance) + 1e-5));
          recall += overlap(got, exact);
          // Not a disguised brute force: a graph search touches a fraction of the items.
          const work = index.stats().lastSearch.distanceComputations;
          assert.ok(work > 0 && work < N / 2, `one search did ${work} distance computations for ${N} items`);
        }
        recall /= Q;
        t.diagnostic(`${metric} recall@10 at ef=64: ${recall.toFixed(4)}`);
        assert.ok(recall >= MIN_RECALL[metric], `${metric} recall@10 ${recall} < ${MIN_RECALL[metric]}`);

        // A larger ef never makes things worse on average and costs more work.
        const high = measure(index, metric, items, 256);
        const workHigh = index.stats().lastSearch.distanceComputations;
        const low = measure(index, metric, items, 10);
        const workLow = index.stats().lastSearch.distanceComputations;
        t.diagnostic(`${metric} recall@10 ef=10: ${low.toFixed(4)}, ef=256: ${high.toFixed(4)}`);
        assert.ok(high >= recall - 0.01, `ef=256 recall ${high} below ef=64 recall ${recall}`);
        assert.ok(high >= 0.98, `${metric} recall at ef=256 is ${high}`);
        assert.ok(low >= 0.8, `${metric} recall at ef=10 is ${low}`);
        assert.ok(workHigh > workLow, `ef=256 did ${workHigh} distance computations, ef=10 did ${workLow}`);
      } finally {
        index.dispose();
      }
    });
  }
});

describe('deletes', () => {
  test('delete 40%: never returned, size/has/get consistent, recall over live items stays high', async (t) => {
    const metric = 'l2';
    const index = await build(metric);
    try {
      const random = rng(99);
      const deleted = new Set();
      while (deleted.size < Math.floor(N * 0.4)) deleted.add(Math.floor(random() * N));
      for (const id of deleted) assert.equal(index.delete(id), true, `delete(${id})`);
      for (const id of [...deleted].slice(0, 50)) assert.equal(index.delete(id), false, `second delete(${id})`);
      assert.equal(index.delete('never-added'), false);
      assert.equal(index.size, N - deleted.size);
      assert.equal(index.stats().size, N - deleted.size);
      for (let id = 0; id < N; id++) {
        assert.equal(index.has(id), !deleted.has(id), `has(${id})`);
        const got = index.get(id);
        if (deleted.has(id)) {
          assert.equal(got, undefined, `get(${id}) after delete`);
        } else {
          assert.deepEqual(Array.from(got.vector), Array.from(items[id].vector), `get(${id}).vector`);
        }
      }
      const live = items.filter((it) => !deleted.has(it.id));
      let recall = 0;
      for (let q = 0; q < Q; q++) {
        const query = row(queries, q, D);
        const got = index.search(query, K);
        assert.equal(got.length, K);
        assertSortedAscending(got);
        for (const r of got) assert.ok(!deleted.has(r.id), `deleted id ${r.id} returned`);
        recall += overlap(got, bruteForce(metric, live, query, K));
      }
      recall /= Q;
      t.diagnostic(`l2 recall@10 over live items after deleting 40%: ${recall.toFixed(4)}`);
      assert.ok(recall >= 0.93, `recall over live items ${recall}`);

      // A deleted item's own vector as the query: it must not come back.
      for (const id of [...deleted].slice(0, 100)) {
        for (const r of index.search(items[id].vector, 5)) assert.notEqual(r.id, id);
      }

      // Re-adding deleted ids works (with a new vector) and they are found again.
      const readd = [...deleted].slice(0, 200);
      for (const id of readd) {
        const vector = new Float32Array(items[id].vector).map((x) => x + 0.01);
        index.add(id, vector, { readded: true });
      }
      assert.equal(index.size, N - deleted.size + readd.length);
      for (const id of readd) {
        assert.equal(index.has(id), true);
        const got = index.get(id);
        assertClose(got.vector[0], items[id].vector[0] + 0.01, 'vector[0] of a re-added id');
        assert.deepEqual(got.metadata, { readded: true });
        const top = index.search(got.vector, 1, { ef: 200 });
        assert.equal(top[0].id, id, `re-added id ${id} not found by its own vector`);
        assert.equal(top[0].distance, 0);
      }
    } finally {
      index.dispose();
    }
  });

  for (const metric of METRIC_NAMES) {
    test(`${metric}: after deleting 60%, k results whenever k live items exist (up to k = size)`, async () => {
      const d = 16;
      const set = clusteredData({ n: N, d, queries: 5, clusters: 100, noise: 1.0, seed: 3 });
      const index = await VectorIndex.create({ dimensions: d, metric });
      try {
        for (let i = 0; i < N; i++) index.add(i, row(set.data, i, d));
        const random = rng(5);
        const live = new Set();
        for (let i = 0; i < N; i++) {
          if (random() < 0.6) assert.equal(index.delete(i), true);
          else live.add(i);
        }
        assert.equal(index.size, live.size);
        for (const k of [10, 100, live.size, live.size + 1]) {
          for (let q = 0; q < 5; q++) {
            const got = index.search(row(set.queries, q, d), k);
            assert.equal(got.length, Math.min(k, live.size),
              `${metric}, ${N} items (3000 x 16 clustered) with ${N - live.size} deleted: k=${k} query ${q}`);
            for (const r of got) assert.ok(live.has(r.id), `deleted id ${r.id} returned`);
            if (k >= live.size) assert.deepEqual(new Set(got.map((r) => r.id)), live);
          }
        }
      } finally {
        index.dispose();
      }
    });
  }

  test('delete everything, then the index is empty and reusable', async () => {
    const index = await VectorIndex.create({ dimensions: 3, metric: 'manhattan' });
    try {
      for (let i = 0; i < 50; i++) index.add(i, [i, i % 7, 1]);
      for (let i = 0; i < 50; i++) assert.equal(index.delete(i), true);
      assert.equal(index.size, 0);
      assert.deepEqual(index.search([1, 2, 3], 5), []);
      index.add('again', [1, 2, 3]);
      const res = index.search([1, 2, 4], 5);
      assert.deepEqual(res.map((r) => r.id), ['again']);
      assert.equal(res[0].distance, 1);
    } finally {
      index.dispose();
    }
  });
});
