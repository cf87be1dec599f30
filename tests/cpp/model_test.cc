// Randomized add/delete/search sequences checked against a plain model
// (std::map of id -> vector).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "test_util.h"

namespace {

using namespace nvtest;

constexpr uint32_t kDim = 8;

struct Entry {
  ItemKey key;
  std::vector<float> vector;
  std::string metadata;
};

class ModelTest : public ::testing::TestWithParam<Metric> {
 protected:
  void SetUp() override {
    index_ = MakeIndex(Config(kDim, GetParam(), 6, 40, 32, 7));
    ASSERT_TRUE(index_);
  }

  std::vector<float> RandomVector() {
    std::vector<float> v(kDim);
    // A few clusters plus noise; occasionally exact duplicates of a live vector.
    if (!model_.empty() && rng_.Below(20) == 0) return RandomEntry().vector;
    double centre = static_cast<double>(rng_.Below(4)) - 1.5;
    for (float& x : v) x = static_cast<float>(centre + 0.5 * rng_.Normal());
    return v;
  }

  ItemKey NewKey() {
    ++next_id_;
    return rng_.Below(4) == 0 ? ItemKey::String("item-" + std::to_string(next_id_)) : ItemKey::Number(next_id_);
  }

  const Entry& RandomEntry() {
    auto it = model_.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(rng_.Below(model_.size())));
    return it->second;
  }

  void CheckVector(const Entry& e) {
    auto slot = index_->SlotOf(e.key);
    ASSERT_TRUE(slot.ok()) << e.key.ToDisplay();
    EXPECT_TRUE(index_->KeyOf(slot.value()) == e.key);
    EXPECT_EQ(index_->Metadata(slot.value()), e.metadata);
    std::vector<float> out(kDim);
    index_->GetVector(slot.value(), out.data());
    if (GetParam() == Metric::kCosine) {
      double norm = 0;
      for (float x : e.vector) norm += double(x) * x;
      norm = std::sqrt(norm);
      for (uint32_t j = 0; j < kDim; ++j) EXPECT_NEAR(out[j], e.vector[j], 1e-5 * norm) << e.key.ToDisplay();
    } else {
      EXPECT_EQ(out, e.vector) << e.key.ToDisplay();
    }
  }

  void CheckSearch(const std::vector<float>& query, uint32_t k, bool exact) {
    auto hits = exact ? index_->SearchExact(query.data(), k) : index_->Search(query.data(), [&] {
      SearchParams p;
      p.k = k;
      return p;
    }());
    ASSERT_TRUE(hits.ok()) << hits.status().message();
    ASSERT_TRUE(WellFormed(*index_, hits.value()));
    ASSERT_EQ(hits.value().size(), std::min<size_t>(k, model_.size()))
        << (exact ? "SearchExact" : "Search") << " with k=" << k << " on " << model_.size() << " live items";
    for (const SearchHit& h : hits.value()) {
      ASSERT_TRUE(model_.count(index_->KeyOf(h.slot).encoded())) << "not live: " << index_->KeyOf(h.slot).ToDisplay();
    }
    if (!exact) return;
    // Model brute force over live items.
    std::vector<std::pair<double, std::string>> all;
    for (const auto& [enc, e] : model_) all.emplace_back(RefDistance(GetParam(), query.data(), e.vector.data(), kDim), enc);
    std::sort(all.begin(), all.end());
    for (size_t i = 0; i < hits.value().size(); ++i) {
      const SearchHit& h = hits.value()[i];
      ASSERT_NEAR(h.distance, all[i].first, DistanceTolerance(all[i].first)) << "rank " << i;
      // Ids equal the model's, except where distances tie (within float noise).
      if (index_->KeyOf(h.slot).encoded() != all[i].second) {
        double mine = RefDistance(GetParam(), query.data(), model_.at(index_->KeyOf(h.slot).encoded()).vector.data(), kDim);
        ASSERT_NEAR(mine, all[i].first, DistanceTolerance(all[i].first))
            << "rank " << i << ": got " << index_->KeyOf(h.slot).ToDisplay() << ", model says another id";
      }
    }
  }

  void CheckAll() {
    ASSERT_EQ(index_->size(), model_.size());
    for (const auto& [enc, e] : model_) {
      ASSERT_TRUE(index_->Contains(e.key));
      CheckVector(e);
    }
    for (const ItemKey& k : removed_) {
      if (!model_.count(k.encoded())) {
        ASSERT_FALSE(index_->Contains(k)) << k.ToDisplay();
      }
    }
  }

  std::unique_ptr<VectorIndex> index_;
  std::map<std::string, Entry> model_;  // by encoded key
  std::vector<ItemKey> removed_;
  Rng rng_{12345};
  int64_t next_id_ = 0;
};

