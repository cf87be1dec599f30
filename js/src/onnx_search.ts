// Neural search with an ONNX refiner (onnx_refiner.ts): the index (wasm)
// finds each query's k' candidates with their vectors and HNSW links, ONNX
// Runtime Web scores a whole batch in one session.run, and the candidates are
// re-ranked by score as the built-in neural mode does (stable: ties keep the
// vector order). A failing run falls back to vector mode and says so.
import { OnnxRefinerError, type OnnxRefiner } from './onnx_refiner.js';
import { refinerInputs, type LearningHost, type RefinerInputs } from './learning.js';
import type { MemorySearchOptions, SearchResult } from './types.js';

/** searchNeural's answer: one result list per query, and which path produced it. */
export interface NeuralSearchBatch {
  results: SearchResult[][];
  /** 'onnx': re-ranked by the ONNX refiner; 'vector': plain vector search (the fallback). */
  refiner: 'onnx' | 'vector';
  /** Set when the ONNX refiner failed and the results fell back to vector mode. */
  fallback?: OnnxRefinerError;
}

/** Counters of an index's ONNX refiner. */
export interface OnnxRefinerStats {
  attached: boolean;
  batches: number;
  queries: number;
  fallbacks: number;
  lastError?: OnnxRefinerError;
}

export interface NeuralSearchHost extends LearningHost {
  vectorSearch: (query: ArrayLike<number>, k: number) => SearchResult[];
}

export async function searchWithOnnx(host: NeuralSearchHost, refiner: OnnxRefiner, stats: OnnxRefinerStats,
  queries: ArrayLike<number>[], k: number, ef: number, filterJson: string,
  memory: MemorySearchOptions | false | undefined = undefined): Promise<NeuralSearchBatch> {
  const d = host.dimensions;
  // Candidates first (synchronous wasm calls), grouped by their count K: a
  // filter can leave some queries fewer than k' candidates.
  const inputs: RefinerInputs[] = queries.map((q) => refinerInputs(host, q, k, ef, filterJson, memory));
  const groups = new Map<number, number[]>();
  inputs.forEach((input, i) => {
    const n = input.slots.length;
    if (n > 0) groups.set(n, [...(groups.get(n) ?? []), i]);
  });
  const scores: Float32Array[] = inputs.map(() => new Float32Array(0));
  try {
    for (const [kk, members] of groups) {
      const b = members.length;
      const query = new Float32Array(b * d);
      const vectors = new Float32Array(b * kk * d);
      const adjacency = new Float32Array(b * kk * kk);
      members.forEach((qi, row) => {
        query.set(inputs[qi].query, row * d);  // the caller's query, or the one the click memory moved
        vectors.set(inputs[qi].vectors, row * kk * d);
        // The model's adjacency is each link's strength: exp(learned offset), 1 where none was learned.
        const { adjacency: links, linkOffsets } = inputs[qi];
        for (let e = 0; e < kk * kk; e++) adjacency[row * kk * kk + e] = links[e] ? Math.exp(linkOffsets[e]) : 0;
      });
      const out = await refiner.run({ batch: b, candidates: kk, query, vectors, adjacency });
      members.forEach((qi, row) => { scores[qi] = out.scores.slice(row * kk, (row + 1) * kk); });
      stats.batches++;
    }
  } catch (error) {
    if (!(error instanceof OnnxRefinerError)) throw error;
    stats.fallbacks++;
    stats.lastError = error;
    return { results: queries.map((q) => host.vectorSearch(q, k)), refiner: 'vector', fallback: error };
  }
  stats.queries += queries.length;
  const results = inputs.map((input, qi) => {
    const order = Array.from(input.slots, (_, i) => i);
    const s = scores[qi];
    order.sort((a, b) => (s[b] - s[a]) || (a - b));
    return order.slice(0, k).map((i) => {
      const r: SearchResult = { id: host.idOf(input.slots[i]), distance: input.distances[i], score: s[i] };
      const metadata = host.metadataOf(input.slots[i]);
      if (metadata !== undefined) r.metadata = metadata;
      return r;
    });
  });
  return { results, refiner: 'onnx' };
}
