// AddBatch: reproducibility from the seed, multi-threaded builds, progress
// callbacks and aborts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <mutex>
#include <set>

#include "test_util.h"

namespace {

using namespace nvtest;
using neurovec::BatchOptions;
using neurovec::StatusCode;

constexpr uint32_t kDim = 24;

std::vector<ItemKey> Keys(uint32_t n, int64_t offset = 0) {
  std::vector<ItemKey> keys;
  keys.reserve(n);
  for (uint32_t i = 0; i < n; ++i) keys.push_back(ItemKey::Number(offset + i));
  return keys;
}

// Every result of every query, bit for bit.
std::vector<std::vector<std::pair<int64_t, float>>> AllResults(const VectorIndex& index, const Dataset& queries,
                                                               uint32_t k = 10) {
  std::vector<std::vector<std::pair<int64_t, float>>> out;
  for (uint32_t q = 0; q < queries.n; ++q) {
    SearchParams params;
    params.k = k;
    std::vector<std::pair<int64_t, float>> r;
    const std::vector<SearchHit> hits = index.Search(queries.row(q), params).value();
    for (const SearchHit& h : hits) r.emplace_back(IdOf(index, h.slot), h.distance);
    out.push_back(r);
  }
  return out;
}

TEST(Batch, SameSeedSameResults) {
  Workload w = ClusteredWorkload(2000, 100, kDim, 900);
  IndexConfig config = Config(kDim, Metric::kL2, 12, 80, 32, 1234);
  auto a = MakeIndex(config);
  auto b = MakeIndex(config);
  auto c = MakeIndex(config);
  ASSERT_TRUE(a && b && c);
  ASSERT_TRUE(AddAll(*a, w.base));
  ASSERT_TRUE(AddAll(*b, w.base));
  ASSERT_TRUE(c->AddBatch(Keys(w.base.n), w.base.data.data(), {}, BatchOptions{}).ok());
  auto ra = AllResults(*a, w.queries);
  EXPECT_EQ(ra, AllResults(*b, w.queries)) << "two Add loops with the same seed differ";
  EXPECT_EQ(a->Stats().max_level, b->Stats().max_level);
  EXPECT_EQ(a->Stats().memory_bytes, b->Stats().memory_bytes);
  // A single-threaded AddBatch builds the same graph as the Add loop: the same
  // ids, and the same walk (counters) for every query. Distances are compared
  // with a tolerance: the store may order dimensions from a different sample
  // of the data (Add sees items one by one), which only changes float rounding.
  auto rc = AllResults(*c, w.queries);
  ASSERT_EQ(ra.size(), rc.size());
  EXPECT_EQ(a->Stats().max_level, c->Stats().max_level);
  for (uint32_t q = 0; q < w.queries.n; ++q) {
    ASSERT_EQ(ra[q].size(), rc[q].size());
    for (size_t i = 0; i < ra[q].size(); ++i) {
      EXPECT_EQ(ra[q][i].first, rc[q][i].first) << "AddBatch and Add loop differ: query " << q << " rank " << i;
      EXPECT_NEAR(ra[q][i].second, rc[q][i].second, 1e-6 * (1 + std::fabs(ra[q][i].second)));
    }
    neurovec::SearchCounters ca, cb, cc;
    ASSERT_TRUE(a->Search(w.queries.row(q), SearchParams{}, &ca).ok());
    ASSERT_TRUE(b->Search(w.queries.row(q), SearchParams{}, &cb).ok());
    ASSERT_TRUE(c->Search(w.queries.row(q), SearchParams{}, &cc).ok());
    EXPECT_EQ(ca.distance_computations, cb.distance_computations);
    EXPECT_EQ(ca.hops, cb.hops);
    EXPECT_EQ(ca.distance_computations, cc.distance_computations) << "query " << q;
    EXPECT_EQ(ca.hops, cc.hops) << "query " << q;
  }
}

TEST(Batch, SameSeedSameResultsAfterDeletesAndReadds) {
  Workload w = ClusteredWorkload(1500, 60, kDim, 901);
  IndexConfig config = Config(kDim, Metric::kCosine, 8, 60, 32, 99);
  auto build = [&] {
    auto index = MakeIndex(config);
    EXPECT_TRUE(AddAll(*index, w.base));
    for (int64_t id = 0; id < 1500; id += 3) EXPECT_TRUE(index->Remove(ItemKey::Number(id)).value());
    for (int64_t id = 0; id < 600; id += 3) EXPECT_TRUE(index->Add(ItemKey::Number(id), w.base.row(static_cast<size_t>(id) + 1)).ok());
    return index;
  };
  auto a = build();
  auto b = build();
  EXPECT_EQ(AllResults(*a, w.queries), AllResults(*b, w.queries));
}

TEST(Batch, TwoThreadsBuildAComparableGraph) {
  Workload w = ClusteredWorkload(4000, 200, kDim, 902);
  IndexConfig config = Config(kDim, Metric::kL2, 12, 100, 64, 5);
  auto one = MakeIndex(config);
  auto two = MakeIndex(config);
  ASSERT_TRUE(one && two);
  BatchOptions o1;
  o1.threads = 1;
  BatchOptions o2;
  o2.threads = 2;
  ASSERT_TRUE(one->AddBatch(Keys(w.base.n), w.base.data.data(), {}, o1).ok());
  ASSERT_TRUE(two->AddBatch(Keys(w.base.n), w.base.data.data(), {}, o2).ok());
  ASSERT_EQ(two->size(), w.base.n);
  for (uint32_t i = 0; i < w.base.n; i += 37) {
    ASSERT_TRUE(two->Contains(ItemKey::Number(i)));
    std::vector<float> v(kDim);
    two->GetVector(two->SlotOf(ItemKey::Number(i)).value(), v.data());
    EXPECT_EQ(v, std::vector<float>(w.base.row(i), w.base.row(i) + kDim));
  }
  double r1 = MeanRecall(*one, w.queries, Metric::kL2, AllItems(w.base), 64);
  double r2 = MeanRecall(*two, w.queries, Metric::kL2, AllItems(w.base), 64);
  std::printf("recall@10 ef=64: threads=1 %.4f, threads=2 %.4f\n", r1, r2);
  EXPECT_GE(r1, 0.95);
  EXPECT_GE(r2, r1 - 0.02);
}

// SearchBatch gives, query by query, exactly what Search gives, on one thread
// or several (threads are ignored in the single-thread wasm build), with a
// filter too; a bad query's error names it and nothing else is hidden.
TEST(Batch, SearchBatchEqualsSearchQueryByQuery) {
  Workload w = ClusteredWorkload(3000, 120, kDim, 903);
  IndexConfig config = Config(kDim, Metric::kL2, 12, 80, 48, 9);
  auto index = MakeIndex(config);
  ASSERT_TRUE(index);
  std::vector<std::string> metadata;
  for (uint32_t i = 0; i < w.base.n; ++i) metadata.push_back(i % 4 == 0 ? "{\"quarter\":true}" : "{\"quarter\":false}");
  ASSERT_TRUE(index->AddBatch(Keys(w.base.n), w.base.data.data(), metadata, BatchOptions{}).ok());
  for (const std::string& filter : {std::string(), std::string("{\"quarter\":true}")}) {
    SearchParams params;
    params.k = 10;
    params.ef = 40;
    params.filter = filter;
    for (uint32_t threads : {1u, 2u, 3u}) {
      std::vector<std::vector<SearchHit>> batch;
      ASSERT_TRUE(index->SearchBatch(w.queries.data.data(), w.queries.n, params, threads, &batch).ok());
      ASSERT_EQ(batch.size(), w.queries.n);
      for (uint32_t q = 0; q < w.queries.n; ++q) {
        const std::vector<SearchHit> one = index->Search(w.queries.row(q), params).value();
        ASSERT_EQ(batch[q].size(), one.size()) << "query " << q << " threads " << threads;
        for (size_t j = 0; j < one.size(); ++j) {
          EXPECT_EQ(batch[q][j].slot, one[j].slot);
          EXPECT_EQ(batch[q][j].distance, one[j].distance);
        }
      }
    }
  }
  // No queries: no results, no error.
  std::vector<std::vector<SearchHit>> none;
  SearchParams params;
  params.k = 5;
  EXPECT_TRUE(index->SearchBatch(nullptr, 0, params, 2, &none).ok());
  EXPECT_TRUE(none.empty());
  // Query 7 of 20 holds a NaN: the error says which.
  std::vector<float> queries(w.queries.data.begin(), w.queries.data.begin() + 20 * kDim);
  queries[7 * kDim + 3] = std::nanf("");
  std::vector<std::vector<SearchHit>> out;
  neurovec::Status bad = index->SearchBatch(queries.data(), 20, params, 2, &out);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("query 7"), std::string::npos) << bad.message();
}

