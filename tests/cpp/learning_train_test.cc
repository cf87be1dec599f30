// Training machinery of the learning engine: Adam, schedules, clipping, EWC's
// Fisher estimate, the replay reservoir, adjacency views over a real HNSW graph,
// and reproducible training of the query refiner.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "grad_check.h"
#include "hnsw/hnsw_graph.h"
#include "learning/adam.h"
#include "learning/adjacency.h"
#include "learning/edge_memory.h"
#include "learning/ewc.h"
#include "learning/gradient_clipping.h"
#include "learning/lr_schedule.h"
#include "learning/refiner_trainer.h"
#include "learning/replay_buffer.h"
#include "storage/vector_store.h"

namespace neurovec::learning {
namespace {

using nvtest::Rng;

TEST(Adam, ConvergesOnAQuadratic) {
  // f(x) = sum_i c_i (x_i - t_i)^2 with very different curvatures c_i.
  Parameter x("x", 1, 4);
  x.value << 5.0f, -3.0f, 0.5f, 10.0f;
  const Eigen::RowVector4f target(1.0f, 2.0f, -1.0f, 0.0f);
  const Eigen::RowVector4f curvature(0.1f, 1.0f, 10.0f, 100.0f);
  ParameterSet params;
  params.Add(&x);
  Adam adam;
  for (int step = 0; step < 3000; ++step) {
    x.grad = 2.0f * curvature.cwiseProduct(x.value.row(0) - target);
    adam.Step(params, 0.05f);
  }
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(x.value(0, i), target(i), 1e-2) << i;
  EXPECT_EQ(adam.steps(), 3000u);
}

TEST(Adam, DecoupledWeightDecayShrinksWithoutGradient) {
  Parameter w("w", 1, 1);
  w.value(0, 0) = 2.0f;
  ParameterSet params;
  params.Add(&w);
  AdamConfig config;
  config.weight_decay = 0.1f;
  Adam adam(config);
  adam.Step(params, 0.5f);  // grad 0: only the decay acts, theta *= (1 - lr * wd)
  EXPECT_NEAR(w.value(0, 0), 2.0f * (1.0f - 0.05f), 1e-6);
}

TEST(LrSchedule, DocumentedValues) {
  LrSchedule cosine;
  cosine.kind = LrSchedule::Kind::kWarmupCosine;
  cosine.base = 1.0f;
  cosine.min = 0.1f;
  cosine.warmup_steps = 10;
  cosine.total_steps = 110;
  ASSERT_TRUE(cosine.Validate().ok());
  EXPECT_FLOAT_EQ(cosine.At(0), 0.1f);   // (0+1)/10
  EXPECT_FLOAT_EQ(cosine.At(4), 0.5f);
  EXPECT_FLOAT_EQ(cosine.At(9), 1.0f);
  EXPECT_FLOAT_EQ(cosine.At(10), 1.0f);  // cosine starts at base
  EXPECT_NEAR(cosine.At(60), 0.55f, 1e-6);  // halfway: (base + min) / 2
  EXPECT_NEAR(cosine.At(110), 0.1f, 1e-6);
  EXPECT_NEAR(cosine.At(1000), 0.1f, 1e-6);

  LrSchedule step;
  step.kind = LrSchedule::Kind::kStep;
  step.base = 0.1f;
  step.step_size = 100;
  step.gamma = 0.5f;
  EXPECT_FLOAT_EQ(step.At(0), 0.1f);
  EXPECT_FLOAT_EQ(step.At(99), 0.1f);
  EXPECT_FLOAT_EQ(step.At(100), 0.05f);
  EXPECT_FLOAT_EQ(step.At(250), 0.025f);

  LrSchedule constant;
  EXPECT_FLOAT_EQ(constant.At(12345), 1e-3f);

  LrSchedule bad = cosine;
  bad.total_steps = 5;
  EXPECT_EQ(bad.Validate().code(), StatusCode::kInvalidArgument);
}

TEST(GradientClipping, CapsTheGlobalNorm) {
  Parameter a("a", 2, 2), b("b", 1, 3);
  a.grad << 3, 0, 0, 4;  // norm 5
  b.grad << 0, 12, 0;    // norm 12; global 13
  ParameterSet params;
  params.Add(&a);
  params.Add(&b);
  const Matrix direction = b.grad;
  EXPECT_NEAR(ClipGradientsByGlobalNorm(params, 1.3), 13.0, 1e-5);
  EXPECT_NEAR(params.GradNorm(), 1.3, 1e-5);
  EXPECT_NEAR(b.grad(0, 1), 1.2f, 1e-5);  // same direction, scaled by 0.1
  // Below the cap nothing changes.
  EXPECT_NEAR(ClipGradientsByGlobalNorm(params, 10.0), 1.3, 1e-5);
  EXPECT_NEAR(params.GradNorm(), 1.3, 1e-5);
}

TEST(Ewc, FisherIsTheMeanSquaredGradient) {
  Parameter p("p", 1, 2);
  ParameterSet params;
  params.Add(&p);
  FisherEstimator fisher;
  p.grad << 1, -2;
  fisher.AddSample(params);
  p.grad << 3, 0;
  fisher.AddSample(params);
  const std::vector<Matrix> f = fisher.Mean();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_FLOAT_EQ(f[0](0, 0), 5.0f);  // (1 + 9) / 2
  EXPECT_FLOAT_EQ(f[0](0, 1), 2.0f);  // (4 + 0) / 2
  // Penalty: lambda/2 * sum F (theta - anchor)^2.
  p.value << 0, 0;
  Ewc ewc(params, f, 2.0f);
  p.value << 1, 3;
  EXPECT_NEAR(ewc.Penalty(params), 1.0 * (5 * 1 + 2 * 9), 1e-5);
}

TEST(ReplayBuffer, ReservoirKeepsAUniformSample) {
  // 1000 streams of 100 items into a reservoir of 10: each item should be kept
  // with probability 0.1, i.e. about 100 times. Chi-square over the 100 items
  // with 99 degrees of freedom: the 0.999 quantile is about 148.
  const int items = 100, capacity = 10, trials = 1000;
  std::vector<int> kept(items, 0);
  for (int t = 0; t < trials; ++t) {
    ReservoirBuffer<int> buffer(capacity, 1000 + t);
    for (int i = 0; i < items; ++i) buffer.Add(i);
    ASSERT_EQ(buffer.size(), static_cast<size_t>(capacity));
    for (int v : buffer.items()) ++kept[v];
  }
  const double expected = static_cast<double>(trials) * capacity / items;
  double chi2 = 0;
  for (int c : kept) chi2 += (c - expected) * (c - expected) / expected;
  EXPECT_LT(chi2, 148.0);
  // The first and the last items are as likely as the middle ones (no bias to
  // early or late items, the classic reservoir bugs).
  double first_half = 0;
  for (int i = 0; i < items / 2; ++i) first_half += kept[i];
  EXPECT_NEAR(first_half / (trials * capacity), 0.5, 0.03);
  ReservoirBuffer<int> small(4, 1);
  small.Add(7);
  EXPECT_EQ(small.Sample(3), std::vector<int>({7, 7, 7}));
  EXPECT_EQ(small.seen(), 1u);
}

TEST(ReservoirBuffer, WithAHalfLifeKeepsTheLatestAndReplaysByRecency) {
  // half_life 20: the last `capacity` items, the item of age a drawn with
  // probability proportional to 2^(-a / 20).
  const int capacity = 100;
  ReservoirBuffer<int> buffer(capacity, 5, 20);
  for (int i = 0; i < 250; ++i) buffer.Add(i);
  ASSERT_EQ(buffer.size(), static_cast<size_t>(capacity));
  std::vector<int> kept = buffer.items();
  std::sort(kept.begin(), kept.end());
  for (int i = 0; i < capacity; ++i) EXPECT_EQ(kept[i], 150 + i);  // the oldest left first
  const std::vector<int> drawn = buffer.Sample(20000);
  std::vector<double> by_age(capacity, 0);
  for (int v : drawn) ++by_age[249 - v];
  // Expected share of ages 0..19 (one half-life) among 0..99: (1 - 2^-1) / (1 - 2^-5).
  double young = 0;
  for (int a = 0; a < 20; ++a) young += by_age[a];
  EXPECT_NEAR(young / drawn.size(), 0.5 / (1 - std::pow(2.0, -5)), 0.015);
  // Each half-life halves the rate: ages 20..39 against 0..19.
  double next = 0;
  for (int a = 20; a < 40; ++a) next += by_age[a];
  EXPECT_NEAR(next / young, 0.5, 0.05);
  // Before it is full, the newest is still age 0.
  ReservoirBuffer<int> young_buffer(capacity, 6, 1);
  for (int i = 0; i < 10; ++i) young_buffer.Add(i);
  int newest = 0;
  for (int v : young_buffer.Sample(1000)) newest += v == 9;
  EXPECT_NEAR(newest / 1000.0, 0.5, 0.05);  // half-life 1: age 0 has weight 1 of ~2
  ReservoirBuffer<int> none(0, 7, 10);
  none.Add(1);
  EXPECT_TRUE(none.Sample(3).empty());
}

TEST(Adjacency, FromARealHnswGraphLevelByLevel) {
  nvtest::Dataset data = nvtest::Clustered(300, 8, 31);
  VectorStore store(8, Metric::kL2);
  HnswGraph graph(4, 40, 7);
  ASSERT_TRUE(store.Reserve(300).ok());
  ASSERT_TRUE(graph.Reserve(300).ok());
  SearchContext ctx;
  for (uint32_t i = 0; i < 300; ++i) {
    store.Store(i, data.row(i));
    graph.PrepareSlot(i, graph.DrawLevel());
    graph.Insert(i, store, ctx);
  }
  ASSERT_GE(graph.max_level(), 1);
  std::vector<uint32_t> slots;
  for (uint32_t i = 0; i < 300; i += 3) slots.push_back(i);
  Adjacency level0 = AdjacencyFromHnswLevel(graph, 0, slots);
  ASSERT_TRUE(level0.Validate().ok());
  EXPECT_GT(level0.num_edges(), 0u);
  EXPECT_EQ(level0.node_ids, slots);
  // Every edge is an HNSW link between two selected slots.
  for (uint32_t i = 0; i < level0.num_nodes(); ++i) {
    const uint32_t* links = graph.LinksOf(slots[i], 0);
    for (uint32_t e = level0.begin(i); e < level0.end(i); ++e) {
      const uint32_t target = slots[level0.neighbors[e]];
      EXPECT_NE(std::find(links + 1, links + 1 + links[0], target), links + 1 + links[0]);
    }
  }
  // Upper level: only slots that reach it have neighbours.
  Adjacency level1 = AdjacencyFromHnswLevel(graph, 1, slots);
  ASSERT_TRUE(level1.Validate().ok());
  for (uint32_t i = 0; i < level1.num_nodes(); ++i) {
    if (graph.level(slots[i]) < 1) {
      EXPECT_EQ(level1.degree(i), 0u);
    }
  }
  EXPECT_LT(level1.num_edges(), level0.num_edges());
  const std::vector<float> overlap = JaccardOverlap(level0);
  for (float o : overlap) {
    EXPECT_GT(o, 0.0f);  // both endpoints are in both sets
    EXPECT_LE(o, 1.0f);
  }
  Adjacency bad = level0;
  bad.neighbors[0] = 100000;
  EXPECT_EQ(bad.Validate().code(), StatusCode::kInvalidArgument);
}

// Feedback on two Gaussian classes that overlap in L2: the refiner learns to
// rank same-class candidates first.
std::vector<FeedbackExample> ToyFeedback(uint32_t count, uint64_t seed) {
  Rng rng(seed);
  const int dim = 12, k = 12;
  std::vector<FeedbackExample> out;
  std::vector<float> buffer(static_cast<size_t>(k + 1) * dim);
  for (uint32_t q = 0; q < count; ++q) {
    std::vector<int> label(k + 1);
    for (int i = 0; i <= k; ++i) {
      label[i] = static_cast<int>(rng.Below(2));
      for (int j = 0; j < dim; ++j) {
        // Class shows in dimension 0 only; the rest is noise that dominates L2.
        buffer[i * dim + j] = static_cast<float>(j == 0 ? (label[i] ? 1.0 : -1.0) * 0.7 + 0.3 * rng.Normal() : rng.Normal());
      }
    }
    std::vector<const float*> candidates;
    for (int i = 1; i <= k; ++i) candidates.push_back(buffer.data() + i * dim);
    Adjacency links;
    FeedbackExample e;
    e.graph = BuildCandidateGraph(buffer.data(), candidates, dim, links);
    for (int i = 1; i <= k; ++i) e.positive.push_back(label[i] == label[0]);
    out.push_back(std::move(e));
  }
  return out;
}

double ToyPrecision(const QueryRefiner& model, const std::vector<FeedbackExample>& examples) {
  double hits = 0;
  for (const FeedbackExample& e : examples) {
    Eigen::VectorXf s = model.Refine(e.graph).scores;
    std::vector<int> order(s.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return s(a) > s(b); });
    for (int i = 0; i < 3; ++i) hits += e.positive[order[i]];
  }
  return hits / (3.0 * examples.size());
}

QueryRefiner ToyModel() {
  QueryRefinerConfig c;
  c.input_dim = 12;
  c.hidden_dim = 16;
  c.heads = 2;
  c.hops = 1;
  c.temperature = 0.2f;
  c.dropout = 0.1f;
  c.seed = 3;
  return QueryRefiner::Create(c).take();
}

std::string TrainToy(QueryRefiner& model, uint32_t threads) {
  TrainerConfig config;
  config.schedule.kind = LrSchedule::Kind::kWarmupCosine;
  config.schedule.base = 0.01f;
  config.schedule.warmup_steps = 5;
  config.schedule.total_steps = 60;
  config.adam.weight_decay = 0.01f;
  config.threads = threads;
  RefinerTrainer trainer(&model, config);
  const std::vector<FeedbackExample> train = ToyFeedback(480, 41);
  for (size_t start = 0; start + 8 <= train.size(); start += 8) {
    std::vector<FeedbackExample> batch(train.begin() + start, train.begin() + start + 8);
    trainer.TrainBatch(batch);
  }
  ParameterSet p = model.Parameters();
  std::string bytes;
  for (const Parameter* q : p) bytes.append(reinterpret_cast<const char*>(q->value.data()), q->value.size() * sizeof(float));
  return bytes;
}

TEST(EdgeMemory, StepsAgainstTheGradientPerUndirectedLink) {
  EdgeMemory m(EdgeMemoryConfig{0.5f, 0});
  EXPECT_EQ(m.Offset(3, 7, 0.9f), 0.0f);  // unknown link: the global model alone
  // Both directions of one link, and a second link, in one batch.
  m.Apply({{3, 7, 0.9f, -0.2f}, {7, 3, 0.9f, -0.1f}, {1, 2, 0.1f, 0.4f}});
  EXPECT_EQ(m.size(), 2u);
  // Adagrad's first step is the rate times the gradient's sign.
  EXPECT_NEAR(m.Offset(3, 7, 0.9f), 0.5f, 1e-5);
  EXPECT_NEAR(m.Offset(7, 3, 0.9f), 0.5f, 1e-5);
  EXPECT_NEAR(m.Offset(2, 1, 0.1f), -0.5f, 1e-5);
  // The second step is smaller: its squared gradients add up.
  m.Apply({{3, 7, 0.9f, -0.3f}});
  EXPECT_NEAR(m.Offset(3, 7, 0.9f), 0.5f + 0.5f * 0.3f / std::sqrt(0.09f + 0.09f), 1e-5);
  // A disabled memory learns nothing.
  EdgeMemory off;
  off.Apply({{3, 7, 0.9f, -0.2f}});
  EXPECT_EQ(off.size(), 0u);
}

TEST(EdgeMemory, ForgetsAReusedSlotAndFadesWithItsHalfLife) {
  EdgeMemory m(EdgeMemoryConfig{1.0f, 100});
  m.Apply({{4, 5, 0.8f, -1.0f}});
  EXPECT_NEAR(m.Offset(4, 5, 0.8f), 1.0f, 1e-6);
  // Another item in slot 5 (the endpoints' cosine changed): the offset is not its.
  EXPECT_EQ(m.Offset(4, 5, 0.1f), 0.0f);
  m.Tick(100);
  EXPECT_NEAR(m.Offset(4, 5, 0.8f), 0.5f, 1e-6);
  m.Tick(100);
  EXPECT_NEAR(m.Offset(4, 5, 0.8f), 0.25f, 1e-6);
  // A step on the other item starts the link afresh.
  m.Apply({{4, 5, 0.1f, 1.0f}});
  EXPECT_NEAR(m.Offset(4, 5, 0.1f), -1.0f, 1e-6);
  EXPECT_EQ(m.Offset(4, 5, 0.8f), 0.0f);
}

TEST(EdgeMemory, BoundedByItsCapacity) {
  EdgeMemory m(EdgeMemoryConfig{1.0f, 10, 2});
  m.Apply({{0, 1, 0.5f, 1.0f}, {0, 2, 0.5f, 1.0f}});
  m.Apply({{0, 3, 0.5f, 1.0f}});  // full, and nothing has faded: not learned
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m.Offset(0, 3, 0.5f), 0.0f);
  m.Tick(1000);  // 100 half-lives: the old offsets are negligible and make room
  m.Apply({{0, 3, 0.5f, 1.0f}});
  EXPECT_EQ(m.size(), 1u);
  EXPECT_NEAR(m.Offset(0, 3, 0.5f), -1.0f, 1e-6);
}

