// The text encoder's feature hashing in JS, byte for byte the core's
// (cpp/src/text/tokenizer.cc Words, cpp/src/text/text_features.cc
// TextFeatures and FeatureBucket): what an ONNX export of the encoder
// (`neurovec export-encoder`, onnx_encoder.ts) takes as input, since ONNX has
// no string hashing. A change there must be made here too
// (tests/js/text_onnx.test.mjs compares the buckets with the core's).
//
// - Text is UTF-8 bytes (TextEncoder: lone surrogates become U+FFFD, as
//   everywhere else in neurovec's JS API).
// - Words: maximal runs of ASCII letters and digits and of non-ASCII bytes;
//   ASCII letters lower-cased (nothing else case-folded); a word is cut to 40
//   bytes, never inside a UTF-8 sequence.
// - Features of word i, in this order: the word ('w'), the bigram "word next"
//   ('b'), the character n-grams (min_n..max_n bytes) of "<word>" ('c').
// - Bucket: FNV-1a 64 (the core's offset basis, see fnvStart) over (kind byte,
//   bytes), folded by splitmix64's finaliser, top log2_buckets bits. 64-bit
//   arithmetic on two 32-bit halves.
// - At most 65536 features per text (the first ones).

/** The feature layout of an encoder (FeatureConfig in text_features.h). */
export interface TextFeatureConfig {
  /** Rows of the embedding table: 2^log2Buckets (10..24). */
  log2Buckets: number;
  /** Character n-grams from minN to maxN bytes (both 0: none). */
  minN: number;
  maxN: number;
  /** Word and word-bigram features. */
  words: boolean;
  bigrams: boolean;
}

/** The core's defaults (and the shipped encoder's layout). */
export const DEFAULT_TEXT_FEATURES: Readonly<TextFeatureConfig> = Object.freeze({
  log2Buckets: 17, minN: 3, maxN: 5, words: true, bigrams: true,
});
/** Words are cut to this many UTF-8 bytes (kMaxWordBytes). */
export const MAX_WORD_BYTES = 40;
/** Features kept per text (kMaxFeatures). */
export const MAX_TEXT_FEATURES = 1 << 16;
/** Version of the feature and hash scheme (an ONNX export's neurovec.features). */
export const TEXT_FEATURES_VERSION = 1;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** Throws a TypeError/RangeError naming what is wrong with a feature config (FeatureConfig::Validate). */
export function checkTextFeatureConfig(c: TextFeatureConfig): TextFeatureConfig {
  const int = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
  if (c === null || typeof c !== 'object') throw new TypeError('feature config must be an object');
  if (!int(c.log2Buckets) || c.log2Buckets < 10 || c.log2Buckets > 24) {
    throw new RangeError(`log2Buckets must be an integer in [10, 24], got ${String(c.log2Buckets)}`);
  }
  if (!int(c.minN) || !int(c.maxN) || c.minN > c.maxN || c.maxN > 8 || (c.minN === 0) !== (c.maxN === 0) || c.minN < 0) {
    throw new RangeError(`character n-grams need 1 <= minN <= maxN <= 8 (or both 0), got ${String(c.minN)}..${String(c.maxN)}`);
  }
  if (typeof c.words !== 'boolean' || typeof c.bigrams !== 'boolean') throw new TypeError('words and bigrams must be booleans');
  if (!c.words && !c.bigrams && c.maxN === 0) throw new RangeError('the feature config enables no feature kind');
  return c;
}

// ---- 64-bit arithmetic on (hi, lo) uint32 halves -------------------------

// The running hash, as two uint32 halves (module state: no allocation per byte).
let hHi = 0;
let hLo = 0;

// (hHi, hLo) *= (bHi, bLo) mod 2^64.
function mulBy(bHi: number, bLo: number): void {
  const a0 = hLo & 0xffff;
  const a1 = hLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff); // < 2^18
  const lo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  // All terms below stay far under 2^53; >>> 0 reduces mod 2^32.
  const hi = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(hHi, bLo) + Math.imul(hLo, bHi)) >>> 0;
  hHi = hi;
  hLo = lo;
}

// FNV-1a 64 with the core's offset basis: 1469598103934665603 = 0x14650fb0739d0383
// (text_features.cc; the standard basis has one more digit, 14695981039346656037,
// but the core's constant defines the shipped encoders' buckets), prime 0x100000001b3.
function fnvStart(kind: number): void {
  hHi = 0x14650fb0;
  hLo = 0x739d0383;
  fnvByte(kind);
}

function fnvByte(b: number): void {
  hLo = (hLo ^ b) >>> 0;
  mulBy(0x00000100, 0x000001b3);
}

function fnvBytes(bytes: Uint8Array, start: number, end: number): void {
  for (let i = start; i < end; i++) fnvByte(bytes[i]);
}

