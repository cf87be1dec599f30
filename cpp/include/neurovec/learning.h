// The index learns from feedback (issue 5): public types of VectorIndex's
// learning calls (Feedback, Train, SearchLearned). Plain types only: the core
// stays free of Eigen.
//
// Design: the core (neurovec_core) owns the feedback API, the search modes and
// the file section, and talks to the model through the abstract `Learner`
// (index/learning_hooks.h). The implementation, a QueryRefiner GNN trained by
// RefinerTrainer, lives in neurovec_learning (Eigen) and is plugged in with
// neurovec::learning::EnableLearning(), which installs its factory. A program
// that never calls it links no Eigen code; learning calls then return
// kFailedPrecondition, and learned parameters read from a file are kept as
// bytes and written back unchanged.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "neurovec/status.h"

namespace neurovec {

// Options of the learner, fixed when it is created (persisted in the file).
struct LearningConfig {
  uint32_t candidates = 50;        // k': HNSW candidates re-ranked by the neural modes (>= 2)
  uint32_t hidden_dim = 64;        // refiner width, a multiple of heads
  uint32_t heads = 4;
  // Message-passing hops over the candidates' HNSW links. 0: none, the shared
  // projection alone scores the candidates (a metric learned from the same
  // feedback without the graph: the baseline the GNN has to beat).
  uint32_t hops = 2;
  float input_scale = 0.0f;        // vectors are multiplied by this; 0: 1 / max |x| of the first training's queries
  float temperature = 0.2f;        // InfoNCE temperature
  float consistency_weight = 2.0f; // feedback-consistency term (query_refiner.h)
  float dropout = 0.1f;
  float learning_rate = 0.002f;
  float weight_decay = 1e-4f;
  uint32_t batch_size = 32;
  uint32_t feedback_capacity = 8192;  // feedback kept for the next Train (reservoir beyond it)
  uint32_t replay_capacity = 1024;    // feedback already trained on, kept for replay (reservoir)
  uint32_t replay_per_batch = 8;      // replayed examples mixed into each batch (0: none)
  float ewc_lambda = 0.0f;            // EWC strength when training again, and online (index_learner.h) (0: off)
  uint64_t seed = 42;
  // Continuous learning: optimisation steps each Feedback call runs at once,
  // on a batch of the new event and replay_per_batch replayed ones (at a
  // constant learning_rate). The event then joins the replay reservoir, so a
  // later Train revisits it. 0 (the default): feedback waits for Train.
  uint32_t online_steps = 0;
  // Random negatives: this many live items drawn at random join each training
  // example as negatives, beside the feedback's own. Clicks name few
  // negatives, and the results a user skipped are mostly relevant too; random
  // items teach what is not relevant without that bias. 0: none.
  uint32_t random_negatives = 0;
  // Temporal decay of feedback: with H > 0 the replay memory keeps the most
  // recent replay_capacity events (the oldest leaves first) and replays an
  // event with weight 2^(-age / H), its age being the number of events
  // recorded after it, so a user whose intent changed stops being taught the
  // old one. 0 (the default): a uniform reservoir over all feedback, which
  // keeps old lessons longest.
  uint32_t replay_half_life = 0;
  // Learning on insert: once a model exists (trained, learned online, or read
  // from the file), items added to the index teach it their neighbourhood.
  // Each added item becomes an example whose query is the item itself, whose
  // positives are its level-0 neighbours (the graph just chose them as its
  // nearest) and whose negatives are max(random_negatives, 16) random live
  // items; every batch_size added items run this many optimisation steps on
  // them with replay_per_batch replayed feedback events, at a constant
  // learning_rate; with ewc_lambda > 0 the first of them anchors EWC at the
  // model as feedback left it (Fisher from replayed feedback events). The cost is bounded per added item (one example
  // per step), and items added before any model existed teach nothing.
  // 0 (the default): inserts leave the model as it is.
  uint32_t insert_steps = 0;
  // Per-link edge weights (learning/edge_memory.h): with a rate > 0, every
  // HNSW link between two stored items that a training example's candidate
  // graph contains gets its own learned logit offset on top of the global
  // edge model (an Adagrad step of this size per batch that reads it), kept
  // in the index file. replay_half_life, when set, also fades each link's
  // offset with the number of feedback events learned since its last update.
  // Read by message passing only (hops > 0). 0 (the default): off.
  float edge_learning_rate = 0.0f;
  // The click memory (index/click_memory.h): each feedback event is kept as
  // its query's direction with the mean of the items clicked and of the items
  // explicitly rejected, the most recent this many; the neural modes then walk
  // the graph with the query moved towards what users clicked for the nearest
  // past queries (SearchParams::memory_*, read once it holds
  // memory_min_events events), with no training. Kept in the index file (3 x
  // dimensions floats per event) from the next save or checkpoint, as learned
  // parameters are (feedback is not logged). 0 (the default): off.
  uint32_t memory_capacity = 0;

