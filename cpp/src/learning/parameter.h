// Named trainable tensors and the non-owning sets that optimizers, gradient
// clipping, EWC and the serializer walk.
//
// Layers own their Parameters as plain members (so a model is copyable: worker
// threads train on copies and their gradients are summed into the master). A
// ParameterSet is a list of pointers in a fixed, deterministic order, built by
// a model's CollectParameters(); names are hierarchical ("hop0.gru.w_z") and
// unique within a model, which is what the serializer matches on.
#pragma once

#include <string>
#include <vector>

#include "learning/tensor.h"

namespace neurovec::learning {

struct Parameter {
  std::string name;
  Matrix value;
  Matrix grad;  // same shape as value; accumulated by Backward, cleared by ZeroGrad

  Parameter() = default;
  Parameter(std::string n, Eigen::Index rows, Eigen::Index cols)
      : name(std::move(n)), value(Matrix::Zero(rows, cols)), grad(Matrix::Zero(rows, cols)) {}
};

class ParameterSet {
 public:
  void Add(Parameter* p) { params_.push_back(p); }
  size_t size() const { return params_.size(); }
  Parameter& operator[](size_t i) const { return *params_[i]; }
  std::vector<Parameter*>::const_iterator begin() const { return params_.begin(); }
  std::vector<Parameter*>::const_iterator end() const { return params_.end(); }

  // Total number of scalars over all parameters.
  size_t NumValues() const;
  void ZeroGrad() const;
  // nullptr when no parameter has this name.
  Parameter* Find(const std::string& name) const;
  // sqrt of the sum of squared gradient entries over all parameters.
  double GradNorm() const;

  // Element-wise operations between two sets of the same model layout (same
  // order, names and shapes, e.g. a model and its copy); false otherwise.
  bool SameLayout(const ParameterSet& other) const;
  void CopyValuesFrom(const ParameterSet& other) const;
  void AddGradsFrom(const ParameterSet& other) const;
  void ScaleGrads(float factor) const;

 private:
  std::vector<Parameter*> params_;
};

}  // namespace neurovec::learning
