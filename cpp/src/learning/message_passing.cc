#include "learning/message_passing.h"

namespace neurovec::learning {

MessagePassingLayer::MessagePassingLayer(const std::string& name, int dim, int heads, Random& rng)
    : message_(name + ".message", dim, dim, rng),
      attention_(name + ".attention", dim, heads, rng),
      gru_(name + ".gru", dim, dim, rng),
      norm_(name + ".norm", dim) {}

Matrix MessagePassingLayer::Forward(const Matrix& nodes, const Adjacency& adj, MessagePassingCache* cache) const {
  MessagePassingCache local;
  MessagePassingCache& c = cache ? *cache : local;
  const uint32_t n = adj.num_nodes();
  const Eigen::Index dim = nodes.cols();
  c.messages = message_.Forward(nodes, &c.message);
  c.attention.resize(n);
  Matrix aggregate(n, dim);
  Matrix keys;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t deg = adj.degree(i);
    keys.resize(deg, dim);
    for (uint32_t e = 0; e < deg; ++e) {
      const uint32_t edge = adj.begin(i) + e;
      keys.row(e) = adj.weights[edge] * c.messages.row(adj.neighbors[edge]);
    }
    aggregate.row(i) = attention_.Forward(nodes.row(i), keys, keys, &c.attention[i]);
  }
  const Matrix updated = gru_.Forward(aggregate, nodes, &c.gru);
  return norm_.Forward(nodes + updated, &c.norm);
}

MessagePassingGradients MessagePassingLayer::Backward(const Matrix& dout, const Adjacency& adj,
                                                      const MessagePassingCache& c) {
  const uint32_t n = adj.num_nodes();
  const Matrix dsum = norm_.Backward(dout, c.norm);
  GruGradients g = gru_.Backward(dsum, c.gru);
  MessagePassingGradients out;
  out.dnodes = dsum + g.dh;
  out.dweights.assign(adj.num_edges(), 0.0f);
  Matrix dmessages = Matrix::Zero(c.messages.rows(), c.messages.cols());
  for (uint32_t i = 0; i < n; ++i) {
    AttentionGradients a = attention_.Backward(g.dx.row(i), c.attention[i]);
    out.dnodes.row(i) += a.dquery;
    // Keys and values are the same weighted messages: their gradients add.
    const Matrix dkeys = a.dkeys + a.dvalues;
    for (uint32_t e = 0; e < adj.degree(i); ++e) {
      const uint32_t edge = adj.begin(i) + e;
      const uint32_t j = adj.neighbors[edge];
      out.dweights[edge] = dkeys.row(e).dot(c.messages.row(j));
      dmessages.row(j) += adj.weights[edge] * dkeys.row(e);
    }
  }
  out.dnodes += message_.Backward(dmessages, c.message);
  return out;
}

void MessagePassingLayer::CollectParameters(ParameterSet& set) {
  message_.CollectParameters(set);
  attention_.CollectParameters(set);
  gru_.CollectParameters(set);
  norm_.CollectParameters(set);
}

MessagePassingStack::MessagePassingStack(const std::string& name, int dim, int heads, int hops, Random& rng) {
  for (int h = 0; h < hops; ++h) layers_.emplace_back(name + ".hop" + std::to_string(h), dim, heads, rng);
}

Matrix MessagePassingStack::Forward(const Matrix& nodes, const std::vector<const Adjacency*>& adjacencies,
                                    std::vector<MessagePassingCache>* caches) const {
  if (caches) caches->resize(layers_.size());
  Matrix h = nodes;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Adjacency& adj = *adjacencies[adjacencies.size() == 1 ? 0 : i];
    h = layers_[i].Forward(h, adj, caches ? &(*caches)[i] : nullptr);
  }
  return h;
}

Matrix MessagePassingStack::Backward(const Matrix& dout, const std::vector<const Adjacency*>& adjacencies,
                                     const std::vector<MessagePassingCache>& caches,
                                     std::vector<std::vector<float>>* dweights) {
  if (dweights) dweights->assign(layers_.size(), {});
  Matrix d = dout;
  for (size_t i = layers_.size(); i-- > 0;) {
    const Adjacency& adj = *adjacencies[adjacencies.size() == 1 ? 0 : i];
    MessagePassingGradients g = layers_[i].Backward(d, adj, caches[i]);
    d = std::move(g.dnodes);
    if (dweights) (*dweights)[i] = std::move(g.dweights);
  }
  return d;
}

void MessagePassingStack::CollectParameters(ParameterSet& set) {
  for (MessagePassingLayer& l : layers_) l.CollectParameters(set);
}

}  // namespace neurovec::learning
