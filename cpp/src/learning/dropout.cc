#include "learning/dropout.h"

namespace neurovec::learning {

Matrix Dropout::Forward(const Matrix& x, bool training, Random& rng, DropoutCache* cache) const {
  if (!training || probability_ <= 0.0f) {
    if (cache) cache->mask.resize(0, 0);
    return x;
  }
  const float keep_scale = 1.0f / (1.0f - probability_);
  Matrix mask(x.rows(), x.cols());
  for (Eigen::Index i = 0; i < mask.size(); ++i) {
    mask.data()[i] = rng.NextUnit() <= probability_ ? 0.0f : keep_scale;
  }
  Matrix y = x.cwiseProduct(mask);
  if (cache) cache->mask = std::move(mask);
  return y;
}

Matrix Dropout::Backward(const Matrix& dy, const DropoutCache& cache) const {
  if (cache.mask.size() == 0) return dy;
  return dy.cwiseProduct(cache.mask);
}

}  // namespace neurovec::learning
