// Metadata filters applied during the traversal, checked against a filtered
// brute force computed here from the same attributes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <set>

#include "metadata/attribute_store.h"
#include "metadata/filter.h"
#include "test_util.h"

namespace {

using namespace nvtest;
using neurovec::StatusCode;

constexpr uint32_t kDim = 16;
constexpr uint32_t kN = 5000;

struct Attrs {
  int category;  // c0..c9
  double price;  // 0.0 .. 99.9 in steps of 0.1, some exactly 12.5
  bool in_stock;
  bool rare;     // 5 items in all
  bool has_price;
};

std::string MetadataJson(const Attrs& a) {
  std::string json = "{\"category\": \"c" + std::to_string(a.category) + "\"";
  if (a.has_price) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", a.price);
    json += ", \"price\": " + std::string(buf);
  }
  json += std::string(", \"in_stock\": ") + (a.in_stock ? "true" : "false");
  if (a.rare) json += ", \"rare\": \"yes\"";
  json += ", \"tags\": [\"x\", \"y\"], \"nested\": {\"category\": \"c0\"}, \"nothing\": null}";
  return json;
}

using Predicate = std::function<bool(const Attrs&)>;

struct FilterCase {
  const char* name;
  std::string filter;
  Predicate matches;
};

class FilterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    workload_ = new Workload(ClusteredWorkload(kN, 100, kDim, 606));
    attrs_ = new std::vector<Attrs>(kN);
    Rng rng(607);
    for (uint32_t i = 0; i < kN; ++i) {
      Attrs& a = (*attrs_)[i];
      a.category = static_cast<int>(rng.Below(10));
      a.price = i % 97 == 0 ? 12.5 : static_cast<double>(rng.Below(1000)) / 10.0;
      a.in_stock = rng.Below(3) != 0;
      a.rare = false;
      a.has_price = i % 50 != 1;  // 2% have no price at all
    }
    for (uint32_t i : {17u, 1234u, 2500u, 3999u, 4998u}) (*attrs_)[i].rare = true;
    // m=8 and a small ef keep the traversal cheaper than a scan for medium
    // filters, so the filtered graph search (not only the exact scan) is tested.
    index_ = MakeIndex(Config(kDim, Metric::kL2, 8, 100, 16)).release();
    for (uint32_t i = 0; i < kN; ++i) {
      auto r = index_->Add(ItemKey::Number(i), workload_->base.row(i), MetadataJson((*attrs_)[i]));
      ASSERT_TRUE(r.ok()) << r.status().message();
    }
  }
  static void TearDownTestSuite() {
    delete index_;
    delete attrs_;
    delete workload_;
  }

  struct Outcome {
    double recall = 0;
    int exact_scans = 0;
    size_t matching = 0;
  };

  // Runs every query with the filter; checks that every result matches, that
  // min(k, matches) results come back and distances are true; returns recall
  // against the filtered brute force.
  Outcome Run(const FilterCase& c, uint32_t k, uint32_t ef = 0, const std::set<int64_t>& deleted = {}) {
    std::vector<std::pair<int64_t, const float*>> items;
    for (uint32_t i = 0; i < kN; ++i)
      if (!deleted.count(i) && c.matches((*attrs_)[i])) items.emplace_back(i, workload_->base.row(i));
    Outcome out;
    out.matching = items.size();
    double sum = 0;
    for (uint32_t q = 0; q < workload_->queries.n; ++q) {
      SearchParams params;
      params.k = k;
      params.ef = ef;
      params.filter = c.filter;
      neurovec::SearchCounters counters;
      auto hits = index_->Search(workload_->queries.row(q), params, &counters);
      EXPECT_TRUE(hits.ok()) << c.name << ": " << hits.status().message();
      if (!hits.ok()) return out;
      EXPECT_TRUE(WellFormed(*index_, hits.value()));
      EXPECT_EQ(hits.value().size(), std::min<size_t>(k, items.size())) << c.name << " query " << q;
      out.exact_scans += counters.exact_scan;
      for (const SearchHit& h : hits.value()) {
        int64_t id = IdOf(*index_, h.slot);
        EXPECT_TRUE(c.matches((*attrs_)[static_cast<size_t>(id)]))
            << c.name << ": id " << id << " does not match; metadata " << index_->Metadata(h.slot);
        EXPECT_FALSE(deleted.count(id)) << c.name << ": deleted id " << id;
        double ref = RefDistance(Metric::kL2, workload_->queries.row(q), workload_->base.row(static_cast<size_t>(id)), kDim);
        EXPECT_NEAR(h.distance, ref, DistanceTolerance(ref));
      }
      sum += Recall(Ids(*index_, hits.value()), BruteForce(Metric::kL2, workload_->queries.row(q), kDim, items, k));
    }
    out.recall = sum / workload_->queries.n;
    return out;
  }

  static Workload* workload_;
  static std::vector<Attrs>* attrs_;
  static VectorIndex* index_;
};

