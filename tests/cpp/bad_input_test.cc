// Bad input is rejected with a clear Status and leaves the index unchanged.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_util.h"

namespace {

using namespace nvtest;
using neurovec::StatusCode;

constexpr uint32_t kDim = 8;

// Everything observable about an index, to compare before and after a failed call.
struct Snapshot {
  uint64_t size, deleted, capacity;
  std::vector<std::vector<std::pair<uint32_t, float>>> results;

  bool operator==(const Snapshot& o) const {
    return size == o.size && deleted == o.deleted && capacity == o.capacity && results == o.results;
  }
};

class BadInputTest : public ::testing::TestWithParam<Metric> {
 protected:
  void SetUp() override {
    data_ = Clustered(300, kDim, 808);
    queries_ = Clustered(10, kDim, 809);
    index_ = MakeIndex(Config(kDim, GetParam()));
    ASSERT_TRUE(index_);
    ASSERT_TRUE(AddAll(*index_, data_));
    for (int64_t id = 0; id < 300; id += 10) ASSERT_TRUE(index_->Remove(ItemKey::Number(id)).value());  // some free slots
  }

  Snapshot Take() const {
    Snapshot s;
    neurovec::IndexStats st = index_->Stats();
    s.size = st.size;
    s.deleted = st.deleted;
    s.capacity = st.capacity;
    for (uint32_t q = 0; q < queries_.n; ++q) {
      std::vector<std::pair<uint32_t, float>> r;
      // (Results bound to locals: a range-for over a temporary's value() would dangle.)
      const std::vector<SearchHit> approx = index_->Search(queries_.row(q), SearchParams{}).value();
      const std::vector<SearchHit> exact = index_->SearchExact(queries_.row(q), 10).value();
      for (const SearchHit& h : approx) r.emplace_back(h.slot, h.distance);
      for (const SearchHit& h : exact) r.emplace_back(h.slot, h.distance);
      s.results.push_back(r);
    }
    return s;
  }

  std::vector<float> Good(float base = 0.25f) const {
    std::vector<float> v(kDim);
    for (uint32_t j = 0; j < kDim; ++j) v[j] = base + 0.01f * static_cast<float>(j);
    return v;
  }

