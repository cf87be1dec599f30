// TextIndex: documents searched by keywords (BM25), by meaning (the encoder's
// vectors in the HNSW index) or both (hybrid), in one index file. The core
// does the work (neurovec/text_index.h); this class checks input, moves bytes
// in and out of the wasm heap and owns the VectorIndex underneath.
import { invalid, NeurovecError } from '../errors.js';
import type { CreateOptions, Id, Metadata, OpenOptions, StorageTarget, TierCounts } from '../types.js';
import { checkId, checkInteger, checkK, checkMetadata, encodeId, maxEncodedIdBytes } from '../validation.js';
import { VectorIndex, type LayerHost } from '../vector_index.js';
import { defaultEncoder } from './encoder_source.js';
import { TEXT_STATS_COUNT, type TextWasmModule } from './text_module.js';

const utf8 = new TextEncoder();
const MODES = ['hybrid', 'semantic', 'keyword'] as const;
const FUSIONS = ['score', 'rrf'] as const;
/** Longest text accepted, in UTF-8 bytes (TextIndexConfig::kMaxTextBytes). */
export const MAX_TEXT_BYTES = 1 << 20;
/** A text has a word when it has an ASCII letter or digit, or any non-ASCII character (the core's tokenizer). */
const HAS_WORD = /[A-Za-z0-9\u0080-\uffff]/;

export type TextSearchMode = (typeof MODES)[number];

export interface TextIndexOptions {
  /** A durable index in a new file: a path in Node, { opfs } or { indexedDB } in browsers. */
  storage?: StorageTarget;
  /** Encoder weights (a .nvenc file from `neurovec train-encoder`); default: the shipped Debian-catalogue encoder. */
  encoder?: Uint8Array;
  /** Weight of the keyword score in hybrid ranking, 0..1 (default 0.5). */
  keywordWeight?: number;
  /** Candidates each side brings to a hybrid ranking (default 100). */
  candidates?: number;
  /** BM25 parameters (default k1 1.2, b 0.75). */
  bm25?: { k1?: number; b?: number };
  /** Feedback memory: events kept (default 4096), query similarity from which an event counts (0.8), score added per click (0.5). */
  feedback?: { capacity?: number; similarity?: number; boost?: number };
  /** Compression tiers of the vector index underneath (VectorIndex's `tiers` option; see docs/tiers.md). */
  tiers?: CreateOptions['tiers'];
  /** HNSW parameters of the vector index underneath. */
  m?: number;
  efConstruction?: number;
  efSearch?: number;
  seed?: number;
}

export interface TextSearchOptions {
  /** 'hybrid' (default), 'semantic' or 'keyword'. */
  mode?: TextSearchMode;
  /** Hybrid fusion: 'score' (normalised weighted scores, default) or 'rrf' (reciprocal rank). */
  fusion?: (typeof FUSIONS)[number];
  /** Candidate list of the semantic walk (default: the index's, raised to the candidates). */
  ef?: number;
  /** Metadata filter, as VectorIndex.search's. */
  filter?: object;
  /** false: rank as if no feedback had been given (default true). */
  useFeedback?: boolean;
  /** Overrides the keyword weight of hybrid ranking for this query. */
  keywordWeight?: number;
}

export interface TextSearchResult {
  id: Id;
  /** Larger is better: fused score (hybrid), cosine (semantic) or BM25 (keyword), plus feedback. */
  score: number;
  /** The parts: raw BM25 and cosine similarity (0 where the mode does not compute them), and what feedback added. */
  keyword: number;
  semantic: number;
  feedback: number;
  metadata?: Metadata;
}

export interface TextFeedback {
  /** Results the user chose. */
  clicked?: ReadonlyArray<Id>;
  /** Results the user marked as wrong (thumbs down). */
  rejected?: ReadonlyArray<Id>;
  /** Results shown with the query (unknown ids are ignored). */
  shown?: ReadonlyArray<Id>;
}

export interface TextAddBatchOptions {
  metadata?: ReadonlyArray<Metadata | undefined>;
  onProgress?: (progress: { done: number; total: number }) => void;
  chunkSize?: number;
}

