// The learned query refiner run by ONNX Runtime Web (issue 5): a model written
// by `neurovec train --onnx` (cpp/include/neurovec/onnx_export.h), batched
// inference in Node and browsers.
//
// onnxruntime-web is an optional peer dependency: it is imported lazily, the
// first time OnnxRefiner.create() runs, so users who never use ONNX neither
// load nor need it. Nothing is fetched from a CDN: in Node, ORT's .wasm files
// are taken from node_modules/onnxruntime-web/dist (index.ts registers that
// default); in browsers, pass `wasmPaths` (the URL prefix where the app serves
// node_modules/onnxruntime-web/dist/) or an `ort` module the app imported and
// configured itself.
import { NeurovecError } from './errors.js';

/** Why an ONNX refiner could not be created or run. */
export type OnnxRefinerErrorReason =
  | 'runtime-missing' // onnxruntime-web is not installed / could not be imported
  | 'invalid-model' // the bytes are not a loadable ONNX model
  | 'mismatch' // a model, but not a neurovec query refiner for this index (names, shapes, dims)
  | 'run-failed'; // ONNX Runtime failed while running the model

/** Every failure of OnnxRefiner is an OnnxRefinerError (a NeurovecError). */
export class OnnxRefinerError extends NeurovecError {
  readonly reason: OnnxRefinerErrorReason;
  constructor(reason: OnnxRefinerErrorReason, message: string, options?: { cause?: unknown }) {
    super(reason === 'run-failed' ? 'INTERNAL' : reason === 'runtime-missing' ? 'FAILED_PRECONDITION' : 'INVALID_ARGUMENT', message);
    this.name = 'OnnxRefinerError';
    this.reason = reason;
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** The part of onnxruntime-web this file uses (so its types are not needed to compile users' code). */
export interface OrtTensor {
  readonly dims: readonly number[];
  readonly data: unknown;
}
export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: ReadonlyArray<{ name: string; isTensor?: boolean; type?: string; shape?: ReadonlyArray<number | string> }>;
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}
export interface OrtModule {
  env: { wasm: { wasmPaths?: unknown; numThreads?: number; proxy?: boolean } };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
}

export interface OnnxRefinerOptions {
  /** The index's dimensions: the model must take vectors of this size (checked on create). */
  dimensions?: number;
  /** Where ORT's .wasm files are served (ort.env.wasm.wasmPaths). Default in Node: node_modules/onnxruntime-web/dist. */
  wasmPaths?: string;
  /** An onnxruntime-web module imported (and configured) by the application; otherwise imported lazily. */
  ort?: OrtModule;
  /** ORT wasm threads (default 1: the library stays single-threaded, like the index). */
  numThreads?: number;
}

/** One batch of refiner inputs: B queries with K candidates each (row-major float32). */
export interface RefinerBatch {
  batch: number;
  candidates: number;
  query: Float32Array; // B x D
  vectors: Float32Array; // B x K x D
  /** B x K x K: 0 where candidate i has no link to candidate j, else the link's strength, exp(its learned offset) (1 when none was learned). */
  adjacency: Float32Array;
}

export interface RefinerOutputs {
  scores: Float32Array; // B x K
  refinedQuery: Float32Array; // B x H
}

const INPUTS = ['query', 'candidates', 'adjacency'] as const;
const OUTPUTS = ['refined_query', 'scores'] as const;

// Node's entry (index.ts) registers where node_modules/onnxruntime-web/dist is.
let defaultWasmPaths: (() => string | undefined) | undefined;
export function setDefaultOrtWasmPaths(resolver: () => string | undefined): void {
  defaultWasmPaths = resolver;
}

async function loadOrt(options: OnnxRefinerOptions): Promise<OrtModule> {
  if (options.ort) return options.ort;
  let ort: OrtModule;
  try {
    const imported = (await import('onnxruntime-web')) as unknown as OrtModule & { default?: OrtModule };
    ort = imported.InferenceSession ? imported : (imported.default as OrtModule);
  } catch (cause) {
    throw new OnnxRefinerError('runtime-missing',
      'onnxruntime-web could not be imported: install it (npm install onnxruntime-web) to run ONNX refiners', { cause });
  }
  const paths = options.wasmPaths ?? defaultWasmPaths?.();
  if (paths !== undefined) ort.env.wasm.wasmPaths = paths;
  ort.env.wasm.numThreads = options.numThreads ?? 1;
  return ort;
}

function shapeOf(session: OrtSession, name: string): ReadonlyArray<number | string> | undefined {
  return session.inputMetadata?.find((m) => m.name === name)?.shape;
}

/** A neurovec query refiner exported to ONNX, run by ONNX Runtime Web. */
export class OnnxRefiner {
  /** Vector size the model takes (D). */
  readonly dimensions: number;

  private constructor(private readonly ort: OrtModule, private session: OrtSession | undefined, dimensions: number) {
    this.dimensions = dimensions;
  }

  /**
   * Loads a model and checks that it is a neurovec query refiner: inputs
   * query [B,D], candidates [B,K,D], adjacency [B,K,K]; outputs refined_query,
   * scores [B,K]; D equal to `options.dimensions` when given. A probe run
   * (1 query, 2 candidates) catches models that load but cannot run.
   * Rejects with OnnxRefinerError ('runtime-missing' | 'invalid-model' | 'mismatch').
   */
  static async create(model: Uint8Array | ArrayBuffer, options: OnnxRefinerOptions = {}): Promise<OnnxRefiner> {
    const bytes = model instanceof Uint8Array ? model : model instanceof ArrayBuffer ? new Uint8Array(model) : undefined;
    if (!bytes || bytes.length === 0) throw new OnnxRefinerError('invalid-model', 'the ONNX model must be non-empty bytes (Uint8Array or ArrayBuffer)');
    const ort = await loadOrt(options);
    let session: OrtSession;
    try {
      session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    } catch (cause) {
      throw new OnnxRefinerError('invalid-model', `ONNX Runtime could not load the model: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    }
    const fail = (message: string) => {
      void session.release?.();
      return new OnnxRefinerError('mismatch', message);
    };
    const missingIn = INPUTS.filter((n) => !session.inputNames.includes(n));
    const missingOut = OUTPUTS.filter((n) => !session.outputNames.includes(n));
    if (missingIn.length || missingOut.length || session.inputNames.length !== INPUTS.length) {
      throw fail(`not a neurovec query refiner: expected inputs (${INPUTS.join(', ')}) and outputs (${OUTPUTS.join(', ')}), ` +
        `got inputs (${session.inputNames.join(', ')}) and outputs (${session.outputNames.join(', ')})`);
    }
    const q = shapeOf(session, 'query');
    const c = shapeOf(session, 'candidates');
    const a = shapeOf(session, 'adjacency');
    if (q && c && a && (q.length !== 2 || c.length !== 3 || a.length !== 3)) {
      throw fail(`refiner inputs must be query [B,D], candidates [B,K,D], adjacency [B,K,K]; got query [${q}], candidates [${c}], adjacency [${a}]`);
    }
    const modelDim = typeof q?.[1] === 'number' ? q[1] : typeof c?.[2] === 'number' ? c[2] : undefined;
    const dimensions = options.dimensions ?? modelDim;
    if (dimensions === undefined || !Number.isInteger(dimensions) || dimensions < 1) {
      throw fail('the model does not declare its vector size: pass options.dimensions (the index\'s dimensions)');
    }
    if (modelDim !== undefined && modelDim !== dimensions) {
      throw fail(`the model takes ${modelDim}-dimensional vectors, the index has ${dimensions} dimensions`);
    }
    const refiner = new OnnxRefiner(ort, session, dimensions);
    try {
      const probe = new Float32Array(dimensions).fill(1);
      const out = await refiner.run({
        batch: 1, candidates: 2, query: probe, vectors: new Float32Array(2 * dimensions).fill(0.5), adjacency: new Float32Array(4),
      });
      if (out.scores.length !== 2) throw fail(`the model's scores have ${out.scores.length} values for 2 candidates (expected [B,K])`);
    } catch (error) {
      await refiner.dispose();
      if (error instanceof OnnxRefinerError && error.reason === 'run-failed') {
        throw new OnnxRefinerError('mismatch', `the model loads but does not run as a query refiner: ${error.message}`, { cause: error });
      }
      throw error;
    }
    return refiner;
  }

  /** Scores B queries' K candidates in one session.run. Rejects with OnnxRefinerError('run-failed'). */
  async run(batch: RefinerBatch): Promise<RefinerOutputs> {
    const session = this.session;
    if (!session) throw new NeurovecError('DISPOSED', 'this OnnxRefiner was disposed');
    const { batch: b, candidates: k } = batch;
    const d = this.dimensions;
    if (batch.query.length !== b * d || batch.vectors.length !== b * k * d || batch.adjacency.length !== b * k * k) {
      throw new OnnxRefinerError('mismatch', `refiner batch sizes do not fit B=${b}, K=${k}, D=${d}: query ${batch.query.length} ` +
        `(expected ${b * d}), candidates ${batch.vectors.length} (expected ${b * k * d}), adjacency ${batch.adjacency.length} (expected ${b * k * k})`);
    }
    let out: Record<string, OrtTensor>;
    try {
      out = await session.run({
        query: new this.ort.Tensor('float32', batch.query, [b, d]),
        candidates: new this.ort.Tensor('float32', batch.vectors, [b, k, d]),
        adjacency: new this.ort.Tensor('float32', batch.adjacency, [b, k, k]),
      });
    } catch (cause) {
      throw new OnnxRefinerError('run-failed', `ONNX Runtime failed to run the refiner: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    }
    const scores = out.scores;
    const refined = out.refined_query;
    if (!scores || !(scores.data instanceof Float32Array) || scores.data.length !== b * k) {
      throw new OnnxRefinerError('mismatch', `the model's scores output is not float32 [${b}, ${k}]`);
    }
    if (!refined || !(refined.data instanceof Float32Array) || refined.dims.length !== 2 || refined.dims[0] !== b) {
      throw new OnnxRefinerError('mismatch', `the model's refined_query output is not float32 [${b}, H]`);
    }
    return { scores: scores.data, refinedQuery: refined.data };
  }

  async dispose(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    await s?.release?.();
  }
}