// h ^= h >> s, for 0 < s < 32.
function xorShift(s: number): void {
  const lo = (hLo ^ ((hLo >>> s) | (hHi << (32 - s)))) >>> 0;
  hHi = (hHi ^ (hHi >>> s)) >>> 0;
  hLo = lo;
}

// splitmix64's finaliser, then the top log2 bits (log2 <= 24 < 32: all in hi).
function fnvFinish(log2: number): number {
  xorShift(30);
  mulBy(0xbf58476d, 0x1ce4e5b9);
  xorShift(27);
  mulBy(0x94d049bb, 0x133111eb);
  xorShift(31);
  return hHi >>> (32 - log2);
}

const KIND = { w: 0x77, b: 0x62, c: 0x63 } as const;

/** FeatureBucket: the row of one feature ('w' word, 'b' bigram, 'c' character n-gram) of the given bytes. */
export function featureBucket(kind: 'w' | 'b' | 'c', bytes: Uint8Array | string, log2Buckets: number): number {
  const b = typeof bytes === 'string' ? utf8.encode(bytes) : bytes;
  fnvStart(KIND[kind]);
  fnvBytes(b, 0, b.length);
  return fnvFinish(log2Buckets);
}

// ---- Words ----------------------------------------------------------------

function isWordByte(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c >= 0x80;
}

/** Words (tokenizer.h) as [start, end) byte ranges of `lowered`: the text's bytes with ASCII letters lower-cased. */
function wordRanges(bytes: Uint8Array): { lowered: Uint8Array; starts: number[]; ends: number[] } {
  const n = bytes.length;
  const lowered = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = bytes[i];
    lowered[i] = c >= 0x41 && c <= 0x5a ? c + 32 : c;
  }
  const starts: number[] = [];
  const ends: number[] = [];
  let i = 0;
  while (i < n) {
    while (i < n && !isWordByte(bytes[i])) i++;
    const start = i;
    while (i < n && isWordByte(bytes[i])) i++;
    if (i === start) continue;
    let len = Math.min(i - start, MAX_WORD_BYTES);
    // Do not cut a UTF-8 sequence in half.
    while (len > 0 && len < i - start && (bytes[start + len] & 0xc0) === 0x80) len--;
    if (len === 0) continue;
    starts.push(start);
    ends.push(start + len);
  }
  return { lowered, starts, ends };
}

function toBytes(text: string | Uint8Array, where: string): Uint8Array {
  if (typeof text === 'string') return utf8.encode(text);
  if (text instanceof Uint8Array) return text;
  throw new TypeError(`${where} expects a string or UTF-8 bytes (Uint8Array), got ${text === null ? 'null' : typeof text}`);
}

/** The lower-cased words of a text, in order (the core's Words). */
export function textWords(text: string | Uint8Array): string[] {
  const { lowered, starts, ends } = wordRanges(toBytes(text, 'textWords'));
  return starts.map((s, i) => utf8Decoder.decode(lowered.subarray(s, ends[i])));
}

/**
 * The feature buckets of a text (the core's TextFeatures): what the encoder
 * sums the rows of, and the input of its ONNX export. Repeats are kept; at
 * most MAX_TEXT_FEATURES. Empty when the text has no word.
 */
export function textFeatures(text: string | Uint8Array, config: TextFeatureConfig = DEFAULT_TEXT_FEATURES): Uint32Array {
  const { log2Buckets: log2, minN, maxN, words: useWords, bigrams } = config;
  const { lowered, starts, ends } = wordRanges(toBytes(text, 'textFeatures'));
  const out: number[] = [];
  const full = () => out.length >= MAX_TEXT_FEATURES;
  const marked = new Uint8Array(MAX_WORD_BYTES + 2);
  for (let i = 0; i < starts.length && !full(); i++) {
    const s = starts[i];
    const e = ends[i];
    if (useWords) {
      fnvStart(KIND.w);
      fnvBytes(lowered, s, e);
      out.push(fnvFinish(log2));
    }
    if (bigrams && i + 1 < starts.length) {
      fnvStart(KIND.b);
      fnvBytes(lowered, s, e);
      fnvByte(0x20);
      fnvBytes(lowered, starts[i + 1], ends[i + 1]);
      out.push(fnvFinish(log2));
    }
    if (maxN > 0) {
      const size = e - s + 2;
      marked[0] = 0x3c; // '<'
      marked.set(lowered.subarray(s, e), 1);
      marked[size - 1] = 0x3e; // '>'
      for (let n = minN; n <= maxN; n++) {
        if (size < n) break;
        for (let p = 0; p + n <= size && !full(); p++) {
          fnvStart(KIND.c);
          fnvBytes(marked, p, p + n);
          out.push(fnvFinish(log2));
        }
      }
    }
  }
  if (out.length > MAX_TEXT_FEATURES) out.length = MAX_TEXT_FEATURES;
  return Uint32Array.from(out);
}