export interface TextIndexStats {
  documents: number;
  terms: number;
  postings: number;
  keywordBytes: number;
  /** Encoder weights in memory (0 until they are read: encoderLoaded). */
  encoderBytes: number;
  /**
   * False after a read-only open of a file (`TextIndex.open(target, { readOnly: true })`) until the
   * first search, add or feedback that encodes a text reads the encoder's weights from the file, or
   * `loadEncoder()` does. Keyword searches do not need them, so they answer first.
   */
  encoderLoaded: boolean;
  feedbackEvents: number;
  dimensions: number;
  keywordWeight: number;
  candidates: number;
  feedbackSimilarity: number;
  /** Time of the last search: encoding the query, and the rest. */
  lastSearch: { encodeMs: number; searchMs: number };
  /** The vector index underneath. */
  vectors: ReturnType<VectorIndex['stats']>;
}

function checkText(text: unknown, where: string): string {
  if (typeof text !== 'string') throw invalid(`${where} must be a string, got ${text === null ? 'null' : typeof text}`);
  if (text.length > MAX_TEXT_BYTES || utf8.encode(text).length > MAX_TEXT_BYTES) {
    throw invalid(`${where} is longer than ${MAX_TEXT_BYTES} bytes of UTF-8`);
  }
  if (!HAS_WORD.test(text)) throw invalid(`${where} has no word (letters or digits expected): ${JSON.stringify(text.slice(0, 40))}`);
  return text;
}

function checkUnit(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw invalid(`${name} must be a number from 0 to 1, got ${String(value)}`);
  return value;
}

export class TextIndex {
  private base: VectorIndex;
  private host: LayerHost;
  private mod: TextWasmModule;
  private handle: number;
  private last = { encodeMs: 0, searchMs: 0 };

  private constructor(base: VectorIndex, handle: number) {
    this.base = base;
    this.host = base.layerHost();
    this.mod = this.host.mod as TextWasmModule;
    this.handle = handle;
  }

  /** A new, empty text index (durable in a new file with `storage`). */
  static async create(options: TextIndexOptions = {}): Promise<TextIndex> {
    if (options === null || typeof options !== 'object') throw invalid('TextIndex.create expects an options object');
    const known = new Set(['storage', 'encoder', 'keywordWeight', 'candidates', 'bm25', 'feedback', 'tiers', 'm',
      'efConstruction', 'efSearch', 'seed']);
    for (const key of Object.keys(options)) {
      if (!known.has(key)) throw invalid(`unknown option "${key}"; expected one of ${[...known].join(', ')}`);
    }
    if (options.encoder !== undefined && !(options.encoder instanceof Uint8Array)) {
      throw invalid('encoder must be a Uint8Array holding encoder weights (a .nvenc file)');
    }
    const keywordWeight = checkUnit('keywordWeight', options.keywordWeight ?? 0.5);
    const candidates = checkInteger('candidates', options.candidates ?? 100, 1, 1 << 20);
    const k1 = options.bm25?.k1 ?? 1.2;
    const b = checkUnit('bm25.b', options.bm25?.b ?? 0.75);
    if (typeof k1 !== 'number' || !(k1 >= 0 && k1 <= 100)) throw invalid('bm25.k1 must be a number from 0 to 100');
    const capacity = checkInteger('feedback.capacity', options.feedback?.capacity ?? 4096, 0, 1 << 20);
    const similarity = options.feedback?.similarity ?? 0.8;
    if (typeof similarity !== 'number' || !(similarity >= -1 && similarity < 1)) {
      throw invalid('feedback.similarity must be a number from -1 up to (not including) 1');
    }
    const boost = options.feedback?.boost ?? 0.5;
    if (typeof boost !== 'number' || !(boost >= 0 && boost <= 100)) throw invalid('feedback.boost must be a number from 0 to 100');
    const weights = options.encoder ?? (await defaultEncoder());
    const dims = await TextIndex.encoderDimensions(weights);
    const base = await VectorIndex.create({
      dimensions: dims, metric: 'cosine', m: options.m, efConstruction: options.efConstruction,
      efSearch: options.efSearch, seed: options.seed, storage: options.storage, tiers: options.tiers,
    });
    const host = base.layerHost();
    const mod = host.mod as TextWasmModule;
    const ptr = host.scratch(weights.length);
    mod.HEAPU8.set(weights, ptr);
    const handle = mod._nv_text_create(host.handle(), ptr, weights.length, keywordWeight, candidates, k1, b, capacity,
      similarity, boost);
    if (!handle) {
      const error = host.error();
      await base.close().catch(() => undefined);
      throw error;
    }
    return new TextIndex(base, handle);
  }

