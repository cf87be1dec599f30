// Element-wise activations with backward passes.
#pragma once

#include "learning/tensor.h"

namespace neurovec::learning {

// ReLU keeps only positive entries; its cache is the input's sign pattern.
struct ReluCache {
  Matrix active;  // 1 where the input was > 0, else 0
};

inline Matrix ReluForward(const Matrix& x, ReluCache* cache) {
  if (cache) cache->active = (x.array() > 0.0f).cast<float>().matrix();
  return x.cwiseMax(0.0f);
}

inline Matrix ReluBackward(const Matrix& dy, const ReluCache& cache) { return dy.cwiseProduct(cache.active); }

}  // namespace neurovec::learning
