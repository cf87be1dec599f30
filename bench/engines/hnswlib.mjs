// hnswlib-node (the npm binding of hnswlib, built from source by node-gyp at install).
// Its API takes number[] only: vectors are converted outside the timed region, chunk by
// chunk, and only the addPoint / searchKnn calls are timed.
import { createRequire } from 'node:module';
import { packageVersion } from './util.mjs';

const require = createRequire(import.meta.url);

export const name = 'hnswlib-node';
export const efPerQuery = true;

export async function check() {
  try {
    require.resolve('hnswlib-node');
    return null;
  } catch {
    return 'hnswlib-node is not installed (npm install)';
  }
}

export async function createIndex({ dimensions, count, m, efConstruction, seed }) {
  const { HierarchicalNSW } = require('hnswlib-node');
  const index = new HierarchicalNSW('l2', dimensions);
  index.initIndex(count, m, efConstruction, seed);
  let ef = 10;
  return {
    info: {
      version: packageVersion('hnswlib-node'),
      kernel: 'hnswlib SSE/AVX as compiled by node-gyp with its default flags (-O3, no -march=native)',
      parameters: { space: 'l2', m, efConstruction, randomSeed: seed, maxElements: count },
      notes: 'Vectors and queries are converted to number[] outside the timed region; build time is the sum of addPoint calls. setEf(ef) is honoured per search (hnswlib searches with max(ef, k)).',
    },
    // Returns the seconds spent in addPoint calls.
    build(data, n, d, onProgress) {
      const chunk = 1000;
      let ns = 0n;
      const rows = new Array(chunk);
      for (let start = 0; start < n; start += chunk) {
        const end = Math.min(n, start + chunk);
        for (let i = start; i < end; i++) rows[i - start] = Array.from(data.subarray(i * d, (i + 1) * d));
        const t0 = process.hrtime.bigint();
        for (let i = start; i < end; i++) index.addPoint(rows[i - start], i);
        ns += process.hrtime.bigint() - t0;
        onProgress?.(end, n);
      }
      return Number(ns) / 1e9;
    },
    prepareQuery: (q) => Array.from(q),
    setEf(value) {
      ef = value;
      index.setEf(value);
    },
    search(prepared, k, out, offset) {
      const { neighbors } = index.searchKnn(prepared, k);
      for (let j = 0; j < neighbors.length; j++) out[offset + j] = neighbors[j];
    },
    distanceComputations: null,
    dispose() {},
    get ef() {
      return ef;
    },
  };
}
