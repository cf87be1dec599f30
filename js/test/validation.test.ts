// Unit tests of the pure input checks and the id wire format (js/src/validation.ts),
// and of option resolution (js/src/options.ts).
import { describe, expect, it } from 'vitest';
import { NeurovecError } from '../src/errors.js';
import type { CreateOptions, Id } from '../src/types.js';
import {
  checkFinite, checkId, checkInteger, checkK, checkMetadata, checkVector, decodeId, decodeText, encodeId, MAX_DIMENSIONS,
  MAX_EF, MAX_ID_BYTES, MAX_M, maxEncodedIdBytes, METRICS,
} from '../src/validation.js';
import { resolveCreateOptions } from '../src/options.js';
import { rng } from '../../tests/shared/random.mjs';

/** Asserts fn throws an INVALID_ARGUMENT NeurovecError whose message matches every pattern. */
function expectInvalid(fn: () => unknown, ...patterns: RegExp[]): NeurovecError {
  let caught: unknown;
  let returned: unknown;
  try {
    returned = fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, `nothing was thrown; returned ${JSON.stringify(returned)}`).toBeInstanceOf(NeurovecError);
  const error = caught as NeurovecError;
  expect(error.code).toBe('INVALID_ARGUMENT');
  for (const pattern of patterns) expect(error.message).toMatch(pattern);
  return error;
}

/** The documented wire format, built independently: 'n' + int64 LE, or 's' + UTF-8. */
function referenceEncoding(id: Id): Uint8Array {
  if (typeof id === 'number') {
    const bytes = new Uint8Array(9);
    bytes[0] = 0x6e;
    new DataView(bytes.buffer).setBigInt64(1, BigInt(id), true);
    return bytes;
  }
  const utf8 = new TextEncoder().encode(id);
  const bytes = new Uint8Array(1 + utf8.length);
  bytes[0] = 0x73;
  bytes.set(utf8, 1);
  return bytes;
}

