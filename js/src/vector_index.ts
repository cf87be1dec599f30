// The TypeScript API over the WebAssembly core. Synchronous in-memory calls;
// only create() is async (it loads the module once per process).
//
// Heap discipline: the wasm memory may grow during any call that allocates,
// which detaches every typed-array view of it. Views are therefore taken from
// the module (`this.mod.HEAPF32`, ...) right before each use, never kept.
import { codeFromCore, invalid, NeurovecError } from './errors.js';
import type {
  AdaptToWorkloadOptions, AdaptToWorkloadReport, AddBatchOptions, CreateOptions, FileStats, Id, IndexHealth, IndexStats, LearningOptions, MaintenanceOptions, OptimizeOptions, OptimizeReport, Metadata, Metric, OpenOptions, PagingStats,
  SearchOptions,
  RouterReport, SearchResult, StorageTarget, TierCounts, TrainRouterOptions, VectorLike, WorkloadSamplingOptions,
} from './types.js';
import {
  checkFinite, checkId, checkInteger, checkK, checkMetadata, checkVector, decodeId, decodeText, encodeId, encodeTextInto,
  MAX_EF, maxEncodedIdBytes, METRICS,
} from './validation.js';
import { resolveCreateOptions, type ResolvedOptions } from './options.js';
import { LIMITS } from './limits.js';
import { decodeFileStats, decodePagingStats, readCString, Scratch, yieldToEventLoop } from './runtime.js';
import { getFileStore, type FileStore } from './storage/file_store.js';
import { hostStorage } from './storage/host_storage.js';
import { describeTarget, getStorageOpeners, type OpenMode, type SyncStorage } from './storage/sync_storage.js';
import { enableQuantized, memoryStats, quantizedInfo } from './quantized.js';
import { enableTiers, recompress, tierInfo, tierMemory } from './tiers.js';
import { dropRouter, resolveSearchRouting, routingStats, trainRouter, type RoutingHost } from './routing.js';
import { adaptToWorkload, setWorkloadSampling, WorkloadAutoAdapter, workloadStats } from './workload.js';
import {
  FILE_STATS_COUNT, getModule, PAGING_STATS_COUNT, readDoubles, STATS_COUNT, type NeurovecWasmModule,
} from './wasm_module.js';
import {
  configureLearning, giveFeedback, learningStats, searchLearned, SEARCH_MODES, train, type DifferentiableSearchResult, type Feedback,
  type LearningHost, type LearningModule, type SearchMode, type SubgraphSearchResult, type TrainOptions,
  type TrainProgress,
} from './learning.js';
import { OnnxRefinerError, type OnnxRefiner } from './onnx_refiner.js';
import { searchWithOnnx, type NeuralSearchBatch, type OnnxRefinerStats } from './onnx_search.js';

const encoder = new TextEncoder();
/** Vectors an opened index keeps in memory, by default (OpenOptions.pageCacheBytes). */
const DEFAULT_PAGE_CACHE_BYTES = 64 * 1024 * 1024;

/** @internal What a layer built on the index (neurovec/text) may use. */
export interface LayerHost {
  mod: NeurovecWasmModule;
  handle(): number;
  scratch(bytes: number): number;
  slotOf(id: Id): number;
  idOf(slot: number): Id;
  forgetSlot(slot: number): void;
  metadataOf(slot: number): Metadata | undefined;
  error(): NeurovecError;
}

/** The options search() and searchBatch() share, checked: ef (0: the index's), filter as JSON, routing. */
function searchArguments(options: SearchOptions): { ef: number; filterJson: string; routing: ReturnType<typeof resolveSearchRouting> } {
  const ef = options.ef === undefined ? 0 : checkInteger('ef', options.ef, 1, MAX_EF);
  let filterJson = '';
  if (options.filter !== undefined) {
    const f = options.filter;
    if (f === null || typeof f !== 'object' || Array.isArray(f)) {
      throw invalid('filter must be an object like { category: "shoes" }');
    }
    filterJson = JSON.stringify(f);
  }
  return { ef, filterJson, routing: resolveSearchRouting(options.routing, options.recall) };
}

export class VectorIndex {
  readonly dimensions: number;
  readonly metric: Metric;
  readonly options: Readonly<ResolvedOptions>;

  private mod: NeurovecWasmModule;
  private handle: number;
  // Scratch regions: vectors, ids/JSON bytes, search output, small outputs.
  private vec: Scratch;
  private bytes: Scratch;
  private out: Scratch;
  private small: Scratch;
  // slot -> id, filled on add: saves decoding ids from the heap on every result.
  private ids: Id[] = [];
  // searchNeural's ONNX refiner (useOnnxRefiner) and its counters.
  private onnxRefiner: OnnxRefiner | undefined;
  private onnxStats: OnnxRefinerStats = { attached: false, batches: 0, queries: 0, fallbacks: 0 };
  // The file of a durable index (until close()).
  private storage: SyncStorage | undefined;

  private readonly workloadAuto: WorkloadAutoAdapter;
  private adaptsOnItsOwn: boolean;

  private constructor(mod: NeurovecWasmModule, handle: number, options: ResolvedOptions, storage?: SyncStorage) {
    this.storage = storage;
    this.mod = mod;
    this.handle = handle;
    this.options = Object.freeze({ ...options });
    this.dimensions = options.dimensions;
    this.metric = options.metric;
    this.vec = new Scratch(mod);
    this.bytes = new Scratch(mod);
    this.out = new Scratch(mod);
    this.small = new Scratch(mod);
    this.workloadAuto = new WorkloadAutoAdapter(this.routingHost());
    // An index opened from a file may carry adaptEvery (the workload section).
    this.adaptsOnItsOwn = workloadStats(this.routingHost()).adaptEvery > 0;
  }

  /**
   * Creates an empty index. With `storage` the index lives in a new file there
   * and is durable from the start: writes go to the file's log, and `sync()`
   * resolves once everything written before it survives a crash. Rejects with
   * a NeurovecError on bad options, an existing file (ALREADY_EXISTS) or a
   * file locked by another writer (LOCKED).
   */
  static async create(options: CreateOptions): Promise<VectorIndex> {
    const resolved = resolveCreateOptions(options);
    const mod = await getModule();
    const metric = METRICS.indexOf(resolved.metric);
    if (options.storage === undefined) {
      const handle = mod._nv_create(resolved.dimensions, metric, resolved.m, resolved.efConstruction, resolved.efSearch,
        resolved.seed, resolved.initialCapacity);
      if (!handle) throw VectorIndex.coreError(mod);
      VectorIndex.enableQuantizedOrDestroy(mod, handle, resolved);
      return new VectorIndex(mod, handle, resolved).withLearning(options.learning);
    }
    const storage = await VectorIndex.openStorage(options.storage, 'create');
    const handle = VectorIndex.withStorage(mod, storage, (h, name, nameLen) =>
      mod._nv_create_durable(resolved.dimensions, metric, resolved.m, resolved.efConstruction, resolved.efSearch,
        resolved.seed, resolved.initialCapacity, h, name, nameLen));
    VectorIndex.enableQuantizedOrDestroy(mod, handle, resolved);
    await storage.persist?.();
    return new VectorIndex(mod, handle, resolved, storage).withLearning(options.learning);
  }

