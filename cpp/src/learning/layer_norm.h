// Layer normalisation over the features of each row:
// y = gamma * (x - mean) / sqrt(var + eps) + beta.
#pragma once

#include <string>

#include "learning/parameter.h"

namespace neurovec::learning {

struct LayerNormCache {
  Matrix normalized;     // (x - mean) * inv_std, per row
  Eigen::VectorXf inv_std;  // one per row
};

class LayerNorm {
 public:
  LayerNorm() = default;
  // gamma starts at 1 and beta at 0 (identity up to normalisation).
  LayerNorm(const std::string& name, int dim, float epsilon = 1e-5f);

  Matrix Forward(const Matrix& x, LayerNormCache* cache) const;
  Matrix Backward(const Matrix& dy, const LayerNormCache& cache);
  void CollectParameters(ParameterSet& set);

 private:
  Parameter gamma_;
  Parameter beta_;
  float epsilon_ = 1e-5f;
};

}  // namespace neurovec::learning
