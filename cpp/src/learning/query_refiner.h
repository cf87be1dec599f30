// The query refiner: a small graph neural network over a query and its k
// nearest candidates from the index, trained from relevance feedback.
//
// Graph (CandidateGraph): node 0 is the query, nodes 1..k the candidates. The
// query links to every candidate and every candidate to the query; candidates
// also link to each other along the index's HNSW links among them (level 0 by
// default). Edge weights come from EdgeWeightModel on the raw vectors' cosine
// and the Jaccard overlap of neighbour lists.
//
// Model:
//   P  = X * input_scale                           raw vectors, scaled
//   H0 = Dropout(P Wp + bp)                         shared linear projection of query and candidates,
//        or Dropout(ReLU(P W1 + b1) W2 + b2)        a two-layer one when projection_hidden > 0
//   H  = MessagePassingStack(H0)                   `hops` hops of message passing
//   E  = H + H0                                     residual around the stack
//   refined query = E_0;  score_j = cos(E_0, E_j)   re-ranking scores of the candidates
// Training minimises InfoNCE over the scores with the feedback's positives,
// plus (consistency_weight > 0) a feedback-consistency term: the positives of
// one query are relevant to each other and not to its negatives, so each
// positive candidate, as an anchor, gets the same per-positive InfoNCE against
// the other candidates. It multiplies the training signal of one feedback
// event by the number of positives (a supervised-contrastive loss, Khosla et
// al. 2020, restricted to one candidate set).
#pragma once

#include <vector>

#include "learning/activation.h"
#include "learning/adjacency.h"
#include "learning/dropout.h"
#include "learning/edge_weights.h"
#include "learning/linear.h"
#include "learning/message_passing.h"
#include "neurovec/status.h"

namespace neurovec::learning {

struct QueryRefinerConfig {
  int input_dim = 0;
  int hidden_dim = 64;     // width of node states; a multiple of heads
  int projection_hidden = 0;  // 0: linear projection; else width of the MLP projection's hidden layer
  int heads = 4;           // attention heads per hop
  int hops = 2;            // message-passing hops (1 or 2 is typical; 0: none, E = 2 H0)
  float input_scale = 1.0f;  // raw vectors are multiplied by this (1/255 for 8-bit pixels)
  float temperature = 0.1f;  // InfoNCE temperature on cosine scores
  // InfoNcePerPositive (every positive must beat the negatives) or the classic
  // log-of-sums InfoNce (losses.h).
  bool per_positive_loss = true;
  float consistency_weight = 0.0f;  // weight of the feedback-consistency term (0: off)
  float dropout = 0.0f;      // on H0 while training
  float edge_alpha = 1.0f;   // initial edge-weight parameters (edge_weights.h)
  float edge_beta = 0.0f;
  float edge_decay = 0.0f;   // fixed temporal decay rate
  uint64_t seed = 42;        // parameter initialisation

  Status Validate() const;
};

struct CandidateGraph {
  Matrix vectors;        // (k+1) x input_dim; row 0 is the query
  Adjacency adjacency;   // over k+1 nodes
  EdgeFeatures features; // per edge of adjacency
};

// candidates: k pointers to input_dim floats; candidate_links: adjacency among
// the k candidates (e.g. AdjacencyFromHnswLevel), may be empty (no edges).
CandidateGraph BuildCandidateGraph(const float* query, const std::vector<const float*>& candidates, int input_dim,
                                   const Adjacency& candidate_links);

struct RefinerOutput {
  RowVector refined_query;  // E_0
  Eigen::VectorXf scores;   // k cosine scores, higher is more relevant
};

class QueryRefiner {
 public:
  QueryRefiner() = default;
  static Result<QueryRefiner> Create(const QueryRefinerConfig& config);

  const QueryRefinerConfig& config() const { return config_; }

  // Inference (no dropout, no caches kept).
  RefinerOutput Refine(const CandidateGraph& graph) const;
  // The same, with H0 (the projection of every row of graph.vectors, as
  // Project gives it) supplied by the caller: the index keeps the candidates'
  // rows between queries (index_learner.h), the costliest part of a query.
  RefinerOutput RefineProjected(const CandidateGraph& graph, const Matrix& h0) const;
  // H0 of raw rows at inference: the projection (linear or MLP), no dropout.
  Matrix Project(const Matrix& rows) const;
  // All node embeddings E ((k+1) x hidden_dim; row 0 the refined query).
  Matrix RefineEmbeddings(const CandidateGraph& graph) const;
  // The learned weight of every edge of graph.adjacency (inference).
  std::vector<float> EdgeWeights(const CandidateGraph& graph) const { return edges_.Forward(graph.features, nullptr); }

  // One example: forward, InfoNCE against `positive` (k flags, at least one
  // set), backward; gradients are added to the parameters' grads. dropout_rng
  // draws the dropout mask. Returns the loss. With `edge_dlogits`, also the
  // gradient with respect to each edge's logit (graph.features.offset's
  // gradient, one per edge of graph.adjacency): per-link weights learned
  // outside the model (edge_memory.h) take their steps from it.
  float AccumulateGradients(const CandidateGraph& graph, const std::vector<uint8_t>& positive, Random& dropout_rng,
                            std::vector<float>* edge_dlogits = nullptr);

  // Parameters in a fixed order, pointing into this object (collect again after copying it).
  ParameterSet Parameters();

 private:
  explicit QueryRefiner(const QueryRefinerConfig& config);
  struct Caches;
  // Adds the feedback-consistency loss's gradient to de; returns its weighted value.
  float ConsistencyTerm(const Matrix& embeddings, const std::vector<uint8_t>& positive, Matrix& de) const;
  Matrix ForwardEmbeddings(const CandidateGraph& graph, Adjacency& weighted, bool training, Random* rng,
                           Caches* caches) const;
  // E = MessagePassingStack(H0) + H0 over the graph's weighted edges (inference).
  Matrix EmbeddingsFrom(const CandidateGraph& graph, const Matrix& h0) const;
  RefinerOutput Score(const Matrix& embeddings) const;

  QueryRefinerConfig config_;
  Linear projection_;         // input -> hidden_dim, or input -> projection_hidden
  Linear projection_output_;  // projection_hidden -> hidden_dim when the projection is an MLP
  Dropout dropout_;
  EdgeWeightModel edges_;
  MessagePassingStack stack_;
};

}  // namespace neurovec::learning
