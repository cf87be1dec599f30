// Compression tiers (IndexConfig::tiers): access decay, heat, the tier policy
// with hysteresis, moves that keep ids / metadata / results, recall per tier
// against brute force, persistence and option errors. Time is the injected
// tier clock (SetTierClock), so nothing here depends on wall time.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "util/byte_io.h"
#include "persistence/index_file.h"
#include "index_file_edit.h"
#include "test_util.h"

namespace {

using namespace neurovec;
using nvtest::Dataset;

IndexConfig TieredConfig(uint32_t dim, uint32_t budget = 0) {
  IndexConfig c = nvtest::Config(dim, Metric::kL2, 12, 100, 64);
  c.tiers.enabled = true;
  c.tiers.train_items = 256;
  c.tiers.migration_budget = budget;
  c.tiers.rerank = 100;
  return c;
}

// One access of `slot`: a k=1 search for its own vector returns exactly it.
void Access(VectorIndex& index, const Dataset& ds, uint32_t slot) {
  SearchParams p;
  p.k = 1;
  auto hits = index.Search(ds.row(slot), p);
  ASSERT_TRUE(hits.ok()) << hits.status().message();
  ASSERT_EQ(hits.value().size(), 1u);
  ASSERT_EQ(hits.value()[0].slot, slot);
}

double Count(const VectorIndex& index, uint32_t slot) { return index.AccessCountOfSlot(slot).value(); }
double HeatOf(const VectorIndex& index, uint32_t slot) { return index.HeatOfSlot(slot).value(); }
Tier TierOf(const VectorIndex& index, uint32_t slot) { return index.TierOfSlot(slot).value(); }

TEST(Tiers, AccessCountsDecayByHalfPerHalfLife) {
  Dataset ds = nvtest::Clustered(300, 8, 1);
  IndexConfig c = TieredConfig(8);
  c.tiers.half_life_seconds = 100;
  auto index = nvtest::MakeIndex(c);
  ASSERT_TRUE(nvtest::AddAll(*index, ds));
  ASSERT_TRUE(index->SetTierClock(1000).ok());
  EXPECT_EQ(Count(*index, 5), 0.0);
  Access(*index, ds, 5);
  Access(*index, ds, 5);
  EXPECT_NEAR(Count(*index, 5), 2.0, 1e-12);
  ASSERT_TRUE(index->SetTierClock(1100).ok());  // one half-life
  EXPECT_NEAR(Count(*index, 5), 1.0, 1e-12);
  Access(*index, ds, 5);
  EXPECT_NEAR(Count(*index, 5), 2.0, 1e-12);
  ASSERT_TRUE(index->SetTierClock(1300).ok());  // two more
  EXPECT_NEAR(Count(*index, 5), 0.5, 1e-12);
  EXPECT_EQ(Count(*index, 6), 0.0);
  // Time is injected and must not run backwards.
  Status back = index->SetTierClock(1299);
  EXPECT_EQ(back.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(back.message().find("backwards"), std::string::npos) << back.message();
}

TEST(Tiers, HeatIsLogOfCountRelativeToTheMostAccessedItem) {
  Dataset ds = nvtest::Clustered(300, 8, 2);
  auto index = nvtest::MakeIndex(TieredConfig(8));
  ASSERT_TRUE(nvtest::AddAll(*index, ds));
  ASSERT_TRUE(index->SetTierClock(0).ok());
  for (int i = 0; i < 15; ++i) Access(*index, ds, 1);  // c_max = 15
  for (int i = 0; i < 3; ++i) Access(*index, ds, 2);   // c = 3
  EXPECT_NEAR(HeatOf(*index, 1), 1.0, 1e-12);
  EXPECT_NEAR(HeatOf(*index, 2), std::log2(4.0) / std::log2(16.0), 1e-12);
  EXPECT_EQ(HeatOf(*index, 3), 0.0);
  // Decay shrinks every count by the same factor; on a log scale the less
  // accessed item cools faster than the hottest one.
  ASSERT_TRUE(index->SetTierClock(3600).ok());
  EXPECT_NEAR(HeatOf(*index, 2), std::log2(2.5) / std::log2(8.5), 1e-12);
}

TEST(Tiers, RecompressPlacesItemsByHeatAndNeverAccessedGoToArchive) {
  Dataset ds = nvtest::Clustered(400, 16, 3);
  auto index = nvtest::MakeIndex(TieredConfig(16));
  ASSERT_TRUE(nvtest::AddAll(*index, ds));
  ASSERT_TRUE(index->tier_codebooks_trained());
  ASSERT_TRUE(index->SetTierClock(0).ok());
  // c: 255 -> heat 1 (hot); 15 -> 0.5 (warm); 3 -> 0.25 (cool); never -> archive.
  for (int i = 0; i < 255; ++i) Access(*index, ds, 10);
  for (int i = 0; i < 15; ++i) Access(*index, ds, 11);
  for (int i = 0; i < 3; ++i) Access(*index, ds, 12);
  EXPECT_EQ(index->Stats().tiers.count[0], 400u);  // new items start hot; budget 0: nothing moved yet
  auto moved = index->Recompress();
  ASSERT_TRUE(moved.ok()) << moved.status().message();
  EXPECT_EQ(TierOf(*index, 10), Tier::kHot);
  EXPECT_EQ(TierOf(*index, 11), Tier::kWarm);
  EXPECT_EQ(TierOf(*index, 12), Tier::kCool);
  EXPECT_EQ(TierOf(*index, 13), Tier::kArchive);
  EXPECT_EQ(moved.value().count[1], 1u);
  EXPECT_EQ(moved.value().count[2], 1u);
  EXPECT_EQ(moved.value().count[4], 397u);
  EXPECT_EQ(moved.value().total(), 399u);
  const IndexStats s = index->Stats();
  EXPECT_EQ(s.tiers.count[0], 1u);
  EXPECT_EQ(s.tiers.count[4], 397u);
  // Rotated binary: 16 sign bits = 2 bytes, + f32 residual norm and alignment.
  EXPECT_EQ(s.memory.tier_bytes[4], 397u * (2u + 8u));
  EXPECT_GT(s.memory.codebooks, 0u);
  EXPECT_LT(s.memory.vectors_if_released, s.memory.vectors);
  // A second pass moves nothing: the policy is stable.
  EXPECT_EQ(index->Recompress().value().total(), 0u);
}

// Heat alternating just above and just below the warm/cool boundary (0.4):
// the item's own accesses push it up, the hottest item's accesses push it
// down. Without hysteresis it changes tier on every swing; with it, never.
int MovesUnderAlternatingAccess(float hysteresis) {
  Dataset ds = nvtest::Clustered(300, 8, 4);
  IndexConfig c = TieredConfig(8);
  c.tiers.hysteresis = hysteresis;
  auto index = nvtest::MakeIndex(c);
  EXPECT_TRUE(nvtest::AddAll(*index, ds));
  EXPECT_TRUE(index->SetTierClock(0).ok());
  const uint32_t item = 20, hottest = 21;
  for (int i = 0; i < 255; ++i) Access(*index, ds, hottest);
  for (int i = 0; i < 8; ++i) Access(*index, ds, item);  // heat log2(9)/8 = 0.396
  EXPECT_TRUE(index->Recompress().ok());
  int moves = 0;
  Tier last = TierOf(*index, item);
  for (int swing = 0; swing < 8; ++swing) {
    if (swing % 2 == 0) {
      while (HeatOf(*index, item) < 0.4) Access(*index, ds, item);
    } else {
      while (HeatOf(*index, item) >= 0.4) Access(*index, ds, hottest);
    }
    EXPECT_NEAR(HeatOf(*index, item), 0.4, 0.03);  // a small swing around the boundary
    EXPECT_TRUE(index->Recompress().ok());
    const Tier now = TierOf(*index, item);
    moves += now != last;
    last = now;
  }
  return moves;
}

TEST(Tiers, HysteresisStopsFlappingUnderAlternatingAccess) {
  EXPECT_EQ(MovesUnderAlternatingAccess(0.0f), 8);  // the scenario does flap without it
  EXPECT_EQ(MovesUnderAlternatingAccess(0.2f), 0);
}

struct TierCase {
  Tier tier;
  TierThresholds thresholds;  // puts heat 0.5 (or 0: archive) in `tier`
  double min_recall;
};

// Builds an index whose items all sit in one tier: item 0 is accessed 3 times
// and every other item once (heat log2(2)/log2(4) = 0.5), and the thresholds
// put heat 0.5 in the wanted tier; archive: no accesses at all (heat 0).
std::unique_ptr<VectorIndex> AllInTier(const nvtest::Workload& w, const TierCase& tc, uint32_t rerank) {
  IndexConfig c = TieredConfig(w.base.dim);
  c.tiers.thresholds = tc.thresholds;
  c.tiers.rerank = rerank;
  c.tiers.hysteresis = 0;
  auto index = nvtest::MakeIndex(c);
  EXPECT_TRUE(nvtest::AddAll(*index, w.base));
  EXPECT_TRUE(index->SetTierClock(0).ok());
  if (tc.tier != Tier::kArchive) {
    for (uint32_t s = 0; s < w.base.n; ++s) Access(*index, w.base, s);
    Access(*index, w.base, 0);
    Access(*index, w.base, 0);
  }
  EXPECT_TRUE(index->Recompress().ok());
  return index;
}

// Mean recall@10 of the workload's queries against brute force.
double RecallAgainstBruteForce(const VectorIndex& index, const nvtest::Workload& w, Metric metric) {
  const auto items = nvtest::AllItems(w.base);
  double recall = 0;
  SearchParams p;
  p.k = 10;
  for (uint32_t q = 0; q < w.queries.n; ++q) {
    auto hits = index.Search(w.queries.row(q), p);
    EXPECT_TRUE(hits.ok());
    if (!hits.ok()) return 0;
    recall += nvtest::Recall(nvtest::Ids(index, hits.value()),
                             nvtest::BruteForce(metric, w.queries.row(q), w.base.dim, items, 10));
  }
  return recall / w.queries.n;
}

const TierCase kTierCases[] = {
    {Tier::kHot, {0.45f, 0.4f, 0.3f, 0.2f}, 0.97},
    {Tier::kWarm, {0.9f, 0.45f, 0.3f, 0.2f}, 0.97},
    {Tier::kCool, {0.9f, 0.8f, 0.45f, 0.2f}, 0.95},
    {Tier::kCold, {0.9f, 0.8f, 0.7f, 0.45f}, 0.93},
    {Tier::kArchive, {0.8f, 0.4f, 0.1f, 0.01f}, 0.90},
};

TEST(Tiers, RecallAgainstBruteForcePerTierWithExactReranking) {
  const nvtest::Workload w = nvtest::ClusteredWorkload(2000, 100, 32, 5);
  const auto items = nvtest::AllItems(w.base);
  for (const TierCase& tc : kTierCases) {
    auto index = AllInTier(w, tc, 100);
    const IndexStats s = index->Stats();
    // Item 0 (3 accesses, heat 1) is hot; the rest share the case's tier.
    const bool all = tc.tier == Tier::kHot || tc.tier == Tier::kArchive;
    ASSERT_EQ(s.tiers.count[static_cast<int>(tc.tier)], all ? 2000u : 1999u) << TierName(tc.tier);
    double recall = 0;
    SearchParams p;
    p.k = 10;
    for (uint32_t q = 0; q < w.queries.n; ++q) {
      auto hits = index->Search(w.queries.row(q), p);
      ASSERT_TRUE(hits.ok());
      recall += nvtest::Recall(nvtest::Ids(*index, hits.value()),
                               nvtest::BruteForce(Metric::kL2, w.queries.row(q), w.base.dim, items, 10));
      // Re-ranked: the distances returned are exact.
      for (const SearchHit& h : hits.value()) {
        const double exact = nvtest::RefDistance(Metric::kL2, w.queries.row(q), w.base.row(h.slot), w.base.dim);
        EXPECT_NEAR(h.distance, exact, 1e-3 + 1e-4 * exact);
      }
    }
    recall /= w.queries.n;
    EXPECT_GE(recall, tc.min_recall) << TierName(tc.tier);
  }
}

// A re-rank depth of exactly k (the walk's best k by estimate, re-scored)
// keeps only what the codec ranks first: coarse tiers lose recall that deeper
// re-ranking wins back. This shows the depth is honoured and matters.
TEST(Tiers, ShallowRerankingLosesRecallOnCoarseTiersOnly) {
  const nvtest::Workload w = nvtest::ClusteredWorkload(2000, 100, 32, 6);
  const auto items = nvtest::AllItems(w.base);
  auto recall_of = [&](const TierCase& tc, uint32_t rerank) {
    auto index = AllInTier(w, tc, rerank);
    double recall = 0;
    SearchParams p;
    p.k = 10;
    p.ef = 10;
    for (uint32_t q = 0; q < w.queries.n; ++q) {
      auto hits = index->Search(w.queries.row(q), p);
      recall += nvtest::Recall(nvtest::Ids(*index, hits.value()),
                               nvtest::BruteForce(Metric::kL2, w.queries.row(q), w.base.dim, items, 10));
    }
    return recall / w.queries.n;
  };
  const TierCase& archive = kTierCases[4];
  const double shallow = recall_of(archive, 10), deep = recall_of(archive, 200);
  EXPECT_GT(deep, shallow + 0.05) << "archive: rerank 10 " << shallow << ", rerank 200 " << deep;
  const TierCase& warm = kTierCases[1];
  EXPECT_GE(recall_of(warm, 10), 0.9);  // f16 estimates are nearly exact
}

// Archive codes per metric: rotated signs estimate L2, dot and cosine
// (binary_codec.cc); Manhattan keeps per-dimension bits. All-archive indexes,
// re-ranked, against brute force.
TEST(Tiers, ArchiveRecallAgainstBruteForceForEveryMetric) {
  nvtest::Workload w = nvtest::ClusteredWorkload(2000, 60, 32, 11);
  for (Metric metric : {Metric::kL2, Metric::kDot, Metric::kCosine, Metric::kManhattan}) {
    SCOPED_TRACE(MetricName(metric));
    IndexConfig c = TieredConfig(32);
    c.metric = metric;
    auto index = nvtest::MakeIndex(c);
    ASSERT_TRUE(nvtest::AddAll(*index, w.base));
    ASSERT_TRUE(index->Recompress().ok());
    ASSERT_EQ(index->Stats().tiers.count[static_cast<int>(Tier::kArchive)], 2000u);
    // 32 dims: 4 bytes of bits, + 8 (rotated: norm, alignment) or 4 (own error).
    EXPECT_EQ(index->Stats().memory.tier_bytes[4], 2000u * (metric == Metric::kManhattan ? 8u : 12u));
    const double recall = RecallAgainstBruteForce(*index, w, metric);
    EXPECT_GE(recall, 0.9);
    std::printf("%s archive recall@10 (rerank 100): %.4f\n", MetricName(metric), recall);
  }
}

TEST(Tiers, MovesKeepIdsMetadataVectorsAndResults) {
  const nvtest::Workload w = nvtest::ClusteredWorkload(1500, 40, 24, 7);
  auto index = nvtest::MakeIndex(TieredConfig(24));
  for (uint32_t i = 0; i < w.base.n; ++i) {
    ASSERT_TRUE(index->Add(ItemKey::Number(1000 + i), w.base.row(i), "{\"i\":" + std::to_string(i) + "}").ok());
  }
  ASSERT_TRUE(index->SetTierClock(0).ok());
  SearchParams p;
  p.k = 10;
  std::vector<std::vector<int64_t>> before;
  for (uint32_t q = 0; q < w.queries.n; ++q) before.push_back(nvtest::Ids(*index, index->Search(w.queries.row(q), p).value()));
  TierCounts moved = index->Recompress().value();
  EXPECT_GT(moved.total(), 1000u);  // most items left hot
  std::vector<float> v(24);
  for (uint32_t s = 0; s < w.base.n; ++s) {
    EXPECT_EQ(nvtest::IdOf(*index, s), 1000 + static_cast<int64_t>(s));
    EXPECT_EQ(index->Metadata(s), "{\"i\":" + std::to_string(s) + "}");
    index->GetVector(s, v.data());
    EXPECT_EQ(std::memcmp(v.data(), w.base.row(s), sizeof(float) * 24), 0);
  }
  double same = 0;
  for (uint32_t q = 0; q < w.queries.n; ++q) {
    same += nvtest::Recall(nvtest::Ids(*index, index->Search(w.queries.row(q), p).value()),
                           [&] {
                             std::vector<nvtest::Neighbor> n;
                             for (int64_t id : before[q]) n.push_back({0, id});
                             return n;
                           }());
  }
  EXPECT_GE(same / w.queries.n, 0.95);
  // Filters still work on moved items (exact scans use the f32 rows).
  SearchParams f = p;
  f.filter = "{\"i\": 7}";
  auto filtered = index->Search(w.queries.row(0), f);
  ASSERT_TRUE(filtered.ok());
  ASSERT_EQ(filtered.value().size(), 1u);
  EXPECT_EQ(nvtest::IdOf(*index, filtered.value()[0].slot), 1007);
  // Deleting and re-adding reuses a slot: the new item starts hot.
  ASSERT_TRUE(index->Remove(ItemKey::Number(1003)).value());
  ASSERT_TRUE(index->Add(ItemKey::Number(99), w.base.row(3)).ok());
  EXPECT_EQ(TierOf(*index, index->SlotOf(ItemKey::Number(99)).value()), Tier::kHot);
}

uint64_t TierCountChange(const TierCounts& a, const TierCounts& b) {
  uint64_t change = 0;
  for (int t = 0; t < kTierCount; ++t) change += a.count[t] > b.count[t] ? a.count[t] - b.count[t] : b.count[t] - a.count[t];
  return change;  // a move changes two counts by one
}

TEST(Tiers, MigrationRunsInSmallStepsDuringAddsAndSearches) {
  const nvtest::Workload w = nvtest::ClusteredWorkload(1000, 10, 16, 8);
  auto index = nvtest::MakeIndex(TieredConfig(16, /*budget=*/4));
  ASSERT_TRUE(index->SetTierClock(0).ok());
  TierCounts last;
  for (uint32_t i = 0; i < w.base.n; ++i) {
    ASSERT_TRUE(index->Add(ItemKey::Number(i), w.base.row(i)).ok());
    const TierCounts now = index->Stats().tiers;
    // One add: +1 hot item, and at most 4 moves.
    EXPECT_LE(TierCountChange(now, last), 1u + 2u * 4u) << "add " << i;
    last = now;
  }
  // Never-accessed items left hot during the adds (each add moved a few).
  EXPECT_LT(last.count[0], 500u);
  SearchParams p;
  p.k = 10;
  std::vector<SearchHit> top;
  for (int i = 0; i < 300; ++i) {
    auto hits = index->Search(w.queries.row(0), p);
    ASSERT_TRUE(hits.ok());
    top = hits.value();
    const TierCounts now = index->Stats().tiers;
    EXPECT_LE(TierCountChange(now, last), 2u * 4u) << "search " << i;
    last = now;
  }
  // The items every search returned became hot; the rest went cold.
  for (const SearchHit& h : top) EXPECT_EQ(TierOf(*index, h.slot), Tier::kHot) << h.slot;
  EXPECT_EQ(last.count[0], 10u);
  EXPECT_EQ(last.count[4], 990u);
}

std::string Save(const VectorIndex& index) { return index.SaveToBytes(); }

TEST(Tiers, PersistenceRoundTripKeepsTiersAndIsByteIdentical) {
  const nvtest::Workload w = nvtest::ClusteredWorkload(800, 20, 16, 9);
  auto index = nvtest::MakeIndex(TieredConfig(16));
  ASSERT_TRUE(nvtest::AddAll(*index, w.base));
  ASSERT_TRUE(index->SetTierClock(50).ok());
  for (int i = 0; i < 63; ++i) Access(*index, w.base, 1);
  for (int i = 0; i < 7; ++i) Access(*index, w.base, 2);
  Access(*index, w.base, 3);
  ASSERT_TRUE(index->Recompress().ok());
  ASSERT_TRUE(index->Remove(ItemKey::Number(5)).value());
  const std::string bytes = Save(*index);
  auto loaded = VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  VectorIndex& copy = *loaded.value();
  EXPECT_TRUE(copy.config().tiers.enabled);
  EXPECT_TRUE(copy.tier_codebooks_trained());
  for (uint32_t s = 0; s < 800; ++s) {
    EXPECT_EQ(TierOf(copy, s), TierOf(*index, s)) << s;
    EXPECT_EQ(Count(copy, s), Count(*index, s)) << s;
  }
  for (int t = 0; t < kTierCount; ++t) EXPECT_EQ(copy.Stats().tiers.count[t], index->Stats().tiers.count[t]);
  SearchParams p;
  p.k = 10;
  for (uint32_t q = 0; q < w.queries.n; ++q) {
    EXPECT_EQ(nvtest::Ids(copy, copy.Search(w.queries.row(q), p).value()),
              nvtest::Ids(*index, index->Search(w.queries.row(q), p).value()));
  }
  // The searches above recorded accesses in both: save both again.
  const std::string again = Save(copy);
  EXPECT_TRUE(again == Save(*index));
  auto reloaded = VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(again.data()), again.size());
  ASSERT_TRUE(reloaded.ok());
  EXPECT_TRUE(Save(*reloaded.value()) == again);
}

// Offset and length of a section of a SaveToBytes image.
bool FindSection(const std::string& file, uint32_t kind, uint64_t* offset, uint64_t* length) {
  auto table = index_file::ReadSectionTable(reinterpret_cast<const uint8_t*>(file.data()), file.size());
  if (!table.ok()) return false;
  for (const index_file::SectionEntry& e : table.value()) {
    if (e.kind == kind) {
      *offset = e.offset;
      *length = e.length;
      return true;
    }
  }
  return false;
}

TEST(Tiers, CorruptTierSectionsAreRefusedNamingTheSection) {
  const nvtest::Workload w = nvtest::ClusteredWorkload(400, 1, 8, 10);
  auto index = nvtest::MakeIndex(TieredConfig(8));
  ASSERT_TRUE(nvtest::AddAll(*index, w.base));
  ASSERT_TRUE(index->Recompress().ok());
  const std::string good = Save(*index);
  const std::pair<uint32_t, const char*> kinds[] = {
      {index_file::kTiers, "tiers section"},
      {index_file::kTierCodes, "tier codes section"},
      {index_file::kAccessStatistics, "access statistics section"}};
  for (const auto& [kind, name] : kinds) {
    uint64_t offset = 0, length = 0;
    ASSERT_TRUE(FindSection(good, kind, &offset, &length)) << name;
    std::string bad = good;
    bad[offset + 2] ^= 0x5a;
    auto loaded = VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(bad.data()), bad.size());
    ASSERT_FALSE(loaded.ok()) << name;
    EXPECT_EQ(loaded.status().code(), StatusCode::kCorrupt);
    EXPECT_NE(loaded.status().message().find(name), std::string::npos) << loaded.status().message();
  }
}

