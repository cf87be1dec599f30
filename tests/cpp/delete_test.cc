// Deletes: never returned, graph repaired (recall over live items stays high),
// slots reused, ids freed for reuse.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>

#include "test_util.h"

namespace {

using namespace nvtest;

constexpr uint32_t kDim = 24;

class DeleteTest : public ::testing::TestWithParam<Metric> {};

TEST_P(DeleteTest, DeletedNeverReturnedAndRecallStaysHigh) {
  const Metric metric = GetParam();
  Workload w = ClusteredWorkload(3000, 200, kDim, 11, 8, 1.0);
  auto index = MakeIndex(Config(kDim, metric));
  ASSERT_TRUE(index);
  ASSERT_TRUE(AddAll(*index, w.base));

  double recall_by_fraction[2] = {0, 0};
  std::set<int64_t> deleted;
  uint32_t total_deleted = 0;
  int step = 0;
  for (uint32_t target : {900u, 1500u}) {  // 30%, then 50% of the items
    std::set<int64_t> more;
    // Delete more from the still-live ids.
    Rng rng(100 + target);
    while (total_deleted < target) {
      int64_t id = static_cast<int64_t>(rng.Below(w.base.n));
      if (deleted.count(id)) continue;
      ASSERT_TRUE(index->Remove(ItemKey::Number(id)).value());
      deleted.insert(id);
      ++total_deleted;
    }
    ASSERT_EQ(index->size(), w.base.n - total_deleted);
    ASSERT_EQ(index->Stats().deleted, total_deleted);
    for (int64_t id : deleted) ASSERT_FALSE(index->Contains(ItemKey::Number(id)));

    auto live = LiveItems(w.base, deleted);
    double sum = 0;
    for (uint32_t q = 0; q < w.queries.n; ++q) {
      SearchParams params;
      params.ef = 100;
      auto hits = index->Search(w.queries.row(q), params);
      ASSERT_TRUE(hits.ok());
      ASSERT_EQ(hits.value().size(), 10u) << "query " << q;
      ASSERT_TRUE(WellFormed(*index, hits.value()));
      for (int64_t id : Ids(*index, hits.value())) ASSERT_FALSE(deleted.count(id)) << "deleted id " << id << " returned";
      // Exact search must not return deleted items either.
      auto exact_hits = index->SearchExact(w.queries.row(q), 10);
      ASSERT_TRUE(exact_hits.ok());
      for (int64_t id : Ids(*index, exact_hits.value())) ASSERT_FALSE(deleted.count(id)) << "SearchExact returned " << id;
      sum += Recall(Ids(*index, hits.value()), BruteForce(metric, w.queries.row(q), kDim, live, 10));
    }
    recall_by_fraction[step++] = sum / w.queries.n;
  }
  std::printf("%s: recall@10 ef=100 after deleting 30%%: %.4f, 50%%: %.4f\n", neurovec::MetricName(metric),
              recall_by_fraction[0], recall_by_fraction[1]);
  EXPECT_GE(recall_by_fraction[0], 0.95);
  EXPECT_GE(recall_by_fraction[1], 0.95);
}

INSTANTIATE_TEST_SUITE_P(AllMetrics, DeleteTest,
                         ::testing::Values(Metric::kL2, Metric::kCosine, Metric::kDot, Metric::kManhattan),
                         [](const ::testing::TestParamInfo<Metric>& info) {
                           return std::string(neurovec::MetricName(info.param));
                         });

TEST(Delete, RemoveReportsWhetherTheIdWasLive) {
  Dataset ds = Clustered(10, 4, 1);
  auto index = MakeIndex(Config(4, Metric::kL2));
  ASSERT_TRUE(index);
  ASSERT_TRUE(AddAll(*index, ds));
  EXPECT_FALSE(index->Remove(ItemKey::Number(10)).value());
  EXPECT_FALSE(index->Remove(ItemKey::String("3")).value());  // "3" is not 3
  EXPECT_TRUE(index->Remove(ItemKey::Number(3)).value());
  EXPECT_FALSE(index->Remove(ItemKey::Number(3)).value());
  EXPECT_EQ(index->size(), 9u);
  EXPECT_FALSE(index->SlotOf(ItemKey::Number(3)).ok());
  EXPECT_EQ(index->SlotOf(ItemKey::Number(3)).status().code(), neurovec::StatusCode::kNotFound);
}

// Re-adding after deletes fills the freed slots: capacity does not grow, the
// deleted count drops, and Add returns the freed slots.
TEST(Delete, SlotsAreReusedByAdd) {
  const uint32_t n = 2000;
  Dataset ds = Clustered(n, kDim, 21);
  Dataset fresh = Clustered(600, kDim, 22);
  auto index = MakeIndex(Config(kDim, Metric::kL2));
  ASSERT_TRUE(index);
  ASSERT_TRUE(AddAll(*index, ds));
  std::set<uint32_t> freed_slots;
  Rng rng(3);
  std::set<int64_t> deleted;
  while (deleted.size() < 600) {
    int64_t id = static_cast<int64_t>(rng.Below(n));
    if (!deleted.insert(id).second) continue;
    freed_slots.insert(index->SlotOf(ItemKey::Number(id)).value());
    ASSERT_TRUE(index->Remove(ItemKey::Number(id)).value());
  }
  const neurovec::IndexStats before = index->Stats();
  EXPECT_EQ(before.deleted, 600u);
  EXPECT_EQ(before.size, n - 600);

  uint32_t outside = 0;
  for (uint32_t i = 0; i < fresh.n; ++i) {
    auto slot = index->Add(ItemKey::Number(100000 + i), fresh.row(i));
    ASSERT_TRUE(slot.ok()) << slot.status().message();
    outside += freed_slots.count(slot.value()) == 0;
    EXPECT_EQ(index->Stats().deleted + i + 1 - outside, 600u) << "deleted count must drop by one per reused slot";
  }
  // One freed slot may be held back (the graph's entry point keeps routing).
  EXPECT_LE(outside, 1u);
  const neurovec::IndexStats after = index->Stats();
  EXPECT_EQ(after.size, n);
  EXPECT_LE(after.deleted, 1u);
  EXPECT_EQ(after.capacity, before.capacity) << "re-adding into freed slots must not grow the index";
}

// The same through AddBatch, on an index whose capacity is exactly its size.
TEST(Delete, SlotsAreReusedByAddBatchAndAddAtFullCapacity) {
  const uint32_t n = 1500;
  Dataset ds = Clustered(n, kDim, 31);
  IndexConfig config = Config(kDim, Metric::kL2);
  config.initial_capacity = n;
  auto index = MakeIndex(config);
  ASSERT_TRUE(index);
  std::vector<ItemKey> keys;
  for (uint32_t i = 0; i < n; ++i) keys.push_back(ItemKey::Number(i));
  ASSERT_TRUE(index->AddBatch(keys, ds.data.data(), {}, neurovec::BatchOptions{}).ok());
  const uint64_t capacity = index->Stats().capacity;
  ASSERT_EQ(capacity, n);  // initial_capacity was exactly enough

  for (int64_t id = 0; id < 400; ++id) ASSERT_TRUE(index->Remove(ItemKey::Number(id)).value());
  // 200 back one by one, 200 as a batch: all fit in the 400 freed slots.
  for (int64_t id = 0; id < 200; ++id) {
    auto slot = index->Add(ItemKey::Number(id), ds.row(static_cast<size_t>(id)));
    ASSERT_TRUE(slot.ok());
    EXPECT_LT(slot.value(), n);
  }
  EXPECT_EQ(index->Stats().capacity, capacity) << "Add grew the index although freed slots were available";
  std::vector<ItemKey> batch_keys;
  for (int64_t id = 200; id < 400; ++id) batch_keys.push_back(ItemKey::Number(id));
  ASSERT_TRUE(index->AddBatch(batch_keys, ds.row(200), {}, neurovec::BatchOptions{}).ok());
  EXPECT_EQ(index->size(), n);
  EXPECT_LE(index->Stats().deleted, 1u);
  EXPECT_EQ(index->Stats().capacity, capacity) << "AddBatch grew the index although freed slots were available";
}

// Delete, re-add different vectors into the reused slots, repeat: stale links
// into reused slots must not hurt the graph much.
TEST(Delete, ChurnKeepsRecall) {
  const uint32_t n = 2000;
  Workload w = ClusteredWorkload(n, 100, 16, 41, 8, 1.0);
  Dataset pool = Clustered(3 * 500, 16, 42, 8, 1.0);  // replacement vectors
  auto index = MakeIndex(Config(16, Metric::kCosine));
  ASSERT_TRUE(index);
  ASSERT_TRUE(AddAll(*index, w.base));
  std::map<int64_t, std::vector<float>> live;
  for (uint32_t i = 0; i < n; ++i) live[i] = std::vector<float>(w.base.row(i), w.base.row(i) + 16);
  Rng rng(43);
  int64_t next_id = n;
  for (int round = 0; round < 3; ++round) {
    for (int j = 0; j < 500; ++j) {
      auto it = live.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(rng.Below(live.size())));
      ASSERT_TRUE(index->Remove(ItemKey::Number(it->first)).value());
      live.erase(it);
    }
    for (int j = 0; j < 500; ++j) {
      const float* v = pool.row(static_cast<size_t>(round) * 500 + j);
      ASSERT_TRUE(index->Add(ItemKey::Number(next_id), v).ok());
      live[next_id++] = std::vector<float>(v, v + 16);
    }
  }
  ASSERT_EQ(index->size(), live.size());
  std::vector<std::pair<int64_t, const float*>> items;
  for (const auto& [id, v] : live) items.emplace_back(id, v.data());
  double sum = 0;
  for (uint32_t q = 0; q < w.queries.n; ++q) {
    SearchParams params;
    params.ef = 100;
    auto hits = index->Search(w.queries.row(q), params);
    ASSERT_TRUE(hits.ok());
    ASSERT_EQ(hits.value().size(), 10u);
    ASSERT_TRUE(WellFormed(*index, hits.value()));
    for (int64_t id : Ids(*index, hits.value())) ASSERT_TRUE(live.count(id));
    sum += Recall(Ids(*index, hits.value()), BruteForce(Metric::kCosine, w.queries.row(q), 16, items, 10));
  }
  std::printf("cosine: recall@10 ef=100 after 3 rounds of 25%% churn: %.4f\n", sum / w.queries.n);
  EXPECT_GE(sum / w.queries.n, 0.93);
}

