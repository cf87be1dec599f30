#include "learning/linear.h"

namespace neurovec::learning {

Linear::Linear(const std::string& name, int in, int out, Random& rng, bool with_bias)
    : weight_(name + ".weight", in, out), bias_(name + ".bias", 1, out), with_bias_(with_bias) {
  GlorotInit(weight_.value, rng);
}

Matrix Linear::Forward(const Matrix& x, LinearCache* cache) const {
  if (cache) cache->input = x;
  Matrix y = x * weight_.value;
  if (with_bias_) y.rowwise() += bias_.value.row(0);
  return y;
}

Matrix Linear::Backward(const Matrix& dy, const LinearCache& cache, bool input_gradient) {
  weight_.grad.noalias() += cache.input.transpose() * dy;
  if (with_bias_) bias_.grad += dy.colwise().sum();
  if (!input_gradient) return Matrix();
  return dy * weight_.value.transpose();
}

void Linear::CollectParameters(ParameterSet& set) {
  set.Add(&weight_);
  if (with_bias_) set.Add(&bias_);
}

}  // namespace neurovec::learning
