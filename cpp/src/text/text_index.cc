#include "neurovec/text_index.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "util/byte_io.h"
#include "persistence/index_file.h"
#include "text/keyword_index.h"
#include "text/tokenizer.h"
#include "text/text_encoder.h"

namespace neurovec {
namespace {

constexpr uint32_t kTextStateVersion = 1;
constexpr uint32_t kRrfK = 60;  // reciprocal-rank fusion constant (Cormack et al. 2009)

uint64_t KeyHash(const ItemKey& key) {
  uint64_t h = 1469598103934665603ull;
  for (char c : key.encoded()) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h | 1;  // never 0 (0 marks a slot without a document)
}

double NowMs() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void WriteKeys(ByteWriter& w, const std::vector<ItemKey>& keys) {
  w.U32(static_cast<uint32_t>(keys.size()));
  for (const ItemKey& k : keys) {
    w.U32(static_cast<uint32_t>(k.encoded().size()));
    w.Bytes(k.encoded().data(), k.encoded().size());
  }
}

bool ReadKeys(ByteReader& r, std::vector<ItemKey>* keys) {
  uint32_t n = 0;
  if (!r.U32(n) || n > r.remaining() / 4) return false;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t len = 0;
    const uint8_t* bytes = nullptr;
    if (!r.U32(len) || !r.Bytes(len, bytes)) return false;
    auto key = ItemKey::Decode(reinterpret_cast<const char*>(bytes), len);
    if (!key.ok()) return false;
    keys->push_back(key.take());
  }
  return true;
}


// The keyword index of an opened file checks its posting lists as searches
// read them and in full before the first write; what it finds is corruption
// of the file's keyword index section.
Status KeywordSectionStatus(Status s) {
  return s.ok() ? s : Status::Corrupt("index file is corrupt: keyword index section: " + s.message());
}
}  // namespace

struct TextIndex::FeedbackEvent {
  std::vector<float> query;  // unit embedding
  std::vector<ItemKey> clicked, rejected, shown;
};

struct TextIndex::Keywords {
  text::KeywordIndex index;
  std::vector<uint64_t> key_hash;  // per slot: the key the document was indexed under (0: none)
  uint64_t hidden = 0;             // live vector slots without a document (see Attach)
};

Status TextIndexConfig::Validate() const {
  if (!(keyword_weight >= 0 && keyword_weight <= 1)) return Status::InvalidArgument("keywordWeight must be in [0, 1]");
  if (candidates < 1 || candidates > IndexConfig::kMaxEf) {
    return Status::InvalidArgument("candidates must be in [1, " + std::to_string(IndexConfig::kMaxEf) + "]");
  }
  if (!(bm25_k1 >= 0 && bm25_k1 <= 100)) return Status::InvalidArgument("bm25 k1 must be in [0, 100]");
  if (!(bm25_b >= 0 && bm25_b <= 1)) return Status::InvalidArgument("bm25 b must be in [0, 1]");
  if (feedback_capacity > (1u << 20)) return Status::InvalidArgument("feedbackCapacity must be at most 1048576");
  if (!(feedback_similarity >= -1 && feedback_similarity < 1)) {
    return Status::InvalidArgument("feedbackSimilarity must be in [-1, 1)");
  }
  if (!(feedback_boost >= 0 && feedback_boost <= 100)) return Status::InvalidArgument("feedbackBoost must be in [0, 100]");
  return Status::Ok();
}

TextIndex::TextIndex() : keywords_(std::make_unique<Keywords>()) {}

TextIndex::~TextIndex() {
  if (vectors_) vectors_->SetAttachedSectionsProvider(nullptr);
}

