// addBatch: the accepted input shapes, progress reporting, and all-or-nothing
// validation (a bad item anywhere leaves the index unchanged).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VectorIndex } from 'neurovec';
import { assertNeurovecError, clusteredData, row, snapshot } from './helpers.mjs';

const D = 8;
const { data } = clusteredData({ n: 2500, d: D, seed: 13 });
const ids = (n, offset = 0) => Array.from({ length: n }, (_, i) => i + offset);
const vectorsOf = (n, offset = 0) => Array.from({ length: n }, (_, i) => row(data, i + offset, D));

describe('addBatch input shapes', () => {
  const shapes = {
    'flat Float32Array': (n) => data.slice(0, n * D),
    'array of Float32Array': (n) => vectorsOf(n).map((v) => new Float32Array(v)),
    'array of number[]': (n) => vectorsOf(n).map((v) => Array.from(v)),
    'array of Float64Array': (n) => vectorsOf(n).map((v) => Float64Array.from(v)),
  };
  for (const [name, make] of Object.entries(shapes)) {
    test(name, async () => {
      const n = 300;
      const index = await VectorIndex.create({ dimensions: D, metric: 'l2' });
      const metadata = ids(n).map((i) => (i % 3 === 0 ? undefined : { i }));
      index.addBatch(ids(n).map((i) => (i % 2 ? i : `s${i}`)), make(n), { metadata });
      assert.equal(index.size, n);
      for (let i = 0; i < n; i++) {
        const id = i % 2 ? i : `s${i}`;
        const got = index.get(id);
        assert.deepEqual(Array.from(got.vector), Array.from(row(data, i, D)), `vector of ${id}`);
        assert.deepEqual(got.metadata, metadata[i], `metadata of ${id}`);
        const [top] = index.search(row(data, i, D), 1);
        assert.equal(top.id, id);
        assert.equal(top.distance, 0);
      }
      index.dispose();
    });
  }

  test('batches and single adds mix; an empty batch is a no-op', async () => {
    const index = await VectorIndex.create({ dimensions: D, metric: 'dot' });
    index.add('first', row(data, 0, D));
    index.addBatch([], []);
    index.addBatch([], new Float32Array(0));
    assert.equal(index.size, 1);
    index.addBatch(ids(100, 1), vectorsOf(100, 1));
    index.add('last', row(data, 101, D));
    assert.equal(index.size, 102);
    assert.equal(index.has('first') && index.has(1) && index.has(100) && index.has('last'), true);
    index.dispose();
  });
});

describe('addBatch onProgress', () => {
  test('done increases by chunkSize and ends at total', async () => {
    for (const [n, chunkSize, expected] of [
      [1000, 300, [300, 600, 900, 1000]],
      [2500, undefined, [1000, 2000, 2500]], // default chunk of 1000
      [5, 1, [1, 2, 3, 4, 5]],
      [7, 100, [7]],
    ]) {
      const index = await VectorIndex.create({ dimensions: D, metric: 'l2' });
      const calls = [];
      index.addBatch(ids(n), data.subarray(0, n * D), {
        chunkSize,
        onProgress: (p) => calls.push({ ...p, size: index.size }),
      });
      assert.deepEqual(calls.map((c) => c.done), expected, `n=${n} chunkSize=${chunkSize}`);
      for (const c of calls) {
        assert.equal(c.total, n);
        // Progress is reported after the chunk is in the index.
        assert.equal(c.size, c.done);
      }
      assert.equal(index.size, n);
      index.dispose();
    }
  });

  test('the index is usable from inside onProgress', async () => {
    const index = await VectorIndex.create({ dimensions: D, metric: 'l2' });
    const seen = [];
    index.addBatch(ids(900), data.subarray(0, 900 * D), {
      chunkSize: 300,
      onProgress: ({ done }) => {
        const [top] = index.search(row(data, done - 1, D), 1, { filter: { missing: { $ne: 1 } } });
        seen.push(top.id);
        assert.deepEqual(Array.from(index.get(done - 1).vector), Array.from(row(data, done - 1, D)));
      },
    });
    assert.deepEqual(seen, [299, 599, 899]);
    assert.equal(index.size, 900);
    index.dispose();
  });
});

