// VectorIndex learns from feedback (issue 5): Feedback, Train, the search
// modes, and the learned parameters in the index file. Runs natively and in
// wasm (tests/cpp/CMakeLists.txt).
//
// Data: clusters whose class shows only in a few low-variance dimensions,
// hidden under larger noise in the others, so L2 neighbours are often of
// another class and a learned projection can do much better.
#include <gtest/gtest.h>


#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numeric>
#include <unordered_set>

#include "index/click_memory.h"
#include "index/learning_hooks.h"
#include "neurovec/learning.h"
#include "neurovec/vector_index.h"
#include "util/random.h"

namespace {

using namespace neurovec;

constexpr uint32_t kDim = 32;
constexpr uint32_t kSignalDims = 4;
constexpr uint32_t kClasses = 8;

struct Labeled {
  std::vector<float> vectors;
  std::vector<uint32_t> labels;
};

float Gaussian(Random& r) {
  return static_cast<float>(std::sqrt(-2.0 * std::log(r.NextUnit())) * std::cos(6.283185307179586 * r.NextUnit()));
}

Labeled MakeData(uint32_t n, uint64_t seed) {
  Random centers_rng(1234);  // the same class centres for every call
  std::vector<float> centers(kClasses * kSignalDims);
  for (float& c : centers) c = 2.0f * Gaussian(centers_rng);
  Random r(seed);
  Labeled d;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t label = static_cast<uint32_t>(r.NextBelow(kClasses));
    d.labels.push_back(label);
    for (uint32_t j = 0; j < kDim; ++j) {
      d.vectors.push_back(j < kSignalDims ? centers[label * kSignalDims + j] + 0.5f * Gaussian(r) : 1.5f * Gaussian(r));
    }
  }
  return d;
}

struct Fixture {
  std::unique_ptr<VectorIndex> index;
  Labeled base;
  Labeled queries;
};

LearningConfig SmallConfig() {
  LearningConfig c;
  c.candidates = 40;
  c.hidden_dim = 32;
  c.heads = 4;
  c.batch_size = 16;
  return c;
}

Fixture Build(uint64_t seed = 42) {
  learning::EnableLearning();
  Fixture f;
  IndexConfig config;
  config.dimensions = kDim;
  config.metric = Metric::kL2;
  config.seed = seed;
  f.index = VectorIndex::Create(config).take();
  EXPECT_TRUE(f.index->ConfigureLearning(SmallConfig()).ok());
  f.base = MakeData(2000, 7);
  f.queries = MakeData(500, 99);
  std::vector<ItemKey> keys;
  for (uint32_t i = 0; i < 2000; ++i) keys.push_back(ItemKey::Number(i));
  EXPECT_TRUE(f.index->AddBatch(keys, f.base.vectors.data(), {}, BatchOptions{}).ok());
  return f;
}

// Builds an index over f.base with `c` as its learning options.
std::unique_ptr<VectorIndex> IndexWith(const Fixture& f, const LearningConfig& c) {
  IndexConfig config;
  config.dimensions = kDim;
  config.metric = Metric::kL2;
  auto index = VectorIndex::Create(config).take();
  EXPECT_TRUE(index->ConfigureLearning(c).ok());
  std::vector<ItemKey> keys;
  for (uint32_t i = 0; i < 2000; ++i) keys.push_back(ItemKey::Number(i));
  EXPECT_TRUE(index->AddBatch(keys, f.base.vectors.data(), {}, BatchOptions{}).ok());
  return index;
}

// Feedback of the first `n` queries: of the vector search's candidates, those
// of the query's class are positives, the others negatives (slot == id here).
void GiveFeedback(Fixture& f, uint32_t n) {
  SearchParams p;
  p.k = f.index->learning_config().candidates;
  for (uint32_t q = 0; q < n; ++q) {
    const float* query = f.queries.vectors.data() + q * kDim;
    auto hits = f.index->Search(query, p).take();
    std::vector<uint32_t> pos, neg;
    for (const SearchHit& h : hits) (f.base.labels[h.slot] == f.queries.labels[q] ? pos : neg).push_back(h.slot);
    if (pos.empty()) continue;
    ASSERT_TRUE(f.index->FeedbackSlots(query, pos, neg).ok());
  }
}

double Precision(const Fixture& f, SearchMode mode, uint32_t from, uint32_t to) {
  SearchParams p;
  p.k = 10;
  double hits = 0;
  for (uint32_t q = from; q < to; ++q) {
    auto r = f.index->SearchLearned(f.queries.vectors.data() + q * kDim, p, mode);
    EXPECT_TRUE(r.ok()) << r.status().message();
    for (const LearnedHit& h : r.value().hits) hits += f.base.labels[h.slot] == f.queries.labels[q];
  }
  return hits / (10.0 * (to - from));
}

// A fixture whose refiner learned (epochs) from the feedback of the first `feedback` queries.
Fixture Trained(uint32_t feedback = 100, uint32_t epochs = 2) {
  Fixture f = Build();
  GiveFeedback(f, feedback);
  TrainOptions o;
  o.epochs = epochs;
  EXPECT_TRUE(f.index->Train(o).ok());
  return f;
}

// The index read back from its own bytes: a fresh copy, with nothing cached.
std::unique_ptr<VectorIndex> Reloaded(const VectorIndex& index) {
  const std::string bytes = index.SaveToBytes();
  auto loaded = VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  EXPECT_TRUE(loaded.ok()) << loaded.status().message();
  return loaded.ok() ? loaded.take() : nullptr;
}

// Neural top 10 of queries [from, to) agree between `a` and `b`: the same
// slots, and with `scores` bit-identical scores. Names the first difference.
testing::AssertionResult SameNeuralResults(const Fixture& f, const VectorIndex& a, const VectorIndex& b, uint32_t from,
                                           uint32_t to, bool scores) {
  SearchParams p;
  p.k = 10;
  for (uint32_t q = from; q < to; ++q) {
    const float* query = f.queries.vectors.data() + q * kDim;
    auto x = a.SearchLearned(query, p, SearchMode::kNeural);
    auto y = b.SearchLearned(query, p, SearchMode::kNeural);
    if (!x.ok() || !y.ok()) return testing::AssertionFailure() << "query " << q << ": a neural search failed";
    const auto& hx = x.value().hits;
    const auto& hy = y.value().hits;
    if (hx.size() != hy.size()) return testing::AssertionFailure() << "query " << q << ": " << hx.size() << " vs " << hy.size() << " hits";
    for (size_t i = 0; i < hx.size(); ++i) {
      if (hx[i].slot != hy[i].slot || (scores && hx[i].score != hy[i].score)) {
        return testing::AssertionFailure() << "query " << q << ", rank " << i << ": slot " << hx[i].slot << " score "
                                           << hx[i].score << " vs slot " << hy[i].slot << " score " << hy[i].score;
      }
    }
  }
  return testing::AssertionSuccess();
}


// A learning option set to `value` travels with the file together with the
// model: the reloaded index has it, ranks as the original does (with `scores`,
// bit for bit) and writes the same bytes.
void ExpectOptionTravelsWithTheFile(const Fixture& f, uint32_t LearningConfig::*option, uint32_t value, bool scores) {
  auto loaded = Reloaded(*f.index);
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->learning_config().*option, value);
  EXPECT_TRUE(SameNeuralResults(f, *f.index, *loaded, 450, 460, scores));
  EXPECT_EQ(loaded->SaveToBytes(), f.index->SaveToBytes());
}

// One past its maximum, a learning option is refused by Validate.
void ExpectRefusedPastMaximum(uint32_t LearningConfig::*option, uint32_t maximum) {
  LearningConfig bad = SmallConfig();
  bad.*option = maximum + 1;
  EXPECT_EQ(bad.Validate().code(), StatusCode::kInvalidArgument);
}

