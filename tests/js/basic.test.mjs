// Round trips through the public API as a user imports it: vectors of every
// accepted type, ids, metadata, tiny indexes, two indexes side by side, stats,
// dispose.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NeurovecError, VectorIndex } from 'neurovec';
import {
  assertClose, assertNeurovecError, assertSortedAscending, bruteForce, clusteredData, distance, METRIC_NAMES,
  rng, row,
} from './helpers.mjs';

describe('round trips', () => {
  test('exports: VectorIndex.create is async, NeurovecError extends Error', async () => {
    assert.equal(typeof VectorIndex.create, 'function');
    const pending = VectorIndex.create({ dimensions: 3 });
    assert.ok(pending instanceof Promise);
    const index = await pending;
    assert.ok(index instanceof VectorIndex);
    assert.equal(index.dimensions, 3);
    assert.equal(index.metric, 'cosine', 'default metric');
    assert.equal(index.stats().metric, 'cosine');
    assert.equal(index.size, 0);
    assert.ok(new NeurovecError('NOT_FOUND', 'x') instanceof Error);
    index.dispose();
  });

  test('vectors as Float32Array, number[], Float64Array and other numeric typed arrays', async () => {
    const index = await VectorIndex.create({ dimensions: 4, metric: 'l2' });
    const inputs = {
      f32: new Float32Array([0.5, -1.25, 3, 4.75]),
      arr: [1.5, 2.5, -3.5, 0.25],
      f64: new Float64Array([10, 20, 30, 40.5]),
      i8: new Int8Array([-1, 2, -3, 4]),
      u16: new Uint16Array([100, 200, 300, 400]),
      i32: new Int32Array([-7, 0, 7, 70000]),
    };
    for (const [id, v] of Object.entries(inputs)) index.add(id, v);
    assert.equal(index.size, 6);
    for (const [id, v] of Object.entries(inputs)) {
      const got = index.get(id);
      assert.ok(got.vector instanceof Float32Array);
      assert.deepEqual(Array.from(got.vector), Array.from(Float32Array.from(v)), `get(${id})`);
      assert.equal(got.metadata, undefined);
      assert.equal('metadata' in got, false);
      // Each vector finds itself at distance 0, whatever type the query has.
      for (const query of [v, Array.from(v), Float32Array.from(v), Float64Array.from(v)]) {
        const [top] = index.search(query, 1);
        assert.equal(top.id, id);
        assert.equal(top.distance, 0);
      }
    }
    index.dispose();
  });

  test('the index copies vectors: later changes to the input or to get() results change nothing', async () => {
    const index = await VectorIndex.create({ dimensions: 3, metric: 'l2' });
    const v = new Float32Array([1, 2, 3]);
    const a = [4, 5, 6];
    index.add('v', v);
    index.add('a', a);
    v.fill(100);
    a.fill(100);
    const got = index.get('v');
    assert.deepEqual(Array.from(got.vector), [1, 2, 3]);
    got.vector.fill(-1);
    assert.deepEqual(Array.from(index.get('v').vector), [1, 2, 3]);
    assert.deepEqual(Array.from(index.get('a').vector), [4, 5, 6]);
    index.dispose();
  });

  test('cosine: get() returns the vector (up to rounding) and distances are 1 - cos', async () => {
    const index = await VectorIndex.create({ dimensions: 5 });
    const random = rng(3);
    const vectors = Array.from({ length: 40 }, () => Array.from({ length: 5 }, () => random() * 4 - 2));
    vectors.forEach((v, i) => index.add(i, v));
    for (let i = 0; i < vectors.length; i++) {
      const got = index.get(i).vector;
      for (let j = 0; j < 5; j++) assertClose(got[j], Math.fround(vectors[i][j]), `get(${i})[${j}]`);
    }
    const query = [0.3, -1, 2, 0.5, 1];
    const res = index.search(query, 40);
    assert.equal(res.length, 40);
    for (const r of res) assertClose(r.distance, distance('cosine', query, vectors[r.id]));
    // Cosine ignores scale.
    const scaled = index.search(query.map((x) => x * 1000), 40);
    assert.deepEqual(scaled.map((r) => r.id), res.map((r) => r.id));
    index.dispose();
  });

  test('the number 7 and the string "7" are different ids', async () => {
    const index = await VectorIndex.create({ dimensions: 2, metric: 'l2' });
    index.add(7, [1, 0], { kind: 'number' });
    index.add('7', [0, 1], { kind: 'string' });
    assert.equal(index.size, 2);
    assert.deepEqual(Array.from(index.get(7).vector), [1, 0]);
    assert.deepEqual(Array.from(index.get('7').vector), [0, 1]);
    assert.deepEqual(index.get(7).metadata, { kind: 'number' });
    assert.deepEqual(index.get('7').metadata, { kind: 'string' });
    const near7 = index.search([1, 0.1], 2);
    assert.equal(near7[0].id, 7);
    assert.equal(typeof near7[0].id, 'number');
    assert.equal(near7[1].id, '7');
    assert.equal(typeof near7[1].id, 'string');
    assert.equal(index.delete(7), true);
    assert.equal(index.has(7), false);
    assert.equal(index.has('7'), true);
    assert.equal(index.get(7), undefined);
    assert.equal(index.delete(7), false);
    assert.deepEqual(index.search([1, 0], 5).map((r) => r.id), ['7']);
    index.dispose();
  });

  test('ids of every shape round trip exactly through search, get, has and delete', async () => {
    const ids = [
      0, 1, -1, 42, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 32, -(2 ** 32) - 1, 2 ** 31 - 1,
      'a', '0', '-1', 'héllo wörld', '日本語のID', '😀🚀 emoji', 'x'.repeat(5000), '\u0000nul', ' ', '"quoted"',
    ];
    const index = await VectorIndex.create({ dimensions: 2, metric: 'l2' });
    ids.forEach((id, i) => index.add(id, [i, 0], { i }));
    assert.equal(index.size, ids.length);
    for (let i = 0; i < ids.length; i++) {
      const [top] = index.search([i, 0.01], 1);
      assert.equal(top.id, ids[i], `search for item ${i}`);
      assert.equal(typeof top.id, typeof ids[i]);
      assert.deepEqual(top.metadata, { i });
      assert.equal(index.has(ids[i]), true);
      assert.deepEqual(index.get(ids[i]).metadata, { i });
    }
    assert.equal(index.has(String(Number.MAX_SAFE_INTEGER)), false);
    for (let i = 0; i < ids.length; i += 2) assert.equal(index.delete(ids[i]), true, `delete ${String(ids[i]).slice(0, 20)}`);
    const left = index.search([0, 0], ids.length).map((r) => r.id);
    assert.deepEqual(new Set(left), new Set(ids.filter((_, i) => i % 2 === 1)));
    index.dispose();
  });

  test('metadata is returned by search and get, as JSON', async () => {
    const index = await VectorIndex.create({ dimensions: 2, metric: 'l2' });
    const meta = {
      title: 'Red shoes 👟', price: 49.9, count: 3, inStock: true, tags: ['a', 'b'], nested: { x: 1, y: [null, 2] },
      nothing: null,
    };
    index.add('with', [0, 0], meta);
    index.add('without', [1, 0]);
    index.add('empty', [2, 0], {});
    const res = index.search([0, 0], 3);
    assert.deepEqual(res.map((r) => r.id), ['with', 'without', 'empty']);
    assert.deepEqual(res[0].metadata, meta);
    assert.equal('metadata' in res[1], false);
    assert.deepEqual(res[2].metadata ?? {}, {});
    assert.deepEqual(index.get('with').metadata, meta);
    assert.equal(index.get('without').metadata, undefined);
    // Returned metadata is a fresh object: mutating it does not change the index.
    res[0].metadata.title = 'changed';
    assert.equal(index.get('with').metadata.title, meta.title);
    // undefined values are dropped as JSON does.
    index.add('undef', [3, 0], { a: 1, b: undefined });
    assert.deepEqual(index.get('undef').metadata, { a: 1 });
    index.dispose();
  });
});

