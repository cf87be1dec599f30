// Bad input: each call throws a NeurovecError whose code and message say what
// was wrong, and the index is unchanged (size, deleted count and a reference
// search identical before and after).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VectorIndex } from 'neurovec';
import { assertNeurovecError, assertNeurovecRejects, snapshot } from './helpers.mjs';

const QUERY = [0.5, 0.5, 0.5, 0.5];

async function fixture(metric = 'l2') {
  const index = await VectorIndex.create({ dimensions: 4, metric });
  for (let i = 0; i < 30; i++) index.add(i, [i % 5, (i * 7) % 11, 1 + (i % 3), i / 10], { i, kind: i % 2 ? 'odd' : 'even' });
  index.add('s', [1, 1, 1, 1], { kind: 'string-id' });
  index.delete(3);
  return index;
}

/** Runs each case, checking the error and that nothing changed. */
function expectRejected(index, cases) {
  const before = snapshot(index, QUERY, 40);
  for (const [label, call, code, ...patterns] of cases) {
    try {
      assertNeurovecError(call, code, ...patterns);
    } catch (error) {
      error.message = `${label}: ${error.message}`;
      throw error;
    }
    assert.deepEqual(snapshot(index, QUERY, 40), before, `${label} changed the index`);
  }
}

describe('add() rejects bad input', () => {
  test('non-finite values and wrong dimensions', async () => {
    const index = await fixture();
    expectRejected(index, [
      ['NaN', () => index.add('new', [1, NaN, 3, 4]), 'INVALID_ARGUMENT', /vector\[1\]/, /NaN/, /finite number/],
      ['Infinity', () => index.add('new', [1, 2, Infinity, 4]), 'INVALID_ARGUMENT', /vector\[2\]/, /Infinity/, /finite/],
      ['-Infinity', () => index.add('new', new Float32Array([-Infinity, 0, 0, 0])), 'INVALID_ARGUMENT', /vector\[0\]/, /-Infinity/],
      ['NaN in Float64Array', () => index.add('new', new Float64Array([0, 0, 0, NaN])), 'INVALID_ARGUMENT', /vector\[3\]/, /NaN/],
      ['too short', () => index.add('new', [1, 2, 3]), 'INVALID_ARGUMENT', /3 dimensions/, /expects 4/],
      ['too long', () => index.add('new', new Float32Array(5)), 'INVALID_ARGUMENT', /5 dimensions/, /expects 4/],
      ['empty', () => index.add('new', []), 'INVALID_ARGUMENT', /0 dimensions/, /expects 4/],
      ['string element', () => index.add('new', [1, '2', 3, 4]), 'INVALID_ARGUMENT', /vector\[1\]/, /"2"/, /finite number/],
      ['hole', () => index.add('new', [1, , 3, 4]), 'INVALID_ARGUMENT', /vector\[1\]/, /undefined/], // eslint-disable-line no-sparse-arrays
      ['null element', () => index.add('new', [1, 2, null, 4]), 'INVALID_ARGUMENT', /vector\[2\]/, /null/],
    ]);
    index.dispose();
  });

  test('vectors of the wrong type', async () => {
    const index = await fixture();
    expectRejected(index, [
      ['string', () => index.add('new', 'abcd'), 'INVALID_ARGUMENT', /vector must be a Float32Array or an array of numbers/, /"abcd"/],
      ['object', () => index.add('new', { 0: 1, 1: 2, 2: 3, 3: 4, length: 4 }), 'INVALID_ARGUMENT', /vector must be/, /object/],
      ['BigInt64Array', () => index.add('new', new BigInt64Array(4)), 'INVALID_ARGUMENT', /vector must be/, /BigInt64Array/],
      ['BigUint64Array', () => index.add('new', new BigUint64Array(4)), 'INVALID_ARGUMENT', /BigUint64Array/],
      ['DataView', () => index.add('new', new DataView(new ArrayBuffer(16))), 'INVALID_ARGUMENT', /vector must be/],
      ['number', () => index.add('new', 4), 'INVALID_ARGUMENT', /vector must be/, /4/],
      ['null', () => index.add('new', null), 'INVALID_ARGUMENT', /vector must be/, /null/],
      ['undefined', () => index.add('new'), 'INVALID_ARGUMENT', /vector must be/, /undefined/],
    ]);
    index.dispose();
  });

  test('ids of the wrong type', async () => {
    const index = await fixture();
    const v = [1, 2, 3, 4];
    expectRejected(index, [
      ['object', () => index.add({ id: 1 }, v), 'INVALID_ARGUMENT', /id must be a string or a safe integer/, /object/],
      ['array', () => index.add([1], v), 'INVALID_ARGUMENT', /id must be a string or a safe integer/, /array/],
      ['NaN', () => index.add(NaN, v), 'INVALID_ARGUMENT', /id must be a string or a safe integer/, /NaN/],
      ['1.5', () => index.add(1.5, v), 'INVALID_ARGUMENT', /id must be/, /1\.5/],
      ['Infinity', () => index.add(Infinity, v), 'INVALID_ARGUMENT', /id must be/],
      ['2^53', () => index.add(2 ** 53, v), 'INVALID_ARGUMENT', /safe integer/, /9007199254740992/],
      ['empty string', () => index.add('', v), 'INVALID_ARGUMENT', /id must not be an empty string/],
      ['null', () => index.add(null, v), 'INVALID_ARGUMENT', /id must be/, /null/],
      ['undefined', () => index.add(undefined, v), 'INVALID_ARGUMENT', /id must be/, /undefined/],
      ['boolean', () => index.add(true, v), 'INVALID_ARGUMENT', /id must be/, /boolean/],
      ['bigint', () => index.add(5n, v), 'INVALID_ARGUMENT', /id must be/, /bigint/],
      ['too long', () => index.add('x'.repeat(65537), v), 'INVALID_ARGUMENT', /id/, /65536/],
      ['too long in UTF-8', () => index.add('日'.repeat(30000), v), 'INVALID_ARGUMENT', /id/, /65536 bytes/],
      // UTF-8 cannot hold a lone surrogate: stored as U+FFFD it would collide with other ids.
      ['lone high surrogate', () => index.add('a\ud800', v), 'INVALID_ARGUMENT', /id/, /lone surrogate/],
      ['lone low surrogate', () => index.add('\udfffb', v), 'INVALID_ARGUMENT', /id/, /lone surrogate/],
      ['reversed pair', () => index.add('\ude00\ud83d', v), 'INVALID_ARGUMENT', /lone surrogate/],
    ]);
    // Distinct strings stay distinct ids.
    index.add('\ufffd', v);
    index.add('😀', v);
    assert.equal(index.has('\ufffd') && index.has('😀'), true);
    assertNeurovecError(() => index.has('\ud83d'), 'INVALID_ARGUMENT', /lone surrogate/);
    index.dispose();
  });

  test('metadata that is not a plain JSON object', async () => {
    const index = await fixture();
    const v = [1, 2, 3, 4];
    const cyclic = { a: 1 };
    cyclic.self = cyclic;
    expectRejected(index, [
      ['string', () => index.add('new', v, 'red'), 'INVALID_ARGUMENT', /metadata must be a plain object/, /"red"/],
      ['number', () => index.add('new', v, 5), 'INVALID_ARGUMENT', /metadata must be a plain object/, /5/],
      ['array', () => index.add('new', v, [1, 2]), 'INVALID_ARGUMENT', /metadata must be a plain object/, /array/],
      ['null', () => index.add('new', v, null), 'INVALID_ARGUMENT', /metadata must be a plain object/, /null/],
      ['typed array', () => index.add('new', v, new Float32Array(2)), 'INVALID_ARGUMENT', /metadata/, /Float32Array/],
      ['bigint value', () => index.add('new', v, { n: 1n }), 'INVALID_ARGUMENT', /metadata cannot be serialised to JSON/],
      ['cyclic', () => index.add('new', v, cyclic), 'INVALID_ARGUMENT', /metadata cannot be serialised to JSON/],
    ]);
    index.dispose();
  });

  test('a duplicate id is ALREADY_EXISTS, for numbers and strings', async () => {
    const index = await fixture();
    expectRejected(index, [
      ['number', () => index.add(5, [9, 9, 9, 9], { replaced: true }), 'ALREADY_EXISTS', /5/, /already/],
      ['string', () => index.add('s', [9, 9, 9, 9]), 'ALREADY_EXISTS', /"?s"?/, /already/],
    ]);
    assert.deepEqual(index.get(5).metadata, { i: 5, kind: 'odd' });
    // A deleted id is free again; the string "5" was never taken.
    index.add(3, [0, 0, 0, 0]);
    index.add('5', [0, 0, 0, 1]);
    assert.equal(index.size, 32);
    index.dispose();
  });

  test('cosine rejects all-zero vectors and queries', async () => {
    const index = await fixture('cosine');
    expectRejected(index, [
      ['zero vector', () => index.add('zero', [0, 0, 0, 0]), 'INVALID_ARGUMENT', /all zeros/, /cosine/],
      ['zero query', () => index.search([0, 0, 0, 0], 3), 'INVALID_ARGUMENT', /all zeros/, /cosine/],
    ]);
    index.dispose();
  });
});