  Dataset data_, queries_;
  std::unique_ptr<VectorIndex> index_;
};

TEST_P(BadInputTest, NonFiniteVectorsAreRejected) {
  const Snapshot before = Take();
  const float bad_values[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity()};
  for (float bad : bad_values) {
    for (uint32_t pos : {0u, 3u, kDim - 1}) {
      std::vector<float> v = Good();
      v[pos] = bad;
      auto r = index_->Add(ItemKey::Number(5000), v.data());
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(r.status().message().find("vector[" + std::to_string(pos) + "]"), std::string::npos)
          << r.status().message();
      EXPECT_FALSE(index_->Contains(ItemKey::Number(5000)));
      // As a query.
      auto s = index_->Search(v.data(), SearchParams{});
      ASSERT_FALSE(s.ok());
      EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
      EXPECT_FALSE(index_->SearchExact(v.data(), 3).ok());
    }
  }
  // Finite values whose squared norm overflows float.
  std::vector<float> huge(kDim, 3e37f);
  auto r = index_->Add(ItemKey::Number(5001), huge.data());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(before == Take());
  // The id is still free.
  EXPECT_TRUE(index_->Add(ItemKey::Number(5000), Good().data()).ok());
}

TEST_P(BadInputTest, DuplicateIdOnAdd) {
  const uint32_t slot = index_->SlotOf(ItemKey::Number(5)).value();
  const Snapshot before = Take();
  std::vector<float> other = Good(3.0f);
  auto r = index_->Add(ItemKey::Number(5), other.data(), R"({"x": 1})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(r.status().message().find("5"), std::string::npos);
  EXPECT_TRUE(before == Take());
  EXPECT_EQ(index_->SlotOf(ItemKey::Number(5)).value(), slot);
  EXPECT_EQ(index_->Metadata(slot), "");
  std::vector<float> stored(kDim);
  index_->GetVector(slot, stored.data());
  for (uint32_t j = 0; j < kDim; ++j) EXPECT_NEAR(stored[j], data_.row(5)[j], 1e-5);
}

TEST_P(BadInputTest, BadBatchesChangeNothing) {
  const Snapshot before = Take();
  const uint32_t n = 50;
  Dataset fresh = Clustered(n, kDim, 810);
  auto keys = [&] {
    std::vector<ItemKey> k;
    for (uint32_t i = 0; i < n; ++i) k.push_back(ItemKey::Number(10000 + i));
    return k;
  };
  auto none_added = [&] {
    for (uint32_t i = 0; i < n; ++i)
      if (index_->Contains(ItemKey::Number(10000 + i))) return false;
    return true;
  };
  neurovec::BatchOptions options;

  {  // duplicate inside the batch
    std::vector<ItemKey> k = keys();
    k[40] = k[12];
    auto s = index_->AddBatch(k, fresh.data.data(), {}, options);
    EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
    EXPECT_NE(s.message().find("twice"), std::string::npos) << s.message();
    EXPECT_TRUE(none_added());
  }
  {  // an id already in the index
    std::vector<ItemKey> k = keys();
    k[30] = ItemKey::Number(7);
    auto s = index_->AddBatch(k, fresh.data.data(), {}, options);
    EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
    EXPECT_TRUE(none_added());
  }
  {  // NaN in the middle
    Dataset v = fresh;
    v.row(25)[3] = std::numeric_limits<float>::quiet_NaN();
    auto s = index_->AddBatch(keys(), v.data.data(), {}, options);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("item 25"), std::string::npos) << s.message();
    EXPECT_TRUE(none_added());
  }
  {  // Inf in the last item
    Dataset v = fresh;
    v.row(n - 1)[kDim - 1] = std::numeric_limits<float>::infinity();
    auto s = index_->AddBatch(keys(), v.data.data(), {}, options);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(none_added());
  }
  {  // bad metadata in the middle
    std::vector<std::string> meta(n, R"({"ok": true})");
    meta[33] = R"({"broken": )";
    auto s = index_->AddBatch(keys(), fresh.data.data(), meta, options);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("item 33"), std::string::npos) << s.message();
    EXPECT_TRUE(none_added());
    meta[33] = "[1, 2]";
    s = index_->AddBatch(keys(), fresh.data.data(), meta, options);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(none_added());
  }
  {  // metadata count mismatch
    std::vector<std::string> meta(n - 1, "{}");
    auto s = index_->AddBatch(keys(), fresh.data.data(), meta, options);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(none_added());
  }
  EXPECT_TRUE(before == Take());
  // The same batch, fixed, goes in whole.
  ASSERT_TRUE(index_->AddBatch(keys(), fresh.data.data(), {}, options).ok());
  EXPECT_EQ(index_->size(), before.size + n);
  // An empty batch is a no-op.
  EXPECT_TRUE(index_->AddBatch({}, nullptr, {}, options).ok());
  EXPECT_EQ(index_->size(), before.size + n);
}

TEST_P(BadInputTest, BadMetadataIsRejected) {
  const Snapshot before = Take();
  for (const char* meta : {"[1, 2]", "\"text\"", "42", "true", "null", "{", R"({"a": 1,})", R"({"a" 1})",
                           R"({"a": 1} {"b": 2})", "{'a': 1}", "{\"a\": \"\x02\"}"}) {
    auto r = index_->Add(ItemKey::Number(6000), Good().data(), meta);
    ASSERT_FALSE(r.ok()) << "accepted metadata " << meta;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << meta;
    EXPECT_NE(r.status().message().find("metadata"), std::string::npos) << r.status().message();
    EXPECT_FALSE(index_->Contains(ItemKey::Number(6000)));
  }
  EXPECT_TRUE(before == Take());
  // Objects are fine, including non-filterable values.
  EXPECT_TRUE(index_->Add(ItemKey::Number(6000), Good().data(), R"({"a": [1, {"b": null}], "c": {}})").ok());
}

TEST_P(BadInputTest, BadSearchParameters) {
  const Snapshot before = Take();
  SearchParams params;
  params.k = 0;
  auto r = index_->Search(queries_.row(0), params);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("k"), std::string::npos);
  EXPECT_FALSE(index_->SearchExact(queries_.row(0), 0).ok());
  params.k = 5;
  params.ef = neurovec::IndexConfig::kMaxEf + 1;
  r = index_->Search(queries_.row(0), params);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("ef"), std::string::npos);
  // Failed searches are not... at least the index answers the same afterwards.
  Snapshot after = Take();
  EXPECT_EQ(after.results, before.results);
  EXPECT_EQ(after.size, before.size);
}

