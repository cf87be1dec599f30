// Common Eigen types of the learning engine.
//
// Convention: a batch is a matrix whose rows are items (nodes, queries) and whose
// columns are features, so a Linear layer computes X * W + b with W of shape
// (in x out). Everything is float: the same code runs natively and in wasm
// (where Eigen has no SIMD path and float halves memory traffic).
//
// Eigen is used without exceptions (wasm is built with -fno-exceptions): the
// build defines EIGEN_NO_DEBUG and code here only uses operations that cannot
// throw other than on allocation failure.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstdint>

#include "util/random.h"

namespace neurovec::learning {

using Matrix = Eigen::MatrixXf;
using RowVector = Eigen::RowVectorXf;

// Uniform in [-limit, limit) from the project's platform-independent generator,
// so initial parameters are the same natively and in wasm for one seed.
inline float UniformSymmetric(Random& rng, float limit) {
  return static_cast<float>((rng.NextUnit() * 2.0 - 1.0) * limit);
}

// Glorot/Xavier uniform initialisation: keeps activation variance roughly
// constant across layers for tanh/sigmoid-like units.
inline void GlorotInit(Matrix& m, Random& rng) {
  const float limit = std::sqrt(6.0f / static_cast<float>(m.rows() + m.cols()));
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = UniformSymmetric(rng, limit);
}

inline float Sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace neurovec::learning
