// HNSW search quality against brute force, for every metric.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "test_util.h"

namespace {

using namespace nvtest;

constexpr uint32_t kN = 3000;
constexpr uint32_t kQueries = 200;
constexpr uint32_t kDim = 32;
constexpr uint32_t kK = 10;
// Broad, overlapping clusters: hard enough that a small ef visibly misses
// neighbours (recall@10 at ef=10 is ~0.8 here), so the thresholds below mean something.
constexpr uint32_t kClusters = 8;
constexpr double kSpread = 1.0;

class RecallTest : public ::testing::TestWithParam<Metric> {};

struct RecallResult {
  double recall = 0;
  uint64_t distance_computations = 0;
};

// Searches every query; checks result invariants and that each reported distance
// is the true distance of the returned item. Returns the mean recall@k.
RecallResult MeasureRecall(const VectorIndex& index, const Workload& w, Metric metric, uint32_t k, uint32_t ef) {
  auto items = AllItems(w.base);
  RecallResult out;
  double sum = 0;
  for (uint32_t q = 0; q < w.queries.n; ++q) {
    SearchParams params;
    params.k = k;
    params.ef = ef;
    neurovec::SearchCounters counters;
    auto hits = index.Search(w.queries.row(q), params, &counters);
    EXPECT_TRUE(hits.ok()) << hits.status().message();
    if (!hits.ok()) return out;
    EXPECT_EQ(hits.value().size(), k) << "query " << q;
    EXPECT_TRUE(WellFormed(index, hits.value())) << "query " << q;
    EXPECT_FALSE(counters.exact_scan);
    out.distance_computations += counters.distance_computations;
    for (const SearchHit& h : hits.value()) {
      int64_t id = IdOf(index, h.slot);
      double ref = RefDistance(metric, w.queries.row(q), w.base.row(static_cast<size_t>(id)), kDim);
      EXPECT_NEAR(h.distance, ref, DistanceTolerance(ref)) << "query " << q << " id " << id;
    }
    auto exact = BruteForce(metric, w.queries.row(q), kDim, items, k);
    sum += Recall(Ids(index, hits.value()), exact);
  }
  out.recall = sum / w.queries.n;
  return out;
}

TEST_P(RecallTest, RecallAgainstBruteForce) {
  const Metric metric = GetParam();
  Workload w = ClusteredWorkload(kN, kQueries, kDim, 2024, kClusters, kSpread);
  auto index = MakeIndex(Config(kDim, metric));
  ASSERT_TRUE(index);
  ASSERT_TRUE(AddAll(*index, w.base));
  ASSERT_EQ(index->size(), kN);

  RecallResult low = MeasureRecall(*index, w, metric, kK, kK);
  RecallResult mid = MeasureRecall(*index, w, metric, kK, 100);
  RecallResult high = MeasureRecall(*index, w, metric, kK, 400);
  std::printf("%s: recall@10 ef=10 %.4f (%.0f dist/query), ef=100 %.4f (%.0f), ef=400 %.4f (%.0f)\n",
              neurovec::MetricName(metric), low.recall, double(low.distance_computations) / kQueries, mid.recall,
              double(mid.distance_computations) / kQueries, high.recall,
              double(high.distance_computations) / kQueries);
  RecordProperty("recall_ef100", std::to_string(mid.recall));
  // Observed on this data: ef=10 0.77-0.85, ef=100 >= 0.998, ef=400 1.0.
  EXPECT_GE(mid.recall, 0.97) << neurovec::MetricName(metric);
  EXPECT_GE(high.recall, 0.99) << neurovec::MetricName(metric);
  EXPECT_GE(low.recall, 0.65) << neurovec::MetricName(metric);
  // A larger candidate list does more work and finds at least as much (on average).
  EXPECT_GE(mid.recall + 1e-9, low.recall);
  EXPECT_GE(high.recall + 1e-9, mid.recall);
  EXPECT_GT(mid.distance_computations, low.distance_computations);
  // And the graph is doing its job: far fewer distances than a scan.
  EXPECT_LT(mid.distance_computations / kQueries, kN / 2);
}

// The oracle the other tests may rely on: SearchExact equals our own loop.
TEST_P(RecallTest, SearchExactEqualsBruteForce) {
  const Metric metric = GetParam();
  Workload w = ClusteredWorkload(1000, 50, 24, 77);
  auto index = MakeIndex(Config(24, metric));
  ASSERT_TRUE(index);
  ASSERT_TRUE(AddAll(*index, w.base));
  auto items = AllItems(w.base);
  for (uint32_t q = 0; q < w.queries.n; ++q) {
    auto hits = index->SearchExact(w.queries.row(q), 25);
    ASSERT_TRUE(hits.ok()) << hits.status().message();
    ASSERT_EQ(hits.value().size(), 25u);
    ASSERT_TRUE(WellFormed(*index, hits.value()));
    auto exact = BruteForce(metric, w.queries.row(q), 24, items, 25);
    for (size_t i = 0; i < exact.size(); ++i) {
      // Same ranking: the i-th result has the i-th smallest true distance (ties
      // in float may swap ids, never distances).
      EXPECT_NEAR(hits.value()[i].distance, exact[i].distance, DistanceTolerance(exact[i].distance))
          << "query " << q << " rank " << i;
    }
    EXPECT_GE(Recall(Ids(*index, hits.value()), exact), 0.96) << "query " << q;
  }
}

INSTANTIATE_TEST_SUITE_P(AllMetrics, RecallTest,
                         ::testing::Values(Metric::kL2, Metric::kCosine, Metric::kDot, Metric::kManhattan),
                         [](const ::testing::TestParamInfo<Metric>& info) {
                           return std::string(neurovec::MetricName(info.param));
                         });

// A query equal to a stored vector finds it first, at distance ~0. (Not for
// dot: under inner product a vector need not be its own nearest.)
TEST(Recall, StoredVectorsFindThemselves) {
  Dataset ds = Clustered(2000, 16, 5, 8, 1.0);
  for (Metric metric : {Metric::kL2, Metric::kCosine, Metric::kManhattan}) {
    SCOPED_TRACE(neurovec::MetricName(metric));
    auto index = MakeIndex(Config(16, metric));
    ASSERT_TRUE(index);
    ASSERT_TRUE(AddAll(*index, ds));
    int found = 0, asked = 0;
    for (uint32_t i = 0; i < ds.n; i += 7, ++asked) {
      SearchParams params;
      params.k = 1;
      auto hits = index->Search(ds.row(i), params);
      ASSERT_TRUE(hits.ok());
      ASSERT_EQ(hits.value().size(), 1u);
      found += IdOf(*index, hits.value()[0].slot) == i;
      EXPECT_NEAR(hits.value()[0].distance, 0.0, 1e-4);
    }
    EXPECT_GE(found, static_cast<int>(0.99 * asked));
  }
}

// Higher dimensions (and a stride that is a multiple of 16 with padding) still work.
TEST(Recall, HighDimensional) {
  const uint32_t dim = 100;
  Workload w = ClusteredWorkload(2000, 50, dim, 31, 8, 1.0);
  auto index = MakeIndex(Config(dim, Metric::kL2));
  ASSERT_TRUE(index);
  ASSERT_TRUE(AddAll(*index, w.base));
  const double recall = MeanRecall(*index, w.queries, Metric::kL2, AllItems(w.base), 100);
  std::printf("l2 dim=100: recall@10 ef=100 %.4f\n", recall);
  EXPECT_GE(recall, 0.95);
}

// Concurrent searches are allowed by the contract and give the same answers as
// sequential ones; the search counters add up.
TEST(Recall, ConcurrentSearchesAgreeWithSequential) {
  NV_SKIP_WITHOUT_THREADS();
  Workload w = ClusteredWorkload(2000, 100, 16, 8);
  auto index = MakeIndex(Config(16, Metric::kCosine));
  ASSERT_TRUE(index);
  ASSERT_TRUE(AddAll(*index, w.base));
  std::vector<std::vector<SearchHit>> expected(w.queries.n);
  for (uint32_t q = 0; q < w.queries.n; ++q) expected[q] = index->Search(w.queries.row(q), SearchParams{}).value();
  const uint64_t before = index->Stats().searches;
  std::atomic<int> mismatches{0};
  auto worker = [&](uint32_t start) {
    for (int round = 0; round < 5; ++round) {
      for (uint32_t i = 0; i < w.queries.n; ++i) {
        uint32_t q = (start + i) % w.queries.n;
        auto hits = index->Search(w.queries.row(q), SearchParams{});
        if (!hits.ok() || hits.value().size() != expected[q].size()) {
          ++mismatches;
          continue;
        }
        for (size_t j = 0; j < hits.value().size(); ++j) {
          if (hits.value()[j].slot != expected[q][j].slot || hits.value()[j].distance != expected[q][j].distance) {
            ++mismatches;
            break;
          }
        }
      }
    }
  };
  std::thread a(worker, 0), b(worker, 50);
  a.join();
  b.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(index->Stats().searches, before + 2 * 5 * w.queries.n);
}

TEST(Recall, StatsDescribeTheIndex) {
  Dataset ds = Clustered(1500, 20, 3);
  auto index = MakeIndex(Config(20, Metric::kManhattan));
  ASSERT_TRUE(index);
  ASSERT_TRUE(AddAll(*index, ds));
  neurovec::IndexStats s = index->Stats();
  EXPECT_EQ(s.size, 1500u);
  EXPECT_EQ(s.deleted, 0u);
  EXPECT_GE(s.capacity, 1500u);
  EXPECT_EQ(s.dimensions, 20u);
  EXPECT_EQ(s.metric, Metric::kManhattan);
  EXPECT_GE(s.max_level, 1u);  // 1500 items with m=16: level 1 is all but certain
  EXPECT_GE(s.memory_bytes, 1500u * 20 * sizeof(float));
  EXPECT_EQ(s.searches, 0u);
  neurovec::SearchCounters counters;
  ASSERT_TRUE(index->Search(ds.row(0), SearchParams{}, &counters).ok());
  s = index->Stats();
  EXPECT_EQ(s.searches, 1u);
  EXPECT_GT(counters.distance_computations, 0u);
  EXPECT_EQ(s.distance_computations, counters.distance_computations);
  EXPECT_EQ(s.last_search.distance_computations, counters.distance_computations);
  EXPECT_EQ(s.last_search.hops, counters.hops);
}

}  // namespace
