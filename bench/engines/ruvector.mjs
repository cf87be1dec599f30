// @ruvector/core (Rust, NAPI-RS; its HNSW is a patched hnsw_rs, its storage a redb file).
//
// What its API offers (index.d.ts + the native binding's option names):
//   new VectorDb({ dimensions, distanceMetric: 'Euclidean' | 'Cosine' | 'DotProduct' | 'Manhattan',
//                  storagePath, hnswConfig: { m, efConstruction, efSearch, maxElements }, quantization })
//   insertBatch([{ id: string, vector: Float32Array }]) -> Promise<string[]>
//   search({ vector, k, efSearch?, filter? }) -> Promise<[{ id: string, score, vector }]>
// There is no seed, no close/dispose, and no in-memory mode: without storagePath it writes
// ./ruvector.db in the working directory, and opening an existing path re-inserts its vectors
// (rebuilding the graph). Its scores for 'Euclidean' are plain (not squared) L2 distances.
// Observed with 0.1.32 (binding 0.1.30): without hnswConfig it makes a flat (brute-force) index,
// and the README's top-level m / ef_construction are ignored (flat index as well). With
// hnswConfig, m, efConstruction and hnswConfig.efSearch are honoured; the per-query efSearch is
// parsed but ignored (the probe below checks this at every run).
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageVersion } from './util.mjs';

const require = createRequire(import.meta.url);

export const name = '@ruvector/core';
// Decided at run time by probePerQueryEf(); the runner falls back to one index per ef.
export let efPerQuery = false;

export async function check() {
  try {
    require('@ruvector/core');
    return null;
  } catch (e) {
    return `@ruvector/core cannot be loaded: ${e.message.split('\n')[0]}`;
  }
}

export async function createIndex({ dimensions, count, m, efConstruction, efSearch }) {
  const rv = require('@ruvector/core');
  const dir = mkdtempSync(join(tmpdir(), 'neurovec-bench-ruvector-'));
  const hnswConfig = { m, efConstruction, efSearch, maxElements: count };
  const db = new rv.VectorDb({ dimensions, distanceMetric: 'Euclidean', storagePath: join(dir, 'index.db'), hnswConfig });
  let ef = efSearch;
  return {
    info: {
      version: packageVersion('@ruvector/core'),
      bindingVersion: packageVersion('ruvector-core-linux-x64-gnu'),
      nativeVersion: typeof rv.version === 'function' ? rv.version() : null,
      kernel: 'prebuilt Rust binding (hnsw_rs / anndists distances)',
      parameters: { distanceMetric: 'Euclidean', hnswConfig, storagePath: 'temporary directory (redb file)' },
      notes:
        'insertBatch with Float32Array rows and string ids; build time is the awaited insertBatch calls (HNSW insertion plus its redb storage writes, which the API always does). ' +
        'No seed parameter: graphs differ from run to run. Search results carry the stored vector (part of its API cost).',
    },
    async build(data, n, d, onProgress) {
      const entries = new Array(n);
      for (let i = 0; i < n; i++) entries[i] = { id: String(i), vector: data.subarray(i * d, (i + 1) * d) };
      const chunk = 10000;
      const t0 = process.hrtime.bigint();
      for (let start = 0; start < n; start += chunk) {
        await db.insertBatch(entries.slice(start, start + chunk));
        onProgress?.(Math.min(n, start + chunk), n);
      }
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const len = await db.len();
      if (len !== n) throw new Error(`ruvector holds ${len} vectors after inserting ${n}`);
      return seconds;
    },
    prepareQuery: (q) => q,
    setEf(value) {
      ef = value;
    },
    async search(prepared, k, out, offset) {
      const hits = await db.search({ vector: prepared, k, efSearch: ef });
      for (let j = 0; j < hits.length && j < k; j++) out[offset + j] = Number(hits[j].id);
    },
    // Same queries with a small and a large per-query efSearch: identical answers mean it is ignored.
    async probePerQueryEf(queries, k, small, large) {
      let differing = 0;
      for (const q of queries) {
        const a = await db.search({ vector: q, k, efSearch: small });
        const b = await db.search({ vector: q, k, efSearch: large });
        if (a.map((h) => h.id).join() !== b.map((h) => h.id).join()) differing++;
      }
      efPerQuery = differing > 0;
      return { queries: queries.length, efSmall: small, efLarge: large, differingAnswers: differing, honoured: differing > 0 };
    },
    distanceComputations: null,
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