describe('addBatch rejects bad batches as a whole', () => {
  async function fixture() {
    const index = await VectorIndex.create({ dimensions: D, metric: 'l2' });
    index.addBatch(['x', 'y', 7], vectorsOf(3, 2000), { metadata: [{ a: 1 }, undefined, { a: 3 }] });
    return index;
  }

  function expectBatchRejected(index, label, call, code, ...patterns) {
    const query = row(data, 2000, D);
    const before = snapshot(index, query, 5);
    try {
      assertNeurovecError(call, code, ...patterns);
    } catch (error) {
      error.message = `${label}: ${error.message}`;
      throw error;
    }
    assert.deepEqual(snapshot(index, query, 5), before, `${label} changed the index`);
    // None of the good items of the batch went in.
    for (const id of [0, 1, 2, 10, 'good']) assert.equal(index.has(id), false, `${label}: ${id} was added`);
  }

  test('a bad vector in the middle (every input shape, every chunking)', async () => {
    const index = await fixture();
    const n = 1200;
    for (const chunkSize of [undefined, 100, 1]) {
      const flat = data.slice(0, n * D);
      flat[700 * D + 3] = NaN;
      expectBatchRejected(index, `flat NaN chunk ${chunkSize}`, () => index.addBatch(ids(n), flat, { chunkSize }),
        'INVALID_ARGUMENT', /vectors\[700\]/, /NaN/, /finite/);
      const arrays = vectorsOf(n).map((v) => Array.from(v));
      arrays[1100][0] = Infinity;
      expectBatchRejected(index, `array Infinity chunk ${chunkSize}`, () => index.addBatch(ids(n), arrays, { chunkSize }),
        'INVALID_ARGUMENT', /vectors\[1100\]/, /Infinity/);
      const wrongLength = vectorsOf(n);
      wrongLength[600] = new Float32Array(D - 1);
      expectBatchRejected(index, `short vector chunk ${chunkSize}`, () => index.addBatch(ids(n), wrongLength, { chunkSize }),
        'INVALID_ARGUMENT', /vectors\[600\]/, /7 dimensions/, /expects 8/);
      const wrongType = vectorsOf(n);
      wrongType[500] = 'not a vector';
      expectBatchRejected(index, `string vector chunk ${chunkSize}`, () => index.addBatch(ids(n), wrongType, { chunkSize }),
        'INVALID_ARGUMENT', /vectors\[500\]/);
    }
    assert.equal(index.size, 3);
    index.dispose();
  });

  test('duplicate ids inside the batch or already in the index', async () => {
    const index = await fixture();
    const dup = ids(50, 100);
    dup[0] = 10;
    dup[40] = 10;
    expectBatchRejected(index, 'duplicate in batch', () => index.addBatch(dup, vectorsOf(50), { chunkSize: 10 }),
      'ALREADY_EXISTS', /ids\[40\]/, /10/, /twice/);
    const dupString = ['good', 'a', 'b', 'a'];
    expectBatchRejected(index, 'duplicate string', () => index.addBatch(dupString, vectorsOf(4)),
      'ALREADY_EXISTS', /ids\[3\]/, /"a"/);
    const existing = [...ids(20, 100), 'x'];
    expectBatchRejected(index, 'existing string id', () => index.addBatch(existing, vectorsOf(21), { chunkSize: 5 }),
      'ALREADY_EXISTS', /ids\[20\]/, /"x"/, /already in the index/);
    const existingNumber = [0, 1, 2, 7];
    expectBatchRejected(index, 'existing number id', () => index.addBatch(existingNumber, vectorsOf(4)),
      'ALREADY_EXISTS', /ids\[3\]/, /7/);
    // 7 and "7" are different ids, also within one batch.
    index.addBatch(['7', 70], vectorsOf(2, 100));
    assert.equal(index.size, 5);
    index.dispose();
  });

  test('bad ids, metadata, shapes and options', async () => {
    const index = await fixture();
    const v = (n) => vectorsOf(n);
    const cases = [
      ['object id', () => index.addBatch([0, 1, {}, 3], v(4)), 'INVALID_ARGUMENT', /ids\[2\]/, /string or a safe integer/],
      ['NaN id', () => index.addBatch([0, NaN], v(2)), 'INVALID_ARGUMENT', /ids\[1\]/, /NaN/],
      ['1.5 id', () => index.addBatch([0, 1.5], v(2)), 'INVALID_ARGUMENT', /ids\[1\]/, /1\.5/],
      ['empty id', () => index.addBatch([0, ''], v(2)), 'INVALID_ARGUMENT', /ids\[1\]/, /empty/],
      ['ids not an array', () => index.addBatch('01', v(2)), 'INVALID_ARGUMENT', /ids must be an array/],
      ['metadata entry', () => index.addBatch([0, 1, 2], v(3), { metadata: [{}, 'red', {}] }), 'INVALID_ARGUMENT', /metadata\[1\]/, /plain object/],
      ['metadata length', () => index.addBatch([0, 1, 2], v(3), { metadata: [{}, {}] }), 'INVALID_ARGUMENT', /metadata/, /one entry per id/, /3/],
      ['metadata not array', () => index.addBatch([0, 1], v(2), { metadata: { a: 1 } }), 'INVALID_ARGUMENT', /metadata/],
      ['flat wrong length', () => index.addBatch([0, 1], new Float32Array(2 * D + 1)), 'INVALID_ARGUMENT', /17 values/, /2 \* 8 = 16/],
      ['fewer vectors than ids', () => index.addBatch([0, 1, 2], v(2)), 'INVALID_ARGUMENT', /2 entries for 3 ids/],
      ['vectors of wrong type', () => index.addBatch([0, 1], new Float64Array(2 * D)), 'INVALID_ARGUMENT', /vectors must be/],
      ['vectors a string', () => index.addBatch([0, 1], 'vectors'), 'INVALID_ARGUMENT', /vectors must be/],
      ['onProgress not a function', () => index.addBatch([0, 1], v(2), { onProgress: 5 }), 'INVALID_ARGUMENT', /onProgress must be a function/],
      ['chunkSize 0', () => index.addBatch([0, 1], v(2), { chunkSize: 0 }), 'INVALID_ARGUMENT', /chunkSize must be an integer/],
      ['chunkSize 1.5', () => index.addBatch([0, 1], v(2), { chunkSize: 1.5 }), 'INVALID_ARGUMENT', /chunkSize/],
    ];
    for (const [label, call, code, ...patterns] of cases) expectBatchRejected(index, label, call, code, ...patterns);
    index.dispose();
  });

  // ids are limited to 65536 UTF-8 bytes; 40000 'é' are 40000 characters but
  // 80000 bytes. The whole batch must still be rejected before anything is added.
  test('an id too long in UTF-8 bytes in a later chunk', async () => {
    const index = await fixture();
    const longId = 'é'.repeat(40000);
    expectBatchRejected(index, 'long multi-byte id',
      () => index.addBatch([0, 1, 2, 'good', longId], vectorsOf(5), { chunkSize: 2 }), 'INVALID_ARGUMENT', /65536/);
    assertNeurovecError(() => index.add(longId, row(data, 0, D)), 'INVALID_ARGUMENT', /65536/);
    assert.equal(index.size, 3);
    index.dispose();
  });
});

