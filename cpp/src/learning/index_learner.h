// The learner behind VectorIndex's learning calls (issue 5): implements the
// core's Learner interface (index/learning_hooks.h) with the QueryRefiner and
// RefinerTrainer of this library.
//
// Feedback events are kept as (query vector, positive slots, negative slots).
// A training example is the candidate graph of the judged items: the query,
// the positives and negatives (still live), and the HNSW level-0 links among
// them; InfoNCE pushes the positives above the negatives. The items a user
// judges are the results a search showed them, which is also what the neural
// modes re-rank (the vector search's k' candidates), so training and inference
// see graphs of the same kind.
//
// Memory is bounded: events since the last training sit in a reservoir of
// feedback_capacity; after training (or at once, when each event is learned
// online) they enter the replay reservoir
// (replay_capacity), from which replay_per_batch examples join each later
// batch, and from which EWC's Fisher estimate is drawn.
//
// EWC when learning online (ewc_lambda > 0 and online_steps > 0) has no
// training to anchor at, so it anchors every kOnlineEwcInterval events: at the
// parameters of that moment, with a Fisher diagonal that is a running mean of
// the squared per-event gradients since the last anchor, blended half and half
// with the previous anchor's (online EWC, Schwarz et al. 2018). Each event pays
// one extra backward pass for it, never a burst. The anchor is not stored in
// the file: after a reopen (or a train()) it is rebuilt within the next
// interval.
#pragma once

#include <memory>
#include <mutex>

#include "index/learning_hooks.h"
#include "learning/edge_memory.h"
#include "learning/refiner_trainer.h"
#include "learning/replay_buffer.h"

namespace neurovec::learning {

struct FeedbackRecord {
  std::vector<float> query;
  std::vector<uint32_t> positives;
  std::vector<uint32_t> negatives;
};

class IndexLearner final : public Learner {
 public:
  static Result<std::unique_ptr<Learner>> Create(const LearningConfig& config, uint32_t dimensions);
  ~IndexLearner() override;

  Status Feedback(const float* query, const std::vector<uint32_t>& positives,
                  const std::vector<uint32_t>& negatives, const IndexView& view) override;
  Status BeginTraining(const TrainOptions& options, const IndexView& view) override;
  Result<TrainProgress> TrainStep(uint32_t max_batches, const IndexView& view) override;
  void CancelTraining() override;
  bool training() const override { return session_ != nullptr; }
  bool trained() const override { return trained_; }
  uint64_t pending_feedback() const override { return fresh_.size(); }
  uint64_t online_steps_done() const override { return online_steps_done_; }
  uint64_t online_ewc_anchors() const override { return online_ewc_anchors_; }
  Status Inserted(const std::vector<uint32_t>& slots, const IndexView& view) override;
  uint64_t insert_steps_done() const override { return insert_steps_done_; }
  uint64_t inserted_examples() const override { return inserted_examples_; }
  uint64_t learned_links() const override { return edges_.size(); }
  Status Rerank(const float* query, const std::vector<uint32_t>& candidates, const IndexView& view, bool want_edges,
                RerankOutput* out) const override;
  Status Expand(const std::vector<uint32_t>& candidates, const RerankOutput& scored, uint32_t budget, uint32_t keep,
                const std::function<bool(uint32_t)>& accept, const IndexView& view,
                std::vector<uint32_t>* found) const override;
  void LinkOffsets(const std::vector<uint32_t>& slots, const float* vectors, const std::vector<uint8_t>& adjacency,
                   std::vector<float>* out) const override;
  std::string Serialize() const override;
  Status Restore(const uint8_t* data, size_t size) override;
  // The refiner in use (meaningful once trained()).
  const QueryRefiner& model() const { return model_; }
  // The per-link edge weights learned so far (LearningConfig::edge_learning_rate).
  const EdgeMemory& edge_memory() const { return edges_; }

 private:
  IndexLearner(const LearningConfig& config, uint32_t dimensions);
  QueryRefinerConfig RefinerConfig(float input_scale) const;
  // False when no positive is live any more (the example is skipped).
  // `extra_negatives` (live slots, may be null) join the record's negatives.
  bool MakeExample(const FeedbackRecord& record, const IndexView& view, FeedbackExample* out,
                   const std::vector<uint32_t>* extra_negatives = nullptr) const;
  // `count` (default config_.random_negatives) live slots outside the record's lists, drawn with `rng`.
  std::vector<uint32_t> RandomNegatives(const FeedbackRecord& record, const IndexView& view, Random& rng) const;
  std::vector<uint32_t> RandomNegatives(const FeedbackRecord& record, const IndexView& view, Random& rng,
                                        uint32_t count) const;
  // with_edges false: the vectors only (enough when hops is 0). With edges,
  // adjacency.node_ids holds each node's slot (the query's is kQueryNode) and
  // the features carry the learned per-link offsets.
  CandidateGraph Graph(const float* query, const std::vector<uint32_t>& slots, const IndexView& view,
                       bool with_edges) const;
  // Creates the model on first use; the input scale comes from the config or,
  // when automatic, from `queries` (1 / max |x|).
  Status EnsureModel(const std::vector<FeedbackRecord>& queries);
  // Continuous learning (config_.online_steps > 0): steps on `record` plus replay.
  Status LearnOnline(const FeedbackRecord& record, const IndexView& view);
  // The optimiser continuous learning and learning on insert share (created on first use).
  void EnsureOnlineTrainer();
  // Learning on insert: `steps` steps on the examples of `slots` (each added
  // item with its level-0 neighbours as positives) plus replayed feedback.
  Status LearnFromInserted(const std::vector<uint32_t>& slots, const IndexView& view);

