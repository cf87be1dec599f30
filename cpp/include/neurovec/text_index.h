// neurovec's text layer: search documents by keywords, by meaning, or both,
// in one index file.
//
// A TextIndex is a VectorIndex (cosine, the encoder's dimensions) whose items
// are documents, plus:
// - an encoder (hashed word, bigram and character n-gram features -> int8
//   embedding rows -> mean -> unit vector), trained natively by
//   `neurovec train-encoder`;
// - a BM25 keyword index over the same documents;
// - hybrid ranking: the keyword and semantic candidates are merged, each
//   scored by both (exact BM25, exact cosine), each score normalised over the
//   merged set (BM25 / max BM25, cosine min-max), then weighted:
//   keyword_weight * keyword + (1 - keyword_weight) * semantic;
// - feedback: clicks on results for a query are remembered (bounded), and
//   later queries similar in meaning (cosine of their embeddings at least
//   feedback_similarity) get the clicked documents raised and the rejected ones
//   lowered, in proportion to that similarity.
// All of it is stored in the index's file (sections 24-26), so an index saved
// natively opens in wasm with the same results.
//
// Contract: documents need at least one word; text longer than
// TextIndexConfig::kMaxTextBytes is refused (kInvalidArgument), as are empty
// queries. Every call that fails leaves the index unchanged.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "neurovec/item_key.h"
#include "neurovec/status.h"
#include "neurovec/storage.h"
#include "neurovec/vector_index.h"

namespace neurovec {

namespace text {
class TextEncoder;
}

enum class TextSearchMode : uint8_t { kHybrid = 0, kSemantic = 1, kKeyword = 2 };
enum class TextFusion : uint8_t { kScore = 0, kReciprocalRank = 1 };

struct TextIndexConfig {
  // Weight of the keyword score in hybrid ranking, in [0, 1].
  float keyword_weight = 0.5f;
  // Candidates each side contributes to a hybrid ranking (>= k is used anyway).
  uint32_t candidates = 100;
  // BM25 parameters.
  float bm25_k1 = 1.2f;
  float bm25_b = 0.75f;
  // Feedback: events kept (oldest dropped first), the query similarity from
  // which an event counts, and the score added per click (taken away per
  // rejection) at similarity 1.
  uint32_t feedback_capacity = 4096;
  float feedback_similarity = 0.8f;
  float feedback_boost = 0.5f;

  static constexpr uint64_t kMaxTextBytes = 1 << 20;
  Status Validate() const;
};

struct TextSearchOptions {
  uint32_t k = 10;
  TextSearchMode mode = TextSearchMode::kHybrid;
  TextFusion fusion = TextFusion::kScore;
  uint32_t ef = 0;            // semantic walk's candidate list (0: the index default, raised to candidates)
  std::string filter;         // JSON metadata filter (as VectorIndex), applied in every mode
  bool use_feedback = true;   // false: the ranking before anything was learned
  float keyword_weight = -1;  // < 0: the config's
};

struct TextHit {
  uint32_t slot;
  float score;           // larger is better: BM25 (keyword), cosine (semantic), fused (hybrid)
  float keyword = 0;     // the parts of a hybrid score (raw BM25, cosine) and the feedback added
  float semantic = 0;
  float feedback = 0;
};

struct TextSearchTimings {
  double encode_ms = 0;
  double search_ms = 0;
};

struct TextIndexStats {
  uint64_t documents = 0;
  uint64_t terms = 0;              // keyword dictionary
  uint64_t postings = 0;
  uint64_t keyword_bytes = 0;      // keyword index in memory
  uint64_t encoder_bytes = 0;      // encoder weights (0 until they are read: encoder_loaded)
  // False after a read-only paged open (VectorIndex::OpenOptions) until the
  // first search, add or feedback that needs the encoder reads its weights
  // from the file (or LoadEncoder()); keyword searches do not need them.
  bool encoder_loaded = true;
  uint64_t feedback_events = 0;
  uint32_t dimensions = 0;
};

class TextIndex {
 public:
  // A new text index over a new VectorIndex with `vectors` parameters (metric
  // and dimensions are set from the encoder) and the encoder's bytes
  // (text/text_encoder.h), optionally durable on `storage`.
  static Result<std::unique_ptr<TextIndex>> Create(const TextIndexConfig& config, const std::string& encoder_bytes,
                                                   IndexConfig vectors, std::unique_ptr<Storage> storage = nullptr);
  // The text layer of an opened index (VectorIndex::Open / LoadFromBytes),
  // which it takes over. kFailedPrecondition when the file holds no text layer.
  // Items the vector index has but the text layer does not (written to the log
  // after the last checkpoint: TextIndex::Sync checkpoints) are hidden.
  static Result<std::unique_ptr<TextIndex>> Attach(std::unique_ptr<VectorIndex> vectors);
  // The same over an index the caller keeps (it must outlive the TextIndex,
  // and take no writes but through it): the bindings, whose handles own the
  // vector index. CreateOn needs an empty cosine index of the encoder's
  // dimensions; a durable one is checkpointed so its file holds the text layer.
  static Result<std::unique_ptr<TextIndex>> CreateOn(const TextIndexConfig& config, const std::string& encoder_bytes,
                                                     VectorIndex* empty);
  static Result<std::unique_ptr<TextIndex>> AttachTo(VectorIndex* vectors);
  ~TextIndex();