describe('search() rejects bad input', () => {
  test('k must be a positive integer', async () => {
    const index = await fixture();
    const cases = [0, -1, 1.5, NaN, Infinity, '5', undefined, null, 2 ** 21].map((k) => [
      `k=${String(k)}`, () => index.search(QUERY, k), 'INVALID_ARGUMENT', /k must be a positive integer/,
    ]);
    expectRejected(index, cases);
    index.dispose();
  });

  test('bad queries and ef', async () => {
    const index = await fixture();
    expectRejected(index, [
      ['NaN query', () => index.search([0, NaN, 0, 0], 3), 'INVALID_ARGUMENT', /query\[1\]/, /NaN/],
      ['Infinity query', () => index.search([0, 0, 0, Infinity], 3), 'INVALID_ARGUMENT', /query\[3\]/, /Infinity/],
      ['short query', () => index.search([1, 2], 3), 'INVALID_ARGUMENT', /query has 2 dimensions/, /expects 4/],
      ['string query', () => index.search('query', 3), 'INVALID_ARGUMENT', /query must be/],
      ['BigInt64Array query', () => index.search(new BigInt64Array(4), 3), 'INVALID_ARGUMENT', /query must be/, /BigInt64Array/],
      ['ef 0', () => index.search(QUERY, 3, { ef: 0 }), 'INVALID_ARGUMENT', /ef must be an integer/],
      ['ef 2.5', () => index.search(QUERY, 3, { ef: 2.5 }), 'INVALID_ARGUMENT', /ef must be an integer/, /2\.5/],
      ['ef string', () => index.search(QUERY, 3, { ef: '10' }), 'INVALID_ARGUMENT', /ef must be an integer/],
    ]);
    index.dispose();
  });
});