Workload* FilterTest::workload_ = nullptr;
std::vector<Attrs>* FilterTest::attrs_ = nullptr;
VectorIndex* FilterTest::index_ = nullptr;

std::vector<FilterCase> Cases() {
  return {
      {"eq string", R"({"category": "c3"})", [](const Attrs& a) { return a.category == 3; }},
      {"$eq string", R"({"category": {"$eq": "c3"}})", [](const Attrs& a) { return a.category == 3; }},
      {"eq number", R"({"price": 12.5})", [](const Attrs& a) { return a.has_price && a.price == 12.5; }},
      {"eq bool", R"({"in_stock": true})", [](const Attrs& a) { return a.in_stock; }},
      {"eq false", R"({"in_stock": false})", [](const Attrs& a) { return !a.in_stock; }},
      {"$in", R"({"category": {"$in": ["c1", "c2", "c7"]}})",
       [](const Attrs& a) { return a.category == 1 || a.category == 2 || a.category == 7; }},
      {"$in with unknown values", R"({"category": {"$in": ["c4", "zzz", 4]}})",
       [](const Attrs& a) { return a.category == 4; }},
      {"$nin", R"({"category": {"$nin": ["c0", "c1", "c2", "c3", "c4", "c5", "c6"]}})",
       [](const Attrs& a) { return a.category >= 7; }},
      {"$ne", R"({"category": {"$ne": "c0"}})", [](const Attrs& a) { return a.category != 0; }},
      {"$ne absent field counts", R"({"price": {"$ne": 12.5}})",
       [](const Attrs& a) { return !a.has_price || a.price != 12.5; }},
      {"$gte $lt", R"({"price": {"$gte": 20, "$lt": 50}})",
       [](const Attrs& a) { return a.has_price && a.price >= 20 && a.price < 50; }},
      {"$gt", R"({"price": {"$gt": 90}})", [](const Attrs& a) { return a.has_price && a.price > 90; }},
      {"$lte", R"({"price": {"$lte": 5}})", [](const Attrs& a) { return a.has_price && a.price <= 5; }},
      {"$gt $lte bounds", R"({"price": {"$gt": 12.5, "$lte": 13.0}})",
       [](const Attrs& a) { return a.has_price && a.price > 12.5 && a.price <= 13.0; }},
      {"$and", R"({"$and": [{"in_stock": true}, {"price": {"$lt": 60}}]})",
       [](const Attrs& a) { return a.in_stock && a.has_price && a.price < 60; }},
      {"implicit and", R"({"in_stock": false, "category": {"$in": ["c1", "c2", "c3", "c4", "c5"]}})",
       [](const Attrs& a) { return !a.in_stock && a.category >= 1 && a.category <= 5; }},
      {"$or", R"({"$or": [{"category": "c1"}, {"price": {"$gt": 95}}]})",
       [](const Attrs& a) { return a.category == 1 || (a.has_price && a.price > 95); }},
      {"nested $or in $and",
       R"({"$and": [{"$or": [{"category": "c2"}, {"category": "c5"}]}, {"in_stock": true}, {"price": {"$gte": 10}}]})",
       [](const Attrs& a) { return (a.category == 2 || a.category == 5) && a.in_stock && a.has_price && a.price >= 10; }},
      {"empty filter object", R"({})", [](const Attrs&) { return true; }},
      {"rare", R"({"rare": "yes"})", [](const Attrs& a) { return a.rare; }},
      {"unknown value", R"({"category": "c99"})", [](const Attrs&) { return false; }},
      {"unknown field", R"({"colour": "red"})", [](const Attrs&) { return false; }},
      {"unknown field $ne", R"({"colour": {"$ne": "red"}})", [](const Attrs&) { return true; }},
      {"type mismatch", R"({"category": 3})", [](const Attrs&) { return false; }},
      {"array field not filterable", R"({"tags": "x"})", [](const Attrs&) { return false; }},
      {"nested object not filterable", R"({"nested": {"$eq": "c0"}})", [](const Attrs&) { return false; }},
  };
}