describe('k results', () => {
  test('an empty index returns no results', async () => {
    for (const metric of METRIC_NAMES) {
      const index = await VectorIndex.create({ dimensions: 3, metric });
      assert.deepEqual(index.search([1, 2, 3], 10), []);
      index.dispose();
    }
  });

  // Grows an index one item at a time up to maxSize and checks, at every size,
  // that k results come back whenever k items exist, equal to the brute force.
  async function checkTinyIndexes(metric, options, maxSize, seed) {
    const random = rng(seed);
    const index = await VectorIndex.create({ dimensions: 6, metric, ...options });
    const items = [];
    try {
      for (let size = 1; size <= maxSize; size++) {
        const vector = Float32Array.from({ length: 6 }, () => random() * 2 - 1);
        index.add(size, vector);
        items.push({ id: size, vector });
        for (const k of [1, 3, size, size + 5]) {
          const query = Float32Array.from({ length: 6 }, () => random() * 2 - 1);
          const got = index.search(query, k, { ef: Math.max(k, 50) });
          const expected = bruteForce(metric, items, query, k);
          const where = `${metric} ${JSON.stringify(options)} index of ${size} items, k=${k}`;
          assert.equal(got.length, Math.min(k, size), `${where}: number of results`);
          assertSortedAscending(got);
          assert.equal(new Set(got.map((r) => r.id)).size, got.length, `${where}: duplicate ids`);
          if (k >= size) assert.deepEqual(new Set(got.map((r) => r.id)), new Set(items.map((it) => it.id)), where);
          got.forEach((r, i) => assertClose(r.distance, expected[i].distance, `${where}, rank ${i}`));
        }
        // With the index's own ef (not raised by the test) k = size still gives every item.
        assert.equal(index.search(items[0].vector, size).length, size, `${metric} size ${size}, k=size, default ef`);
      }
    } finally {
      index.dispose();
    }
  }

  for (const metric of METRIC_NAMES) {
    test(`tiny indexes (1..60 items), ${metric}: min(k, size) results, exactly the brute-force ones`, async () => {
      await checkTinyIndexes(metric, {}, 60, 11);
      await checkTinyIndexes(metric, { efSearch: 1 }, 30, 12);
    });
  }

  // The sparsest graph the options allow (m=2): some nodes end up with no
  // in-links, so a pure graph traversal cannot reach them. The contract still
  // promises k results whenever k live items exist.
  test('k results even from the sparsest allowed graph (m=2, efConstruction=4)', async () => {
    for (const metric of METRIC_NAMES) await checkTinyIndexes(metric, { m: 2, efConstruction: 4 }, 40, 11);
  });

  test('k larger than ef still gives k results (ef is raised to k)', async () => {
    const { data } = clusteredData({ n: 500, d: 8, seed: 5 });
    const index = await VectorIndex.create({ dimensions: 8, metric: 'l2', efSearch: 4 });
    index.addBatch(Array.from({ length: 500 }, (_, i) => i), data);
    for (const k of [5, 50, 200, 499, 500, 501, 5000]) {
      const got = index.search(row(data, 3, 8), k);
      assert.equal(got.length, Math.min(k, 500), `k=${k}`);
      assertSortedAscending(got);
      assert.equal(new Set(got.map((r) => r.id)).size, got.length);
    }
    assert.equal(index.search(row(data, 3, 8), 10, { ef: 1 }).length, 10);
    index.dispose();
  });
});