TEST(EdgeMemory, BytesRoundTripAndRefuseCorruption) {
  EdgeMemory m(EdgeMemoryConfig{0.3f, 50});
  for (uint32_t i = 0; i < 20; ++i) {
    m.Apply({{i, i + 1, 0.01f * i, (i % 2 ? 1.0f : -1.0f) * (i + 1)}});
    m.Tick(3);
  }
  const std::string bytes = m.Serialize();
  EdgeMemory back(EdgeMemoryConfig{0.3f, 50});
  ASSERT_TRUE(back.Restore(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).ok());
  EXPECT_EQ(back.Serialize(), bytes);
  EXPECT_EQ(back.clock(), m.clock());
  for (uint32_t i = 0; i < 20; ++i) EXPECT_EQ(back.Offset(i + 1, i, 0.01f * i), m.Offset(i, i + 1, 0.01f * i));
  // Cut short, one byte too many, and a link stored the wrong way round: refused, nothing changed.
  for (size_t cut : {size_t{3}, size_t{16}, bytes.size() - 1}) {
    EXPECT_EQ(back.Restore(reinterpret_cast<const uint8_t*>(bytes.data()), cut).code(), StatusCode::kCorrupt);
  }
  std::string longer = bytes + '\0';
  EXPECT_EQ(back.Restore(reinterpret_cast<const uint8_t*>(longer.data()), longer.size()).code(), StatusCode::kCorrupt);
  std::string swapped = bytes;
  std::swap(swapped[16], swapped[20]);  // first entry: u = 1, v = 0
  EXPECT_EQ(back.Restore(reinterpret_cast<const uint8_t*>(swapped.data()), swapped.size()).code(), StatusCode::kCorrupt);
  EXPECT_EQ(back.Serialize(), bytes);
}

TEST(RefinerTrainer, LearnsAndIsBitReproducible) {
  const std::vector<FeedbackExample> test = ToyFeedback(200, 42);
  QueryRefiner a = ToyModel();
  const double before = ToyPrecision(a, test);
  const std::string trained_a = TrainToy(a, 2);
  const double after = ToyPrecision(a, test);
  EXPECT_GT(after, before + 0.1) << "precision@3 before " << before << ", after " << after;
  // Same seed, data and thread count: the same bits.
  QueryRefiner b = ToyModel();
  EXPECT_EQ(TrainToy(b, 2), trained_a);
}

}  // namespace
}  // namespace neurovec::learning
