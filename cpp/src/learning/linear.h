// Fully connected layer: Y = X * W + b (rows of X are items).
#pragma once

#include <string>

#include "learning/parameter.h"

namespace neurovec::learning {

// What Backward needs from one Forward call. A layer may be applied several
// times per step (shared weights); each application keeps its own cache.
struct LinearCache {
  Matrix input;
};

class Linear {
 public:
  Linear() = default;
  // Glorot-initialised weight (in x out) and a zero bias (1 x out) when with_bias.
  Linear(const std::string& name, int in, int out, Random& rng, bool with_bias = true);

  int in() const { return static_cast<int>(weight_.value.rows()); }
  int out() const { return static_cast<int>(weight_.value.cols()); }

  // cache may be null at inference time.
  Matrix Forward(const Matrix& x, LinearCache* cache) const;
  // Accumulates dW and db; returns dX, or an empty matrix when input_gradient
  // is false (a first layer over constant inputs saves a whole product).
  Matrix Backward(const Matrix& dy, const LinearCache& cache, bool input_gradient = true);

  void CollectParameters(ParameterSet& set);
  Parameter& weight() { return weight_; }
  Parameter& bias() { return bias_; }

 private:
  Parameter weight_;
  Parameter bias_;
  bool with_bias_ = true;
};

}  // namespace neurovec::learning