// The two floats after an archive code's bits enter every estimate (a zero
// alignment divides): out-of-range values are refused at open, not turned
// into inf or NaN distances.
TEST(Tiers, ArchiveCodeWithImpossibleAlignmentIsCorrupt) {
  const nvtest::Workload w = nvtest::ClusteredWorkload(400, 1, 8, 12);
  auto index = nvtest::MakeIndex(TieredConfig(8));
  ASSERT_TRUE(nvtest::AddAll(*index, w.base));
  ASSERT_TRUE(index->Recompress().ok());  // every item: archive, the last tier in the section
  const std::string good = Save(*index);
  uint64_t offset = 0, length = 0;
  ASSERT_TRUE(FindSection(good, index_file::kTierCodes, &offset, &length));
  for (float value : {0.0f, -0.5f, 2.0f, std::nanf("")}) {
    std::string bad = good;
    std::memcpy(&bad[offset + length - 4], &value, 4);  // the last code's alignment
    // Re-seal the section's checksum, so the value itself is what is refused.
    ASSERT_TRUE(nvtest::ResealSection(bad, index_file::kTierCodes));
    auto loaded = VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(bad.data()), bad.size());
    ASSERT_FALSE(loaded.ok()) << value;
    EXPECT_EQ(loaded.status().code(), StatusCode::kCorrupt);
    EXPECT_NE(loaded.status().message().find("alignment"), std::string::npos) << loaded.status().message();
  }
}