// searchBatch (on the default build; threads.test.mjs checks both builds):
// per query what search() returns, in both input shapes, with options, and
// clear errors for bad input.
test('searchBatch returns, query by query, what search returns', async () => {
  const n = 2000;
  const index = await VectorIndex.create({ dimensions: D, metric: 'l2', m: 8, efConstruction: 60 });
  index.addBatch(ids(n), data.slice(0, n * D), { metadata: ids(n).map((i) => ({ odd: i % 2 === 1 })) });
  const queries = data.slice(0, 1100 * D).map((x) => x + 0.01); // past one chunk of 1024
  for (const options of [{}, { ef: 20 }, { filter: { odd: true } }]) {
    const batch = index.searchBatch(queries, 7, options);
    assert.equal(batch.length, 1100);
    for (const qi of [0, 1, 500, 1023, 1024, 1099]) assert.deepEqual(batch[qi], index.search(row(queries, qi, D), 7, options));
  }
  const asArrays = index.searchBatch([row(queries, 3, D), Array.from(row(queries, 4, D))], 5);
  assert.deepEqual(asArrays, [index.search(row(queries, 3, D), 5), index.search(row(queries, 4, D), 5)]);
  assert.deepEqual(index.searchBatch(new Float32Array(0), 5), []);
  assert.deepEqual(index.searchBatch(queries.subarray(0, 2 * D), 5, { threads: 1 }), index.searchBatch(queries.subarray(0, 2 * D), 5));

  assertNeurovecError(() => index.searchBatch(new Float32Array(D + 1), 5), 'INVALID_ARGUMENT', /multiple of dimensions \(8\)/);
  const withNaN = data.slice(0, 3 * D);
  withNaN[2 * D + 1] = NaN;
  assertNeurovecError(() => index.searchBatch(withNaN, 5), 'INVALID_ARGUMENT', /queries\[2\]/);
  assertNeurovecError(() => index.searchBatch([row(queries, 0, D), [1, 2]], 5), 'INVALID_ARGUMENT', /queries\[1\]/);
  assertNeurovecError(() => index.searchBatch(queries, 5, { mode: 'neural' }), 'INVALID_ARGUMENT', /mode 'vector' only/);
  assertNeurovecError(() => index.searchBatch(queries, 5, { threads: 0 }), 'INVALID_ARGUMENT', /threads/);
  assertNeurovecError(() => index.searchBatch('nope', 5), 'INVALID_ARGUMENT', /flat Float32Array/);
  assertNeurovecError(() => index.searchBatch(queries, 0), 'INVALID_ARGUMENT', /k/);
});