Result<std::unique_ptr<TextIndex>> TextIndex::Create(const TextIndexConfig& config, const std::string& encoder_bytes,
                                                     IndexConfig vectors, std::unique_ptr<Storage> storage) {
  auto encoder = text::TextEncoder::FromBytes(reinterpret_cast<const uint8_t*>(encoder_bytes.data()), encoder_bytes.size());
  if (!encoder.ok()) return Status::InvalidArgument("encoder weights: " + encoder.status().message());
  vectors.dimensions = encoder.value().dimensions();
  vectors.metric = Metric::kCosine;
  auto index = storage ? VectorIndex::Create(vectors, std::move(storage)) : VectorIndex::Create(vectors);
  if (!index.ok()) return index.status();
  std::unique_ptr<VectorIndex> owned = index.take();
  auto t = CreateOn(config, encoder_bytes, owned.get());
  if (!t.ok()) return t.status();
  t.value()->owned_ = std::move(owned);
  return t;
}

Result<std::unique_ptr<TextIndex>> TextIndex::CreateOn(const TextIndexConfig& config, const std::string& encoder_bytes,
                                                       VectorIndex* empty) {
  NV_RETURN_IF_ERROR(config.Validate());
  if (!empty) return Status::InvalidArgument("no index to create the text layer on");
  auto encoder = text::TextEncoder::FromBytes(reinterpret_cast<const uint8_t*>(encoder_bytes.data()), encoder_bytes.size());
  if (!encoder.ok()) return Status::InvalidArgument("encoder weights: " + encoder.status().message());
  if (empty->config().metric != Metric::kCosine || empty->config().dimensions != encoder.value().dimensions()) {
    return Status::InvalidArgument("a text index needs a cosine index of the encoder's " +
                                   std::to_string(encoder.value().dimensions()) + " dimensions");
  }
  if (empty->Stats().capacity != 0 && empty->size() != 0) return Status::FailedPrecondition("the index already holds items");
  std::unique_ptr<TextIndex> t(new TextIndex());
  t->config_ = config;
  t->encoder_ = std::make_unique<text::TextEncoder>(encoder.take());
  t->keywords_->index.set_params({config.bm25_k1, config.bm25_b});
  t->vectors_ = empty;
  TextIndex* raw = t.get();
  empty->SetAttachedSectionsProvider([raw] { return raw->EncodeSections(); });
  // A durable index wrote its first image without the text sections.
  if (empty->durable()) NV_RETURN_IF_ERROR(empty->Checkpoint());
  return t;
}

Result<std::unique_ptr<TextIndex>> TextIndex::Attach(std::unique_ptr<VectorIndex> vectors) {
  auto t = AttachTo(vectors.get());
  if (!t.ok()) return t.status();
  t.value()->owned_ = std::move(vectors);
  return t;
}