  // Bounds Validate() enforces (js/src/limits.ts repeats them; a test compares).
  static constexpr uint32_t kMaxCandidates = 4096;     // candidates: 2 .. this
  static constexpr uint32_t kMaxHiddenDim = 4096;      // hidden_dim: 1 .. this
  static constexpr uint32_t kMaxHeads = 64;            // heads: 1 .. this
  static constexpr uint32_t kMaxHops = 8;              // hops: 0 .. this
  static constexpr uint32_t kMaxBatchSize = 4096;      // batch_size: 1 .. this
  static constexpr uint32_t kMaxFeedbackCapacity = 1u << 20;  // feedback_capacity: 1 .. this
  static constexpr uint32_t kMaxReplayCapacity = 1u << 20;    // replay_capacity: 0 .. this
  static constexpr uint32_t kMaxReplayPerBatch = 4096;        // replay_per_batch: 0 .. this
  static constexpr uint32_t kMaxOnlineSteps = 64;             // online_steps: 0 .. this
  static constexpr uint32_t kMaxRandomNegatives = 1024;       // random_negatives: 0 .. this
  static constexpr uint32_t kMaxReplayHalfLife = 1u << 24;    // replay_half_life: 0 .. this
  static constexpr uint32_t kMaxInsertSteps = 64;             // insert_steps: 0 .. this
  static constexpr float kMaxEdgeLearningRate = 10.0f;        // edge_learning_rate: 0 .. this
  static constexpr uint32_t kMaxMemoryCapacity = 1u << 20;    // memory_capacity: 0 .. this

  Status Validate() const;
};

struct TrainOptions {
  uint32_t epochs = 10;  // passes over the feedback recorded since the last training
  // Worker threads of one training (data-parallel gradients over each batch,
  // refiner_trainer.h). 1 (the default) gives the same summation order, so
  // bit-identical parameters, natively and in wasm; more threads change the
  // order of float sums (the last bits of the parameters), never the recipe.
  // The single-thread wasm build always uses one; the threaded one up to its
  // pool (nv_set_threads). Not persisted.
  uint32_t threads = 1;
};

struct TrainProgress {
  uint32_t epoch = 0;          // epochs completed
  uint32_t epochs = 0;
  uint64_t batches_done = 0;
  uint64_t batches_total = 0;
  uint64_t examples_done = 0;  // examples trained on (replayed ones included)
  float loss = 0.0f;           // mean loss of the batches of the current (or last) epoch
  bool done = false;
  uint32_t threads = 1;        // threads the training runs on (TrainOptions::threads, or 1 where it cannot)
};

// Called after every batch; return false to stop (kAborted, parameters unchanged).
using TrainCallback = std::function<bool(const TrainProgress&)>;

enum class SearchMode : uint32_t { kVector = 0, kNeural = 1, kSubgraph = 2, kDifferentiable = 3 };

struct LearnedHit {
  uint32_t slot;
  float distance;  // of the vector search
  float score;     // the refiner's cosine score (higher is more relevant); vector mode: -distance
};

// An edge of the induced subgraph: HNSW link between results `from` and `to`
// (indices into hits), weighted by the learned edge-weight model.
struct LearnedEdge {
  uint32_t from;
  uint32_t to;
  float weight;
};

struct LearnedSearchResult {
  std::vector<LearnedHit> hits;               // best first
  std::vector<LearnedEdge> edges;             // kSubgraph
  std::vector<uint32_t> candidate_slots;      // kDifferentiable: the k' candidates
  std::vector<float> attention;               // kDifferentiable: softmax(score / temperature), one per candidate
  std::vector<float> soft_vector;             // kDifferentiable: sum of attention * candidate vector
};

// What the refiner reads for one query (VectorIndex::RefinerCandidates): the
// inputs an external runtime of the refiner (an exported ONNX model,
// neurovec/onnx_export.h) needs to reproduce SearchLearned's scores.
struct RefinerCandidates {
  // The k' candidates, ascending distance (as SearchLearned sees them: found
  // by the walk with the query the click memory moved, when it is on).
  std::vector<uint32_t> slots;
  std::vector<float> distances;     // their vector-search distances
  std::vector<float> vectors;       // k' x dimensions, row-major: the candidates' vectors as the user gave them
  std::vector<uint8_t> adjacency;   // k' x k', row-major: 1 where candidate i links to candidate j at HNSW level 0
  // k' x k', row-major: the learned logit offset of each of those links
  // (LearningConfig::edge_learning_rate); 0 where none was learned or no link,
  // and 0 everywhere in a program that did not install the learning engine
  // (learning::EnableLearning), which alone can read them.
  std::vector<float> link_offsets;
  // The query the refiner scores the candidates against (dimensions floats):
  // the user's, or the one the click memory moved (SearchParams::memory_*).
  std::vector<float> query;
};

namespace learning {
// Installs the learning engine (defined in neurovec_learning). Idempotent.
void EnableLearning();
}  // namespace learning

}  // namespace neurovec
