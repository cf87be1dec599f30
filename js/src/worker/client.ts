// 'neurovec/worker': the VectorIndex API, asynchronous, with the index running
// in a dedicated module Worker. Pages cannot use OPFS sync access handles (and
// a big batch would block their main thread); a Worker can. Every method
// returns a Promise and posts one request; the worker answers requests in the
// order they were made, and a failure comes back as a NeurovecError with the
// code and message the index gave in the worker.
import { NeurovecError } from '../errors.js';
import type {
  AddBatchOptions, BatchProgress, CreateOptions, Id, IndexHealth, IndexStats, MaintenanceOptions, Metadata, OptimizeOptions, OptimizeReport, Metric, OpenOptions, SearchOptions, SearchResult,
  RouterReport, StorageTarget, TrainRouterOptions, VectorLike, AdaptToWorkloadOptions, AdaptToWorkloadReport,
  WorkloadSamplingOptions,
} from '../types.js';
import { unpackResults, type IndexInfo, type Method, type Methods, type PackedResults, type Response, type WorkerOptions } from './protocol.js';

export { NeurovecError } from '../errors.js';
export { WorkerTextIndex } from './text_client.js';
export type { WorkerTextAddBatchOptions, TextFeedback, TextIndexOptions, TextIndexStats, TextSearchOptions, TextSearchResult, TextSearchMode } from './text_client.js';
export type { NeurovecErrorCode } from '../errors.js';
export type * from '../types.js';

/** Where the index runs. */
// WorkerOptions lives in protocol.ts, so text_client.ts need not import this module.
export type { WorkerOptions } from './protocol.js';

export interface WorkerAddBatchOptions extends AddBatchOptions {
  /** Hand `vectors`' buffer to the worker instead of copying it (a flat
   * Float32Array only). The caller's array is detached (length 0) afterwards. */
  transfer?: boolean;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  onProgress?: AddBatchOptions['onProgress'];
}

function startWorker(options: WorkerOptions): Worker {
  if (typeof Worker !== 'function') {
    throw new NeurovecError('FAILED_PRECONDITION',
      "neurovec/worker needs a browser with Web Workers; in Node use VectorIndex from 'neurovec'");
  }
  const given = options.worker;
  if (given !== undefined && typeof given === 'object' && !(given instanceof URL)) return given;
  return new Worker(given ?? new URL('./worker_main.js', import.meta.url), { type: 'module', name: 'neurovec' });
}

export class WorkerVectorIndex {
  /** Set once the index is created or opened. */
  dimensions = 0;
  metric: Metric = 'cosine';

  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: NeurovecError | undefined;
  private ended = false;