  /**
   * Opens an index file: a path in Node (also files written by save(), the CLI
   * or the native library), `{ opfs: name }` or `{ indexedDB: name }` in
   * browsers. Nothing is re-inserted: the image is read and the log since it
   * replayed. Rejects with NOT_FOUND, NOT_AN_INDEX_FILE, UNSUPPORTED_VERSION,
   * CORRUPT (naming the section or offset), IO_ERROR or LOCKED.
   */
  static async open(target: StorageTarget, options: OpenOptions = {}): Promise<VectorIndex> {
    if (options === null || typeof options !== 'object') throw invalid('open options must be an object like { readOnly: true }');
    for (const key of Object.keys(options)) {
      if (key !== 'readOnly' && key !== 'verifyChecksums' && key !== 'pageCacheBytes') {
        throw invalid(`unknown open option "${key}"; expected readOnly, verifyChecksums or pageCacheBytes`);
      }
    }
    const pageCacheBytes = options.pageCacheBytes ?? DEFAULT_PAGE_CACHE_BYTES;
    if (typeof pageCacheBytes !== 'number' || !Number.isSafeInteger(pageCacheBytes) || pageCacheBytes < 0) {
      throw invalid(`pageCacheBytes must be a non-negative integer (bytes; 0 reads every vector at open), got ${String(pageCacheBytes)}`);
    }
    if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean') throw invalid('readOnly must be a boolean');
    if (options.verifyChecksums !== undefined && typeof options.verifyChecksums !== 'boolean') {
      throw invalid('verifyChecksums must be a boolean');
    }
    const readOnly = options.readOnly === true;
    const verify = options.verifyChecksums !== false;
    const mod = await getModule();
    const storage = await VectorIndex.openStorage(target, readOnly ? 'readonly' : 'readwrite');
    const handle = VectorIndex.withStorage(mod, storage, (h, name, nameLen) =>
      mod._nv_open_durable(h, name, nameLen, readOnly ? 1 : 0, verify ? 1 : 0, pageCacheBytes));
    await storage.persist?.();
    return new VectorIndex(mod, handle, VectorIndex.configOf(mod, handle), storage);
  }

  /** Resolves when every write made before the call is durable (no-op for in-memory indexes). */
  async sync(): Promise<void> {
    this.live();
    if (this.mod._nv_sync(this.handle) < 0) throw this.error();
    await this.storage?.persist?.();
  }

  /** Folds the log into a new image of the file (sync() does this by itself when the log grows large). */
  async checkpoint(): Promise<void> {
    this.live();
    if (this.mod._nv_checkpoint(this.handle) < 0) throw this.error();
    await this.storage?.persist?.();
  }

  /**
   * Syncs, releases the file and its writer lock, and frees the index's
   * memory (like dispose()). Rejects if the final sync fails; the memory is
   * freed either way.
   */
  async close(): Promise<void> {
    if (!this.handle) return;
    const storage = this.storage;
    const rc = this.mod._nv_close(this.handle);
    const error = rc < 0 ? this.error() : undefined;
    this.storage = undefined;
    this.dispose();
    await storage?.persist?.();
    if (error) throw error;
  }

  /** Replaces the metadata of an item (undefined: none). Throws NOT_FOUND for an unknown id. */
  setMetadata(id: Id, metadata: Metadata | undefined): void {
    this.live();
    checkId(id);
    const json = checkMetadata(metadata);
    const keyMax = maxEncodedIdBytes(id);
    const jsonMax = json.length * 3;
    const ptr = this.bytes.ensure(keyMax + jsonMax + 1);
    const heap = this.mod.HEAPU8;
    const keyLen = encodeId(id, heap, ptr);
    const jsonLen = json ? encodeTextInto(json, heap.subarray(ptr + keyLen, ptr + keyLen + jsonMax)) : 0;
    if (this.mod._nv_set_metadata(this.handle, ptr, keyLen, ptr + keyLen, jsonLen) < 0) throw this.error();
  }

  private static async openStorage(target: StorageTarget, mode: OpenMode): Promise<SyncStorage> {
    for (const opener of getStorageOpeners()) {
      const opened = opener(target, mode);
      if (opened) return opened;
    }
    throw invalid(`cannot open ${describeTarget(target)} here: expected a file path in Node, ` +
      "or { opfs: 'name' } / { indexedDB: 'name' } in browsers");
  }

  // Hands a storage to the core (which releases it when done, also on failure).
  private static withStorage(mod: NeurovecWasmModule, storage: SyncStorage,
    call: (handle: number, name: number, nameLen: number) => number): number {
    const table = hostStorage(mod);
    const h = table.register(storage);
    const nameBytes = encoder.encode(storage.name);
    const namePtr = mod._malloc(nameBytes.length + 1);
    if (!namePtr) {
      table.release(h);
      throw new NeurovecError('OUT_OF_RANGE', 'out of WebAssembly memory');
    }
    mod.HEAPU8.set(nameBytes, namePtr);
    let handle = 0;
    try {
      handle = call(h, namePtr, nameBytes.length);
    } finally {
      mod._free(namePtr);
    }
    if (!handle) {
      if (table.has(h)) table.release(h);
      throw VectorIndex.coreError(mod);
    }
    return handle;
  }

  // Quantized traversal or tiers are switched on right after creation (the index is
  // empty; a durable one is checkpointed so its file records it).
  private static enableQuantizedOrDestroy(mod: NeurovecWasmModule, handle: number, resolved: ResolvedOptions): void {
    const failed = (resolved.quantizedTraversal && enableQuantized(mod, handle, resolved.quantizedTraversal) !== 0) ||
      (resolved.tiers && enableTiers(mod, handle, resolved.tiers) !== 0);
    if (!failed) return;
    const error = VectorIndex.coreError(mod);
    mod._nv_destroy(handle);
    throw error;
  }

