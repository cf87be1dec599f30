import type { StorageTarget } from './storage/sync_storage.js';

export type { StorageTarget } from './storage/sync_storage.js';

/** Distance metric. In every metric a smaller distance means closer:
 * - `l2`: squared Euclidean distance, sum((a_i - b_i)^2) (squared, as in hnswlib and faiss);
 * - `cosine`: 1 - cos(a, b), in [0, 2]; zero vectors are rejected;
 * - `dot`: 1 - dot(a, b) (can be negative), for inner-product search;
 * - `manhattan`: sum(|a_i - b_i|). */
export type Metric = 'l2' | 'cosine' | 'dot' | 'manhattan';

/** An item id: a string or a safe integer. `7` and `"7"` are different ids. */
export type Id = string | number;

/** A vector: a Float32Array (fastest), another typed array of numbers, or number[]. */
export type VectorLike = Float32Array | Float64Array | ArrayLike<number>;

/** Metadata of an item: a JSON-serialisable object. Its top-level string, number
 * and boolean fields can be used in filters. */
export type Metadata = Record<string, unknown>;

export type FilterValue = string | number | boolean;

export interface FieldCondition {
  $eq?: FilterValue;
  $ne?: FilterValue;
  $in?: FilterValue[];
  $nin?: FilterValue[];
  $gt?: number;
  $gte?: number;
  $lt?: number;
  $lte?: number;
}

/** A metadata filter, evaluated during the graph traversal. A top-level object
 * ANDs its fields: `{ category: 'shoes', price: { $lt: 50 } }`; `$and` / `$or`
 * combine filters. */
export interface Filter {
  $and?: Filter[];
  $or?: Filter[];
  [field: string]: FilterValue | FieldCondition | Filter[] | undefined;
}

/** Codec of the quantized traversal: `f16` (2 bytes per dimension), `int8` (1 byte,
 * one range per dimension), `int8-uniform` (1 byte, one shared range; L2 becomes an
 * integer distance: exact grid only for integer data in range, e.g. 0..255 pixels),
 * `pq8` (dimensions/8 bytes, product quantization). */
export type QuantizedCodec = 'f16' | 'int8' | 'int8-uniform' | 'pq8';

/** Quantized traversal: each item also gets a compact code, the graph walk scores
 * codes, and the best candidates are re-ranked with the exact float vectors, so
 * results keep exact distances. */
export interface QuantizedTraversalOptions {
  codec: QuantizedCodec;
  /** Candidates re-ranked exactly: 0 (default) re-ranks all `ef` candidates;
   * otherwise the best max(k, rerank) by code distance. */
  rerank?: number;
  /** The codec is trained once the index holds this many items (default 1024;
   * pq8: at least 256); earlier items are encoded then. Until then searches walk on floats. */
  trainItems?: number;
}

export interface CreateOptions {
  /** Length of every vector (1..65536). Required. */
  dimensions: number;
  /** Default 'cosine'. */
  metric?: Metric;
  /** Links per node ("M" in the HNSW paper and hnswlib; level 0 keeps 2*m). 2..256, default 16. */
  m?: number;
  /** Candidate list while inserting ("efConstruction"), default 200. Larger: better graph, slower build. */
  efConstruction?: number;
  /** Default candidate list while searching ("ef"), default 64; raised to k when k is larger. */
  efSearch?: number;
  /** Seed of the level assignment; same seed + same data in the same order = same graph. Default 42. */
  seed?: number;
  /** Slots to allocate up front (capacity grows by itself). */
  initialCapacity?: number;
  /** Keep the index in a file, durable from the start: a path in Node,
   * `{ opfs: name }` or `{ indexedDB: name }` in browsers. The file must not
   * exist yet. Writes go to its log; `sync()` makes them durable. */
  storage?: StorageTarget;
  /** Options of the learner that feedback() and train() teach (see learning.ts). */
  learning?: LearningOptions;
  /** Walk the graph on compact codes, re-rank exactly (see README "Quantized traversal"). */
  quantizedTraversal?: QuantizedTraversalOptions;
  /** Compression tiers by access heat (docs/tiers.md). Exclusive with quantizedTraversal. */
  tiers?: TiersOptions;
}

