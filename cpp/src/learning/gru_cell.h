// Gated recurrent unit cell (Cho et al. 2014, the PyTorch formulation):
//   z  = sigmoid(x Wz + h Uz + bz)          update gate
//   r  = sigmoid(x Wr + h Ur + br)          reset gate
//   n  = tanh(x Wn + bn + r * (h Un + bhn))  candidate state
//   h' = (1 - z) * n + z * h
// Rows are independent items (a batch of nodes).
#pragma once

#include <string>

#include "learning/parameter.h"

namespace neurovec::learning {

struct GruCache {
  Matrix x, h, z, r, n, hn;  // hn = h Un + bhn
};

struct GruGradients {
  Matrix dx;
  Matrix dh;
};

class GruCell {
 public:
  GruCell() = default;
  GruCell(const std::string& name, int input_dim, int hidden_dim, Random& rng);

  Matrix Forward(const Matrix& x, const Matrix& h, GruCache* cache) const;
  GruGradients Backward(const Matrix& dh_next, const GruCache& cache);
  void CollectParameters(ParameterSet& set);

 private:
  Parameter w_z_, w_r_, w_n_;  // input_dim x hidden
  Parameter u_z_, u_r_, u_n_;  // hidden x hidden
  Parameter b_z_, b_r_, b_n_, b_hn_;  // 1 x hidden
};

}  // namespace neurovec::learning