describe('encodeId / decodeId', () => {
  const random = rng(5);
  const randomInts = Array.from({ length: 200 }, () => {
    const magnitude = Math.floor(random() * 2 ** 21) * 2 ** 32 + Math.floor(random() * 2 ** 32);
    return random() < 0.5 ? -magnitude : magnitude;
  });
  const numbers = [
    0, 1, -1, 7, 127, 128, 255, 256, -256, 65535, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 32 - 1, 2 ** 32, -(2 ** 32),
    2 ** 32 + 1, 2 ** 52, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 1,
    ...randomInts,
  ];
  const strings = [
    'a', '7', '-1', 'hello world', 'héllo', 'ß', 'Ωμέγα', '日本語', '한국어', '😀', '👩‍👩‍👧‍👦', 'a😀b🚀c', '\u0000', 'tab\tnew\nline',
    '\uffff', '\ufffd', 'x'.repeat(1000), '日'.repeat(5000), '😀'.repeat(MAX_ID_BYTES / 4), 'x'.repeat(MAX_ID_BYTES),
  ];

  it.each(numbers.map((n) => [n]))('round trips the number %s in the documented layout', (id) => {
    for (const offset of [0, 3]) {
      const out = new Uint8Array(offset + maxEncodedIdBytes(id) + 4).fill(0xaa);
      const length = encodeId(id, out, offset);
      expect(length).toBe(9);
      expect(length).toBeLessThanOrEqual(maxEncodedIdBytes(id));
      expect(Array.from(out.subarray(offset, offset + length))).toEqual(Array.from(referenceEncoding(id)));
      // Nothing outside [offset, offset + length) is touched.
      expect(out.subarray(0, offset).every((b) => b === 0xaa)).toBe(true);
      expect(out.subarray(offset + length).every((b) => b === 0xaa)).toBe(true);
      const decoded = decodeId(out.slice(offset, offset + length));
      expect(decoded).toBe(id);
      expect(typeof decoded).toBe('number');
    }
  });

  it.each(strings.map((s) => [s]))('round trips the string %#', (id) => {
    const out = new Uint8Array(2 + maxEncodedIdBytes(id));
    const length = encodeId(id, out, 2);
    const reference = referenceEncoding(id);
    expect(length).toBe(reference.length);
    expect(length).toBeLessThanOrEqual(maxEncodedIdBytes(id));
    expect(out.subarray(2, 2 + length)).toEqual(reference);
    const decoded = decodeId(out.subarray(2, 2 + length));
    expect(decoded).toBe(id);
    expect(typeof decoded).toBe('string');
  });

  it('keeps 7 and "7" (and every number and its string) apart', () => {
    for (const n of numbers.slice(0, 30)) {
      const a = referenceEncoding(n);
      const out = new Uint8Array(maxEncodedIdBytes(String(n)));
      const length = encodeId(String(n), out, 0);
      expect(out.subarray(0, length)).not.toEqual(a);
      expect(decodeId(out.subarray(0, length))).toBe(String(n));
    }
  });

  it('encodes -0 as 0', () => {
    const out = new Uint8Array(9);
    encodeId(-0, out, 0);
    expect(decodeId(out)).toBe(0);
  });

  it('maxEncodedIdBytes bounds the encoding of any string', () => {
    const random2 = rng(9);
    for (let t = 0; t < 300; t++) {
      let s = '';
      const chars = 1 + Math.floor(random2() * 20);
      for (let i = 0; i < chars; i++) {
        const r = random2();
        s += r < 0.3 ? String.fromCharCode(32 + Math.floor(random2() * 90))
          : r < 0.6 ? String.fromCharCode(0x80 + Math.floor(random2() * 0x700))
            : r < 0.8 ? String.fromCharCode(0x800 + Math.floor(random2() * 0xd000))
              : String.fromCodePoint(0x10000 + Math.floor(random2() * 0xfffff));
      }
      const out = new Uint8Array(maxEncodedIdBytes(s));
      const length = encodeId(s, out, 0);
      expect(out.subarray(0, length)).toEqual(referenceEncoding(s));
      expect(decodeId(out.subarray(0, length))).toBe(s);
    }
  });

  it('rejects malformed encodings with an INTERNAL error', () => {
    for (const bad of [[], [0x78, 1, 2], [0x6e, 1, 2, 3, 4, 5, 6, 7], [0x6e, 1, 2, 3, 4, 5, 6, 7, 8, 9], [0]]) {
      let caught: unknown;
      try {
        decodeId(new Uint8Array(bad));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(NeurovecError);
      expect((caught as NeurovecError).code).toBe('INTERNAL');
    }
  });

  it('decodeText decodes UTF-8', () => {
    const text = 'metadata {"name":"日本😀"}';
    expect(decodeText(new TextEncoder().encode(text))).toBe(text);
    expect(decodeText(new Uint8Array(0))).toBe('');
  });
});

describe('checkId', () => {
  it('accepts strings and safe integers and returns them unchanged', () => {
    for (const id of [0, -1, 42, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 'a', '7', '😀', 'x'.repeat(MAX_ID_BYTES),
      '😀'.repeat(MAX_ID_BYTES / 4), '\ufffd']) {
      expect(checkId(id)).toBe(id);
    }
  });

  it('rejects other values, naming the argument', () => {
    expectInvalid(() => checkId({}), /^id must be a string or a safe integer, got object$/);
    expectInvalid(() => checkId([1]), /id must be a string or a safe integer/, /an array/);
    expectInvalid(() => checkId(null), /id must be/, /null/);
    expectInvalid(() => checkId(undefined), /id must be/, /undefined/);
    expectInvalid(() => checkId(true), /boolean/);
    expectInvalid(() => checkId(5n), /bigint/);
    expectInvalid(() => checkId(Symbol('s')), /symbol/);
    expectInvalid(() => checkId(NaN), /safe integer/, /NaN/);
    expectInvalid(() => checkId(1.5), /safe integer/, /1\.5/);
    expectInvalid(() => checkId(Infinity), /safe integer/, /Infinity/);
    expectInvalid(() => checkId(2 ** 53), /safe integer/, /9007199254740992/);
    expectInvalid(() => checkId(-(2 ** 53)), /safe integer/);
    expectInvalid(() => checkId(''), /id must not be an empty string/);
    expectInvalid(() => checkId('x'.repeat(MAX_ID_BYTES + 1)), /id is longer than 65536/);
    expectInvalid(() => checkId('日'.repeat(MAX_ID_BYTES / 3 + 1)), /id is longer than 65536 bytes/);
    expectInvalid(() => checkId('\ud800'), /lone surrogate/);
    expectInvalid(() => checkId('a\udc00b'), /lone surrogate/);
  });

  it('names the argument it is given', () => {
    expectInvalid(() => checkId({}, 'ids[3]'), /^ids\[3\] must be a string or a safe integer/);
    expectInvalid(() => checkId('', 'ids[0]'), /^ids\[0\] must not be an empty string/);
  });

  it('describes long strings briefly', () => {
    const error = expectInvalid(() => checkId(1.25, 'id'));
    expect(error.message.length).toBeLessThan(120);
  });
});

describe('checkVector / checkFinite', () => {
  it('accepts typed arrays and number arrays of the right length, returning them', () => {
    const inputs = [new Float32Array([1, 2, 3]), new Float64Array([1, 2, 3]), [1, 2, 3], new Int16Array([1, 2, 3]),
      new Uint8Array([1, 2, 3])];
    for (const v of inputs) expect(checkVector(v, 3, 'l2')).toBe(v);
    for (const metric of METRICS) expect(checkVector([0.5, -2, 9e18], 3, metric)).toEqual([0.5, -2, 9e18]);
    expect(checkVector([0, 0, 0], 3, 'l2')).toEqual([0, 0, 0]);
    expect(checkVector([0, 0, 0], 3, 'dot')).toEqual([0, 0, 0]);
  });

  it('rejects bad types, lengths and values, naming the argument and the position', () => {
    expectInvalid(() => checkVector('abc', 3, 'l2'), /^vector must be a Float32Array or an array of numbers, got "abc"$/);
    expectInvalid(() => checkVector({ length: 3 }, 3, 'l2'), /vector must be/, /object/);
    expectInvalid(() => checkVector(new BigInt64Array(3), 3, 'l2'), /BigInt64Array/);
    expectInvalid(() => checkVector(new BigUint64Array(3), 3, 'l2'), /BigUint64Array/);
    expectInvalid(() => checkVector(new DataView(new ArrayBuffer(12)), 3, 'l2'), /vector must be/);
    expectInvalid(() => checkVector(null, 3, 'l2'), /null/);
    expectInvalid(() => checkVector(3, 3, 'l2'), /got 3/);
    expectInvalid(() => checkVector([1, 2], 3, 'l2'), /^vector has 2 dimensions; this index expects 3$/);
    expectInvalid(() => checkVector(new Float32Array(4), 3, 'l2'), /4 dimensions/, /expects 3/);
    expectInvalid(() => checkVector([1, NaN, 3], 3, 'l2'), /^vector\[1\] is NaN; expected a finite number$/);
    expectInvalid(() => checkVector([1, 2, Infinity], 3, 'l2'), /vector\[2\] is Infinity/);
    // Squared norm above 8.5e37 (a quarter of FLT_MAX): distances could overflow float.
    expectInvalid(() => checkVector([1, 2, 1e19], 3, 'l2'), /too large/, /8.5e37/);
    expectInvalid(() => checkVector([1e30, 0, 0], 3, 'cosine'), /too large/);
    expectInvalid(() => checkVector(new Float64Array([-Infinity, 0, 0]), 3, 'l2'), /vector\[0\] is -Infinity/);
    expectInvalid(() => checkVector([1, '2', 3], 3, 'l2'), /vector\[1\] is "2"/);
    expectInvalid(() => checkVector([1, undefined, 3], 3, 'l2'), /vector\[1\] is undefined/);
    expectInvalid(() => checkVector([0, 0, 0], 3, 'cosine'), /all zeros/, /cosine/);
    expectInvalid(() => checkVector([0, 0], 3, 'l2', 'query'), /^query has 2 dimensions/);
    expectInvalid(() => checkVector([NaN], 1, 'l2', 'vectors[7]'), /^vectors\[7\]\[0\] is NaN/);
  });

  it('checkFinite checks only its window of a flat array', () => {
    const flat = new Float32Array([1, 2, NaN, 4, 0, 0]);
    expect(() => checkFinite(flat, 0, 2, 'l2', 'vectors[0]')).not.toThrow();
    expectInvalid(() => checkFinite(flat, 2, 2, 'l2', 'vectors[1]'), /^vectors\[1\]\[0\] is NaN/);
    expect(() => checkFinite(flat, 4, 2, 'l2', 'vectors[2]')).not.toThrow();
    expectInvalid(() => checkFinite(flat, 4, 2, 'cosine', 'vectors[2]'), /vectors\[2\] is all zeros/);
  });
});

describe('checkMetadata', () => {
  it('returns the JSON of plain objects, and "" for none', () => {
    expect(checkMetadata(undefined)).toBe('');
    expect(checkMetadata({})).toBe('');
    const meta = { a: 1, s: 'x', nested: { list: [1, null, 'y'] }, flag: false };
    expect(JSON.parse(checkMetadata(meta))).toEqual(meta);
    expect(checkMetadata({ u: undefined, a: 1 })).toBe('{"a":1}');
    expect(checkMetadata(Object.create(null))).toBe('');
  });

  it('rejects non-objects and unserialisable objects, naming the argument', () => {
    expectInvalid(() => checkMetadata('red'), /^metadata must be a plain object like \{ category: "shoes" \}, got "red"$/);
    expectInvalid(() => checkMetadata(5), /metadata must be a plain object/, /got 5/);
    expectInvalid(() => checkMetadata(null), /got null/);
    expectInvalid(() => checkMetadata([1, 2]), /an array/);
    expectInvalid(() => checkMetadata(new Float32Array(1)), /Float32Array/);
    expectInvalid(() => checkMetadata(true), /boolean/);
    expectInvalid(() => checkMetadata({ n: 1n }), /metadata cannot be serialised to JSON/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expectInvalid(() => checkMetadata(cyclic), /cannot be serialised to JSON/);
    expectInvalid(() => checkMetadata(7, 'metadata[3]'), /^metadata\[3\] must be a plain object/);
  });
});

describe('checkK and checkInteger', () => {
  it('accepts positive integers up to MAX_EF', () => {
    for (const k of [1, 10, 1000, MAX_EF]) expect(checkK(k)).toBe(k);
  });

  it('rejects the rest', () => {
    for (const k of [0, -1, 1.5, NaN, Infinity, MAX_EF + 1, '5', null, undefined, 5n]) {
      expectInvalid(() => checkK(k), /^k must be a positive integer \(at most 1048576\), got /);
    }
    expectInvalid(() => checkK(0), /got 0$/);
    expectInvalid(() => checkK('5'), /got "5"$/);
  });

  it('checkInteger names the argument and the range', () => {
    expect(checkInteger('ef', 1, 1, 10)).toBe(1);
    expect(checkInteger('ef', 10, 1, 10)).toBe(10);
    expectInvalid(() => checkInteger('ef', 11, 1, 10), /^ef must be an integer from 1 to 10, got 11$/);
    expectInvalid(() => checkInteger('ef', 0, 1, 10), /got 0$/);
    expectInvalid(() => checkInteger('chunkSize', 2.5, 1, 10), /^chunkSize must be an integer/, /2\.5/);
    expectInvalid(() => checkInteger('m', NaN, 2, 256), /got NaN/);
  });
});

describe('resolveCreateOptions', () => {
  it('fills in the documented defaults', () => {
    expect(resolveCreateOptions({ dimensions: 384 })).toEqual({
      dimensions: 384, metric: 'cosine', m: 16, efConstruction: 200, efSearch: 64, seed: 42, initialCapacity: 0,
    });
  });

  it('keeps given values, at the edges of their ranges too', () => {
    const options: CreateOptions = {
      dimensions: MAX_DIMENSIONS, metric: 'manhattan', m: MAX_M, efConstruction: 1, efSearch: MAX_EF, seed: 0, initialCapacity: 10,
    };
    expect(resolveCreateOptions(options)).toEqual(options);
    for (const metric of METRICS) expect(resolveCreateOptions({ dimensions: 1, metric }).metric).toBe(metric);
    expect(resolveCreateOptions({ dimensions: 1, m: 2, seed: Number.MAX_SAFE_INTEGER })).toMatchObject({ m: 2, seed: Number.MAX_SAFE_INTEGER });
  });

  it('rejects bad options with messages that name the option', () => {
    const bad: Array<[unknown, ...RegExp[]]> = [
      [undefined, /VectorIndex\.create expects an options object/, /got undefined/],
      [null, /options object/, /null/],
      [384, /options object/, /384/],
      [{}, /dimensions is required/],
      [{ dimensions: 0 }, /^dimensions must be an integer from 1 to 65536, got 0$/],
      [{ dimensions: 1e9 }, /dimensions/, /1000000000/],
      [{ dimensions: 2.5 }, /dimensions/, /2\.5/],
      [{ dimensions: MAX_DIMENSIONS + 1 }, /dimensions/],
      [{ dimensions: '3' }, /dimensions/, /"3"/],
      [{ dimensions: 3, metric: 'euclid' }, /^unknown metric "euclid"; expected one of "l2", "cosine", "dot", "manhattan"$/],
      [{ dimensions: 3, metric: 5 }, /unknown metric 5/],
      [{ dimensions: 3, m: 1 }, /^m must be an integer from 2 to 256, got 1$/],
      [{ dimensions: 3, m: 257 }, /^m must be/],
      [{ dimensions: 3, efConstruction: 0 }, /^efConstruction must be an integer from 1/],
      [{ dimensions: 3, efSearch: MAX_EF + 1 }, /^efSearch must be/],
      [{ dimensions: 3, seed: -1 }, /^seed must be/],
      [{ dimensions: 3, seed: 1.5 }, /^seed must be/],
      [{ dimensions: 3, seed: 2 ** 53 }, /^seed must be/],
      [{ dimensions: 3, initialCapacity: -5 }, /^initialCapacity must be/],
      [{ dimensions: 3, efsearch: 10 }, /^unknown option "efsearch"; expected one of dimensions, metric, m, efConstruction, efSearch, seed, initialCapacity, storage, quantizedTraversal, tiers, learning$/],
    ];
    for (const [options, ...patterns] of bad) expectInvalid(() => resolveCreateOptions(options as CreateOptions), ...patterns);
  });
});