export interface OpenOptions {
  /** Never write the file: no writer lock, and writes throw FAILED_PRECONDITION. */
  readOnly?: boolean;
  /** Check the checksum of every section (default true). false skips the two
   * large ones (vectors, graph lists) for a faster open of a large file; every
   * other section and every link is still checked, and a damaged vector then
   * gives wrong distances, never a crash. */
  verifyChecksums?: boolean;
  /** Bytes of vectors kept in memory while the rest stay in the file
   * (default 64 MiB). The open then reads the ids, metadata and the graph's
   * levels and upper lists only; vectors and the graph's level-0 neighbour
   * lists are read in blocks of about 4 KiB as searches reach them (each
   * block's checksum checked when verifyChecksums is on, each block of lists
   * checked for valid links), so a large index opens fast and its memory
   * follows what was touched. The bound covers both caches: the lists' takes
   * up to all of them or half of it, the vectors' the rest. 0 reads every
   * vector and list at open.
   * Vectors added later are kept in memory; the first add or delete reads
   * every level-0 list in. */
  pageCacheBytes?: number;
}

/** One block cache of a paged index. */
export interface PageCacheStats {
  /** The cache's bound, in bytes. */
  cacheBytes: number;
  /** Bytes of blocks held now. */
  cachedBytes: number;
  /** Blocks read from the file, and their bytes. */
  blockReads: number;
  bytesRead: number;
  /** Reads served by the cache, and those that read a block. */
  hits: number;
  misses: number;
}

/**
 * Vectors and level-0 neighbour lists read from the file on demand
 * (OpenOptions.pageCacheBytes). The top-level figures are the vectors' (all 0
 * while every vector is in memory).
 */
export interface PagingStats extends PageCacheStats {
  /** The graph's level-0 lists, present while they are paged (until the
   * first add or delete reads them all in). */
  graph?: PageCacheStats;
}

/** The file behind a durable index. */
export interface FileStats {
  /** Header generation in use (1 when created, +1 per checkpoint). */
  generation: number;
  /** Bytes of the image (the sections) in use. */
  imageBytes: number;
  /** Bytes written to the log since that image. */
  logBytes: number;
  /** Bytes appended to the log and not yet written (sync() writes them). */
  pendingBytes: number;
  /** Log records applied when the file was opened. */
  replayedRecords: number;
  /** The log ended in a torn, never-acknowledged group when opened (it was dropped). */
  trimmedTornTail: boolean;
  checkpoints: number;
  syncs: number;
}

/**
 * How a learned-mode search reads the click memory (learning.memoryCapacity).
 * The query q is moved to q/|q| + strength * mean(clicked - rejectWeight *
 * rejected) (cosine; other metrics: (q + strength * mean) / (1 + strength)),
 * the mean over the `neighbours` past feedback events whose queries are
 * nearest to q (cosine at least `minSimilarity`), and the graph is walked
 * with the moved query. The defaults were chosen on the Debian catalogue's
 * tuning split (bench/results/learning-click-memory.md).
 */
export interface MemorySearchOptions {
  /** Past events read (1..65536, default 200). */
  neighbours?: number;
  /** How far the query moves (0..1e6, default 64; 0: not at all). */
  strength?: number;
  /** Weight of explicitly rejected items (0..100, default 1). */
  rejectWeight?: number;
  /** Past queries less similar than this cosine are not read (-1..1, default 0),
   * so that a query unlike every past one is searched as it is. */
  minSimilarity?: number;
  /** The memory is read once it holds this many events (0..2^20, default 500):
   * a small memory's nearest past queries are mostly unrelated ones. On the
   * catalogue's tuning split every useful strength lost to plain search at ~420
   * events and won from ~840 on. */
  minEvents?: number;
  /** How much of a large memory (from 1,024 events, kept in coarse lists of
   * similar past queries) a lookup reads, as a multiple of `neighbours`: whole
   * lists, nearest first, until scan x neighbours events (0..1024, default 4;
   * 0: every event, the exact nearest past queries). Less is faster, and on the
   * catalogue's tuning split also more precise. */
  scan?: number;
  /** Recency, in events: an event recorded n events ago weighs 2^(-n / halfLife)
   * in the mean (0..2^20, default 0: all weigh the same). For users whose
   * intent changes; on the catalogue's drift stream the memory followed the
   * change without it, and a half-life of 250 made results worse. */
  halfLife?: number;
}