describe('several indexes', () => {
  test('two indexes built interleaved equal the same indexes built alone', async () => {
    const a = clusteredData({ n: 800, d: 12, queries: 30, seed: 21 });
    const b = clusteredData({ n: 600, d: 20, queries: 30, seed: 22 });
    const optsA = { dimensions: 12, metric: 'l2', seed: 5 };
    const optsB = { dimensions: 20, metric: 'cosine', seed: 6 };
    const [ia, ib] = await Promise.all([VectorIndex.create(optsA), VectorIndex.create(optsB)]);
    for (let i = 0; i < 800; i++) {
      ia.add(i, row(a.data, i, 12), { from: 'a' });
      if (i < 600) ib.add(i, row(b.data, i, 20), { from: 'b' });
      if (i % 97 === 0) ib.search(row(b.queries, 0, 20), 5); // interleaved reads
    }
    for (let i = 0; i < 600; i += 10) ib.delete(i); // writes to B only
    const refA = await VectorIndex.create(optsA);
    for (let i = 0; i < 800; i++) refA.add(i, row(a.data, i, 12), { from: 'a' });
    assert.equal(ia.size, 800);
    assert.equal(ib.size, 540);
    for (let q = 0; q < 30; q++) {
      const query = row(a.queries, q, 12);
      assert.deepEqual(ia.search(query, 10), refA.search(query, 10), `query ${q}`);
      for (const r of ib.search(row(b.queries, q, 20), 10)) {
        assert.deepEqual(r.metadata, { from: 'b' });
        assert.notEqual(r.id % 10, 0, 'deleted in B');
      }
    }
    ib.dispose();
    assert.throws(() => ib.size, (e) => e.code === 'DISPOSED');
    // A is untouched by B's disposal.
    for (let q = 0; q < 5; q++) {
      const query = row(a.queries, q, 12);
      assert.deepEqual(ia.search(query, 10), refA.search(query, 10));
    }
    assert.deepEqual(Array.from(ia.get(799).vector), Array.from(row(a.data, 799, 12)));
    ia.dispose();
    refA.dispose();
  });
});

