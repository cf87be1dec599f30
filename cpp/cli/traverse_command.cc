// `neurovec traverse`: quantized traversal against the f32 path on one graph.
// Builds an HNSW graph over the f32 VectorStore (as VectorIndex::AddBatch does:
// dimension order calibrated on the batch, one thread), encodes every slot with
// a codec into a QuantizedStore, then per ef measures, with queries one at a
// time on one thread (QPS from thread CPU time, the two paths interleaved):
//   f32:       HnswGraph::Search on the VectorStore, top k of the ef results;
//   quantized: the same Search on codes (prepared query, ADC per hop), then the
//              ef candidates re-ranked with exact f32 distances, top k.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <sstream>
#include <string>
#include <vector>

#include "cli_util.h"
#include "commands.h"
#include "hnsw/hnsw_graph.h"
#include "quantization/codec.h"
#include "quantization/quantized_store.h"
#include "storage/vector_store.h"
#include "util/random.h"
#include "vector_files.h"

namespace neurovec::cli {
namespace {


// CPU time of this thread (time slices lost to other processes do not count);
// wall time where the platform has no such clock.
double ThreadSeconds() {
  timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0) return ts.tv_sec + ts.tv_nsec * 1e-9;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

int Fail(const std::string& message) { return FailCommand("traverse", message); }

}  // namespace

int RunTraverse(const Args& args) {
  for (const auto& u : args.Unused({"base", "queries", "truth", "codec", "m", "ef-construction", "ef", "k", "seed",
                                    "train-sample", "metric", "runs"})) {
    return Fail("unknown option --" + u);
  }
  if (!args.Has("base") || !args.Has("queries") || !args.Has("truth")) {
    return Fail("--base, --queries and --truth are required");
  }
  std::string error;
  uint64_t m, efc, k, seed, train_n, runs;
  if (!args.GetUint("m", 16, m, error) || !args.GetUint("ef-construction", 200, efc, error) ||
      !args.GetUint("k", 10, k, error) || !args.GetUint("seed", 42, seed, error) ||
      !args.GetUint("train-sample", 20000, train_n, error) || !args.GetUint("runs", 2, runs, error)) {
    return Fail(error);
  }
  if (m < 2 || m > HnswGraph::kMaxM || k == 0 || runs == 0) return Fail("bad --m, --k or --runs");
  std::vector<uint32_t> efs;
  {
    std::stringstream ss(args.Get("ef", "10,16,24,32,48,64"));
    std::string item;
    while (std::getline(ss, item, ',')) {
      char* end = nullptr;
      unsigned long v = std::strtoul(item.c_str(), &end, 10);
      if (item.empty() || *end != '\0' || v == 0) return Fail("--ef expects a list like 16,32");
      efs.push_back(static_cast<uint32_t>(v));
    }
  }
  // Several codecs (comma-separated specs) are measured on one graph.
  std::vector<std::string> codec_specs;
  std::vector<quant::CodecParams> codec_params;
  {
    std::stringstream ss(args.Get("codec", "int8"));
    std::string spec;
    while (std::getline(ss, spec, ',')) {
      quant::CodecParams params;
      if (!ParseCodecSpec(spec, params, error)) return Fail(error);
      codec_specs.push_back(spec);
      codec_params.push_back(params);
    }
    if (codec_specs.empty()) return Fail("--codec expects a codec spec");
  }
  auto metric = ParseMetric(args.Get("metric", "l2"));
  if (!metric.ok()) return Fail(metric.status().message());

  auto files = ReadRecallFiles(args.Get("base"), args.Get("queries"), args.Get("truth"), k);
  if (!files.ok()) return Fail(files.status().message());
  const FloatMatrix& b = files.value().base;
  const FloatMatrix& q = files.value().queries;
  const IntMatrix& t = files.value().truth;
  const uint32_t n = b.rows, d = b.cols;

  VectorStore store(d, metric.value());
  HnswGraph graph(static_cast<uint32_t>(m), static_cast<uint32_t>(efc), seed);
  Status s = store.Reserve(n);
  if (s.ok()) s = graph.Reserve(n);
  if (!s.ok()) return Fail(s.message());
  for (uint32_t i = 0; i < n; ++i) {
    Status valid = store.Validate(b.row(i));
    if (!valid.ok()) return Fail("base row " + std::to_string(i) + ": " + valid.message());
  }
  store.CalibrateDimensionOrder(0, b.data.data(), n);
  auto build_start = Clock::now();
  {
    SearchContext ctx;
    for (uint32_t i = 0; i < n; ++i) {
      store.Store(i, b.row(i));
      graph.PrepareSlot(i, graph.DrawLevel());
      graph.Insert(i, store, ctx);
    }
  }
  const double build_s = SecondsSince(build_start);

  // Codec trained on stored-form rows (the order the graph sees).
  for (size_t which = 0; which < codec_specs.size(); ++which) {
    const std::string& codec_spec = codec_specs[which];
    quant::CodecParams params = codec_params[which];
    params.dimensions = d;
    params.metric = metric.value();
    params.seed = seed;
    auto codec_r = quant::Codec::Create(params);
    if (!codec_r.ok()) return Fail(codec_r.status().message());
    const size_t sample_n = std::min<size_t>(train_n, n);
    std::vector<float> sample(sample_n * d);
    {
      Random random(seed);
      std::vector<uint32_t> index(n);
      for (uint32_t i = 0; i < n; ++i) index[i] = i;
      for (size_t i = 0; i < sample_n; ++i) {
        std::swap(index[i], index[i + random.NextBelow(n - i)]);
        std::copy(store.Row(index[i]), store.Row(index[i]) + d, sample.begin() + i * d);
      }
    }
    Status trained = codec_r.value()->Train(sample.data(), sample_n);
    if (!trained.ok()) return Fail(trained.message());
    auto qstore_r = quant::QuantizedStore::Create(codec_r.take());
    if (!qstore_r.ok()) return Fail(qstore_r.status().message());
    quant::QuantizedStore& codes = *qstore_r.value();
    s = codes.Reserve(n);
    if (!s.ok()) return Fail(s.message());
    auto encode_start = Clock::now();
    for (uint32_t i = 0; i < n; ++i) codes.Store(i, store.Row(i));
    const double encode_s = SecondsSince(encode_start);
    if (which == 0) {
      std::printf("built %u x %u (M=%llu, efC=%llu) in %.2f s\n", n, d, static_cast<unsigned long long>(m),
                  static_cast<unsigned long long>(efc), build_s);
    }
    std::printf("%s codes: %zu B/vector (f32 rows %u B), encoded in %.2f s\n", codec_spec.c_str(),
                codes.bytes_per_vector(), store.stride() * 4, encode_s);
    std::fflush(stdout);

    // Queries in stored form.
    std::vector<float> encoded(static_cast<size_t>(q.rows) * store.stride());
    for (uint32_t i = 0; i < q.rows; ++i)
      store.Encode(q.row(i), encoded.data() + static_cast<size_t>(i) * store.stride());
    auto all = [](uint32_t) { return true; };
    SearchContext ctx;
    std::vector<Candidate> top;

    auto recall_of = [&](uint32_t qi, const std::vector<Candidate>& found) {
      size_t hits = 0;
      for (size_t j = 0; j < std::min<size_t>(k, found.size()); ++j) {
        for (uint64_t x = 0; x < k; ++x) hits += t.row(qi)[x] == static_cast<int32_t>(found[j].slot);
      }
      return static_cast<double>(hits) / k;
    };

    // The two paths alternate in chunks of 50 queries and each is timed by the
    // thread's CPU clock, so both see the same machine: on a shared box wall time
    // of separate runs varied 2x from run to run.
    constexpr uint32_t kChunk = 50;
    for (uint32_t ef0 : efs) {
      const uint32_t ef = std::max<uint32_t>(ef0, static_cast<uint32_t>(k));
      double seconds_f32 = 0, seconds_quant = 0, recall_f32 = 0, recall_quant = 0;
      TraversalCounters counters, qcounters;
      for (uint64_t run = 0; run < runs; ++run) {
        for (uint32_t first = 0; first < q.rows; first += kChunk) {
          const uint32_t last = std::min(q.rows, first + kChunk);
          double start = ThreadSeconds();
          for (uint32_t i = first; i < last; ++i) {
            const float* query = encoded.data() + static_cast<size_t>(i) * store.stride();
            graph.Search(query, ef, store, all, true, ctx, counters);
            top.assign(ctx.results.begin(), ctx.results.end());
            SortByDistance(top);
            if (run == 0) recall_f32 += recall_of(i, top);
          }
          seconds_f32 += ThreadSeconds() - start;

          start = ThreadSeconds();
          for (uint32_t i = first; i < last; ++i) {
            const float* query = encoded.data() + static_cast<size_t>(i) * store.stride();
            auto prepared = codes.codec().PrepareQuery(query);
            graph.Search(static_cast<const quant::QueryDistance*>(prepared.get()), ef, codes, all, true, ctx,
                         qcounters);
            top.clear();
            for (const Candidate& c : ctx.results) top.push_back({store.Distance(query, store.Row(c.slot)), c.slot});
            SortByDistance(top);
            if (run == 0) recall_quant += recall_of(i, top);
          }
          seconds_quant += ThreadSeconds() - start;
        }
      }
      const double searched = static_cast<double>(q.rows) * runs;
      std::printf(
          "ef %4u  f32: recall@%llu %.4f qps %8.1f dist/q %6.1f | %s traversal + exact re-rank of %u: recall %.4f qps "
          "%8.1f dist/q %6.1f | speedup %.3f\n",
          ef, static_cast<unsigned long long>(k), recall_f32 / q.rows, searched / seconds_f32,
          counters.distance_computations / searched, codec_spec.c_str(), ef, recall_quant / q.rows,
          searched / seconds_quant, qcounters.distance_computations / searched, seconds_f32 / seconds_quant);
      std::fflush(stdout);
    }
  }  // codecs
  return 0;
}

}  // namespace neurovec::cli
