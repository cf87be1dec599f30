import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { codeFromCore, invalid, NeurovecError, type NeurovecErrorCode } from '../src/errors.js';

describe('NeurovecError', () => {
  it('is an Error with a name, a code and the message', () => {
    const error = new NeurovecError('NOT_FOUND', 'no item "x"');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(NeurovecError);
    expect(error.name).toBe('NeurovecError');
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe('no item "x"');
    expect(String(error)).toBe('NeurovecError: no item "x"');
    expect(error.stack).toContain('no item "x"');
  });

  it('invalid() builds an INVALID_ARGUMENT error', () => {
    const error = invalid('k must be positive');
    expect(error).toBeInstanceOf(NeurovecError);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe('k must be positive');
  });
});

describe('codeFromCore', () => {
  // neurovec::StatusCode (cpp/include/neurovec/status.h): 0 ok, then these.
  const table: Array<[number, NeurovecErrorCode]> = [
    [1, 'INVALID_ARGUMENT'],
    [2, 'NOT_FOUND'],
    [3, 'ALREADY_EXISTS'],
    [4, 'OUT_OF_RANGE'],
    [5, 'INTERNAL'],
    [6, 'ABORTED'],
    [7, 'CORRUPT'],
    [8, 'UNSUPPORTED_VERSION'],
    [9, 'NOT_AN_INDEX_FILE'],
    [10, 'IO_ERROR'],
    [11, 'LOCKED'],
    [12, 'QUOTA_EXCEEDED'],
    [13, 'FAILED_PRECONDITION'],
  ];
  it.each(table)('maps core code %i to %s', (core, code) => {
    expect(codeFromCore(core)).toBe(code);
  });

  it('agrees with the StatusCode enum of the C++ core', () => {
    const header = readFileSync(new URL('../../cpp/include/neurovec/status.h', import.meta.url), 'utf8');
    const body = header.match(/enum class StatusCode \{([^}]*)\}/)?.[1] ?? '';
    const entries = [...body.matchAll(/k(\w+)\s*=\s*(\d+)/g)].map(([, name, value]) => [name, Number(value)] as const);
    expect(entries.length).toBeGreaterThanOrEqual(7);
    for (const [name, value] of entries) {
      if (value === 0) continue; // kOk is never an error
      const code = name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase(); // InvalidArgument -> INVALID_ARGUMENT
      expect(codeFromCore(value), `k${name} = ${value}`).toBe(code);
    }
  });

  it('maps every core code to a distinct error code', () => {
    const codes = table.map(([core]) => codeFromCore(core));
    expect(new Set(codes).size).toBe(table.length);
  });

  it.each([0, 14, 99, -1, 1.5, NaN])('maps an unknown core code (%s) to INTERNAL', (core) => {
    expect(codeFromCore(core)).toBe('INTERNAL');
  });

  it('never maps to DISPOSED (a JS-side state only)', () => {
    for (let core = -2; core < 64; core++) expect(codeFromCore(core)).not.toBe('DISPOSED');
  });
});