  // One optimisation step of the per-link weights from a batch's per-edge
  // logit gradients (TrainBatch's edge_dlogits), then the clock moves on by
  // `events` feedback events.
  void LearnEdges(const std::vector<FeedbackExample>& batch, const std::vector<std::vector<float>>& dlogits,
                  uint64_t events);
  // TrainBatch with the per-link weights learned from the same batch when they are on.
  float TrainBatchWithEdges(RefinerTrainer& trainer, const std::vector<FeedbackExample>& batch, uint64_t events);
  static constexpr uint32_t kQueryNode = 0xFFFFFFFFu;

  struct Session;
  // The projected rows (H0) of candidates, kept between queries: the
  // projection of k' raw vectors is most of a neural query's cost, and the
  // same items come back query after query. Direct-mapped by slot, bounded
  // (kProjectionCacheRows rows), and a pure memo: a row is used only when it
  // was computed by the current parameters (model_version_) from the same
  // decoded vector (a 64-bit hash of its bits; a tier migration or a reused
  // slot changes it), so results never depend on what was cached.
  struct ProjectionCache {
    std::mutex mutex;
    uint64_t model_version = 0;
    uint32_t hidden = 0;
    std::vector<float> rows;        // capacity x hidden
    std::vector<uint64_t> tags;     // vector hash per row
    std::vector<uint32_t> slots;    // slot + 1 per row (0: empty)
  };
  static constexpr uint32_t kProjectionCacheRows = 1u << 16;
  // Bumped whenever model_'s parameters change.
  void ParametersChanged() { ++model_version_; }
  void ProjectCandidates(const CandidateGraph& graph, const std::vector<uint32_t>& slots, uint32_t used_slots,
                         Matrix* h0) const;
  // H0 of stored rows: rows[i] points to slot slots[i]'s decoded vector
  // (dimensions_ floats); its projection goes to row first_out + i of `out`
  // (sized by the caller).
  void ProjectStored(const std::vector<const float*>& rows, const std::vector<uint32_t>& slots, uint32_t used_slots,
                     Matrix* out, Eigen::Index first_out) const;
  // Rerank without message passing or edges (hops 0): the candidates are
  // decoded into one buffer and projected through the cache; no candidate graph.
  void RerankProjectionOnly(const float* query, const std::vector<uint32_t>& candidates, const IndexView& view,
                            RerankOutput* out) const;

  LearningConfig config_;
  uint32_t dimensions_;
  float input_scale_ = 0.0f;  // in use; fixed by the first training (or read back)
  QueryRefiner model_;
  EdgeMemory edges_;
  bool trained_ = false;
  uint64_t trainings_ = 0;
  ReservoirBuffer<FeedbackRecord> fresh_;
  ReservoirBuffer<FeedbackRecord> replay_;
  std::unique_ptr<Session> session_;
  // The optimiser of continuous learning, kept across events (Adam's moments
  // carry over); it points into model_, so it is dropped whenever model_ is
  // replaced (a training, a cancel, a restore).
  std::unique_ptr<RefinerTrainer> online_;
  uint64_t online_steps_done_ = 0;
  // Online EWC (above): squared gradients of the events since the last anchor,
  // and the blended Fisher of the anchors so far (empty before the first).
  static constexpr uint32_t kOnlineEwcInterval = 128;
  FisherEstimator online_fisher_;
  std::vector<Matrix> online_anchor_fisher_;
  uint64_t online_ewc_anchors_ = 0;
  // One event's share of online EWC: its squared gradient, and an anchor at
  // each interval's end.
  void TrackOnlineEwc(const FeedbackExample& event);
  uint64_t model_version_ = 1;
  mutable ProjectionCache projections_;
  // Learning on insert: added slots waiting for a batch, and what was learned.
  std::vector<uint32_t> inserted_pending_;
  uint64_t insert_steps_done_ = 0;
  uint64_t inserted_examples_ = 0;
  // Positives per added item (its first level-0 neighbours), and the least
  // number of random negatives its example gets.
  static constexpr size_t kInsertPositives = 8;
  static constexpr uint32_t kInsertNegatives = 16;
  // Replayed feedback events whose gradients weigh the EWC anchor set before
  // the first step on inserted items.
  static constexpr size_t kInsertFisherEvents = 128;
};

// The refiner a learned state (VectorIndex::LearnedState(), the learner's
// bytes of the file section) holds, for `config` and `dimensions` of its index.
Result<QueryRefiner> RefinerFromState(const LearningConfig& config, uint32_t dimensions, const uint8_t* data,
                                      size_t size);

}  // namespace neurovec::learning
