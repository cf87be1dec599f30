// Messages between WorkerVectorIndex (client.ts, in the page) and the worker
// (worker_main.ts). Every request carries an id; the worker answers each with
// the same id, in order, except optimize with a budget, which runs between
// the requests that arrive after it (answered when it is done). Vectors and byte arrays travel as transferred buffers.
import type { NeurovecErrorCode } from '../errors.js';
import type {
  BatchProgress, CreateOptions, Id, IndexHealth, IndexStats, MaintenanceOptions, Metadata, OptimizeReport, OpenOptions,
  RouterReport, RouterTrainingProgress, SearchOptions, SearchResult, StorageTarget, TrainRouterOptions,
  AdaptToWorkloadOptions, AdaptToWorkloadReport, WorkloadSamplingOptions,
} from '../types.js';

/** What the worker needs to know of addBatch's options (onProgress becomes progress messages). */
export interface WorkerAddBatchOptions {
  metadata?: ReadonlyArray<Metadata | undefined>;
  chunkSize?: number;
  progress?: boolean;
}

/** optimize()'s options as they travel (onProgress becomes progress messages). */
export interface WorkerOptimizeOptions {
  budgetMs?: number;
  progress?: boolean;
}

/** trainRouter()'s options as they travel: queries flat, onProgress as progress messages. */
export type WorkerTrainRouterOptions = Omit<TrainRouterOptions, 'onProgress' | 'signal' | 'queries'> & {
  queries?: Float32Array;
  progress?: boolean;
};

/**
 * searchBatch's lists when every result is a numeric id and a distance (the
 * vector mode, no metadata): three typed arrays, transferred, instead of one
 * object per result, which the structured clone would write and read one by
 * one (about 9 ms for 2,000 lists of 10, against a batch of 270 ms on 2
 * threads). The client rebuilds the objects.
 */
export interface PackedResults {
  packed: true;
  /** Results per query. */
  counts: Uint32Array;
  ids: Float64Array;
  distances: Float64Array;
}

/** The packed form of `lists`, or undefined when a result carries more than a numeric id and a distance. */
export function packResults(lists: SearchResult[][]): PackedResults | undefined {
  let total = 0;
  for (const list of lists) {
    for (const r of list) {
      if (typeof r.id !== 'number' || r.score !== undefined || r.metadata !== undefined) return undefined;
    }
    total += list.length;
  }
  const counts = new Uint32Array(lists.length);
  const ids = new Float64Array(total);
  const distances = new Float64Array(total);
  let at = 0;
  lists.forEach((list, q) => {
    counts[q] = list.length;
    for (const r of list) {
      ids[at] = r.id as number;
      distances[at++] = r.distance;
    }
  });
  return { packed: true, counts, ids, distances };
}

/** The lists `packResults` packed. */
export function unpackResults(p: PackedResults): SearchResult[][] {
  const lists: SearchResult[][] = new Array(p.counts.length);
  let at = 0;
  for (let q = 0; q < p.counts.length; q++) {
    const list: SearchResult[] = new Array(p.counts[q]);
    for (let i = 0; i < list.length; i++, at++) list[i] = { id: p.ids[at], distance: p.distances[at] };
    lists[q] = list;
  }
  return lists;
}

/** Method name -> [arguments, result]. */
export interface Methods {
  configureWasm: [[options: { threads?: number | 'auto' }], void];
  create: [[options: Omit<CreateOptions, never>], IndexInfo];
  open: [[target: StorageTarget, options: OpenOptions], IndexInfo];
  fromBytes: [[bytes: Uint8Array], IndexInfo];
  add: [[id: Id, vector: Float32Array, metadata: Metadata | undefined], void];
  addBatch: [[ids: Id[], vectors: Float32Array, options: WorkerAddBatchOptions], void];
  search: [[query: Float32Array, k: number, options: SearchOptions], SearchResult[]];
  searchBatch: [[queries: Float32Array, k: number, options: SearchOptions], SearchResult[][] | PackedResults];
  delete: [[id: Id], boolean];
  get: [[id: Id], { vector: Float32Array; metadata?: Metadata } | undefined];
  has: [[id: Id], boolean];
  setMetadata: [[id: Id, metadata: Metadata | undefined], void];
  sync: [[], void];
  checkpoint: [[], void];
  close: [[], void];
  dispose: [[], void];
  stats: [[], IndexStats];
  health: [[], IndexHealth];
  optimize: [[options: WorkerOptimizeOptions], OptimizeReport];
  setMaintenance: [[options: MaintenanceOptions], void];
  trainRouter: [[options: WorkerTrainRouterOptions], RouterReport];
  dropRouter: [[], void];
  setWorkloadSampling: [[capacity: number, options: WorkloadSamplingOptions], void];
  adaptToWorkload: [[options: Omit<AdaptToWorkloadOptions, 'queries'> & { queries?: Float32Array }], AdaptToWorkloadReport];
  dropWorkloadAdaptation: [[], void];
  size: [[], number];
  toBytes: [[], Uint8Array];
  save: [[target: StorageTarget], void];
}

export type Method = keyof Methods;

export interface IndexInfo {
  dimensions: number;
  metric: IndexStats['metric'];
}

export interface Request<M extends Method = Method> {
  id: number;
  method: M;
  args: Methods[M][0];
}

export interface ErrorInfo {
  code: NeurovecErrorCode;
  message: string;
}

export type Response =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: ErrorInfo }
  | { id: number; progress: BatchProgress | RouterTrainingProgress | number };

export interface WorkerOptions {
  /** A Worker running neurovec's worker_main.js (bundlers that do not follow
   * `new URL(..., import.meta.url)` can create it themselves), or the URL of
   * that script. Default: worker_main.js next to this module, as a module Worker. */
  worker?: Worker | string | URL;
  /**
   * The WebAssembly build the worker loads, as configureWasm({ threads }) in
   * it: 1 for the single-thread build, more (or 'auto') for the pthreads
   * build with that many pool threads, which needs a cross-origin-isolated
   * page (COOP/COEP headers). Default: threads where the page is isolated
   * (one per core, at most 8), else the single-thread build.
   */
  threads?: number | 'auto';
}
