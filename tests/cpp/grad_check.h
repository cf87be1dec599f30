// Central finite differences for checking backward passes of the learning
// engine (tests only).
//
// The layers compute in float, so the check is tuned for float: a step of
// 3e-3 and a tolerance of about 1e-2 relative. Loss values are accumulated in
// double by the callers so rounding in the sum does not swamp the difference.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "learning/parameter.h"
#include "test_util.h"

namespace nvtest {

struct GradCheckOptions {
  double step = 3e-3;
  double relative_tolerance = 1e-2;  // per entry, of max(|analytic|, |numeric|)
  double absolute_floor = 2e-3;      // per entry, times the largest |numeric| of everything checked together
  size_t max_entries = 48;           // entries per tensor (a seeded sample beyond that)
  uint64_t seed = 1234;
};

// Analytic and numeric values of the checked entries of one tensor.
struct GradSample {
  std::string what;
  std::vector<size_t> entries;
  std::vector<double> analytic;
  std::vector<double> numeric;
};

// Computes (loss(v_i + h) - loss(v_i - h)) / 2h for entries of `values` (n
// floats, restored afterwards) next to analytic[i].
inline GradSample SampleGradient(const std::string& what, float* values, const float* analytic, size_t n,
                                 const std::function<double()>& loss, const GradCheckOptions& o = {}) {
  GradSample s;
  s.what = what;
  if (n <= o.max_entries) {
    for (size_t i = 0; i < n; ++i) s.entries.push_back(i);
  } else {
    Rng rng(o.seed + n);
    for (size_t i = 0; i < o.max_entries; ++i) s.entries.push_back(rng.Below(n));
  }
  for (size_t i : s.entries) {
    float& v = values[i];
    const float saved = v;
    v = static_cast<float>(saved + o.step);
    const double plus = loss();
    v = static_cast<float>(saved - o.step);
    const double minus = loss();
    v = saved;
    // The step actually taken in float, not the nominal one.
    const double taken = static_cast<double>(static_cast<float>(saved + o.step)) -
                         static_cast<double>(static_cast<float>(saved - o.step));
    s.numeric.push_back((plus - minus) / taken);
    s.analytic.push_back(analytic[i]);
  }
  return s;
}

// Every entry must agree to relative_tolerance, plus an absolute floor of
// absolute_floor times the largest numeric entry of all `samples` (float
// finite differences carry noise of about 1e-4 of the loss's scale, which a
// tiny entry cannot beat), and the norm-wise relative error over all entries
// must stay below relative_tolerance. The numeric gradient must be non-trivial.
inline ::testing::AssertionResult Agree(const std::vector<GradSample>& samples, const GradCheckOptions& o = {}) {
  double max_numeric = 0, diff2 = 0, num2 = 0, ana2 = 0;
  size_t checked = 0;
  for (const GradSample& s : samples) {
    for (size_t e = 0; e < s.numeric.size(); ++e) {
      max_numeric = std::max(max_numeric, std::fabs(s.numeric[e]));
      diff2 += (s.analytic[e] - s.numeric[e]) * (s.analytic[e] - s.numeric[e]);
      num2 += s.numeric[e] * s.numeric[e];
      ana2 += s.analytic[e] * s.analytic[e];
      ++checked;
    }
  }
  if (checked == 0) return ::testing::AssertionFailure() << "no entry checked";
  // A gradient of zeros would pass trivially: insist on a non-trivial one.
  if (std::sqrt(num2) < 1e-4) return ::testing::AssertionFailure() << "numeric gradient norm " << std::sqrt(num2) << " is trivially small";
  for (const GradSample& s : samples) {
    for (size_t e = 0; e < s.numeric.size(); ++e) {
      const double a = s.analytic[e], nu = s.numeric[e];
      const double allowed = o.relative_tolerance * std::max(std::fabs(a), std::fabs(nu)) + o.absolute_floor * max_numeric + 1e-7;
      if (std::fabs(a - nu) > allowed) {
        return ::testing::AssertionFailure() << s.what << "[" << s.entries[e] << "]: analytic " << a << ", numeric " << nu
                                             << ", allowed difference " << allowed;
      }
    }
  }
  const double relative = std::sqrt(diff2) / std::max(std::sqrt(num2), std::sqrt(ana2));
  if (relative > o.relative_tolerance) {
    return ::testing::AssertionFailure() << "norm-wise relative error " << relative << " over " << checked << " entries";
  }
  return ::testing::AssertionSuccess() << checked << " entries, relative error " << relative;
}

inline ::testing::AssertionResult MatrixGradientMatches(const std::string& what, neurovec::learning::Matrix& values,
                                                        const neurovec::learning::Matrix& analytic,
                                                        const std::function<double()>& loss,
                                                        const GradCheckOptions& o = {}) {
  if (values.rows() != analytic.rows() || values.cols() != analytic.cols()) {
    return ::testing::AssertionFailure() << what << ": gradient shape " << analytic.rows() << "x" << analytic.cols()
                                         << " differs from " << values.rows() << "x" << values.cols();
  }
  return Agree({SampleGradient(what, values.data(), analytic.data(), values.size(), loss, o)}, o);
}

// Checks every parameter of `params` together: `backward` must zero the grads
// and accumulate the gradient of `loss` at the current values.
inline ::testing::AssertionResult ParametersMatch(const neurovec::learning::ParameterSet& params,
                                                  const std::function<double()>& loss,
                                                  const std::function<void()>& backward,
                                                  const GradCheckOptions& o = {}) {
  backward();
  std::vector<neurovec::learning::Matrix> analytic;
  for (const auto* p : params) analytic.push_back(p->grad);
  std::vector<GradSample> samples;
  for (size_t i = 0; i < params.size(); ++i) {
    auto& p = params[i];
    samples.push_back(SampleGradient(p.name, p.value.data(), analytic[i].data(), p.value.size(), loss, o));
  }
  return Agree(samples, o);
}

// Sum of R .* Y in double: a scalar loss whose gradient with respect to Y is R.
inline double Project(const neurovec::learning::Matrix& y, const neurovec::learning::Matrix& r) {
  double s = 0;
  for (Eigen::Index i = 0; i < y.size(); ++i) s += static_cast<double>(y.data()[i]) * r.data()[i];
  return s;
}

inline neurovec::learning::Matrix RandomMatrix(Eigen::Index rows, Eigen::Index cols, Rng& rng, double scale = 1.0) {
  neurovec::learning::Matrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(scale * rng.Normal());
  return m;
}

}  // namespace nvtest
