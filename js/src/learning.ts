// The index learns from feedback (issue 5): options, validation and the calls
// into the module's learning ABI (wasm/neurovec_learning_c.h). VectorIndex
// (vector_index.ts) delegates its feedback(), train() and neural search modes
// here, so that file only grows by a few lines.
import { invalid, NeurovecError } from './errors.js';
import type {
  DifferentiableSearchResult, Feedback, Id, LearningOptions, LearningStats, MemorySearchOptions, Metadata, SearchMode, SearchResult, SubgraphEdge,
  SubgraphSearchResult, TrainOptions, TrainProgress,
} from './types.js';
import { DEFAULTS, LIMITS } from './limits.js';
import { yieldToEventLoop } from './runtime.js';
import { checkInteger } from './validation.js';
import { readDoubles, type NeurovecWasmModule } from './wasm_module.js';

// The public types of learning live in types.ts (a leaf); re-exported here
// for the modules that import them from this one.
export type {
  DifferentiableSearchResult, Feedback, LearningOptions, SearchMode, SubgraphEdge, SubgraphSearchResult, TrainOptions,
  TrainProgress,
} from './types.js';

/** The module's learning exports (neurovec_learning_c.h). */
export interface LearningModule extends NeurovecWasmModule {
  _nv_learning_configure(index: number, values: number, count: number): number;
  _nv_learning_config(index: number, out: number): void;
  _nv_learning_stats(index: number, out: number): void;
  _nv_feedback(index: number, query: number, pos: number, posCount: number, neg: number, negCount: number,
    implicitCount: number): number;
  _nv_train_begin(index: number, epochs: number): number;
  _nv_train_step(index: number, maxBatches: number, out: number): number;
  _nv_train_cancel(index: number): void;
  _nv_search_learned(index: number, query: number, k: number, ef: number, filter: number, filterLen: number,
    mode: number, temperature: number, expand: number, memory: number, outSlots: number, outDistances: number,
    outScores: number): number;
  _nv_learned_edges(outCount: number): number;
  _nv_learned_candidates(outCount: number): number;
  _nv_learned_attention(): number;
  _nv_learned_soft_vector(outLen: number): number;
}

export const LEARNING_OPTION_COUNT = 22;
const LEARNING_STATS_COUNT = 11;

/** stats().learning (nv_learning_stats). */
export function learningStats(mod: LearningModule, handle: number): LearningStats {
  const s = readDoubles(mod, LEARNING_STATS_COUNT, (out) => mod._nv_learning_stats(handle, out));
  return {
    configured: s[0] === 1, active: s[1] === 1, trained: s[2] === 1, training: s[3] === 1,
    pendingFeedback: s[4], onlineSteps: s[5], ewcAnchors: s[6], insertSteps: s[7], insertedExamples: s[8],
    learnedLinks: s[9], memoryEvents: s[10],
  };
}
const TRAIN_PROGRESS_COUNT = 8;
/** SearchParams::kMaxExpand (config.h). */
export const MAX_EXPAND = 4096;
export const SEARCH_MODES: readonly SearchMode[] = ['vector', 'neural', 'subgraph', 'differentiable'];