  /** Opens a text index file (a path in Node; { opfs } / { indexedDB } in browsers), as VectorIndex.open does. */
  static async open(target: StorageTarget, options: OpenOptions = {}): Promise<TextIndex> {
    return TextIndex.attach(await VectorIndex.open(target, options));
  }

  /** A text index from the bytes of an index file (toBytes() here or natively). */
  static async fromBytes(bytes: Uint8Array): Promise<TextIndex> {
    return TextIndex.attach(await VectorIndex.fromBytes(bytes));
  }

  private static async attach(base: VectorIndex): Promise<TextIndex> {
    const host = base.layerHost();
    const handle = (host.mod as TextWasmModule)._nv_text_attach(host.handle());
    if (!handle) {
      const error = host.error();
      base.dispose();
      throw error;
    }
    return new TextIndex(base, handle);
  }

  private static async encoderDimensions(weights: Uint8Array): Promise<number> {
    if (weights.length < 16 || weights[0] !== 0x4e || weights[1] !== 0x56 || weights[2] !== 0x54 || weights[3] !== 0x45) {
      throw invalid('encoder is not encoder weights (expected a .nvenc file from `neurovec train-encoder`)');
    }
    return new DataView(weights.buffer, weights.byteOffset, weights.byteLength).getUint32(12, true);
  }

  /** Adds a document. Throws (and changes nothing) on a duplicate id or bad input. */
  add(id: Id, text: string, metadata?: Metadata): void {
    this.live();
    checkId(id);
    checkText(text, 'text');
    const json = checkMetadata(metadata);
    const body = utf8.encode(text);
    const meta = utf8.encode(json);
    const keyMax = maxEncodedIdBytes(id);
    const ptr = this.host.scratch(keyMax + body.length + meta.length + 8);
    const heap = this.mod.HEAPU8;
    const keyLen = encodeId(id, heap, ptr);
    heap.set(body, ptr + keyLen);
    heap.set(meta, ptr + keyLen + body.length);
    const rc = this.mod._nv_text_add(this.handle, ptr, keyLen, ptr + keyLen, body.length, ptr + keyLen + body.length, meta.length);
    if (rc < 0) throw this.host.error();
  }

