#include "learning/edge_weights.h"

#include "learning/adjacency.h"

namespace neurovec::learning {

EdgeWeightModel::EdgeWeightModel(const std::string& name, float alpha, float beta, float decay_rate)
    : alpha_(name + ".alpha", 1, 1), beta_(name + ".beta", 1, 1), decay_rate_(decay_rate) {
  alpha_.value(0, 0) = alpha;
  beta_.value(0, 0) = beta;
}

std::vector<float> EdgeWeightModel::Forward(const EdgeFeatures& f, EdgeWeightCache* cache) const {
  const size_t n = f.similarity.size();
  const float a = alpha_.value(0, 0);
  const float b = beta_.value(0, 0);
  std::vector<float> w(n), gate(n), decay(n);
  for (size_t e = 0; e < n; ++e) {
    const float offset = f.offset.empty() ? 0.0f : f.offset[e];
    gate[e] = Sigmoid(a * f.similarity[e] + b * f.structural[e] + offset);
    decay[e] = f.age.empty() ? 1.0f : std::exp(-decay_rate_ * f.age[e]);
    w[e] = gate[e] * decay[e];
  }
  if (cache) {
    cache->gate = std::move(gate);
    cache->decay = std::move(decay);
    cache->features = &f;
  }
  return w;
}

void EdgeWeightModel::Backward(const std::vector<float>& dweights, const EdgeWeightCache& c,
                               std::vector<float>* dlogits) {
  double da = 0, db = 0;
  if (dlogits) dlogits->assign(dweights.size(), 0.0f);
  for (size_t e = 0; e < dweights.size(); ++e) {
    const double dlogit = static_cast<double>(dweights[e]) * c.decay[e] * c.gate[e] * (1.0f - c.gate[e]);
    if (dlogits) (*dlogits)[e] = static_cast<float>(dlogit);
    da += dlogit * c.features->similarity[e];
    db += dlogit * c.features->structural[e];
  }
  alpha_.grad(0, 0) += static_cast<float>(da);
  beta_.grad(0, 0) += static_cast<float>(db);
}

void EdgeWeightModel::CollectParameters(ParameterSet& set) {
  set.Add(&alpha_);
  set.Add(&beta_);
}

std::vector<float> EdgeCosine(const Adjacency& adj, const Matrix& vectors) {
  Eigen::VectorXf norms = vectors.rowwise().norm();
  std::vector<float> sim(adj.num_edges());
  for (uint32_t i = 0; i < adj.num_nodes(); ++i) {
    for (uint32_t e = adj.begin(i); e < adj.end(i); ++e) {
      const uint32_t j = adj.neighbors[e];
      const float denom = norms(i) * norms(j);
      sim[e] = denom > 0 ? vectors.row(i).dot(vectors.row(j)) / denom : 0.0f;
    }
  }
  return sim;
}

}  // namespace neurovec::learning
