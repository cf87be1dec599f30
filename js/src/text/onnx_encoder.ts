// The text encoder run by ONNX Runtime Web (issue 11): a model written by
// `neurovec export-encoder` (cpp/src/text/encoder_onnx_export.h). The feature
// buckets are computed here in JS (text_features.ts, the core's hashing byte
// for byte) and the model does the rest: gather the int8 rows, dequantise,
// sum, L2-normalise. The result equals TextIndex.encode(text) within float
// rounding (tests/js/text_onnx.test.mjs: max |diff| < 1e-4).
//
// onnxruntime-web is an optional peer dependency that the caller imports and
// passes in (`ort`); this file never imports it and nothing is fetched from a
// CDN. In browsers, configure ort.env.wasm.wasmPaths to where the app serves
// node_modules/onnxruntime-web/dist/ (or pass `wasmPaths`).
import { NeurovecError } from '../errors.js';
import { checkTextFeatureConfig, TEXT_FEATURES_VERSION, textFeatures, type TextFeatureConfig } from './text_features.js';

/** The part of onnxruntime-web this file uses (so its types are not needed to compile users' code). */
export interface OrtTextTensor {
  readonly dims: readonly number[];
  readonly data: unknown;
}
export interface OrtTextSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTextTensor>): Promise<Record<string, OrtTextTensor>>;
  release?(): Promise<void>;
}
export interface OrtTextModule {
  env: { wasm: { wasmPaths?: unknown; numThreads?: number } };
  Tensor: {
    new (type: 'int64', data: BigInt64Array, dims: readonly number[]): OrtTextTensor;
    new (type: 'float32', data: Float32Array, dims: readonly number[]): OrtTextTensor;
  };
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtTextSession> };
}

export interface OnnxTextEncoderOptions {
  /** The onnxruntime-web module (`import * as ort from 'onnxruntime-web'`). Required. */
  ort: OrtTextModule;
  /** Sets ort.env.wasm.wasmPaths before the session is created (browsers: where ORT's .wasm files are served). */
  wasmPaths?: string;
  /** Sets ort.env.wasm.numThreads before the session is created. */
  numThreads?: number;
  /** The feature layout, for models without neurovec metadata (default: read from the model). */
  features?: TextFeatureConfig;
}

function fail(message: string, cause?: unknown): NeurovecError {
  const e = new NeurovecError('INVALID_ARGUMENT', message);
  if (cause !== undefined) (e as { cause?: unknown }).cause = cause;
  return e;
}

/**
 * The metadata_props of a serialized ONNX ModelProto (field 14, key 1 /
 * value 2), read by walking the top-level protobuf fields: ONNX Runtime Web
 * does not expose them. Other fields (the graph with its weights) are skipped.
 */
export function readOnnxMetadata(bytes: Uint8Array): Map<string, string> {
  const text = new TextDecoder();
  const meta = new Map<string, string>();
  const varint = (buf: Uint8Array, pos: { p: number }): number => {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos.p >= buf.length) throw fail('not an ONNX model: truncated protobuf');
      const b = buf[pos.p++];
      v += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return v;
    }
    throw fail('not an ONNX model: bad protobuf varint');
  };
  const fields = (buf: Uint8Array, visit: (field: number, value: Uint8Array) => void) => {
    const pos = { p: 0 };
    while (pos.p < buf.length) {
      const key = varint(buf, pos);
      const field = Math.floor(key / 8);
      const wire = key % 8;
      if (wire === 0) varint(buf, pos);
      else if (wire === 1) pos.p += 8;
      else if (wire === 5) pos.p += 4;
      else if (wire === 2) {
        const len = varint(buf, pos);
        if (pos.p + len > buf.length) throw fail('not an ONNX model: truncated protobuf field');
        visit(field, buf.subarray(pos.p, pos.p + len));
        pos.p += len;
      } else {
        throw fail(`not an ONNX model: protobuf wire type ${wire}`);
      }
      if (pos.p > buf.length) throw fail('not an ONNX model: truncated protobuf');
    }
  };
  fields(bytes, (field, value) => {
    if (field !== 14) return;
    let key = '';
    let val = '';
    fields(value, (f, v) => {
      if (f === 1) key = text.decode(v);
      else if (f === 2) val = text.decode(v);
    });
    meta.set(key, val);
  });
  return meta;
}