// A search with ef and k at least the number of slots walks everything it
// can reach from where the greedy descent lands; when that is fewer than the
// live items, the index falls back to an exact scan and says so
// (last_search.exact_scan): an independent witness of unreachable items.
bool WalkMissedSomething(VectorIndex& index, const float* query, uint32_t slots) {
  SearchParams params;
  params.k = slots;
  params.ef = slots;
  auto hits = index.Search(query, params);
  EXPECT_TRUE(hits.ok());
  EXPECT_EQ(hits.value().size(), index.size());
  return index.Stats().last_search.exact_scan;
}

// Health() counts what Stats() counts, and its reachability agrees with
// exhaustive searches; after heavy deletes the tombstones still route, and
// the links they left behind are counted. The figures are printed: they are
// the damage repair must undo.
TEST(Delete, HealthCountsTombstonesAndReachability) {
  const uint32_t n = 3000;
  Workload w = ClusteredWorkload(n, 200, kDim, 51, 8, 1.0);
  auto index = MakeIndex(Config(kDim, Metric::kL2, 8, 100));
  ASSERT_TRUE(index);
  ASSERT_TRUE(AddAll(*index, w.base));
  auto fresh = index->Health();
  ASSERT_TRUE(fresh.ok()) << fresh.status().message();
  EXPECT_EQ(fresh.value().live, n);
  EXPECT_EQ(fresh.value().tombstones, 0u);
  EXPECT_EQ(fresh.value().unreachable, fresh.value().unreachable_through_tombstones);
  EXPECT_LE(fresh.value().unreachable, n / 100);
  for (uint32_t q = 0; q < w.queries.n; ++q) {
    EXPECT_EQ(WalkMissedSomething(*index, w.queries.row(q), n), fresh.value().unreachable > 0);
  }
  EXPECT_EQ(fresh.value().links_to_tombstones, 0u);
  ASSERT_EQ(fresh.value().out_degree_histogram.size(), 2u * 8 + 1);
  uint64_t counted = 0, links = 0;
  for (size_t d = 0; d < fresh.value().out_degree_histogram.size(); ++d) {
    counted += fresh.value().out_degree_histogram[d];
    links += d * fresh.value().out_degree_histogram[d];
  }
  EXPECT_EQ(counted, n);
  EXPECT_DOUBLE_EQ(fresh.value().mean_out_degree, static_cast<double>(links) / n);
  EXPECT_GT(fresh.value().mean_out_degree, 4.0);

  // Delete half of the items, at random.
  Rng rng(52);
  std::set<int64_t> deleted;
  while (deleted.size() < n / 2) deleted.insert(static_cast<int64_t>(rng.Below(n)));
  for (int64_t id : deleted) ASSERT_TRUE(index->Remove(ItemKey::Number(id)).value());
  auto after = index->Health();
  ASSERT_TRUE(after.ok());
  const neurovec::IndexHealth& h = after.value();
  EXPECT_EQ(h.live, index->size());
  EXPECT_EQ(h.tombstones, index->Stats().deleted);
  EXPECT_LE(h.unreachable_through_tombstones, h.unreachable);
  for (uint32_t q = 0; q < w.queries.n; ++q) {
    EXPECT_EQ(WalkMissedSomething(*index, w.queries.row(q), n), h.unreachable_through_tombstones > 0);
  }
  std::printf("fresh: %llu unreachable of %u; after deleting 50%% at random: %llu live, %llu tombstones, "
              "%llu live-to-tombstone links, %llu unreachable (%llu through live items only), mean out-degree "
              "%.2f (fresh %.2f)\n",
              static_cast<unsigned long long>(fresh.value().unreachable), n, static_cast<unsigned long long>(h.live),
              static_cast<unsigned long long>(h.tombstones), static_cast<unsigned long long>(h.links_to_tombstones),
              static_cast<unsigned long long>(h.unreachable_through_tombstones),
              static_cast<unsigned long long>(h.unreachable), h.mean_out_degree, fresh.value().mean_out_degree);
  // Optimize() repairs what the deletes left: no link to a tombstone, every
  // live item reachable, recall over the live items not lower.
  const Items live_items = LiveItems(w.base, deleted);
  auto recall = [&]() { return MeanRecall(*index, w.queries, Metric::kL2, live_items, 40); };
  const double recall_before = recall();
  auto optimized = index->Optimize();
  ASSERT_TRUE(optimized.ok()) << optimized.status().message();
  EXPECT_EQ(optimized.value().unreachable_before, h.unreachable);
  EXPECT_EQ(optimized.value().unreachable_after, 0u);
  EXPECT_GT(optimized.value().lists_relinked, 0u);
  auto repaired = index->Health();
  ASSERT_TRUE(repaired.ok());
  EXPECT_EQ(repaired.value().unreachable, 0u);
  EXPECT_EQ(repaired.value().links_to_tombstones, 0u);
  EXPECT_EQ(repaired.value().live, h.live);
  const double recall_after = recall();
  std::printf("optimize: %llu lists relinked, %llu reconnected; recall@10 ef=40 %.4f -> %.4f; mean out-degree %.2f\n",
              static_cast<unsigned long long>(optimized.value().lists_relinked),
              static_cast<unsigned long long>(optimized.value().reconnected), recall_before, recall_after,
              repaired.value().mean_out_degree);
  EXPECT_GE(recall_after, recall_before - 0.01);
  for (const auto& [id, v] : live_items) ASSERT_TRUE(index->Contains(ItemKey::Number(id)));

  // Adding as many again reuses the slots: no tombstones left.
  Dataset more = Clustered(n / 2, kDim, 53, 8, 1.0);
  for (uint32_t i = 0; i < n / 2; ++i) ASSERT_TRUE(index->Add(ItemKey::Number(100000 + i), more.row(i)).ok());
  auto refilled = index->Health();
  ASSERT_TRUE(refilled.ok());
  EXPECT_EQ(refilled.value().tombstones, 0u);
  EXPECT_EQ(refilled.value().live, n);
}

