// Message passing over HNSW neighbours: one hop of a graph neural network.
//
// For every node i with neighbours j (edge weight w_ij from the adjacency):
//   message  m_ij = w_ij * (h_j Wm + bm)            Linear of the neighbour state, scaled by the edge
//   aggregate a_i = Attention(query h_i, keys/values {m_ij})   multi-head, so the node
//                                                    chooses which neighbours matter
//   update    g_i = GRU(input a_i, state h_i)
//   output    y_i = LayerNorm(h_i + g_i)             residual keeps the input signal
// A node without neighbours aggregates Wo's bias only. Backward returns the
// gradient with respect to the node states and to every edge weight, so edge
// weights can be learned (see edge_weights.h).
#pragma once

#include <string>
#include <vector>

#include "learning/adjacency.h"
#include "learning/attention.h"
#include "learning/gru_cell.h"
#include "learning/layer_norm.h"
#include "learning/linear.h"

namespace neurovec::learning {

struct MessagePassingCache {
  LinearCache message;
  Matrix messages;                        // n x d: h_j Wm + bm, before edge weights
  GraphAttentionCache attention;
  GruCache gru;
  LayerNormCache norm;
};

struct MessagePassingGradients {
  Matrix dnodes;                 // n x d
  std::vector<float> dweights;   // one per edge of the adjacency
};

class MessagePassingLayer {
 public:
  MessagePassingLayer() = default;
  MessagePassingLayer(const std::string& name, int dim, int heads, Random& rng);

  // nodes: n x d states, n == adjacency.num_nodes() (the caller validates the adjacency).
  Matrix Forward(const Matrix& nodes, const Adjacency& adjacency, MessagePassingCache* cache) const;
  MessagePassingGradients Backward(const Matrix& dout, const Adjacency& adjacency, const MessagePassingCache& cache);
  void CollectParameters(ParameterSet& set);

 private:
  Linear message_;
  MultiHeadAttention attention_;
  GruCell gru_;
  LayerNorm norm_;
};

// Several hops, each with its own weights. Hop h reads adjacencies[h], or
// adjacencies[0] for every hop when one is given: hops can walk the same level-0
// neighbourhood repeatedly or go level by level through the HNSW hierarchy.
class MessagePassingStack {
 public:
  MessagePassingStack() = default;
  MessagePassingStack(const std::string& name, int dim, int heads, int hops, Random& rng);

  int hops() const { return static_cast<int>(layers_.size()); }
  Matrix Forward(const Matrix& nodes, const std::vector<const Adjacency*>& adjacencies,
                 std::vector<MessagePassingCache>* caches) const;
  // dweights[h] are the edge-weight gradients of the adjacency hop h read.
  Matrix Backward(const Matrix& dout, const std::vector<const Adjacency*>& adjacencies,
                  const std::vector<MessagePassingCache>& caches, std::vector<std::vector<float>>* dweights);
  void CollectParameters(ParameterSet& set);

 private:
  std::vector<MessagePassingLayer> layers_;
};

}  // namespace neurovec::learning
