#include "learning/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace neurovec::learning {

Status LrSchedule::Validate() const {
  if (!(base > 0) || !std::isfinite(base)) return Status::InvalidArgument("learning rate base must be positive");
  if (!(min >= 0) || min > base) return Status::InvalidArgument("learning rate min must be in [0, base]");
  if (kind == Kind::kWarmupCosine && total_steps <= warmup_steps) {
    return Status::InvalidArgument("cosine schedule needs total_steps > warmup_steps");
  }
  if (kind == Kind::kStep && (step_size == 0 || !(gamma > 0))) {
    return Status::InvalidArgument("step schedule needs step_size >= 1 and gamma > 0");
  }
  return Status::Ok();
}

float LrSchedule::At(uint64_t step) const {
  if (step < warmup_steps) return base * static_cast<float>(step + 1) / static_cast<float>(warmup_steps);
  switch (kind) {
    case Kind::kConstant:
      return base;
    case Kind::kWarmupCosine: {
      const double t = std::min(1.0, static_cast<double>(step - warmup_steps) /
                                         static_cast<double>(total_steps - warmup_steps));
      return static_cast<float>(min + (base - min) * 0.5 * (1.0 + std::cos(3.14159265358979323846 * t)));
    }
    case Kind::kStep:
      return base * std::pow(gamma, static_cast<float>(step / step_size));
  }
  return base;
}

}  // namespace neurovec::learning
