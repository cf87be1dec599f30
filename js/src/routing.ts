// Learned routing in the JS API (VectorIndex::TrainRouter in the core,
// routing/stop_policy.h): option checks, training in slices that yield to the
// event loop (progress, AbortSignal), and the routing counters. Kept apart
// from vector_index.ts, like learning.ts and tiers.ts.
import { NeurovecError, invalid } from './errors.js';
import { yieldToEventLoop } from './runtime.js';
import type { Metric, RouterReport, RoutingMode, RoutingStats, TrainRouterOptions } from './types.js';
import { checkFinite, checkInteger, checkVector, describeValue, MAX_EF } from './validation.js';
import { readDoubles, type NeurovecWasmModule } from './wasm_module.js';

export const ROUTING_MODES: readonly RoutingMode[] = ['auto', 'plain', 'learned'];
const ROUTER_PROGRESS_COUNT = 46;
const ROUTING_STATS_COUNT = 12;
const OPTION_NAMES = ['k', 'ef', 'items', 'queries', 'calibrationShare', 'targetRecall', 'seed', 'skipRank', 'plainWhenFaster', 'walksPerStep', 'threads', 'onProgress', 'signal'];
/** The target recalls a router calibrates (StopModel::kTargetRecalls). */
export const ROUTER_TARGET_RECALLS: readonly number[] = [0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99];

/** What the routing calls need of a VectorIndex. */
export interface RoutingHost {
  mod: NeurovecWasmModule;
  handle(): number;
  dimensions: number;
  metric: Metric;
  error(): Error;
}

/** The routing code and target recall of search options (0: the router's default). */
export function resolveSearchRouting(routing: unknown, recall: unknown): { code: number; recall: number } {
  let code = 0;
  if (routing !== undefined) {
    code = ROUTING_MODES.indexOf(routing as RoutingMode);
    if (code < 0) throw invalid(`routing must be 'auto', 'plain' or 'learned', got ${describeValue(routing)}`);
  }
  if (recall === undefined) return { code, recall: 0 };
  if (typeof recall !== 'number' || !(recall > 0 && recall <= 1)) {
    throw invalid(`recall must be a number in (0, 1] (the mean recall@k the learned walk aims for), got ${describeValue(recall)}`);
  }
  return { code, recall };
}

