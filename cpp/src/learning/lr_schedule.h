// Learning-rate schedules, as a function of the 0-based optimisation step s.
//   kConstant:     base
//   kWarmupCosine: linear warm-up base * (s+1) / warmup for s < warmup, then
//                  min + (base - min) * (1 + cos(pi * t)) / 2 with
//                  t = (s - warmup) / (total - warmup), clamped to [0, 1]
//                  (so s >= total gives min)
//   kStep:         base * gamma^floor(s / step_size), after the same linear warm-up
#pragma once

#include <cstdint>

#include "neurovec/status.h"

namespace neurovec::learning {

struct LrSchedule {
  enum class Kind { kConstant, kWarmupCosine, kStep };
  Kind kind = Kind::kConstant;
  float base = 1e-3f;
  float min = 0.0f;             // kWarmupCosine: final rate
  uint64_t warmup_steps = 0;    // 0: no warm-up
  uint64_t total_steps = 1;     // kWarmupCosine: step at which min is reached
  uint64_t step_size = 1;       // kStep: steps between decays
  float gamma = 0.1f;           // kStep: factor per decay

  Status Validate() const;
  float At(uint64_t step) const;
};

}  // namespace neurovec::learning
