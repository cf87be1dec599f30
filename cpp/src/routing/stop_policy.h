// Learned early termination of the level-0 walk ("when to stop").
//
// HNSW's own rule stops the best-first walk once the closest unexplored
// candidate is farther than the ef-th result. Most queries have their final
// top-k long before that: on Fashion-MNIST 60k (M 16, efC 200) the top-10 of
// an ef-64 walk is final after 237 distance computations on average, while
// the walk pays 623. A StopModel predicts, from the walk's own state after
// each expansion, whether the current top-k is already what the rest of the
// walk would return, and the walk stops when the prediction clears a
// threshold (in the spirit of Li et al., SIGMOD 2020, and DARTH, SIGMOD 2026:
// both stop from progress and distance features).
//
// The decision costs a few dozen float operations (kStopFeatures products),
// far less than one distance, and is compiled away for the plain walk: the
// graph's search takes a tracker type whose kActive is false (NoStop).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "routing/neighbour_filter.h"

namespace neurovec::routing {

// Features of the walk state (StopTracker::Features):
//   0 bias
//   1 (next - d_k) / scale: the closest unexplored candidate against the k-th result
//   2 (d_k - d_1) / scale: spread of the current top-k
//   3 log2(1 + expansions since the top-k last changed)
//   4 log2(1 + expansions)
//   5 log2(1 + top-k changes)
//   6 log2(1 + distance computations of this walk)
//   7 (next - d_ef) / scale: how far HNSW's own rule is from stopping (-4 until ef results are held)
//   8 feature 1 x feature 3
// scale = |d_k| + (d_k - d_1): the size of the distances at hand, so the
// features do not depend on the metric's units. (Scaling by the distance
// walked from the entry instead made the first states, where that is near
// zero, look like finished walks.)
constexpr int kStopFeatures = 9;

// log2(1 + x) for x >= 0, to within 0.09: the exponent plus the mantissa as a
// straight line (a decision per expansion cannot afford four std::log2).
inline float FastLog2OnePlus(float x) {
  union {
    float f;
    uint32_t u;
  } v{1.0f + x};
  return static_cast<float>(static_cast<int32_t>(v.u >> 23) - 127) +
         static_cast<float>(v.u & 0x7fffff) * (1.0f / 8388608.0f);
}

// A trained stopping rule for top-`k` searches. Stop when
// dot(weights, features) >= threshold (a logit; higher: later stops, higher
// recall). `thresholds` maps target recalls to thresholds calibrated on
// held-out items (StopModel::ThresholdFor).
struct StopModel {
  static constexpr int kTargets = 8;
  static constexpr float kTargetRecalls[kTargets] = {0.80f, 0.85f, 0.90f, 0.93f, 0.95f, 0.97f, 0.98f, 0.99f};
  // Thresholds (and skip margins) are calibrated to a little above each target,
  // by this share of what the target leaves missing (0.90 aims at 0.9075, 0.99
  // at 0.99075). The smallest threshold that just reaches a target on the
  // calibration walks is picked on their noise, so new queries landed below it:
  // 0.889-0.895 for 0.90 with no lift. Chosen on the tuning split of
  // `routing-bench` (Fashion-MNIST, 3 seeds: no lift, 0.05, 0.075, 0.1, 0.2).
  static constexpr double kCalibrationLift = 0.075;
  static double CalibrationAim(int target) {
    return kTargetRecalls[target] + kCalibrationLift * (1.0 - kTargetRecalls[target]);
  }

  uint32_t k = 0;  // 0: untrained
  float weights[kStopFeatures] = {};
  float thresholds[kTargets] = {};  // per kTargetRecalls; +inf where the target was not reached
  // Neighbour skipping per target (neighbour_filter.h): the margin the
  // threshold was calibrated with; 0 evaluates every neighbour.
  float margins[kTargets] = {};
  // Walks of the calibration items reached this mean recall without stopping
  // early (the most a threshold can give at the training ef).
  float calibration_ceiling = 0;
  uint32_t training_ef = 0;
  // The router trusts itself only for queries like those it learned from: a
  // walk whose k-th distance stays above this never stops early (it ends by
  // HNSW's own rule). Set at training from the k-th distances the training
  // walks ended with (their 99th percentile, plus half its magnitude); +inf:
  // no bound. On Fashion-MNIST, inverted test images (k-th distance about 10x
  // the training median) reached recall 0.83 for a 0.95 target without it.
  float familiar_distance = std::numeric_limits<float>::infinity();