export interface SearchOptions {
  /** Candidate list size for this query (default: efSearch). Larger: better recall, slower. */
  ef?: number;
  /** Only items whose metadata matches are returned. */
  filter?: Filter;
  /** 'vector' (default): HNSW distance order. 'neural': the learned refiner re-ranks
   * the HNSW candidates (needs train() or onlineSteps), and with a click memory
   * (learning.memoryCapacity) the graph is walked with the query the memory moved
   * (no trained model needed then). 'subgraph' and 'differentiable' add the
   * induced subgraph, or soft attention weights and the soft result vector. */
  mode?: SearchMode;
  /** Softmax temperature of mode 'differentiable' (default 0.1). */
  temperature?: number;
  /** Learned modes only: after the model scores the HNSW candidates, walk the
   * graph's links outward from them, best learned score first, evaluating up to
   * this many further items (0..4096, default 0: re-rank the candidates only).
   * The best k it reaches are ranked with the candidates, so a result the
   * distance order placed beyond them can still come back. Costs about one
   * projection per item evaluated (cached between queries). */
  expand?: number;
  /** Mode 'neural' (and the other learned modes) with a click memory
   * (learning.memoryCapacity) that holds events: how the walk's query is
   * moved towards what users clicked for the past queries nearest to it.
   * See {@link MemorySearchOptions}; `false` searches as if the memory were empty. */
  memory?: MemorySearchOptions | false;
  /** How mode 'vector' walks the graph: 'auto' (default) takes the learned walk
   * when a router trained for this k is present (trainRouter) and there is no
   * filter; 'plain' always walks as HNSW does; 'learned' asks for the learned
   * walk and counts a fallback in stats().routing where it cannot run. */
  routing?: RoutingMode;
  /** Mean recall@k the learned walk aims for (0 < recall <= 1; default: the
   * router's targetRecall). Calibrated at 0.80 .. 0.99; above what the router
   * reached on its held-out queries the walk does not stop early. Where training
   * timed the plain walk as the faster for a target, it serves that target
   * (RouterReport.plainWalks). With routing 'plain' and no `ef`, the plain walk
   * walks at the ef the router calibrated for the target (where it has one). */
  recall?: number;
}

export type RoutingMode = 'auto' | 'plain' | 'learned';

/** Options of VectorIndex.trainRouter (learned early termination of the walk). */
export interface TrainRouterOptions {
  /** Searches with this k use the router (1..64, default 10). */
  k?: number;
  /** The walk the router learns to cut short (k..MAX_EF, default 128); learned
   * searches walk with at least this ef. */
  ef?: number;
  /** Stored items sampled as training queries (each leaves itself out; 20..1e6,
   * default 3000), when `queries` is not given. */
  items?: number;
  /** Queries to learn from instead (for example ones the index has served):
   * an array of vectors or a flat Float32Array, at least 20. The first
   * 1 - calibrationShare train, the rest calibrate. */
  queries?: Float32Array | ReadonlyArray<VectorLike>;
  /** Share held out to calibrate the per-target thresholds (0.1..0.9, default 0.7: the
   * stopping rule has few weights, and more calibration walks land each target closer). */
  calibrationShare?: number;
  /** The recall searches without `recall` aim for (0.5..1, default 0.99: close to a plain
   * search at the default ef, and where the learned walk pays). */
  targetRecall?: number;
  seed?: number;
  /** Neighbour skipping: the rank of the projection whose distance estimates
   * let a learned walk skip neighbours past its bound (a multiple of 16 up to
   * 128, default 64; 0 for none). L2 and cosine. Costs skipRank + 4 bytes per
   * item, in memory and in the file; the margin per target recall is chosen on held-out walks. */
  skipRank?: number;
  /** Per target recall, time the learned walk against the plain walk at the ef that
   * reaches the same target on the held-out queries, and let the faster serve that
   * target (default true; RouterReport.plainWalks says what was chosen). Both reach
   * the target; the learned walk pays for its larger result set per distance, so on
   * low-dimensional data or at low targets it can be the slower. The choice depends
   * on the machine and its load: false keeps every target on the learned walk. */
  plainWhenFaster?: boolean;
  /** Walks per slice between yields to the event loop (default 50). */
  walksPerStep?: number;
  /** Threads the walks run on (default: the threaded build's whole pool; 1 in the
   * single-thread build and for an index paged from its file). Each walk is
   * recorded on its own, so any count trains the same router. */
  threads?: number;
  onProgress?: (progress: RouterTrainingProgress) => void;
  /** Aborting rejects with ABORTED; the index keeps the router it had. */
  signal?: AbortSignal;
}

export interface RouterTrainingProgress {
  walksDone: number;
  walksTotal: number;
}

