// "k results whenever k live items exist": tiny indexes, k above the size, and
// indexes deleted down to a few items.
#include <gtest/gtest.h>

#include <set>

#include "test_util.h"

namespace {

using namespace nvtest;

class KResultsTest : public ::testing::TestWithParam<Metric> {};

// Every query on a tiny index returns all of it (k >= size) or exactly k, and
// the top ones are the brute-force ones.
TEST_P(KResultsTest, TinyIndexes) {
  const Metric metric = GetParam();
  for (uint32_t n : {1u, 2u, 3u, 5u, 17u}) {
    SCOPED_TRACE("n=" + std::to_string(n));
    Workload w = ClusteredWorkload(n, 20, 6, 1000 + n, 3);
    auto index = MakeIndex(Config(6, metric));
    ASSERT_TRUE(index);
    ASSERT_TRUE(AddAll(*index, w.base));
    auto items = AllItems(w.base);
    for (uint32_t q = 0; q < w.queries.n; ++q) {
      for (uint32_t k : {1u, 2u, 5u, 10u, 100u}) {
        SearchParams params;
        params.k = k;
        auto hits = index->Search(w.queries.row(q), params);
        ASSERT_TRUE(hits.ok());
        ASSERT_EQ(hits.value().size(), std::min(k, n)) << "k=" << k;
        ASSERT_TRUE(WellFormed(*index, hits.value()));
        auto exact = BruteForce(metric, w.queries.row(q), 6, items, k);
        ASSERT_EQ(index->SearchExact(w.queries.row(q), k).value().size(), std::min(k, n));
        for (size_t i = 0; i < exact.size(); ++i) {
          EXPECT_NEAR(hits.value()[i].distance, exact[i].distance, DistanceTolerance(exact[i].distance)) << "k=" << k;
        }
      }
    }
  }
}

TEST_P(KResultsTest, EmptyIndexReturnsNothing) {
  auto index = MakeIndex(Config(5, GetParam()));
  ASSERT_TRUE(index);
  std::vector<float> q = {1, 2, 3, 4, 5};
  auto hits = index->Search(q.data(), SearchParams{});
  ASSERT_TRUE(hits.ok());
  EXPECT_TRUE(hits.value().empty());
  SearchParams filtered;
  filtered.filter = R"({"a": 1})";
  hits = index->Search(q.data(), filtered);
  ASSERT_TRUE(hits.ok());
  EXPECT_TRUE(hits.value().empty());
  EXPECT_TRUE(index->SearchExact(q.data(), 3).value().empty());
}

// k above the size on a real graph: every item is returned (ef is raised to k,
// so the search can reach everything), with the default graph and a sparse one.
TEST_P(KResultsTest, KLargerThanSizeReturnsEverything) {
  const Metric metric = GetParam();
  Workload w = ClusteredWorkload(300, 10, 16, 77, 6);
  for (uint32_t m : {16u, 4u}) {
    SCOPED_TRACE("m=" + std::to_string(m));
    auto index = MakeIndex(Config(16, metric, m, m == 4 ? 20 : 200, 10));
    ASSERT_TRUE(index);
    ASSERT_TRUE(AddAll(*index, w.base));
    for (uint32_t q = 0; q < w.queries.n; ++q) {
      SearchParams params;
      params.k = 1000;
      auto hits = index->Search(w.queries.row(q), params);
      ASSERT_TRUE(hits.ok());
      EXPECT_EQ(hits.value().size(), 300u) << "query " << q;
      EXPECT_TRUE(WellFormed(*index, hits.value()));
    }
    EXPECT_EQ(index->SearchExact(w.queries.row(0), 1000).value().size(), 300u);
  }
}

// The same at a realistic size: k = n on 1500 clustered items, default config.
TEST_P(KResultsTest, KEqualToSizeOnALargerIndex) {
  const Metric metric = GetParam();
  Workload w = ClusteredWorkload(1500, 3, 16, 78, 6);
  auto index = MakeIndex(Config(16, metric));
  ASSERT_TRUE(index);
  ASSERT_TRUE(AddAll(*index, w.base));
  for (uint32_t q = 0; q < w.queries.n; ++q) {
    SearchParams params;
    params.k = 1500;
    auto hits = index->Search(w.queries.row(q), params);
    ASSERT_TRUE(hits.ok());
    EXPECT_EQ(hits.value().size(), 1500u) << "query " << q << ": some items cannot be reached by the search";
  }
}

// Deleting down to a few items: exactly those remain findable, from any query.
TEST_P(KResultsTest, AfterDeletingDownToAFew) {
  const Metric metric = GetParam();
  Workload w = ClusteredWorkload(1000, 30, 16, 88);
  auto index = MakeIndex(Config(16, metric));
  ASSERT_TRUE(index);
  ASSERT_TRUE(AddAll(*index, w.base));
  Rng rng(5);
  std::vector<int64_t> order(1000);
  for (int64_t i = 0; i < 1000; ++i) order[static_cast<size_t>(i)] = i;
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.Below(i)]);

  size_t removed = 0;
  for (size_t remaining : {500u, 100u, 20u, 10u, 5u, 2u, 1u}) {
    while (1000 - removed > remaining) ASSERT_TRUE(index->Remove(ItemKey::Number(order[removed++])).value());
    SCOPED_TRACE("remaining=" + std::to_string(remaining));
    std::set<int64_t> live(order.begin() + static_cast<std::ptrdiff_t>(removed), order.end());
    ASSERT_EQ(index->size(), remaining);
    std::vector<std::pair<int64_t, const float*>> items;
    for (int64_t id : live) items.emplace_back(id, w.base.row(static_cast<size_t>(id)));
    int short_results = 0;
    for (uint32_t q = 0; q < w.queries.n; ++q) {
      for (uint32_t k : {1u, 10u}) {
        SearchParams params;
        params.k = k;
        auto hits = index->Search(w.queries.row(q), params);
        ASSERT_TRUE(hits.ok());
        ASSERT_TRUE(WellFormed(*index, hits.value()));
        for (int64_t id : Ids(*index, hits.value())) ASSERT_TRUE(live.count(id)) << "deleted id " << id;
        short_results += hits.value().size() != std::min<size_t>(k, remaining);
      }
      // When everything fits in k, the result is exactly the live set.
      if (remaining <= 10) {
        SearchParams params;
        params.k = 10;
        auto hits = index->Search(w.queries.row(q), params);
        std::vector<int64_t> ids = Ids(*index, hits.value());
        EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()), live) << "query " << q;
      }
    }
    EXPECT_EQ(short_results, 0) << "searches that returned fewer than min(k, live) results";
  }
}

