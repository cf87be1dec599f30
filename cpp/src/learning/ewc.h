// Elastic weight consolidation (Kirkpatrick et al. 2017) with a diagonal Fisher
// estimate, against forgetting earlier tasks while training on new feedback:
//   penalty = lambda / 2 * sum_i F_i (theta_i - theta*_i)^2
//   d penalty / d theta_i = lambda * F_i (theta_i - theta*_i)
// F_i is the mean over samples of the squared per-sample gradient of the loss
// (the empirical Fisher), theta* the parameters after the earlier task.
#pragma once

#include <vector>

#include "learning/parameter.h"

namespace neurovec::learning {

// Collects squared gradients, one sample at a time.
class FisherEstimator {
 public:
  // Call after each sample's backward pass (with the gradients of that sample only).
  void AddSample(const ParameterSet& params);
  // Adds a sample already squared (one matrix per parameter, as Mean() gives).
  void AddSquared(const std::vector<Matrix>& squared);
  size_t samples() const { return samples_; }
  // Mean squared gradient per parameter (empty if no sample was added).
  std::vector<Matrix> Mean() const;

 private:
  std::vector<Matrix> sum_;
  size_t samples_ = 0;
};

class Ewc {
 public:
  Ewc() = default;
  // Anchors at the current values of `params` with the given Fisher diagonal.
  Ewc(const ParameterSet& params, std::vector<Matrix> fisher, float lambda);

  bool active() const { return !anchor_.empty(); }
  float lambda() const { return lambda_; }
  double Penalty(const ParameterSet& params) const;
  // Adds the penalty's gradient to every parameter's grad.
  void AddGradient(const ParameterSet& params) const;

 private:
  std::vector<Matrix> anchor_;
  std::vector<Matrix> fisher_;
  float lambda_ = 0;
};

}  // namespace neurovec::learning