  // The plain walk per target, set at training (index/routing_hooks.cc):
  // plain_ef is the smallest ef whose plain walks of the calibration items
  // reached the target's aim, or the training ef where none below it did
  // (0: none, as a version 2 section reads; it never serves); plain_serves
  // says that walk answers searches for the target instead of the learned
  // one, because it was the faster of the two when timed at training. Both
  // reach the same aim, so the choice is about time alone: the learned walk
  // walks at the training ef, and its larger result set costs time per
  // distance that its saved distances may not win back (on 64-d catalogue
  // embeddings they never did).
  uint32_t plain_ef[kTargets] = {};
  bool plain_serves[kTargets] = {};

  bool trained() const { return k != 0; }
  float Score(const float* features) const {
    float s = 0;
    for (int i = 0; i < kStopFeatures; ++i) s += weights[i] * features[i];
    return s;
  }
  // The listed target a mean recall target is served by: the smallest at or
  // above it; kTargets past the last (never stop early, no plain ef).
  static int TargetIndex(float target_recall) {
    for (int i = 0; i < kTargets; ++i) {
      if (target_recall <= kTargetRecalls[i] + 1e-6f) return i;
    }
    return kTargets;
  }
  // The threshold for a mean recall target (+inf past the last: never stop early).
  float ThresholdFor(float target_recall) const {
    const int i = TargetIndex(target_recall);
    return i < kTargets ? thresholds[i] : std::numeric_limits<float>::infinity();
  }
  float MarginFor(float target_recall) const {
    const int i = TargetIndex(target_recall);
    return i < kTargets ? margins[i] : 0.0f;
  }
  uint32_t PlainEfFor(float target_recall) const {
    const int i = TargetIndex(target_recall);
    return i < kTargets ? plain_ef[i] : 0;
  }
  bool PlainServes(float target_recall) const {
    const int i = TargetIndex(target_recall);
    return i < kTargets && plain_serves[i] && plain_ef[i] != 0;
  }
};

// The plain walk: no state, no decisions.
struct NoStop {
  static constexpr bool kActive = false;
  void Start(float) {}
  void OnResult(float, uint32_t) {}
  bool AfterExpansion(float, float, uint64_t) { return false; }
  bool Skips(uint32_t) const { return false; }
  bool FiltersNeighbours() const { return false; }
  bool Prunes(uint32_t, float) { return false; }
  void BeforeNeighbours(const uint32_t*, uint32_t) {}
};

// Tracks the top-k of one walk (distances and slots, ascending) and the
// progress the features need. Derived classes decide (StopTracker) or record
// (the trainer's recorder) at AfterExpansion.
class TopKProgress {
 public:
  static constexpr uint32_t kMaxK = 64;
  explicit TopKProgress(uint32_t k) : k_(k < 1 ? 1 : (k < kMaxK ? k : kMaxK)) {}

  void Start(float entry_distance) {
    entry_ = entry_distance;
    count_ = 0;
    expansions_ = 0;
    changes_ = 0;
    last_change_ = 0;
  }
  // A result entered the walk's result set: keep it if it is among the k best.
  void OnResult(float d, uint32_t slot) {
    const uint32_t last = (k_ - 1) % kMaxK;  // k_ >= 1; the modulo tells the compiler so
    if (count_ == k_ && !(d < dist_[last])) return;
    uint32_t i = count_ < k_ ? count_++ : last;
    while (i > 0 && dist_[i - 1] > d) {
      dist_[i] = dist_[i - 1];
      slot_[i] = slot_[i - 1];
      --i;
    }
    dist_[i] = d;
    slot_[i] = slot;
    ++changes_;
    last_change_ = expansions_;
  }
  bool Skips(uint32_t) const { return false; }  // the walk goes everywhere
  // Neighbour skipping (null: every neighbour's distance is computed).
  void Filter(NeighbourFilter* filter) { filter_ = filter; }
  bool FiltersNeighbours() const { return filter_ != nullptr; }
  bool Prunes(uint32_t slot, float bound) {
    return filter_ != nullptr && bound < std::numeric_limits<float>::infinity() && filter_->Skips(slot, bound);
  }
  uint64_t filter_tests() const { return filter_ != nullptr ? filter_->tested() : 0; }
  // An expansion is about to test these neighbours: fetch their projections together.
  void BeforeNeighbours(const uint32_t* slots, uint32_t count) {
    if (filter_ != nullptr) filter_->Prefetch(slots, count);
  }
  bool full() const { return count_ == k_; }
  // The k-th distance held (callers hold k results).
  float kth_distance() const { return dist_[count_ > 0 ? count_ - 1 : 0]; }
  uint32_t count() const { return count_; }
  const uint32_t* slots() const { return slot_; }

