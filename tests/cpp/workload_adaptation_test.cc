// Workload adaptation (VectorIndex::SetWorkloadSampling, AdaptToWorkload):
// the sample records what is searched, hints start the walks of queries near
// them, and results stay what the index owes (recall against brute force,
// deleted items never returned) with and without hints.
#include <gtest/gtest.h>

#include <limits>
#include <set>

#include "index_file_edit.h"
#include "test_util.h"

namespace {

using namespace nvtest;
using namespace neurovec;

constexpr uint32_t kDim = 24;

// Queries near a few stored items (the "hot" region of a workload): each a
// copy of one of `centres` items plus noise.
Dataset HotQueries(const Dataset& base, uint32_t n, uint32_t centres, uint64_t seed) {
  Rng rng(seed);
  Dataset q;
  q.n = n;
  q.dim = base.dim;
  q.data.resize(static_cast<size_t>(n) * base.dim);
  for (uint32_t i = 0; i < n; ++i) {
    const float* c = base.row((rng.Below(centres) * 97) % base.n);
    for (uint32_t j = 0; j < base.dim; ++j) q.row(i)[j] = c[j] + static_cast<float>(0.2 * rng.Normal());
  }
  return q;
}

class WorkloadAdaptationTest : public ::testing::TestWithParam<Metric> {};

TEST_P(WorkloadAdaptationTest, HintsStartHotWalksAndKeepResults) {
  const Metric metric = GetParam();
  Workload w = ClusteredWorkload(4000, 300, kDim, 5, 16, 0.3);
  auto index = MakeIndex(Config(kDim, metric));
  ASSERT_TRUE(index);
  ASSERT_TRUE(AddAll(*index, w.base));
  const Items items = AllItems(w.base);
  const Dataset hot = HotQueries(w.base, 400, 6, 9);

  const double hot_recall_before = MeanRecall(*index, hot, metric, items, 64);
  const double other_recall_before = MeanRecall(*index, w.queries, metric, items, 64);
  EXPECT_EQ(index->Stats().workload.recorded, 0u);  // sampling is off until asked for

  // The sample keeps the last 256 searched queries: the hot ones.
  ASSERT_TRUE(index->SetWorkloadSampling(256).ok());
  for (uint32_t q = 0; q < 100; ++q) ASSERT_TRUE(index->Search(w.queries.row(q), {}).ok());
  for (uint32_t q = 0; q < 300; ++q) ASSERT_TRUE(index->Search(hot.row(q), {}).ok());
  WorkloadStats ws = index->Stats().workload;
  EXPECT_EQ(ws.sample_capacity, 256u);
  EXPECT_EQ(ws.recorded, 400u);
  EXPECT_EQ(ws.sampled, 256u);
  EXPECT_EQ(ws.hints, 0u);

  auto adapted = index->AdaptToWorkload({});
  ASSERT_TRUE(adapted.ok()) << adapted.status().message();
  EXPECT_GE(adapted.value().hints, 2u);
  EXPECT_LE(adapted.value().hints, 16u);
  EXPECT_EQ(adapted.value().queries, 256u);
  ws = index->Stats().workload;
  EXPECT_EQ(ws.hints, adapted.value().hints);
  EXPECT_EQ(ws.since_adaptation, 0u);

  // Most hot queries start at a hint; results keep their recall.
  const double hot_recall_after = MeanRecall(*index, hot, metric, items, 64);
  ws = index->Stats().workload;
  EXPECT_GE(ws.hinted_searches, 300u) << "of 400 hot queries";
  EXPECT_EQ(ws.since_adaptation, 400u);  // the recall walks were sampled too
  EXPECT_GE(hot_recall_after, hot_recall_before - 0.02);
  EXPECT_GE(hot_recall_after, 0.95);
  const double other_recall_after = MeanRecall(*index, w.queries, metric, items, 64);
  EXPECT_GE(other_recall_after, other_recall_before - 0.02);
  EXPECT_GT(index->Stats().workload.unhinted_searches, 0u);

  // Deleting items (hints among them, likely: every 7th) never returns them,
  // and recall over the live items stays.
  std::set<int64_t> deleted;
  for (uint32_t i = 0; i < w.base.n; i += 7) {
    ASSERT_TRUE(index->Remove(ItemKey::Number(i)).value());
    deleted.insert(i);
  }
  EXPECT_GE(MeanRecall(*index, hot, metric, LiveItems(w.base, deleted), 64), 0.95);
  for (uint32_t q = 0; q < 50; ++q) {
    auto hits = index->Search(hot.row(q), {});
    ASSERT_TRUE(hits.ok());
    for (int64_t id : Ids(*index, hits.value())) EXPECT_EQ(deleted.count(id), 0u);
  }

  index->DropWorkloadAdaptation();
  EXPECT_EQ(index->Stats().workload.hints, 0u);
}

INSTANTIATE_TEST_SUITE_P(Metrics, WorkloadAdaptationTest, ::testing::Values(Metric::kL2, Metric::kCosine),
                         [](const auto& info) { return info.param == Metric::kL2 ? "L2" : "Cosine"; });

TEST(WorkloadAdaptation, GivenQueriesAndClearErrors) {
  Workload w = ClusteredWorkload(1000, 100, kDim, 6);
  auto index = MakeIndex(Config(kDim, Metric::kL2));
  ASSERT_TRUE(index);

  // Nothing to adapt to yet: an empty index, then no sample.
  AdaptOptions given;
  given.queries = w.queries.row(0);
  given.query_count = w.queries.n;
  given.min_queries = 50;
  EXPECT_EQ(index->AdaptToWorkload(given).status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(AddAll(*index, w.base));
  auto none = index->AdaptToWorkload({});
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(none.status().message().find("SetWorkloadSampling is off"), std::string::npos) << none.status().message();

  AdaptOptions bad = given;
  bad.hints = 0;
  EXPECT_EQ(index->AdaptToWorkload(bad).status().code(), StatusCode::kInvalidArgument);
  bad = given;
  bad.coverage = 1.5f;
  EXPECT_EQ(index->AdaptToWorkload(bad).status().code(), StatusCode::kInvalidArgument);
  bad = given;
  bad.min_queries = 101;
  EXPECT_EQ(index->AdaptToWorkload(bad).status().code(), StatusCode::kFailedPrecondition);
  std::vector<float> nan_rows(w.queries.data);
  nan_rows[kDim * 3 + 1] = std::numeric_limits<float>::quiet_NaN();
  bad = given;
  bad.queries = nan_rows.data();
  auto refused = index->AdaptToWorkload(bad);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("query 3"), std::string::npos) << refused.status().message();
  EXPECT_EQ(index->Stats().workload.hints, 0u);  // nothing changed
  EXPECT_EQ(index->SetWorkloadSampling((1u << 20) + 1).code(), StatusCode::kInvalidArgument);

  auto adapted = index->AdaptToWorkload(given);
  ASSERT_TRUE(adapted.ok()) << adapted.status().message();
  EXPECT_EQ(adapted.value().queries, 100u);
  EXPECT_EQ(index->Stats().workload.hints, adapted.value().hints);
  // Coverage 0: hints installed but no query is near enough to use one.
  given.coverage = 0;
  ASSERT_TRUE(index->AdaptToWorkload(given).ok());
  const uint64_t hinted = index->Stats().workload.hinted_searches;
  for (uint32_t q = 0; q < 20; ++q) ASSERT_TRUE(index->Search(w.queries.row(q), {}).ok());
  EXPECT_EQ(index->Stats().workload.hinted_searches, hinted);
}

// adapt_every: the index says when the sample is due for another adaptation,
// AdaptWorkloadIfDue runs it then (and only then), and the settings and hints
// travel in the file: a reopened index starts the same walks.
TEST(WorkloadAdaptation, AdaptsAgainWhenDueAndTheFileKeepsIt) {
  Workload w = ClusteredWorkload(3000, 200, kDim, 4, 16, 0.3);
  auto index = MakeIndex(Config(kDim, Metric::kL2));
  ASSERT_TRUE(index);
  ASSERT_TRUE(AddAll(*index, w.base));
  const Dataset hot = HotQueries(w.base, 600, 5, 3);

  WorkloadSamplingOptions sampling;
  sampling.capacity = 256;
  sampling.adapt_every = 300;
  sampling.adapt.hints = 6;
  sampling.adapt.min_queries = 200;
  ASSERT_TRUE(index->SetWorkloadSampling(sampling).ok());
  for (uint32_t q = 0; q < 299; ++q) ASSERT_TRUE(index->Search(hot.row(q), {}).ok());
  WorkloadStats ws = index->Stats().workload;
  EXPECT_EQ(ws.adapt_every, 300u);
  EXPECT_FALSE(ws.adaptation_due);
  EXPECT_FALSE(index->AdaptWorkloadIfDue().value());
  EXPECT_EQ(index->Stats().workload.hints, 0u);
  ASSERT_TRUE(index->Search(hot.row(299), {}).ok());
  EXPECT_TRUE(index->Stats().workload.adaptation_due);
  auto ran = index->AdaptWorkloadIfDue();
  ASSERT_TRUE(ran.ok()) << ran.status().message();
  EXPECT_TRUE(ran.value());
  ws = index->Stats().workload;
  EXPECT_GE(ws.hints, 2u);
  EXPECT_LE(ws.hints, 6u);
  EXPECT_EQ(ws.adaptations, 1u);
  EXPECT_FALSE(ws.adaptation_due);
  EXPECT_FALSE(index->AdaptWorkloadIfDue().value());  // not due again until 300 more

  // Saved and opened again: the same settings, hints and walks.
  std::vector<std::vector<int64_t>> before;
  for (uint32_t q = 300; q < 340; ++q) before.push_back(Ids(*index, index->Search(hot.row(q), {}).value()));
  const std::string bytes = index->SaveToBytes();
  auto loaded = VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  VectorIndex& reopened = *loaded.value();
  const WorkloadStats again = reopened.Stats().workload;
  EXPECT_EQ(again.sample_capacity, 256u);
  EXPECT_EQ(again.adapt_every, 300u);
  EXPECT_EQ(again.hints, ws.hints);
  EXPECT_EQ(again.bound, ws.bound);
  EXPECT_EQ(again.recorded, 0u);  // the queries themselves are not kept
  for (uint32_t q = 300; q < 340; ++q) {
    EXPECT_EQ(Ids(reopened, reopened.Search(hot.row(q), {}).value()), before[q - 300]) << "query " << q;
  }
  EXPECT_GT(reopened.Stats().workload.hinted_searches, 30u) << "of 40 hot queries";
  EXPECT_EQ(reopened.SaveToBytes(), bytes);  // save -> load -> save: the same bytes

  // Damage inside the section, checksums re-sealed: the reader's own checks.
  const SectionRef section = FindSection(bytes, neurovec::index_file::kWorkload);
  ASSERT_EQ(section.kind, neurovec::index_file::kWorkload);
  EXPECT_EQ(section.flags, 0u);  // optional: a reader without it opens with no hints
  ExpectDamageRefused(bytes, section,
                      {{"capacity over 2^20", PutU32At(4, (1u << 20) + 1)},
                       {"0 hints per adaptation", PutU32At(12, 0)},
                       {"a NaN coverage", PutU32At(16, 0x7fc00000u)},
                       {"one hint more than it holds", PutU32At(32, ws.hints + 1)},
                       {"a NaN bound", PutU32At(36, 0x7fc00000u)},
                       {"a hint beyond the slots", PutU32At(40, 3000)}},
                      "workload section");
  ExpectNewerVersionRefused(bytes, section, 2);

  // Sampling off and hints dropped: the next save has no workload section.
  ASSERT_TRUE(reopened.SetWorkloadSampling(0).ok());
  reopened.DropWorkloadAdaptation();
  for (const SectionRef& r : Sections(reopened.SaveToBytes())) EXPECT_NE(r.kind, neurovec::index_file::kWorkload);

  // Bad settings are refused and change nothing.
  WorkloadSamplingOptions bad = sampling;
  bad.capacity = 0;  // adapting again needs a sample
  EXPECT_EQ(index->SetWorkloadSampling(bad).code(), StatusCode::kInvalidArgument);
  bad = sampling;
  bad.adapt.queries = hot.row(0);
  bad.adapt.query_count = 1;
  EXPECT_EQ(index->SetWorkloadSampling(bad).code(), StatusCode::kInvalidArgument);
  bad = sampling;
  bad.adapt.coverage = 2;
  EXPECT_EQ(index->SetWorkloadSampling(bad).code(), StatusCode::kInvalidArgument);
  bad = sampling;
  bad.adapt_every = (1u << 24) + 1;
  EXPECT_EQ(index->SetWorkloadSampling(bad).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(index->Stats().workload.adapt_every, 300u);
}

}  // namespace
