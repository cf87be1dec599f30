#include "learning/query_refiner.h"

#include "learning/losses.h"

namespace neurovec::learning {

Status QueryRefinerConfig::Validate() const {
  if (input_dim <= 0) return Status::InvalidArgument("refiner input_dim must be positive");
  if (hidden_dim <= 0 || heads <= 0 || hidden_dim % heads != 0) {
    return Status::InvalidArgument("refiner hidden_dim must be a positive multiple of heads");
  }
  if (projection_hidden < 0) return Status::InvalidArgument("refiner projection_hidden must be >= 0");
  if (hops < 0 || hops > 8) return Status::InvalidArgument("refiner hops must be in 0..8");
  if (!(temperature > 0)) return Status::InvalidArgument("refiner temperature must be positive");
  if (!(dropout >= 0 && dropout < 1)) return Status::InvalidArgument("refiner dropout must be in [0, 1)");
  if (!(edge_decay >= 0)) return Status::InvalidArgument("refiner edge_decay must be >= 0");
  return Status::Ok();
}

CandidateGraph BuildCandidateGraph(const float* query, const std::vector<const float*>& candidates, int input_dim,
                                   const Adjacency& candidate_links) {
  const uint32_t k = static_cast<uint32_t>(candidates.size());
  CandidateGraph g;
  g.vectors.resize(k + 1, input_dim);
  g.vectors.row(0) = Eigen::Map<const RowVector>(query, input_dim);
  for (uint32_t i = 0; i < k; ++i) g.vectors.row(i + 1) = Eigen::Map<const RowVector>(candidates[i], input_dim);
  Adjacency& a = g.adjacency;
  a.offsets.push_back(0);
  for (uint32_t i = 1; i <= k; ++i) a.neighbors.push_back(i);
  a.offsets.push_back(k);
  const bool has_links = candidate_links.num_nodes() == k;
  for (uint32_t i = 0; i < k; ++i) {
    a.neighbors.push_back(0);
    if (has_links) {
      for (uint32_t e = candidate_links.begin(i); e < candidate_links.end(i); ++e) {
        a.neighbors.push_back(candidate_links.neighbors[e] + 1);
      }
    }
    a.offsets.push_back(static_cast<uint32_t>(a.neighbors.size()));
  }
  a.weights.assign(a.neighbors.size(), 1.0f);
  g.features.similarity = EdgeCosine(a, g.vectors);
  g.features.structural = JaccardOverlap(a);
  return g;
}

struct QueryRefiner::Caches {
  LinearCache projection;
  ReluCache projection_relu;
  LinearCache projection_output;
  DropoutCache dropout;
  EdgeWeightCache edges;
  std::vector<MessagePassingCache> stack;
  CosineCache cosine;
};

QueryRefiner::QueryRefiner(const QueryRefinerConfig& c) : config_(c), dropout_(c.dropout) {
  Random rng(c.seed);
  if (c.projection_hidden > 0) {
    projection_ = Linear("refiner.projection", c.input_dim, c.projection_hidden, rng);
    projection_output_ = Linear("refiner.projection_output", c.projection_hidden, c.hidden_dim, rng);
  } else {
    projection_ = Linear("refiner.projection", c.input_dim, c.hidden_dim, rng);
  }
  edges_ = EdgeWeightModel("refiner.edges", c.edge_alpha, c.edge_beta, c.edge_decay);
  stack_ = MessagePassingStack("refiner.mp", c.hidden_dim, c.heads, c.hops, rng);
}

Result<QueryRefiner> QueryRefiner::Create(const QueryRefinerConfig& config) {
  NV_RETURN_IF_ERROR(config.Validate());
  return QueryRefiner(config);
}

Matrix QueryRefiner::ForwardEmbeddings(const CandidateGraph& graph, Adjacency& weighted, bool training, Random* rng,
                                       Caches* c) const {
  Matrix h0 = projection_.Forward(graph.vectors * config_.input_scale, c ? &c->projection : nullptr);
  if (config_.projection_hidden > 0) {
    h0 = projection_output_.Forward(ReluForward(h0, c ? &c->projection_relu : nullptr), c ? &c->projection_output : nullptr);
  }
  if (training && rng != nullptr) h0 = dropout_.Forward(h0, true, *rng, c ? &c->dropout : nullptr);
  weighted.weights = edges_.Forward(graph.features, c ? &c->edges : nullptr);
  Matrix h = stack_.Forward(h0, {&weighted}, c ? &c->stack : nullptr);
  return h + h0;
}

float QueryRefiner::ConsistencyTerm(const Matrix& e, const std::vector<uint8_t>& positive, Matrix& de) const {
  const Eigen::Index k = e.rows() - 1;
  std::vector<Eigen::Index> anchors;
  for (Eigen::Index j = 0; j < k; ++j) {
    if (positive[j]) anchors.push_back(j);
  }
  if (anchors.size() < 2 || anchors.size() == static_cast<size_t>(k)) return 0.0f;  // needs a positive pair and a negative
  const float scale = config_.consistency_weight / static_cast<float>(anchors.size());
  double total = 0;
  Matrix others(k - 1, e.cols());
  std::vector<uint8_t> others_positive(k - 1);
  for (Eigen::Index a : anchors) {
    // Every candidate but the anchor, in order.
    for (Eigen::Index j = 0, row = 0; j < k; ++j) {
      if (j == a) continue;
      others.row(row) = e.row(j + 1);
      others_positive[row++] = positive[j];
    }
    CosineCache cc;
    const Eigen::VectorXf scores = CosineScores(e.row(a + 1), others, &cc);
    Eigen::VectorXf ds;
    total += InfoNcePerPositive(scores, others_positive, config_.temperature, &ds);
    RowVector danchor;
    Matrix dothers;
    CosineScoresBackward(ds * scale, cc, &danchor, &dothers);
    de.row(a + 1) += danchor;
    for (Eigen::Index j = 0, row = 0; j < k; ++j) {
      if (j != a) de.row(j + 1) += dothers.row(row++);
    }
  }
  return static_cast<float>(total) * scale;
}

Matrix QueryRefiner::RefineEmbeddings(const CandidateGraph& graph) const {
  Adjacency weighted = graph.adjacency;
  return ForwardEmbeddings(graph, weighted, false, nullptr, nullptr);
}

Matrix QueryRefiner::Project(const Matrix& rows) const {
  Matrix h0 = projection_.Forward(rows * config_.input_scale, nullptr);
  if (config_.projection_hidden > 0) h0 = projection_output_.Forward(ReluForward(h0, nullptr), nullptr);
  return h0;
}

Matrix QueryRefiner::EmbeddingsFrom(const CandidateGraph& graph, const Matrix& h0) const {
  Adjacency weighted = graph.adjacency;
  weighted.weights = edges_.Forward(graph.features, nullptr);
  return stack_.Forward(h0, {&weighted}, nullptr) + h0;
}

RefinerOutput QueryRefiner::RefineProjected(const CandidateGraph& graph, const Matrix& h0) const {
  return Score(EmbeddingsFrom(graph, h0));
}

RefinerOutput QueryRefiner::Refine(const CandidateGraph& graph) const { return Score(RefineEmbeddings(graph)); }

RefinerOutput QueryRefiner::Score(const Matrix& e) const {
  RefinerOutput out;
  out.refined_query = e.row(0);
  out.scores = CosineScores(out.refined_query, e.bottomRows(e.rows() - 1), nullptr);
  return out;
}

float QueryRefiner::AccumulateGradients(const CandidateGraph& graph, const std::vector<uint8_t>& positive,
                                        Random& dropout_rng, std::vector<float>* edge_dlogits) {
  Caches c;
  Adjacency weighted = graph.adjacency;
  const Matrix e = ForwardEmbeddings(graph, weighted, true, &dropout_rng, &c);
  const Eigen::Index k = e.rows() - 1;
  const Eigen::VectorXf scores = CosineScores(e.row(0), e.bottomRows(k), &c.cosine);
  Eigen::VectorXf dscores;
  const float loss = config_.per_positive_loss ? InfoNcePerPositive(scores, positive, config_.temperature, &dscores)
                                              : InfoNce(scores, positive, config_.temperature, &dscores);

  RowVector dquery;
  Matrix dcandidates;
  CosineScoresBackward(dscores, c.cosine, &dquery, &dcandidates);
  Matrix de(e.rows(), e.cols());
  de.row(0) = dquery;
  de.bottomRows(k) = dcandidates;
  float total = loss;
  if (config_.consistency_weight > 0) total += ConsistencyTerm(e, positive, de);
  std::vector<std::vector<float>> dweights;
  Matrix dh0 = stack_.Backward(de, {&weighted}, c.stack, &dweights) + de;  // + de: the residual
  // Every hop reads the same edge weights: their gradients add.
  std::vector<float> dw(weighted.num_edges(), 0.0f);
  for (const auto& hop : dweights) {
    for (size_t i = 0; i < dw.size(); ++i) dw[i] += hop[i];
  }
  edges_.Backward(dw, c.edges, edge_dlogits);
  dh0 = dropout_.Backward(dh0, c.dropout);
  // Raw vectors are constants: no input gradient for the projection.
  if (config_.projection_hidden > 0) {
    dh0 = ReluBackward(projection_output_.Backward(dh0, c.projection_output), c.projection_relu);
  }
  projection_.Backward(dh0, c.projection, false);
  return total;
}

ParameterSet QueryRefiner::Parameters() {
  ParameterSet set;
  projection_.CollectParameters(set);
  if (config_.projection_hidden > 0) projection_output_.CollectParameters(set);
  edges_.CollectParameters(set);
  stack_.CollectParameters(set);
  return set;
}

}  // namespace neurovec::learning
