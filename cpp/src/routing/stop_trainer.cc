#include "routing/stop_trainer.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace neurovec::routing {
namespace {

constexpr int kF = kStopFeatures;

// Solves the kF x kF system a x = b in place (Gaussian elimination with
// partial pivoting); false when singular.
bool Solve(double a[kF][kF], double b[kF], double x[kF]) {
  for (int c = 0; c < kF; ++c) {
    int pivot = c;
    for (int r = c + 1; r < kF; ++r) {
      if (std::fabs(a[r][c]) > std::fabs(a[pivot][c])) pivot = r;
    }
    if (std::fabs(a[pivot][c]) < 1e-12) return false;
    if (pivot != c) {
      for (int j = 0; j < kF; ++j) std::swap(a[c][j], a[pivot][j]);
      std::swap(b[c], b[pivot]);
    }
    for (int r = c + 1; r < kF; ++r) {
      const double f = a[r][c] / a[c][c];
      for (int j = c; j < kF; ++j) a[r][j] -= f * a[c][j];
      b[r] -= f * b[c];
    }
  }
  for (int c = kF - 1; c >= 0; --c) {
    double s = b[c];
    for (int j = c + 1; j < kF; ++j) s -= a[c][j] * x[j];
    x[c] = s / a[c][c];
  }
  return true;
}

}  // namespace

bool FitStopWeights(const std::vector<RecordedWalk>& walks, float* weights) {
  size_t positives = 0, total = 0;
  for (const RecordedWalk& w : walks) {
    for (const WalkRecord& r : w.records) {
      positives += r.found >= w.final_found;
      ++total;
    }
  }
  if (total == 0 || positives == 0 || positives == total) return false;

  // Newton's method on the mean log-loss plus (ridge / 2) |w|^2 (bias included:
  // features are bounded, and the ridge only keeps separable data finite).
  constexpr double kRidge = 1e-4;
  double w[kF] = {};
  w[0] = std::log(static_cast<double>(positives) / static_cast<double>(total - positives));
  for (int iteration = 0; iteration < 25; ++iteration) {
    double hessian[kF][kF] = {}, gradient[kF] = {};
    for (const RecordedWalk& walk : walks) {
      for (const WalkRecord& r : walk.records) {
        double z = 0;
        for (int i = 0; i < kF; ++i) z += w[i] * r.features[i];
        const double p = 1.0 / (1.0 + std::exp(-z));
        const double y = r.found >= walk.final_found ? 1.0 : 0.0;
        const double h = std::max(p * (1 - p), 1e-9);
        for (int i = 0; i < kF; ++i) {
          gradient[i] += (p - y) * r.features[i];
          for (int j = 0; j <= i; ++j) hessian[i][j] += h * r.features[i] * r.features[j];
        }
      }
    }
    const double n = static_cast<double>(total);
    for (int i = 0; i < kF; ++i) {
      gradient[i] = gradient[i] / n + kRidge * w[i];
      for (int j = 0; j <= i; ++j) {
        hessian[i][j] = hessian[i][j] / n + (i == j ? kRidge : 0.0);
        hessian[j][i] = hessian[i][j];
      }
    }
    double step[kF];
    if (!Solve(hessian, gradient, step)) return false;
    double largest = 0;
    for (int i = 0; i < kF; ++i) {
      w[i] -= step[i];
      largest = std::max(largest, std::fabs(step[i]));
    }
    if (largest < 1e-7) break;
  }
  for (int i = 0; i < kF; ++i) {
    if (!std::isfinite(w[i])) return false;
    weights[i] = static_cast<float>(w[i]);
  }
  return true;
}

ReplayResult ReplayWithThreshold(const std::vector<RecordedWalk>& walks, const StopModel& model, float threshold) {
  ReplayResult out;
  if (walks.empty()) return out;
  for (const RecordedWalk& walk : walks) {
    uint32_t found = walk.final_found, computations = walk.final_computations, estimates = walk.final_estimates;
    for (const WalkRecord& r : walk.records) {
      if (model.Score(r.features) >= threshold) {
        found = r.found;
        computations = r.computations;
        estimates = r.estimates;
        break;
      }
    }
    out.recall += static_cast<double>(found) / model.k;
    out.computations += computations;
    out.estimates += estimates;
  }
  out.recall /= static_cast<double>(walks.size());
  out.computations /= static_cast<double>(walks.size());
  out.estimates /= static_cast<double>(walks.size());
  return out;
}

void CalibrateThresholds(const std::vector<RecordedWalk>& walks, StopModel& model) {
  const float inf = std::numeric_limits<float>::infinity();
  model.calibration_ceiling = static_cast<float>(ReplayWithThreshold(walks, model, inf).recall);
  // The scores the records take bound the useful thresholds.
  float lo = inf, hi = -inf;
  for (const RecordedWalk& walk : walks) {
    for (const WalkRecord& r : walk.records) {
      const float s = model.Score(r.features);
      lo = std::min(lo, s);
      hi = std::max(hi, s);
    }
  }
  for (int t = 0; t < StopModel::kTargets; ++t) {
    const double target = StopModel::CalibrationAim(t);
    if (walks.empty() || model.calibration_ceiling < target || !(lo <= hi)) {
      model.thresholds[t] = inf;
      continue;
    }
    // Recall is non-decreasing in the threshold (later stops): bisect for the
    // smallest threshold that reaches the target; a threshold above every
    // score never stops early.
    float a = lo, b = std::nextafter(hi, inf);
    if (ReplayWithThreshold(walks, model, a).recall >= target) {
      model.thresholds[t] = a;
      continue;
    }
    for (int i = 0; i < 40; ++i) {
      const float mid = 0.5f * (a + b);
      if (ReplayWithThreshold(walks, model, mid).recall >= target) {
        b = mid;
      } else {
        a = mid;
      }
    }
    model.thresholds[t] = b;
  }
}

float FamiliarDistance(const std::vector<RecordedWalk>& walks) {
  if (walks.empty()) return std::numeric_limits<float>::infinity();
  std::vector<float> kth;
  kth.reserve(walks.size());
  for (const RecordedWalk& w : walks) kth.push_back(w.final_kth_distance);
  const size_t at = static_cast<size_t>(0.99 * static_cast<double>(kth.size() - 1));
  std::nth_element(kth.begin(), kth.begin() + at, kth.end());
  const float q = kth[at];
  return q + 0.5f * std::fabs(q);
}

}  // namespace neurovec::routing
