// Global-norm gradient clipping (Pascanu et al. 2013): when the norm of all
// gradients together exceeds max_norm, every gradient is scaled by
// max_norm / norm, which keeps the update's direction.
#pragma once

#include "learning/parameter.h"

namespace neurovec::learning {

// Returns the norm before clipping.
double ClipGradientsByGlobalNorm(const ParameterSet& params, double max_norm);

}  // namespace neurovec::learning