Result<std::unique_ptr<TextIndex>> TextIndex::AttachTo(VectorIndex* vectors) {
  if (!vectors) return Status::InvalidArgument("no index to attach to");
  std::unique_ptr<TextIndex> t(new TextIndex());
  const std::vector<uint32_t> in_file = vectors->sections_left_in_file();
  if (vectors->attached_sections().empty() && in_file.empty()) {
    return Status::FailedPrecondition("this index file has no text layer (it was not made by TextIndex)");
  }
  // Taken, not copied: the encoder keeps its section's bytes as its weights.
  VectorIndex::AttachedSections sections = vectors->TakeAttachedSections();
  // A read-only paged open left the sections in the file. The keyword index
  // and the state are needed now; the encoder (9 MB for the Debian catalogue,
  // the largest) when a search, add or feedback first encodes a text.
  bool encoder_in_file = false;
  for (uint32_t kind : in_file) {
    if (kind == index_file::kTextEncoder) {
      encoder_in_file = true;
      continue;
    }
    auto bytes = vectors->ReadAttachedSection(kind);
    if (!bytes.ok()) return bytes.status();
    sections.emplace_back(kind, bytes.take());
  }
  t->vectors_ = vectors;
  NV_RETURN_IF_ERROR(t->DecodeSections(sections, encoder_in_file));
  if (vectors->config().metric != Metric::kCosine ||
      (t->encoder_ && vectors->config().dimensions != t->encoder_->dimensions())) {
    return Status::Corrupt("index file is corrupt: text encoder section does not match the index's dimensions or metric");
  }
  // Reconcile with the vector index (its log may hold writes after the text
  // sections' checkpoint): documents whose slot is gone or holds another id
  // are dropped; live items without a document are hidden.
  Keywords& kw = *t->keywords_;
  for (uint32_t s = 0; s < kw.key_hash.size(); ++s) {
    if (kw.key_hash[s] == 0) continue;
    if (!vectors->IsLiveSlot(s) || KeyHash(vectors->KeyOf(s)) != kw.key_hash[s]) {
      NV_RETURN_IF_ERROR(KeywordSectionStatus(kw.index.PrepareForWrites()));
      kw.index.Remove(s);
      kw.key_hash[s] = 0;
    }
  }
  const uint64_t capacity = vectors->Stats().capacity;
  for (uint64_t s = 0; s < capacity; ++s) {
    if (vectors->IsLiveSlot(static_cast<uint32_t>(s)) && !kw.index.Contains(static_cast<uint32_t>(s))) ++kw.hidden;
  }
  TextIndex* raw = t.get();
  vectors->SetAttachedSectionsProvider([raw] { return raw->EncodeSections(); });
  return t;
}

Status TextIndex::CheckText(const std::string& text, const char* what) const {
  if (text.size() > TextIndexConfig::kMaxTextBytes) {
    return Status::InvalidArgument(std::string(what) + " is " + std::to_string(text.size()) + " bytes; at most " +
                                   std::to_string(TextIndexConfig::kMaxTextBytes) + " are accepted");
  }
  return Status::Ok();
}

Result<bool> TextIndex::Encode(const std::string& text, float* out) const {
  NV_RETURN_IF_ERROR(LoadEncoder());
  return encoder_->Encode(text, out);
}

Status TextIndex::LoadEncoder() const {
  std::lock_guard<std::mutex> lock(encoder_mutex_);
  if (encoder_) return Status::Ok();
  auto bytes = vectors_->ReadAttachedSection(index_file::kTextEncoder);  // its CRC checked there
  if (!bytes.ok()) return bytes.status();
  auto encoder = text::TextEncoder::FromVerifiedSection(bytes.take());
  if (!encoder.ok()) return Status::Corrupt("index file is corrupt: text encoder section: " + encoder.status().message());
  if (encoder.value().dimensions() != vectors_->config().dimensions) {
    return Status::Corrupt("index file is corrupt: text encoder section does not match the index's dimensions or metric");
  }
  encoder_ = std::make_unique<text::TextEncoder>(encoder.take());
  return Status::Ok();
}

bool TextIndex::Contains(const ItemKey& key) const {
  auto slot = vectors_->SlotOf(key);
  return slot.ok() && keywords_->index.Contains(slot.value());
}

Result<uint32_t> TextIndex::Add(const ItemKey& key, const std::string& text, const std::string& metadata_json) {
  NV_RETURN_IF_ERROR(CheckText(text, "text"));
  NV_RETURN_IF_ERROR(LoadEncoder());
  NV_RETURN_IF_ERROR(KeywordSectionStatus(keywords_->index.PrepareForWrites()));
  std::vector<float> v(encoder_->dimensions());
  if (!encoder_->Encode(text, v.data())) {
    return Status::InvalidArgument("text of " + key.ToDisplay() + " has no word to index (letters or digits expected)");
  }
  auto slot = vectors_->Add(key, v.data(), metadata_json);
  if (!slot.ok()) return slot.status();
  Keywords& kw = *keywords_;
  kw.index.Add(slot.value(), text);
  if (kw.key_hash.size() <= slot.value()) kw.key_hash.resize(slot.value() + 1, 0);
  kw.key_hash[slot.value()] = KeyHash(key);
  return slot;
}

