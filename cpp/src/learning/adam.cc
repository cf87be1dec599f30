#include "learning/adam.h"

namespace neurovec::learning {

void Adam::Step(const ParameterSet& params, float learning_rate) {
  if (first_moment_.size() != params.size()) {
    first_moment_.clear();
    second_moment_.clear();
    for (const Parameter* p : params) {
      first_moment_.push_back(Matrix::Zero(p->value.rows(), p->value.cols()));
      second_moment_.push_back(Matrix::Zero(p->value.rows(), p->value.cols()));
    }
  }
  ++steps_;
  const float b1 = config_.beta1, b2 = config_.beta2;
  const float correction1 = 1.0f - std::pow(b1, static_cast<float>(steps_));
  const float correction2 = 1.0f - std::pow(b2, static_cast<float>(steps_));
  for (size_t i = 0; i < params.size(); ++i) {
    Parameter& p = params[i];
    Matrix& m = first_moment_[i];
    Matrix& v = second_moment_[i];
    m = b1 * m + (1.0f - b1) * p.grad;
    v = b2 * v + (1.0f - b2) * p.grad.cwiseAbs2();
    const auto m_hat = m.array() / correction1;
    const auto v_hat = v.array() / correction2;
    p.value.array() -= learning_rate * (m_hat / (v_hat.sqrt() + config_.epsilon) + config_.weight_decay * p.value.array());
  }
}

}  // namespace neurovec::learning