// Optimize with a budget: many short calls make the same repair as one long
// call, and writes between the calls (deletes, adds reusing the freed slots)
// neither break the pass nor lose anything; the next pass repairs what they did.
TEST(Delete, OptimizeInSlicesRepairsLikeOneCall) {
  const uint32_t n = 3000;
  Workload w = ClusteredWorkload(n, 100, kDim, 61, 8, 1.0);
  auto whole = MakeIndex(Config(kDim, Metric::kL2, 8, 100));
  ASSERT_TRUE(whole);
  ASSERT_TRUE(AddAll(*whole, w.base));
  Rng rng(62);
  std::set<int64_t> deleted;
  while (deleted.size() < n / 3) deleted.insert(static_cast<int64_t>(rng.Below(n)));
  for (int64_t id : deleted) ASSERT_TRUE(whole->Remove(ItemKey::Number(id)).value());
  const std::string bytes = whole->SaveToBytes();
  auto sliced_loaded = neurovec::VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_TRUE(sliced_loaded.ok());
  neurovec::VectorIndex& sliced = *sliced_loaded.value();

  auto one = whole->Optimize();
  ASSERT_TRUE(one.ok());
  EXPECT_TRUE(one.value().done);
  neurovec::OptimizeOptions tiny;
  tiny.budget_ms = 0.01;  // about one unit per call
  neurovec::OptimizeReport last;
  int calls = 0;
  double progress = 0;
  do {
    auto step = sliced.Optimize(tiny);
    ASSERT_TRUE(step.ok()) << step.status().message();
    last = step.value();
    EXPECT_GE(last.progress, progress);
    progress = last.progress;
    ++calls;
  } while (!last.done && calls < 100000);
  ASSERT_TRUE(last.done);
  EXPECT_GT(calls, 10);
  EXPECT_EQ(last.progress, 1.0);
  // The same repair: the same lists re-selected, the same graph.
  EXPECT_EQ(last.lists_relinked, one.value().lists_relinked);
  EXPECT_EQ(last.unreachable_before, one.value().unreachable_before);
  EXPECT_EQ(last.unreachable_after, 0u);
  EXPECT_EQ(sliced.SaveToBytes(), whole->SaveToBytes());

  // Writes between the slices of the next pass.
  std::set<int64_t> gone;
  for (uint32_t i = 0; i < n && gone.size() < n / 5; ++i) {
    if (!deleted.count(i)) gone.insert(i);
  }
  Dataset more = Clustered(n / 5, kDim, 63, 8, 1.0);
  auto it = gone.begin();
  uint32_t added = 0;
  calls = 0;
  do {
    // Delete one, add one (reusing a freed slot), then a slice.
    if (it != gone.end()) {
      ASSERT_TRUE(sliced.Remove(ItemKey::Number(*it++)).value());
    }
    if (added < more.n) {
      ASSERT_TRUE(sliced.Add(ItemKey::Number(200000 + added), more.row(added)).ok());
      ++added;
    }
    auto step = sliced.Optimize(tiny);
    ASSERT_TRUE(step.ok()) << step.status().message();
    last = step.value();
    ++calls;
  } while (!last.done && calls < 100000);
  ASSERT_TRUE(last.done);
  while (it != gone.end()) ASSERT_TRUE(sliced.Remove(ItemKey::Number(*it++)).value());
  for (; added < more.n; ++added) ASSERT_TRUE(sliced.Add(ItemKey::Number(200000 + added), more.row(added)).ok());
  auto final_pass = sliced.Optimize();
  ASSERT_TRUE(final_pass.ok());
  auto health = sliced.Health();
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health.value().unreachable, 0u);
  EXPECT_EQ(health.value().links_to_tombstones, 0u);
  EXPECT_EQ(sliced.size(), n - deleted.size());
  for (uint32_t i = 0; i < n; ++i) {
    EXPECT_EQ(sliced.Contains(ItemKey::Number(i)), !deleted.count(i) && !gone.count(i)) << i;
  }
  for (uint32_t i = 0; i < more.n; ++i) {
    auto slot = sliced.SlotOf(ItemKey::Number(200000 + i));
    ASSERT_TRUE(slot.ok());
    std::vector<float> v(kDim);
    sliced.GetVector(slot.value(), v.data());
    for (uint32_t j = 0; j < kDim; ++j) ASSERT_EQ(v[j], more.row(i)[j]);
  }
  neurovec::OptimizeOptions bad;
  bad.budget_ms = -1;
  EXPECT_EQ(sliced.Optimize(bad).status().code(), neurovec::StatusCode::kInvalidArgument);
}

