// Leaf checks of user input, in JS before anything reaches the core, so errors
// name the argument the user passed; and ids on the wire. Pure functions,
// unit-tested with Vitest. Option resolution (CreateOptions and its parts) is
// in options.ts, which builds on these.
import { invalid, NeurovecError } from './errors.js';
import { LIMITS } from './limits.js';
import type { Id, Metadata, Metric } from './types.js';

export const METRICS: readonly Metric[] = ['l2', 'cosine', 'dot', 'manhattan'];
export const MAX_DIMENSIONS = LIMITS.maxDimensions;
export const MAX_M = LIMITS.maxM;
export const MAX_EF = LIMITS.maxEf;
export const MAX_ID_BYTES = LIMITS.maxIdBytes;
/** Largest squared norm the core accepts (a quarter of FLT_MAX; see storage/vector_store.h). */
export const MAX_SQUARED_NORM = 8.5e37;

/** A value as an error message shows it ("got ..."). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value);
  return typeof value;
}

export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${name} must be an integer from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

/** UTF-8 length of a string, or -1 if it has a lone surrogate (which UTF-8
 * cannot encode: TextEncoder writes U+FFFD, so distinct ids would collide). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c < 0xd800 || c > 0xdfff) bytes += 3;
    else if (c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4; // a surrogate pair: one 4-byte code point
      i++;
    } else return -1;
  }
  return bytes;
}

export function checkId(id: unknown, where = 'id'): Id {
  if (typeof id === 'string') {
    if (id.length === 0) throw invalid(`${where} must not be an empty string`);
    if (id.length > MAX_ID_BYTES) throw invalid(`${where} is longer than ${MAX_ID_BYTES} characters`);
    // Ids are stored as UTF-8, at most MAX_ID_BYTES: check both here, so that
    // addBatch rejects a bad id before inserting any chunk.
    const bytes = utf8Length(id);
    if (bytes < 0) throw invalid(`${where} is not well-formed Unicode (it has a lone surrogate); ids are stored as UTF-8`);
    if (bytes > MAX_ID_BYTES) throw invalid(`${where} is longer than ${MAX_ID_BYTES} bytes in UTF-8`);
    return id;
  }
  if (typeof id === 'number') {
    if (!Number.isSafeInteger(id)) throw invalid(`${where} must be a string or a safe integer, got ${describeValue(id)}`);
    return id;
  }
  throw invalid(`${where} must be a string or a safe integer, got ${describeValue(id)}`);
}

/** Checks type, length and values of a vector; returns it as an array-like of numbers. */
export function checkVector(vector: unknown, dimensions: number, metric: Metric, where = 'vector'): ArrayLike<number> {
  const ok = vector instanceof Float32Array || vector instanceof Float64Array || Array.isArray(vector) ||
    (ArrayBuffer.isView(vector) && !(vector instanceof DataView) && !(vector instanceof BigInt64Array) &&
      !(vector instanceof BigUint64Array));
  if (!ok) throw invalid(`${where} must be a Float32Array or an array of numbers, got ${describeValue(vector)}`);
  const v = vector as ArrayLike<number>;
  if (v.length !== dimensions) {
    throw invalid(`${where} has ${v.length} dimensions; this index expects ${dimensions}`);
  }
  checkFinite(v, 0, dimensions, metric, where);
  return v;
}

/** Checks values [offset, offset+dimensions) of a flat array. */
export function checkFinite(v: ArrayLike<number>, offset: number, dimensions: number, metric: Metric, where: string): void {
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const x = v[offset + i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw invalid(`${where}[${i}] is ${describeValue(x)}; expected a finite number`);
    }
    norm += x * x;
  }
  if (norm > MAX_SQUARED_NORM) {
    throw invalid(`${where} is too large: its squared norm exceeds 8.5e37, so distances to other vectors could overflow float`);
  }
  if (metric === 'cosine' && norm === 0) {
    throw invalid(`${where} is all zeros; the cosine metric needs a non-zero vector`);
  }
}

