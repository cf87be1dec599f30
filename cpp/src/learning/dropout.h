// Inverted dropout: while training, each entry is zeroed with probability p and
// the survivors are scaled by 1/(1-p), so inference is the identity. The mask is
// drawn from a caller-owned seeded generator, so a run is reproducible.
#pragma once

#include "learning/tensor.h"

namespace neurovec::learning {

struct DropoutCache {
  Matrix mask;  // 0 or 1/(1-p) per entry; empty when not training
};

class Dropout {
 public:
  explicit Dropout(float probability = 0.0f) : probability_(probability) {}
  float probability() const { return probability_; }

  Matrix Forward(const Matrix& x, bool training, Random& rng, DropoutCache* cache) const;
  Matrix Backward(const Matrix& dy, const DropoutCache& cache) const;

 private:
  float probability_;
};

}  // namespace neurovec::learning