describe('stats', () => {
  test('counters grow with searches; lastSearch describes the last one', async () => {
    const n = 2000;
    const { data, queries } = clusteredData({ n, d: 16, queries: 20, seed: 9 });
    const index = await VectorIndex.create({ dimensions: 16, metric: 'l2' });
    const empty = index.stats();
    assert.equal(empty.size, 0);
    assert.equal(empty.searches, 0);
    assert.equal(empty.distanceComputations, 0);
    index.addBatch(Array.from({ length: n }, (_, i) => i), data, {
      metadata: Array.from({ length: n }, (_, i) => ({ group: i % 100 })),
    });
    const s0 = index.stats();
    assert.equal(s0.size, n);
    assert.equal(s0.deleted, 0);
    assert.ok(s0.capacity >= n);
    assert.equal(s0.dimensions, 16);
    assert.equal(s0.metric, 'l2');
    assert.ok(s0.maxLevel >= 1, `maxLevel ${s0.maxLevel} for ${n} items`);
    assert.ok(s0.memoryBytes >= n * 16 * 4, `memoryBytes ${s0.memoryBytes} smaller than the raw vectors`);
    assert.equal(typeof s0.kernel, 'string');
    assert.ok(s0.kernel.length > 0);
    assert.ok(s0.memoryBytes > empty.memoryBytes);

    let prev = s0;
    for (let q = 0; q < 20; q++) {
      index.search(row(queries, q, 16), 10);
      const s = index.stats();
      assert.equal(s.searches, prev.searches + 1);
      assert.ok(s.lastSearch.distanceComputations > 0);
      assert.ok(s.lastSearch.hops > 0);
      assert.equal(s.lastSearch.exactScan, false);
      assert.equal(s.distanceComputations, prev.distanceComputations + s.lastSearch.distanceComputations);
      assert.equal(s.hops, prev.hops + s.lastSearch.hops);
      prev = s;
    }
    // A filter matching 20 of 2000 items is answered by an exact scan of the matches.
    const filtered = index.search(row(queries, 0, 16), 5, { filter: { group: 7 } });
    assert.equal(filtered.length, 5);
    const s = index.stats();
    assert.equal(s.searches, prev.searches + 1);
    assert.equal(s.lastSearch.exactScan, true);
    assert.ok(s.lastSearch.distanceComputations >= 20 && s.lastSearch.distanceComputations < n / 2,
      `exact scan of 20 matches did ${s.lastSearch.distanceComputations} distance computations`);
    for (let i = 0; i < 10; i++) index.delete(i);
    assert.equal(index.stats().size, n - 10);
    assert.equal(index.stats().deleted, 10);
    index.dispose();
  });
});

describe('dispose', () => {
  test('every call after dispose() throws DISPOSED; dispose() twice is harmless', async () => {
    const index = await VectorIndex.create({ dimensions: 2, metric: 'l2' });
    index.add(1, [1, 2], { a: 1 });
    const other = await VectorIndex.create({ dimensions: 2, metric: 'l2' });
    other.add(1, [1, 2]);
    index.dispose();
    index.dispose();
    const calls = {
      add: () => index.add(2, [1, 2]),
      addBatch: () => index.addBatch([3], [[1, 2]]),
      search: () => index.search([1, 2], 1),
      searchFiltered: () => index.search([1, 2], 1, { filter: { a: 1 } }),
      delete: () => index.delete(1),
      get: () => index.get(1),
      has: () => index.has(1),
      size: () => index.size,
      stats: () => index.stats(),
    };
    for (const [name, call] of Object.entries(calls)) {
      const error = assertNeurovecError(call, 'DISPOSED', /dispose/);
      assert.ok(error.message.length > 0, name);
    }
    // The other index is unaffected.
    assert.equal(other.size, 1);
    assert.equal(other.search([1, 2], 1)[0].id, 1);
    other.dispose();
  });
});
