// The C ABI of the text layer (neurovec/text_index.h) over an nv_index handle,
// which keeps owning the vector index: destroy the nv_text first. Same
// conventions as bindings.cc: -1 (or null) on error with nv_last_error set.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "neurovec/text_index.h"
#include "nv_index.h"
#include "text/text_features.h"

struct nv_text {
  std::unique_ptr<neurovec::TextIndex> text;
};

namespace {

// n keys from a blob and n+1 offsets.
neurovec::Status Keys(uint32_t n, const char* blob, const uint32_t* offsets, std::vector<neurovec::ItemKey>* out) {
  for (uint32_t i = 0; i < n; ++i) {
    if (offsets[i + 1] <= offsets[i]) return neurovec::Status::InvalidArgument("missing id");
    auto key = neurovec::ItemKey::Decode(blob + offsets[i], offsets[i + 1] - offsets[i]);
    if (!key.ok()) return key.status();
    out->push_back(key.take());
  }
  return neurovec::Status::Ok();
}

}  // namespace

extern "C" {

nv_text* nv_text_create(nv_index* base, const uint8_t* encoder, uint32_t encoder_len, float keyword_weight,
                        uint32_t candidates, float bm25_k1, float bm25_b, uint32_t feedback_capacity,
                        float feedback_similarity, float feedback_boost) {
  nv_internal_clear_error();
  neurovec::TextIndexConfig c;
  c.keyword_weight = keyword_weight;
  c.candidates = candidates;
  c.bm25_k1 = bm25_k1;
  c.bm25_b = bm25_b;
  c.feedback_capacity = feedback_capacity;
  c.feedback_similarity = feedback_similarity;
  c.feedback_boost = feedback_boost;
  auto t = neurovec::TextIndex::CreateOn(c, std::string(reinterpret_cast<const char*>(encoder), encoder_len),
                                         base->index.get());
  if (!t.ok()) {
    nv_internal_fail(t.status());
    return nullptr;
  }
  return new nv_text{t.take()};
}

nv_text* nv_text_attach(nv_index* base) {
  nv_internal_clear_error();
  auto t = neurovec::TextIndex::AttachTo(base->index.get());
  if (!t.ok()) {
    nv_internal_fail(t.status());
    return nullptr;
  }
  return new nv_text{t.take()};
}

void nv_text_destroy(nv_text* text) { delete text; }

// Dimensions of the encoder in `bytes` (0 with the error set when they are not encoder weights).
uint32_t nv_text_encoder_dimensions(const uint8_t* bytes, uint32_t len) {
  nv_internal_clear_error();
  if (len < 16 || std::memcmp(bytes, "NVTE", 4) != 0) {
    nv_internal_fail(neurovec::Status::InvalidArgument("encoder weights: not encoder weights (bad magic or too short)"));
    return 0;
  }
  uint32_t dim = 0;
  std::memcpy(&dim, bytes + 12, 4);
  return dim;
}

int32_t nv_text_add(nv_text* t, const char* key, uint32_t key_len, const char* text, uint32_t text_len, const char* meta,
                    uint32_t meta_len) {
  nv_internal_clear_error();
  auto k = neurovec::ItemKey::Decode(key, key_len);
  if (!k.ok()) return nv_internal_fail(k.status());
  auto slot = t->text->Add(k.value(), std::string(text, text_len), meta_len ? std::string(meta, meta_len) : std::string());
  if (!slot.ok()) return nv_internal_fail(slot.status());
  return static_cast<int32_t>(slot.value());
}

int32_t nv_text_add_batch(nv_text* t, uint32_t n, const char* key_blob, const uint32_t* key_offsets, const char* text_blob,
                          const uint32_t* text_offsets, const char* meta_blob, const uint32_t* meta_offsets) {
  nv_internal_clear_error();
  std::vector<neurovec::ItemKey> keys;
  if (auto s = Keys(n, key_blob, key_offsets, &keys); !s.ok()) return nv_internal_fail(s);
  std::vector<std::string> texts(n), metas;
  for (uint32_t i = 0; i < n; ++i) texts[i].assign(text_blob + text_offsets[i], text_offsets[i + 1] - text_offsets[i]);
  if (meta_offsets) {
    metas.resize(n);
    for (uint32_t i = 0; i < n; ++i) metas[i].assign(meta_blob + meta_offsets[i], meta_offsets[i + 1] - meta_offsets[i]);
  }
  neurovec::BatchOptions options;
  if (auto s = t->text->AddBatch(keys, texts, metas, options); !s.ok()) return nv_internal_fail(s);
  return static_cast<int32_t>(n);
}

int32_t nv_text_remove(nv_text* t, const char* key, uint32_t key_len) {
  nv_internal_clear_error();
  auto k = neurovec::ItemKey::Decode(key, key_len);
  if (!k.ok()) return nv_internal_fail(k.status());
  auto removed = t->text->Remove(k.value());
  if (!removed.ok()) return nv_internal_fail(removed.status());
  return removed.value() ? 1 : 0;
}

// out_slots[k]; out_scores[4k]: score, keyword, semantic, feedback per hit;
// out_timings[2]: encode ms, search ms. Returns the number of hits.
int32_t nv_text_search(nv_text* t, const char* query, uint32_t query_len, uint32_t k, int32_t mode, int32_t fusion,
                       uint32_t ef, const char* filter, uint32_t filter_len, int32_t use_feedback, float keyword_weight,
                       uint32_t* out_slots, float* out_scores, double* out_timings) {
  nv_internal_clear_error();
  if (mode < 0 || mode > 2 || fusion < 0 || fusion > 1) {
    return nv_internal_fail(neurovec::Status::InvalidArgument("unknown search mode or fusion"));
  }
  neurovec::TextSearchOptions o;
  o.k = k;
  o.mode = static_cast<neurovec::TextSearchMode>(mode);
  o.fusion = static_cast<neurovec::TextFusion>(fusion);
  o.ef = ef;
  if (filter_len) o.filter.assign(filter, filter_len);
  o.use_feedback = use_feedback != 0;
  o.keyword_weight = keyword_weight;
  neurovec::TextSearchTimings timings;
  auto hits = t->text->Search(std::string(query, query_len), o, &timings);
  if (!hits.ok()) return nv_internal_fail(hits.status());
  const auto& h = hits.value();
  for (size_t i = 0; i < h.size(); ++i) {
    out_slots[i] = h[i].slot;
    out_scores[4 * i] = h[i].score;
    out_scores[4 * i + 1] = h[i].keyword;
    out_scores[4 * i + 2] = h[i].semantic;
    out_scores[4 * i + 3] = h[i].feedback;
  }
  out_timings[0] = timings.encode_ms;
  out_timings[1] = timings.search_ms;
  return static_cast<int32_t>(h.size());
}

// Three key lists, each a blob with n+1 offsets.
int32_t nv_text_feedback(nv_text* t, const char* query, uint32_t query_len, uint32_t n_clicked, const char* clicked_blob,
                         const uint32_t* clicked_offsets, uint32_t n_rejected, const char* rejected_blob,
                         const uint32_t* rejected_offsets, uint32_t n_shown, const char* shown_blob,
                         const uint32_t* shown_offsets) {
  nv_internal_clear_error();
  std::vector<neurovec::ItemKey> clicked, rejected, shown;
  if (auto s = Keys(n_clicked, clicked_blob, clicked_offsets, &clicked); !s.ok()) return nv_internal_fail(s);
  if (auto s = Keys(n_rejected, rejected_blob, rejected_offsets, &rejected); !s.ok()) return nv_internal_fail(s);
  if (auto s = Keys(n_shown, shown_blob, shown_offsets, &shown); !s.ok()) return nv_internal_fail(s);
  if (auto s = t->text->Feedback(std::string(query, query_len), clicked, rejected, shown); !s.ok()) return nv_internal_fail(s);
  return 0;
}

void nv_text_clear_feedback(nv_text* t) { t->text->ClearFeedback(); }

int32_t nv_text_sync(nv_text* t) {
  nv_internal_clear_error();
  if (auto s = t->text->Sync(); !s.ok()) return nv_internal_fail(s);
  return 0;
}

// Before close: syncs a writable index; a read-only one has nothing to write.
int32_t nv_text_sync_for_close(nv_text* t) {
  nv_internal_clear_error();
  if (t->text->vectors().read_only()) return 0;
  return nv_text_sync(t);
}

// 1 and the unit embedding in out, 0 (out zeroed) when the text has no word,
// -1 when the encoder's weights could not be read from the file.
int32_t nv_text_encode(nv_text* t, const char* text, uint32_t len, float* out) {
  nv_internal_clear_error();
  auto r = t->text->Encode(std::string(text, len), out);
  if (!r.ok()) return nv_internal_fail(r.status());
  return r.value() ? 1 : 0;
}

// Reads the encoder's weights if the open left them in the file: 0, or -1.
int32_t nv_text_load_encoder(nv_text* t) {
  nv_internal_clear_error();
  neurovec::Status s = t->text->LoadEncoder();
  return s.ok() ? 0 : nv_internal_fail(s);
}

// out[11]: documents, terms, postings, keyword bytes, encoder bytes, feedback
// events, dimensions, keyword weight, candidates, feedback similarity,
// encoder loaded (1 or 0).
void nv_text_stats(nv_text* t, double* out) {
  const neurovec::TextIndexStats s = t->text->Stats();
  const neurovec::TextIndexConfig& c = t->text->config();
  out[0] = static_cast<double>(s.documents);
  out[1] = static_cast<double>(s.terms);
  out[2] = static_cast<double>(s.postings);
  out[3] = static_cast<double>(s.keyword_bytes);
  out[4] = static_cast<double>(s.encoder_bytes);
  out[5] = static_cast<double>(s.feedback_events);
  out[6] = s.dimensions;
  out[7] = c.keyword_weight;
  out[8] = c.candidates;
  out[9] = c.feedback_similarity;
  out[10] = s.encoder_loaded ? 1 : 0;
}

// The encoder's feature buckets of a text (text/text_features.h) under the
// layout log2_buckets, min_n, max_n, flags (1 words, 2 bigrams): the count,
// of which the first min(count, capacity) are written to out; -1 (error set)
// on a bad layout. For the ONNX encoder's JS feature code to be checked against.
int32_t nv_text_features(const char* text, uint32_t len, uint32_t log2_buckets, uint32_t min_n, uint32_t max_n,
                         uint32_t flags, uint32_t* out, uint32_t capacity) {
  nv_internal_clear_error();
  neurovec::text::FeatureConfig c;
  c.log2_buckets = log2_buckets;
  c.min_n = min_n;
  c.max_n = max_n;
  c.words = flags & 1;
  c.bigrams = flags & 2;
  if (auto s = c.Validate(); !s.ok()) return nv_internal_fail(s);
  std::vector<uint32_t> buckets;
  neurovec::text::TextFeatures(c, std::string_view(text, len), &buckets);
  std::memcpy(out, buckets.data(), std::min<size_t>(buckets.size(), capacity) * sizeof(uint32_t));
  return static_cast<int32_t>(buckets.size());
}

}  // extern "C"
