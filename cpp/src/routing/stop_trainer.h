// Fitting a StopModel from recorded walks (no index here: index/routing_hooks.cc
// runs the walks and hands their records over).
//
// A record is one walk's state after one expansion: the features, the number
// of true top-k neighbours the walk held then, and its distance computations
// so far. Labels come from the walk itself: a state is "done" when it already
// holds as many true neighbours as the walk ends with (the count never falls:
// an item that pushes a true neighbour out of the top-k is closer, so true).
#pragma once

#include <cstdint>
#include <vector>

#include "routing/stop_policy.h"

namespace neurovec::routing {

struct WalkRecord {
  float features[kStopFeatures];
  uint16_t found;          // true top-k neighbours held
  uint32_t computations;   // distance computations so far
  uint32_t estimates;      // neighbours tested by the neighbour filter so far (0 without one)
};

// The records of one walk, in order, and what the whole walk ended with.
struct RecordedWalk {
  std::vector<WalkRecord> records;
  uint16_t final_found = 0;
  float final_kth_distance = 0;  // the k-th distance the walk ended with
  uint32_t final_computations = 0;
  uint32_t final_estimates = 0;
};

// Logistic regression of "done" on the features (Newton's method with a small
// ridge), over every record of `walks`. Returns false when the data cannot
// train a model (no walks, or only one class).
bool FitStopWeights(const std::vector<RecordedWalk>& walks, float* weights);

// Replays walks as if stopped at the first record whose score reaches
// `threshold`: mean recall (found / k) and mean distance computations.
struct ReplayResult {
  double recall = 0;
  double computations = 0;
  double estimates = 0;  // neighbour-filter tests
};
ReplayResult ReplayWithThreshold(const std::vector<RecordedWalk>& walks, const StopModel& model, float threshold);

// Fills model.thresholds: for each target, the smallest threshold (earliest
// stops) whose replayed mean recall reaches it, +inf where even a full walk
// does not. Sets model.calibration_ceiling.
void CalibrateThresholds(const std::vector<RecordedWalk>& walks, StopModel& model);

// The familiar bound (StopModel::familiar_distance) from walks' final k-th
// distances: their 99th percentile q, plus |q| / 2. +inf without walks.
float FamiliarDistance(const std::vector<RecordedWalk>& walks);

}  // namespace neurovec::routing
