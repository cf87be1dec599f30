// Adam (Kingma & Ba 2015) with decoupled weight decay (AdamW, Loshchilov &
// Hutter 2019): the decay shrinks the weights directly instead of being added
// to the gradient, so it is not rescaled by Adam's per-parameter step size.
//   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
//   theta -= lr * ( m_hat / (sqrt(v_hat) + eps) + weight_decay * theta )
#pragma once

#include <cstdint>
#include <vector>

#include "learning/parameter.h"

namespace neurovec::learning {

struct AdamConfig {
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-8f;
  float weight_decay = 0.0f;  // decoupled; 0.01 is the usual AdamW value
};

class Adam {
 public:
  explicit Adam(AdamConfig config = {}) : config_(config) {}

  // One update of every parameter from its grad, with this step's learning rate
  // (see lr_schedule.h). The first call sizes the moment estimates; the set must
  // keep the same layout afterwards.
  void Step(const ParameterSet& params, float learning_rate);
  uint64_t steps() const { return steps_; }

 private:
  AdamConfig config_;
  uint64_t steps_ = 0;
  std::vector<Matrix> first_moment_;
  std::vector<Matrix> second_moment_;
};

}  // namespace neurovec::learning
