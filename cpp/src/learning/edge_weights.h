// Learnable edge weights with temporal decay:
//   w(u, v) = sigmoid(alpha * sim(u, v) + beta * structural(u, v) + offset(u, v)) * exp(-lambda * age(u, v))
// alpha and beta are learned; offset is a per-edge logit the caller supplies
// (the per-link weights of edge_memory.h, learned outside this model; 0 when
// absent); lambda is a fixed rate per unit of age (0: no decay),
// so old links (feedback that has not been confirmed lately) fade out.
// sim is typically the cosine of the endpoints' vectors, structural the Jaccard
// overlap of their neighbour lists (adjacency.h).
#pragma once

#include <string>
#include <vector>

#include "learning/parameter.h"

namespace neurovec::learning {

struct EdgeFeatures {
  std::vector<float> similarity;  // one per edge
  std::vector<float> structural;  // one per edge
  std::vector<float> age;         // one per edge, or empty for age 0 everywhere
  std::vector<float> offset;      // one per edge, or empty for offset 0 everywhere
};

struct EdgeWeightCache {
  std::vector<float> gate;   // sigmoid(...) per edge
  std::vector<float> decay;  // exp(-lambda * age) per edge
  const EdgeFeatures* features = nullptr;  // must outlive the cache
};

class EdgeWeightModel {
 public:
  EdgeWeightModel() = default;
  EdgeWeightModel(const std::string& name, float alpha, float beta, float decay_rate);

  float decay_rate() const { return decay_rate_; }
  std::vector<float> Forward(const EdgeFeatures& features, EdgeWeightCache* cache) const;
  // Accumulates dalpha and dbeta from the gradient of every edge weight; with
  // `dlogits`, also the gradient with respect to each edge's logit (that is,
  // to its offset), one per edge.
  void Backward(const std::vector<float>& dweights, const EdgeWeightCache& cache,
                std::vector<float>* dlogits = nullptr);
  void CollectParameters(ParameterSet& set);

  Parameter& alpha() { return alpha_; }
  Parameter& beta() { return beta_; }

 private:
  Parameter alpha_;
  Parameter beta_;
  float decay_rate_ = 0.0f;
};

// Cosine similarity of each edge's endpoints, rows of `vectors` indexed by local node.
struct Adjacency;
std::vector<float> EdgeCosine(const Adjacency& adjacency, const Matrix& vectors);

}  // namespace neurovec::learning
