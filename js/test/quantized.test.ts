// Unit tests of the quantizedTraversal option checks (js/src/quantized.ts).
import { describe, expect, it } from 'vitest';
import { NeurovecError } from '../src/errors.js';
import { resolveQuantized } from '../src/quantized.js';
import { resolveCreateOptions } from '../src/options.js';

function expectInvalid(fn: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(NeurovecError);
  expect((caught as NeurovecError).code).toBe('INVALID_ARGUMENT');
  expect((caught as NeurovecError).message).toMatch(pattern);
}

describe('resolveQuantized', () => {
  it('fills defaults and passes valid options through', () => {
    expect(resolveQuantized(undefined)).toBeUndefined();
    expect(resolveQuantized({ codec: 'int8' })).toEqual({ codec: 'int8', rerank: 0, trainItems: 1024 });
    expect(resolveQuantized({ codec: 'pq8', rerank: 50, trainItems: 256 })).toEqual({ codec: 'pq8', rerank: 50, trainItems: 256 });
    expect(resolveCreateOptions({ dimensions: 8, quantizedTraversal: { codec: 'f16' } }).quantizedTraversal)
      .toEqual({ codec: 'f16', rerank: 0, trainItems: 1024 });
    expect('quantizedTraversal' in resolveCreateOptions({ dimensions: 8 })).toBe(false);
  });

  it('rejects bad options, naming the option and what is expected', () => {
    expectInvalid(() => resolveQuantized(null), /must be an object/);
    expectInvalid(() => resolveQuantized([]), /must be an object/);
    expectInvalid(() => resolveQuantized({}), /codec must be one of "f16", "int8", "int8-uniform", "pq8", got undefined/);
    expectInvalid(() => resolveQuantized({ codec: 'none' }), /codec must be one of/);
    expectInvalid(() => resolveQuantized({ codec: 'INT8' }), /got "INT8"/);
    expectInvalid(() => resolveQuantized({ codec: 'int8', rerank: 1.5 }), /rerank must be an integer from 0 to 1048576/);
    expectInvalid(() => resolveQuantized({ codec: 'int8', rerank: 2 ** 20 + 1 }), /rerank/);
    expectInvalid(() => resolveQuantized({ codec: 'int8', trainItems: 0 }), /trainItems must be an integer from 1/);
    expectInvalid(() => resolveQuantized({ codec: 'pq8', trainItems: 255 }), /from 256 .*256 centroids/);
    expectInvalid(() => resolveQuantized({ codec: 'int8', tiers: true }), /unknown quantizedTraversal option "tiers"/);
  });
});