/** What trainRouter measured on its held-out queries. */
export interface RouterReport {
  trainingWalks: number;
  calibrationWalks: number;
  /** Walk states the model was fitted on. */
  records: number;
  seconds: number;
  /** Held-out walks at ef without stopping early: mean recall@k and distance computations ... */
  fullWalkRecall: number;
  fullWalkComputations: number;
  /** ... and with the default target's threshold. */
  routedRecall: number;
  routedComputations: number;
  /** Neighbour-filter tests per routed walk (each far cheaper than a distance). */
  routedEstimates: number;
  /** 0 when no target recall skips neighbours. */
  skipRank: number;
  modelBytes: number;
  /** Threads the walks ran on. */
  threads: number;
  /** Per target recall the router calibrates (0.80 .. 0.99): which walk serves it. */
  plainWalks: RouterPlainWalk[];
}

/** One target recall of RouterReport.plainWalks. */
export interface RouterPlainWalk {
  targetRecall: number;
  /** The smallest ef whose plain walks of the held-out queries reached the target, or the
   * router's ef where none below it did (the learned walk without its early stops and skips).
   * search(q, k, { routing: 'plain', recall }) walks at it. */
  plainEf: number;
  /** The plain walk at plainEf answers learned searches for this target: it was the faster. */
  plainServes: boolean;
  /** Microseconds per held-out query of each walk, as timed at training (0: not timed). */
  learnedMicros: number;
  plainMicros: number;
}

/** stats().routing */
/** Options of adaptToWorkload(). */
export interface AdaptToWorkloadOptions {
  /** Clusters of the workload, so entry hints (1..1024; default 8). Each costs every search one distance. */
  hints?: number;
  /** Hints serve this share of the adapting queries, those nearest to one (0..1; default 0.9). */
  coverage?: number;
  /** Fewer queries than this (sampled or given) is an error and nothing changes (default 256). */
  minQueries?: number;
  /** Queries to adapt from instead of the sample setWorkloadSampling() keeps: vectors, or rows in one Float32Array. */
  queries?: Float32Array | ArrayLike<number>[];
  /** Seed of the clustering (default 1). */
  seed?: number;
}

/** setWorkloadSampling()'s options: adapting again on its own as the workload moves. */
export interface WorkloadSamplingOptions {
  /**
   * Adapt again (adaptToWorkload with the options below) once this many queries were sampled
   * since the last adaptation and the sample holds `minQueries`: the index checks after each
   * search and adapts at the next turn of the event loop, so hints follow a moving workload
   * with no call of yours (0 or absent: adapt by hand). At most 2^24.
   */
  adaptEvery?: number;
  /** As for adaptToWorkload() (defaults 8, 0.9, 256, 1). */
  hints?: number;
  coverage?: number;
  minQueries?: number;
  seed?: number;
}

/** What adaptToWorkload() did. */
export interface AdaptToWorkloadReport {
  /** Entry hints installed (distinct stored items nearest the clusters' centres). */
  hints: number;
  /** A search starts at its nearest hint when that is within this distance (the metric's search distance: squared for L2). */
  bound: number;
  /** Queries clustered. */
  queries: number;
  seconds: number;
}

/** Workload sampling and adaptation so far (stats().workload; not kept in the file). */
export interface WorkloadStats {
  /** setWorkloadSampling()'s capacity (0: off). */
  sampleCapacity: number;
  /** Queries in the sample now. */
  sampled: number;
  /** Queries ever recorded. */
  recorded: number;
  /** Recorded since the last adaptToWorkload(). */
  sinceAdaptation: number;
  /** Entry hints in use (0: none). */
  hints: number;
  bound: number;
  /** Searches that started at a hint. */
  hintedSearches: number;
  /** Searches with hints in use that descended from the top (far from every hint): when their
   * share grows, the workload moved; adapt again. */
  unhintedSearches: number;
  /** setWorkloadSampling()'s adaptEvery (0: adapt by hand). */
  adaptEvery: number;
  /** adaptEvery queries were sampled since the last adaptation: the next one is due. */
  adaptationDue: boolean;
  /** Adaptations since the index was opened, automatic ones included. */
  adaptations: number;
  /** Why the last automatic adaptation failed (absent: none failed). */
  lastAdaptationError?: string;
}

export interface RoutingStats {
  trained: boolean;
  /** Of the router (0 without one). */
  k: number;
  /** Its training ef. */
  ef: number;
  learnedSearches: number;
  /** Learned searches the router ended before HNSW's own rule. */
  earlyStops: number;
  /** Searches that asked for routing 'learned' and walked plainly. */
  fallbacks: number;
  /** Items added or deleted since the router was trained (retrain when this grows large). */
  changesSinceTraining: number;
  /** Learned searches for queries unlike those the router learned from (their k-th
   * distance past its familiar bound): they walked to HNSW's own rule, never stopping early. */
  unfamiliar: number;
  /** Neighbours learned walks skipped (their projected distance was past the walk's bound). */
  skippedNeighbours: number;
  /** Rank of the router's projection (0: no neighbour skipping). */
  skipRank: number;
  /** Memory of the per-item projections. */
  skipTableBytes: number;
  /** Searches the router sent to the plain walk at its calibrated ef, because that walk
   * was the faster for their target (RouterReport.plainWalks). */
  plainServed: number;
}