// Automatic maintenance: with a budget per write, passes start as the index
// changes and advance a step per delete or add; the index ends up with far
// fewer links to tombstones than a twin without it, and no unreachable items.
TEST(Delete, MaintenanceRepairsWhileWriting) {
  const uint32_t n = 3000;
  Workload w = ClusteredWorkload(n, 50, kDim, 71, 8, 1.0);
  std::unique_ptr<neurovec::VectorIndex> with = MakeIndex(Config(kDim, Metric::kL2, 8, 100));
  std::unique_ptr<neurovec::VectorIndex> without = MakeIndex(Config(kDim, Metric::kL2, 8, 100));
  ASSERT_TRUE(with && without);
  ASSERT_TRUE(AddAll(*with, w.base));
  ASSERT_TRUE(AddAll(*without, w.base));
  neurovec::MaintenanceOptions bad;
  bad.trigger_fraction = 0;
  EXPECT_EQ(with->SetMaintenance(bad).code(), neurovec::StatusCode::kInvalidArgument);
  neurovec::MaintenanceOptions options;
  options.budget_ms_per_write = 1;
  options.trigger_fraction = 0.05;
  ASSERT_TRUE(with->SetMaintenance(options).ok());
  Rng rng(72);
  std::set<int64_t> deleted;
  while (deleted.size() < n / 3) deleted.insert(static_cast<int64_t>(rng.Below(n)));
  for (int64_t id : deleted) {
    ASSERT_TRUE(with->Remove(ItemKey::Number(id)).value());
    ASSERT_TRUE(without->Remove(ItemKey::Number(id)).value());
  }
  // Writes go on (adds) until the pass under way ends.
  Dataset more = Clustered(400, kDim, 73, 8, 1.0);
  uint32_t added = 0;
  while (added < more.n && (added < 50 || with->Stats().maintenance.pass_active)) {
    ASSERT_TRUE(with->Add(ItemKey::Number(100000 + added), more.row(added)).ok());
    ASSERT_TRUE(without->Add(ItemKey::Number(100000 + added), more.row(added)).ok());
    ++added;
  }
  const neurovec::MaintenanceStats m = with->Stats().maintenance;
  EXPECT_FALSE(m.pass_active);
  EXPECT_GE(m.passes, 2u);
  EXPECT_GT(m.lists_relinked, 0u);
  EXPECT_GT(m.milliseconds, 0.0);
  EXPECT_EQ(m.options.budget_ms_per_write, 1.0);
  EXPECT_EQ(without->Stats().maintenance.passes, 0u);
  auto hw = with->Health();
  auto hn = without->Health();
  ASSERT_TRUE(hw.ok() && hn.ok());
  std::printf("maintenance: %llu passes in %.1f ms over %zu deletes and %u adds; links to tombstones %llu (without: %llu), "
              "unreachable %llu (without: %llu)\n",
              static_cast<unsigned long long>(m.passes), m.milliseconds, deleted.size(), added,
              static_cast<unsigned long long>(hw.value().links_to_tombstones),
              static_cast<unsigned long long>(hn.value().links_to_tombstones),
              static_cast<unsigned long long>(hw.value().unreachable), static_cast<unsigned long long>(hn.value().unreachable));
  EXPECT_LT(hw.value().links_to_tombstones * 4, hn.value().links_to_tombstones + 4);
  EXPECT_LE(hw.value().unreachable, hn.value().unreachable);
  EXPECT_EQ(with->size(), without->size());
  // Results are those of a sound index: the live items, found.
  for (uint32_t q = 0; q < w.queries.n; ++q) {
    neurovec::SearchParams p;
    p.k = 10;
    p.ef = 64;
    auto hits = with->Search(w.queries.row(q), p);
    ASSERT_TRUE(hits.ok());
    for (const auto& h : hits.value()) EXPECT_FALSE(deleted.count(with->KeyOf(h.slot).number()));
  }
}