  /** Adds documents; every item is checked before any is added. */
  addBatch(ids: ReadonlyArray<Id>, texts: ReadonlyArray<string>, options: TextAddBatchOptions = {}): void {
    this.live();
    if (!Array.isArray(ids)) throw invalid('ids must be an array of strings or integers');
    if (!Array.isArray(texts) || texts.length !== ids.length) throw invalid(`texts must be an array with one string per id (${ids.length})`);
    const { metadata, onProgress } = options;
    const chunkSize = checkInteger('chunkSize', options.chunkSize ?? 1000, 1, 1 << 24);
    if (onProgress !== undefined && typeof onProgress !== 'function') throw invalid('onProgress must be a function');
    if (metadata !== undefined && (!Array.isArray(metadata) || metadata.length !== ids.length)) {
      throw invalid(`metadata must be an array with one entry per id (${ids.length})`);
    }
    const n = ids.length;
    const seen = new Set<Id>();
    const jsons: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = checkId(ids[i], `ids[${i}]`);
      if (seen.has(id)) throw new NeurovecError('ALREADY_EXISTS', `ids[${i}]: id ${JSON.stringify(id)} appears twice in the batch`);
      seen.add(id);
      if (this.host.slotOf(id) >= 0) throw new NeurovecError('ALREADY_EXISTS', `ids[${i}]: id ${JSON.stringify(id)} is already in the index`);
      checkText(texts[i], `texts[${i}]`);
      jsons.push(metadata ? checkMetadata(metadata[i], `metadata[${i}]`) : '');
    }
    for (let start = 0; start < n; start += chunkSize) {
      const end = Math.min(n, start + chunkSize);
      const count = end - start;
      const keys: Uint8Array[] = [];
      const bodies: Uint8Array[] = [];
      const metas: Uint8Array[] = [];
      let keyBytes = 0;
      let bodyBytes = 0;
      let metaBytes = 0;
      for (let i = start; i < end; i++) {
        const kb = new Uint8Array(maxEncodedIdBytes(ids[i]));
        const len = encodeId(ids[i], kb, 0);
        keys.push(kb.subarray(0, len));
        keyBytes += len;
        const body = utf8.encode(texts[i]);
        bodies.push(body);
        bodyBytes += body.length;
        const meta = utf8.encode(jsons[i]);
        metas.push(meta);
        metaBytes += meta.length;
      }
      const offsets = 3 * (count + 1) * 4;
      const ptr = this.host.scratch(offsets + keyBytes + bodyBytes + metaBytes + 8);
      const keyOff = ptr;
      const bodyOff = keyOff + (count + 1) * 4;
      const metaOff = bodyOff + (count + 1) * 4;
      const keyBlob = metaOff + (count + 1) * 4;
      const bodyBlob = keyBlob + keyBytes;
      const metaBlob = bodyBlob + bodyBytes;
      const heap8 = this.mod.HEAPU8;
      const heap32 = this.mod.HEAPU32;
      let k = 0;
      let t = 0;
      let m = 0;
      for (let i = 0; i < count; i++) {
        heap32[(keyOff >>> 2) + i] = k;
        heap32[(bodyOff >>> 2) + i] = t;
        heap32[(metaOff >>> 2) + i] = m;
        heap8.set(keys[i], keyBlob + k);
        heap8.set(bodies[i], bodyBlob + t);
        heap8.set(metas[i], metaBlob + m);
        k += keys[i].length;
        t += bodies[i].length;
        m += metas[i].length;
      }
      heap32[(keyOff >>> 2) + count] = k;
      heap32[(bodyOff >>> 2) + count] = t;
      heap32[(metaOff >>> 2) + count] = m;
      const rc = this.mod._nv_text_add_batch(this.handle, count, keyBlob, keyOff, bodyBlob, bodyOff, metaBlob,
        metadata ? metaOff : 0);
      if (rc < 0) throw this.host.error();
      onProgress?.({ done: end, total: n });
    }
  }

  /** Removes a document; false when the id is unknown. */
  delete(id: Id): boolean {
    this.live();
    checkId(id);
    const slot = this.host.slotOf(id);
    const ptr = this.host.scratch(maxEncodedIdBytes(id));
    const len = encodeId(id, this.mod.HEAPU8, ptr);
    const rc = this.mod._nv_text_remove(this.handle, ptr, len);
    if (rc < 0) throw this.host.error();
    if (rc === 1 && slot >= 0) this.host.forgetSlot(slot);
    return rc === 1;
  }

  has(id: Id): boolean {
    this.live();
    checkId(id);
    return this.host.slotOf(id) >= 0;
  }

  get size(): number {
    return this.stats().documents;
  }

  /** The k best documents for a query, best first. */
  search(query: string, k: number, options: TextSearchOptions = {}): TextSearchResult[] {
    this.live();
    checkText(query, 'query');
    checkK(k);
    if (options === null || typeof options !== 'object') throw invalid('search options must be an object');
    for (const key of Object.keys(options)) {
      if (!['mode', 'fusion', 'ef', 'filter', 'useFeedback', 'keywordWeight'].includes(key)) {
        throw invalid(`unknown search option "${key}"; expected mode, fusion, ef, filter, useFeedback or keywordWeight`);
      }
    }
    const mode = MODES.indexOf(options.mode ?? 'hybrid');
    if (mode < 0) throw invalid(`unknown mode ${JSON.stringify(options.mode)}; expected "hybrid", "semantic" or "keyword"`);
    const fusion = FUSIONS.indexOf(options.fusion ?? 'score');
    if (fusion < 0) throw invalid(`unknown fusion ${JSON.stringify(options.fusion)}; expected "score" or "rrf"`);
    const ef = options.ef === undefined ? 0 : checkInteger('ef', options.ef, 1, 1 << 20);
    const weight = options.keywordWeight === undefined ? -1 : checkUnit('keywordWeight', options.keywordWeight);
    if (options.useFeedback !== undefined && typeof options.useFeedback !== 'boolean') throw invalid('useFeedback must be a boolean');
    const filter = options.filter === undefined ? '' : JSON.stringify(options.filter);
    if (options.filter !== undefined && (options.filter === null || typeof options.filter !== 'object')) {
      throw invalid('filter must be an object like { section: "sound" }');
    }
    const q = utf8.encode(query);
    const f = utf8.encode(filter);
    const outBytes = k * 4 + k * 16 + 16;
    const ptr = this.host.scratch(outBytes + q.length + f.length + 16);
    const timings = ptr;               // 2 doubles
    const slots = ptr + 16;            // k u32
    const scores = slots + k * 4;      // 4k f32
    const qPtr = scores + k * 16;
    const fPtr = qPtr + q.length;
    this.mod.HEAPU8.set(q, qPtr);
    this.mod.HEAPU8.set(f, fPtr);
    const n = this.mod._nv_text_search(this.handle, qPtr, q.length, k, mode, fusion, ef, fPtr, f.length,
      options.useFeedback === false ? 0 : 1, weight, slots, scores, timings);
    if (n < 0) throw this.host.error();
    const heap32 = this.mod.HEAPU32;
    const heapF = this.mod.HEAPF32;
    const heapD = this.mod.HEAPF64;
    this.last = { encodeMs: heapD[timings >>> 3], searchMs: heapD[(timings >>> 3) + 1] };
    const rows: Array<[number, number, number, number, number]> = [];
    for (let i = 0; i < n; i++) {
      const s = (scores >>> 2) + 4 * i;
      rows.push([heap32[(slots >>> 2) + i], heapF[s], heapF[s + 1], heapF[s + 2], heapF[s + 3]]);
    }
    // idOf and metadataOf may allocate: heap views are not used past here.
    return rows.map(([slot, score, keyword, semantic, feedback]) => {
      const metadata = this.host.metadataOf(slot);
      const r: TextSearchResult = { id: this.host.idOf(slot), score, keyword, semantic, feedback };
      if (metadata !== undefined) r.metadata = metadata;
      return r;
    });
  }

  /** Records what the user did with the results of a query; later similar queries rank accordingly. */
  feedback(query: string, feedback: TextFeedback): void {
    this.live();
    checkText(query, 'query');
    if (feedback === null || typeof feedback !== 'object') throw invalid('feedback must be an object like { clicked: [id] }');
    for (const key of Object.keys(feedback)) {
      if (!['clicked', 'rejected', 'shown'].includes(key)) throw invalid(`unknown feedback field "${key}"; expected clicked, rejected or shown`);
    }
    const lists = (['clicked', 'rejected', 'shown'] as const).map((name) => {
      const list = feedback[name] ?? [];
      if (!Array.isArray(list)) throw invalid(`feedback.${name} must be an array of ids`);
      return list.map((id, i) => {
        const v = checkId(id, `feedback.${name}[${i}]`);
        const b = new Uint8Array(maxEncodedIdBytes(v));
        return b.subarray(0, encodeId(v, b, 0));
      });
    });
    if (lists[0].length + lists[1].length === 0) throw invalid('feedback needs at least one clicked or rejected id');
    const q = utf8.encode(query);
    const total = lists.reduce((a, l) => a + l.reduce((x, b) => x + b.length, 0) + (l.length + 1) * 4, 0);
    const ptr = this.host.scratch(total + q.length + 16);
    const heap8 = this.mod.HEAPU8;
    const heap32 = this.mod.HEAPU32;
    heap8.set(q, ptr);
    let at = (ptr + q.length + 3) & ~3;
    const placed = lists.map((list) => {
      const offsets = at;
      const blob = offsets + (list.length + 1) * 4;
      let o = 0;
      list.forEach((b, i) => {
        heap32[(offsets >>> 2) + i] = o;
        heap8.set(b, blob + o);
        o += b.length;
      });
      heap32[(offsets >>> 2) + list.length] = o;
      at = (blob + o + 3) & ~3;
      return { n: list.length, blob, offsets };
    });
    const rc = this.mod._nv_text_feedback(this.handle, ptr, q.length, placed[0].n, placed[0].blob, placed[0].offsets,
      placed[1].n, placed[1].blob, placed[1].offsets, placed[2].n, placed[2].blob, placed[2].offsets);
    if (rc < 0) throw this.host.error();
  }

  /** Forgets every feedback event. */
  clearFeedback(): void {
    this.live();
    this.mod._nv_text_clear_feedback(this.handle);
  }

  /** The encoder's unit vector for a text (null when it has no word). */
  encode(text: string): Float32Array | null {
    this.live();
    if (typeof text !== 'string') throw invalid('text must be a string');
    const dims = this.stats().dimensions;
    const body = utf8.encode(text);
    const ptr = this.host.scratch(dims * 4 + body.length + 4);
    this.mod.HEAPU8.set(body, ptr + dims * 4);
    const ok = this.mod._nv_text_encode(this.handle, ptr + dims * 4, body.length, ptr);
    if (ok < 0) throw this.host.error();
    return ok ? this.mod.HEAPF32.slice(ptr >>> 2, (ptr >>> 2) + dims) : null;
  }

  /**
   * Reads the encoder's weights now, when a read-only open left them in the file (stats().encoderLoaded
   * is false): keyword searches answer before they are read, and the first search by meaning, add or
   * feedback reads them itself. A page can open, answer keyword searches, then call this while the
   * user types. A no-op once they are read; throws when they fail their checksum.
   */
  loadEncoder(): void {
    this.live();
    if (this.mod._nv_text_load_encoder(this.handle) < 0) throw this.host.error();
  }

  stats(): TextIndexStats {
    this.live();
    const ptr = this.host.scratch(TEXT_STATS_COUNT * 8);
    this.mod._nv_text_stats(this.handle, ptr);
    const s = this.mod.HEAPF64.slice(ptr >>> 3, (ptr >>> 3) + TEXT_STATS_COUNT);
    return {
      documents: s[0], terms: s[1], postings: s[2], keywordBytes: s[3], encoderBytes: s[4], feedbackEvents: s[5],
      dimensions: s[6], keywordWeight: s[7], candidates: s[8], feedbackSimilarity: s[9], encoderLoaded: s[10] === 1,
      lastSearch: { ...this.last },
      vectors: this.base.stats(),
    };
  }

  /** With `tiers`: moves documents' vectors to the tier their use calls for (VectorIndex.recompress). */
  recompress(): TierCounts {
    this.live();
    return this.base.recompress();
  }

  /** Durable indexes: resolves once every change (documents, feedback) is in the file (a checkpoint). */
  async sync(): Promise<void> {
    this.live();
    if (this.mod._nv_text_sync(this.handle) < 0) throw this.host.error();
    await this.base.sync();
  }

  /** Syncs (unless opened read-only), releases the file and frees the memory. */
  async close(): Promise<void> {
    if (!this.handle) return;
    let error: unknown;
    if (this.mod._nv_text_sync_for_close(this.handle) < 0) error = this.host.error();
    this.mod._nv_text_destroy(this.handle);
    this.handle = 0;
    try {
      await this.base.close();
    } catch (e) {
      error ??= e;
    }
    if (error) throw error;
  }

  /** The whole index (documents' vectors, keyword index, encoder, feedback) as one file's bytes. */
  toBytes(): Promise<Uint8Array> {
    this.live();
    return this.base.toBytes();
  }

  /** Writes a full snapshot to a path (Node, atomically) or a new { opfs } / { indexedDB } target. */
  save(target: StorageTarget): Promise<void> {
    this.live();
    return this.base.save(target);
  }

  /** Frees the WebAssembly memory (a durable index's file is released without a final sync). */
  dispose(): void {
    if (!this.handle) return;
    this.mod._nv_text_destroy(this.handle);
    this.handle = 0;
    this.base.dispose();
  }

  private live(): void {
    if (!this.handle) throw new NeurovecError('DISPOSED', 'this TextIndex was disposed');
  }
}