function fraction(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalid(`${name} must be a number from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

function abortError(): NeurovecError {
  return new NeurovecError('ABORTED', 'trainRouter() was aborted by its AbortSignal; the index keeps the router it had');
}

/** Flat rows of the given queries, checked. */
export function flatQueries(host: RoutingHost, queries: unknown): Float32Array {
  const d = host.dimensions;
  if (queries instanceof Float32Array) {
    if (queries.length === 0 || queries.length % d !== 0) {
      throw invalid(`queries has ${queries.length} values; expected a multiple of the dimensions (${d})`);
    }
    for (let i = 0; i < queries.length / d; i++) checkFinite(queries, i * d, d, host.metric, `queries[${i}]`);
    return queries;
  }
  if (!Array.isArray(queries)) throw invalid('queries must be a flat Float32Array or an array of vectors');
  const flat = new Float32Array(queries.length * d);
  for (let i = 0; i < queries.length; i++) flat.set(checkVector(queries[i], d, host.metric, `queries[${i}]`), i * d);
  return flat;
}

export async function trainRouter(host: RoutingHost, options: TrainRouterOptions = {}): Promise<RouterReport> {
  if (options === null || typeof options !== 'object') throw invalid('trainRouter expects an options object like { k: 10 }');
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) throw invalid(`unknown trainRouter option "${key}"; expected one of ${OPTION_NAMES.join(', ')}`);
  }
  const k = checkInteger('k', options.k ?? 10, 1, 64);
  const ef = checkInteger('ef', options.ef ?? 128, k, MAX_EF);
  const items = checkInteger('items', options.items ?? 3000, 20, 1000000);
  const share = fraction('calibrationShare', options.calibrationShare ?? 0.7, 0.1, 0.9);
  const target = fraction('targetRecall', options.targetRecall ?? 0.99, 0.5, 1);
  const seed = checkInteger('seed', options.seed ?? 1, 0, Number.MAX_SAFE_INTEGER);
  const skipRank = checkInteger('skipRank', options.skipRank ?? 64, 0, 128);
  if (skipRank % 16 !== 0) throw invalid(`skipRank must be a multiple of 16 from 0 to 128, got ${skipRank}`);
  const plainWhenFaster = options.plainWhenFaster ?? true;
  if (typeof plainWhenFaster !== 'boolean') throw invalid(`plainWhenFaster must be true or false, got ${describeValue(plainWhenFaster)}`);
  const perStep = checkInteger('walksPerStep', options.walksPerStep ?? 50, 1, 1 << 20);
  const pool = host.mod.nvThreads ?? 1;
  const threads = options.threads === undefined ? pool : checkInteger('threads', options.threads, 1, 64);
  const { onProgress, signal } = options;
  if (onProgress !== undefined && typeof onProgress !== 'function') throw invalid('onProgress must be a function');
  if (signal !== undefined && (signal === null || typeof signal.aborted !== 'boolean')) throw invalid('signal must be an AbortSignal');
  const queries = options.queries === undefined ? undefined : flatQueries(host, options.queries);
  const queryCount = queries ? queries.length / host.dimensions : 0;
  if (queries && queryCount < 20) throw invalid(`trainRouter needs at least 20 queries, got ${queryCount}`);
  if (signal?.aborted) throw abortError();

  const mod = host.mod;
  // The core copies the queries at begin: the buffer is freed right after.
  const qptr = queries ? mod._malloc(queries.byteLength) : 0;
  try {
    if (queries) mod.HEAPF32.set(queries, qptr >>> 2);
    // The training keeps the thread count it began with (at most the pool).
    mod._nv_set_threads(Math.min(threads, pool));
    if (mod._nv_router_train_begin(host.handle(), k, ef, items, share, target, seed, qptr, queryCount, skipRank, plainWhenFaster ? 1 : 0) < 0) throw host.error();
  } finally {
    if (qptr) mod._free(qptr);
  }
  for (;;) {
    let done = false;
    const p = readDoubles(mod, ROUTER_PROGRESS_COUNT, (out) => {
      const rc = mod._nv_router_train_step(host.handle(), perStep, out);
      if (rc < 0) throw host.error();
      done = rc === 1;
    });
    try {
      onProgress?.({ walksDone: p[0], walksTotal: p[1] });
    } catch (error) {
      // The router is installed once done; a throwing callback before that ends the training.
      if (!done) mod._nv_router_train_cancel(host.handle());
      throw error;
    }
    if (done) {
      return {
        trainingWalks: p[2], calibrationWalks: p[3], records: p[4], seconds: p[5], fullWalkRecall: p[6],
        fullWalkComputations: p[7], routedRecall: p[8], routedComputations: p[9], modelBytes: p[10],
        routedEstimates: p[11], skipRank: p[12], threads: p[13],
        plainWalks: ROUTER_TARGET_RECALLS.map((targetRecall, i) => ({
          targetRecall, plainEf: p[14 + i], plainServes: p[22 + i] === 1, learnedMicros: p[30 + i], plainMicros: p[38 + i],
        })),
      };
    }
    await yieldToEventLoop();
    if (!host.handle()) throw new NeurovecError('DISPOSED', 'this VectorIndex was disposed during trainRouter()');
    if (signal?.aborted) {
      mod._nv_router_train_cancel(host.handle());
      throw abortError();
    }
  }
}

export function dropRouter(host: RoutingHost): void {
  if (host.mod._nv_drop_router(host.handle()) < 0) throw host.error();
}

export function routingStats(mod: NeurovecWasmModule, handle: number): RoutingStats {
  const r = readDoubles(mod, ROUTING_STATS_COUNT, (ptr) => mod._nv_routing_stats(handle, ptr));
  return {
    trained: r[0] === 1, k: r[1], ef: r[2], learnedSearches: r[3], earlyStops: r[4], fallbacks: r[5], changesSinceTraining: r[6], unfamiliar: r[7],
    skippedNeighbours: r[8], skipRank: r[9], skipTableBytes: r[10], plainServed: r[11],
  };
}