Status TextIndex::AddBatch(const std::vector<ItemKey>& keys, const std::vector<std::string>& texts,
                           const std::vector<std::string>& metadata_json, const BatchOptions& options) {
  if (keys.size() != texts.size()) return Status::InvalidArgument("ids and texts differ in length");
  NV_RETURN_IF_ERROR(LoadEncoder());
  const uint32_t dim = encoder_->dimensions();
  std::vector<float> vectors(keys.size() * dim);
  for (size_t i = 0; i < keys.size(); ++i) {
    NV_RETURN_IF_ERROR(CheckText(texts[i], ("text " + std::to_string(i)).c_str()));
    if (!encoder_->Encode(texts[i], vectors.data() + i * dim)) {
      return Status::InvalidArgument("text " + std::to_string(i) + " (id " + keys[i].ToDisplay() +
                                     ") has no word to index (letters or digits expected)");
    }
  }
  NV_RETURN_IF_ERROR(KeywordSectionStatus(keywords_->index.PrepareForWrites()));
  NV_RETURN_IF_ERROR(vectors_->AddBatch(keys, vectors.data(), metadata_json, options));
  Keywords& kw = *keywords_;
  for (size_t i = 0; i < keys.size(); ++i) {
    const uint32_t slot = vectors_->SlotOf(keys[i]).value();
    kw.index.Add(slot, texts[i]);
    if (kw.key_hash.size() <= slot) kw.key_hash.resize(slot + 1, 0);
    kw.key_hash[slot] = KeyHash(keys[i]);
  }
  return Status::Ok();
}

Result<bool> TextIndex::Remove(const ItemKey& key) {
  auto slot = vectors_->SlotOf(key);
  if (slot.ok()) NV_RETURN_IF_ERROR(KeywordSectionStatus(keywords_->index.PrepareForWrites()));
  auto removed = vectors_->Remove(key);
  if (!removed.ok() || !removed.value()) return removed;
  Keywords& kw = *keywords_;
  if (kw.index.Contains(slot.value())) {
    kw.index.Remove(slot.value());
    kw.key_hash[slot.value()] = 0;
  } else if (kw.hidden > 0) {
    --kw.hidden;
  }
  return true;
}