// Random sequences of adds, deletes, re-adds of deleted ids, metadata
// changes, repair slices and automatic maintenance, checked against a model
// (id -> vector, metadata) after every step batch: the same ids, vectors and
// metadata, exact search agrees with the model, and a full repair pass leaves
// every live item reachable.
TEST(Delete, RandomOperationsAgainstAModel) {
  for (uint64_t seed : {81u, 82u, 83u}) {
    Rng rng(seed);
    auto index = MakeIndex(Config(kDim, Metric::kL2, 6, 60));
    ASSERT_TRUE(index);
    if (seed == 83) {
      neurovec::MaintenanceOptions m;
      m.budget_ms_per_write = 0.05;
      ASSERT_TRUE(index->SetMaintenance(m).ok());
    }
    Dataset pool = Clustered(4000, kDim, seed, 8, 1.0);
    std::map<int64_t, std::pair<uint32_t, std::string>> model;  // id -> (pool row, metadata)
    int64_t next_id = 0;
    neurovec::OptimizeOptions slice;
    slice.budget_ms = 0.02;
    for (int step = 0; step < 4000; ++step) {
      const double r = rng.Uniform(0, 1);
      if (r < 0.5 || model.size() < 20) {
        const uint32_t row = static_cast<uint32_t>(rng.Below(pool.n));
        const std::string meta = "{\"g\": " + std::to_string(row % 7) + "}";
        // Sometimes an id deleted earlier comes back.
        const int64_t id = (rng.Uniform(0, 1) < 0.2 && next_id > 0) ? static_cast<int64_t>(rng.Below(next_id)) : next_id++;
        if (model.count(id)) continue;
        ASSERT_TRUE(index->Add(ItemKey::Number(id), pool.row(row), meta).ok());
        model[id] = {row, meta};
      } else if (r < 0.85) {
        auto it = model.begin();
        std::advance(it, static_cast<long>(rng.Below(model.size())));
        ASSERT_TRUE(index->Remove(ItemKey::Number(it->first)).value());
        model.erase(it);
      } else if (r < 0.9) {
        auto it = model.begin();
        std::advance(it, static_cast<long>(rng.Below(model.size())));
        it->second.second = "{\"g\": 99}";
        ASSERT_TRUE(index->SetMetadata(ItemKey::Number(it->first), it->second.second).ok());
      } else {
        ASSERT_TRUE(index->Optimize(slice).ok());
      }
      if (step % 1000 != 999) continue;
      ASSERT_EQ(index->size(), model.size()) << "seed " << seed << " step " << step;
      std::vector<float> v(kDim);
      for (const auto& [id, entry] : model) {
        auto slot = index->SlotOf(ItemKey::Number(id));
        ASSERT_TRUE(slot.ok()) << id;
        index->GetVector(slot.value(), v.data());
        for (uint32_t j = 0; j < kDim; ++j) ASSERT_EQ(v[j], pool.row(entry.first)[j]) << id;
        ASSERT_EQ(index->Metadata(slot.value()), entry.second) << id;
      }
      for (int q = 0; q < 5; ++q) {
        const float* query = pool.row(static_cast<uint32_t>(rng.Below(pool.n)));
        auto exact = index->SearchExact(query, 5);
        ASSERT_TRUE(exact.ok());
        std::vector<std::pair<float, int64_t>> want;
        for (const auto& [id, entry] : model) {
          double d = 0;
          for (uint32_t j = 0; j < kDim; ++j) {
            const double diff = static_cast<double>(query[j]) - pool.row(entry.first)[j];
            d += diff * diff;
          }
          want.push_back({static_cast<float>(d), id});
        }
        std::sort(want.begin(), want.end());
        ASSERT_EQ(exact.value().size(), std::min<size_t>(5, want.size()));
        // Equal distances may come in either order: compare distances, and ids where unambiguous.
        for (size_t i = 0; i < exact.value().size(); ++i) {
          EXPECT_NEAR(exact.value()[i].distance, want[i].first, 1e-3 * (1 + want[i].first)) << "seed " << seed;
        }
      }
      auto pass = index->Optimize();
      ASSERT_TRUE(pass.ok());
      EXPECT_EQ(pass.value().unreachable_after, 0u) << "seed " << seed << " step " << step;
      auto health = index->Health();
      ASSERT_TRUE(health.ok());
      EXPECT_EQ(health.value().unreachable, 0u);
      EXPECT_EQ(health.value().links_to_tombstones, 0u);
      EXPECT_EQ(health.value().live, model.size());
    }
  }
}

