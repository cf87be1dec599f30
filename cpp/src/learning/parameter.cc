#include "learning/parameter.h"

namespace neurovec::learning {

size_t ParameterSet::NumValues() const {
  size_t n = 0;
  for (const Parameter* p : params_) n += static_cast<size_t>(p->value.size());
  return n;
}

void ParameterSet::ZeroGrad() const {
  for (Parameter* p : params_) p->grad.setZero(p->value.rows(), p->value.cols());
}

Parameter* ParameterSet::Find(const std::string& name) const {
  for (Parameter* p : params_) {
    if (p->name == name) return p;
  }
  return nullptr;
}

double ParameterSet::GradNorm() const {
  double sum = 0;
  for (const Parameter* p : params_) sum += static_cast<double>(p->grad.squaredNorm());
  return std::sqrt(sum);
}

bool ParameterSet::SameLayout(const ParameterSet& other) const {
  if (other.size() != size()) return false;
  for (size_t i = 0; i < size(); ++i) {
    const Parameter& a = *params_[i];
    const Parameter& b = other[i];
    if (a.name != b.name || a.value.rows() != b.value.rows() || a.value.cols() != b.value.cols()) return false;
  }
  return true;
}

void ParameterSet::CopyValuesFrom(const ParameterSet& other) const {
  for (size_t i = 0; i < size(); ++i) params_[i]->value = other[i].value;
}

void ParameterSet::AddGradsFrom(const ParameterSet& other) const {
  for (size_t i = 0; i < size(); ++i) params_[i]->grad += other[i].grad;
}

void ParameterSet::ScaleGrads(float factor) const {
  for (Parameter* p : params_) p->grad *= factor;
}

}  // namespace neurovec::learning
