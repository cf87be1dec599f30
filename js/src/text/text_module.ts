// The text layer's part of the C ABI (wasm/text_bindings.cc), typed by hand.
import type { NeurovecWasmModule } from '../wasm_module.js';

export interface TextWasmModule extends NeurovecWasmModule {
  _nv_text_create(base: number, encoder: number, encoderLen: number, keywordWeight: number, candidates: number,
    bm25K1: number, bm25B: number, feedbackCapacity: number, feedbackSimilarity: number, feedbackBoost: number): number;
  _nv_text_attach(base: number): number;
  _nv_text_destroy(text: number): void;
  _nv_text_encoder_dimensions(bytes: number, len: number): number;
  _nv_text_add(text: number, key: number, keyLen: number, body: number, bodyLen: number, meta: number, metaLen: number): number;
  _nv_text_add_batch(text: number, n: number, keyBlob: number, keyOffsets: number, textBlob: number, textOffsets: number,
    metaBlob: number, metaOffsets: number): number;
  _nv_text_remove(text: number, key: number, keyLen: number): number;
  _nv_text_search(text: number, query: number, queryLen: number, k: number, mode: number, fusion: number, ef: number,
    filter: number, filterLen: number, useFeedback: number, keywordWeight: number, outSlots: number, outScores: number,
    outTimings: number): number;
  _nv_text_feedback(text: number, query: number, queryLen: number, nClicked: number, clickedBlob: number,
    clickedOffsets: number, nRejected: number, rejectedBlob: number, rejectedOffsets: number, nShown: number,
    shownBlob: number, shownOffsets: number): number;
  _nv_text_clear_feedback(text: number): void;
  _nv_text_sync(text: number): number;
  _nv_text_sync_for_close(text: number): number;
  _nv_text_encode(text: number, body: number, len: number, out: number): number;
  _nv_text_load_encoder(text: number): number;
  _nv_text_stats(text: number, out: number): void;
}

/** Doubles nv_text_stats writes. */
export const TEXT_STATS_COUNT = 11;