// A deleted id can be added again, with a new vector, and is found by it.
TEST(Delete, DeletedIdCanBeAddedAgain) {
  Dataset ds = Clustered(500, 8, 51);
  auto index = MakeIndex(Config(8, Metric::kL2));
  ASSERT_TRUE(index);
  ASSERT_TRUE(AddAll(*index, ds));
  ASSERT_TRUE(index->Remove(ItemKey::Number(7)).value());
  std::vector<float> v(8, 5.0f);  // far from all the data
  ASSERT_TRUE(index->Add(ItemKey::Number(7), v.data(), R"({"again": true})").ok());
  EXPECT_TRUE(index->Contains(ItemKey::Number(7)));
  uint32_t slot = index->SlotOf(ItemKey::Number(7)).value();
  std::vector<float> out(8);
  index->GetVector(slot, out.data());
  EXPECT_EQ(out, v);
  EXPECT_EQ(index->Metadata(slot), R"({"again": true})");
  SearchParams params;
  params.k = 1;
  auto hits = index->Search(v.data(), params);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits.value().size(), 1u);
  EXPECT_EQ(IdOf(*index, hits.value()[0].slot), 7);
  EXPECT_FLOAT_EQ(hits.value()[0].distance, 0.0f);
}

// Metadata of a deleted item must not leak into its reused slot.
TEST(Delete, ReusedSlotDoesNotKeepOldMetadata) {
  Dataset ds = Clustered(50, 8, 52);
  auto index = MakeIndex(Config(8, Metric::kL2));
  ASSERT_TRUE(index);
  for (uint32_t i = 0; i < ds.n; ++i) {
    ASSERT_TRUE(index->Add(ItemKey::Number(i), ds.row(i), R"({"tag": "old"})").ok());
  }
  for (int64_t id = 0; id < 50; ++id) ASSERT_TRUE(index->Remove(ItemKey::Number(id)).value());
  for (uint32_t i = 0; i < ds.n; ++i) ASSERT_TRUE(index->Add(ItemKey::Number(1000 + i), ds.row(i)).ok());
  SearchParams params;
  params.k = 50;
  params.filter = R"({"tag": "old"})";
  auto hits = index->Search(ds.row(0), params);
  ASSERT_TRUE(hits.ok());
  EXPECT_TRUE(hits.value().empty());
  for (uint32_t i = 0; i < ds.n; ++i) EXPECT_EQ(index->Metadata(index->SlotOf(ItemKey::Number(1000 + i)).value()), "");
}

