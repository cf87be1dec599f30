// neurovec's WebAssembly build through its TypeScript API (js/dist/index.js, from `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { packageVersion } from './util.mjs';

export const name = 'neurovec wasm';
export const efPerQuery = true;

const distPath = fileURLToPath(new URL('../../js/dist/index.js', import.meta.url));

export async function check() {
  if (!existsSync(distPath)) return `${distPath} not found: run \`npm run build\` first`;
  try {
    const mod = await import(pathToFileURL(distPath).href);
    if (typeof mod.VectorIndex?.create !== 'function') return `${distPath} does not export VectorIndex.create`;
    return null;
  } catch (e) {
    return `${distPath} cannot be loaded: ${e.message.split('\n')[0]}`;
  }
}

// quantizedTraversal: passed through by the `wasm-q` engine (wasm_quantized.mjs).
export async function createIndex({ dimensions, count, m, efConstruction, efSearch, seed, quantizedTraversal }) {
  const { VectorIndex, configureWasm } = await import(pathToFileURL(distPath).href);
  // Peers are measured on one thread; so is this engine (first load only).
  try { configureWasm({ threads: 1 }); } catch { /* already loaded by an earlier index */ }
  const options = { dimensions, metric: 'l2', m, efConstruction, efSearch, seed, initialCapacity: count,
    ...(quantizedTraversal ? { quantizedTraversal } : {}) };
  const index = await VectorIndex.create(options);
  let ef = efSearch;
  const info = {
    version: packageVersion('neurovec') ?? null,
    kernel: null,
    parameters: options,
    notes: 'addBatch with numeric ids and one flat Float32Array; search(query, k, { ef }) one query at a time; distance computations from stats().',
  };
  return {
    info,
    async build(data, n, d, onProgress) {
      const ids = Array.from({ length: n }, (_, i) => i);
      const t0 = process.hrtime.bigint();
      // addBatch is synchronous; awaiting tolerates a future Promise-returning version.
      await index.addBatch(ids, data.subarray(0, n * d), {
        onProgress: onProgress ? ({ done, total }) => onProgress(done, total) : undefined,
      });
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const stats = index.stats();
      info.kernel = stats.kernel ?? null;
      if (stats.size !== n) throw new Error(`wasm index holds ${stats.size} items after adding ${n}`);
      return seconds;
    },
    prepareQuery: (q) => q,
    setEf(value) {
      ef = value;
    },
    search(prepared, k, out, offset) {
      const hits = index.search(prepared, k, { ef });
      for (let j = 0; j < hits.length; j++) out[offset + j] = hits[j].id;
    },
    stats: () => index.stats(),
    // Summed over all searches since creation.
    distanceComputations: () => index.stats().distanceComputations,
    dispose() {
      index.dispose();
    },
  };
}