TEST_P(ModelTest, RandomOperationsMatchTheModel) {
  int adds = 0, batches = 0, removes = 0, searches = 0, readds = 0;
  for (int step = 0; step < 6000; ++step) {
    const uint64_t op = rng_.Below(100);
    if (op < 35 || model_.size() < 5) {  // add a new id
      Entry e{NewKey(), RandomVector(), rng_.Below(3) == 0 ? R"({"n": )" + std::to_string(step) + "}" : ""};
      auto r = index_->Add(e.key, e.vector.data(), e.metadata);
      ASSERT_TRUE(r.ok()) << r.status().message();
      model_.emplace(e.key.encoded(), e);
      ++adds;
    } else if (op < 38) {  // batch of new ids
      std::vector<ItemKey> keys;
      std::vector<float> vectors;
      std::vector<std::string> metadata;
      std::vector<Entry> entries;
      const uint64_t n = 1 + rng_.Below(20);
      for (uint64_t i = 0; i < n; ++i) {
        Entry e{NewKey(), RandomVector(), R"({"batch": )" + std::to_string(step) + "}"};
        keys.push_back(e.key);
        vectors.insert(vectors.end(), e.vector.begin(), e.vector.end());
        metadata.push_back(e.metadata);
        entries.push_back(e);
      }
      neurovec::BatchOptions options;
      ASSERT_TRUE(index_->AddBatch(keys, vectors.data(), metadata, options).ok());
      for (Entry& e : entries) model_.emplace(e.key.encoded(), e);
      ++batches;
    } else if (op < 41 && !removed_.empty()) {  // re-add a removed id
      const ItemKey key = removed_[rng_.Below(removed_.size())];
      if (model_.count(key.encoded())) continue;
      Entry e{key, RandomVector(), ""};
      ASSERT_TRUE(index_->Add(e.key, e.vector.data()).ok());
      model_.emplace(key.encoded(), e);
      ++readds;
    } else if (op < 44) {  // add an existing id: rejected, nothing changes
      const Entry& e = RandomEntry();
      std::vector<float> other = RandomVector();
      auto r = index_->Add(e.key, other.data());
      ASSERT_FALSE(r.ok());
      ASSERT_EQ(r.status().code(), neurovec::StatusCode::kAlreadyExists);
      CheckVector(e);
    } else if (op < 65) {  // remove a live id
      Entry e = RandomEntry();
      ASSERT_TRUE(index_->Remove(e.key).value());
      model_.erase(e.key.encoded());
      removed_.push_back(e.key);
      ASSERT_FALSE(index_->Contains(e.key));
      ++removes;
    } else if (op < 68) {  // remove an unknown id
      ItemKey key = rng_.Below(2) ? ItemKey::Number(-1 - static_cast<int64_t>(rng_.Below(100)))
                                  : ItemKey::String("nope-" + std::to_string(step));
      ASSERT_FALSE(index_->Remove(key).value());
    } else if (op < 80) {  // approximate search
      CheckSearch(RandomVector(), 1 + static_cast<uint32_t>(rng_.Below(15)), false);
      ++searches;
    } else if (op < 88) {  // exact search
      CheckSearch(RandomVector(), 1 + static_cast<uint32_t>(rng_.Below(15)), true);
      ++searches;
    } else if (op < 98) {  // spot-check a live item
      const Entry& e = RandomEntry();
      ASSERT_TRUE(index_->Contains(e.key));
      CheckVector(e);
    } else {
      CheckAll();
    }
    ASSERT_EQ(index_->size(), model_.size()) << "after step " << step;
    if (HasFatalFailure()) return;
  }
  CheckAll();
  // Stats agree with the model too.
  neurovec::IndexStats s = index_->Stats();
  EXPECT_EQ(s.size, model_.size());
  EXPECT_LE(s.size + s.deleted, s.capacity);
  std::printf("%s: %d adds, %d batches, %d re-adds, %d removes, %d searches; %zu live, %llu free slots\n",
              neurovec::MetricName(GetParam()), adds, batches, readds, removes, searches, model_.size(),
              static_cast<unsigned long long>(s.deleted));
}

INSTANTIATE_TEST_SUITE_P(AllMetrics, ModelTest,
                         ::testing::Values(Metric::kL2, Metric::kCosine, Metric::kDot, Metric::kManhattan),
                         [](const ::testing::TestParamInfo<Metric>& info) {
                           return std::string(neurovec::MetricName(info.param));
                         });

