// Metadata filters: every result matches (checked by an oracle of the filter
// semantics), selective filters give exactly the filtered brute force, and all
// operators behave as documented.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VectorIndex } from 'neurovec';
import {
  assertClose, assertNeurovecError, assertSortedAscending, bruteForce, clusteredData, matchesFilter, overlap, rng,
  row, snapshot,
} from './helpers.mjs';

const N = 2500;
const D = 16;
const K = 10;
const COLOURS = ['red', 'green', 'blue', 'black', 'white'];
const { data, queries } = clusteredData({ n: N, d: D, queries: 40, clusters: 40, noise: 0.6, seed: 31 });
const random = rng(77);
const items = Array.from({ length: N }, (_, i) => {
  const metadata = {
    colour: COLOURS[Math.floor(random() * COLOURS.length)],
    price: Math.floor(random() * 1000) / 10, // 0.0 .. 99.9
    stock: Math.floor(random() * 20),
    sale: random() < 0.3,
  };
  if (i % 3 === 0) metadata.brand = i % 2 === 0 ? 'acme' : 'globex';
  if (i % 400 === 7) metadata.rare = 'yes'; // 7 items
  if (i % 10 === 0) metadata.code = 1; // the number 1, never the boolean true
  return { id: i, vector: row(data, i, D), metadata };
});

async function build(metric = 'l2') {
  const index = await VectorIndex.create({ dimensions: D, metric, seed: 1 });
  index.addBatch(items.map((it) => it.id), data, { metadata: items.map((it) => it.metadata) });
  return index;
}

/** Runs `filter` over all queries; checks results against the oracle and returns the mean recall. */
function checkFilter(index, metric, liveItems, filter, k = K) {
  const predicate = (it) => matchesFilter(it.metadata, filter);
  const matching = liveItems.filter(predicate);
  let recall = 0;
  for (let q = 0; q < 40; q++) {
    const query = row(queries, q, D);
    const got = index.search(query, k, { filter });
    const exact = bruteForce(metric, matching, query, k);
    const what = `filter ${JSON.stringify(filter)} (${matching.length} matches), query ${q}`;
    assert.equal(got.length, Math.min(k, matching.length), `${what}: number of results`);
    assertSortedAscending(got);
    for (const r of got) {
      assert.ok(matchesFilter(r.metadata, filter), `${what}: result ${r.id} ${JSON.stringify(r.metadata)} does not match`);
      assert.deepEqual(r.metadata, items[r.id].metadata);
    }
    recall += overlap(got, exact);
    // Selective filters: the answer is exactly the filtered brute force.
    if (matching.length <= 50) {
      assert.deepEqual(got.map((r) => r.id), exact.map((r) => r.id), what);
      got.forEach((r, i) => assertClose(r.distance, exact[i].distance, what));
    }
  }
  return { recall: recall / 40, matches: matching.length };
}

describe('filters on 2500 x 16 with metadata', () => {
  const filters = [
    { colour: 'red' },
    { colour: { $eq: 'blue' } },
    { colour: { $ne: 'blue' } },
    { colour: { $in: ['red', 'green'] } },
    { colour: { $nin: ['red', 'green', 'blue'] } },
    { price: { $gt: 90 } },
    { price: { $gte: 10, $lt: 12.5 } },
    { price: { $lte: 0.5 } },
    { stock: { $gt: 3, $lte: 5 } },
    { sale: true },
    { sale: false, colour: 'white' },
    { brand: 'acme' },
    { brand: { $ne: 'acme' } }, // includes items without a brand
    { brand: { $nin: ['acme'] }, stock: 0 },
    { rare: 'yes' }, // 7 matches
    { rare: { $in: ['yes', 'no'] }, colour: { $ne: 'purple' } },
    { code: 1 },
    { code: true }, // booleans and numbers differ: nothing matches
    { colour: 'purple' }, // a value no item has
    { $and: [{ colour: 'red' }, { price: { $lt: 20 } }] },
    { $or: [{ colour: 'red' }, { stock: 19 }] },
    { $or: [{ rare: 'yes' }, { $and: [{ stock: 0 }, { sale: true }, { price: { $gt: 50 } }] }] },
    { $and: [{ $or: [{ colour: 'black' }, { colour: 'white' }] }, { stock: { $in: [1, 2, 3] } }] },
    { stock: { $in: [] } },
    { stock: { $nin: [] }, sale: true },
  ];

  test('every result matches, k results whenever k items match, selective filters equal the brute force', async (t) => {
    const index = await build('l2');
    try {
      const summary = [];
      for (const filter of filters) {
        const { recall, matches } = checkFilter(index, 'l2', items, filter);
        summary.push(`${JSON.stringify(filter)}: ${matches} matches, recall ${recall.toFixed(3)}`);
        if (matches > 0) assert.ok(recall >= 0.9, `filter ${JSON.stringify(filter)}: recall ${recall}`);
      }
      for (const line of summary) t.diagnostic(line);
      // k larger than the number of matches returns every match.
      const all = index.search(row(queries, 0, D), 100, { filter: { rare: 'yes' } });
      assert.deepEqual(new Set(all.map((r) => r.id)), new Set(items.filter((it) => it.metadata.rare).map((it) => it.id)));
      assert.equal(index.stats().lastSearch.exactScan, true);
    } finally {
      index.dispose();
    }
  });

  test('with deleted items: deleted matches are never returned, counts follow the live matches', async () => {
    const index = await build('cosine');
    try {
      const deleted = new Set();
      for (const it of items) if (it.id % 5 === 2 || it.id === 407 || it.id === 1207) deleted.add(it.id);
      for (const id of deleted) index.delete(id);
      const live = items.filter((it) => !deleted.has(it.id));
      for (const filter of [{ rare: 'yes' }, { colour: 'green', sale: true }, { price: { $lt: 2 } }, { brand: 'globex' }]) {
        const { recall, matches } = checkFilter(index, 'cosine', live, filter);
        if (matches > 0) assert.ok(recall >= 0.9, `${JSON.stringify(filter)} recall ${recall}`);
        for (let q = 0; q < 5; q++) {
          for (const r of index.search(row(queries, q, D), 50, { filter })) assert.ok(!deleted.has(r.id));
        }
      }
    } finally {
      index.dispose();
    }
  });
});

