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

Matrix MultiHeadAttention::ForwardGraph(const Matrix& queries, const Matrix& keys, const Matrix& values,
                                        const Adjacency& adj, GraphAttentionCache* cache) const {
  GraphAttentionCache local;
  GraphAttentionCache& c = cache ? *cache : local;
  const Eigen::Index dim = wq_.out();
  const Eigen::Index head_dim = dim / heads_;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const uint32_t n = adj.num_nodes();
  c.projected_q = wq_.Forward(queries, &c.q);
  c.projected_k = wk_.Forward(keys, &c.k);
  c.projected_v = wv_.Forward(values, &c.v);
  c.weights.resize(adj.num_edges(), heads_);
  Matrix concat = Matrix::Zero(n, dim);
  Eigen::VectorXf e;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t begin = adj.begin(i), deg = adj.degree(i);
    if (deg == 0) continue;
    e.resize(deg);
    for (int h = 0; h < heads_; ++h) {
      const Eigen::Index off = h * head_dim;
      const auto q = c.projected_q.row(i).segment(off, head_dim);
      for (uint32_t t = 0; t < deg; ++t) {
        const uint32_t edge = begin + t;
        e(t) = adj.weights[edge] * c.projected_k.row(adj.neighbors[edge]).segment(off, head_dim).dot(q) * scale;
      }
      // Softmax with the maximum subtracted: exp never overflows.
      e = (e.array() - e.maxCoeff()).exp();
      e /= e.sum();
      for (uint32_t t = 0; t < deg; ++t) {
        const uint32_t edge = begin + t;
        c.weights(edge, h) = e(t);
        concat.row(i).segment(off, head_dim) +=
            (e(t) * adj.weights[edge]) * c.projected_v.row(adj.neighbors[edge]).segment(off, head_dim);
      }
    }
  }
  return wo_.Forward(concat, &c.o);
}

GraphAttentionGradients MultiHeadAttention::BackwardGraph(const Matrix& dout, const Adjacency& adj,
                                                          const GraphAttentionCache& c) {
  const Eigen::Index dim = wq_.out();
  const Eigen::Index head_dim = dim / heads_;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const uint32_t n = adj.num_nodes();
  const Matrix dconcat = wo_.Backward(dout, c.o);
  Matrix dq = Matrix::Zero(n, dim);
  Matrix dk = Matrix::Zero(c.projected_k.rows(), dim);
  Matrix dv = Matrix::Zero(c.projected_v.rows(), dim);
  GraphAttentionGradients g;
  g.dedge_weights.assign(adj.num_edges(), 0.0f);
  Eigen::VectorXf da, ds;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t begin = adj.begin(i), deg = adj.degree(i);
    if (deg == 0) continue;
    da.resize(deg);
    for (int h = 0; h < heads_; ++h) {
      const Eigen::Index off = h * head_dim;
      const auto dout_h = dconcat.row(i).segment(off, head_dim);
      const auto q = c.projected_q.row(i).segment(off, head_dim);
      // o = sum_t a_t w_t v_j: value side.
      for (uint32_t t = 0; t < deg; ++t) {
        const uint32_t edge = begin + t, j = adj.neighbors[edge];
        const float w = adj.weights[edge], a = c.weights(edge, h);
        const float vdot = c.projected_v.row(j).segment(off, head_dim).dot(dout_h);
        da(t) = w * vdot;
        dv.row(j).segment(off, head_dim) += (a * w) * dout_h;
        g.dedge_weights[edge] += a * vdot;
      }
      // Softmax Jacobian, then the scores s_t = w_t (k_j . q) * scale.
      const auto a = c.weights.col(h).segment(begin, deg);
      ds = (a.array() * (da.array() - a.dot(da))).matrix() * scale;
      for (uint32_t t = 0; t < deg; ++t) {
        const uint32_t edge = begin + t, j = adj.neighbors[edge];
        const float w = adj.weights[edge];
        const auto k = c.projected_k.row(j).segment(off, head_dim);
        g.dedge_weights[edge] += ds(t) * k.dot(q);
        dq.row(i).segment(off, head_dim) += (ds(t) * w) * k;
        dk.row(j).segment(off, head_dim) += (ds(t) * w) * q;
      }
    }
  }
  g.dqueries = wq_.Backward(dq, c.q);
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
