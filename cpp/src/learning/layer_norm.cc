#include "learning/layer_norm.h"

namespace neurovec::learning {

LayerNorm::LayerNorm(const std::string& name, int dim, float epsilon)
    : gamma_(name + ".gamma", 1, dim), beta_(name + ".beta", 1, dim), epsilon_(epsilon) {
  gamma_.value.setOnes();
}

Matrix LayerNorm::Forward(const Matrix& x, LayerNormCache* cache) const {
  const Eigen::Index n = x.rows();
  const float d = static_cast<float>(x.cols());
  Matrix normalized(x.rows(), x.cols());
  Eigen::VectorXf inv_std(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const float mean = x.row(i).sum() / d;
    const RowVector centered = x.row(i).array() - mean;
    const float var = centered.squaredNorm() / d;
    inv_std(i) = 1.0f / std::sqrt(var + epsilon_);
    normalized.row(i) = centered * inv_std(i);
  }
  Matrix y = normalized.array().rowwise() * gamma_.value.row(0).array();
  y.rowwise() += beta_.value.row(0);
  if (cache) {
    cache->normalized = std::move(normalized);
    cache->inv_std = std::move(inv_std);
  }
  return y;
}

Matrix LayerNorm::Backward(const Matrix& dy, const LayerNormCache& cache) {
  gamma_.grad += (dy.array() * cache.normalized.array()).colwise().sum().matrix();
  beta_.grad += dy.colwise().sum();
  const float d = static_cast<float>(dy.cols());
  Matrix dx(dy.rows(), dy.cols());
  for (Eigen::Index i = 0; i < dy.rows(); ++i) {
    // d/dx of the normalised row: inv_std * (g - mean(g) - xhat * mean(g * xhat)).
    const RowVector g = dy.row(i).array() * gamma_.value.row(0).array();
    const float mean_g = g.sum() / d;
    const float mean_gx = g.dot(cache.normalized.row(i)) / d;
    dx.row(i) = cache.inv_std(i) * (g.array() - mean_g - cache.normalized.row(i).array() * mean_gx).matrix();
  }
  return dx;
}

void LayerNorm::CollectParameters(ParameterSet& set) {
  set.Add(&gamma_);
  set.Add(&beta_);
}

}  // namespace neurovec::learning
