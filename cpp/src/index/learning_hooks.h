// The seam between the core and the learning engine (issue 5). The core
// defines the abstract Learner; neurovec_learning implements it (with Eigen)
// and installs a factory (neurovec::learning::EnableLearning). The core never
// includes an Eigen header, so its native and wasm builds stay as they were
// for programs that do not learn.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "index/click_memory.h"
#include "neurovec/learning.h"
#include "neurovec/status.h"

namespace neurovec {

class VectorStore;
class HnswGraph;

// What a learner may read of the index: vectors (decoded to the user's
// values), the HNSW links, and which slots are live.
struct IndexView {
  const VectorStore* store;
  const HnswGraph* graph;
  const std::vector<uint8_t>* live;
  uint32_t used_slots;
  uint32_t dimensions;
};

struct RerankOutput {
  std::vector<float> scores;  // one per candidate
  // The model's embedding of the query after message passing (the refined
  // query): what Expand scores items outside the candidates against.
  std::vector<float> refined_query;
  // Induced HNSW level-0 links among the candidates (local indices) with their learned weights.
  std::vector<LearnedEdge> edges;
};

class Learner {
 public:
  virtual ~Learner() = default;
  // Records one feedback event (slots validated live by the caller); with
  // LearningConfig::online_steps > 0 it also learns from it at once (`view`
  // gives the candidate graph of that step).
  virtual Status Feedback(const float* query, const std::vector<uint32_t>& positives,
                          const std::vector<uint32_t>& negatives, const IndexView& view) = 0;
  // Stepwise training, so that hosts without threads (wasm + JS) can yield
  // between batches: Begin, Step until done, or Cancel (parameters restored).
  virtual Status BeginTraining(const TrainOptions& options, const IndexView& view) = 0;
  virtual Result<TrainProgress> TrainStep(uint32_t max_batches, const IndexView& view) = 0;
  virtual void CancelTraining() = 0;
  virtual bool training() const = 0;
  virtual bool trained() const = 0;
  virtual uint64_t pending_feedback() const = 0;
  // Optimisation steps run by Feedback calls (continuous learning) so far.
  virtual uint64_t online_steps_done() const = 0;
  // Items were added (slots now live and linked): with
  // LearningConfig::insert_steps > 0 and a model present, they are queued and
  // learned from in batches (learning.h). An error leaves the model as it was
  // before the failed step; the items stay added either way.
  virtual Status Inserted(const std::vector<uint32_t>& slots, const IndexView& view) = 0;
  virtual uint64_t insert_steps_done() const = 0;
  virtual uint64_t inserted_examples() const = 0;
  // Links with a learned per-link weight (LearningConfig::edge_learning_rate).
  virtual uint64_t learned_links() const = 0;
  // EWC anchors set by continuous learning so far (ewc_lambda > 0).
  virtual uint64_t online_ewc_anchors() const = 0;
  // Scores `candidates` (slots) for `query`. Const and reentrant.
  virtual Status Rerank(const float* query, const std::vector<uint32_t>& candidates, const IndexView& view,
                        bool want_edges, RerankOutput* out) const = 0;
  // The walk beyond the candidates (SearchParams::expand): best-first over
  // level-0 links, starting from `candidates` (with `scored`, their Rerank
  // output), each item reached scored by the model against the refined
  // query. Evaluates at most `budget` items outside `candidates`, skipping
  // (neither scoring nor walking through) slots `accept` rejects, and
  // returns the best `keep` of them, best first. Const and reentrant.
  virtual Status Expand(const std::vector<uint32_t>& candidates, const RerankOutput& scored, uint32_t budget,
                        uint32_t keep, const std::function<bool(uint32_t)>& accept, const IndexView& view,
                        std::vector<uint32_t>* found) const = 0;
  // The learned per-link weight offsets (LearningConfig::edge_learning_rate)
  // of the links among `slots`: `vectors` holds their decoded rows (k x
  // dimensions), `adjacency` (k x k) is 1 where slot i links to slot j; out
  // gets k x k logit offsets, 0 where there is no link or nothing was learned.
  // What the built-in refiner adds to each link's logit, for an external
  // runtime (RefinerInputs). Const and reentrant.
  virtual void LinkOffsets(const std::vector<uint32_t>& slots, const float* vectors,
                           const std::vector<uint8_t>& adjacency, std::vector<float>* out) const = 0;
  // The learned state (parameters) as portable bytes, and back.
  virtual std::string Serialize() const = 0;
  virtual Status Restore(const uint8_t* data, size_t size) = 0;
};

using LearnerFactory = Result<std::unique_ptr<Learner>> (*)(const LearningConfig& config, uint32_t dimensions);
void SetLearnerFactory(LearnerFactory factory);
LearnerFactory GetLearnerFactory();

// Learning state of one index (a member of VectorIndex::Impl).
struct LearningState {
  bool configured = false;        // a config was set (or read from a file)
  LearningConfig config;
  mutable std::unique_ptr<Learner> learner;  // created lazily (Get), also by const searches
  std::string restored_bytes;     // learner bytes read from a file, not yet handed to a learner
  mutable std::mutex mutex;       // guards the lazy creation of `learner` by const searches

  // The learner, created (and restored from restored_bytes) on first use.
  Result<Learner*> Get(uint32_t dimensions) const;
  // Learning on insert (LearningConfig::insert_steps): hands the added slots
  // to the learner when one exists or was read from the file; never creates a
  // learner for an index that has learned nothing. The add has succeeded
  // whatever this returns; a failure is kept for learning_stats.
  void AfterInsert(const std::vector<uint32_t>& slots, const IndexView& view);
  std::string last_insert_error;  // the last AfterInsert failure (empty: none)
  // The click memory (LearningConfig::memory_capacity; disabled at 0): core
  // code, no engine needed to keep or read it. Written only by Feedback (a
  // write), read by searches.
  ClickMemory memory;
  // Its file section (kind 16): persistence/learning_section.h.
};

}  // namespace neurovec