Result<std::vector<TextHit>> TextIndex::Search(const std::string& query, const TextSearchOptions& options,
                                               TextSearchTimings* timings) const {
  NV_RETURN_IF_ERROR(CheckText(query, "query"));
  if (options.k == 0) return Status::InvalidArgument("k must be at least 1");
  if (options.ef > IndexConfig::kMaxEf) return Status::InvalidArgument("ef must be at most " + std::to_string(IndexConfig::kMaxEf));
  const float weight = options.keyword_weight < 0 ? config_.keyword_weight : options.keyword_weight;
  if (!(weight >= 0 && weight <= 1)) return Status::InvalidArgument("keywordWeight must be in [0, 1]");
  auto filter = vectors_->FilterPredicate(options.filter);
  if (!filter.ok()) return filter.status();
  const std::function<bool(uint32_t)> matches = filter.take();
  if (text::Words(query).empty()) return Status::InvalidArgument("query has no word (letters or digits expected)");
  const Keywords& kw = *keywords_;
  const double t0 = NowMs();
  const uint32_t dim = vectors_->config().dimensions;
  std::vector<float> qv(dim);
  // A keyword search without feedback to weigh needs no encoder (nor its
  // weights read, after a read-only paged open).
  const bool needs_vector = options.mode != TextSearchMode::kKeyword || (options.use_feedback && !feedback_.empty());
  if (needs_vector) NV_RETURN_IF_ERROR(LoadEncoder());
  const bool has_vector = needs_vector && encoder_->Encode(query, qv.data());
  const double t1 = NowMs();

  const uint32_t pool = std::max(options.k, options.mode == TextSearchMode::kHybrid ? config_.candidates : options.k);
  // Candidates from each side: the semantic walk first, so the keyword pass
  // over the query terms' postings also scores the semantic candidates.
  std::vector<SearchHit> semantic;
  if (options.mode != TextSearchMode::kKeyword && has_vector) {
    SearchParams p;
    p.k = static_cast<uint32_t>(std::min<uint64_t>(pool + kw.hidden, IndexConfig::kMaxEf));
    p.ef = std::max(options.ef ? options.ef : vectors_->config().ef_search, p.k);
    p.filter = options.filter;
    auto hits = vectors_->Search(qv.data(), p);
    if (!hits.ok()) return hits.status();
    for (const SearchHit& h : hits.value()) {
      if (kw.index.Contains(h.slot)) semantic.push_back(h);
    }
    if (semantic.size() > pool) semantic.resize(pool);
  }
  std::vector<text::KeywordHit> keyword;
  std::vector<uint32_t> semantic_slots;
  std::vector<float> semantic_keyword;  // BM25 of each semantic candidate
  if (options.mode != TextSearchMode::kSemantic) {
    for (const SearchHit& h : semantic) semantic_slots.push_back(h.slot);
    semantic_keyword.resize(semantic_slots.size());
    keyword = kw.index.Search(query, pool, [&](uint32_t s) { return matches(s); }, &semantic_slots, semantic_keyword.data());
    NV_RETURN_IF_ERROR(KeywordSectionStatus(kw.index.TakeError()));
  }

  // Merged candidates, each with both raw scores.
  std::unordered_map<uint32_t, size_t> at;
  std::vector<TextHit> merged;
  std::vector<float> row(dim);
  auto cosine = [&](uint32_t slot) {
    if (!has_vector) return 0.0f;
    vectors_->GetVector(slot, row.data());
    double dot = 0, n = 0;
    for (uint32_t j = 0; j < dim; ++j) {
      dot += static_cast<double>(row[j]) * qv[j];
      n += static_cast<double>(row[j]) * row[j];
    }
    return n > 0 ? static_cast<float>(dot / std::sqrt(n)) : 0.0f;
  };
  auto take = [&](uint32_t slot) -> TextHit& {
    auto it = at.find(slot);
    if (it != at.end()) return merged[it->second];
    at.emplace(slot, merged.size());
    TextHit h{slot, 0, 0, 0, 0};
    merged.push_back(h);
    return merged.back();
  };
  std::vector<uint32_t> keyword_rank, semantic_rank;
  for (const text::KeywordHit& h : keyword) {
    TextHit& t = take(h.slot);
    t.keyword = h.score;
    keyword_rank.push_back(h.slot);
  }
  std::unordered_set<uint32_t> keyword_scored;  // slots whose BM25 is known (0 or not)
  for (const text::KeywordHit& h : keyword) keyword_scored.insert(h.slot);
  for (size_t i = 0; i < semantic.size(); ++i) {
    const SearchHit& h = semantic[i];
    TextHit& t = take(h.slot);
    t.semantic = 1.0f - h.distance;
    semantic_rank.push_back(h.slot);
    if (!semantic_keyword.empty()) {
      t.keyword = semantic_keyword[i];
      keyword_scored.insert(h.slot);
    }
  }
  // Feedback: events whose query is similar enough move their documents.
  std::unordered_map<uint32_t, float> moved;
  if (options.use_feedback && has_vector && !feedback_.empty() && config_.feedback_boost > 0) {
    const float floor = config_.feedback_similarity;
    for (const FeedbackEvent& e : feedback_) {
      double sim = 0;
      for (uint32_t j = 0; j < dim; ++j) sim += static_cast<double>(e.query[j]) * qv[j];
      if (sim < floor) continue;
      const float w = config_.feedback_boost * static_cast<float>((sim - floor) / (1.0 - floor));
      for (const ItemKey& key : e.clicked) {
        auto slot = vectors_->SlotOf(key);
        if (slot.ok() && kw.index.Contains(slot.value()) && matches(slot.value())) moved[slot.value()] += w;
      }
      for (const ItemKey& key : e.rejected) {
        auto slot = vectors_->SlotOf(key);
        if (slot.ok() && kw.index.Contains(slot.value())) moved[slot.value()] -= w;
      }
    }
    for (const auto& [slot, delta] : moved) {
      if (delta > 0 && !at.count(slot)) {
        take(slot);  // a clicked document the walk did not bring
      }
    }
  }
  const bool fill_keyword = options.mode != TextSearchMode::kSemantic;
  const bool fill_semantic = options.mode != TextSearchMode::kKeyword;
  std::vector<uint32_t> unscored;  // candidates the keyword side did not bring
  for (TextHit& t : merged) {
    if (fill_keyword && !keyword_scored.count(t.slot)) unscored.push_back(t.slot);
    if (fill_semantic && t.semantic == 0) t.semantic = cosine(t.slot);
  }
  if (!unscored.empty()) {
    std::vector<float> scores(unscored.size());
    kw.index.ScoreSlots(query, unscored, scores.data());
    NV_RETURN_IF_ERROR(KeywordSectionStatus(kw.index.TakeError()));
    for (size_t i = 0; i < unscored.size(); ++i) merged[at[unscored[i]]].keyword = scores[i];
  }
  // Scores by mode.
  if (options.mode == TextSearchMode::kKeyword) {
    for (TextHit& t : merged) t.score = t.keyword;
  } else if (options.mode == TextSearchMode::kSemantic) {
    for (TextHit& t : merged) t.score = t.semantic;
  } else if (options.fusion == TextFusion::kReciprocalRank) {
    for (TextHit& t : merged) t.score = 0;
    for (size_t r = 0; r < keyword_rank.size(); ++r) merged[at[keyword_rank[r]]].score += 1.0f / (kRrfK + r + 1);
    for (size_t r = 0; r < semantic_rank.size(); ++r) merged[at[semantic_rank[r]]].score += 1.0f / (kRrfK + r + 1);
  } else {
    float max_kw = 0, min_sem = 1e30f, max_sem = -1e30f;
    for (const TextHit& t : merged) {
      max_kw = std::max(max_kw, t.keyword);
      min_sem = std::min(min_sem, t.semantic);
      max_sem = std::max(max_sem, t.semantic);
    }
    const float sem_range = max_sem - min_sem;
    for (TextHit& t : merged) {
      const float k = max_kw > 0 ? t.keyword / max_kw : 0.0f;
      const float s = sem_range > 0 ? (t.semantic - min_sem) / sem_range : 0.0f;
      t.score = weight * k + (1 - weight) * s;
    }
  }
  for (TextHit& t : merged) {
    auto it = moved.find(t.slot);
    if (it != moved.end()) {
      // Feedback works on the fused scale in hybrid mode (scores in [0, 1]);
      // in the single modes it scales with the best score.
      t.feedback = it->second;
      t.score += it->second;
    }
  }
  auto better = [](const TextHit& a, const TextHit& b) { return a.score > b.score || (a.score == b.score && a.slot < b.slot); };
  if (merged.size() > options.k) {
    std::partial_sort(merged.begin(), merged.begin() + options.k, merged.end(), better);
    merged.resize(options.k);
  } else {
    std::sort(merged.begin(), merged.end(), better);
  }
  if (timings) {
    timings->encode_ms = t1 - t0;
    timings->search_ms = NowMs() - t1;
  }
  return merged;
}