  Result<uint32_t> Add(const ItemKey& key, const std::string& text, const std::string& metadata_json = "");
  // All items are checked before any is added.
  Status AddBatch(const std::vector<ItemKey>& keys, const std::vector<std::string>& texts,
                  const std::vector<std::string>& metadata_json, const BatchOptions& options);
  Result<bool> Remove(const ItemKey& key);

  Result<std::vector<TextHit>> Search(const std::string& query, const TextSearchOptions& options,
                                      TextSearchTimings* timings = nullptr) const;
  // The user clicked `clicked` (and rejected `rejected`) among `shown` for
  // `query`; unknown ids are kInvalidArgument... except in `shown`, where
  // they are ignored. At least one clicked or rejected id.
  Status Feedback(const std::string& query, const std::vector<ItemKey>& clicked, const std::vector<ItemKey>& rejected,
                  const std::vector<ItemKey>& shown);
  void ClearFeedback();

  // Durable: a checkpoint (the text sections are part of the image).
  Status Sync();
  Status Close();

  // Embedding of a text (dimensions floats); false when it has no word.
  // Errors: the encoder's weights could not be read from the file.
  Result<bool> Encode(const std::string& text, float* out) const;
  // Reads the encoder's weights now if the open left them in the file (a
  // read-only paged open does: keyword searches can start before they are
  // read). kCorrupt when they fail their checksum; a no-op once read.
  Status LoadEncoder() const;
  bool Contains(const ItemKey& key) const;
  TextIndexStats Stats() const;
  const TextIndexConfig& config() const { return config_; }
  VectorIndex& vectors() { return *vectors_; }
  const VectorIndex& vectors() const { return *vectors_; }

 private:
  struct FeedbackEvent;
  TextIndex();
  Result<VectorIndex::AttachedSections> EncodeSections() const;
  // `encoder_in_file`: the open left the encoder section in the file (read by LoadEncoder).
  Status DecodeSections(VectorIndex::AttachedSections& sections, bool encoder_in_file);
  Status CheckText(const std::string& text, const char* what) const;

  TextIndexConfig config_;
  VectorIndex* vectors_ = nullptr;
  std::unique_ptr<VectorIndex> owned_;  // when the TextIndex owns its vector index
  // Null until LoadEncoder reads it when the open left it in the file: set
  // once, under encoder_mutex_ (const searches may be the first to need it).
  mutable std::unique_ptr<text::TextEncoder> encoder_;
  mutable std::mutex encoder_mutex_;
  struct Keywords;
  std::unique_ptr<Keywords> keywords_;
  std::vector<FeedbackEvent> feedback_;
  uint64_t feedback_next_ = 0;  // events ever recorded (ring position)
};

}  // namespace neurovec