// Metadata goes with the right item in a multi-threaded batch.
TEST(Batch, MetadataFollowsItsItem) {
  Dataset ds = Clustered(1000, 8, 903);
  auto index = MakeIndex(Config(8, Metric::kManhattan));
  ASSERT_TRUE(index);
  std::vector<std::string> meta;
  for (uint32_t i = 0; i < ds.n; ++i) meta.push_back("{\"i\": " + std::to_string(i) + "}");
  BatchOptions options;
  options.threads = 2;
  ASSERT_TRUE(index->AddBatch(Keys(ds.n), ds.data.data(), meta, options).ok());
  for (uint32_t i = 0; i < ds.n; ++i) {
    uint32_t slot = index->SlotOf(ItemKey::Number(i)).value();
    EXPECT_EQ(index->Metadata(slot), meta[i]);
  }
  SearchParams params;
  params.filter = R"({"i": {"$gte": 500, "$lt": 510}})";
  params.k = 20;
  auto hits = index->Search(ds.row(0), params);
  ASSERT_TRUE(hits.ok());
  std::vector<int64_t> ids = Ids(*index, hits.value());
  EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()), (std::set<int64_t>{500, 501, 502, 503, 504, 505, 506, 507, 508, 509}));
}

class ProgressTest : public ::testing::TestWithParam<uint32_t> {};