export interface SearchResult {
  id: Id;
  /** Smaller is closer; see {@link Metric}. */
  distance: number;
  /** Neural modes: the refiner's score (higher is more relevant); results are in score order. */
  score?: number;
  metadata?: Metadata;
}

export interface BatchProgress {
  done: number;
  total: number;
}

export interface AddBatchOptions {
  /** One entry per id (undefined for none). */
  metadata?: ReadonlyArray<Metadata | undefined>;
  /** Called after each chunk of items is linked into the graph. */
  onProgress?: (progress: BatchProgress) => void;
  /** Items per chunk between progress calls (default 1000). */
  chunkSize?: number;
  /** Threads linking the items (default: the module's whole pool, see configureWasm); the
   * single-thread build and indexes paged from their file use 1. */
  threads?: number;
}

/** Compression tiers: each item is stored by how often searches return it
 * (hot f32, warm f16, cool PQ8, cold PQ4, archive binary); searches score each
 * item with its tier's codec and re-rank the best candidates exactly. */
export interface TiersOptions {
  enabled: boolean;
  /** Heat boundaries in (0, 1], strictly decreasing. Default 0.8 / 0.4 / 0.1 / 0.01. */
  thresholds?: { hot?: number; warm?: number; cool?: number; cold?: number };
  /** Accesses count half after this many seconds. Default 3600. */
  halfLifeSeconds?: number;
  /** Relative margin an item's heat must pass a boundary by to move, 0..0.9. Default 0.2. */
  hysteresis?: number;
  /** Candidates re-ranked with exact distances: max(k, rerank); 0 re-ranks every ef candidate. Default 100. */
  rerank?: number;
  /** Items migrated at most per search and per add; 0: only recompress(). Default 16. */
  migrationBudget?: number;
  /** Codebooks train once this many items are in (256 .. 2^24). Default 4096. */
  trainItems?: number;
}

/** Items per tier (or moved into each tier by recompress()). */
export interface TierCounts {
  hot: number;
  warm: number;
  cool: number;
  cold: number;
  archive: number;
}

export interface TierMemoryStats {
  /** Vector bytes per tier: hot = their f32 rows, the others = their codes. */
  tiers: TierCounts;
  /** Shared codec state (PQ codebooks, binary thresholds). */
  codebooks: number;
  /** Projected, not resident: hot rows + codes + codebooks, once non-hot rows are
   * released from memory (file-backed indexes). */
  vectorsIfReleased: number;
}

export interface MemoryStats {
  /** Float rows (stored form, padded) and norms, all allocated slots. */
  vectors: number;
  /** Quantized traversal codes (0 without, or before the codec is trained). */
  codes: number;
  /** HNSW links and levels. */
  graph: number;
  /** Ids, metadata, flags. */
  other: number;
  total: number;
  /** Live items x dimensions x 4: the raw float vectors alone, for comparison. */
  rawF32: number;
  /** Present with tiers: bytes per tier, codebooks, projected vector memory. */
  tiers?: TierMemoryStats;
}

/** How sound the graph is (VectorIndex.health()): what searches can reach, and what deletes left behind. */
export interface IndexHealth {
  /** Live items. */
  live: number;
  /** Deleted items still in the graph (their slots not yet reused). */
  tombstones: number;
  /** Live items no search can find, whatever the ef, walking through live items only. */
  unreachable: number;
  /** The same, with deleted items as stepping stones (as searches walk today). */
  unreachableThroughTombstones: number;
  /** Level-0 links from live items to deleted ones. */
  linksToTombstones: number;
  /** Level-0 links between live items, per live item. */
  meanOutDegree: number;
  /** degreeHistogram[d]: live items with d level-0 links to live items (0 .. 2*m). */
  degreeHistogram: number[];
}