// Dimensions with very different spreads (so any internal re-ordering of the
// dimensions by variance is far from the identity), items added one by one and
// in batches across the first thousands: every stored vector reads back as
// given, and exact search agrees with brute force.
TEST(Model, VectorsReadBackAcrossIndexGrowth) {
  const uint32_t dim = 20;
  for (Metric metric : AllMetrics()) {
    SCOPED_TRACE(neurovec::MetricName(metric));
    Rng rng(77);
    Dataset ds;
    ds.n = 2500;
    ds.dim = dim;
    ds.data.resize(static_cast<size_t>(ds.n) * dim);
    for (uint32_t i = 0; i < ds.n; ++i)
      for (uint32_t j = 0; j < dim; ++j) ds.row(i)[j] = static_cast<float>((j % 7 + 0.1) * (j % 2 ? 10 : 0.1) * rng.Normal());
    auto index = MakeIndex(Config(dim, metric, 8, 60));
    ASSERT_TRUE(index);
    // 0..999 one by one, 1000..1999 as a batch, the rest one by one.
    for (uint32_t i = 0; i < 1000; ++i) ASSERT_TRUE(index->Add(ItemKey::Number(i), ds.row(i)).ok());
    std::vector<ItemKey> keys;
    for (uint32_t i = 1000; i < 2000; ++i) keys.push_back(ItemKey::Number(i));
    ASSERT_TRUE(index->AddBatch(keys, ds.row(1000), {}, neurovec::BatchOptions{}).ok());
    for (uint32_t i = 2000; i < ds.n; ++i) ASSERT_TRUE(index->Add(ItemKey::Number(i), ds.row(i)).ok());
    std::vector<float> out(dim);
    for (uint32_t i = 0; i < ds.n; ++i) {
      index->GetVector(index->SlotOf(ItemKey::Number(i)).value(), out.data());
      double norm = 0;
      for (uint32_t j = 0; j < dim; ++j) norm += double(ds.row(i)[j]) * ds.row(i)[j];
      norm = std::sqrt(norm);
      for (uint32_t j = 0; j < dim; ++j) {
        if (metric == Metric::kCosine) {
          // Rebuilt from the unit vector times the norm: float rounding of the norm.
          ASSERT_NEAR(out[j], ds.row(i)[j], 1e-5 * norm) << "item " << i << " dim " << j;
        } else {
          ASSERT_EQ(out[j], ds.row(i)[j]) << "item " << i << " dim " << j;
        }
      }
    }
    auto items = AllItems(ds);
    for (uint32_t i = 0; i < ds.n; i += 97) {
      auto hits = index->SearchExact(ds.row(i), 5);
      ASSERT_TRUE(hits.ok());
      auto exact = BruteForce(metric, ds.row(i), dim, items, 5);
      for (size_t r = 0; r < exact.size(); ++r) {
        EXPECT_NEAR(hits.value()[r].distance, exact[r].distance, DistanceTolerance(exact[r].distance)) << "item " << i;
      }
      if (metric != Metric::kDot) {
        SearchParams params;
        params.k = 1;
        auto self = index->Search(ds.row(i), params);
        ASSERT_TRUE(self.ok());
        EXPECT_NEAR(self.value()[0].distance, 0.0, 1e-4);
      }
    }
  }
}

// Ids: numbers and strings are distinct namespaces; keys round-trip.
TEST(Model, NumberAndStringIdsAreDistinct) {
  auto index = MakeIndex(Config(2, Metric::kL2));
  ASSERT_TRUE(index);
  float a[2] = {1, 0}, b[2] = {0, 1};
  ASSERT_TRUE(index->Add(ItemKey::Number(7), a).ok());
  ASSERT_TRUE(index->Add(ItemKey::String("7"), b).ok());
  ASSERT_TRUE(index->Add(ItemKey::String(""), a).ok());
  ASSERT_TRUE(index->Add(ItemKey::Number(-9223372036854775807LL - 1), b).ok());
  EXPECT_EQ(index->size(), 4u);
  uint32_t s1 = index->SlotOf(ItemKey::Number(7)).value();
  uint32_t s2 = index->SlotOf(ItemKey::String("7")).value();
  EXPECT_NE(s1, s2);
  EXPECT_EQ(index->KeyOf(s1).kind(), ItemKey::Kind::kNumber);
  EXPECT_EQ(index->KeyOf(s1).number(), 7);
  EXPECT_EQ(index->KeyOf(s2).kind(), ItemKey::Kind::kString);
  EXPECT_EQ(index->KeyOf(s2).string(), "7");
  EXPECT_EQ(index->KeyOf(index->SlotOf(ItemKey::Number(-9223372036854775807LL - 1)).value()).number(),
            -9223372036854775807LL - 1);
  EXPECT_TRUE(index->Remove(ItemKey::String("7")).value());
  EXPECT_TRUE(index->Contains(ItemKey::Number(7)));
  EXPECT_TRUE(index->Contains(ItemKey::String("")));
}

TEST(Model, ItemKeyEncodingRoundTrips) {
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{1} << 40, INT64_MAX, INT64_MIN}) {
    ItemKey k = ItemKey::Number(v);
    auto d = ItemKey::Decode(k.encoded().data(), k.encoded().size());
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(d.value() == k);
    EXPECT_EQ(d.value().number(), v);
    EXPECT_EQ(k.ToDisplay(), std::to_string(v));
  }
  for (std::string s : {std::string(""), std::string("a"), std::string("h\xC3\xA9llo"), std::string("x\0y", 3)}) {
    ItemKey k = ItemKey::String(s);
    auto d = ItemKey::Decode(k.encoded().data(), k.encoded().size());
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d.value().string(), s);
  }
  EXPECT_FALSE(ItemKey::Decode("n123", 4).ok());  // a number needs 8 bytes
  EXPECT_FALSE(ItemKey::Decode("x", 1).ok());
  EXPECT_FALSE(ItemKey::Decode("", 0).ok());
  std::string huge = "s" + std::string(70000, 'a');
  EXPECT_FALSE(ItemKey::Decode(huge.data(), huge.size()).ok());
}

}  // namespace