  private constructor(private readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<Response>) => this.receive(event.data);
    // A worker that cannot load (wrong URL, a bundler that dropped it) or dies
    // of an uncaught error: every waiting call fails, and so does every later one.
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.fail(new NeurovecError('IO_ERROR', `the neurovec worker failed: ${event.message || 'it could not be loaded'}; ` +
        "if a bundler moved it, pass { worker: new Worker(<url of neurovec's worker_main.js>, { type: 'module' }) }"));
    };
    worker.onmessageerror = () => {
      this.fail(new NeurovecError('INTERNAL', 'a message from the neurovec worker could not be deserialized'));
    };
  }

  /** Creates an index in a new Worker; `options` as for VectorIndex.create,
   * e.g. `{ dimensions: 384, storage: { opfs: 'docs.nvx' } }`. */
  static create(options: CreateOptions, workerOptions: WorkerOptions = {}): Promise<WorkerVectorIndex> {
    return WorkerVectorIndex.start(workerOptions, 'create', [options]);
  }

  /** Opens an index file (`{ opfs }` or `{ indexedDB }`) in a new Worker. */
  static open(target: StorageTarget, options: OpenOptions = {}, workerOptions: WorkerOptions = {}): Promise<WorkerVectorIndex> {
    return WorkerVectorIndex.start(workerOptions, 'open', [target, options]);
  }

  /** An index read from index file bytes, in a new Worker (the bytes are copied). */
  static fromBytes(bytes: Uint8Array, workerOptions: WorkerOptions = {}): Promise<WorkerVectorIndex> {
    return WorkerVectorIndex.start(workerOptions, 'fromBytes', [bytes]);
  }

  private static async start<M extends 'create' | 'open' | 'fromBytes'>(workerOptions: WorkerOptions, method: M,
    args: Methods[M][0]): Promise<WorkerVectorIndex> {
    if (workerOptions === null || typeof workerOptions !== 'object') {
      throw new NeurovecError('INVALID_ARGUMENT', 'worker options must be an object like { worker: url }');
    }
    const index = new WorkerVectorIndex(startWorker(workerOptions));
    try {
      if (workerOptions.threads !== undefined) await index.call('configureWasm', [{ threads: workerOptions.threads }]);
      const info = (await index.call(method, args)) as IndexInfo;
      index.dimensions = info.dimensions;
      index.metric = info.metric;
      return index;
    } catch (error) {
      index.end();
      throw error;
    }
  }

  add(id: Id, vector: VectorLike, metadata?: Metadata): Promise<void> {
    return this.call('add', [id, vector as Float32Array, metadata]) as Promise<void>;
  }

  /** Adds many items (validated as a whole in the worker first). A flat
   * Float32Array is copied, or handed over with `{ transfer: true }`. */
  addBatch(ids: ReadonlyArray<Id>, vectors: Float32Array | ReadonlyArray<VectorLike>,
    options: WorkerAddBatchOptions = {}): Promise<void> {
    if (options === null || typeof options !== 'object') {
      return Promise.reject(new NeurovecError('INVALID_ARGUMENT', 'addBatch options must be an object'));
    }
    const { onProgress, transfer, metadata, chunkSize } = options;
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      return Promise.reject(new NeurovecError('INVALID_ARGUMENT', 'onProgress must be a function'));
    }
    let payload = vectors as Float32Array;
    const transferList: Transferable[] = [];
    if (vectors instanceof Float32Array) {
      // Either way the worker gets its own buffer; a copy keeps the caller's array usable.
      payload = transfer ? vectors : vectors.slice();
      if (payload.byteOffset === 0 && payload.byteLength === payload.buffer.byteLength) transferList.push(payload.buffer);
    }
    return this.call('addBatch', [ids as Id[], payload, { metadata, chunkSize, progress: onProgress !== undefined }],
      transferList, onProgress) as Promise<void>;
  }

  search(query: VectorLike, k: number, options: SearchOptions = {}): Promise<SearchResult[]> {
    return this.call('search', [query as Float32Array, k, options]) as Promise<SearchResult[]>;
  }

  /** Many queries in one message (a flat Float32Array of n * dimensions, or an array of vectors): one result list per query. */
  searchBatch(queries: Float32Array | ReadonlyArray<VectorLike>, k: number, options: SearchOptions = {}): Promise<SearchResult[][]> {
    return (this.call('searchBatch', [queries as Float32Array, k, options]) as Promise<SearchResult[][] | PackedResults>)
      .then((value) => ('packed' in value ? unpackResults(value) : value));
  }

  delete(id: Id): Promise<boolean> {
    return this.call('delete', [id]) as Promise<boolean>;
  }

  get(id: Id): Promise<{ vector: Float32Array; metadata?: Metadata } | undefined> {
    return this.call('get', [id]) as Promise<{ vector: Float32Array; metadata?: Metadata } | undefined>;
  }

  has(id: Id): Promise<boolean> {
    return this.call('has', [id]) as Promise<boolean>;
  }

  setMetadata(id: Id, metadata: Metadata | undefined): Promise<void> {
    return this.call('setMetadata', [id, metadata]) as Promise<void>;
  }

  /** Resolves when every write made before the call is durable. */
  sync(): Promise<void> {
    return this.call('sync', []) as Promise<void>;
  }

  checkpoint(): Promise<void> {
    return this.call('checkpoint', []) as Promise<void>;
  }

  stats(): Promise<IndexStats> {
    return this.call('stats', []) as Promise<IndexStats>;
  }

  /** VectorIndex.health(), in the worker. */
  health(): Promise<IndexHealth> {
    return this.call('health', []) as Promise<IndexHealth>;
  }

  /**
   * VectorIndex.optimize(), in the worker. With `budgetMs`, the repair runs in
   * slices and the requests sent after it (searches) are answered between its
   * slices, before it ends. `signal` is not available across the worker.
   */
  optimize(options: Omit<OptimizeOptions, 'signal'> = {}): Promise<OptimizeReport> {
    const { budgetMs, onProgress } = options ?? {};
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      return Promise.reject(new NeurovecError('INVALID_ARGUMENT', 'onProgress must be a function'));
    }
    return this.call('optimize', [{ budgetMs, progress: onProgress !== undefined }], [],
      onProgress as unknown as AddBatchOptions['onProgress']) as Promise<OptimizeReport>;
  }

  /**
   * VectorIndex.trainRouter(), in the worker (requests sent meanwhile wait for
   * it). Queries given as an array of vectors are flattened here; a flat
   * Float32Array is copied. `signal` is not available across the worker.
   */
  trainRouter(options: Omit<TrainRouterOptions, 'signal'> = {}): Promise<RouterReport> {
    if (options === null || typeof options !== 'object') {
      return Promise.reject(new NeurovecError('INVALID_ARGUMENT', 'trainRouter expects an options object like { k: 10 }'));
    }
    const { onProgress, queries, ...rest } = options;
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      return Promise.reject(new NeurovecError('INVALID_ARGUMENT', 'onProgress must be a function'));
    }
    if ('signal' in options) {
      return Promise.reject(new NeurovecError('INVALID_ARGUMENT', 'signal is not available across the worker'));
    }
    const flat = this.flatQueries(queries);
    if (flat instanceof NeurovecError) return Promise.reject(flat);
    return this.call('trainRouter', [{ ...rest, ...(flat ? { queries: flat } : {}), progress: onProgress !== undefined }],
      flat ? [flat.buffer] : [], onProgress as unknown as AddBatchOptions['onProgress']) as Promise<RouterReport>;
  }

  /** Queries for the worker: a copy of a flat Float32Array, or an array of
   * vectors flattened; undefined stays undefined; anything else is an error. */
  private flatQueries(queries: unknown): Float32Array | undefined | NeurovecError {
    if (queries === undefined) return undefined;
    if (queries instanceof Float32Array) return queries.slice();
    if (!Array.isArray(queries)) {
      return new NeurovecError('INVALID_ARGUMENT', 'queries must be a flat Float32Array or an array of vectors');
    }
    const d = this.dimensions;
    const flat = new Float32Array(queries.length * d);
    for (let i = 0; i < queries.length; i++) {
      const q = queries[i];
      if (!q || typeof q !== 'object' || (q as ArrayLike<number>).length !== d) {
        return new NeurovecError('INVALID_ARGUMENT', `queries[${i}] must be a vector of ${d} numbers`);
      }
      flat.set(q as ArrayLike<number>, i * d);
    }
    return flat;
  }

  /** VectorIndex.setWorkloadSampling(), in the worker (adaptEvery's adaptations run there). */
  setWorkloadSampling(capacity: number, options: WorkloadSamplingOptions = {}): Promise<void> {
    return this.call('setWorkloadSampling', [capacity, options]) as Promise<void>;
  }

  /** VectorIndex.adaptToWorkload(), in the worker. Queries as for trainRouter(). */
  adaptToWorkload(options: AdaptToWorkloadOptions = {}): Promise<AdaptToWorkloadReport> {
    if (options === null || typeof options !== 'object') {
      return Promise.reject(new NeurovecError('INVALID_ARGUMENT', 'adaptToWorkload expects an options object like { hints: 8 }'));
    }
    const { queries, ...rest } = options;
    const flat = this.flatQueries(queries);
    if (flat instanceof NeurovecError) return Promise.reject(flat);
    return this.call('adaptToWorkload', [{ ...rest, ...(flat ? { queries: flat } : {}) }],
      flat ? [flat.buffer] : []) as Promise<AdaptToWorkloadReport>;
  }

  /** VectorIndex.dropWorkloadAdaptation(), in the worker. */
  dropWorkloadAdaptation(): Promise<void> {
    return this.call('dropWorkloadAdaptation', []) as Promise<void>;
  }

  /** VectorIndex.dropRouter(), in the worker. */
  dropRouter(): Promise<void> {
    return this.call('dropRouter', []) as Promise<void>;
  }

  /** VectorIndex.setMaintenance(), in the worker. */
  setMaintenance(options: MaintenanceOptions): Promise<void> {
    return this.call('setMaintenance', [options]) as Promise<void>;
  }

  /** Number of live items. */
  size(): Promise<number> {
    return this.call('size', []) as Promise<number>;
  }

  toBytes(): Promise<Uint8Array> {
    return this.call('toBytes', []) as Promise<Uint8Array>;
  }

  /** A full snapshot of the index into a new `{ opfs }` or `{ indexedDB }` target. */
  save(target: StorageTarget): Promise<void> {
    return this.call('save', [target]) as Promise<void>;
  }

  /** Syncs, releases the file and its lock, and ends the worker. Rejects if
   * the final sync fails; the worker ends either way. */
  async close(): Promise<void> {
    if (this.ended) return;
    try {
      await this.call('close', []);
    } finally {
      this.end();
    }
  }

  /** Ends the worker without a final sync (writes since the last sync may be lost). */
  async dispose(): Promise<void> {
    if (this.ended) return;
    try {
      await this.call('dispose', []);
    } catch {
      // Ending the worker below frees everything anyway.
    } finally {
      this.end();
    }
  }

  // ---- internals ----

  private call<M extends Method>(method: M, args: Methods[M][0], transfer: Transferable[] = [],
    onProgress?: AddBatchOptions['onProgress']): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.reject(new NeurovecError('DISPOSED', 'this WorkerVectorIndex was closed or disposed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      try {
        this.worker.postMessage({ id, method, args }, transfer);
      } catch (error) {
        // DataCloneError: a function, a DOM node or similar among the arguments.
        reject(new NeurovecError('INVALID_ARGUMENT',
          `${method}: the arguments cannot be sent to the worker (${(error as Error)?.message ?? error}); ` +
          'expected plain data: numbers, strings, arrays, typed arrays and plain objects'));
        return;
      }
      this.pending.set(id, { resolve, reject, onProgress });
    });
  }

  private receive(message: Response): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if ('progress' in message) {
      try {
        // Each request's progress messages carry what its own callback takes.
        pending.onProgress?.(message.progress as BatchProgress);
      } catch {
        // A throwing progress callback must not lose the call's answer.
      }
      return;
    }
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.value);
    else pending.reject(new NeurovecError(message.error.code, message.error.message));
  }

  private fail(error: NeurovecError): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.worker.terminate();
    for (const pending of this.pending.values()) {
      pending.reject(new NeurovecError('DISPOSED', 'this WorkerVectorIndex was closed or disposed'));
    }
    this.pending.clear();
  }
}