export function checkMetadata(metadata: unknown, where = 'metadata'): string {
  if (metadata === undefined) return '';
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata) || ArrayBuffer.isView(metadata)) {
    throw invalid(`${where} must be a plain object like { category: "shoes" }, got ${describeValue(metadata)}`);
  }
  let json: string;
  try {
    json = JSON.stringify(metadata as Metadata);
  } catch (error) {
    throw invalid(`${where} cannot be serialised to JSON: ${(error as Error).message}`);
  }
  return json === '{}' ? '' : json;
}

export function checkK(k: unknown): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k <= 0 || k > MAX_EF) {
    throw invalid(`k must be a positive integer (at most ${MAX_EF}), got ${describeValue(k)}`);
  }
  return k;
}

// ---- Ids on the wire: 'n' + int64 little-endian, or 's' + UTF-8 ----

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// Browsers' TextEncoder.encodeInto and TextDecoder.decode refuse views of
// shared memory (the threaded build's heap); Node's accept them. Probed once.
const sharedMemory = typeof SharedArrayBuffer === 'function';
function acceptsShared(use: (view: Uint8Array) => void): boolean {
  if (!sharedMemory) return true;
  try {
    use(new Uint8Array(new SharedArrayBuffer(8)));
    return true;
  } catch {
    return false;
  }
}
const encodeIntoShared = acceptsShared((view) => encoder.encodeInto('a', view));
const decodeShared = acceptsShared((view) => decoder.decode(view));
const isShared = (view: Uint8Array) => sharedMemory && view.buffer instanceof SharedArrayBuffer;

/**
 * TextEncoder.encodeInto(text, out).written, also where `out` views shared
 * memory and this TextEncoder refuses it: the text is then encoded into a
 * private buffer of the same room and copied.
 */
export function encodeTextInto(text: string, out: Uint8Array): number {
  if (encodeIntoShared || !isShared(out)) return encoder.encodeInto(text, out).written;
  const scratch = new Uint8Array(out.length);
  const { written } = encoder.encodeInto(text, scratch);
  out.set(scratch.subarray(0, written));
  return written;
}

/** Writes the encoded id into `out` at `offset`; returns the byte length. `out`
 * must have room for maxEncodedIdBytes(id). */
export function encodeId(id: Id, out: Uint8Array, offset: number): number {
  if (typeof id === 'number') {
    out[offset] = 0x6e; // 'n'
    const big = BigInt.asUintN(64, BigInt(id));
    const lo = Number(big & 0xffffffffn);
    const hi = Number(big >> 32n);
    for (let i = 0; i < 4; i++) out[offset + 1 + i] = (lo >>> (8 * i)) & 0xff;
    for (let i = 0; i < 4; i++) out[offset + 5 + i] = (hi >>> (8 * i)) & 0xff;
    return 9;
  }
  out[offset] = 0x73; // 's'
  return 1 + encodeTextInto(id, out.subarray(offset + 1, offset + 1 + maxEncodedIdBytes(id)));
}

export function maxEncodedIdBytes(id: Id): number {
  return typeof id === 'number' ? 9 : 1 + 3 * id.length;
}

export function decodeId(bytes: Uint8Array): Id {
  if (bytes[0] === 0x6e && bytes.length === 9) {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 4; i++) lo += bytes[1 + i] * 2 ** (8 * i);
    for (let i = 0; i < 4; i++) hi += bytes[5 + i] * 2 ** (8 * i);
    return Number(BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)));
  }
  if (bytes[0] === 0x73) return decodeText(bytes.subarray(1));
  throw new NeurovecError('INTERNAL', 'malformed id from the core');
}

export function decodeText(bytes: Uint8Array): string {
  // Browsers' TextDecoder refuses views of shared memory (the threaded build's heap).
  if (!decodeShared && isShared(bytes)) return decoder.decode(bytes.slice());
  return decoder.decode(bytes);
}