Status TextIndex::Feedback(const std::string& query, const std::vector<ItemKey>& clicked,
                           const std::vector<ItemKey>& rejected, const std::vector<ItemKey>& shown) {
  NV_RETURN_IF_ERROR(CheckText(query, "query"));
  if (clicked.empty() && rejected.empty()) return Status::InvalidArgument("feedback needs at least one clicked or rejected id");
  for (const auto* list : {&clicked, &rejected}) {
    for (const ItemKey& k : *list) {
      if (!Contains(k)) return Status::NotFound("feedback names " + k.ToDisplay() + ", which is not in the index");
    }
  }
  NV_RETURN_IF_ERROR(LoadEncoder());
  FeedbackEvent e;
  e.query.resize(encoder_->dimensions());
  if (!encoder_->Encode(query, e.query.data())) return Status::InvalidArgument("query has no word (letters or digits expected)");
  e.clicked = clicked;
  e.rejected = rejected;
  for (const ItemKey& k : shown) {
    if (Contains(k)) e.shown.push_back(k);
  }
  if (config_.feedback_capacity == 0) return Status::Ok();
  if (feedback_.size() < config_.feedback_capacity) {
    feedback_.push_back(std::move(e));
  } else {
    feedback_[feedback_next_ % config_.feedback_capacity] = std::move(e);
  }
  ++feedback_next_;
  return Status::Ok();
}

