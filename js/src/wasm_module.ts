import { NeurovecError } from './errors.js';
/** The raw Emscripten module (wasm/neurovec_c.h), typed by hand: Emscripten
 * 3.1.6 cannot emit TypeScript declarations. Pointers are byte offsets into the heap. */
export interface NeurovecWasmModule {
  HEAPU8: Uint8Array;
  HEAPU32: Uint32Array;
  HEAPF32: Float32Array;
  HEAPF64: Float64Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  _nv_create(dimensions: number, metric: number, m: number, efConstruction: number, efSearch: number,
    seed: number, initialCapacity: number): number;
  _nv_destroy(index: number): void;
  _nv_last_error(): number;
  _nv_last_error_code(): number;
  _nv_add(index: number, key: number, keyLen: number, vector: number, meta: number, metaLen: number): number;
  _nv_add_batch(index: number, n: number, keyBlob: number, keyOffsets: number, vectors: number, metaBlob: number,
    metaOffsets: number, outSlots: number): number;
  _nv_set_threads(threads: number): number;
  _nv_search_batch(index: number, n: number, queries: number, k: number, ef: number, filter: number, filterLen: number,
    routing: number, targetRecall: number, outSlots: number, outDistances: number, outCounts: number): number;
  /** Workers in the pool of the threaded build; absent in the single-thread build. */
  nvThreads?: number;
  /** Why the default asked for threads and got the single-thread build (set by the loader). */
  nvThreadsFallback?: string;
  _nv_search(index: number, query: number, k: number, ef: number, filter: number, filterLen: number,
    outSlots: number, outDistances: number): number;
  _nv_search_routed(index: number, query: number, k: number, ef: number, filter: number, filterLen: number,
    routing: number, targetRecall: number, outSlots: number, outDistances: number): number;
  _nv_router_train_begin(index: number, k: number, ef: number, items: number, calibrationShare: number,
    targetRecall: number, seed: number, queries: number, queryCount: number, skipRank: number, plainWhenFaster: number): number;
  _nv_router_train_step(index: number, maxWalks: number, out: number): number;
  _nv_router_train_cancel(index: number): void;
  _nv_drop_router(index: number): number;
  _nv_routing_stats(index: number, out: number): void;
  _nv_remove(index: number, key: number, keyLen: number): number;
  _nv_slot_of(index: number, key: number, keyLen: number): number;
  _nv_get_vector(index: number, slot: number, out: number): void;
  _nv_key_of(index: number, slot: number, outLen: number): number;
  _nv_metadata_of(index: number, slot: number, outLen: number): number;
  _nv_stats(index: number, out: number): void;
  _nv_size(index: number): number;
  _nv_kernel_name(): number;
  _nv_save(index: number, outLen: number): number;
  _nv_save_to_storage(index: number, storage: number, name: number, nameLen: number): number;
  _nv_health(index: number, out: number): number;
  _nv_optimize(index: number, budgetMs: number, out: number): number;
  _nv_set_maintenance(index: number, budgetMsPerWrite: number, triggerFraction: number): number;
  _nv_set_workload_sampling(index: number, capacity: number, adaptEvery: number, hints: number, coverage: number,
    minQueries: number, seed: number): number;
  _nv_adapt_workload_if_due(index: number): number;
  _nv_workload_adaptation_due(index: number): number;
  _nv_adapt_to_workload(index: number, hints: number, coverage: number, minQueries: number, seed: number,
    queries: number, queryCount: number, out: number): number;
  _nv_drop_workload_adaptation(index: number): void;
  _nv_workload_stats(index: number, out: number): void;
  _nv_load(data: number, len: number): number;
  _nv_config(index: number, out: number): void;
  _nv_create_durable(dimensions: number, metric: number, m: number, efConstruction: number, efSearch: number,
    seed: number, initialCapacity: number, storage: number, name: number, nameLen: number): number;
  _nv_open_durable(storage: number, name: number, nameLen: number, readOnly: number, verifyChecksums: number,
    pageCacheBytes: number): number;
  _nv_sync(index: number): number;
  _nv_checkpoint(index: number): number;
  _nv_close(index: number): number;
  _nv_set_metadata(index: number, key: number, keyLen: number, meta: number, metaLen: number): number;
  _nv_file_stats(index: number, out: number): void;
  _nv_enable_quantized(index: number, codec: number, rerank: number, trainItems: number): number;
  _nv_retrain_quantizer(index: number): number;
  _nv_quantized_info(index: number, out: number): void;
  _nv_memory_stats(index: number, out: number): void;
  _nv_paging_stats(index: number, out: number): void;
  _nv_enable_tiers(index: number, hot: number, warm: number, cool: number, cold: number, halfLifeSeconds: number,
    hysteresis: number, rerank: number, migrationBudget: number, trainItems: number): number;
  _nv_recompress(index: number, out: number): number;
  _nv_retrain_codebooks(index: number): number;
  _nv_set_tier_clock(index: number, nowSeconds: number): number;
  _nv_tier_info(index: number, out: number): void;
  _nv_tier_memory(index: number, out: number): void;
}