describe('filter semantics on a small index (k = size returns every match)', () => {
  const small = [
    { id: 'a', meta: { s: 'x', n: 1, b: true } },
    { id: 'b', meta: { s: 'y', n: 2, b: false } },
    { id: 'c', meta: { s: 'x', n: 3 } },
    { id: 'd', meta: { s: 'z', n: 3.5, b: true } },
    { id: 'e', meta: { n: '3' } }, // a string that looks like a number
    { id: 'f', meta: undefined },
    { id: 'g', meta: { s: 'y', n: -10, b: 1 } },
    { id: 'h', meta: { s: ['x'], n: { v: 1 } } }, // non-scalar values never match scalars
  ];
  const cases = [
    [{ s: 'x' }, ['a', 'c']],
    [{ s: { $eq: 'y' } }, ['b', 'g']],
    [{ s: { $ne: 'x' } }, ['b', 'd', 'e', 'f', 'g', 'h']],
    [{ s: { $in: ['x', 'z', 'nope'] } }, ['a', 'c', 'd']],
    [{ s: { $nin: ['x', 'z'] } }, ['b', 'e', 'f', 'g', 'h']],
    [{ n: 3 }, ['c']],
    [{ n: '3' }, ['e']],
    [{ n: { $gt: 1 } }, ['b', 'c', 'd']],
    [{ n: { $gte: 1 } }, ['a', 'b', 'c', 'd']],
    [{ n: { $lt: 3 } }, ['a', 'b', 'g']],
    [{ n: { $lte: 3 } }, ['a', 'b', 'c', 'g']],
    [{ n: { $gt: 1, $lt: 3.5 } }, ['b', 'c']],
    [{ b: true }, ['a', 'd']],
    [{ b: false }, ['b']],
    [{ b: 1 }, ['g']],
    [{ b: { $ne: true } }, ['b', 'c', 'e', 'f', 'g', 'h']],
    [{ s: 'x', n: 3 }, ['c']],
    [{ $and: [{ s: 'x' }, { b: true }] }, ['a']],
    [{ $or: [{ s: 'z' }, { n: -10 }, { n: '3' }] }, ['d', 'e', 'g']],
    [{ $or: [{ s: 'x' }, { $and: [{ s: 'y' }, { b: false }] }] }, ['a', 'b', 'c']],
    [{ s: 'nobody' }, []],
  ];

  test('each operator selects exactly the documented items', async () => {
    const index = await VectorIndex.create({ dimensions: 2, metric: 'manhattan' });
    try {
      small.forEach((it, i) => index.add(it.id, [i, 1], it.meta));
      for (const [filter, expected] of cases) {
        // The oracle agrees with the hand-written expectation...
        const oracle = small.filter((it) => matchesFilter(it.meta, filter)).map((it) => it.id);
        assert.deepEqual(oracle, expected, `oracle for ${JSON.stringify(filter)}`);
        // ... and so does the index, for k = size and for smaller k.
        const got = index.search([0, 1], small.length, { filter });
        assert.deepEqual(got.map((r) => r.id).sort(), expected, JSON.stringify(filter));
        assertSortedAscending(got);
        const top2 = index.search([0, 1], 2, { filter });
        assert.deepEqual(top2.map((r) => r.id), expected.slice(0, 2), `k=2 ${JSON.stringify(filter)}`);
      }
    } finally {
      index.dispose();
    }
  });

  test('bad filters throw INVALID_ARGUMENT naming the problem, and change nothing', async () => {
    const index = await VectorIndex.create({ dimensions: 2, metric: 'l2' });
    try {
      small.forEach((it, i) => index.add(it.id, [i, 1], it.meta));
      const before = snapshot(index, [0, 1], 5);
      const bad = [
        [{ s: { $foo: 1 } }, /\$foo/, /expected \$eq/],
        [{ $not: { s: 'x' } }, /\$not/],
        [{ s: { $in: 'x' } }, /\$in/, /array/],
        [{ s: { $nin: 5 } }, /\$nin/, /array/],
        [{ n: { $gt: 'x' } }, /\$gt/, /number/],
        [{ n: { $gt: 1, $gte: 2 } }, /lower bound/],
        [{ s: {} }, /empty/],
        [{ $and: [] }, /\$and/, /non-empty array/],
        [{ $or: 'x' }, /\$or/, /array/],
        [{ s: { nested: 1 } }, /nested/],
        [{ s: [1, 2] }, /"s"/],
        ['s = x', /filter must be an object/],
        [[{ s: 'x' }], /filter must be an object/],
        [null, /filter must be an object/],
      ];
      for (const [filter, ...patterns] of bad) {
        assertNeurovecError(() => index.search([0, 1], 5, { filter }), 'INVALID_ARGUMENT', ...patterns);
      }
      // Even on an empty-looking field the filter is validated.
      assertNeurovecError(() => index.search([0, 1], 5, { filter: { unknownField: { $bad: 1 } } }), 'INVALID_ARGUMENT', /\$bad/);
      assert.deepEqual(snapshot(index, [0, 1], 5), before);
    } finally {
      index.dispose();
    }
  });
});
