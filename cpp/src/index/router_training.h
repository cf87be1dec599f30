// A router training under way (VectorIndex::BeginRouterTraining ..
// RouterTrainingStep): the queries it walks, the walks recorded so far. Kept
// by the index between steps, so a host without threads (wasm) can train in
// slices between events; TrainRouter runs the same steps in one call.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "neurovec/vector_index.h"
#include "routing/stop_trainer.h"

namespace neurovec {

struct RouterTraining {
  RouterOptions options;         // as given, less the queries pointer and callback
  std::vector<float> queries;    // given queries, encoded (stride floats each); empty: sampled items
  std::vector<uint32_t> sampled;  // the sampled items' slots (each walks as if absent)
  size_t count = 0;              // queries or sampled items
  size_t training = 0;           // the first `training` fit the model, the rest calibrate
  size_t walked = 0;             // walks recorded so far (in order)
  std::vector<routing::RecordedWalk> walks;
  std::vector<std::vector<uint32_t>> truths;  // per walk, its exact top-k (slots), found by the first walk
  // Neighbour skipping: once every walk is recorded, a projection basis is
  // fitted and the held-out walks walk again with each margin of kSkipMargins
  // (`walked` counts on past `count` through them, margin by margin).
  static constexpr float kSkipMargins[] = {0.8f, 0.85f, 0.9f, 0.95f, 1.0f};
  static constexpr size_t kSkipMarginCount = sizeof(kSkipMargins) / sizeof(kSkipMargins[0]);
  bool skipping = false;
  bool basis_fitted = false;
  routing::ProjectionBasis basis;
  routing::ProjectionTable table;
  std::vector<std::vector<routing::RecordedWalk>> skip_walks;  // per margin, per held-out walk
  size_t held_out() const { return count - training; }
  size_t total() const { return count + (skipping ? kSkipMarginCount * held_out() : 0); }
  uint64_t changes_at_begin = 0;  // a write between steps ends the training
  std::chrono::steady_clock::time_point started;
};

}  // namespace neurovec
