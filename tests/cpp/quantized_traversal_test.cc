// Quantized traversal: HnswGraph::Search walking the same graph on codes
// (quant::QuantizedStore) instead of f32 rows, then exact re-ranking.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "hnsw/hnsw_graph.h"
#include "quantization/codec.h"
#include "quantization/quantized_store.h"
#include "storage/vector_store.h"
#include "test_util.h"

namespace {

using neurovec::Candidate;
using neurovec::HnswGraph;
using neurovec::Metric;
using neurovec::SearchContext;
using neurovec::TraversalCounters;
using neurovec::VectorStore;
using namespace neurovec::quant;

struct Built {
  std::unique_ptr<VectorStore> store;
  std::unique_ptr<HnswGraph> graph;
};

Built Build(const nvtest::Dataset& ds, Metric metric) {
  Built b;
  b.store = std::make_unique<VectorStore>(ds.dim, metric);
  b.graph = std::make_unique<HnswGraph>(8, 64, 42);
  EXPECT_TRUE(b.store->Reserve(ds.n).ok());
  EXPECT_TRUE(b.graph->Reserve(ds.n).ok());
  SearchContext ctx;
  for (uint32_t i = 0; i < ds.n; ++i) {
    b.store->Store(i, ds.row(i));
    b.graph->PrepareSlot(i, b.graph->DrawLevel());
    b.graph->Insert(i, *b.store, ctx);
  }
  return b;
}

std::unique_ptr<QuantizedStore> Encode(const Built& b, uint32_t n, CodecParams params) {
  params.dimensions = b.store->dimensions();
  params.metric = b.store->metric();
  auto codec = Codec::Create(params);
  EXPECT_TRUE(codec.ok());
  std::vector<float> sample;
  for (uint32_t i = 0; i < n; ++i) sample.insert(sample.end(), b.store->Row(i), b.store->Row(i) + params.dimensions);
  EXPECT_TRUE(codec.value()->Train(sample.data(), n).ok());
  auto store = QuantizedStore::Create(codec.take());
  EXPECT_TRUE(store.ok());
  std::unique_ptr<QuantizedStore> codes = store.take();
  EXPECT_TRUE(codes->Reserve(n).ok());
  for (uint32_t i = 0; i < n; ++i) codes->Store(i, b.store->Row(i));
  return codes;
}

std::vector<uint32_t> Slots(std::vector<Candidate> found, size_t k) {
  neurovec::SortByDistance(found);
  std::vector<uint32_t> slots;
  for (size_t i = 0; i < std::min(k, found.size()); ++i) slots.push_back(found[i].slot);
  return slots;
}

TEST(QuantizedTraversal, RejectsUntrainedCodec) {
  CodecParams p;
  p.kind = CodecKind::kInt8;
  p.dimensions = 4;
  auto codec = Codec::Create(p);
  ASSERT_TRUE(codec.ok());
  EXPECT_EQ(QuantizedStore::Create(codec.take()).status().code(), neurovec::StatusCode::kInvalidArgument);
  EXPECT_EQ(QuantizedStore::Create(nullptr).status().code(), neurovec::StatusCode::kInvalidArgument);
}

// The f32 codec computes the same distances (up to summation order), so the
// walk visits the same nodes and returns the same results.
TEST(QuantizedTraversal, F32CodesWalkLikeTheVectorStore) {
  auto w = nvtest::ClusteredWorkload(1500, 40, 24, 71);
  Built b = Build(w.base, Metric::kL2);
  CodecParams p;
  p.kind = CodecKind::kF32;
  auto codes = Encode(b, w.base.n, p);
  SearchContext ctx;
  TraversalCounters c1, c2;
  auto all = [](uint32_t) { return true; };
  std::vector<float> q(b.store->stride());
  size_t identical = 0;
  for (uint32_t i = 0; i < w.queries.n; ++i) {
    b.store->Encode(w.queries.row(i), q.data());
    b.graph->Search(q.data(), 32, *b.store, all, true, ctx, c1);
    auto exact_path = Slots(ctx.results, 10);
    auto prepared = codes->codec().PrepareQuery(q.data());
    b.graph->Search(static_cast<const QueryDistance*>(prepared.get()), 32, *codes, all, true, ctx, c2);
    identical += Slots(ctx.results, 10) == exact_path;
  }
  EXPECT_GE(identical, w.queries.n - 1);  // a float tie may differ, not more
  EXPECT_NEAR(double(c1.distance_computations), double(c2.distance_computations), 0.01 * c1.distance_computations);
}

// int8, f16 and PQ8 codes, then exact re-ranking of the ef candidates: recall
// against brute force stays close to the f32 walk's.
TEST(QuantizedTraversal, CodesPlusRerankKeepRecall) {
  auto w = nvtest::ClusteredWorkload(2000, 50, 32, 73);
  for (Metric metric : {Metric::kL2, Metric::kCosine}) {
    Built b = Build(w.base, metric);
    for (CodecKind kind : {CodecKind::kInt8, CodecKind::kF16, CodecKind::kPq8}) {
      SCOPED_TRACE(std::string(CodecKindName(kind)) + " " + neurovec::MetricName(metric));
      CodecParams p;
      p.kind = kind;
      p.subquantizers = 8;
      p.kmeans_iterations = 4;
      auto codes = Encode(b, w.base.n, p);
      SearchContext ctx;
      TraversalCounters counters;
      auto all = [](uint32_t) { return true; };
      std::vector<float> q(b.store->stride());
      double recall_f32 = 0, recall_codes = 0;
      for (uint32_t i = 0; i < w.queries.n; ++i) {
        auto truth = nvtest::BruteForce(metric, w.queries.row(i), w.base.dim, nvtest::AllItems(w.base), 10);
        b.store->Encode(w.queries.row(i), q.data());
        b.graph->Search(q.data(), 40, *b.store, all, true, ctx, counters);
        auto f32 = Slots(ctx.results, 10);
        recall_f32 += nvtest::Recall(std::vector<int64_t>(f32.begin(), f32.end()), truth);
        auto prepared = codes->codec().PrepareQuery(q.data());
        b.graph->Search(static_cast<const QueryDistance*>(prepared.get()), 40, *codes, all, true, ctx, counters);
        std::vector<Candidate> reranked;
        for (const Candidate& c : ctx.results) reranked.push_back({b.store->Distance(q.data(), b.store->Row(c.slot)), c.slot});
        auto got = Slots(reranked, 10);
        recall_codes += nvtest::Recall(std::vector<int64_t>(got.begin(), got.end()), truth);
      }
      recall_f32 /= w.queries.n;
      recall_codes /= w.queries.n;
      std::printf("%s %s: recall@10 f32 walk %.3f, code walk + re-rank %.3f\n", CodecKindName(kind),
                  neurovec::MetricName(metric), recall_f32, recall_codes);
      EXPECT_GT(recall_f32, 0.9);
      if (kind == CodecKind::kPq8) {
        // 4 dimensions per sub-quantizer is coarse for routing (measured 0.960
        // for L2, 0.834 for cosine); PQ is for scans with re-ranking, and this
        // checks that the walk on PQ codes works at all.
        EXPECT_GT(recall_codes, 0.75);
      } else {
        EXPECT_GT(recall_codes, recall_f32 - 0.02);  // int8, f16: as good as f32 here
      }
    }
  }
}

}  // namespace