TEST_F(FilterTest, EveryResultMatchesAndRecallIsHigh) {
  for (const FilterCase& c : Cases()) {
    Outcome o = Run(c, 10, 0);
    std::printf("%-28s matches %5zu  exact scans %3d/100  recall@10 %.4f\n", c.name, o.matching, o.exact_scans, o.recall);
    EXPECT_GE(o.recall, 0.9) << c.name << " (" << o.matching << " matching items)";
    if (HasFailure()) return;
  }
}

// ~30% selectivity through the filtered graph traversal (not the exact scan).
TEST_F(FilterTest, MediumFilterUsesTraversalWithHighRecall) {
  FilterCase c{"$in 3 categories", R"({"category": {"$in": ["c1", "c2", "c7"]}})",
               [](const Attrs& a) { return a.category == 1 || a.category == 2 || a.category == 7; }};
  Outcome o = Run(c, 10, 16);
  std::printf("medium filter (%zu of %u): exact scans %d/100, recall@10 %.4f\n", o.matching, kN, o.exact_scans,
              o.recall);
  EXPECT_GT(o.matching, kN / 4);
  EXPECT_LT(o.matching, kN / 3 + kN / 20);
  EXPECT_EQ(o.exact_scans, 0) << "expected the traversal path for a 30% filter (test setup no longer covers it)";
  EXPECT_GE(o.recall, 0.9);
  // A broad filter goes through the traversal as well.
  FilterCase broad{"$ne c0", R"({"category": {"$ne": "c0"}})", [](const Attrs& a) { return a.category != 0; }};
  Outcome b = Run(broad, 10, 16);
  EXPECT_EQ(b.exact_scans, 0);
  EXPECT_GE(b.recall, 0.9);
}

// 5 matching items of 5000: all of them, in exact order.
TEST_F(FilterTest, VerySelectiveFilterReturnsExactTopK) {
  FilterCase c{"rare", R"({"rare": "yes"})", [](const Attrs& a) { return a.rare; }};
  for (uint32_t k : {3u, 5u, 10u}) {
    Outcome o = Run(c, k);
    EXPECT_EQ(o.matching, 5u);
    EXPECT_DOUBLE_EQ(o.recall, 1.0) << "k=" << k;
  }
  // Also exactly the same order as brute force.
  for (uint32_t q = 0; q < 20; ++q) {
    SearchParams params;
    params.k = 10;
    params.filter = c.filter;
    auto hits = index_->Search(workload_->queries.row(q), params);
    ASSERT_TRUE(hits.ok());
    std::vector<std::pair<int64_t, const float*>> items;
    for (uint32_t i : {17u, 1234u, 2500u, 3999u, 4998u}) items.emplace_back(i, workload_->base.row(i));
    auto exact = BruteForce(Metric::kL2, workload_->queries.row(q), kDim, items, 10);
    ASSERT_EQ(hits.value().size(), exact.size());
    for (size_t i = 0; i < exact.size(); ++i) EXPECT_EQ(IdOf(*index_, hits.value()[i].slot), exact[i].id);
  }
}