/** Number of doubles nv_file_stats writes (NV_FILE_STATS_COUNT). */
export const FILE_STATS_COUNT = 9;

/** Number of doubles nv_paging_stats writes (NV_PAGING_STATS_COUNT). */
export const PAGING_STATS_COUNT = 14;

/** Number of doubles nv_stats writes (NV_STATS_COUNT). */
export const STATS_COUNT = 23;

/** `threads`: 1 asks for the single-thread build; more, the threaded one
 * (where the environment has it); undefined, the environment's default. */
export type ModuleLoader = (threads: number | undefined) => Promise<NeurovecWasmModule>;

let loader: ModuleLoader | undefined;
let loaded: Promise<NeurovecWasmModule> | undefined;
let requestedThreads: number | undefined;

/** Set by the environment entry point (index.node.ts / index.browser.ts). */
export function setModuleLoader(fn: ModuleLoader): void {
  loader = fn;
}

/** Threads the module will be loaded with (configureWasm). Only before it loads. */
export function setRequestedThreads(threads: number): void {
  if (loaded) {
    throw new NeurovecError('FAILED_PRECONDITION', 'configureWasm({ threads }) must be called before the first index is ' +
      'created or opened: the WebAssembly module is loaded once per process (or worker)');
  }
  requestedThreads = threads;
}

/** The module, instantiated once per process (or worker) and shared by all indexes. */
export function getModule(): Promise<NeurovecWasmModule> {
  if (!loaded) {
    if (!loader) throw new Error('neurovec: no WebAssembly loader for this environment');
    loaded = loader(requestedThreads).catch((error: unknown) => {
      loaded = undefined; // let a later call retry
      throw error;
    });
  }
  return loaded;
}

/** Runs `fill` on a scratch buffer of `count` doubles in the wasm heap and returns a copy. */
export function readDoubles(mod: NeurovecWasmModule, count: number, fill: (ptr: number) => void): Float64Array {
  const ptr = mod._malloc(count * 8);
  try {
    fill(ptr);
    return mod.HEAPF64.slice(ptr >>> 3, (ptr >>> 3) + count);
  } finally {
    mod._free(ptr);
  }
}

const VIEW_TYPES = {
  HEAP8: Int8Array, HEAPU8: Uint8Array, HEAP16: Int16Array, HEAPU16: Uint16Array,
  HEAP32: Int32Array, HEAPU32: Uint32Array, HEAPF32: Float32Array, HEAPF64: Float64Array,
} as const;

/**
 * The threaded build's memory is a SharedArrayBuffer that any thread may grow.
 * A grow on a pool thread gives `memory.buffer` a new, longer object, but the
 * glue refreshes `Module.HEAP*` only in its own code on the main thread, so a
 * view taken from the module after a threaded call could stop short of memory
 * malloc now hands out. Here the views are getters that follow the buffer.
 */
export function threadedModule(mod: NeurovecWasmModule, threads: number): NeurovecWasmModule {
  const memory = (mod as unknown as { wasmMemory?: WebAssembly.Memory }).wasmMemory;
  if (!memory) throw new Error('neurovec: the threaded module does not export its memory');
  let buffer: ArrayBufferLike | undefined;
  const views: Record<string, ArrayBufferView> = {};
  for (const name of Object.keys(VIEW_TYPES)) {
    Object.defineProperty(mod, name, {
      configurable: true,
      get() {
        if (memory.buffer !== buffer) {
          buffer = memory.buffer;
          for (const [n, V] of Object.entries(VIEW_TYPES)) views[n] = new V(buffer);
        }
        return views[name];
      },
      set() {
        // The glue's own refresh: the getter already follows the buffer.
      },
    });
  }
  // Pool threads are worker_threads in Node: unref'd, an idle pool does not keep the process alive.
  const pool = (mod as unknown as { PThread?: { unusedWorkers?: Array<{ unref?: () => void }> } }).PThread;
  for (const worker of pool?.unusedWorkers ?? []) worker.unref?.();
  mod.nvThreads = threads;
  return mod;
}