// Deleting everything, then adding again.
TEST(Delete, DeleteAllThenAddAgain) {
  for (Metric metric : AllMetrics()) {
    SCOPED_TRACE(neurovec::MetricName(metric));
    Dataset ds = Clustered(300, 12, 61);
    auto index = MakeIndex(Config(12, metric));
    ASSERT_TRUE(index);
    ASSERT_TRUE(AddAll(*index, ds));
    for (int64_t id = 0; id < 300; ++id) ASSERT_TRUE(index->Remove(ItemKey::Number(id)).value());
    EXPECT_EQ(index->size(), 0u);
    auto hits = index->Search(ds.row(0), SearchParams{});
    ASSERT_TRUE(hits.ok());
    EXPECT_TRUE(hits.value().empty());
    EXPECT_TRUE(index->SearchExact(ds.row(0), 5).value().empty());
    // Add back a third under new ids.
    for (uint32_t i = 0; i < 100; ++i) ASSERT_TRUE(index->Add(ItemKey::Number(500 + i), ds.row(i)).ok());
    EXPECT_EQ(index->size(), 100u);
    for (uint32_t i = 0; i < 100; i += 9) {
      SearchParams params;
      params.k = 100;
      auto all = index->Search(ds.row(i), params);
      ASSERT_TRUE(all.ok());
      EXPECT_EQ(all.value().size(), 100u);
      ASSERT_TRUE(WellFormed(*index, all.value()));
    }
  }
}

}  // namespace