TEST(Tiers, BadOptionsAreRefusedWithWhatWasExpected) {
  auto refused = [](auto mutate, const char* expect) {
    IndexConfig c = TieredConfig(8);
    mutate(c.tiers);
    Status s = c.Validate();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << expect;
    EXPECT_NE(s.message().find(expect), std::string::npos) << s.message();
  };
  refused([](TiersConfig& t) { t.thresholds.warm = 0.9f; }, "decrease strictly");
  refused([](TiersConfig& t) { t.thresholds.cold = 0; }, "in (0, 1]");
  refused([](TiersConfig& t) { t.thresholds.hot = 1.5f; }, "in (0, 1]");
  refused([](TiersConfig& t) { t.half_life_seconds = 0; }, "halfLifeSeconds");
  refused([](TiersConfig& t) { t.half_life_seconds = INFINITY; }, "halfLifeSeconds");
  refused([](TiersConfig& t) { t.hysteresis = 1.0f; }, "hysteresis");
  refused([](TiersConfig& t) { t.train_items = 100; }, "trainItems");
  refused([](TiersConfig& t) { t.migration_budget = TiersConfig::kMaxMigrationBudget + 1; }, "migrationBudget");
  refused([](TiersConfig& t) { t.rerank = IndexConfig::kMaxEf + 1; }, "rerank");
  IndexConfig both = TieredConfig(8);
  both.quantized.codec = TraversalCodec::kF16;
  EXPECT_NE(both.Validate().message().find("cannot be combined"), std::string::npos);
  // Tier calls on an index without tiers.
  auto plain = nvtest::MakeIndex(nvtest::Config(8, Metric::kL2));
  EXPECT_EQ(plain->Recompress().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(plain->SetTierClock(1).code(), StatusCode::kFailedPrecondition);
  // Recompress needs 256 items for the PQ8 codebook.
  auto small = nvtest::MakeIndex(TieredConfig(8));
  ASSERT_TRUE(nvtest::AddAll(*small, nvtest::Clustered(10, 8, 11)));
  EXPECT_EQ(small->Recompress().status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