function checkNumber(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalid(`learning.${name} must be a number from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/** The 22 values nv_learning_configure takes, from validated options. */
export function resolveLearningOptions(options: LearningOptions): number[] {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalid('learning must be an object like { ewc: { lambda: 100 }, replay: { perBatch: 8 } }');
  }
  const known = ['candidates', 'hiddenDim', 'heads', 'hops', 'inputScale', 'temperature', 'consistencyWeight', 'dropout',
    'learningRate', 'weightDecay', 'batchSize', 'feedbackCapacity', 'ewc', 'replay', 'seed', 'onlineSteps', 'randomNegatives', 'onInsert',
    'edgeLearningRate', 'memoryCapacity'];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw invalid(`unknown learning option "${key}"; expected one of ${known.join(', ')}`);
  }
  const o = options;
  const int = (name: keyof LearningOptions, fallback: number, min: number, max: number) =>
    checkInteger(`learning.${name}`, o[name] ?? fallback, min, max);
  const L = LIMITS.learning;
  const D = DEFAULTS.learning;
  const heads = int('heads', D.heads, 1, L.maxHeads);
  const hidden = int('hiddenDim', D.hiddenDim, 1, L.maxHiddenDim);
  if (hidden % heads !== 0) throw invalid(`learning.hiddenDim (${hidden}) must be a multiple of learning.heads (${heads})`);
  let ewc = 0;
  if (o.ewc !== undefined && o.ewc !== false) {
    if (o.ewc === null || typeof o.ewc !== 'object') throw invalid('learning.ewc must be { lambda: number } or false');
    ewc = checkNumber('ewc.lambda', o.ewc.lambda, 0, 1e12);
  }
  let replayCapacity: number = D.replayCapacity;
  let replayPerBatch: number = D.replayPerBatch;
  let replayHalfLife: number = D.replayHalfLife;
  if (o.replay === false) {
    replayCapacity = 0;
    replayPerBatch = 0;
  } else if (o.replay !== undefined) {
    if (o.replay === null || typeof o.replay !== 'object') {
      throw invalid('learning.replay must be { capacity?, perBatch?, halfLife? } or false');
    }
    for (const key of Object.keys(o.replay)) {
      if (!['capacity', 'perBatch', 'halfLife'].includes(key)) {
        throw invalid(`unknown learning.replay option "${key}"; expected capacity, perBatch or halfLife`);
      }
    }
    replayCapacity = checkInteger('learning.replay.capacity', o.replay.capacity ?? D.replayCapacity, 0, L.maxReplayCapacity);
    replayPerBatch = checkInteger('learning.replay.perBatch', o.replay.perBatch ?? D.replayPerBatch, 0, L.maxReplayPerBatch);
    replayHalfLife = checkInteger('learning.replay.halfLife', o.replay.halfLife ?? D.replayHalfLife, 0, L.maxReplayHalfLife);
  }
  const dropout = checkNumber('dropout', o.dropout ?? D.dropout, 0, 0.99);
  let insertSteps: number = D.insertSteps;
  if (o.onInsert === true) insertSteps = 1;
  else if (typeof o.onInsert === 'number') insertSteps = checkInteger('learning.onInsert', o.onInsert, 0, L.maxInsertSteps);
  else if (o.onInsert !== undefined && o.onInsert !== false) {
    throw invalid(`learning.onInsert must be true, false or a number of steps from 0 to ${L.maxInsertSteps}, got ${String(o.onInsert)}`);
  }
  return [
    int('candidates', D.candidates, 2, L.maxCandidates), hidden, heads, int('hops', D.hops, 0, L.maxHops),
    checkNumber('inputScale', o.inputScale ?? D.inputScale, 0, 1e30),
    checkNumber('temperature', o.temperature ?? D.temperature, 1e-6, 1e6),
    checkNumber('consistencyWeight', o.consistencyWeight ?? D.consistencyWeight, 0, 1e6), dropout,
    checkNumber('learningRate', o.learningRate ?? D.learningRate, 1e-9, 10),
    checkNumber('weightDecay', o.weightDecay ?? D.weightDecay, 0, 10),
    int('batchSize', D.batchSize, 1, L.maxBatchSize), int('feedbackCapacity', D.feedbackCapacity, 1, L.maxFeedbackCapacity),
    replayCapacity, replayPerBatch, ewc, int('seed', D.seed, 0, Number.MAX_SAFE_INTEGER),
    int('onlineSteps', D.onlineSteps, 0, L.maxOnlineSteps),
    int('randomNegatives', D.randomNegatives, 0, L.maxRandomNegatives), replayHalfLife, insertSteps,
    checkNumber('edgeLearningRate', o.edgeLearningRate ?? D.edgeLearningRate, 0, L.maxEdgeLearningRate),
    int('memoryCapacity', D.memoryCapacity, 0, L.maxMemoryCapacity),
  ];
}

/** What learning.ts needs of a VectorIndex (its private state, handed over by it). */
export interface LearningHost {
  mod: LearningModule;
  handle: () => number;
  /** malloc'd scratch of at least `bytes` (may grow the heap: re-read views after). */
  scratch: (bytes: number) => number;
  slotOf: (id: Id) => number;
  idOf: (slot: number) => Id;
  metadataOf: (slot: number) => Metadata | undefined;
  writeVector: (vector: ArrayLike<number>, ptr: number) => void;
  dimensions: number;
  error: () => NeurovecError;
}

export function configureLearning(host: LearningHost, options: LearningOptions): void {
  const values = resolveLearningOptions(options);
  const ptr = host.scratch(LEARNING_OPTION_COUNT * 8);
  host.mod.HEAPF64.set(values, ptr >>> 3);
  if (host.mod._nv_learning_configure(host.handle(), ptr, LEARNING_OPTION_COUNT) < 0) throw host.error();
}

/** Positive and negative ids of either feedback form (validated). */
export interface Judgements {
  positive: ReadonlyArray<Id>;
  negative: ReadonlyArray<Id>;
  /** Implicit negatives from `shown`: ids no longer in the index are dropped, not refused. */
  skipped: ReadonlyArray<Id>;
  where: [string, string];
}

/** Either feedback form as positive and negative ids (validated; exported for unit tests). */
export function judgements(feedback: Feedback): Judgements {
  if (feedback === null || typeof feedback !== 'object') {
    throw invalid('feedback expects { clicked: ids, shown?: ids, rejected?: ids } or { positive: ids, negative?: ids } as its second argument');
  }
  const keys = Object.keys(feedback);
  const listOf = (name: string, value: unknown, what: string): ReadonlyArray<Id> => {
    if (!Array.isArray(value)) throw invalid(`feedback.${name} must be an array of ids (${what})`);
    if (value.length > 4096) throw invalid(`feedback.${name} takes at most 4096 ids`);
    return value;
  };
  if ('clicked' in feedback) {
    for (const key of keys) {
      if (!['clicked', 'shown', 'rejected', 'implicit'].includes(key)) {
        throw invalid(`unknown feedback field "${key}"; expected clicked, shown, rejected or implicit`);
      }
    }
    const clicked = listOf('clicked', feedback.clicked, 'the results the user clicked');
    if (clicked.length === 0) throw invalid('feedback.clicked must name at least one id (the results the user clicked)');
    const shown = listOf('shown', feedback.shown ?? [], 'the results shown, best first');
    const rejected = listOf('rejected', feedback.rejected ?? [], 'the results the user rejected');
    const implicit = feedback.implicit ?? 'above';
    if (!['above', 'all', 'none'].includes(implicit)) {
      throw invalid(`feedback.implicit must be 'above', 'all' or 'none', got ${JSON.stringify(implicit)}`);
    }
    const isClicked = new Set<Id>(clicked);
    let last = -1;
    shown.forEach((id, i) => { if (isClicked.has(id)) last = i; });
    for (const id of rejected) {
      if (isClicked.has(id)) throw invalid(`feedback lists id ${JSON.stringify(id)} as both clicked and rejected`);
    }
    const isRejected = new Set<Id>(rejected);
    const skipped = implicit === 'none' ? [] : [...new Set<Id>(shown.filter((id, i) =>
      !isClicked.has(id) && !isRejected.has(id) && (implicit === 'all' || i < last)))];
    return { positive: [...isClicked], negative: [...isRejected], skipped, where: ['clicked', 'rejected'] };
  }
  for (const key of keys) {
    if (key !== 'positive' && key !== 'negative') {
      throw invalid(`unknown feedback field "${key}"; expected clicked, shown, rejected, implicit (clicks) or positive, negative`);
    }
  }
  const positive = listOf('positive', feedback.positive, 'the results the user chose');
  if (positive.length === 0) throw invalid('feedback.positive must be a non-empty array of ids (the results the user chose)');
  const negative = listOf('negative', feedback.negative ?? [], 'the results the user rejected');
  return { positive, negative, skipped: [], where: ['positive', 'negative'] };
}

export function giveFeedback(host: LearningHost, query: ArrayLike<number>, feedback: Feedback): void {
  const { positive, negative, skipped, where } = judgements(feedback);
  const slotsOf = (ids: ReadonlyArray<Id>, where: string) => ids.map((id, i) => {
    const slot = host.slotOf(id);
    if (slot < 0) throw new NeurovecError('NOT_FOUND', `feedback.${where}[${i}]: id ${JSON.stringify(id)} is not in the index`);
    return slot;
  });
  const pos = slotsOf(positive, where[0]);
  const neg = slotsOf(negative, where[1]);
  const explicit = neg.length;  // the skipped ones follow: implicit negatives, which the click memory ignores
  for (const id of skipped) {
    const slot = host.slotOf(id);
    if (slot >= 0) neg.push(slot);
  }
  const d = host.dimensions;
  const ptr = host.scratch(d * 4 + (pos.length + neg.length) * 4);
  host.writeVector(query, ptr);
  const heap32 = host.mod.HEAPU32;
  heap32.set(pos, (ptr >>> 2) + d);
  heap32.set(neg, (ptr >>> 2) + d + pos.length);
  const rc = host.mod._nv_feedback(host.handle(), ptr, ptr + d * 4, pos.length, ptr + (d + pos.length) * 4, neg.length,
    neg.length - explicit);
  if (rc < 0) throw host.error();
}

function abortError(): NeurovecError {
  return new NeurovecError('ABORTED', 'training was aborted by its AbortSignal; the model is as it was before train()');
}

export async function train(host: LearningHost, options: TrainOptions = {}): Promise<TrainProgress> {
  if (options === null || typeof options !== 'object') throw invalid('train expects an options object like { epochs: 10 }');
  for (const key of Object.keys(options)) {
    if (!['epochs', 'onProgress', 'signal', 'batchesPerStep', 'threads'].includes(key)) {
      throw invalid(`unknown train option "${key}"; expected epochs, onProgress, signal, batchesPerStep or threads`);
    }
  }
  const epochs = checkInteger('epochs', options.epochs ?? 10, 1, 100000);
  const perStep = checkInteger('batchesPerStep', options.batchesPerStep ?? 1, 1, 1 << 20);
  const threads = checkInteger('threads', options.threads ?? 1, 1, 64);
  const { onProgress, signal } = options;
  if (onProgress !== undefined && typeof onProgress !== 'function') throw invalid('onProgress must be a function');
  if (signal !== undefined && (signal === null || typeof signal.aborted !== 'boolean')) throw invalid('signal must be an AbortSignal');
  if (signal?.aborted) throw abortError();
  const mod = host.mod;
  // The training keeps the thread count it began with (at most the pool).
  mod._nv_set_threads(Math.min(threads, mod.nvThreads ?? 1));
  if (mod._nv_train_begin(host.handle(), epochs) < 0) throw host.error();
  for (;;) {
    const out = host.scratch(TRAIN_PROGRESS_COUNT * 8);
    const rc = mod._nv_train_step(host.handle(), perStep, out);
    if (rc < 0) throw host.error();
    const p = mod.HEAPF64.slice(out >>> 3, (out >>> 3) + TRAIN_PROGRESS_COUNT);
    const progress: TrainProgress = {
      epoch: p[0], epochs: p[1], batchesDone: p[2], batchesTotal: p[3], examplesDone: p[4], loss: p[5], threads: p[7],
    };
    try {
      onProgress?.(progress);
    } catch (error) {
      if (rc === 0) mod._nv_train_cancel(host.handle());
      throw error;
    }
    if (rc === 1) return progress;
    // Let timers, I/O and the AbortSignal's listeners run between steps.
    await yieldToEventLoop();
    if (!host.handle()) throw new NeurovecError('DISPOSED', 'this VectorIndex was disposed during train()');
    if (signal?.aborted) {
      mod._nv_train_cancel(host.handle());
      throw abortError();
    }
  }
}

// One encoder for every call, as the vector search path has.
const filterEncoder = new TextEncoder();
const EMPTY_BYTES = new Uint8Array(0);

/** The search option `memory` as nv_search_learned's 7 floats (validated). */
export function resolveMemorySearch(memory: MemorySearchOptions | false | undefined): number[] {
  const D = DEFAULTS.memory;
  if (memory === undefined) return [D.neighbours, D.strength, D.rejectWeight, D.minSimilarity, D.minEvents, D.scan, D.halfLife];
  if (memory === false) return [D.neighbours, 0, D.rejectWeight, D.minSimilarity, D.minEvents, D.scan, D.halfLife];
  if (memory === null || typeof memory !== 'object' || Array.isArray(memory)) {
    throw invalid('memory must be an object like { strength: 64, neighbours: 200 } or false');
  }
  for (const key of Object.keys(memory)) {
    if (!['neighbours', 'strength', 'rejectWeight', 'minSimilarity', 'minEvents', 'scan', 'halfLife'].includes(key)) {
      throw invalid(`unknown memory option "${key}"; expected neighbours, strength, rejectWeight, minSimilarity, minEvents, scan or halfLife`);
    }
  }
  const L = LIMITS.memory;
  const number = (name: string, value: unknown, min: number, max: number) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw invalid(`memory.${name} must be a number from ${min} to ${max}, got ${String(value)}`);
    }
    return value;
  };
  return [
    checkInteger('memory.neighbours', memory.neighbours ?? D.neighbours, 1, L.maxNeighbours),
    number('strength', memory.strength ?? D.strength, 0, L.maxStrength),
    number('rejectWeight', memory.rejectWeight ?? D.rejectWeight, 0, L.maxRejectWeight),
    number('minSimilarity', memory.minSimilarity ?? D.minSimilarity, -1, 1),
    checkInteger('memory.minEvents', memory.minEvents ?? D.minEvents, 0, LIMITS.learning.maxMemoryCapacity),
    checkInteger('memory.scan', memory.scan ?? D.scan, 0, L.maxScan),
    number('halfLife', memory.halfLife ?? D.halfLife, 0, LIMITS.learning.maxMemoryCapacity),
  ];
}

/** The neural modes (1..3). `query` is already validated, `filterJson` encoded by the caller. */
export function searchLearned(host: LearningHost, query: ArrayLike<number>, k: number, ef: number, filterJson: string,
  mode: SearchMode, temperature: number | undefined, expand: number | undefined = undefined,
  memory: MemorySearchOptions | false | undefined = undefined
): SearchResult[] | SubgraphSearchResult | DifferentiableSearchResult {
  const modeCode = SEARCH_MODES.indexOf(mode);
  const memoryValues = resolveMemorySearch(memory);
  let expandCount = 0;
  if (expand !== undefined) {
    if (typeof expand !== 'number' || !Number.isInteger(expand) || expand < 0 || expand > MAX_EXPAND) {
      throw invalid(`expand must be an integer from 0 to ${MAX_EXPAND} (items the learned walk may add), got ${String(expand)}`);
    }
    expandCount = expand;
  }
  let temp = 0.1;
  if (temperature !== undefined) {
    if (mode !== 'differentiable') throw invalid("temperature applies to mode 'differentiable' only");
    if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature <= 0) {
      throw invalid(`temperature must be a positive number, got ${String(temperature)}`);
    }
    temp = temperature;
  }
  const mod = host.mod;
  const d = host.dimensions;
  const encoded = filterJson ? filterEncoder.encode(filterJson) : EMPTY_BYTES;
  // Layout: [query][slots k][distances k][scores k][filter][out count][memory 7 floats]
  const ptr = host.scratch(d * 4 + k * 12 + encoded.length + 8 + 28);
  host.writeVector(query, ptr);
  const slotsPtr = ptr + d * 4;
  const filterPtr = slotsPtr + k * 12;
  mod.HEAPU8.set(encoded, filterPtr);
  const countPtr = (filterPtr + encoded.length + 3) & ~3;
  const memoryPtr = countPtr + 4;
  mod.HEAPF32.set(memoryValues, memoryPtr >>> 2);
  const count = mod._nv_search_learned(host.handle(), ptr, k, ef, encoded.length ? filterPtr : 0, encoded.length,
    modeCode, temp, expandCount, memoryPtr, slotsPtr, slotsPtr + k * 4, slotsPtr + k * 8);
  if (count < 0) throw host.error();
  // Copy everything out before idOf/metadataOf, which may allocate.
  const slots = mod.HEAPU32.slice(slotsPtr >>> 2, (slotsPtr >>> 2) + count);
  const distances = mod.HEAPF32.slice((slotsPtr >>> 2) + k, (slotsPtr >>> 2) + k + count);
  const scores = mod.HEAPF32.slice((slotsPtr >>> 2) + 2 * k, (slotsPtr >>> 2) + 2 * k + count);
  let edges: Float32Array | undefined;
  let candidates: Uint32Array | undefined;
  let attention: Float32Array | undefined;
  let soft: Float32Array | undefined;
  if (mode === 'subgraph') {
    const e = mod._nv_learned_edges(countPtr);
    const n = mod.HEAPU32[countPtr >>> 2];
    edges = mod.HEAPF32.slice(e >>> 2, (e >>> 2) + 3 * n);
  } else if (mode === 'differentiable') {
    const c = mod._nv_learned_candidates(countPtr);
    const n = mod.HEAPU32[countPtr >>> 2];
    candidates = mod.HEAPU32.slice(c >>> 2, (c >>> 2) + n);
    const a = mod._nv_learned_attention();
    attention = mod.HEAPF32.slice(a >>> 2, (a >>> 2) + n);
    const s = mod._nv_learned_soft_vector(countPtr);
    soft = mod.HEAPF32.slice(s >>> 2, (s >>> 2) + mod.HEAPU32[countPtr >>> 2]);
  }
  const results: SearchResult[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const result: SearchResult = { id: host.idOf(slots[i]), distance: distances[i], score: scores[i] };
    const metadata = host.metadataOf(slots[i]);
    if (metadata !== undefined) result.metadata = metadata;
    results[i] = result;
  }
  if (edges) {
    const out: SubgraphEdge[] = [];
    for (let i = 0; i < edges.length; i += 3) {
      out.push({ source: results[edges[i]].id, target: results[edges[i + 1]].id, weight: edges[i + 2] });
    }
    return { results, nodes: results.map((r) => r.id), edges: out };
  }
  if (candidates && attention && soft) {
    const list = Array.from(candidates, (slot, i) => ({ id: host.idOf(slot), weight: attention![i] }));
    return { results, candidates: list, softVector: soft, temperature: temp };
  }
  return results;
}

/** The module's export of the refiner's inputs (nv_refiner_inputs, neurovec_learning_c.h). */
export interface RefinerInputsModule extends LearningModule {
  _nv_refiner_inputs(index: number, query: number, k: number, ef: number, filter: number, filterLen: number,
    memory: number): number;
  _nv_refiner_input_slots(): number;
  _nv_refiner_input_distances(): number;
  _nv_refiner_input_vectors(): number;
  _nv_refiner_input_adjacency(): number;
  _nv_refiner_input_link_offsets(): number;
  _nv_refiner_input_query(): number;
}

/** What the refiner reads for one query: the k' candidates, their vectors and HNSW links (copied out of the heap). */
export interface RefinerInputs {
  slots: Uint32Array;
  distances: Float32Array;
  /** count x dimensions, row-major. */
  vectors: Float32Array;
  /** count x count, 1 where candidate i links to candidate j at HNSW level 0. */
  adjacency: Uint8Array;
  /** count x count, each link's learned logit offset (learning.edgeLearningRate; 0 where none). */
  linkOffsets: Float32Array;
  /** The query the refiner scores against: the caller's, or the one the click memory moved. */
  query: Float32Array;
}

export function refinerInputs(host: LearningHost, query: ArrayLike<number>, k: number, ef: number,
  filterJson: string, memory: MemorySearchOptions | false | undefined = undefined): RefinerInputs {
  const mod = host.mod as RefinerInputsModule;
  const d = host.dimensions;
  const memoryValues = resolveMemorySearch(memory);
  const encoded = filterJson ? filterEncoder.encode(filterJson) : EMPTY_BYTES;
  // Layout: [query][memory 7 floats][filter]
  const ptr = host.scratch(d * 4 + 28 + encoded.length);
  host.writeVector(query, ptr);
  mod.HEAPF32.set(memoryValues, (ptr + d * 4) >>> 2);
  const filterPtr = ptr + d * 4 + 28;
  mod.HEAPU8.set(encoded, filterPtr);
  const n = mod._nv_refiner_inputs(host.handle(), ptr, k, ef, encoded.length ? filterPtr : 0, encoded.length, ptr + d * 4);
  if (n < 0) throw host.error();
  const s = mod._nv_refiner_input_slots() >>> 2;
  const dist = mod._nv_refiner_input_distances() >>> 2;
  const v = mod._nv_refiner_input_vectors() >>> 2;
  const a = mod._nv_refiner_input_adjacency();
  const o = mod._nv_refiner_input_link_offsets() >>> 2;
  const qp = mod._nv_refiner_input_query() >>> 2;
  return {
    query: mod.HEAPF32.slice(qp, qp + d),
    slots: mod.HEAPU32.slice(s, s + n),
    distances: mod.HEAPF32.slice(dist, dist + n),
    vectors: mod.HEAPF32.slice(v, v + n * d),
    adjacency: mod.HEAPU8.slice(a, a + n * n),
    linkOffsets: mod.HEAPF32.slice(o, o + n * n),
  };
}
