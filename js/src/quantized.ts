// Quantized traversal in the JS API (IndexConfig::quantized in the core):
// option checks, and the calls that enable it and read its state and the
// memory breakdown. Kept apart from vector_index.ts so that file changes little.
import { invalid } from './errors.js';
import { DEFAULTS, LIMITS } from './limits.js';
import type { MemoryStats, QuantizedCodec, QuantizedTraversalOptions } from './types.js';
import { readDoubles, type NeurovecWasmModule } from './wasm_module.js';

/** Codec codes of nv_enable_quantized (index = code; 0 is "none"). */
export const QUANTIZED_CODECS: readonly (QuantizedCodec | 'none')[] = ['none', 'f16', 'int8', 'int8-uniform', 'pq8'];
const MAX_EF = LIMITS.maxEf;
const MAX_TRAIN_ITEMS = LIMITS.maxTrainItems;

export interface ResolvedQuantized {
  codec: QuantizedCodec;
  rerank: number;
  trainItems: number;
}

/** Checks `quantizedTraversal` of CreateOptions; undefined when absent. */
export function resolveQuantized(value: unknown): ResolvedQuantized | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid("quantizedTraversal must be an object like { codec: 'int8', rerank: 32 }");
  }
  const q = value as Partial<QuantizedTraversalOptions> & Record<string, unknown>;
  for (const key of Object.keys(q)) {
    if (key !== 'codec' && key !== 'rerank' && key !== 'trainItems') {
      throw invalid(`unknown quantizedTraversal option "${key}"; expected codec, rerank or trainItems`);
    }
  }
  const codecs = QUANTIZED_CODECS.slice(1);
  if (typeof q.codec !== 'string' || !codecs.includes(q.codec as QuantizedCodec)) {
    throw invalid(`quantizedTraversal.codec must be one of ${codecs.map((c) => `"${c}"`).join(', ')}, got ` +
      (typeof q.codec === 'string' ? JSON.stringify(q.codec) : String(q.codec)));
  }
  const codec = q.codec as QuantizedCodec;
  const rerank = q.rerank ?? DEFAULTS.quantizedTraversal.rerank;
  if (typeof rerank !== 'number' || !Number.isInteger(rerank) || rerank < 0 || rerank > MAX_EF) {
    throw invalid(`quantizedTraversal.rerank must be an integer from 0 to ${MAX_EF} (0: every ef candidate), got ${String(rerank)}`);
  }
  const minTrain = codec === 'pq8' ? LIMITS.minTierTrainItems : 1;
  const trainItems = q.trainItems ?? DEFAULTS.quantizedTraversal.trainItems;
  if (typeof trainItems !== 'number' || !Number.isInteger(trainItems) || trainItems < minTrain || trainItems > MAX_TRAIN_ITEMS) {
    throw invalid(`quantizedTraversal.trainItems must be an integer from ${minTrain} to ${MAX_TRAIN_ITEMS}` +
      `${codec === 'pq8' ? ' (pq8 has 256 centroids per sub-quantizer)' : ''}, got ${String(trainItems)}`);
  }
  return { codec, rerank, trainItems };
}

/** Turns it on for a fresh index; returns the core's rc (0, or -1 with the error set). */
export function enableQuantized(mod: NeurovecWasmModule, handle: number, q: ResolvedQuantized): number {
  return mod._nv_enable_quantized(handle, QUANTIZED_CODECS.indexOf(q.codec), q.rerank, q.trainItems);
}


/** The configuration and state, or undefined for an index without it. */
export function quantizedInfo(mod: NeurovecWasmModule, handle: number): (ResolvedQuantized & { trained: boolean }) | undefined {
  const q = readDoubles(mod, 4, (ptr) => mod._nv_quantized_info(handle, ptr));
  if (q[0] === 0) return undefined;
  return { codec: QUANTIZED_CODECS[q[0]] as QuantizedCodec, rerank: q[1], trainItems: q[2], trained: q[3] === 1 };
}

export function memoryStats(mod: NeurovecWasmModule, handle: number): MemoryStats {
  const m = readDoubles(mod, 6, (ptr) => mod._nv_memory_stats(handle, ptr));
  return { vectors: m[0], codes: m[1], graph: m[2], other: m[3], total: m[4], rawF32: m[5] };
}