  // Fills kStopFeatures values; `next` is the closest unexplored candidate's
  // distance (+inf when none is left), `bound` the worst of the walk's ef
  // results (+inf until it holds ef), `computations` this walk's so far.
  void Features(float next, float bound, uint64_t computations, float* f) const {
    const float d1 = dist_[0], dk = dist_[count_ > 0 ? count_ - 1 : 0];  // callers hold k results
    const float scale = std::fabs(dk) + (dk - d1) + 1e-12f;
    float gap = std::isfinite(next) ? (next - dk) / scale : 4.0f;
    gap = gap < -4.0f ? -4.0f : (gap > 4.0f ? 4.0f : gap);
    float spread = (dk - d1) / scale;
    spread = spread > 4.0f ? 4.0f : spread;
    const float since = FastLog2OnePlus(static_cast<float>(expansions_ - last_change_));
    f[0] = 1.0f;
    f[1] = gap;
    f[2] = spread;
    f[3] = since;
    f[4] = FastLog2OnePlus(static_cast<float>(expansions_));
    f[5] = FastLog2OnePlus(static_cast<float>(changes_));
    f[6] = FastLog2OnePlus(static_cast<float>(computations));
    // HNSW's own rule stops once next > bound: how far the walk is from that.
    float to_rule = std::isfinite(bound) ? (next - bound) / scale : -4.0f;
    to_rule = to_rule < -4.0f ? -4.0f : (to_rule > 4.0f ? 4.0f : to_rule);
    f[7] = to_rule;
    f[8] = gap * since;
  }

 protected:
  void CountExpansion() { ++expansions_; }

 private:
  NeighbourFilter* filter_ = nullptr;
  uint32_t k_;
  uint32_t count_ = 0;
  float entry_ = 0;
  uint32_t expansions_ = 0, changes_ = 0, last_change_ = 0;
  float dist_[kMaxK];
  uint32_t slot_[kMaxK];
};

// One decision of a StopTracker, as traced (StopTracker::Trace): what an
// exported router (ExportRouterOnnx) is checked against.
struct StopDecision {
  float features[kStopFeatures];
  float kth_distance;
  float score;  // the model's logit
  bool stop;    // the walk ended here
};

// Stops a walk once the model's score reaches `threshold` (with k results held).
class StopTracker : public TopKProgress {
 public:
  static constexpr bool kActive = true;
  StopTracker(const StopModel& model, float threshold) : TopKProgress(model.k), model_(model), threshold_(threshold) {}

  // Every decision from now on is appended to `out` (null: none, the search path).
  void Trace(std::vector<StopDecision>* out) { trace_ = out; }

  bool AfterExpansion(float next, float bound, uint64_t computations) {
    CountExpansion();
    if (!full()) return false;
    float f[kStopFeatures];
    if (!(kth_distance() <= model_.familiar_distance)) {
      unfamiliar_ = true;  // farther than what the router learned from: no early stop yet
      if (trace_) {
        Features(next, bound, computations, f);
        Record(f, model_.Score(f), false);
      }
      return false;
    }
    Features(next, bound, computations, f);
    const float score = model_.Score(f);
    const bool stop = !(score < threshold_);
    if (trace_) Record(f, score, stop);
    if (!stop) return false;
    stopped_ = true;
    return true;
  }
  bool stopped() const { return stopped_; }
  // The walk ended by HNSW's rule while its k-th distance was past the
  // familiar bound (a query unlike the training ones).
  bool unfamiliar() const { return unfamiliar_ && !stopped_; }

 private:
  void Record(const float* f, float score, bool stop) {
    StopDecision d;
    std::copy(f, f + kStopFeatures, d.features);
    d.kth_distance = kth_distance();
    d.score = score;
    d.stop = stop;
    trace_->push_back(d);
  }

  const StopModel& model_;
  float threshold_;
  bool stopped_ = false;
  bool unfamiliar_ = false;
  std::vector<StopDecision>* trace_ = nullptr;
};

}  // namespace neurovec::routing
