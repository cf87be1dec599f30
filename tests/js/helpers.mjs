// Shared helpers of the Node integration tests: a seeded PRNG, synthetic data,
// brute-force oracles (distances, k-NN, filters) and error assertions.
// Not a test file itself (the name matches none of node --test's patterns).
import assert from 'node:assert/strict';
import { NeurovecError } from 'neurovec';

export const METRIC_NAMES = ['l2', 'cosine', 'dot', 'manhattan'];

import { gaussian, rng } from '../shared/random.mjs';

export { gaussian, rng };

/**
 * Clustered data: `clusters` Gaussian centres, each point a centre plus noise.
 * Returns { data: Float32Array(n*d), queries: Float32Array(q*d) } where the
 * queries are fresh points from the same clusters (not in the data).
 */
export function clusteredData({ n, d, queries = 0, clusters = 30, noise = 0.35, seed = 1 }) {
  const random = rng(seed);
  const centres = [];
  for (let c = 0; c < clusters; c++) {
    const centre = new Float64Array(d);
    for (let i = 0; i < d; i++) centre[i] = gaussian(random);
    centres.push(centre);
  }
  const make = (count) => {
    const out = new Float32Array(count * d);
    for (let j = 0; j < count; j++) {
      const centre = centres[Math.floor(random() * clusters)];
      for (let i = 0; i < d; i++) out[j * d + i] = centre[i] + noise * gaussian(random);
    }
    return out;
  };
  return { data: make(n), queries: make(queries) };
}

export function row(flat, i, d) {
  return flat.subarray(i * d, (i + 1) * d);
}

/** The documented distance of each metric, in float64. */
export function distance(metric, a, b) {
  const d = a.length;
  switch (metric) {
    case 'l2': {
      let s = 0;
      for (let i = 0; i < d; i++) {
        const t = a[i] - b[i];
        s += t * t;
      }
      return s;
    }
    case 'cosine': {
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let i = 0; i < d; i++) {
        dot += a[i] * b[i];
        na += a[i] * a[i];
        nb += b[i] * b[i];
      }
      return 1 - dot / Math.sqrt(na * nb);
    }
    case 'dot': {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += a[i] * b[i];
      return 1 - dot;
    }
    case 'manhattan': {
      let s = 0;
      for (let i = 0; i < d; i++) s += Math.abs(a[i] - b[i]);
      return s;
    }
    default:
      throw new Error(`unknown metric ${metric}`);
  }
}

/**
 * Exact k nearest: items is an array of { id, vector, metadata? }; returns
 * [{ id, distance }] ascending (ties by insertion order).
 */
export function bruteForce(metric, items, query, k, predicate = () => true) {
  const scored = [];
  for (const item of items) {
    if (!predicate(item)) continue;
    scored.push({ id: item.id, distance: distance(metric, query, item.vector) });
  }
  scored.sort((x, y) => x.distance - y.distance);
  return scored.slice(0, k);
}

/** |approx ∩ exact| / |exact| over ids. */
export function overlap(approx, exact) {
  if (exact.length === 0) return 1;
  const want = new Set(exact.map((r) => r.id));
  let hit = 0;
  for (const r of approx) if (want.has(r.id)) hit++;
  return hit / exact.length;
}

/** Distance agreement: relative 1e-3 with a small absolute floor for float32 rounding. */
export function assertClose(actual, expected, what = 'distance') {
  const tolerance = 1e-3 * Math.abs(expected) + 1e-5;
  assert.ok(Math.abs(actual - expected) <= tolerance,
    `${what}: got ${actual}, oracle ${expected} (tolerance ${tolerance})`);
}

export function assertSortedAscending(results) {
  for (let i = 1; i < results.length; i++) {
    assert.ok(results[i - 1].distance <= results[i].distance,
      `results not ascending at ${i}: ${results[i - 1].distance} > ${results[i].distance}`);
  }
}

/** The filter semantics documented in the API (and in the core's filter.cc), as an oracle. */
export function matchesFilter(metadata, filter) {
  const meta = metadata ?? {};
  for (const [key, condition] of Object.entries(filter)) {
    if (key === '$and') {
      if (!condition.every((f) => matchesFilter(meta, f))) return false;
    } else if (key === '$or') {
      if (!condition.some((f) => matchesFilter(meta, f))) return false;
    } else if (!matchesField(meta[key], condition)) {
      return false;
    }
  }
  return true;
}

function scalar(v) {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function matchesField(value, condition) {
  const equal = (x) => scalar(value) && typeof value === typeof x && value === x;
  if (condition === null || typeof condition !== 'object') return equal(condition);
  for (const [op, operand] of Object.entries(condition)) {
    const isNumber = typeof value === 'number';
    switch (op) {
      case '$eq': if (!equal(operand)) return false; break;
      case '$ne': if (equal(operand)) return false; break;
      case '$in': if (!operand.some(equal)) return false; break;
      case '$nin': if (operand.some(equal)) return false; break;
      case '$gt': if (!(isNumber && value > operand)) return false; break;
      case '$gte': if (!(isNumber && value >= operand)) return false; break;
      case '$lt': if (!(isNumber && value < operand)) return false; break;
      case '$lte': if (!(isNumber && value <= operand)) return false; break;
      default: throw new Error(`oracle: unknown operator ${op}`);
    }
  }
  return true;
}

/**
 * Asserts fn() throws a NeurovecError with the given code whose message matches
 * every pattern in `patterns` (the argument named, what was expected).
 */
export function assertNeurovecError(fn, code, ...patterns) {
  let caught;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected a NeurovecError ${code}, but nothing was thrown`);
  checkError(caught, code, patterns);
  return caught;
}

export async function assertNeurovecRejects(promiseFn, code, ...patterns) {
  let caught;
  try {
    await promiseFn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected a NeurovecError ${code}, but nothing was thrown`);
  checkError(caught, code, patterns);
  return caught;
}

function checkError(error, code, patterns) {
  assert.ok(error instanceof NeurovecError, `expected a NeurovecError, got ${error?.constructor?.name}: ${error}`);
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'NeurovecError');
  assert.equal(error.code, code, `code of "${error.message}"`);
  assert.ok(error.message.length > 10, `message too short to help: "${error.message}"`);
  for (const pattern of patterns) assert.match(error.message, pattern);
}

/** What must be identical before and after a rejected call. */
export function snapshot(index, query, k = 10, options = {}) {
  return {
    size: index.size,
    deleted: index.stats().deleted,
    results: index.search(query, k, options).map((r) => ({ id: r.id, distance: r.distance, metadata: r.metadata })),
  };
}