INSTANTIATE_TEST_SUITE_P(AllMetrics, BadInputTest,
                         ::testing::Values(Metric::kL2, Metric::kCosine, Metric::kDot, Metric::kManhattan),
                         [](const ::testing::TestParamInfo<Metric>& info) {
                           return std::string(neurovec::MetricName(info.param));
                         });

TEST(BadInput, ZeroVectorWithCosine) {
  auto index = MakeIndex(Config(4, Metric::kCosine));
  ASSERT_TRUE(index);
  float one[4] = {1, 0, 0, 0};
  ASSERT_TRUE(index->Add(ItemKey::Number(1), one).ok());
  float zero[4] = {0, 0, 0, 0};
  auto r = index->Add(ItemKey::Number(2), zero);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("zero"), std::string::npos) << r.status().message();
  EXPECT_EQ(index->size(), 1u);
  EXPECT_FALSE(index->Contains(ItemKey::Number(2)));
  EXPECT_FALSE(index->Search(zero, SearchParams{}).ok());
  // -0.0 is zero too; a tiny non-zero vector is fine.
  float negzero[4] = {-0.0f, 0, -0.0f, 0};
  EXPECT_FALSE(index->Add(ItemKey::Number(3), negzero).ok());
  float tiny[4] = {0, 1e-30f, 0, 0};
  EXPECT_TRUE(index->Add(ItemKey::Number(4), tiny).ok());
  // Other metrics accept the zero vector.
  for (Metric m : {Metric::kL2, Metric::kDot, Metric::kManhattan}) {
    auto other = MakeIndex(Config(4, m));
    ASSERT_TRUE(other);
    EXPECT_TRUE(other->Add(ItemKey::Number(1), zero).ok()) << neurovec::MetricName(m);
    EXPECT_TRUE(other->Search(zero, SearchParams{}).ok()) << neurovec::MetricName(m);
  }
}

// The largest vectors the index accepts must still give finite distances and
// full results: whatever Add accepts, Search must handle.
TEST(BadInput, LargestAcceptedVectorsStaySearchable) {
  for (Metric metric : AllMetrics()) {
    SCOPED_TRACE(neurovec::MetricName(metric));
    auto index = MakeIndex(Config(4, metric));
    ASSERT_TRUE(index);
    // Squared norms about 2.3e38: under the documented float limit, so accepted
    // (or, if rejected, rejected cleanly, which is also fine).
    const float vectors[4][4] = {{-1.5e19f, 0, 0, 0}, {-1.5e19f, 1e18f, 0, 0}, {-1.5e19f, -1e18f, 0, 0},
                                 {1.5e19f, 0, 0, 0}};
    int accepted = 0;
    for (int i = 0; i < 4; ++i) {
      auto r = index->Add(ItemKey::Number(i), vectors[i]);
      if (r.ok()) {
        ++accepted;
      } else {
        EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      }
    }
    if (accepted < 4) continue;
    SearchParams params;
    params.k = 4;
    for (int q = 0; q < 4; ++q) {
      auto hits = index->Search(vectors[q], params);
      ASSERT_TRUE(hits.ok());
      EXPECT_EQ(hits.value().size(), 4u) << "query " << q;
      EXPECT_TRUE(WellFormed(*index, hits.value())) << "query " << q;
      auto exact = index->SearchExact(vectors[q], 4);
      ASSERT_TRUE(exact.ok());
      EXPECT_TRUE(WellFormed(*index, exact.value())) << "exact, query " << q;
    }
  }
}