// Filters stay exact-or-better as k grows past the matches of a mid filter.
TEST_F(FilterTest, LargeKWithFilterReturnsAllMatches) {
  FilterCase c{"$gt 99", R"({"price": {"$gt": 99}})", [](const Attrs& a) { return a.has_price && a.price > 99; }};
  Outcome o = Run(c, 1000);
  EXPECT_GT(o.matching, 10u);
  EXPECT_LT(o.matching, 1000u);
  EXPECT_DOUBLE_EQ(o.recall, 1.0);
}

TEST_F(FilterTest, BadFiltersAreRejectedWithHelpfulMessages) {
  struct Bad {
    std::string filter;
    std::vector<std::string> message_mentions;
  };
  const std::vector<Bad> bad = {
      {R"({"price": {"$foo": 1}})", {"$foo", "price"}},
      {R"({"$xor": [{"a": 1}]})", {"$xor"}},
      {R"({"category": {"$in": "c1"}})", {"$in", "array"}},
      {R"({"category": {"$nin": 3}})", {"$nin", "array"}},
      {R"({"price": {"$gt": "10"}})", {"$gt", "number"}},
      {R"({"price": {"$lte": true}})", {"$lte", "number"}},
      {R"({"price": {"$gt": 1, "$gte": 2}})", {"lower bound"}},
      {R"({"price": {"$lt": 1, "$lte": 2}})", {"upper bound"}},
      {R"({"price": {}})", {"empty"}},
      {R"({"category": null})", {"category"}},
      {R"({"category": {"$in": [["c1"]]}})", {"category"}},
      {R"({"$and": {"a": 1}})", {"$and"}},
      {R"({"$or": []})", {"$or"}},
      {R"({"$and": [1]})", {"object"}},
      {R"([{"category": "c1"}])", {"object"}},
      {R"("category")", {"object"}},
      {R"({"category": "c1")", {"JSON"}},
      {R"({"category": "c1"} trailing)", {"JSON"}},
      {R"({category: "c1"})", {"JSON"}},
      {"{\"category\": \"c\x01\"}", {"JSON"}},
  };
  std::vector<float> q(kDim, 0.0f);
  for (const Bad& b : bad) {
    SearchParams params;
    params.filter = b.filter;
    auto hits = index_->Search(q.data(), params);
    ASSERT_FALSE(hits.ok()) << "accepted bad filter " << b.filter;
    EXPECT_EQ(hits.status().code(), StatusCode::kInvalidArgument) << b.filter;
    for (const std::string& word : b.message_mentions) {
      EXPECT_NE(hits.status().message().find(word), std::string::npos)
          << "message for " << b.filter << " should mention '" << word << "': " << hits.status().message();
    }
  }
  // Nesting beyond the limit is refused, not a stack overflow.
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += R"({"$and": [)";
  deep += R"({"category": "c1"})";
  for (int i = 0; i < 40; ++i) deep += "]}";
  SearchParams params;
  params.filter = deep;
  auto hits = index_->Search(q.data(), params);
  ASSERT_FALSE(hits.ok());
  EXPECT_EQ(hits.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(hits.status().message().find("deep"), std::string::npos) << hits.status().message();
}

// Filters and deletes together, on a private index: deleted items never come
// back through either path (traversal or exact scan).
TEST(FilterDelete, DeletedItemsNeverMatch) {
  Workload w = ClusteredWorkload(3000, 50, kDim, 700);
  auto index = MakeIndex(Config(kDim, Metric::kCosine, 8, 100, 16));
  ASSERT_TRUE(index);
  for (uint32_t i = 0; i < w.base.n; ++i) {
    std::string meta = "{\"group\": " + std::to_string(i % 4) + ", \"special\": " + (i % 300 == 0 ? "true" : "false") + "}";
    ASSERT_TRUE(index->Add(ItemKey::Number(i), w.base.row(i), meta).ok());
  }
  std::set<int64_t> deleted;
  for (int64_t i = 0; i < 3000; i += 2) {  // every even id: half of group 0 and 2, all "special"
    ASSERT_TRUE(index->Remove(ItemKey::Number(i)).value());
    deleted.insert(i);
  }
  int traversals = 0;
  for (const char* filter : {R"({"group": {"$in": [1, 2]}})", R"({"group": 0})", R"({"special": true})",
                             R"({"group": {"$gte": 0}})"}) {
    std::vector<std::pair<int64_t, const float*>> items;
    for (uint32_t i = 0; i < 3000; ++i) {
      if (deleted.count(i)) continue;
      bool match = std::string(filter).find("$in") != std::string::npos ? (i % 4 == 1 || i % 4 == 2)
                   : std::string(filter).find("special") != std::string::npos ? (i % 300 == 0)
                   : std::string(filter).find("$gte") != std::string::npos     ? true
                                                                                : (i % 4 == 0);
      if (match) items.emplace_back(i, w.base.row(i));
    }
    double sum = 0;
    for (uint32_t q = 0; q < w.queries.n; ++q) {
      SearchParams params;
      params.filter = filter;
      neurovec::SearchCounters counters;
      auto hits = index->Search(w.queries.row(q), params, &counters);
      ASSERT_TRUE(hits.ok()) << hits.status().message();
      traversals += !counters.exact_scan;
      ASSERT_EQ(hits.value().size(), std::min<size_t>(10, items.size())) << filter;
      ASSERT_TRUE(WellFormed(*index, hits.value()));
      for (int64_t id : Ids(*index, hits.value())) ASSERT_FALSE(deleted.count(id)) << filter << " returned deleted " << id;
      sum += Recall(Ids(*index, hits.value()), BruteForce(Metric::kCosine, w.queries.row(q), kDim, items, 10));
    }
    EXPECT_GE(sum / w.queries.n, 0.9) << filter;
  }
  EXPECT_GT(traversals, 0);  // at least one filter took the traversal path
}

// The compiled filter on its own, against hand-built attributes.
TEST(FilterCompile, MatchesAgainstAttributeStore) {
  neurovec::AttributeStore store;
  store.Reserve(4);
  const char* docs[] = {R"({"a": 1, "b": "x"})", R"({"a": 2.5, "b": "y", "c": true})", R"({"b": 3})", ""};
  for (uint32_t s = 0; s < 4; ++s) {
    auto parsed = neurovec::AttributeStore::ParseMetadata(docs[s]);
    ASSERT_TRUE(parsed.ok());
    store.Set(s, docs[s], parsed.value());
  }
  auto check = [&](const std::string& f, std::vector<bool> want) {
    auto compiled = neurovec::Filter::Compile(f, store);
    ASSERT_TRUE(compiled.ok()) << f << ": " << compiled.status().message();
    for (uint32_t s = 0; s < 4; ++s) EXPECT_EQ(compiled.value().Matches(s), want[s]) << f << " slot " << s;
  };
  check(R"({"a": 1})", {true, false, false, false});
  check(R"({"a": {"$gt": 1}})", {false, true, false, false});
  check(R"({"a": {"$gte": 1, "$lte": 2.5}})", {true, true, false, false});
  check(R"({"b": "x"})", {true, false, false, false});
  check(R"({"b": 3})", {false, false, true, false});
  check(R"({"b": {"$in": ["y", 3]}})", {false, true, true, false});
  check(R"({"b": {"$nin": ["y", 3]}})", {true, false, false, true});
  check(R"({"c": true})", {false, true, false, false});
  check(R"({"c": {"$ne": true}})", {true, false, true, true});
  check(R"({"c": 1})", {false, false, false, false});  // a boolean is not the number 1
  check(R"({"$or": [{"a": 1}, {"c": true}]})", {true, true, false, false});
  check(R"({"$and": [{"b": {"$ne": "x"}}, {"b": {"$ne": 3}}]})", {false, true, false, true});
  check(R"({"a": {"$lt": 2.5}})", {true, false, false, false});
  check(R"({"b": {"$gt": 0}})", {false, false, true, false});  // range only on numbers
  // Clearing a slot removes its values from the columns.
  store.Clear(0);
  check(R"({"a": 1})", {false, false, false, false});
  check(R"({"b": {"$ne": "x"}})", {true, true, true, true});
}


// Metadata read from a file is stored unparsed; the first filter builds the
// columns, and writes after that keep them current.
TEST(FilterCompile, StoredMetadataBuildsColumnsOnFirstFilter) {
  neurovec::AttributeStore store;
  store.Reserve(3);
  store.SetStored(0, R"({"a": 1, "b": "x"})");
  store.SetStored(1, R"({"a": 2, "b": "y"})");
  EXPECT_EQ(store.Column("a"), nullptr);  // nothing parsed yet
  auto matches = [&](const std::string& f) {
    auto compiled = neurovec::Filter::Compile(f, store);
    EXPECT_TRUE(compiled.ok()) << f << ": " << compiled.status().message();
    std::vector<bool> out;
    for (uint32_t s = 0; s < 3; ++s) out.push_back(compiled.ok() && compiled.value().Matches(s));
    return out;
  };
  EXPECT_EQ(matches(R"({"b": "y"})"), (std::vector<bool>{false, true, false}));
  ASSERT_NE(store.Column("a"), nullptr);
  // A write after the build updates the columns in place.
  auto parsed = neurovec::AttributeStore::ParseMetadata(R"({"b": "y"})");
  ASSERT_TRUE(parsed.ok());
  store.Set(2, R"({"b": "y"})", parsed.value());
  EXPECT_EQ(matches(R"({"b": "y"})"), (std::vector<bool>{false, true, true}));
  store.Clear(1);
  EXPECT_EQ(matches(R"({"b": "y"})"), (std::vector<bool>{false, false, true}));
  EXPECT_EQ(store.Json(0), R"({"a": 1, "b": "x"})");
  // Stored bytes that do not parse (a damaged file whose checksum still
  // matched) fail the filter as CORRUPT, every time, and nothing else.
  store.SetStored(0, R"({"a": 1,})");
  for (int i = 0; i < 2; ++i) {
    auto compiled = neurovec::Filter::Compile(R"({"a": 1})", store);
    ASSERT_FALSE(compiled.ok());
    EXPECT_EQ(compiled.status().code(), neurovec::StatusCode::kCorrupt);
    EXPECT_NE(compiled.status().message().find("slot 0"), std::string::npos) << compiled.status().message();
  }
  EXPECT_EQ(store.Json(1), "");
}

// memory_bytes() is a running count (stats() reads it, and hosts call stats()
// often); after any sequence of writes it equals a recount of the strings.
TEST(AttributeStoreMemory, RunningCountEqualsARecount) {
  neurovec::AttributeStore store;
  size_t slots = 0;
  auto reserve = [&](size_t n) { store.Reserve(n); slots = std::max(slots, n); };
  auto recount = [&] {
    uint64_t bytes = 0;
    for (uint32_t s = 0; s < slots; ++s) bytes += store.Json(s).capacity() + sizeof(std::string);
    return bytes;
  };
  reserve(4);
  EXPECT_EQ(store.memory_bytes(), recount());
  const std::string long_json = R"({"note": ")" + std::string(200, 'x') + R"("})";
  auto parsed = neurovec::AttributeStore::ParseMetadata(long_json);
  ASSERT_TRUE(parsed.ok());
  store.Set(0, long_json, parsed.value());
  store.SetStored(1, R"({"a": 1})");
  EXPECT_EQ(store.memory_bytes(), recount());
  EXPECT_GE(store.memory_bytes(), long_json.size());
  store.Clear(0);
  reserve(10);
  store.SetStored(9, long_json);
  store.SetStored(1, long_json + " ");
  EXPECT_EQ(store.memory_bytes(), recount());
  store.Clear(1);
  store.Clear(9);
  EXPECT_EQ(store.memory_bytes(), recount());
}

}  // namespace
