// Every backward pass of the learning engine against central finite
// differences: each layer, the stacked message passing, the edge-weight
// model, every loss, EWC, and the whole query refiner. Also proves the
// checker can fail (a perturbed gradient is caught).
#include <gtest/gtest.h>

#include "grad_check.h"
#include "learning/attention.h"
#include "learning/dropout.h"
#include "learning/edge_weights.h"
#include "learning/ewc.h"
#include "learning/gru_cell.h"
#include "learning/layer_norm.h"
#include "learning/linear.h"
#include "learning/losses.h"
#include "learning/message_passing.h"
#include "learning/query_refiner.h"

namespace neurovec::learning {
namespace {

using nvtest::MatrixGradientMatches;
using nvtest::ParametersMatch;
using nvtest::Project;
using nvtest::RandomMatrix;
using nvtest::Rng;

// Random values in every parameter so no gradient is zero by symmetry (biases
// start at 0, LayerNorm gamma at 1).
void Randomize(const ParameterSet& params, Rng& rng, double scale = 0.5) {
  for (Parameter* p : params) {
    for (Eigen::Index i = 0; i < p->value.size(); ++i) p->value.data()[i] = static_cast<float>(scale * rng.Normal());
  }
}

// A 6-node graph with a node without neighbours (5) and uneven degrees.
Adjacency TinyGraph(Rng& rng) {
  Adjacency a = Adjacency::FromLists({{1, 2, 3}, {0}, {0, 1, 3, 4}, {2}, {3, 0}, {}});
  for (float& w : a.weights) w = static_cast<float>(rng.Uniform(0.3, 1.0));
  return a;
}

TEST(GradCheck, DetectsAPerturbedGradient) {
  Rng rng(1);
  Random init(2);
  Linear layer("l", 4, 3, init);
  Matrix x = RandomMatrix(5, 4, rng);
  const Matrix r = RandomMatrix(5, 3, rng);
  LinearCache cache;
  layer.Forward(x, &cache);
  Matrix dx = layer.Backward(r, cache);
  auto loss = [&] { return Project(layer.Forward(x, nullptr), r); };
  ASSERT_TRUE(MatrixGradientMatches("x", x, dx, loss));
  // One entry off by 5% of the gradient's norm must be reported.
  Matrix wrong = dx;
  wrong(2, 1) += 0.05f * dx.norm();
  EXPECT_FALSE(MatrixGradientMatches("x", x, wrong, loss));
  // So must a gradient of the wrong sign, and an all-zero gradient.
  EXPECT_FALSE(MatrixGradientMatches("x", x, Matrix(-dx), loss));
  EXPECT_FALSE(MatrixGradientMatches("x", x, Matrix(Matrix::Zero(5, 4)), loss));
}

TEST(GradCheck, Linear) {
  Rng rng(3);
  Random init(4);
  Linear layer("lin", 6, 4, init);
  ParameterSet params;
  layer.CollectParameters(params);
  Randomize(params, rng);
  Matrix x = RandomMatrix(5, 6, rng);
  const Matrix r = RandomMatrix(5, 4, rng);
  auto loss = [&] { return Project(layer.Forward(x, nullptr), r); };
  Matrix dx;
  EXPECT_TRUE(ParametersMatch(params, loss, [&] {
    params.ZeroGrad();
    LinearCache c;
    layer.Forward(x, &c);
    dx = layer.Backward(r, c);
  }));
  EXPECT_TRUE(MatrixGradientMatches("x", x, dx, loss));
}

TEST(GradCheck, LayerNorm) {
  Rng rng(5);
  LayerNorm norm("ln", 7);
  ParameterSet params;
  norm.CollectParameters(params);
  Randomize(params, rng);
  Matrix x = RandomMatrix(4, 7, rng, 2.0);
  const Matrix r = RandomMatrix(4, 7, rng);
  auto loss = [&] { return Project(norm.Forward(x, nullptr), r); };
  Matrix dx;
  EXPECT_TRUE(ParametersMatch(params, loss, [&] {
    params.ZeroGrad();
    LayerNormCache c;
    norm.Forward(x, &c);
    dx = norm.Backward(r, c);
  }));
  EXPECT_TRUE(MatrixGradientMatches("x", x, dx, loss));
}

TEST(GradCheck, DropoutWithAFixedMask) {
  Rng rng(6);
  Dropout dropout(0.3f);
  Matrix x = RandomMatrix(6, 5, rng);
  const Matrix r = RandomMatrix(6, 5, rng);
  // The same seed draws the same mask, so the loss is a smooth function of x.
  auto loss = [&] {
    Random mask_rng(99);
    return Project(dropout.Forward(x, true, mask_rng, nullptr), r);
  };
  Random mask_rng(99);
  DropoutCache c;
  dropout.Forward(x, true, mask_rng, &c);
  const Matrix dx = dropout.Backward(r, c);
  EXPECT_TRUE(MatrixGradientMatches("x", x, dx, loss));
  // Some entries dropped, survivors scaled by 1/(1-p); inference is the identity.
  const Eigen::Index zeros = (c.mask.array() == 0.0f).count();
  EXPECT_GT(zeros, 0);
  EXPECT_LT(zeros, c.mask.size());
  EXPECT_FLOAT_EQ(c.mask.maxCoeff(), 1.0f / 0.7f);
  Random unused(1);
  EXPECT_TRUE(dropout.Forward(x, false, unused, nullptr) == x);
}

TEST(GradCheck, GruCell) {
  Rng rng(7);
  Random init(8);
  GruCell gru("gru", 5, 4, init);
  ParameterSet params;
  gru.CollectParameters(params);
  Randomize(params, rng);
  Matrix x = RandomMatrix(3, 5, rng);
  Matrix h = RandomMatrix(3, 4, rng);
  const Matrix r = RandomMatrix(3, 4, rng);
  auto loss = [&] { return Project(gru.Forward(x, h, nullptr), r); };
  GruGradients g;
  EXPECT_TRUE(ParametersMatch(params, loss, [&] {
    params.ZeroGrad();
    GruCache c;
    gru.Forward(x, h, &c);
    g = gru.Backward(r, c);
  }));
  EXPECT_TRUE(MatrixGradientMatches("x", x, g.dx, loss));
  EXPECT_TRUE(MatrixGradientMatches("h", h, g.dh, loss));
}

TEST(GradCheck, MultiHeadAttention) {
  Rng rng(9);
  Random init(10);
  MultiHeadAttention attention("attn", 8, 2, init);
  ParameterSet params;
  attention.CollectParameters(params);
  Randomize(params, rng, 0.4);
  Matrix q = RandomMatrix(1, 8, rng);
  Matrix keys = RandomMatrix(5, 8, rng);
  Matrix values = RandomMatrix(5, 8, rng);
  const Matrix r = RandomMatrix(1, 8, rng);
  auto loss = [&] { return Project(attention.Forward(q, keys, values, nullptr), r); };
  AttentionGradients g;
  EXPECT_TRUE(ParametersMatch(params, loss, [&] {
    params.ZeroGrad();
    AttentionCache c;
    attention.Forward(q, keys, values, &c);
    g = attention.Backward(r, c);
  }));
  EXPECT_TRUE(MatrixGradientMatches("query", q, g.dquery, loss));
  EXPECT_TRUE(MatrixGradientMatches("keys", keys, g.dkeys, loss));
  EXPECT_TRUE(MatrixGradientMatches("values", values, g.dvalues, loss));
  // Attention weights of each head sum to 1.
  AttentionCache c;
  attention.Forward(q, keys, values, &c);
  for (Eigen::Index h = 0; h < 2; ++h) EXPECT_NEAR(c.weights.col(h).sum(), 1.0f, 1e-5f);
}

TEST(GradCheck, GraphAttentionEqualsPerNodeAttention) {
  Rng rng(23);
  Random init(24);
  MultiHeadAttention attention("attn", 8, 2, init);
  ParameterSet params;
  attention.CollectParameters(params);
  Randomize(params, rng, 0.4);
  Adjacency adj = TinyGraph(rng);
  Matrix queries = RandomMatrix(6, 8, rng);
  Matrix keys = RandomMatrix(6, 8, rng);
  Matrix values = RandomMatrix(6, 8, rng);
  const Matrix batched = attention.ForwardGraph(queries, keys, values, adj, nullptr);
  for (uint32_t i = 0; i < adj.num_nodes(); ++i) {
    Matrix k(adj.degree(i), 8), v(adj.degree(i), 8);
    for (uint32_t t = 0; t < adj.degree(i); ++t) {
      const uint32_t e = adj.begin(i) + t;
      k.row(t) = adj.weights[e] * keys.row(adj.neighbors[e]);
      v.row(t) = adj.weights[e] * values.row(adj.neighbors[e]);
    }
    const Matrix single = attention.Forward(queries.row(i), k, v, nullptr);
    EXPECT_LT((single - batched.row(i)).cwiseAbs().maxCoeff(), 1e-5f) << "node " << i;
  }
  // And its backward against finite differences, for keys and values apart.
  const Matrix r = RandomMatrix(6, 8, rng);
  GraphAttentionCache c;
  attention.ForwardGraph(queries, keys, values, adj, &c);
  GraphAttentionGradients g = attention.BackwardGraph(r, adj, c);
  auto loss = [&] { return Project(attention.ForwardGraph(queries, keys, values, adj, nullptr), r); };
  EXPECT_TRUE(MatrixGradientMatches("queries", queries, g.dqueries, loss));
  EXPECT_TRUE(MatrixGradientMatches("keys", keys, g.dkeys, loss));
  EXPECT_TRUE(MatrixGradientMatches("values", values, g.dvalues, loss));
}

TEST(GradCheck, MessagePassingLayer) {
  Rng rng(11);
  Random init(12);
  MessagePassingLayer layer("mp", 8, 2, init);
  ParameterSet params;
  layer.CollectParameters(params);
  Randomize(params, rng, 0.4);
  Adjacency adj = TinyGraph(rng);
  ASSERT_TRUE(adj.Validate().ok());
  Matrix nodes = RandomMatrix(6, 8, rng);
  const Matrix r = RandomMatrix(6, 8, rng);
  auto loss = [&] { return Project(layer.Forward(nodes, adj, nullptr), r); };
  MessagePassingGradients g;
  EXPECT_TRUE(ParametersMatch(params, loss, [&] {
    params.ZeroGrad();
    MessagePassingCache c;
    layer.Forward(nodes, adj, &c);
    g = layer.Backward(r, adj, c);
  }));
  EXPECT_TRUE(MatrixGradientMatches("nodes", nodes, g.dnodes, loss));
  Eigen::Map<Matrix> dweights(g.dweights.data(), 1, static_cast<Eigen::Index>(g.dweights.size()));
  Matrix analytic = dweights;
  Eigen::Map<Matrix> weights(adj.weights.data(), 1, static_cast<Eigen::Index>(adj.weights.size()));
  Matrix weight_values = weights;
  auto loss_of_weights = [&] {
    Adjacency copy = adj;
    for (size_t i = 0; i < copy.weights.size(); ++i) copy.weights[i] = weight_values.data()[i];
    return Project(layer.Forward(nodes, copy, nullptr), r);
  };
  EXPECT_TRUE(MatrixGradientMatches("edge weights", weight_values, analytic, loss_of_weights));
}

TEST(GradCheck, HierarchicalStackOverTwoLevels) {
  Rng rng(13);
  Random init(14);
  MessagePassingStack stack("stack", 8, 4, 2, init);
  ParameterSet params;
  stack.CollectParameters(params);
  Randomize(params, rng, 0.3);
  // Hop 0 on a dense "level 0", hop 1 on a sparse "level 1" (two hubs).
  Adjacency level0 = TinyGraph(rng);
  Adjacency level1 = Adjacency::FromLists({{2}, {}, {0}, {}, {}, {}}, 0.8f);
  const std::vector<const Adjacency*> levels = {&level0, &level1};
  Matrix nodes = RandomMatrix(6, 8, rng);
  const Matrix r = RandomMatrix(6, 8, rng);
  auto loss = [&] { return Project(stack.Forward(nodes, levels, nullptr), r); };
  Matrix dnodes;
  std::vector<std::vector<float>> dweights;
  EXPECT_TRUE(ParametersMatch(params, loss, [&] {
    params.ZeroGrad();
    std::vector<MessagePassingCache> caches;
    stack.Forward(nodes, levels, &caches);
    dnodes = stack.Backward(r, levels, caches, &dweights);
  }));
  EXPECT_TRUE(MatrixGradientMatches("nodes", nodes, dnodes, loss));
  ASSERT_EQ(dweights.size(), 2u);
  EXPECT_EQ(dweights[0].size(), level0.num_edges());
  EXPECT_EQ(dweights[1].size(), level1.num_edges());
}

TEST(GradCheck, EdgeWeightsWithDecay) {
  Rng rng(15);
  EdgeWeightModel model("edges", 0.7f, -0.4f, 0.3f);
  ParameterSet params;
  model.CollectParameters(params);
  EdgeFeatures f;
  for (int e = 0; e < 9; ++e) {
    f.similarity.push_back(static_cast<float>(rng.Uniform(-1, 1)));
    f.structural.push_back(static_cast<float>(rng.Uniform(0, 1)));
    f.age.push_back(static_cast<float>(rng.Uniform(0, 5)));
  }
  std::vector<float> r(9);
  for (float& v : r) v = static_cast<float>(rng.Normal());
  auto loss = [&] {
    std::vector<float> w = model.Forward(f, nullptr);
    double s = 0;
    for (size_t e = 0; e < w.size(); ++e) s += static_cast<double>(w[e]) * r[e];
    return s;
  };
  EXPECT_TRUE(ParametersMatch(params, loss, [&] {
    params.ZeroGrad();
    EdgeWeightCache c;
    model.Forward(f, &c);
    model.Backward(r, c);
  }));
  // The documented formula, including the decay.
  std::vector<float> w = model.Forward(f, nullptr);
  EXPECT_NEAR(w[3], Sigmoid(0.7f * f.similarity[3] - 0.4f * f.structural[3]) * std::exp(-0.3f * f.age[3]), 1e-6);
}

TEST(GradCheck, CosineScoresAndInfoNce) {
  Rng rng(16);
  Matrix anchor = RandomMatrix(1, 6, rng);
  Matrix others = RandomMatrix(7, 6, rng);
  const std::vector<uint8_t> positive = {1, 0, 0, 1, 0, 0, 0};
  auto loss = [&] {
    RowVector a = anchor.row(0);
    return static_cast<double>(InfoNce(CosineScores(a, others, nullptr), positive, 0.2f, nullptr));
  };
  CosineCache c;
  Eigen::VectorXf scores = CosineScores(anchor.row(0), others, &c);
  Eigen::VectorXf ds;
  InfoNce(scores, positive, 0.2f, &ds);
  RowVector da;
  Matrix dothers;
  CosineScoresBackward(ds, c, &da, &dothers);
  EXPECT_TRUE(MatrixGradientMatches("anchor", anchor, Matrix(da), loss));
  EXPECT_TRUE(MatrixGradientMatches("others", others, dothers, loss));
  // InfoNCE of a single positive equals softmax cross-entropy.
  Eigen::VectorXf s(3);
  s << 0.5f, -0.2f, 0.1f;
  const double expected = -std::log(std::exp(0.5 / 0.5) / (std::exp(0.5 / 0.5) + std::exp(-0.2 / 0.5) + std::exp(0.1 / 0.5)));
  EXPECT_NEAR(InfoNce(s, {1, 0, 0}, 0.5f, nullptr), expected, 1e-5);
}

TEST(GradCheck, InfoNcePerPositive) {
  Rng rng(25);
  Matrix scores = RandomMatrix(9, 1, rng);
  const std::vector<uint8_t> positive = {1, 0, 1, 1, 0, 0, 1, 0, 0};
  auto loss = [&] {
    Eigen::VectorXf s = scores.col(0);
    return static_cast<double>(InfoNcePerPositive(s, positive, 0.3f, nullptr));
  };
  Eigen::VectorXf ds;
  InfoNcePerPositive(scores.col(0), positive, 0.3f, &ds);
  EXPECT_TRUE(MatrixGradientMatches("scores", scores, Matrix(ds), loss));
  // One positive and one negative: the logistic loss log(1 + exp((s_n - s_p) / T)).
  Eigen::VectorXf two(2);
  two << 0.4f, 0.1f;
  EXPECT_NEAR(InfoNcePerPositive(two, {1, 0}, 0.5f, nullptr), std::log1p(std::exp((0.1 - 0.4) / 0.5)), 1e-6);
  EXPECT_EQ(InfoNcePerPositive(two, {1, 1}, 0.5f, nullptr), 0.0f);  // no negative
}

TEST(GradCheck, LocalContrastive) {
  Rng rng(17);
  Adjacency adj = Adjacency::FromLists({{1, 2}, {0}, {0, 3}, {2}, {5}, {4}, {}, {6}});
  Random sampler(3);
  const auto negatives = SampleNonNeighbors(adj, 3, sampler);
  for (uint32_t i = 0; i < adj.num_nodes(); ++i) {
    for (uint32_t v : negatives[i]) {
      EXPECT_NE(v, i);
      for (uint32_t e = adj.begin(i); e < adj.end(i); ++e) EXPECT_NE(v, adj.neighbors[e]);
    }
    EXPECT_EQ(negatives[i].size(), 3u);
  }
  Matrix embeddings = RandomMatrix(8, 5, rng);
  auto loss = [&] { return static_cast<double>(LocalContrastive(embeddings, adj, negatives, 0.3f, nullptr)); };
  Matrix d;
  LocalContrastive(embeddings, adj, negatives, 0.3f, &d);
  EXPECT_TRUE(MatrixGradientMatches("embeddings", embeddings, d, loss));
}

TEST(GradCheck, BinaryCrossEntropy) {
  Rng rng(18);
  Matrix logits = RandomMatrix(4, 3, rng, 3.0);
  Matrix targets(4, 3);
  for (Eigen::Index i = 0; i < targets.size(); ++i) targets.data()[i] = static_cast<float>(rng.Below(2));
  auto loss = [&] { return static_cast<double>(BceWithLogits(logits, targets, nullptr)); };
  Matrix d;
  BceWithLogits(logits, targets, &d);
  EXPECT_TRUE(MatrixGradientMatches("logits", logits, d, loss));
  // Large logits do not overflow.
  Matrix huge(1, 2);
  huge << 200.0f, -200.0f;
  Matrix t(1, 2);
  t << 0.0f, 1.0f;
  EXPECT_NEAR(BceWithLogits(huge, t, nullptr), 200.0f, 1e-3);
}

TEST(GradCheck, EwcPenalty) {
  Rng rng(19);
  Random init(20);
  Linear layer("ewc", 3, 2, init);
  ParameterSet params;
  layer.CollectParameters(params);
  Randomize(params, rng);
  std::vector<Matrix> fisher;
  for (const Parameter* p : params) fisher.push_back(RandomMatrix(p->value.rows(), p->value.cols(), rng).cwiseAbs());
  Ewc ewc(params, fisher, 2.5f);
  EXPECT_EQ(ewc.Penalty(params), 0.0);  // at the anchor
  Randomize(params, rng);               // move away from it
  EXPECT_GT(ewc.Penalty(params), 0.0);
  EXPECT_TRUE(ParametersMatch(params, [&] { return ewc.Penalty(params); }, [&] {
    params.ZeroGrad();
    ewc.AddGradient(params);
  }));
}

// The refiner's training loss from Refine's outputs alone (query term +
// feedback-consistency term), in double and written out independently of
// AccumulateGradients.
double RefinerLoss(const QueryRefiner& model, const CandidateGraph& graph, const std::vector<uint8_t>& positive,
                   float temperature, float consistency_weight) {
  const Matrix e = model.RefineEmbeddings(graph);
  const int k = static_cast<int>(positive.size());
  double total = InfoNcePerPositive(CosineScores(e.row(0), e.bottomRows(k), nullptr), positive, temperature, nullptr);
  double consistency = 0;
  int anchors = 0;
  for (int a = 0; a < k; ++a) {
    if (!positive[a]) continue;
    ++anchors;
    Matrix others(k - 1, e.cols());
    std::vector<uint8_t> pos;
    for (int j = 0, row = 0; j < k; ++j) {
      if (j == a) continue;
      others.row(row++) = e.row(j + 1);
      pos.push_back(positive[j]);
    }
    consistency += InfoNcePerPositive(CosineScores(e.row(a + 1), others, nullptr), pos, temperature, nullptr);
  }
  return total + consistency_weight * consistency / anchors;
}

// The small refiner of the whole-refiner checks: 10 inputs, width 8, 2 heads,
// 2 hops, temperature 0.5 and the feedback-consistency term (weight 0.7), as
// RefinerLoss is called with below.
QueryRefinerConfig SmallRefinerConfig(uint64_t seed) {
  QueryRefinerConfig config;
  config.input_dim = 10;
  config.hidden_dim = 8;
  config.heads = 2;
  config.hops = 2;
  config.temperature = 0.5f;
  config.edge_alpha = 0.8f;
  config.edge_beta = 0.5f;
  config.consistency_weight = 0.7f;
  config.seed = seed;
  return config;
}

// A query and 6 candidates drawn from clusters (`data_seed`), linked unevenly,
// one candidate without links.
CandidateGraph SmallCandidateGraph(uint64_t data_seed) {
  nvtest::Dataset data = nvtest::Clustered(7, 10, data_seed, 2, 0.5);
  std::vector<const float*> candidates;
  for (uint32_t i = 1; i < 7; ++i) candidates.push_back(data.row(i));
  const Adjacency links = Adjacency::FromLists({{1, 2}, {0}, {0, 3}, {2, 4}, {}, {4}});
  return BuildCandidateGraph(data.row(0), candidates, 10, links);  // copies the rows
}

TEST(GradCheck, WholeQueryRefiner) {
  Rng rng(21);
  QueryRefinerConfig config = SmallRefinerConfig(5);
  config.projection_hidden = 6;  // the MLP projection, so ReLU is checked too
  auto created = QueryRefiner::Create(config);
  ASSERT_TRUE(created.ok()) << created.status().message();
  QueryRefiner model = created.take();
  ParameterSet params = model.Parameters();
  Randomize(params, rng, 0.3);
  const CandidateGraph graph = SmallCandidateGraph(22);
  ASSERT_TRUE(graph.adjacency.Validate().ok());
  const std::vector<uint8_t> positive = {1, 0, 1, 0, 0, 1};
  auto loss = [&] { return RefinerLoss(model, graph, positive, 0.5f, 0.7f); };
  EXPECT_TRUE(ParametersMatch(params, loss, [&] {
    params.ZeroGrad();
    Random unused(0);
    const float l = model.AccumulateGradients(graph, positive, unused);
    EXPECT_NEAR(l, loss(), 1e-4);
  }));
}

// The gradient with respect to each edge's logit offset (what per-link weights,
// edge_memory.h, learn from) through message passing, attention and both loss
// terms, against finite differences of the offsets.
TEST(GradCheck, WholeQueryRefinerPerEdgeOffsets) {
  Rng rng(23);
  QueryRefiner model = QueryRefiner::Create(SmallRefinerConfig(6)).take();
  Randomize(model.Parameters(), rng, 0.3);
  CandidateGraph graph = SmallCandidateGraph(24);
  graph.features.offset.resize(graph.adjacency.num_edges());
  for (float& o : graph.features.offset) o = static_cast<float>(0.5 * rng.Normal());
  const std::vector<uint8_t> positive = {1, 0, 1, 0, 0, 1};
  Random unused(0);
  std::vector<float> analytic;
  model.AccumulateGradients(graph, positive, unused, &analytic);
  ASSERT_EQ(analytic.size(), graph.features.offset.size());
  auto loss = [&] { return RefinerLoss(model, graph, positive, 0.5f, 0.7f); };
  // The offsets' gradients are small (1e-4..1e-2) beside a loss of about 2,
  // whose float rounding differs between builds (wasm sums in another order):
  // a wider step keeps the finite differences above that noise (the loss is
  // smooth in the offsets: they only pass through sigmoids).
  nvtest::GradCheckOptions options;
  options.step = 2e-2;
  EXPECT_TRUE(nvtest::Agree({nvtest::SampleGradient("edge offsets", graph.features.offset.data(), analytic.data(),
                                                    analytic.size(), loss, options)},
                            options));  // Agree also refuses an all-zero gradient
}

}  // namespace
}  // namespace neurovec::learning