  /** Trains the quantized traversal's codec again on the live items and
   * re-encodes them (the data drifted, or to train before `trainItems`).
   * Throws FAILED_PRECONDITION without quantized traversal. */
  retrainQuantizer(): void {
    this.live();
    if (this.mod._nv_retrain_quantizer(this.handle) < 0) throw this.error();
  }

  /** Moves every item to the tier its access heat says now (with hysteresis)
   * and returns how many items moved into each tier. Trains the codebooks
   * first if needed (FAILED_PRECONDITION with fewer than 256 items, or
   * without tiers). */
  recompress(): TierCounts {
    this.live();
    const moved = recompress(this.mod, this.handle);
    if (!moved) throw this.error();
    return moved;
  }

  /** Trains the tiers' shared codebooks again on the live items and
   * re-encodes every non-hot item. FAILED_PRECONDITION without tiers. */
  retrainCodebooks(): void {
    this.live();
    if (this.mod._nv_retrain_codebooks(this.handle) < 0) throw this.error();
  }

  /** Drives the access clock of the tiers (seconds, never backwards) instead
   * of the wall clock: deterministic decay for tests and replays. */
  setTierClock(nowSeconds: number): void {
    this.live();
    if (this.mod._nv_set_tier_clock(this.handle, nowSeconds) < 0) throw this.error();
  }

  private static configOf(mod: NeurovecWasmModule, handle: number): ResolvedOptions {
    const out = mod._malloc(6 * 8);
    mod._nv_config(handle, out);
    const c = mod.HEAPF64.slice(out >>> 3, (out >>> 3) + 6);
    mod._free(out);
    return {
      dimensions: c[0], metric: METRICS[c[1]], m: c[2], efConstruction: c[3], efSearch: c[4], seed: c[5],
      initialCapacity: 0,
      ...VectorIndex.quantizedOptionsOf(mod, handle),
    };
  }

  private static quantizedOptionsOf(mod: NeurovecWasmModule, handle: number): Partial<ResolvedOptions> {
    const q = quantizedInfo(mod, handle);
    const t = tierInfo(mod, handle);
    return {
      ...(q ? { quantizedTraversal: { codec: q.codec, rerank: q.rerank, trainItems: q.trainItems } } : {}),
      ...(t ? { tiers: { thresholds: t.thresholds, halfLifeSeconds: t.halfLifeSeconds, hysteresis: t.hysteresis,
        rerank: t.rerank, migrationBudget: t.migrationBudget, trainItems: t.trainItems } } : {}),
    };
  }

  /**
   * An index read from the bytes of an index file (written by toBytes() or by
   * the native build: the format is the same). Rejects with a NeurovecError
   * coded NOT_AN_INDEX_FILE, UNSUPPORTED_VERSION or CORRUPT for bad bytes.
   */
  static async fromBytes(bytes: Uint8Array): Promise<VectorIndex> {
    if (!(bytes instanceof Uint8Array)) throw invalid('fromBytes expects a Uint8Array');
    const mod = await getModule();
    const ptr = mod._malloc(Math.max(bytes.length, 1));
    if (!ptr) throw new NeurovecError('OUT_OF_RANGE', `out of WebAssembly memory for a ${bytes.length}-byte index file`);
    let handle = 0;
    try {
      mod.HEAPU8.set(bytes, ptr);
      handle = mod._nv_load(ptr, bytes.length);
    } finally {
      mod._free(ptr);
    }
    if (!handle) throw VectorIndex.coreError(mod);
    return new VectorIndex(mod, handle, VectorIndex.configOf(mod, handle));
  }

  /** The whole index as the bytes of one index file (docs/file-format.md),
   * readable by fromBytes() here and by the native build. */
  async toBytes(): Promise<Uint8Array> {
    this.live();
    const lenPtr = this.small.ensure(STATS_COUNT * 8);
    const ptr = this.mod._nv_save(this.handle, lenPtr);
    if (!ptr) throw this.error();
    const len = this.mod.HEAPU32[lenPtr >>> 2];
    const bytes = this.mod.HEAPU8.slice(ptr, ptr + len);
    this.mod._free(ptr);
    return bytes;
  }

