#include "learning/attention.h"

namespace neurovec::learning {

MultiHeadAttention::MultiHeadAttention(const std::string& name, int dim, int heads, Random& rng)
    : wq_(name + ".q", dim, dim, rng, false),
      wk_(name + ".k", dim, dim, rng, false),
      wv_(name + ".v", dim, dim, rng, false),
      wo_(name + ".o", dim, dim, rng, true),
      heads_(heads) {}

Matrix MultiHeadAttention::Forward(const Matrix& query, const Matrix& keys, const Matrix& values,
                                   AttentionCache* cache) const {
  AttentionCache local;
  AttentionCache& c = cache ? *cache : local;
  const Eigen::Index dim = wq_.out();
  const Eigen::Index head_dim = dim / heads_;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const Eigen::Index m = keys.rows();
  c.projected_q = wq_.Forward(query, &c.q);
  c.projected_k = wk_.Forward(keys, &c.k);
  c.projected_v = wv_.Forward(values, &c.v);
  c.weights.resize(m, heads_);
  Matrix concat = Matrix::Zero(1, dim);
  for (int h = 0; h < heads_ && m > 0; ++h) {
    const Eigen::Index off = h * head_dim;
    Eigen::VectorXf scores =
        (c.projected_k.middleCols(off, head_dim) * c.projected_q.middleCols(off, head_dim).transpose()) * scale;
    // Softmax with the maximum subtracted: exp never overflows.
    const float max_score = scores.maxCoeff();
    Eigen::VectorXf e = (scores.array() - max_score).exp();
    e /= e.sum();
    c.weights.col(h) = e;
    concat.middleCols(off, head_dim) = e.transpose() * c.projected_v.middleCols(off, head_dim);
  }
  return wo_.Forward(concat, &c.o);
}

AttentionGradients MultiHeadAttention::Backward(const Matrix& dout, const AttentionCache& c) {
  const Eigen::Index dim = wq_.out();
  const Eigen::Index head_dim = dim / heads_;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const Eigen::Index m = c.projected_k.rows();
  const Matrix dconcat = wo_.Backward(dout, c.o);
  Matrix dq = Matrix::Zero(1, dim);
  Matrix dk = Matrix::Zero(m, dim);
  Matrix dv = Matrix::Zero(m, dim);
  for (int h = 0; h < heads_ && m > 0; ++h) {
    const Eigen::Index off = h * head_dim;
    const Eigen::VectorXf a = c.weights.col(h);
    const RowVector dout_h = dconcat.middleCols(off, head_dim);
    // o_h = a^T V_h: dV_h = a dout_h, da = V_h dout_h^T.
    dv.middleCols(off, head_dim).noalias() += a * dout_h;
    const Eigen::VectorXf da = c.projected_v.middleCols(off, head_dim) * dout_h.transpose();
    // Softmax Jacobian: ds = a * (da - a.da).
    const Eigen::VectorXf ds = (a.array() * (da.array() - a.dot(da))).matrix() * scale;
    dq.middleCols(off, head_dim).noalias() += ds.transpose() * c.projected_k.middleCols(off, head_dim);
    dk.middleCols(off, head_dim).noalias() += ds * c.projected_q.middleCols(off, head_dim);
  }
  AttentionGradients g;
  g.dquery = wq_.Backward(dq, c.q);
  g.dkeys = wk_.Backward(dk, c.k);
  g.dvalues = wv_.Backward(dv, c.v);
  return g;
}

void MultiHeadAttention::CollectParameters(ParameterSet& set) {
  wq_.CollectParameters(set);
  wk_.CollectParameters(set);
  wv_.CollectParameters(set);
  wo_.CollectParameters(set);
}

}  // namespace neurovec::learning