// Progress: counts increase, never exceed n, and the last report is n. With two
// threads, which thread finishes the last item is up to the scheduler, so the
// batch is repeated to give a missing final report many chances to show.
TEST_P(ProgressTest, ProgressReportsEndAtN) {
  const uint32_t threads = GetParam();
  const uint32_t n = threads == 1 ? 3000 : 800;
  const int runs = threads == 1 ? 1 : 8;
  Dataset ds = Clustered(n, 16, 904);
  int runs_without_final_report = 0;
  for (int run = 0; run < runs; ++run) {
    auto index = MakeIndex(Config(16, Metric::kL2, 8, 40));
    ASSERT_TRUE(index);
    std::mutex mu;
    std::vector<uint64_t> seen;
    BatchOptions options;
    options.threads = threads;
    options.progress_every = threads == 1 ? 256 : 100;
    options.on_progress = [&](uint64_t done, uint64_t total) {
      std::lock_guard<std::mutex> lock(mu);
      EXPECT_EQ(total, n);
      seen.push_back(done);
      return true;
    };
    ASSERT_TRUE(index->AddBatch(Keys(n), ds.data.data(), {}, options).ok());
    EXPECT_EQ(index->size(), n);
    ASSERT_FALSE(seen.empty());
    for (size_t i = 1; i < seen.size(); ++i) EXPECT_LT(seen[i - 1], seen[i]) << "report " << i;
    EXPECT_LE(seen.back(), n);
    if (seen.back() != n) {
      ++runs_without_final_report;
      std::printf("run %d: last progress report %llu of %u\n", run, static_cast<unsigned long long>(seen.back()), n);
    }
    if (threads == 1) {
      // One report per 256 items plus the final one.
      EXPECT_EQ(seen.size(), n / 256 + 1);
      for (size_t i = 0; i + 1 < seen.size(); ++i) EXPECT_EQ(seen[i], 256 * (i + 1));
    }
  }
  EXPECT_EQ(runs_without_final_report, 0) << "the last progress report must say all " << n << " items are done";
}

