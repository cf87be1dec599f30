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
  c.messages = message_.Forward(nodes, &c.message);
  // Keys and values of edge (i, j) are w_ij * m_j (see ForwardGraph).
  const Matrix aggregate = attention_.ForwardGraph(nodes, c.messages, c.messages, adj, &c.attention);
  const Matrix updated = gru_.Forward(aggregate, nodes, &c.gru);
  return norm_.Forward(nodes + updated, &c.norm);
}

MessagePassingGradients MessagePassingLayer::Backward(const Matrix& dout, const Adjacency& adj,
                                                      const MessagePassingCache& c) {
  const Matrix dsum = norm_.Backward(dout, c.norm);
  GruGradients g = gru_.Backward(dsum, c.gru);
  GraphAttentionGradients a = attention_.BackwardGraph(g.dx, adj, c.attention);
  MessagePassingGradients out;
  out.dnodes = dsum + g.dh + a.dqueries;
  out.dweights = std::move(a.dedge_weights);
  // Keys and values are the same messages: their gradients add.
  out.dnodes += message_.Backward(a.dkeys + a.dvalues, c.message);
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