function configFromMetadata(meta: Map<string, string>): TextFeatureConfig | undefined {
  if (meta.get('neurovec.kind') !== 'text-encoder') return undefined;
  const num = (k: string) => Number(meta.get(k));
  return {
    log2Buckets: num('neurovec.log2_buckets'), minN: num('neurovec.min_n'), maxN: num('neurovec.max_n'),
    words: meta.get('neurovec.words') === '1', bigrams: meta.get('neurovec.bigrams') === '1',
  };
}

/** A neurovec text encoder exported to ONNX, run by ONNX Runtime Web. */
export class OnnxTextEncoder {
  /** Embedding size. */
  readonly dimensions: number;
  /** The feature layout the buckets are computed with. */
  readonly features: Readonly<TextFeatureConfig>;
  /** Whether the model takes [batch, n] buckets + mask (`neurovec export-encoder --batched`). */
  readonly batched: boolean;

  private constructor(private readonly ort: OrtTextModule, private session: OrtTextSession | undefined,
    dimensions: number, features: TextFeatureConfig, batched: boolean) {
    this.dimensions = dimensions;
    this.features = Object.freeze({ ...features });
    this.batched = batched;
  }

  /**
   * Loads a model from `neurovec export-encoder`: reads its feature layout
   * from the model's metadata (or options.features), checks its inputs and
   * outputs and runs one probe text to learn its dimensions. Rejects with a
   * NeurovecError('INVALID_ARGUMENT') naming what is wrong.
   */
  static async create(model: Uint8Array | ArrayBuffer, options: OnnxTextEncoderOptions): Promise<OnnxTextEncoder> {
    const bytes = model instanceof Uint8Array ? model : model instanceof ArrayBuffer ? new Uint8Array(model) : undefined;
    if (!bytes || bytes.length === 0) throw fail('the ONNX model must be non-empty bytes (Uint8Array or ArrayBuffer)');
    const ort = options?.ort;
    if (!ort || typeof ort.InferenceSession?.create !== 'function' || typeof ort.Tensor !== 'function') {
      throw fail('options.ort must be the onnxruntime-web module (import * as ort from \'onnxruntime-web\')');
    }
    const meta = readOnnxMetadata(bytes);
    const version = meta.get('neurovec.features');
    if (version !== undefined && Number(version) !== TEXT_FEATURES_VERSION) {
      throw fail(`the model was exported for text features version ${version}; this neurovec computes version ${TEXT_FEATURES_VERSION}`);
    }
    const features = options.features ?? configFromMetadata(meta);
    if (!features) {
      throw fail('the model is not a neurovec text encoder (no neurovec.kind = "text-encoder" metadata): pass options.features');
    }
    try {
      checkTextFeatureConfig(features);
    } catch (cause) {
      throw fail(`bad feature config: ${(cause as Error).message}`, cause);
    }
    if (options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = options.wasmPaths;
    if (options.numThreads !== undefined) ort.env.wasm.numThreads = options.numThreads;
    let session: OrtTextSession;
    try {
      session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    } catch (cause) {
      throw fail(`ONNX Runtime could not load the model: ${(cause as Error)?.message ?? String(cause)}`, cause);
    }
    const batched = session.inputNames.includes('mask');
    const expected = batched ? ['buckets', 'mask'] : ['buckets'];
    if (session.inputNames.length !== expected.length || !expected.every((n) => session.inputNames.includes(n)) ||
      !session.outputNames.includes('embedding')) {
      void session.release?.();
      throw fail(`not a neurovec text encoder: expected inputs (${expected.join(', ')}) and output embedding, got inputs ` +
        `(${session.inputNames.join(', ')}) and outputs (${session.outputNames.join(', ')})`);
    }
    const encoder = new OnnxTextEncoder(ort, session, 0, features, batched);
    try {
      const probe = await encoder.runBuckets([new Uint32Array([0])]);
      (encoder as { dimensions: number }).dimensions = probe[0].length;
      const declared = Number(meta.get('neurovec.dimensions'));
      if (meta.has('neurovec.dimensions') && declared !== probe[0].length) {
        throw fail(`the model declares ${declared} dimensions but returns ${probe[0].length}`);
      }
    } catch (error) {
      await encoder.dispose();
      throw error instanceof NeurovecError ? error : fail(`the model loads but does not run as a text encoder: ${String(error)}`, error);
    }
    return encoder;
  }

  /** The feature buckets of a text under this model's layout (the model's input). */
  buckets(text: string | Uint8Array): Uint32Array {
    return textFeatures(text, this.features);
  }

  /** The unit embedding of a text (all zeros when it has no word, as the core's encoder). */
  async encode(text: string): Promise<Float32Array> {
    if (typeof text !== 'string') throw new NeurovecError('INVALID_ARGUMENT', 'text must be a string');
    return (await this.runBuckets([this.buckets(text)]))[0];
  }

  /**
   * Unit embeddings of several texts: one session.run for a batched model, one
   * per text otherwise. A batched run pads every text to the longest one's
   * feature count, so batch texts of similar length (measured in Node: 67
   * catalogue texts padded to 2061 features, 150 ms in one run against about
   * 25 ms one text at a time).
   */
  async encodeBatch(texts: readonly string[]): Promise<Float32Array[]> {
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) {
      throw new NeurovecError('INVALID_ARGUMENT', 'texts must be an array of strings');
    }
    return this.runBuckets(texts.map((t) => this.buckets(t)));
  }