INSTANTIATE_TEST_SUITE_P(AllMetrics, KResultsTest,
                         ::testing::Values(Metric::kL2, Metric::kCosine, Metric::kDot, Metric::kManhattan),
                         [](const ::testing::TestParamInfo<Metric>& info) {
                           return std::string(neurovec::MetricName(info.param));
                         });

// A graph where most items were deleted in one region: queries aimed at that
// region must still reach the live items elsewhere.
TEST(KResults, WholeClusterDeleted) {
  // Two far-apart clusters; delete all of the first but two items.
  const uint32_t dim = 8;
  Rng rng(9);
  Dataset ds;
  ds.n = 800;
  ds.dim = dim;
  ds.data.resize(800 * dim);
  for (uint32_t i = 0; i < 800; ++i)
    for (uint32_t j = 0; j < dim; ++j) ds.row(i)[j] = static_cast<float>((i < 400 ? 0.0 : 10.0) + 0.1 * rng.Normal());
  auto index = MakeIndex(Config(dim, Metric::kL2));
  ASSERT_TRUE(index);
  ASSERT_TRUE(AddAll(*index, ds));
  for (int64_t id = 2; id < 400; ++id) ASSERT_TRUE(index->Remove(ItemKey::Number(id)).value());
  std::vector<float> query(dim, 0.0f);
  SearchParams params;
  params.k = 12;
  auto hits = index->Search(query.data(), params);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits.value().size(), 12u);
  ASSERT_TRUE(WellFormed(*index, hits.value()));
  std::vector<int64_t> ids = Ids(*index, hits.value());
  // The two survivors of the near cluster come first, then ten far ones.
  EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.begin() + 2), (std::set<int64_t>{0, 1}));
  for (size_t i = 2; i < ids.size(); ++i) EXPECT_GE(ids[i], 400);
}

}  // namespace