// Returning false aborts: kAborted, the index holds exactly the items inserted,
// they are searchable, and the rest can be added afterwards.
TEST_P(ProgressTest, AbortKeepsTheIndexConsistent) {
  const uint32_t threads = GetParam();
  const uint32_t n = 3000;
  Workload w = ClusteredWorkload(n, 50, 16, 905);
  auto index = MakeIndex(Config(16, Metric::kL2, 8, 40));
  ASSERT_TRUE(index);
  // A few items before the batch, to check they survive the abort.
  Dataset before = Clustered(20, 16, 906);
  ASSERT_TRUE(AddAll(*index, before, 100000));
  uint64_t calls = 0;
  uint64_t last = 0;
  BatchOptions options;
  options.threads = threads;
  options.progress_every = 256;
  std::mutex mu;
  options.on_progress = [&](uint64_t done, uint64_t total) {
    std::lock_guard<std::mutex> lock(mu);
    ++calls;
    EXPECT_GE(done, last);
    last = done;
    return done < 1000;  // stop at the first report past 1000
  };
  neurovec::Status s = index->AddBatch(Keys(n), w.base.data.data(), {}, options);
  ASSERT_EQ(s.code(), StatusCode::kAborted) << s.message();
  EXPECT_FALSE(s.message().empty());

  std::vector<uint32_t> present, absent;
  for (uint32_t i = 0; i < n; ++i) (index->Contains(ItemKey::Number(i)) ? present : absent).push_back(i);
  std::printf("threads=%u: aborted after %zu of %u items (last report %llu)\n", threads, present.size(), n,
              static_cast<unsigned long long>(last));
  EXPECT_EQ(index->size(), present.size() + 20);
  EXPECT_GE(present.size(), 1000u);
  // With 2 threads the other thread may link everything before the reporting
  // one gets to stop it (seen on a loaded 2-core machine); with one thread the
  // stop is exact (checked below).
  if (threads > 1) {
    EXPECT_LE(present.size(), n);
  }
  EXPECT_EQ(last, present.size()) << "the final report should give the number of items kept";
  if (threads == 1) {
    // Items go in input order: a prefix is kept.
    EXPECT_EQ(present.size(), 1024u);
    for (size_t i = 0; i < present.size(); ++i) EXPECT_EQ(present[i], i);
  }
  for (uint32_t i = 0; i < 20; ++i) EXPECT_TRUE(index->Contains(ItemKey::Number(100000 + i)));

  // The kept items are searchable: each finds itself among its 10 nearest.
  // HNSW does not promise that every node is reachable, and with 2 threads the
  // graph differs per run, so one miss is tolerated. More means the abort or the
  // concurrent insert broke the graph: under CPU load this test lost up to 11 of
  // the ~80 checked items while HnswGraph::Insert connected levels top-down (a
  // node reachable above before its level-0 list existed); bottom-up, 0 misses
  // in 280 runs, 80 of them beside three busy loops.
  int misses = 0;
  for (size_t j = 0; j < present.size(); j += 13) {
    SearchParams params;
    params.k = 10;
    params.ef = 200;
    auto hits = index->Search(w.base.row(present[j]), params);
    ASSERT_TRUE(hits.ok());
    ASSERT_EQ(hits.value().size(), 10u);
    bool found = false;
    for (const auto& h : hits.value()) found |= IdOf(*index, h.slot) == static_cast<int64_t>(present[j]);
    if (!found) {
      ++misses;
      std::printf("item %u is not among its own 10 nearest\n", present[j]);
    }
  }
  EXPECT_LE(misses, 1);
  for (uint32_t q = 0; q < w.queries.n; ++q) {
    SearchParams params;
    params.k = 50;
    auto hits = index->Search(w.queries.row(q), params);
    ASSERT_TRUE(hits.ok());
    ASSERT_EQ(hits.value().size(), 50u);
    ASSERT_TRUE(WellFormed(*index, hits.value()));
    auto exact = index->SearchExact(w.queries.row(q), 50);
    ASSERT_TRUE(WellFormed(*index, exact.value()));
  }

  // The rest goes in now, and the full index is good.
  std::vector<ItemKey> rest_keys;
  std::vector<float> rest;
  for (uint32_t i : absent) {
    rest_keys.push_back(ItemKey::Number(i));
    rest.insert(rest.end(), w.base.row(i), w.base.row(i) + 16);
  }
  ASSERT_TRUE(index->AddBatch(rest_keys, rest.data(), {}, BatchOptions{}).ok());
  EXPECT_EQ(index->size(), n + 20);
  EXPECT_LE(index->Stats().deleted, 1u);
  ASSERT_TRUE(index->Remove(ItemKey::Number(100000)).value());
  // Brute force over everything live: the batch plus the 19 remaining early items.
  auto items = AllItems(w.base);
  for (uint32_t i = 1; i < 20; ++i) items.emplace_back(100000 + i, before.row(i));
  const double recall = MeanRecall(*index, w.queries, Metric::kL2, items, 100);
  std::printf("recall@10 ef=100 after abort and completion: %.4f\n", recall);
  EXPECT_GE(recall, 0.9);
}

INSTANTIATE_TEST_SUITE_P(Threads, ProgressTest, ::testing::Values(1u, 2u),
                         [](const ::testing::TestParamInfo<uint32_t>& info) {
                           return "threads" + std::to_string(info.param);
                         });

}  // namespace