  /**
   * Writes a full snapshot of the index to another place (a checkpoint there):
   * a path in Node, replaced atomically (a temporary file beside it is written
   * and fsynced, renamed over the path, and the directory fsynced, so after a
   * crash the path holds the previous file or this one, complete); in browsers
   * a new `{ opfs }` or `{ indexedDB }` target, flushed. The result opens with
   * open() (and natively).
   */
  async save(target: StorageTarget): Promise<void> {
    this.live();
    if (typeof target === 'string') {
      const store = VectorIndex.fileStore(target);
      // The core streams the image into a temporary file beside the path and
      // fsyncs it; the rename (and the directory's fsync) then replaces the path.
      const tmp = `${target}.tmp-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
      try {
        this.saveToStorage(await VectorIndex.openStorage(tmp, 'create'));
        await store.replace(tmp, target);
      } catch (error) {
        await store.remove(tmp);
        throw error;
      }
      return;
    }
    const storage = await VectorIndex.openStorage(target, 'create');
    this.saveToStorage(storage);
    await storage.persist?.();
  }

  // The core writes a snapshot to `storage` in chunks and flushes it (the image
  // never lies whole in the wasm heap); the storage is closed either way.
  private saveToStorage(storage: SyncStorage): void {
    const table = hostStorage(this.mod);
    const h = table.register(storage);
    const nameBytes = encoder.encode(storage.name);
    const namePtr = this.mod._malloc(nameBytes.length + 1);
    if (!namePtr) {
      table.release(h);
      throw new NeurovecError('OUT_OF_RANGE', 'out of WebAssembly memory');
    }
    this.mod.HEAPU8.set(nameBytes, namePtr);
    let rc: number;
    try {
      rc = this.mod._nv_save_to_storage(this.handle, h, namePtr, nameBytes.length);
    } finally {
      this.mod._free(namePtr);
      if (table.has(h)) table.release(h);
    }
    if (rc < 0) throw this.error();
  }

  private static fileStore(path: unknown): FileStore {
    if (typeof path !== 'string' || path.length === 0) throw invalid('a file path (non-empty string) is expected');
    const store = getFileStore();
    if (!store) {
      throw new NeurovecError('INVALID_ARGUMENT',
        "file paths need Node; in browsers use { opfs: 'name' } or { indexedDB: 'name' }, or toBytes()/fromBytes()");
    }
    return store;
  }

  /** Adds one item. Throws (and changes nothing) on a duplicate id or bad input. */
  add(id: Id, vector: VectorLike, metadata?: Metadata): void {
    this.live();
    checkId(id);
    const v = checkVector(vector, this.dimensions, this.metric);
    const json = checkMetadata(metadata);
    const mod = this.mod;
    const vecPtr = this.vec.ensure(this.dimensions * 4);
    const jsonMax = json.length * 3;
    const keyMax = maxEncodedIdBytes(id);
    const bytesPtr = this.bytes.ensure(keyMax + jsonMax + 1);
    mod.HEAPF32.set(v, vecPtr >>> 2);
    const keyLen = encodeId(id, mod.HEAPU8, bytesPtr);
    const jsonLen = json ? encodeTextInto(json, mod.HEAPU8.subarray(bytesPtr + keyLen, bytesPtr + keyLen + jsonMax)) : 0;
    const slot = mod._nv_add(this.handle, bytesPtr, keyLen, vecPtr, bytesPtr + keyLen, jsonLen);
    if (slot < 0) throw this.error();
    this.ids[slot] = id;
  }

  /**
   * Adds many items. `vectors` is a flat Float32Array of ids.length * dimensions
   * values or an array of vectors. Everything is validated before anything is
   * inserted, so a bad item leaves the index unchanged.
   */
  addBatch(ids: ReadonlyArray<Id>, vectors: Float32Array | ReadonlyArray<VectorLike>, options: AddBatchOptions = {}): void {
    this.live();
    if (!Array.isArray(ids)) throw invalid(`ids must be an array of strings or integers, got ${typeof ids}`);
    const n = ids.length;
    const d = this.dimensions;
    const { metadata, onProgress } = options;
    const chunkSize = checkInteger('chunkSize', options.chunkSize ?? 1000, 1, 1 << 24);
    if (onProgress !== undefined && typeof onProgress !== 'function') throw invalid('onProgress must be a function');
    if (metadata !== undefined && (!Array.isArray(metadata) || metadata.length !== n)) {
      throw invalid(`metadata must be an array with one entry per id (${n})`);
    }
    // Validate all input first: types, lengths, values, ids unique and new.
    let flat: Float32Array;
    if (vectors instanceof Float32Array) {
      if (vectors.length !== n * d) {
        throw invalid(`vectors has ${vectors.length} values; expected ids.length * dimensions = ${n} * ${d} = ${n * d}`);
      }
      flat = vectors;
      for (let i = 0; i < n; i++) checkFinite(flat, i * d, d, this.metric, `vectors[${i}]`);
    } else if (Array.isArray(vectors)) {
      if (vectors.length !== n) throw invalid(`vectors has ${vectors.length} entries for ${n} ids`);
      flat = new Float32Array(n * d);
      for (let i = 0; i < n; i++) flat.set(checkVector(vectors[i], d, this.metric, `vectors[${i}]`), i * d);
    } else {
      throw invalid('vectors must be a flat Float32Array (ids.length * dimensions) or an array of vectors');
    }
    const seen = new Set<Id>();
    const jsons: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = checkId(ids[i], `ids[${i}]`);
      if (seen.has(id)) throw new NeurovecError('ALREADY_EXISTS', `ids[${i}]: id ${JSON.stringify(id)} appears twice in the batch`);
      seen.add(id);
      if (this.slotOf(id) >= 0) {
        throw new NeurovecError('ALREADY_EXISTS', `ids[${i}]: id ${JSON.stringify(id)} is already in the index`);
      }
      if (metadata) jsons.push(checkMetadata(metadata[i], `metadata[${i}]`));
    }

    const mod = this.mod;
    const pool = mod.nvThreads ?? 1;
    const threads = options.threads === undefined ? pool : checkInteger('threads', options.threads, 1, 64);
    mod._nv_set_threads(Math.min(threads, pool));
    for (let start = 0; start < n; start += chunkSize) {
      const end = Math.min(n, start + chunkSize);
      const count = end - start;
      let keyBytes = 0;
      let metaBytes = 0;
      for (let i = start; i < end; i++) {
        keyBytes += maxEncodedIdBytes(ids[i]);
        if (metadata) metaBytes += jsons[i].length * 3;
      }
      // Layout: [vectors][key offsets][meta offsets][out slots][key blob][meta blob]
      const vecBytes = count * d * 4;
      const offsetsBytes = (count + 1) * 4;
      const base = this.bytes.ensure(vecBytes + 3 * offsetsBytes + keyBytes + metaBytes + 8);
      const vecPtr = base;
      const keyOffPtr = vecPtr + vecBytes;
      const metaOffPtr = keyOffPtr + offsetsBytes;
      const slotsPtr = metaOffPtr + offsetsBytes;
      const keyBlob = slotsPtr + offsetsBytes;
      const metaBlob = keyBlob + keyBytes;
      mod.HEAPF32.set(flat.subarray(start * d, end * d), vecPtr >>> 2);
      const heap8 = mod.HEAPU8;
      const heap32 = mod.HEAPU32;
      let k = 0;
      let m = 0;
      for (let i = start; i < end; i++) {
        heap32[(keyOffPtr >>> 2) + (i - start)] = k;
        k += encodeId(ids[i], heap8, keyBlob + k);
        if (metadata) {
          heap32[(metaOffPtr >>> 2) + (i - start)] = m;
          const json = jsons[i];
          if (json) m += encodeTextInto(json, heap8.subarray(metaBlob + m, metaBlob + metaBytes));
        }
      }
      heap32[(keyOffPtr >>> 2) + count] = k;
      heap32[(metaOffPtr >>> 2) + count] = m;
      const rc = mod._nv_add_batch(this.handle, count, keyBlob, keyOffPtr, vecPtr, metaBlob,
        metadata ? metaOffPtr : 0, slotsPtr);
      if (rc < 0) throw this.error();
      const slots = mod.HEAPU32;
      for (let i = start; i < end; i++) this.ids[slots[(slotsPtr >>> 2) + (i - start)]] = ids[i];
      onProgress?.({ done: end, total: n });
    }
  }

  /** The k nearest live items (ascending distance), optionally only those matching a filter.
   * With `mode` other than 'vector': re-ranked by the learned refiner (learning.ts). */
  search(query: VectorLike, k: number, options?: SearchOptions & { mode?: 'vector' | 'neural' }): SearchResult[];
  search(query: VectorLike, k: number, options: SearchOptions & { mode: 'subgraph' }): SubgraphSearchResult;
  search(query: VectorLike, k: number, options: SearchOptions & { mode: 'differentiable' }): DifferentiableSearchResult;
  search(query: VectorLike, k: number, options?: SearchOptions): SearchResult[] | SubgraphSearchResult | DifferentiableSearchResult;
  search(query: VectorLike, k: number, options: SearchOptions = {}): SearchResult[] | SubgraphSearchResult | DifferentiableSearchResult {
    this.live();
    checkK(k);
    if (options === null || typeof options !== 'object') throw invalid('search options must be an object like { ef: 100 }');
    const mode: SearchMode = options.mode ?? 'vector';
    if (!SEARCH_MODES.includes(mode)) {
      throw invalid(`unknown search mode ${JSON.stringify(mode)}; expected one of ${SEARCH_MODES.map((m) => `'${m}'`).join(', ')}`);
    }
    const q = checkVector(query, this.dimensions, this.metric, 'query');
    const { ef, filterJson, routing } = searchArguments(options);
    if (mode !== 'vector') {
      if (options.routing !== undefined || options.recall !== undefined) {
        throw invalid("routing and recall apply to mode 'vector' (the learned modes re-rank a plain walk's candidates)");
      }
      return searchLearned(this.learningHost(), q, k, ef, filterJson, mode, options.temperature, options.expand,
        options.memory);
    }
    if (options.temperature !== undefined) throw invalid("temperature applies to mode 'differentiable' only");
    if (options.expand !== undefined) throw invalid("expand applies to the learned modes ('neural', 'subgraph', 'differentiable')");
    if (options.memory !== undefined) throw invalid("memory applies to the learned modes ('neural', 'subgraph', 'differentiable')");
    const mod = this.mod;
    const vecPtr = this.vec.ensure(this.dimensions * 4);
    const outPtr = this.out.ensure(k * 8);
    let filterPtr = 0;
    let filterLen = 0;
    if (filterJson) {
      filterPtr = this.bytes.ensure(filterJson.length * 3 + 1);
      filterLen = encodeTextInto(filterJson, mod.HEAPU8.subarray(filterPtr, filterPtr + filterJson.length * 3));
    }
    mod.HEAPF32.set(q, vecPtr >>> 2);
    const count = mod._nv_search_routed(this.handle, vecPtr, k, ef, filterPtr, filterLen, routing.code, routing.recall,
      outPtr, outPtr + k * 4);
    if (count < 0) throw this.error();
    // Copy the output out of the heap first: idOf/metadataOf may allocate, and
    // an allocation that grows the memory detaches views taken before it.
    const slots = mod.HEAPU32.slice(outPtr >>> 2, (outPtr >>> 2) + count);
    const distances = mod.HEAPF32.slice((outPtr >>> 2) + k, (outPtr >>> 2) + k + count);
    if (this.adaptsOnItsOwn) this.workloadAuto.afterSearch();
    return this.results(slots, distances, 0, count);
  }

  /**
   * Searches many queries with the same k and options: `queries` is a flat
   * Float32Array of n * dimensions values or an array of vectors. Returns one
   * list per query, in order, each what search(query, k, options) returns
   * (mode 'vector' only). With the threaded build (configureWasm) the queries
   * are spread over the pool (`threads`, default the whole pool); otherwise
   * they run one after the other. An index paged from its file searches on
   * the pool when its page cache (`pageCacheBytes`) can hold every paged
   * block: this thread then reads the file for the pool's threads. With a
   * smaller cache the batch runs on this thread, since each read would cross
   * threads.
   */
  searchBatch(queries: Float32Array | ReadonlyArray<VectorLike>, k: number,
    options: SearchOptions & { threads?: number } = {}): SearchResult[][] {
    this.live();
    checkK(k);
    if (options === null || typeof options !== 'object') throw invalid('search options must be an object like { ef: 100 }');
    if (options.mode !== undefined && options.mode !== 'vector') {
      throw invalid(`searchBatch supports mode 'vector' only, got ${JSON.stringify(options.mode)}`);
    }
    if (options.temperature !== undefined) throw invalid("temperature applies to mode 'differentiable' only");
    if (options.expand !== undefined) throw invalid("expand applies to the learned modes, which searchBatch does not run");
    if (options.memory !== undefined) throw invalid("memory applies to the learned modes, which searchBatch does not run");
    const d = this.dimensions;
    let flat: Float32Array;
    if (queries instanceof Float32Array) {
      if (queries.length % d !== 0) {
        throw invalid(`queries has ${queries.length} values; expected a multiple of dimensions (${d})`);
      }
      flat = queries;
      for (let i = 0; i < flat.length / d; i++) checkFinite(flat, i * d, d, this.metric, `queries[${i}]`);
    } else if (Array.isArray(queries)) {
      flat = new Float32Array(queries.length * d);
      for (let i = 0; i < queries.length; i++) flat.set(checkVector(queries[i], d, this.metric, `queries[${i}]`), i * d);
    } else {
      throw invalid('queries must be a flat Float32Array (n * dimensions) or an array of vectors');
    }
    const { ef, filterJson, routing } = searchArguments(options);
    const mod = this.mod;
    const pool = mod.nvThreads ?? 1;
    const threads = options.threads === undefined ? pool : checkInteger('threads', options.threads, 1, 64);
    mod._nv_set_threads(Math.min(threads, pool));
    const n = flat.length / d;
    const out: SearchResult[][] = [];
    // Chunks bound the heap a batch needs (queries and results of 1024 at a time).
    const CHUNK = 1024;
    for (let start = 0; start < n; start += CHUNK) {
      const count = Math.min(CHUNK, n - start);
      const filterBytes = filterJson ? filterJson.length * 3 + 1 : 0;
      const base = this.bytes.ensure(count * d * 4 + count * k * 8 + count * 4 + filterBytes);
      const queriesPtr = base;
      const slotsPtr = queriesPtr + count * d * 4;
      const distancesPtr = slotsPtr + count * k * 4;
      const countsPtr = distancesPtr + count * k * 4;
      const filterPtr = countsPtr + count * 4;
      const filterLen = filterJson
        ? encodeTextInto(filterJson, mod.HEAPU8.subarray(filterPtr, filterPtr + filterBytes))
        : 0;
      mod.HEAPF32.set(flat.subarray(start * d, (start + count) * d), queriesPtr >>> 2);
      const rc = mod._nv_search_batch(this.handle, count, queriesPtr, k, ef, filterLen ? filterPtr : 0, filterLen,
        routing.code, routing.recall, slotsPtr, distancesPtr, countsPtr);
      if (rc < 0) throw this.error();
      // Copied out before idOf/metadataOf (which may allocate) run.
      const slots = mod.HEAPU32.slice(slotsPtr >>> 2, (slotsPtr >>> 2) + count * k);
      const distances = mod.HEAPF32.slice(distancesPtr >>> 2, (distancesPtr >>> 2) + count * k);
      const counts = mod.HEAPU32.slice(countsPtr >>> 2, (countsPtr >>> 2) + count);
      for (let i = 0; i < count; i++) out.push(this.results(slots, distances, i * k, counts[i]));
    }
    if (this.adaptsOnItsOwn) this.workloadAuto.afterSearch();
    return out;
  }

  /** Results from copied-out slots and distances [from, from + count). */
  private results(slots: Uint32Array, distances: Float32Array, from: number, count: number): SearchResult[] {
    const results: SearchResult[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const slot = slots[from + i];
      const result: SearchResult = { id: this.idOf(slot), distance: distances[from + i] };
      const metadata = this.metadataOf(slot);
      if (metadata !== undefined) result.metadata = metadata;
      results[i] = result;
    }
    return results;
  }

  /**
   * Sets the learner's options (what `create({ learning })` sets), for an
   * index that was opened or created without them. FAILED_PRECONDITION once
   * feedback was recorded or a model was learned: the options are fixed then.
   */
  configureLearning(options: LearningOptions): void {
    this.live();
    configureLearning(this.learningHost(), options);
  }

  /**
   * Records relevance feedback for a query, in either form:
   * - clicks as a result list gives them: `{ clicked, shown?, rejected? }`
   *   (shown results ranked above the last click and not clicked count as
   *   negatives; `implicit` changes that);
   * - explicit judgements: `{ positive, negative? }`.
   * train() learns from it, or each call learns at once when the index was
   * created with `learning: { onlineSteps }`. Memory is bounded
   * (learning.feedbackCapacity events, reservoir-sampled).
   */
  feedback(query: VectorLike, feedback: Feedback): void {
    this.live();
    const q = checkVector(query, this.dimensions, this.metric, 'query');
    giveFeedback(this.learningHost(), q, feedback);
  }

  /**
   * Trains the query refiner on the feedback recorded since the last train()
   * (with replay / EWC per the learning options). Yields to the event loop
   * between batches, so onProgress and the AbortSignal work; aborting rejects
   * with ABORTED and leaves the model as it was. The learned parameters are
   * saved by toBytes()/save()/checkpoint().
   */
  train(options: TrainOptions = {}): Promise<TrainProgress> {
    this.live();
    return train(this.learningHost(), options);
  }

  /**
   * Trains the router: a small model that ends the graph walk once its top-k
   * is likely final, so searches with its k compute fewer distances for the
   * same recall (search option `recall` picks the effort). It learns from the
   * index itself (sampled stored items, each leaving itself out, with exact
   * neighbours by scan) or from `queries` you give (for example ones your
   * users asked), and replaces any earlier router. Yields to the event loop
   * between slices of walks (onProgress, signal); a write to the index meanwhile
   * rejects with FAILED_PRECONDITION. The router is part of the index file
   * (toBytes(), save(); a durable index is checkpointed) and routes the same
   * natively (`neurovec train-router`, the heavy path with threads) and in wasm.
   */
  trainRouter(options: TrainRouterOptions = {}): Promise<RouterReport> {
    this.live();
    return trainRouter(this.routingHost(), options);
  }

  /** Forgets the router: every search walks plainly (a durable index is checkpointed). */
  dropRouter(): void {
    this.live();
    dropRouter(this.routingHost());
  }

  /**
   * Keeps a sample of the last `capacity` queries this index searches (without
   * a filter), for adaptToWorkload() (capacity x dimensions floats of memory;
   * 0 turns it off). With `adaptEvery`, the index adapts again on its own
   * every so many sampled queries (see WorkloadSamplingOptions). The settings
   * are kept in the file (from the next save or checkpoint); the sampled
   * queries are not.
   */
  setWorkloadSampling(capacity: number, options: WorkloadSamplingOptions = {}): void {
    this.live();
    this.adaptsOnItsOwn = setWorkloadSampling(this.routingHost(), capacity, options) > 0;
  }

  /**
   * Adapts where searches start to the workload: the sampled queries (or
   * `queries`) are clustered, and the stored item nearest each centre becomes
   * an entry hint. A search near a hint starts its walk there instead of
   * descending through the graph's upper levels; one far from every hint pays
   * `hints` distances and walks as before. Replaces earlier hints; call it
   * again when stats().workload.unhintedSearches grows (the workload moved),
   * or let setWorkloadSampling's adaptEvery do it. The hints are kept in the
   * file from the next save or checkpoint. bench/results/workload.md measures
   * what they save.
   */
  adaptToWorkload(options: AdaptToWorkloadOptions = {}): AdaptToWorkloadReport {
    this.live();
    return adaptToWorkload(this.routingHost(), options);
  }

  /** Forgets the entry hints: every search descends from the top again. */
  dropWorkloadAdaptation(): void {
    this.live();
    this.mod._nv_drop_workload_adaptation(this.handle);
  }

  private routingHost(): RoutingHost {
    return { mod: this.mod, handle: () => this.handle, dimensions: this.dimensions, metric: this.metric, error: () => this.error() };
  }

  /**
   * Attaches a query refiner run by ONNX Runtime Web (OnnxRefiner.create), used
   * by searchNeural(); null detaches it. Throws OnnxRefinerError('mismatch')
   * when the model takes vectors of another size than this index's.
   */
  useOnnxRefiner(refiner: OnnxRefiner | null): void {
    this.live();
    if (refiner !== null && refiner.dimensions !== this.dimensions) {
      throw new OnnxRefinerError('mismatch',
        `the ONNX refiner takes ${refiner.dimensions}-dimensional vectors, this index has ${this.dimensions} dimensions`);
    }
    this.onnxRefiner = refiner ?? undefined;
    this.onnxStats.attached = refiner !== null;
  }

  /**
   * Neural search of a batch of queries with the attached ONNX refiner: the
   * candidates of all queries are scored in one ONNX Runtime call (per distinct
   * candidate count). Same ranking as search(q, k, { mode: 'neural' }) with the
   * built-in refiner (which stays synchronous; ONNX Runtime is asynchronous).
   * If the refiner fails to run, the results are those of vector mode and
   * `refiner` is 'vector' with `fallback` set to the OnnxRefinerError.
   */
  async searchNeural(queries: ReadonlyArray<VectorLike>, k: number, options: SearchOptions = {}): Promise<NeuralSearchBatch> {
    this.live();
    checkK(k);
    if (!Array.isArray(queries)) throw invalid('searchNeural expects an array of query vectors');
    if (options === null || typeof options !== 'object') throw invalid('search options must be an object like { ef: 100 }');
    if (options.mode !== undefined && options.mode !== 'neural') throw invalid("searchNeural runs mode 'neural' only");
    if (options.expand !== undefined) {
      throw invalid('expand is not supported by searchNeural (the ONNX refiner re-ranks the candidates only); use search()');
    }
    const refiner = this.onnxRefiner;
    if (!refiner) {
      throw new NeurovecError('FAILED_PRECONDITION', 'no ONNX refiner attached: call useOnnxRefiner(await OnnxRefiner.create(modelBytes)) first');
    }
    const qs = queries.map((q, i) => checkVector(q, this.dimensions, this.metric, `queries[${i}]`));
    const ef = options.ef === undefined ? 0 : checkInteger('ef', options.ef, 1, MAX_EF);
    const filterJson = options.filter === undefined ? '' : JSON.stringify(options.filter);
    const host = {
      ...this.learningHost(),
      vectorSearch: (q: ArrayLike<number>, kk: number) => this.search(q, kk, { ef: options.ef, filter: options.filter }),
    };
    return searchWithOnnx(host, refiner, this.onnxStats, qs, k, ef, filterJson, options.memory);
  }

  /** Counters of the ONNX refiner: batches and queries run, fallbacks to vector mode and the last error. */
  onnxRefinerStats(): OnnxRefinerStats {
    return { ...this.onnxStats };
  }

  /** Deletes an item; returns false if the id is not in the index. */
  delete(id: Id): boolean {
    this.live();
    checkId(id);
    const ptr = this.bytes.ensure(maxEncodedIdBytes(id));
    const len = encodeId(id, this.mod.HEAPU8, ptr);
    const slot = this.mod._nv_slot_of(this.handle, ptr, len);
    const rc = this.mod._nv_remove(this.handle, ptr, len);
    if (rc < 0) throw this.error();
    if (rc === 1 && slot >= 0) delete this.ids[slot];
    return rc === 1;
  }

  /** The stored vector and metadata of an id, or undefined. For cosine the
   * vector is rebuilt from its unit direction and norm (equal up to float rounding). */
  get(id: Id): { vector: Float32Array; metadata?: Metadata } | undefined {
    this.live();
    checkId(id);
    const slot = this.slotOf(id);
    if (slot < 0) return undefined;
    const ptr = this.vec.ensure(this.dimensions * 4);
    this.mod._nv_get_vector(this.handle, slot, ptr);
    const vector = this.mod.HEAPF32.slice(ptr >>> 2, (ptr >>> 2) + this.dimensions);
    const metadata = this.metadataOf(slot);
    return metadata === undefined ? { vector } : { vector, metadata };
  }

  /** Whether an id is in the index. */
  has(id: Id): boolean {
    this.live();
    checkId(id);
    return this.slotOf(id) >= 0;
  }

  /** Number of live items. */
  get size(): number {
    this.live();
    return this.mod._nv_size(this.handle);
  }

  stats(): IndexStats {
    const s = this.rawStats();
    const mod = this.mod;
    const quantized = quantizedInfo(mod, this.handle);
    const tiers = tierInfo(mod, this.handle);
    return {
      size: s[0],
      deleted: s[1],
      capacity: s[2],
      dimensions: s[3],
      metric: METRICS[s[4]],
      maxLevel: s[5],
      searches: s[6],
      distanceComputations: s[7],
      hops: s[8],
      lastSearch: { distanceComputations: s[9], hops: s[10], exactScan: s[11] === 1 },
      memoryBytes: s[12],
      maintenance: {
        budgetMsPerWrite: s[13], triggerFraction: s[14], passes: s[15], listsRelinked: s[16], reconnected: s[17],
        changesSincePass: s[18], passActive: s[19] === 1, progress: s[20], milliseconds: s[21], unreachableAfterLastPass: s[22],
      },
      routing: routingStats(mod, this.handle),
      workload: workloadStats(this.routingHost(), this.workloadAuto),
      learning: learningStats(mod as LearningModule, this.handle),
      memory: { ...memoryStats(mod, this.handle), ...(tiers ? { tiers: tierMemory(mod, this.handle) } : {}) },
      ...(quantized ? { quantizedTraversal: quantized } : {}),
      ...(tiers ? { tiers: tiers.counts } : {}),
      kernel: readCString(mod, mod._nv_kernel_name()),
      threads: {
        build: mod.nvThreads ? 'pthreads' : 'single', pool: mod.nvThreads ?? 1,
        ...(mod.nvThreadsFallback ? { fallback: mod.nvThreadsFallback } : {}),
      },
      ...this.fileStats(),
      ...this.pagingStats(),
    };
  }

  private pagingStats(): { paging?: PagingStats } {
    return decodePagingStats(readDoubles(this.mod, PAGING_STATS_COUNT, (ptr) => this.mod._nv_paging_stats(this.handle, ptr)));
  }

  private fileStats(): { file?: FileStats } {
    const ptr = this.small.ensure(Math.max(STATS_COUNT, FILE_STATS_COUNT) * 8);
    this.mod._nv_file_stats(this.handle, ptr);
    return decodeFileStats(this.mod.HEAPF64.slice(ptr >>> 3, (ptr >>> 3) + FILE_STATS_COUNT));
  }

  /** Frees the index's WebAssembly memory. The index is unusable afterwards.
   * A durable index's file is released without a final sync (use close()). */
  dispose(): void {
    if (!this.handle) return;
    this.storage = undefined;
    this.mod._nv_destroy(this.handle);
    this.handle = 0;
    this.vec.free();
    this.bytes.free();
    this.out.free();
    this.small.free();
    this.ids = [];
  }

  // ---- internals ----

  /** @internal The layer above (neurovec/text) reaches the core through this. */
  layerHost(): LayerHost {
    this.live();
    return {
      mod: this.mod,
      handle: () => this.handle,
      scratch: (bytes) => this.bytes.ensure(bytes),
      slotOf: (id) => this.slotOf(id),
      idOf: (slot) => this.idOf(slot),
      forgetSlot: (slot) => { delete this.ids[slot]; },
      metadataOf: (slot) => this.metadataOf(slot),
      error: () => this.error(),
    };
  }

  private withLearning(options: CreateOptions['learning']): this {
    if (options === undefined) return this;
    try {
      configureLearning(this.learningHost(), options);
    } catch (error) {
      this.dispose();
      throw error;
    }
    return this;
  }

  private learningHost(): LearningHost {
    return {
      mod: this.mod as LearningModule,
      handle: () => this.handle,
      scratch: (bytes) => this.bytes.ensure(bytes),
      slotOf: (id) => {
        checkId(id);
        return this.slotOf(id);
      },
      idOf: (slot) => this.idOf(slot),
      metadataOf: (slot) => this.metadataOf(slot),
      writeVector: (vector, ptr) => this.mod.HEAPF32.set(vector, ptr >>> 2),
      dimensions: this.dimensions,
      error: () => this.error(),
    };
  }

  private live(): void {
    if (!this.handle) throw new NeurovecError('DISPOSED', 'this VectorIndex was disposed');
  }

  /**
   * Walks the graph (every link) and reports how sound it is: live items no
   * search can reach, links left pointing at deleted items, the spread of
   * out-degrees. O(items * m); reads a paged index's lists from its file.
   */
  health(): IndexHealth {
    this.live();
    const count = 7 + 2 * LIMITS.maxM + 1;
    const ptr = this.small.ensure(count * 8);
    if (this.mod._nv_health(this.handle, ptr) < 0) throw this.error();
    const h = this.mod.HEAPF64.slice(ptr >>> 3, (ptr >>> 3) + count);
    return {
      live: h[0], tombstones: h[1], unreachable: h[2], unreachableThroughTombstones: h[3], linksToTombstones: h[4],
      meanOutDegree: h[5], degreeHistogram: Array.from(h.subarray(7, 7 + h[6])),
    };
  }

  /**
   * Repairs the graph: links from live items to deleted ones are replaced,
   * then live items no search can reach are linked from reachable ones. Ids,
   * vectors and metadata do not change. A durable index is checkpointed
   * afterwards (the log holds no graph repairs). With `budgetMs`, the repair
   * runs in slices of about that length with the event loop free in between
   * (see OptimizeOptions); writes between slices are fine.
   */
  async optimize(options: OptimizeOptions = {}): Promise<OptimizeReport> {
    this.live();
    if (options === null || typeof options !== 'object') throw invalid('options must be an object');
    const { onProgress, signal } = options;
    const budgetMs = options.budgetMs ?? 0;
    if (typeof budgetMs !== 'number' || !Number.isFinite(budgetMs) || budgetMs < 0 || budgetMs > 3_600_000) {
      throw invalid(`budgetMs must be a number of milliseconds between 0 and 3600000 (0: no budget), got ${String(budgetMs)}`);
    }
    if (onProgress !== undefined && typeof onProgress !== 'function') throw invalid('onProgress must be a function');
    if (signal !== undefined && (signal === null || typeof signal.aborted !== 'boolean')) throw invalid('signal must be an AbortSignal');
    let slices = 0;
    let longestSliceMs = 0;
    for (;;) {
      if (signal?.aborted) throw new NeurovecError('ABORTED', 'optimize() was aborted by its AbortSignal; what was repaired so far stays');
      const ptr = this.small.ensure(6 * 8);
      const t = performance.now();
      const rc = this.mod._nv_optimize(this.handle, budgetMs, ptr);
      longestSliceMs = Math.max(longestSliceMs, performance.now() - t);
      slices++;
      if (rc < 0) throw this.error();
      const r = this.mod.HEAPF64.slice(ptr >>> 3, (ptr >>> 3) + 6);
      onProgress?.(r[5]);
      if (r[4] === 1) {
        await this.storage?.persist?.();
        return { listsRelinked: r[0], reconnected: r[1], unreachableBefore: r[2], unreachableAfter: r[3], slices, longestSliceMs };
      }
      await yieldToEventLoop();
      this.live();
    }
  }

  /**
   * Automatic repair while writing (see MaintenanceOptions): with
   * `budgetMsPerWrite` > 0, each add, addBatch and delete spends about that
   * long on a repair pass once one is due. Options left out keep their
   * current values. Not stored in the file: set it after create() or open().
   */
  setMaintenance(options: MaintenanceOptions): void {
    this.live();
    if (options === null || typeof options !== 'object') throw invalid('maintenance options must be an object like { budgetMsPerWrite: 2 }');
    for (const key of Object.keys(options)) {
      if (key !== 'budgetMsPerWrite' && key !== 'triggerFraction') {
        throw invalid(`unknown maintenance option "${key}"; expected budgetMsPerWrite or triggerFraction`);
      }
    }
    const s = this.rawStats();
    const budget = options.budgetMsPerWrite ?? s[13];
    const trigger = options.triggerFraction ?? s[14];
    if (typeof budget !== 'number' || !Number.isFinite(budget) || budget < 0 || budget > 3_600_000) {
      throw invalid(`budgetMsPerWrite must be a number of milliseconds between 0 and 3600000 (0: off), got ${String(budget)}`);
    }
    if (typeof trigger !== 'number' || !(trigger > 0 && trigger <= 1)) {
      throw invalid(`triggerFraction must be a number in (0, 1], got ${String(trigger)}`);
    }
    if (this.mod._nv_set_maintenance(this.handle, budget, trigger) < 0) throw this.error();
  }

  private rawStats(): Float64Array {
    this.live();
    const ptr = this.small.ensure(STATS_COUNT * 8);
    this.mod._nv_stats(this.handle, ptr);
    return this.mod.HEAPF64.slice(ptr >>> 3, (ptr >>> 3) + STATS_COUNT);
  }

  private slotOf(id: Id): number {
    const ptr = this.small.ensure(Math.max(maxEncodedIdBytes(id), STATS_COUNT * 8));
    const len = encodeId(id, this.mod.HEAPU8, ptr);
    return this.mod._nv_slot_of(this.handle, ptr, len);
  }

  private idOf(slot: number): Id {
    const cached = this.ids[slot];
    if (cached !== undefined) return cached;
    const lenPtr = this.small.ensure(STATS_COUNT * 8);
    const ptr = this.mod._nv_key_of(this.handle, slot, lenPtr);
    const len = this.mod.HEAPU32[lenPtr >>> 2];
    const id = decodeId(this.mod.HEAPU8.subarray(ptr, ptr + len));
    this.ids[slot] = id;
    return id;
  }

  private metadataOf(slot: number): Metadata | undefined {
    const lenPtr = this.small.ensure(STATS_COUNT * 8);
    const ptr = this.mod._nv_metadata_of(this.handle, slot, lenPtr);
    const len = this.mod.HEAPU32[lenPtr >>> 2];
    if (len === 0) return undefined;
    return JSON.parse(decodeText(this.mod.HEAPU8.subarray(ptr, ptr + len))) as Metadata;
  }

  private error(): NeurovecError {
    return VectorIndex.coreError(this.mod);
  }

  private static coreError(mod: NeurovecWasmModule): NeurovecError {
    const ptr = mod._nv_last_error();
    let end = ptr;
    while (mod.HEAPU8[end] !== 0) end++;
    return new NeurovecError(codeFromCore(mod._nv_last_error_code()), decodeText(mod.HEAPU8.subarray(ptr, end)));
  }
}
