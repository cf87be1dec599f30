#include "learning/gradient_clipping.h"

namespace neurovec::learning {

double ClipGradientsByGlobalNorm(const ParameterSet& params, double max_norm) {
  const double norm = params.GradNorm();
  if (norm > max_norm && norm > 0) params.ScaleGrads(static_cast<float>(max_norm / norm));
  return norm;
}

}  // namespace neurovec::learning
