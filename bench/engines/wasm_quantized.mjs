// neurovec wasm through the JS API with quantized traversal: the HNSW walk scores
// int8-uniform codes (one shared 0..255-style grid, integer L2), then the best ef
// candidates are re-ranked with exact f32 distances. Same graph parameters as `wasm`.
// On Fashion-MNIST the pixels are integers 0..255, so the grid is exact there; on
// other data int8-uniform rounds each coordinate (the re-rank keeps distances exact).
import * as wasm from './wasm.mjs';

export const name = 'neurovec wasm, quantized traversal (int8-uniform)';
export const efPerQuery = true;
export const check = wasm.check;

export async function createIndex(options) {
  const index = await wasm.createIndex({ ...options, quantizedTraversal: { codec: 'int8-uniform' } });
  index.info.notes += ' quantizedTraversal { codec: "int8-uniform", rerank: 0 (all ef candidates re-ranked exactly) }; memory from stats().memory after the build.';
  const build = index.build;
  index.build = async (...args) => {
    const seconds = await build(...args);
    index.info.memory = index.stats?.().memory ?? null;
    return seconds;
  };
  return index;
}