TEST(BadInput, InvalidConfigs) {
  struct Case {
    const char* what;
    IndexConfig config;
    const char* mentions;
  };
  auto with = [](auto change) {
    IndexConfig c = Config(16, Metric::kL2);
    change(c);
    return c;
  };
  const Case cases[] = {
      {"dimensions 0", with([](IndexConfig& c) { c.dimensions = 0; }), "dimensions"},
      {"dimensions too large", with([](IndexConfig& c) { c.dimensions = IndexConfig::kMaxDimensions + 1; }), "dimensions"},
      {"m 0", with([](IndexConfig& c) { c.m = 0; }), "m must"},
      {"m 1", with([](IndexConfig& c) { c.m = 1; }), "m must"},
      {"m too large", with([](IndexConfig& c) { c.m = IndexConfig::kMaxM + 1; }), "m must"},
      {"ef_construction 0", with([](IndexConfig& c) { c.ef_construction = 0; }), "efConstruction"},
      {"ef_construction too large", with([](IndexConfig& c) { c.ef_construction = IndexConfig::kMaxEf + 1; }),
       "efConstruction"},
      {"ef_search 0", with([](IndexConfig& c) { c.ef_search = 0; }), "efSearch"},
      {"ef_search too large", with([](IndexConfig& c) { c.ef_search = IndexConfig::kMaxEf + 1; }), "efSearch"},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(c.config.Validate().ok()) << c.what;
    auto created = VectorIndex::Create(c.config);
    ASSERT_FALSE(created.ok()) << c.what;
    EXPECT_EQ(created.status().code(), StatusCode::kInvalidArgument) << c.what;
    EXPECT_NE(created.status().message().find(c.mentions), std::string::npos)
        << c.what << ": " << created.status().message();
  }
  // The limits themselves are valid.
  for (IndexConfig c : {with([](IndexConfig& c) { c.dimensions = 1; }),
                        with([](IndexConfig& c) { c.dimensions = IndexConfig::kMaxDimensions; }),
                        with([](IndexConfig& c) { c.m = 2; }), with([](IndexConfig& c) { c.m = IndexConfig::kMaxM; }),
                        with([](IndexConfig& c) { c.ef_construction = 1; }),
                        with([](IndexConfig& c) { c.ef_search = 1; })}) {
    EXPECT_TRUE(c.Validate().ok());
    EXPECT_TRUE(VectorIndex::Create(c).ok());
  }
}

// The extreme valid configurations actually work.
TEST(BadInput, ExtremeValidConfigsWork) {
  {  // one dimension, m = 2
    auto index = MakeIndex(Config(1, Metric::kL2, 2, 1, 1));
    ASSERT_TRUE(index);
    for (int i = 0; i < 200; ++i) {
      float v = static_cast<float>(i);
      ASSERT_TRUE(index->Add(ItemKey::Number(i), &v).ok());
    }
    float q = 73.2f;
    SearchParams params;
    params.k = 3;
    params.ef = 50;
    auto hits = index->Search(&q, params);
    ASSERT_TRUE(hits.ok());
    ASSERT_EQ(hits.value().size(), 3u);
    EXPECT_EQ(Ids(*index, hits.value()), (std::vector<int64_t>{73, 74, 72}));
  }
  {  // very many dimensions
    const uint32_t dim = IndexConfig::kMaxDimensions;
    auto index = MakeIndex(Config(dim, Metric::kCosine, 4, 8, 8));
    ASSERT_TRUE(index);
    Rng rng(1);
    std::vector<float> v(static_cast<size_t>(dim) * 5);
    for (float& x : v) x = static_cast<float>(rng.Normal());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(index->Add(ItemKey::Number(i), v.data() + static_cast<size_t>(i) * dim).ok());
    SearchParams params;
    params.k = 1;
    auto hits = index->Search(v.data() + 3 * static_cast<size_t>(dim), params);
    ASSERT_TRUE(hits.ok());
    ASSERT_EQ(hits.value().size(), 1u);
    EXPECT_EQ(IdOf(*index, hits.value()[0].slot), 3);
    EXPECT_NEAR(hits.value()[0].distance, 0.0, 1e-5);
  }
}

TEST(BadInput, MetricNamesParse) {
  EXPECT_EQ(neurovec::ParseMetric("l2").value(), Metric::kL2);
  EXPECT_EQ(neurovec::ParseMetric("euclidean").value(), Metric::kL2);
  EXPECT_EQ(neurovec::ParseMetric("cosine").value(), Metric::kCosine);
  EXPECT_EQ(neurovec::ParseMetric("ip").value(), Metric::kDot);
  EXPECT_EQ(neurovec::ParseMetric("dot").value(), Metric::kDot);
  EXPECT_EQ(neurovec::ParseMetric("l1").value(), Metric::kManhattan);
  EXPECT_EQ(neurovec::ParseMetric("manhattan").value(), Metric::kManhattan);
  for (Metric m : AllMetrics()) EXPECT_EQ(neurovec::ParseMetric(neurovec::MetricName(m)).value(), m);
  auto bad = neurovec::ParseMetric("L2 ");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("cosine"), std::string::npos);
}

}  // namespace