void TextIndex::ClearFeedback() {
  feedback_.clear();
  feedback_next_ = 0;
}

Status TextIndex::Sync() { return vectors_->durable() ? vectors_->Checkpoint() : Status::Ok(); }

Status TextIndex::Close() {
  // A read-only index has nothing to write; its file is only released.
  if (!vectors_->read_only()) NV_RETURN_IF_ERROR(Sync());
  return vectors_->Close(false);
}

TextIndexStats TextIndex::Stats() const {
  TextIndexStats s;
  s.documents = keywords_->index.documents();
  s.terms = keywords_->index.terms();
  s.postings = keywords_->index.postings();
  s.keyword_bytes = keywords_->index.MemoryBytes() + keywords_->key_hash.size() * 8;
  {
    std::lock_guard<std::mutex> lock(encoder_mutex_);
    s.encoder_loaded = encoder_ != nullptr;
    s.encoder_bytes = encoder_ ? encoder_->weight_bytes() : 0;
  }
  s.feedback_events = feedback_.size();
  s.dimensions = vectors_->config().dimensions;
  return s;
}

// Text state section: u32 version | f32 keyword_weight | u32 candidates | f32
// bm25 k1, b | u32 feedback capacity | f32 similarity | f32 boost | u32 slots
// | u64 key hash per slot | u64 events recorded | u32 events | per event: f32 x
// dim query, clicked, rejected, shown key lists (u32 count, then u32 length +
// encoded key each).
Result<VectorIndex::AttachedSections> TextIndex::EncodeSections() const {
  NV_RETURN_IF_ERROR(LoadEncoder());  // an image always carries the encoder
  VectorIndex::AttachedSections out;
  out.emplace_back(index_file::kTextEncoder, encoder_->ToBytes());
  out.emplace_back(index_file::kKeywordIndex, keywords_->index.Encode());
  std::string state;
  ByteWriter w(state);
  w.U32(kTextStateVersion);
  w.F32(config_.keyword_weight);
  w.U32(config_.candidates);
  w.F32(config_.bm25_k1);
  w.F32(config_.bm25_b);
  w.U32(config_.feedback_capacity);
  w.F32(config_.feedback_similarity);
  w.F32(config_.feedback_boost);
  w.U32(static_cast<uint32_t>(keywords_->key_hash.size()));
  for (uint64_t h : keywords_->key_hash) w.U64(h);
  w.U64(feedback_next_);
  w.U32(static_cast<uint32_t>(feedback_.size()));
  for (const FeedbackEvent& e : feedback_) {
    for (float v : e.query) w.F32(v);
    WriteKeys(w, e.clicked);
    WriteKeys(w, e.rejected);
    WriteKeys(w, e.shown);
  }
  out.emplace_back(index_file::kTextState, std::move(state));
  return out;
}