export interface OptimizeOptions {
  /**
   * Milliseconds of work per slice (default 0: the whole repair in one call,
   * which blocks the thread for its length: 0.2-0.6 s for 60k items of 784
   * dimensions). With a budget, optimize() yields to the event loop between
   * slices, so searches and other work run in between; a slice does at least
   * one unit (64 items' lists, one straggler's link, or one walk over the
   * graph's links).
   */
  budgetMs?: number;
  /** Called after each slice: the fraction of the pass done, 0..1. */
  onProgress?: (progress: number) => void;
  /** Aborting rejects with ABORTED after the current slice; what was repaired
   * stays, and the next optimize() goes on from there. */
  signal?: AbortSignal;
}

/**
 * Automatic repair while the index is written (VectorIndex.setMaintenance):
 * once enough items were added or deleted since the last repair pass, a pass
 * starts (what optimize() does, without its checkpoint), and each write call
 * (add, addBatch, delete) then spends about `budgetMsPerWrite` on it after its
 * own work. A runtime setting, not kept in the file.
 */
export interface MaintenanceOptions {
  /** Milliseconds of repair per write call once a pass is due (0: off, the default). */
  budgetMsPerWrite?: number;
  /** A pass starts once this fraction of the live items were added or deleted since the last one started (default 0.05). */
  triggerFraction?: number;
}

/** Repair passes so far, automatic or by optimize() (IndexStats.maintenance). */
export interface MaintenanceStats {
  budgetMsPerWrite: number;
  triggerFraction: number;
  /** Passes completed. */
  passes: number;
  /** Over all completed passes. */
  listsRelinked: number;
  reconnected: number;
  /** Items added or deleted since the last pass started. */
  changesSincePass: number;
  /** A pass is under way, spread over calls; `progress` of it, 0..1. */
  passActive: boolean;
  progress: number;
  /** Time spent in repair passes, all told. */
  milliseconds: number;
  unreachableAfterLastPass: number;
}

/** What VectorIndex.optimize() did. */
export interface OptimizeReport {
  /** Neighbour lists that linked to deleted items, re-selected. */
  listsRelinked: number;
  /** Live items given a link from the reachable graph. */
  reconnected: number;
  /** IndexHealth.unreachable before and after. */
  unreachableBefore: number;
  unreachableAfter: number;
  /** Slices the work took (1 without budgetMs). */
  slices: number;
  /** The longest slice, in ms: how long the repair held the thread at once. */
  longestSliceMs: number;
}

export interface IndexStats {
  /** Live items. */
  size: number;
  /** Slots of deleted items not yet reused. */
  deleted: number;
  /** Allocated slots. */
  capacity: number;
  dimensions: number;
  metric: Metric;
  /** Top level of the HNSW graph. */
  maxLevel: number;
  /** Searches since creation. */
  searches: number;
  /** Distance computations summed over all searches. */
  distanceComputations: number;
  /** Graph nodes expanded, summed over all searches. */
  hops: number;
  /** Counters of the most recent search. */
  lastSearch: { distanceComputations: number; hops: number; exactScan: boolean };
  /** Approximate bytes held by the index in the wasm heap (memory.total). */
  memoryBytes: number;
  /** Repair passes (optimize(), setMaintenance()). */
  maintenance: MaintenanceStats;
  /** Learned routing (trainRouter). */
  routing: RoutingStats;
  /** Workload sampling and entry hints (setWorkloadSampling(), adaptToWorkload()). */
  workload: WorkloadStats;
  /** Learning from feedback (feedback(), train(), the neural modes). */
  learning: LearningStats;
  /** Bytes by part. */
  memory: MemoryStats;
  /** Present when the index has quantized traversal; `trained` once the codec is. */
  quantizedTraversal?: { codec: QuantizedCodec; rerank: number; trainItems: number; trained: boolean };
  /** Live items per tier, present with tiers. */
  tiers?: TierCounts;
  /** Distance kernel in use (e.g. "wasm_simd128"). */
  kernel: string;
  /** The WebAssembly build in use: 'single' or 'pthreads' (configureWasm({ threads }); the default is
   * pthreads in Node and in cross-origin-isolated browser contexts), its pool of threads (1 for 'single'),
   * and why the default fell back to 'single' (for example a page served without COOP/COEP headers). */
  threads: { build: 'single' | 'pthreads'; pool: number; fallback?: string };
  /** Present for durable indexes (created with `storage`, or opened). */
  file?: FileStats;
  /** Present while vectors or level-0 lists are read from the file on demand. */
  paging?: PagingStats;
}

// ---- Learning (learning.ts has the calls) ----