  private async runBuckets(lists: Uint32Array[]): Promise<Float32Array[]> {
    const session = this.session;
    if (!session) throw new NeurovecError('DISPOSED', 'this OnnxTextEncoder was disposed');
    const max = 1 << this.features.log2Buckets;
    for (const l of lists) {
      for (let i = 0; i < l.length; i++) if (l[i] >= max) throw fail(`bucket ${l[i]} is outside the model's 2^${this.features.log2Buckets} rows`);
    }
    const run = async (feeds: Record<string, OrtTextTensor>) => {
      try {
        return await session.run(feeds);
      } catch (cause) {
        const e = new NeurovecError('INTERNAL', `ONNX Runtime failed to run the text encoder: ${(cause as Error)?.message ?? String(cause)}`);
        (e as { cause?: unknown }).cause = cause;
        throw e;
      }
    };
    const output = (out: Record<string, OrtTextTensor>, rows: number): Float32Array => {
      const t = out.embedding;
      if (!t || !(t.data instanceof Float32Array) || t.data.length % Math.max(rows, 1) !== 0) {
        throw fail('the model\'s embedding output is not float32');
      }
      return t.data;
    };
    if (!this.batched) {
      const results: Float32Array[] = [];
      for (const l of lists) {
        const ids = new BigInt64Array(l.length);
        for (let i = 0; i < l.length; i++) ids[i] = BigInt(l[i]);
        results.push(output(await run({ buckets: new this.ort.Tensor('int64', ids, [l.length]) }), 1));
      }
      return results;
    }
    const b = lists.length;
    if (b === 0) return [];
    const n = Math.max(1, ...lists.map((l) => l.length));
    const ids = new BigInt64Array(b * n);
    const mask = new Float32Array(b * n);
    lists.forEach((l, r) => {
      for (let i = 0; i < l.length; i++) {
        ids[r * n + i] = BigInt(l[i]);
        mask[r * n + i] = 1;
      }
    });
    const data = output(await run({
      buckets: new this.ort.Tensor('int64', ids, [b, n]),
      mask: new this.ort.Tensor('float32', mask, [b, n]),
    }), b);
    const d = data.length / b;
    return lists.map((_, r) => data.slice(r * d, (r + 1) * d));
  }

  async dispose(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    await s?.release?.();
  }
}