TEST(LearningIndex, WithoutTheEngineLearningCallsFailClearly) {
  SetLearnerFactory(nullptr);
  IndexConfig config;
  config.dimensions = 4;
  auto index = VectorIndex::Create(config).take();
  const float v[4] = {1, 2, 3, 4};
  ASSERT_TRUE(index->Add(ItemKey::Number(1), v).ok());
  Status s = index->Feedback(v, {ItemKey::Number(1)}, {});
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("EnableLearning"), std::string::npos) << s.message();
  learning::EnableLearning();
}

TEST(LearningIndex, RejectsBadFeedbackAndOptions) {
  Fixture f = Build();
  const float* q = f.queries.vectors.data();
  EXPECT_EQ(f.index->Feedback(q, {}, {ItemKey::Number(1)}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(f.index->Feedback(q, {ItemKey::Number(99999)}, {}).code(), StatusCode::kNotFound);
  EXPECT_EQ(f.index->Feedback(q, {ItemKey::Number(1)}, {ItemKey::Number(1)}).code(), StatusCode::kInvalidArgument);
  std::vector<float> nan(kDim, NAN);
  EXPECT_EQ(f.index->Feedback(nan.data(), {ItemKey::Number(1)}, {}).code(), StatusCode::kInvalidArgument);
  LearningConfig bad;
  bad.hidden_dim = 30;  // not a multiple of 4 heads
  EXPECT_EQ(f.index->ConfigureLearning(bad).code(), StatusCode::kInvalidArgument);
  SearchParams p;
  EXPECT_EQ(f.index->SearchLearned(q, p, SearchMode::kNeural).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(f.index->Train(TrainOptions{}).status().code(), StatusCode::kFailedPrecondition);  // no feedback
  ASSERT_TRUE(f.index->Feedback(q, {ItemKey::Number(1)}, {ItemKey::Number(2)}).ok());
  EXPECT_EQ(f.index->ConfigureLearning(SmallConfig()).code(), StatusCode::kFailedPrecondition);  // fixed now
  TrainOptions zero;
  zero.epochs = 0;
  EXPECT_EQ(f.index->Train(zero).status().code(), StatusCode::kInvalidArgument);
}

TEST(LearningIndex, TrainingFromFeedbackBeatsVectorSearch) {
  Fixture f = Build();
  GiveFeedback(f, 300);
  const double vector_p = Precision(f, SearchMode::kVector, 400, 500);
  TrainOptions o;
  o.epochs = 8;
  uint64_t calls = 0;
  auto done = f.index->Train(o, [&](const TrainProgress&) { return ++calls > 0; });
  ASSERT_TRUE(done.ok()) << done.status().message();
  EXPECT_TRUE(done.value().done);
  EXPECT_EQ(calls, done.value().batches_total);
  const double neural_p = Precision(f, SearchMode::kNeural, 400, 500);
  std::printf("held-out precision@10: vector %.3f, neural %.3f\n", vector_p, neural_p);
  EXPECT_GT(neural_p, vector_p + 0.10);
}

TEST(LearningIndex, LearnedParametersSurviveTheFileAndGiveIdenticalResults) {
  Fixture f = Trained();
  const std::string bytes = f.index->SaveToBytes();
  auto loaded = Reloaded(*f.index);
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->learning_config().candidates, SmallConfig().candidates);
  EXPECT_TRUE(SameNeuralResults(f, *f.index, *loaded, 400, 420, true));  // bit-identical parameters
  // Saving what was loaded gives the same bytes (learning section included).
  EXPECT_EQ(loaded->SaveToBytes(), bytes);

  // A build without the engine keeps the section and writes it back unchanged.
  SetLearnerFactory(nullptr);
  auto plain = VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain.value()->SaveToBytes(), bytes);
  EXPECT_EQ(plain.value()->SearchLearned(f.queries.vectors.data(), SearchParams{}, SearchMode::kNeural).status().code(),
            StatusCode::kFailedPrecondition);
  learning::EnableLearning();
}

TEST(LearningIndex, SubgraphAndDifferentiableModes) {
  Fixture f = Trained();
  SearchParams p;
  p.k = 10;
  const float* query = f.queries.vectors.data() + 450 * kDim;
  auto neural = f.index->SearchLearned(query, p, SearchMode::kNeural).take();
  auto sub = f.index->SearchLearned(query, p, SearchMode::kSubgraph).take();
  ASSERT_EQ(sub.hits.size(), 10u);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(sub.hits[i].slot, neural.hits[i].slot);
  ASSERT_FALSE(sub.edges.empty());
  for (const LearnedEdge& e : sub.edges) {
    ASSERT_LT(e.from, 10u);
    ASSERT_LT(e.to, 10u);
    EXPECT_GT(e.weight, 0.0f);
    EXPECT_LE(e.weight, 1.0f);
  }
  auto diff = f.index->SearchLearned(query, p, SearchMode::kDifferentiable, 0.05f).take();
  ASSERT_EQ(diff.attention.size(), SmallConfig().candidates);
  ASSERT_EQ(diff.candidate_slots.size(), diff.attention.size());
  double sum = 0;
  std::vector<double> soft(kDim, 0.0);
  for (size_t j = 0; j < diff.attention.size(); ++j) {
    sum += diff.attention[j];
    std::vector<float> v(kDim);
    f.index->GetVector(diff.candidate_slots[j], v.data());
    for (uint32_t i = 0; i < kDim; ++i) soft[i] += diff.attention[j] * v[i];
  }
  EXPECT_NEAR(sum, 1.0, 1e-5);
  for (uint32_t i = 0; i < kDim; ++i) EXPECT_NEAR(diff.soft_vector[i], soft[i], 1e-4);
  // The best-scored candidate gets the largest weight.
  const size_t best = std::max_element(diff.attention.begin(), diff.attention.end()) - diff.attention.begin();
  EXPECT_EQ(diff.candidate_slots[best], diff.hits[0].slot);
  EXPECT_EQ(f.index->SearchLearned(query, p, SearchMode::kDifferentiable, 0.0f).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(LearningIndex, AbortedTrainingLeavesTheModelAndIsSeeded) {
  Fixture f = Trained();
  Fixture g = Trained();
  TrainOptions o;
  o.epochs = 2;
  SearchParams p;
  const float* query = f.queries.vectors.data() + 410 * kDim;
  auto before = f.index->SearchLearned(query, p, SearchMode::kNeural).take();
  auto twin = g.index->SearchLearned(query, p, SearchMode::kNeural).take();
  for (size_t i = 0; i < before.hits.size(); ++i) EXPECT_EQ(before.hits[i].score, twin.hits[i].score);  // seeded

  GiveFeedback(f, 50);
  uint64_t calls = 0;
  auto aborted = f.index->Train(o, [&](const TrainProgress&) { return ++calls < 2; });
  EXPECT_EQ(aborted.status().code(), StatusCode::kAborted);
  auto after = f.index->SearchLearned(query, p, SearchMode::kNeural).take();
  for (size_t i = 0; i < before.hits.size(); ++i) EXPECT_EQ(before.hits[i].score, after.hits[i].score);
  // The feedback is still there: a second training uses it (with replay and EWC options on).
  auto again = f.index->Train(o);
  EXPECT_TRUE(again.ok()) << again.status().message();
}

TEST(LearningIndex, ContinualTrainingWithEwcAndReplayRuns) {
  learning::EnableLearning();
  Fixture f = Build();
  // A second index with EWC and replay on: training twice works and keeps precision.
  LearningConfig c = SmallConfig();
  c.ewc_lambda = 100;
  c.replay_per_batch = 4;
  f.index = IndexWith(f, c);
  GiveFeedback(f, 150);
  TrainOptions o;
  o.epochs = 4;
  ASSERT_TRUE(f.index->Train(o).ok());
  const double first = Precision(f, SearchMode::kNeural, 400, 500);
  // New feedback (other queries): EWC anchors at the first model, replay mixes old events in.
  for (uint32_t q = 150; q < 300; ++q) {
    SearchParams p;
    p.k = c.candidates;
    const float* query = f.queries.vectors.data() + q * kDim;
    std::vector<uint32_t> pos, neg;
    const std::vector<SearchHit> hits = f.index->Search(query, p).take();
    for (const SearchHit& h : hits) {
      (f.base.labels[h.slot] == f.queries.labels[q] ? pos : neg).push_back(h.slot);
    }
    if (!pos.empty()) {
      ASSERT_TRUE(f.index->FeedbackSlots(query, pos, neg).ok());
    }
  }
  ASSERT_TRUE(f.index->Train(o).ok());
  const double second = Precision(f, SearchMode::kNeural, 400, 500);
  std::printf("continual: neural precision@10 after first training %.3f, after second %.3f\n", first, second);
  EXPECT_GT(second, first - 0.05);
}


// Sparse clicks as a user gives them: of the top 10, the first one or two of
// the query's class are clicked, and the results above the last click that
// were not clicked are the negatives (the JS click form with implicit: 'above').
// With skipped_are_implicit, the skipped results are marked as implicit
// negatives (shown, not rejected), as the JS clicks form sends them.
void GiveClicks(Fixture& f, uint32_t from, uint32_t to, bool skipped_are_implicit = false) {
  SearchParams p;
  p.k = 10;
  for (uint32_t q = from; q < to; ++q) {
    const float* query = f.queries.vectors.data() + q * kDim;
    auto hits = f.index->Search(query, p).take();
    std::vector<uint32_t> pos, neg;
    const size_t want = 1 + q % 2;
    for (const SearchHit& h : hits) {
      if (pos.size() == want) break;
      (f.base.labels[h.slot] == f.queries.labels[q] ? pos : neg).push_back(h.slot);
    }
    if (pos.empty()) continue;
    ASSERT_TRUE(f.index->FeedbackSlots(query, pos, neg, skipped_are_implicit ? static_cast<uint32_t>(neg.size()) : 0).ok());
  }
}

TEST(LearningIndex, OnlineStepsLearnFromEachClickWithoutTrain) {
  Fixture f = Build();
  LearningConfig c = SmallConfig();
  c.online_steps = 2;
  f.index = IndexWith(f, c);
  const double vector_p = Precision(f, SearchMode::kVector, 400, 500);
  SearchParams p;
  EXPECT_EQ(f.index->SearchLearned(f.queries.vectors.data(), p, SearchMode::kNeural).status().code(),
            StatusCode::kFailedPrecondition);  // nothing learned yet
  GiveClicks(f, 0, 300);
  // No Train call: the clicks were learned as they came.
  const double online_p = Precision(f, SearchMode::kNeural, 400, 500);
  std::printf("held-out precision@10 after 300 sparse clicks, online: vector %.3f, neural %.3f\n", vector_p, online_p);
  EXPECT_GT(online_p, vector_p + 0.05);

  // The model and the option travel with the file (learning section version 2).
  ExpectOptionTravelsWithTheFile(f, &LearningConfig::online_steps, 2, false);
  // The learned events sit in replay: a batch Train revisits them.
  TrainOptions o;
  o.epochs = 2;
  auto trained = f.index->Train(o);
  ASSERT_TRUE(trained.ok()) << trained.status().message();
  EXPECT_GT(trained.value().examples_done, 0u);
  // And learning online goes on after it.
  GiveClicks(f, 300, 320);
  EXPECT_TRUE(f.index->SearchLearned(f.queries.vectors.data() + 450 * kDim, p, SearchMode::kNeural).ok());

  ExpectRefusedPastMaximum(&LearningConfig::online_steps, LearningConfig::kMaxOnlineSteps);
}

// Online EWC: an anchor every 128 learned events; a strong one keeps what the
// first clicks taught when later clicks contradict it (each of them names an
// item of the wrong class as the one wanted), where no anchor lets them undo it.
TEST(LearningIndex, OnlineEwcAnchorsAndKeepsEarlierLessons) {
  Fixture f = Build();
  auto run = [&](float lambda, double* after_good, uint64_t* anchors) {
    LearningConfig c = SmallConfig();
    c.online_steps = 1;
    c.ewc_lambda = lambda;
    c.replay_capacity = 0;  // EWC alone guards the first lesson
    f.index = IndexWith(f, c);
    GiveClicks(f, 0, 300);
    const VectorIndex::LearningStats s = f.index->learning_stats();
    *anchors = s.online_ewc_anchors;
    EXPECT_EQ(s.online_ewc_anchors, lambda > 0 ? s.online_steps / 128 : 0u) << s.online_steps << " events";
    *after_good = Precision(f, SearchMode::kNeural, 400, 500);
    SearchParams p;
    p.k = c.candidates;
    for (uint32_t q = 0; q < 200; ++q) {
      const float* query = f.queries.vectors.data() + q * kDim;
      std::vector<uint32_t> wrong, right;
      const std::vector<SearchHit> hits = f.index->Search(query, p).take();
      for (const SearchHit& h : hits) {
        (f.base.labels[h.slot] == f.queries.labels[q] ? right : wrong).push_back(h.slot);
      }
      if (wrong.empty()) continue;
      wrong.resize(std::min<size_t>(wrong.size(), 2));
      right.resize(std::min<size_t>(right.size(), 8));
      EXPECT_TRUE(f.index->FeedbackSlots(query, wrong, right).ok());
    }
    return Precision(f, SearchMode::kNeural, 400, 500);
  };
  double good_free = 0, good_anchored = 0;
  uint64_t anchors_free = 0, anchors = 0;
  const double free_after = run(0.0f, &good_free, &anchors_free);
  const double anchored_after = run(1e6f, &good_anchored, &anchors);
  std::printf("online EWC: precision@10 after good clicks %.3f / %.3f, after contradicting ones: no EWC %.3f, "
              "EWC (%llu anchors) %.3f\n", good_free, good_anchored, free_after, static_cast<unsigned long long>(anchors),
              anchored_after);
  EXPECT_EQ(anchors_free, 0u);
  EXPECT_GE(anchors, 2u);
  EXPECT_LT(free_after, good_free - 0.05) << "the contradicting clicks should undo an unguarded lesson";
  EXPECT_GT(anchored_after, good_anchored - 0.03) << "a strong anchor should keep it";
}

TEST(LearningIndex, ReplayHalfLifeLearnsOnlineAndTravelsWithTheFile) {
  Fixture f = Build();
  LearningConfig c = SmallConfig();
  c.online_steps = 1;
  c.replay_half_life = 50;
  f.index = IndexWith(f, c);
  const double vector_p = Precision(f, SearchMode::kVector, 400, 500);
  GiveClicks(f, 0, 300);
  const double online_p = Precision(f, SearchMode::kNeural, 400, 500);
  EXPECT_GT(online_p, vector_p + 0.05);
  // Learning section version 3 carries the half-life; a config without it is still version 1 or 2.
  ExpectOptionTravelsWithTheFile(f, &LearningConfig::replay_half_life, 50, false);
  ExpectRefusedPastMaximum(&LearningConfig::replay_half_life, LearningConfig::kMaxReplayHalfLife);
}

// Mean learned weight of the subgraph links joining two results of the query's
// class, minus that of links joining a result of its class to one of another.
double SameClassEdgeMargin(const Fixture& f, uint32_t from, uint32_t to) {
  SearchParams p;
  p.k = 10;
  double same = 0, cross = 0;
  size_t n_same = 0, n_cross = 0;
  for (uint32_t q = from; q < to; ++q) {
    auto r = f.index->SearchLearned(f.queries.vectors.data() + q * kDim, p, SearchMode::kSubgraph);
    EXPECT_TRUE(r.ok());
    const auto& hits = r.value().hits;
    for (const LearnedEdge& e : r.value().edges) {
      const bool a = f.base.labels[hits[e.from].slot] == f.queries.labels[q];
      const bool b = f.base.labels[hits[e.to].slot] == f.queries.labels[q];
      if (a && b) {
        same += e.weight;
        ++n_same;
      } else if (a != b) {
        cross += e.weight;
        ++n_cross;
      }
    }
  }
  EXPECT_GT(n_same, 0u);
  EXPECT_GT(n_cross, 0u);
  return same / std::max<size_t>(n_same, 1) - cross / std::max<size_t>(n_cross, 1);
}

TEST(LearningIndex, PerLinkEdgeWeightsLearnWhichLinksJoinRelevantItems) {
  Fixture plain = Build();
  Fixture linked = Build();
  LearningConfig c = SmallConfig();
  c.edge_learning_rate = 0.5f;
  linked.index = IndexWith(linked, c);
  plain.index = IndexWith(plain, SmallConfig());
  TrainOptions o;
  o.epochs = 3;
  for (Fixture* f : {&plain, &linked}) {
    GiveFeedback(*f, 300);
    ASSERT_TRUE(f->index->Train(o).ok());
  }
  // Held-out queries: links between results of the query's class weigh more
  // than links across classes once each link learns its own weight.
  const double plain_margin = SameClassEdgeMargin(plain, 400, 500);
  const double linked_margin = SameClassEdgeMargin(linked, 400, 500);
  EXPECT_GT(linked_margin, plain_margin + 0.1) << plain_margin << " " << linked_margin;  // seen: 0.007 and 0.311
  std::printf("held-out same-class minus cross-class link weight: global edge model %.3f, per-link weights %.3f\n",
              plain_margin, linked_margin);
  // The per-link weights travel with the file (learned state version 2): the
  // reloaded index ranks bit for bit the same and writes the same bytes.
  EXPECT_EQ(plain.index->learning_stats().learned_links, 0u);
  EXPECT_GT(linked.index->learning_stats().learned_links, 1000u);
  auto loaded = Reloaded(*linked.index);
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->learning_config().edge_learning_rate, 0.5f);
  EXPECT_EQ(loaded->learning_stats().learned_links, linked.index->learning_stats().learned_links);
  EXPECT_TRUE(SameNeuralResults(linked, *linked.index, *loaded, 400, 440, true));
  EXPECT_EQ(loaded->SaveToBytes(), linked.index->SaveToBytes());
  // Without them (the default) the state stays version 1, which older builds read.
  LearningConfig bad = SmallConfig();
  for (float rate : {-0.1f, LearningConfig::kMaxEdgeLearningRate * 1.01f, std::nanf("")}) {
    bad.edge_learning_rate = rate;
    EXPECT_EQ(bad.Validate().code(), StatusCode::kInvalidArgument) << rate;
  }
}

TEST(LearningIndex, StatsSayWhereLearningStands) {
  learning::EnableLearning();
  IndexConfig config;
  config.dimensions = kDim;
  auto plain = VectorIndex::Create(config).take();
  VectorIndex::LearningStats s = plain->learning_stats();
  EXPECT_FALSE(s.configured || s.active || s.trained || s.training);
  EXPECT_EQ(s.pending_feedback + s.online_steps, 0u);

  Fixture f = Build();  // options set, nothing recorded
  s = f.index->learning_stats();
  EXPECT_TRUE(s.configured);
  EXPECT_FALSE(s.active || s.trained);
  GiveFeedback(f, 30);
  s = f.index->learning_stats();
  EXPECT_TRUE(s.active);
  EXPECT_FALSE(s.trained);
  EXPECT_GT(s.pending_feedback, 0u);
  EXPECT_LE(s.pending_feedback, 30u);
  TrainOptions o;
  o.epochs = 1;
  ASSERT_TRUE(f.index->BeginTraining(o).ok());
  EXPECT_TRUE(f.index->learning_stats().training);
  f.index->CancelTraining();
  EXPECT_FALSE(f.index->learning_stats().training);
  ASSERT_TRUE(f.index->Train(o).ok());
  s = f.index->learning_stats();
  EXPECT_TRUE(s.trained);
  EXPECT_EQ(s.pending_feedback, 0u);
  EXPECT_EQ(s.online_steps, 0u);
  // A copy from the file knows it holds a model.
  auto loaded = Reloaded(*f.index);
  ASSERT_NE(loaded, nullptr);
  s = loaded->learning_stats();
  EXPECT_TRUE(s.configured && s.active && s.trained);

  // Online learning counts its steps (n per event) and leaves nothing pending.
  LearningConfig c = SmallConfig();
  c.online_steps = 2;
  f.index = IndexWith(f, c);
  GiveClicks(f, 0, 10);
  s = f.index->learning_stats();
  EXPECT_TRUE(s.trained);
  EXPECT_GE(s.online_steps, 2u * 8);
  EXPECT_LE(s.online_steps, 2u * 10);
  EXPECT_EQ(s.online_steps % 2, 0u);
  EXPECT_EQ(s.pending_feedback, 0u);
}

TEST(LearningIndex, ZeroHopsLearnsAMetricWithoutTheGraph) {
  // hops 0: the shared projection alone, the baseline of the GNN in bench/learning_clicks.mjs.
  Fixture f = Build();
  LearningConfig c = SmallConfig();
  c.hops = 0;
  f.index = IndexWith(f, c);
  GiveFeedback(f, 300);
  const double vector_p = Precision(f, SearchMode::kVector, 400, 500);
  TrainOptions o;
  o.epochs = 8;
  ASSERT_TRUE(f.index->Train(o).ok());
  const double metric_p = Precision(f, SearchMode::kNeural, 400, 500);
  std::printf("held-out precision@10: vector %.3f, learned metric (0 hops) %.3f\n", vector_p, metric_p);
  EXPECT_GT(metric_p, vector_p + 0.05);
  auto loaded = Reloaded(*f.index);
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->learning_config().hops, 0u);
}

TEST(LearningIndex, KeptProjectionsNeverChangeResults) {
  // The learner keeps the candidates' projected rows between queries
  // (index_learner.h): results must equal those of a fresh copy of the index,
  // whose cache is empty, whatever was cached before, after a training step
  // and after a slot is reused by a different vector.
  Fixture f = Trained();
  TrainOptions o;
  o.epochs = 2;
  auto same_as_fresh_copy = [&](const char* when) {
    auto copy = Reloaded(*f.index);
    ASSERT_NE(copy, nullptr);
    // f.index is warm after the first pass.
    EXPECT_TRUE(SameNeuralResults(f, *f.index, *copy, 400, 440, true)) << when;
  };
  same_as_fresh_copy("cold");
  same_as_fresh_copy("warm");
  // New parameters: what was kept is stale.
  GiveFeedback(f, 20);
  ASSERT_TRUE(f.index->Train(o).ok());
  same_as_fresh_copy("after training again");
  // Items replaced by other vectors (their slots reused): kept rows of the old vectors must not be used.
  SearchParams all;
  all.k = 40;
  const std::vector<SearchHit> replaced = f.index->Search(f.queries.vectors.data() + 400 * kDim, all).take();
  for (const SearchHit& h : replaced) {
    const ItemKey key = ItemKey::Number(h.slot);
    ASSERT_TRUE(f.index->Remove(key).ok());
    // A nearby vector, so the item stays among the candidates of the queries below.
    std::vector<float> moved(f.base.vectors.begin() + h.slot * kDim, f.base.vectors.begin() + (h.slot + 1) * kDim);
    for (uint32_t j = kSignalDims; j < kDim; ++j) moved[j] *= 0.9f;
    ASSERT_TRUE(f.index->Add(key, moved.data()).ok());
  }
  same_as_fresh_copy("after replacing items");
}

TEST(LearningIndex, RandomNegativesTeachFromClicksAloneAndAreReproducible) {
  // Clicks with no negatives at all: without random negatives there is nothing to contrast.
  Fixture f = Build();
  LearningConfig c = SmallConfig();
  c.random_negatives = 16;
  auto clicks_only = [&](VectorIndex& index) {
    SearchParams p;
    p.k = 10;
    for (uint32_t q = 0; q < 300; ++q) {
      const float* query = f.queries.vectors.data() + q * kDim;
      const std::vector<SearchHit> hits = index.Search(query, p).take();
      for (const SearchHit& h : hits) {
        if (f.base.labels[h.slot] == f.queries.labels[q]) {
          ASSERT_TRUE(index.FeedbackSlots(query, {h.slot}, {}).ok());
          break;
        }
      }
    }
  };
  TrainOptions o;
  o.epochs = 6;
  f.index = IndexWith(f, c);
  const double vector_p = Precision(f, SearchMode::kVector, 400, 500);
  clicks_only(*f.index);
  ASSERT_TRUE(f.index->Train(o).ok());
  const double neural_p = Precision(f, SearchMode::kNeural, 400, 500);
  std::printf("held-out precision@10 from clicks alone with random negatives: vector %.3f, neural %.3f\n", vector_p,
              neural_p);
  EXPECT_GT(neural_p, vector_p + 0.05);
  // The same draws with two training threads: the same model (random negatives are drawn in batch order).
  auto twin = IndexWith(f, c);
  clicks_only(*twin);
  o.threads = 2;
  ASSERT_TRUE(twin->Train(o).ok());
  EXPECT_TRUE(SameNeuralResults(f, *f.index, *twin, 400, 420, false));
  // The option travels with the file.
  ExpectOptionTravelsWithTheFile(f, &LearningConfig::random_negatives, 16, false);
  ExpectRefusedPastMaximum(&LearningConfig::random_negatives, LearningConfig::kMaxRandomNegatives);
}

TEST(LearningIndex, ExpandFindsRelevantItemsBeyondTheCandidates) {
  // SearchParams::expand: the learned walk from the candidates. With few
  // candidates (10) most same-class items lie beyond them in L2 order; a
  // learned metric that sees the class walks to them.
  Fixture f = Build();
  LearningConfig c = SmallConfig();
  c.hops = 0;
  c.candidates = 10;
  f.index = IndexWith(f, c);
  GiveFeedback(f, 300);
  TrainOptions o;
  o.epochs = 8;
  ASSERT_TRUE(f.index->Train(o).ok());
  // Some items deleted: the walk must never return them.
  std::vector<uint8_t> removed(2000, 0);
  for (uint32_t s = 0; s < 2000; s += 7) {
    ASSERT_TRUE(f.index->Remove(ItemKey::Number(s)).ok());
    removed[s] = 1;
  }
  SearchParams plain;
  plain.k = 10;
  SearchParams expanded = plain;
  expanded.expand = 200;
  double relevant_before = 0, relevant_after = 0, beyond = 0, beyond_relevant = 0;
  std::vector<float> exact(1);
  for (uint32_t q = 400; q < 500; ++q) {
    const float* query = f.queries.vectors.data() + q * kDim;
    const std::vector<SearchHit> candidates = f.index->Search(query, plain).take();
    auto before = f.index->SearchLearned(query, plain, SearchMode::kNeural);
    auto after = f.index->SearchLearned(query, expanded, SearchMode::kNeural);
    ASSERT_TRUE(before.ok() && after.ok()) << after.status().message();
    ASSERT_EQ(after.value().hits.size(), 10u);
    for (const LearnedHit& h : before.value().hits) relevant_before += f.base.labels[h.slot] == f.queries.labels[q];
    for (const LearnedHit& h : after.value().hits) {
      ASSERT_FALSE(removed[h.slot]) << "a deleted item came back";
      const bool relevant = f.base.labels[h.slot] == f.queries.labels[q];
      relevant_after += relevant;
      // Distances are the metric's, as for the candidates.
      double d2 = 0;
      for (uint32_t j = 0; j < kDim; ++j) {
        const double diff = query[j] - f.base.vectors[h.slot * kDim + j];
        d2 += diff * diff;
      }
      EXPECT_NEAR(h.distance, d2, 1e-3 * (1 + d2));
      const bool candidate =
          std::any_of(candidates.begin(), candidates.end(), [&](const SearchHit& c) { return c.slot == h.slot; });
      beyond += !candidate;
      beyond_relevant += !candidate && relevant;
    }
  }
  std::printf("precision@10 with 10 candidates: re-ranked %.3f, expanded %.3f; %g results from beyond the "
              "candidates, %g of them relevant\n",
              relevant_before / 1000, relevant_after / 1000, beyond, beyond_relevant);
  EXPECT_GT(beyond, 100);
  EXPECT_GT(beyond_relevant, 0.8 * beyond);
  EXPECT_GT(relevant_after, relevant_before + 50);

  // expand 0 is the plain re-rank; out of range is refused; vector mode ignores nothing silently.
  SearchParams zero = plain;
  zero.expand = 0;
  const float* query = f.queries.vectors.data() + 400 * kDim;
  auto a = f.index->SearchLearned(query, zero, SearchMode::kNeural).take();
  auto b = f.index->SearchLearned(query, plain, SearchMode::kNeural).take();
  ASSERT_EQ(a.hits.size(), b.hits.size());
  for (size_t i = 0; i < a.hits.size(); ++i) EXPECT_EQ(a.hits[i].slot, b.hits[i].slot);
  SearchParams too_far = plain;
  too_far.expand = SearchParams::kMaxExpand + 1;
  EXPECT_EQ(f.index->SearchLearned(query, too_far, SearchMode::kNeural).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace

// Learning on insert (LearningConfig::insert_steps): nothing before a model
// exists; once one does, added items are learned from in batches of
// batch_size (each with its graph neighbours as positives), the counts say
// so, the model changes, what feedback taught survives (replay), and the
// option travels with the file (learning section version 4).
TEST(LearningIndex, LearningOnInsertStepsOnAddedItemsOnceAModelExists) {
  learning::EnableLearning();
  Fixture f;
  f.base = MakeData(2000, 7);
  f.queries = MakeData(500, 99);
  LearningConfig c = SmallConfig();
  c.insert_steps = 2;
  c.random_negatives = 8;  // the insert examples take 16 anyway (kInsertNegatives)
  c.ewc_lambda = 10;       // one anchor, at the trained model, before the first insert step
  IndexConfig config;
  config.dimensions = kDim;
  config.metric = Metric::kL2;
  f.index = VectorIndex::Create(config).take();
  ASSERT_TRUE(f.index->ConfigureLearning(c).ok());
  auto add = [&](uint32_t from, uint32_t to, bool batch) {
    if (batch) {
      std::vector<ItemKey> keys;
      for (uint32_t i = from; i < to; ++i) keys.push_back(ItemKey::Number(i));
      ASSERT_TRUE(f.index->AddBatch(keys, f.base.vectors.data() + from * kDim, {}, BatchOptions{}).ok());
    } else {
      for (uint32_t i = from; i < to; ++i) ASSERT_TRUE(f.index->Add(ItemKey::Number(i), f.base.vectors.data() + i * kDim).ok());
    }
  };
  add(0, 1200, true);
  // No model yet: adding creates no learner and learns nothing.
  EXPECT_FALSE(f.index->learning_stats().active);
  GiveFeedback(f, 150);
  TrainOptions o;
  o.epochs = 3;
  ASSERT_TRUE(f.index->Train(o).ok());
  const double vector_p = Precision(f, SearchMode::kVector, 400, 500);
  const double trained_p = Precision(f, SearchMode::kNeural, 400, 500);
  auto before = Reloaded(*f.index);
  ASSERT_NE(before, nullptr);
  EXPECT_EQ(f.index->learning_stats().insert_steps, 0u);

  add(1200, 1800, true);  // 600 items: 37 batches of 16, 8 wait
  add(1800, 1820, false);  // 620: 38 batches, 12 wait
  const VectorIndex::LearningStats s = f.index->learning_stats();
  EXPECT_EQ(s.insert_steps, 38u * c.insert_steps);
  EXPECT_EQ(s.inserted_examples, 38u * c.batch_size);
  EXPECT_TRUE(s.last_insert_error.empty()) << s.last_insert_error;
  EXPECT_EQ(s.online_ewc_anchors, 1u);
  // The model moved: the same queries rank differently from the copy saved before.
  EXPECT_FALSE(SameNeuralResults(f, *f.index, *before, 400, 500, true));
  const double after_p = Precision(f, SearchMode::kNeural, 400, 500);
  std::printf("held-out precision@10: vector %.3f, neural after training %.3f, after 620 inserts learned from %.3f\n",
              vector_p, trained_p, after_p);
  // What feedback taught survives: here the class shows in 4 of 32
  // dimensions, so an item's graph neighbours are often of another class and
  // the insert examples pull the other way; the replayed feedback in every
  // step holds the model (seen without EWC: 0.945 with replay, 0.806 without,
  // 0.976 for the same steps on replay alone).
  EXPECT_GT(after_p, vector_p + 0.05);

  ExpectOptionTravelsWithTheFile(f, &LearningConfig::insert_steps, 2, true);
  ExpectRefusedPastMaximum(&LearningConfig::insert_steps, LearningConfig::kMaxInsertSteps);
}

// ---- The click memory (LearningConfig::memory_capacity, index/click_memory.h) ----

TEST(ClickMemory, ExpandMovesTheQueryTowardsTheNearestEventsClicks) {
  // L2: q' = (q + strength * mean_j (c_j - w r_j)) / (1 + strength).
  ClickMemory memory(3, 2, Metric::kL2);
  const float q1[2] = {1, 0}, c1[2] = {4, 2}, r1[2] = {2, 2};
  const float q2[2] = {0, 1}, c2[2] = {0, 6};
  const float q3[2] = {-1, 0}, c3[2] = {-8, 0};
  memory.Record(q1, {c1}, {r1});
  memory.Record(q2, {c2, c1}, {});  // clicked mean (2, 4)
  ASSERT_EQ(memory.size(), 2u);
  const float query[2] = {3, 1};  // nearest: q1 (cos 0.95), then q2 (cos 0.32)
  float out[2];
  ClickMemoryQuery how;
  how.neighbours = 1;
  how.strength = 1;
  how.reject_weight = 0.5f;
  EXPECT_EQ(memory.Expand(query, how, out), 1u);
  EXPECT_FLOAT_EQ(out[0], (3 + (4 - 1)) / 2.0f);
  EXPECT_FLOAT_EQ(out[1], (1 + (2 - 1)) / 2.0f);
  how.neighbours = 2;  // mean of (3, 1) and (2, 4)
  EXPECT_EQ(memory.Expand(query, how, out), 2u);
  EXPECT_FLOAT_EQ(out[0], (3 + 2.5f) / 2.0f);
  EXPECT_FLOAT_EQ(out[1], (1 + 2.5f) / 2.0f);
  how.min_similarity = 0.5f;  // q2 is left out
  EXPECT_EQ(memory.Expand(query, how, out), 1u);
  how.min_similarity = 0.99f;  // nothing qualifies: the query as it is
  EXPECT_EQ(memory.Expand(query, how, out), 0u);
  EXPECT_EQ(out[0], 3.0f);
  EXPECT_EQ(out[1], 1.0f);
  // A half-life of 1 event: q2 (recorded last) weighs 1, q1 weighs 1/2.
  how.min_similarity = 0;
  how.half_life = 1;
  EXPECT_EQ(memory.Expand(query, how, out), 2u);
  // weighted mean of (4 - 1, 2 - 1) x 1/2 and (2, 4) x 1, over 1.5: (7/3, 3)
  EXPECT_FLOAT_EQ(out[0], (3 + 7.0f / 3) / 2.0f);
  EXPECT_FLOAT_EQ(out[1], (1 + 3.0f) / 2.0f);
  how.half_life = 0;
  how.strength = 0;
  EXPECT_EQ(memory.Expand(query, how, out), 0u);
  // Bounded: the oldest event leaves first.
  memory.Record(q3, {c3}, {});
  memory.Record(q3, {c3}, {});
  EXPECT_EQ(memory.size(), 3u);
  EXPECT_EQ(memory.recorded(), 4u);
  how.strength = 1;
  how.neighbours = 3;
  how.min_similarity = 0.9f;  // only q1 was that close, and it is gone
  EXPECT_EQ(memory.Expand(query, how, out), 0u);

  // Its bytes give the same memory back; damaged or mismatched bytes are refused.
  const std::string bytes = memory.Serialize();
  ClickMemory copy(3, 2, Metric::kL2);
  ASSERT_TRUE(copy.Restore(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).ok());
  EXPECT_EQ(copy.Serialize(), bytes);
  how.min_similarity = -1;
  float a[2], b[2];
  EXPECT_EQ(memory.Expand(query, how, a), copy.Expand(query, how, b));
  EXPECT_EQ(a[0], b[0]);
  EXPECT_EQ(a[1], b[1]);
  ClickMemory other_shape(3, 4, Metric::kL2);
  EXPECT_EQ(other_shape.Restore(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).code(), StatusCode::kCorrupt);
  EXPECT_EQ(copy.Restore(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size() - 1).code(), StatusCode::kCorrupt);
}

TEST(ClickMemory, CosineAddsUnitMeansToTheUnitQueryAndGivesAUnitVector) {
  ClickMemory memory(8, 2, Metric::kCosine);
  const float q[2] = {2, 0}, c[2] = {0, 5}, r[2] = {3, 4};
  memory.Record(q, {c}, {r});
  ClickMemoryQuery how;
  how.strength = 2;
  how.reject_weight = 1;
  float out[2];
  ASSERT_EQ(memory.Expand(q, how, out), 1u);
  // q/|q| + 2 * ((0, 1) - (0.6, 0.8)) = (1 - 1.2, 0 + 0.4), made unit length
  const float n = std::sqrt(0.2f * 0.2f + 0.4f * 0.4f);
  EXPECT_FLOAT_EQ(out[0], -0.2f / n);
  EXPECT_FLOAT_EQ(out[1], 0.4f / n);
}

// Events at exactly the same similarity as the m-th nearest: the oldest of
// them are chosen, after the ring has turned over too (ages, not slots), and
// with no tie at the threshold nothing else matters.
TEST(ClickMemory, TiesAtTheThresholdGoToTheOldestEvents) {
  ClickMemory memory(12, 2, Metric::kL2);
  const float q[2] = {1, 0}, far[2] = {0, 1};
  std::vector<std::array<float, 2>> clicks;
  for (int e = 0; e < 16; ++e) clicks.push_back({float(e), 0});
  // 2 events far off, then 14 with the query itself: the ring (12) drops the
  // two far ones and the first two of the query's, so the query's oldest
  // events held are numbers 4, 5, 6, ... (clicked 4, 5, 6, ...).
  memory.Record(far, {clicks[0].data()}, {});
  memory.Record(far, {clicks[1].data()}, {});
  for (int e = 2; e < 16; ++e) memory.Record(q, {clicks[e].data()}, {});
  ASSERT_EQ(memory.size(), 12u);
  ClickMemoryQuery how;
  how.strength = 1;
  how.min_similarity = -1;
  how.neighbours = 3;
  float out[2];
  ASSERT_EQ(memory.Expand(q, how, out), 3u);
  EXPECT_FLOAT_EQ(out[0], (1 + (4 + 5 + 6) / 3.0f) / 2);  // all 12 tie: the 3 oldest
  how.neighbours = 12;
  ASSERT_EQ(memory.Expand(q, how, out), 12u);
  EXPECT_FLOAT_EQ(out[0], (1 + (4 + 15) / 2.0f) / 2);  // all of them: mean 9.5

  // One event nearer than the rest: it, then the oldest of the tied ones.
  ClickMemory mixed(8, 2, Metric::kL2);
  const float near[2] = {1, 0.01f}, off[2] = {1, 0.5f};
  const float c_near[2] = {100, 0};
  mixed.Record(off, {clicks[7].data()}, {});
  mixed.Record(off, {clicks[8].data()}, {});
  mixed.Record(near, {c_near}, {});
  mixed.Record(off, {clicks[9].data()}, {});
  how.neighbours = 2;
  ASSERT_EQ(mixed.Expand(q, how, out), 2u);
  EXPECT_FLOAT_EQ(out[0], (1 + (100 + 7) / 2.0f) / 2);
}

// From kPartitionMinEvents events on, a lookup reads the coarse lists nearest
// the query (ClickMemoryQuery::scan); scan 0 is still the exact nearest.
TEST(ClickMemory, ALargeMemoryReadsItsNearestListsAndSavesThem) {
  constexpr uint32_t d = 8;
  constexpr uint32_t kEvents = 2500;
  ClickMemory memory(kEvents, d, Metric::kL2);
  // Past queries around 16 directions; each event's click says which.
  Random r(11);
  std::vector<float> directions(16 * d);
  for (float& x : directions) x = Gaussian(r);
  std::vector<float> queries(size_t(kEvents) * d), clicks(queries.size());
  for (uint32_t e = 0; e < kEvents; ++e) {
    const uint32_t g = e % 16;
    for (uint32_t i = 0; i < d; ++i) {
      queries[e * d + i] = directions[g * d + i] + 0.3f * Gaussian(r);
      clicks[e * d + i] = float(g) + 0.1f * Gaussian(r);
    }
    memory.Record(&queries[e * d], {&clicks[e * d]}, {});
    if (e + 1 == ClickMemory::kPartitionMinEvents - 1) {
      EXPECT_EQ(memory.lists(), 0u);  // brute force below
    }
  }
  // Built at 1,024 events and again at 2,048: about sqrt(2048) lists.
  EXPECT_EQ(memory.lists(), 45u);

  // scan 0: the exact m nearest (cosine of the unit queries), in double here.
  const auto unit = [&](const float* v) {
    std::vector<double> u(v, v + d);
    double n = 0;
    for (double x : u) n += x * x;
    for (double& x : u) x /= std::sqrt(n);
    return u;
  };
  ClickMemoryQuery how;
  how.neighbours = 20;
  how.strength = 3;
  how.reject_weight = 0;
  Random qr(12);
  for (int t = 0; t < 20; ++t) {
    const uint32_t g = t % 16;
    std::vector<float> query(d);
    for (uint32_t i = 0; i < d; ++i) query[i] = directions[g * d + i] + (t < 16 ? 0.0f : 0.5f * Gaussian(qr));
    const std::vector<double> uq = unit(query.data());
    std::vector<std::pair<double, uint32_t>> nearest;
    for (uint32_t e = 0; e < kEvents; ++e) {
      const std::vector<double> ue = unit(&queries[e * d]);
      double s = 0;
      for (uint32_t i = 0; i < d; ++i) s += uq[i] * ue[i];
      nearest.emplace_back(-s, e);
    }
    std::sort(nearest.begin(), nearest.end());
    std::vector<float> exact(d), scanned(d);
    how.scan = 0;
    ASSERT_EQ(memory.Expand(query.data(), how, exact.data()), 20u);
    for (uint32_t i = 0; i < d; ++i) {
      double mean = 0;
      for (uint32_t j = 0; j < 20; ++j) mean += clicks[nearest[j].second * d + i] / 20.0;
      EXPECT_NEAR(exact[i], (query[i] + 3 * mean) / 4, 1e-4) << "query " << t << ", dimension " << i;
    }
    // scan 4: 80 events or more from the nearest lists. A query on one of the
    // directions finds that direction's events there, as the exact lookup does.
    how.scan = 4;
    ASSERT_EQ(memory.Expand(query.data(), how, scanned.data()), 20u);
    if (t < 16) {
      for (uint32_t i = 0; i < d; ++i) {
        EXPECT_NEAR(exact[i], (query[i] + 3 * float(g)) / 4, 0.05) << "direction " << g;
        EXPECT_NEAR(scanned[i], (query[i] + 3 * float(g)) / 4, 0.05) << "direction " << g;
      }
    }
  }

  // Saved and reopened, after the ring has turned over: the same lists, the same bits.
  for (uint32_t e = 0; e < 700; ++e) memory.Record(&queries[e * d], {&clicks[(e + 5) * d]}, {});
  const std::string bytes = memory.Serialize();
  ClickMemory copy(kEvents, d, Metric::kL2);
  ASSERT_TRUE(copy.Restore(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).ok());
  EXPECT_EQ(copy.Serialize(), bytes);
  EXPECT_EQ(copy.lists(), memory.lists());
  for (uint32_t scan : {0u, 1u, 4u}) {
    how.scan = scan;
    std::vector<float> a(d), b(d);
    EXPECT_EQ(memory.Expand(&queries[7 * d], how, a.data()), copy.Expand(&queries[7 * d], how, b.data()));
    EXPECT_EQ(a, b) << "scan " << scan;
  }
  // An event put in a list the memory does not have is refused.
  std::string damaged = bytes;
  const uint32_t bad = 999;
  std::memcpy(&damaged[damaged.size() - 4], &bad, 4);
  EXPECT_EQ(copy.Restore(reinterpret_cast<const uint8_t*>(damaged.data()), damaged.size()).code(), StatusCode::kCorrupt);
  // A version-1 memory (events only, before the lists) is read, and gets its lists.
  const size_t events_end = 4 * 5 + 8 + size_t(kEvents) * 3 * d * 4;
  std::string v1 = bytes.substr(0, events_end);
  const uint32_t one = 1;
  std::memcpy(&v1[0], &one, 4);
  ClickMemory old(kEvents, d, Metric::kL2);
  ASSERT_TRUE(old.Restore(reinterpret_cast<const uint8_t*>(v1.data()), v1.size()).ok());
  EXPECT_EQ(old.lists(), 50u);  // sqrt(2500)
  how.scan = 0;
  std::vector<float> a(d), b(d);
  memory.Expand(&queries[7 * d], how, a.data());
  old.Expand(&queries[7 * d], how, b.data());
  EXPECT_EQ(a, b);  // scan 0 reads no list
}

// Users come back with queries like earlier ones (near copies of the first
// 300 queries): the memory recalls what was clicked for them. On this data a
// query's nearest past queries by cosine are mostly of other classes (the
// class shows in 4 of 32 dimensions), so the memory is read narrowly: the 3
// nearest past queries, cosine at least 0.9.
TEST(LearningIndex, ClickMemoryServesNeuralModeFromClicksWithoutTraining) {
  Fixture f = Build();
  LearningConfig c = SmallConfig();
  c.memory_capacity = 4096;
  f.index = IndexWith(f, c);
  SearchParams p;
  p.k = 10;
  p.memory_neighbours = 3;
  p.memory_min_similarity = 0.9f;
  p.memory_min_events = 0;  // ~290 events: read from the first
  Random noise(5);
  std::vector<float> again(f.queries.vectors.begin(), f.queries.vectors.begin() + 300 * kDim);
  for (float& x : again) x += 0.05f * Gaussian(noise);
  const auto precision = [&](const VectorIndex& index, SearchMode mode, const SearchParams& params) {
    double hits = 0;
    for (uint32_t q = 200; q < 300; ++q) {
      auto r = index.SearchLearned(again.data() + q * kDim, params, mode);
      EXPECT_TRUE(r.ok()) << r.status().message();
      if (!r.ok()) return 0.0;
      for (const LearnedHit& h : r.value().hits) hits += f.base.labels[h.slot] == f.queries.labels[q];
    }
    return hits / 1000.0;
  };
  const float* first = again.data();
  // Searched as they are while the memory has nothing near them (here: nothing at all).
  const auto plain_answer = [&](const float* query, const SearchParams& params) {
    auto learned = f.index->SearchLearned(query, params, SearchMode::kNeural);
    auto plain = f.index->Search(query, params);
    if (!learned.ok() || !plain.ok()) return testing::AssertionFailure() << "a search failed";
    if (learned.value().hits.size() != plain.value().size()) return testing::AssertionFailure() << "sizes differ";
    for (size_t i = 0; i < plain.value().size(); ++i) {
      const LearnedHit& h = learned.value().hits[i];
      if (h.slot != plain.value()[i].slot || h.distance != plain.value()[i].distance || h.score != -h.distance) {
        return testing::AssertionFailure() << "rank " << i << " differs";
      }
    }
    return testing::AssertionSuccess();
  };
  EXPECT_TRUE(plain_answer(first, p));
  const double vector_p = precision(*f.index, SearchMode::kVector, p);
  GiveClicks(f, 0, 300, /*skipped_are_implicit=*/true);
  const auto stats = f.index->learning_stats();
  EXPECT_GT(stats.memory_events, 250u);
  EXPECT_FALSE(stats.trained);
  const double memory_p = precision(*f.index, SearchMode::kNeural, p);
  std::printf("precision@10 of returning queries after 300 users' clicks: vector %.3f, click memory %.3f\n", vector_p,
              memory_p);
  EXPECT_GT(memory_p, vector_p + 0.08);
  // Distances stay those to the user's query; the walk with the moved query
  // finds items the plain top 50 did not hold.
  SearchParams wide = p;
  wide.k = 50;
  uint32_t outside = 0;
  for (uint32_t q = 200; q < 300; ++q) {
    const float* query = again.data() + q * kDim;
    auto plain = f.index->Search(query, wide).take();
    std::unordered_set<uint32_t> top50;
    for (const SearchHit& h : plain) top50.insert(h.slot);
    auto learned = f.index->SearchLearned(query, p, SearchMode::kNeural);
    ASSERT_TRUE(learned.ok());
    for (const LearnedHit& h : learned.value().hits) {
      outside += top50.count(h.slot) == 0;
      const float* v = f.base.vectors.data() + h.slot * kDim;  // slot == id here
      float d2 = 0;
      for (uint32_t i = 0; i < kDim; ++i) d2 += (v[i] - query[i]) * (v[i] - query[i]);
      EXPECT_NEAR(h.distance, d2, 1e-3f * d2);
    }
  }
  EXPECT_GT(outside, 0u);
  // A query unlike every past one (cosine below 0.9), or a search that does
  // not read the memory (strength 0): the plain walk's answer.
  const float* unlike = f.queries.vectors.data() + 450 * kDim;
  EXPECT_TRUE(plain_answer(unlike, p));
  SearchParams off = p;
  off.memory_strength = 0;
  EXPECT_TRUE(plain_answer(first, off));
  SearchParams too_few = p;
  too_few.memory_min_events = static_cast<uint32_t>(stats.memory_events) + 1;
  EXPECT_TRUE(plain_answer(first, too_few));
  EXPECT_FALSE(plain_answer(first, p));
  // The other modes still need a model.
  EXPECT_EQ(f.index->SearchLearned(first, p, SearchMode::kSubgraph).status().code(), StatusCode::kFailedPrecondition);
  // Options are fixed once the memory holds events; bad search options are refused.
  EXPECT_EQ(f.index->ConfigureLearning(c).code(), StatusCode::kFailedPrecondition);
  for (auto bad : {+[](SearchParams& s) { s.memory_neighbours = 0; }, +[](SearchParams& s) { s.memory_strength = -1; },
                   +[](SearchParams& s) { s.memory_reject_weight = NAN; }, +[](SearchParams& s) { s.memory_min_similarity = 2; },
                   +[](SearchParams& s) { s.memory_min_events = LearningConfig::kMaxMemoryCapacity + 1; },
                   +[](SearchParams& s) { s.memory_scan = SearchParams::kMaxMemoryScan + 1; },
                   +[](SearchParams& s) { s.memory_half_life = -1; }}) {
    SearchParams s = p;
    bad(s);
    EXPECT_EQ(f.index->SearchLearned(first, s, SearchMode::kNeural).status().code(), StatusCode::kInvalidArgument);
  }
  // The memory travels with the file: the same results, the same bytes.
  auto loaded = Reloaded(*f.index);
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->learning_config().memory_capacity, 4096u);
  EXPECT_EQ(loaded->learning_stats().memory_events, stats.memory_events);
  for (uint32_t q = 200; q < 300; ++q) {
    auto x = f.index->SearchLearned(again.data() + q * kDim, p, SearchMode::kNeural);
    auto y = loaded->SearchLearned(again.data() + q * kDim, p, SearchMode::kNeural);
    ASSERT_TRUE(x.ok() && y.ok());
    ASSERT_EQ(x.value().hits.size(), y.value().hits.size());
    for (size_t i = 0; i < x.value().hits.size(); ++i) {
      EXPECT_EQ(x.value().hits[i].slot, y.value().hits[i].slot);
      EXPECT_EQ(x.value().hits[i].score, y.value().hits[i].score);
    }
  }
  EXPECT_EQ(loaded->SaveToBytes(), f.index->SaveToBytes());
  // With a trained refiner too, neural mode ranks what the moved walk found.
  TrainOptions o;
  o.epochs = 2;
  ASSERT_TRUE(f.index->Train(o).ok());
  EXPECT_TRUE(f.index->SearchLearned(first, p, SearchMode::kNeural).ok());
  EXPECT_TRUE(f.index->SearchLearned(unlike, p, SearchMode::kNeural).ok());
  ExpectRefusedPastMaximum(&LearningConfig::memory_capacity, LearningConfig::kMaxMemoryCapacity);
}

TEST(LearningIndex, ClickMemoryIgnoresImplicitNegativesAndKeepsRejections) {
  Fixture f = Build();
  LearningConfig c = SmallConfig();
  c.memory_capacity = 64;
  auto skipped = IndexWith(f, c);
  auto clicked_only = IndexWith(f, c);
  auto rejected = IndexWith(f, c);
  const float* query = f.queries.vectors.data();
  SearchParams p;
  p.k = 10;
  auto hits = skipped->Search(query, p).take();
  const std::vector<uint32_t> pos = {hits[3].slot}, neg = {hits[0].slot, hits[1].slot, hits[2].slot};
  ASSERT_TRUE(skipped->FeedbackSlots(query, pos, neg, 3).ok());
  ASSERT_TRUE(clicked_only->FeedbackSlots(query, pos, {}).ok());
  ASSERT_TRUE(rejected->FeedbackSlots(query, pos, neg).ok());
  EXPECT_EQ(skipped->FeedbackSlots(query, pos, neg, 4).code(), StatusCode::kInvalidArgument);
  // Every query reads the one event (min_similarity -1, min_events 0).
  p.memory_min_similarity = -1;
  p.memory_min_events = 0;
  const auto ranked = [&](const VectorIndex& index, uint32_t q) {
    auto r = index.SearchLearned(f.queries.vectors.data() + q * kDim, p, SearchMode::kNeural);
    EXPECT_TRUE(r.ok()) << r.status().message();
    std::vector<uint32_t> slots;
    if (r.ok()) for (const LearnedHit& h : r.value().hits) slots.push_back(h.slot);
    return slots;
  };
  uint32_t differ = 0;
  for (uint32_t q = 0; q < 20; ++q) {
    EXPECT_EQ(ranked(*skipped, q), ranked(*clicked_only, q));
    differ += ranked(*rejected, q) != ranked(*clicked_only, q);
  }
  EXPECT_GT(differ, 0u);
}