/** Options of the learner (fixed once feedback was recorded). */
export interface LearningOptions {
  /** HNSW candidates re-ranked by the neural modes (k', default 50, at least k is used). */
  candidates?: number;
  /** Width of the refiner (default 64, a multiple of heads). */
  hiddenDim?: number;
  heads?: number;
  /**
   * Message-passing hops over the candidates' HNSW links (default 2). 0: none;
   * the learned projection alone scores the candidates (a metric learned from
   * the same feedback without the graph, the baseline the GNN has to beat).
   */
  hops?: number;
  /** Vectors are multiplied by this before the refiner; default 0: 1 / max |x| of the first training's queries. */
  inputScale?: number;
  /** InfoNCE temperature while training (default 0.2). */
  temperature?: number;
  /** Weight of the feedback-consistency loss (default 2). */
  consistencyWeight?: number;
  dropout?: number;
  learningRate?: number;
  weightDecay?: number;
  batchSize?: number;
  /** Feedback events kept until the next train() (reservoir sampling beyond; default 8192). */
  feedbackCapacity?: number;
  /**
   * Elastic weight consolidation: `{ lambda }`, or false (default). With train(), a training on
   * new feedback is anchored at what earlier trainings taught; with onlineSteps, the model is
   * anchored every 128 feedback events (stats().learning.ewcAnchors counts them).
   */
  ewc?: { lambda: number } | false;
  /**
   * Replay of feedback already trained on: `{ capacity, perBatch, halfLife }`
   * (default 1024, 8, 0), or false. `halfLife: H` (events) is temporal decay:
   * the memory keeps the latest `capacity` events and replays an event with
   * weight 2^(-age / H), its age being the events recorded after it, so a
   * user whose intent changed stops being taught the old one. 0: a uniform
   * reservoir over all feedback (old lessons last longest).
   */
  replay?: { capacity?: number; perBatch?: number; halfLife?: number } | false;
  /** Seed of initialisation, shuffling and dropout (default 42). */
  seed?: number;
  /**
   * Continuous learning: optimisation steps each feedback() call runs at once
   * (on the new event and `replay.perBatch` replayed ones, at a constant
   * `learningRate`), so the neural modes improve with every click and no
   * train() is needed. 0 (default): feedback waits for train(). At most 64.
   */
  onlineSteps?: number;
  /**
   * Live items drawn at random that join each training example as negatives
   * (default 0, at most 1024). Clicks name few negatives, and the results a
   * user skipped are mostly relevant too: random items teach what is not
   * relevant without that bias (pair with `implicit: 'none'`).
   */
  randomNegatives?: number;
  /**
   * Learning on insert: once a model exists (from train(), from feedback with
   * `onlineSteps`, or read from the file), items added to the index teach it
   * their neighbourhood. Each added item is an example whose query is the item,
   * whose positives are its first 8 graph neighbours (the index just chose them
   * as its nearest) and whose negatives are `max(randomNegatives, 16)` random
   * items; every `batchSize` added items run this many optimisation steps on
   * them with `replay.perBatch` replayed feedback events (and EWC, when on), so
   * what clicks taught is kept while new regions of the data are learned.
   * `true` is 1 step; a number is the steps (0..64); false or absent (default):
   * adding items leaves the model as it is. stats().learning.insertSteps counts.
   */
  onInsert?: boolean | number;
  /**
   * Per-link edge weights: with a rate > 0, every graph link between two
   * stored items that a training example's candidates contain learns its own
   * weight (an Adagrad step of this size on the gradient of the loss with
   * respect to that link's weight logit), on top of the weight the model
   * gives every link from its endpoints' cosine and neighbour overlap. The
   * weights are kept in the index file; with `replay.halfLife` each link's
   * learned part fades with the feedback events learned since it was last
   * updated. Message passing reads them, so they need `hops` > 0. 0 (default):
   * off; at most 10. See bench/results/learning-clicks-catalogue.md for what it
   * changes.
   */
  edgeLearningRate?: number;
  /**
   * The click memory: keep the most recent this many feedback events (each as
   * its query's direction, the mean of the items clicked and the mean of the
   * items explicitly rejected; implicit negatives from `shown` are not kept),
   * and let the learned search modes walk the graph with the query moved
   * towards what users clicked for the nearest past queries (search option
   * `memory`), once it holds `memory.minEvents` events (default 500), with no
   * train(); 'neural' mode then needs no trained model. Kept in the index file
   * (3 x dimensions floats per event). 0 (default): off; at most 2^20.
   */
  memoryCapacity?: number;
}

/** Feedback as explicit judgements. */
export interface JudgedFeedback {
  /** Ids the user chose (at least one). */
  positive: ReadonlyArray<Id>;
  /** Ids the user saw and rejected. */
  negative?: ReadonlyArray<Id>;
}