describe('get(), has() and delete() reject bad ids', () => {
  test('each names the id', async () => {
    const index = await fixture();
    const cases = [];
    for (const [name, fn] of [['get', (id) => index.get(id)], ['has', (id) => index.has(id)], ['delete', (id) => index.delete(id)]]) {
      cases.push([`${name}({})`, () => fn({}), 'INVALID_ARGUMENT', /id must be a string or a safe integer/]);
      cases.push([`${name}(NaN)`, () => fn(NaN), 'INVALID_ARGUMENT', /NaN/]);
      cases.push([`${name}(1.5)`, () => fn(1.5), 'INVALID_ARGUMENT', /1\.5/]);
      cases.push([`${name}('')`, () => fn(''), 'INVALID_ARGUMENT', /empty string/]);
    }
    expectRejected(index, cases);
    // Unknown but valid ids are not errors.
    assert.equal(index.get('missing'), undefined);
    assert.equal(index.has(12345), false);
    assert.equal(index.delete('missing'), false);
    index.dispose();
  });
});

describe('VectorIndex.create() rejects bad options', () => {
  test('dimensions, metric and the graph parameters', async () => {
    const bad = [
      [{ dimensions: 0 }, /dimensions must be an integer from 1 to 65536/, /got 0/],
      [{ dimensions: 1e9 }, /dimensions must be an integer from 1 to 65536/, /1000000000/],
      [{ dimensions: 1.5 }, /dimensions must be an integer/, /1\.5/],
      [{ dimensions: -4 }, /dimensions/],
      [{ dimensions: '4' }, /dimensions/, /"4"/],
      [{ dimensions: NaN }, /dimensions/, /NaN/],
      [{}, /dimensions is required/],
      [{ metric: 'l2' }, /dimensions is required/],
      [{ dimensions: 4, metric: 'hamming' }, /unknown metric "hamming"/, /"l2", "cosine", "dot", "manhattan"/],
      [{ dimensions: 4, metric: 'L2' }, /unknown metric "L2"/],
      [{ dimensions: 4, metric: 0 }, /unknown metric/],
      [{ dimensions: 4, m: 1 }, /m must be an integer from 2 to 256/],
      [{ dimensions: 4, m: 1000 }, /m must be an integer from 2 to 256/],
      [{ dimensions: 4, m: 2.5 }, /m must be/],
      [{ dimensions: 4, efConstruction: 0 }, /efConstruction must be/],
      [{ dimensions: 4, efSearch: -1 }, /efSearch must be/],
      [{ dimensions: 4, seed: -1 }, /seed must be/],
      [{ dimensions: 4, seed: 0.5 }, /seed must be/],
      [{ dimensions: 4, initialCapacity: -1 }, /initialCapacity/],
      [{ dimensions: 4, dimension: 4 }, /unknown option "dimension"/, /dimensions/],
      [undefined, /options object/],
      [null, /options object/, /null/],
      [384, /options object/],
    ];
    for (const [options, ...patterns] of bad) {
      const pending = (() => {
        try {
          return VectorIndex.create(options);
        } catch (error) {
          assert.fail(`create(${JSON.stringify(options)}) threw synchronously instead of rejecting: ${error}`);
        }
      })();
      assert.ok(pending instanceof Promise);
      await assertNeurovecRejects(() => pending, 'INVALID_ARGUMENT', ...patterns);
    }
    // The boundaries themselves are accepted.
    for (const options of [{ dimensions: 1 }, { dimensions: 65536, metric: 'dot' }, { dimensions: 4, m: 2 }, { dimensions: 4, m: 256 }]) {
      const index = await VectorIndex.create(options);
      assert.equal(index.dimensions, options.dimensions);
      index.dispose();
    }
  });
});