Status TextIndex::DecodeSections(VectorIndex::AttachedSections& sections, bool encoder_in_file) {
  std::string* enc = nullptr;
  std::string* keywords = nullptr;
  const std::string* state = nullptr;
  for (auto& [kind, bytes] : sections) {
    if (kind == index_file::kTextEncoder) enc = &bytes;
    if (kind == index_file::kKeywordIndex) keywords = &bytes;
    if (kind == index_file::kTextState) state = &bytes;
  }
  const bool has_encoder = enc || encoder_in_file;
  if (!has_encoder && !keywords && !state) {
    return Status::FailedPrecondition("this index file has no text layer (it was not made by TextIndex)");
  }
  if (!has_encoder || !keywords || !state) {
    return Status::Corrupt("index file is corrupt: the text encoder, keyword index and text state sections come together");
  }
  if (enc) {
    // DecodeImage checked the section's CRC (attached sections always are).
    auto encoder = text::TextEncoder::FromVerifiedSection(std::move(*enc));
    if (!encoder.ok()) return Status::Corrupt("index file is corrupt: text encoder section: " + encoder.status().message());
    encoder_ = std::make_unique<text::TextEncoder>(encoder.take());
  }
  Status s = keywords_->index.Decode(std::move(*keywords));  // kept: searched in place
  if (!s.ok()) return Status::Corrupt("index file is corrupt: keyword index section: " + s.message());
  auto corrupt = [](const std::string& what) { return Status::Corrupt("index file is corrupt: text state section: " + what); };
  ByteReader r(reinterpret_cast<const uint8_t*>(state->data()), state->size());
  uint32_t version = 0, slots = 0, events = 0;
  TextIndexConfig c;
  if (!r.U32(version) || version != kTextStateVersion) return corrupt("unknown version");
  if (!r.F32(c.keyword_weight) || !r.U32(c.candidates) || !r.F32(c.bm25_k1) || !r.F32(c.bm25_b) ||
      !r.U32(c.feedback_capacity) || !r.F32(c.feedback_similarity) || !r.F32(c.feedback_boost)) {
    return corrupt("cut short");
  }
  if (!c.Validate().ok()) return corrupt("settings out of range: " + c.Validate().message());
  if (c.bm25_k1 != keywords_->index.params().k1 || c.bm25_b != keywords_->index.params().b) {
    return corrupt("BM25 parameters differ from the keyword index's");
  }
  config_ = c;
  if (!r.U32(slots) || slots > r.remaining() / 8) return corrupt("slot count larger than the section");
  keywords_->key_hash.resize(slots);
  for (uint32_t s2 = 0; s2 < slots; ++s2) r.U64(keywords_->key_hash[s2]);
  for (uint32_t s2 = 0; s2 < slots; ++s2) {
    if ((keywords_->key_hash[s2] != 0) != keywords_->index.Contains(s2)) return corrupt("slots differ from the keyword index's");
  }
  if (!r.U64(feedback_next_) || !r.U32(events)) return corrupt("cut short");
  const uint32_t dim = vectors_->config().dimensions;  // the encoder's, checked when it is read
  if (events > c.feedback_capacity || events > r.remaining() / (4 * dim)) return corrupt("too many feedback events");
  feedback_.resize(events);
  for (FeedbackEvent& e : feedback_) {
    e.query.resize(dim);
    for (float& v : e.query) {
      if (!r.F32(v) || !std::isfinite(v)) return corrupt("feedback event query is cut short or not finite");
    }
    if (!ReadKeys(r, &e.clicked) || !ReadKeys(r, &e.rejected) || !ReadKeys(r, &e.shown)) {
      return corrupt("feedback event ids are cut short or invalid");
    }
  }
  if (r.remaining() != 0) return corrupt("trailing bytes");
  return Status::Ok();
}

}  // namespace neurovec
