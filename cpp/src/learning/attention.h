// Multi-head scaled dot-product attention of one query node over a set of
// neighbour keys/values (Vaswani et al. 2017), as used to aggregate messages:
//   Q = q Wq, K = keys Wk, V = values Wv     (q: 1 x d, keys/values: m x d)
//   per head h: a_h = softmax(K_h Q_h^T / sqrt(d/heads)),  o_h = a_h^T V_h
//   out = concat(o_1..o_H) Wo               (1 x d)
// m may be 0: the output is then Wo's bias (no neighbour contributes).
#pragma once

#include <string>
#include <vector>

#include "learning/adjacency.h"
#include "learning/linear.h"

namespace neurovec::learning {

struct AttentionCache {
  LinearCache q, k, v, o;
  Matrix projected_q;  // 1 x d
  Matrix projected_k;  // m x d
  Matrix projected_v;  // m x d
  Matrix weights;      // m x heads: the softmax of each head
};

struct AttentionGradients {
  Matrix dquery;   // 1 x d
  Matrix dkeys;    // m x d
  Matrix dvalues;  // m x d
};

struct GraphAttentionCache {
  LinearCache q, k, v, o;
  Matrix projected_q;  // n x d
  Matrix projected_k;  // n x d (per node, before edge weights)
  Matrix projected_v;  // n x d
  Matrix weights;      // num_edges x heads: the softmax over each node's edges
};

struct GraphAttentionGradients {
  Matrix dqueries;               // n x d
  Matrix dkeys;                  // n x d
  Matrix dvalues;                // n x d
  std::vector<float> dedge_weights;  // one per edge
};

class MultiHeadAttention {
 public:
  MultiHeadAttention() = default;
  // dim must be a multiple of heads.
  MultiHeadAttention(const std::string& name, int dim, int heads, Random& rng);

  int heads() const { return heads_; }
  Matrix Forward(const Matrix& query, const Matrix& keys, const Matrix& values, AttentionCache* cache) const;
  AttentionGradients Backward(const Matrix& dout, const AttentionCache& cache);

  // The same attention for every node of a graph at once: node i attends over
  // its edges e = (i, j) with key w_e * keys_j and value w_e * values_j (w_e the
  // adjacency's edge weight). Equal to Forward per node with the weighted rows,
  // but projects each node once instead of once per edge (projections are linear
  // and bias-free, so (w k) Wk = w (k Wk)). queries/keys/values: n x d.
  Matrix ForwardGraph(const Matrix& queries, const Matrix& keys, const Matrix& values, const Adjacency& adjacency,
                      GraphAttentionCache* cache) const;
  GraphAttentionGradients BackwardGraph(const Matrix& dout, const Adjacency& adjacency,
                                        const GraphAttentionCache& cache);
  void CollectParameters(ParameterSet& set);

 private:
  Linear wq_, wk_, wv_, wo_;
  int heads_ = 1;
};

}  // namespace neurovec::learning