/** Feedback as a user gives it in a result list: a click or two among what was shown. */
export interface ClickFeedback {
  /** Ids the user clicked (at least one). */
  clicked: ReadonlyArray<Id>;
  /** The results shown, best first: the source of implicit negatives (see `implicit`). */
  shown?: ReadonlyArray<Id>;
  /** Ids the user rejected explicitly (a thumbs-down): always negatives. */
  rejected?: ReadonlyArray<Id>;
  /**
   * Which shown results that were not clicked count as negatives: 'above'
   * (default) those ranked above the last click, which the user looked at and
   * skipped; 'all' every one; 'none' none. Neither is best everywhere: 'all'
   * also calls relevant results the user did not need negatives, 'above'
   * only ever names results closer than the click. On Fashion-MNIST clicks
   * (bench/learning_clicks.mjs) 'all' did better for train() and 'above' for
   * onlineSteps; on the tests' synthetic data 'above' did much better.
   */
  implicit?: 'above' | 'all' | 'none';
}

export type Feedback = JudgedFeedback | ClickFeedback;

export interface TrainProgress {
  epoch: number;
  epochs: number;
  batchesDone: number;
  batchesTotal: number;
  examplesDone: number;
  /** Mean training loss of the current epoch so far. */
  loss: number;
  /** Threads the training runs on (TrainOptions.threads, or 1 where it cannot use more). */
  threads: number;
}

/** stats().learning: where learning from feedback stands. */
export interface LearningStats {
  /** Learning options were set (create({ learning }), configureLearning, or read from the file). */
  configured: boolean;
  /** Feedback was recorded or a model read from the file. */
  active: boolean;
  /** A model is learned: the neural modes re-rank with it. */
  trained: boolean;
  /** A train() is under way. */
  training: boolean;
  /** Feedback events waiting for the next train() (with onlineSteps each is learned at once, so none wait). */
  pendingFeedback: number;
  /** Optimiser steps run by feedback() itself (learning.onlineSteps). */
  onlineSteps: number;
  /** EWC anchors set while learning online (learning.ewc.lambda > 0 with onlineSteps): one per
   * 128 feedback events, each at the parameters of that moment, so later clicks are kept from
   * undoing what earlier ones taught. Counted since the index was created or opened. */
  ewcAnchors: number;
  /** Optimiser steps run on added items (learning.onInsert), since the index was created or opened. */
  insertSteps: number;
  /** Added items learned from (learning.onInsert): items wait in batches of learning.batchSize. */
  insertedExamples: number;
  /** Graph links with a learned per-link weight (learning.edgeLearningRate), kept in the index file. */
  learnedLinks: number;
  /** Feedback events the click memory holds (learning.memoryCapacity), kept in the index file. */
  memoryEvents: number;
}

export interface TrainOptions {
  /** Passes over the feedback recorded since the last train() (default 10). */
  epochs?: number;
  /** Called after each step (batchesPerStep batches). */
  onProgress?: (progress: TrainProgress) => void;
  /** Aborting rejects with an ABORTED NeurovecError and leaves the model as it was. */
  signal?: AbortSignal;
  /** Batches run between two yields to the event loop (default 1). */
  batchesPerStep?: number;
  /**
   * Threads computing each batch's examples and gradients (default 1; at most
   * the pool of the threaded build, and 1 in the single-thread build or for an
   * index paged from its file). 1 keeps the summation order, so the same
   * parameters as the single-thread build and the native default, bit for bit;
   * more change the order of float sums (the last bits), never the recipe.
   */
  threads?: number;
}

export type SearchMode = 'vector' | 'neural' | 'subgraph' | 'differentiable';

export interface SubgraphEdge {
  source: Id;
  target: Id;
  /** Learned edge weight in (0, 1]. */
  weight: number;
}

/** search(..., { mode: 'subgraph' }): the results and the HNSW links among them, with learned weights. */
export interface SubgraphSearchResult {
  results: SearchResult[];
  nodes: Id[];
  edges: SubgraphEdge[];
}

/** search(..., { mode: 'differentiable' }): soft attention over all k' candidates. */
export interface DifferentiableSearchResult {
  results: SearchResult[];
  /** Every candidate with its weight softmax(score / temperature); weights sum to 1. */
  candidates: Array<{ id: Id; weight: number }>;
  /** Sum of weight * candidate vector. */
  softVector: Float32Array;
  temperature: number;
}
