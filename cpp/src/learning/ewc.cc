#include "learning/ewc.h"

namespace neurovec::learning {

void FisherEstimator::AddSample(const ParameterSet& params) {
  if (sum_.size() != params.size()) {
    sum_.clear();
    for (const Parameter* p : params) sum_.push_back(Matrix::Zero(p->value.rows(), p->value.cols()));
  }
  for (size_t i = 0; i < params.size(); ++i) sum_[i] += params[i].grad.cwiseAbs2();
  ++samples_;
}

void FisherEstimator::AddSquared(const std::vector<Matrix>& squared) {
  if (sum_.size() != squared.size()) {
    sum_.clear();
    for (const Matrix& m : squared) sum_.push_back(Matrix::Zero(m.rows(), m.cols()));
  }
  for (size_t i = 0; i < squared.size(); ++i) sum_[i] += squared[i];
  ++samples_;
}

std::vector<Matrix> FisherEstimator::Mean() const {
  std::vector<Matrix> mean;
  if (samples_ == 0) return mean;
  for (const Matrix& s : sum_) mean.push_back(s / static_cast<float>(samples_));
  return mean;
}

Ewc::Ewc(const ParameterSet& params, std::vector<Matrix> fisher, float lambda)
    : fisher_(std::move(fisher)), lambda_(lambda) {
  // Without one Fisher matrix per parameter there is nothing to anchor: stay inactive.
  if (fisher_.size() != params.size()) {
    fisher_.clear();
    return;
  }
  for (const Parameter* p : params) anchor_.push_back(p->value);
}

double Ewc::Penalty(const ParameterSet& params) const {
  double total = 0;
  for (size_t i = 0; i < anchor_.size(); ++i) {
    total += static_cast<double>((fisher_[i].array() * (params[i].value - anchor_[i]).array().square()).sum());
  }
  return 0.5 * lambda_ * total;
}

void Ewc::AddGradient(const ParameterSet& params) const {
  for (size_t i = 0; i < anchor_.size(); ++i) {
    params[i].grad.array() += lambda_ * fisher_[i].array() * (params[i].value - anchor_[i]).array();
  }
}

}  // namespace neurovec::learning
