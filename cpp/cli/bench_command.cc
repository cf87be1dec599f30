// `neurovec bench` and `neurovec groundtruth`.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <thread>

#include "cli_util.h"
#include "commands.h"
#include "distance/kernels.h"
#include "hnsw/candidate.h"
#include "neurovec/vector_index.h"
#include "storage/vector_store.h"
#include "vector_files.h"

namespace neurovec::cli {
namespace {




}  // namespace

int RunBench(const Args& args) {
  const char* cmd = "bench";
  for (const auto& u : args.Unused({"base", "queries", "truth", "k", "m", "ef-construction", "threads", "ef", "json",
                                    "metric", "seed"})) {
    return FailCommand(cmd, "unknown option --" + u);
  }
  if (!args.Has("base") || !args.Has("queries") || !args.Has("truth")) {
    return FailCommand(cmd, "--base, --queries and --truth are required");
  }
  std::string error;
  uint64_t k, m, efc, threads, seed;
  if (!args.GetUint("k", 10, k, error) || !args.GetUint("m", 16, m, error) ||
      !args.GetUint("ef-construction", 200, efc, error) || !args.GetUint("threads", 1, threads, error) ||
      !args.GetUint("seed", 42, seed, error)) {
    return FailCommand(cmd, error);
  }
  if (k == 0) return FailCommand(cmd, "--k must be positive");
  if (threads == 0 || threads > 1024) return FailCommand(cmd, "--threads must be between 1 and 1024");
  std::vector<uint32_t> efs;
  if (!ParseUintList(args.Get("ef", "10,20,40,80"), efs)) return FailCommand(cmd, "--ef expects a list like 10,20,40");
  auto metric = ParseMetric(args.Get("metric", "l2"));
  if (!metric.ok()) return FailCommand(cmd, metric.status().message());
  const bool json = args.Has("json");

  auto files = ReadRecallFiles(args.Get("base"), args.Get("queries"), args.Get("truth"), k);
  if (!files.ok()) return FailCommand(cmd, files.status().message());
  const FloatMatrix& b = files.value().base;
  const FloatMatrix& q = files.value().queries;
  const IntMatrix& t = files.value().truth;

  IndexConfig config;
  config.dimensions = b.cols;
  config.metric = metric.value();
  config.m = static_cast<uint32_t>(m);
  config.ef_construction = static_cast<uint32_t>(efc);
  config.seed = seed;
  config.initial_capacity = b.rows;
  auto created = VectorIndex::Create(config);
  if (!created.ok()) return FailCommand(cmd, created.status().message());
  VectorIndex& index = *created.value();

  std::vector<ItemKey> keys;
  keys.reserve(b.rows);
  for (uint32_t i = 0; i < b.rows; ++i) keys.push_back(ItemKey::Number(i));
  BatchOptions options;
  options.threads = static_cast<uint32_t>(threads);
  auto build_start = Clock::now();
  Status built = index.AddBatch(keys, b.data.data(), {}, options);
  double build_seconds = SecondsSince(build_start);
  if (!built.ok()) return FailCommand(cmd, built.message());
  if (json) {
    std::printf("{\"build_seconds\": %.4f, \"items\": %u, \"dimensions\": %u, \"threads\": %u, \"m\": %u, "
                "\"ef_construction\": %u, \"kernel\": \"%s\"}\n",
                build_seconds, b.rows, b.cols, static_cast<unsigned>(threads), config.m, config.ef_construction,
                distance::BestKernels().name);
  } else {
    std::printf("built %u x %u in %.2f s on %u thread(s), kernel %s\n", b.rows, b.cols, build_seconds,
                static_cast<unsigned>(threads), distance::BestKernels().name);
  }
  std::fflush(stdout);

  // Slots were handed out in input order, so slot i is row i of the base file.
  for (uint32_t ef : efs) {
    std::vector<double> recalls(q.rows, 0);
    std::vector<uint64_t> computations(q.rows, 0);
    std::atomic<bool> failed{false};
    auto start = Clock::now();
    ParallelFor(q.rows, static_cast<uint32_t>(threads), [&](size_t i) {
      SearchParams params;
      params.k = static_cast<uint32_t>(k);
      params.ef = ef;
      SearchCounters counters;
      auto hits = index.Search(q.row(i), params, &counters);
      if (!hits.ok()) {
        failed = true;
        return;
      }
      const int32_t* truth_row = t.row(i);
      size_t found = 0;
      for (const SearchHit& h : hits.value()) {
        for (uint64_t j = 0; j < k; ++j) found += truth_row[j] == static_cast<int32_t>(h.slot);
      }
      recalls[i] = static_cast<double>(found) / k;
      computations[i] = counters.distance_computations;
    });
    double seconds = SecondsSince(start);
    if (failed) return FailCommand(cmd, "a search failed");
    double recall = 0, dc = 0;
    for (uint32_t i = 0; i < q.rows; ++i) {
      recall += recalls[i];
      dc += computations[i];
    }
    recall /= q.rows;
    dc /= q.rows;
    double qps = q.rows / seconds;
    if (json) {
      std::printf("{\"ef\": %u, \"recall\": %.4f, \"qps\": %.1f, \"distance_computations\": %.1f}\n", ef, recall, qps, dc);
    } else {
      std::printf("ef %5u  recall@%llu %.4f  qps %10.1f  distances/query %8.1f\n", ef,
                  static_cast<unsigned long long>(k), recall, qps, dc);
    }
    std::fflush(stdout);
  }
  return 0;
}

int RunGroundTruth(const Args& args) {
  const char* cmd = "groundtruth";
  for (const auto& u : args.Unused({"base", "queries", "out", "k", "metric", "threads"})) {
    return FailCommand(cmd, "unknown option --" + u);
  }
  if (!args.Has("base") || !args.Has("queries") || !args.Has("out")) {
    return FailCommand(cmd, "--base, --queries and --out are required");
  }
  std::string error;
  uint64_t k, threads;
  if (!args.GetUint("k", 100, k, error) || !args.GetUint("threads", 1, threads, error)) return FailCommand(cmd, error);
  if (threads == 0 || threads > 1024) return FailCommand(cmd, "--threads must be between 1 and 1024");
  auto metric = ParseMetric(args.Get("metric", "l2"));
  if (!metric.ok()) return FailCommand(cmd, metric.status().message());
  auto base = ReadFvecs(args.Get("base"));
  if (!base.ok()) return FailCommand(cmd, base.status().message());
  auto queries = ReadFvecs(args.Get("queries"));
  if (!queries.ok()) return FailCommand(cmd, queries.status().message());
  const FloatMatrix& b = base.value();
  const FloatMatrix& q = queries.value();
  if (q.cols != b.cols) return FailCommand(cmd, "queries and base differ in dimensions");
  if (k == 0 || k > b.rows) return FailCommand(cmd, "--k must be between 1 and the number of base vectors");

  // Brute force through the same stored form and kernels the index uses.
  VectorStore store(b.cols, metric.value());
  Status reserved = store.Reserve(b.rows);
  if (!reserved.ok()) return FailCommand(cmd, reserved.message());
  for (uint32_t i = 0; i < b.rows; ++i) {
    Status s = store.Validate(b.row(i));
    if (!s.ok()) return FailCommand(cmd, "base row " + std::to_string(i) + ": " + s.message());
    store.Store(i, b.row(i));
  }
  IntMatrix out;
  out.rows = q.rows;
  out.cols = static_cast<uint32_t>(k);
  out.data.resize(static_cast<size_t>(q.rows) * k);
  ParallelFor(q.rows, static_cast<uint32_t>(threads), [&](size_t i) {
    std::vector<float> encoded(store.stride());
    store.Encode(q.row(i), encoded.data());
    std::vector<Candidate> heap;
    for (uint32_t s = 0; s < b.rows; ++s) {
      KeepClosest(heap, k, {store.Distance(encoded.data(), store.Row(s)), s});
    }
    SortByDistance(heap);
    for (size_t j = 0; j < heap.size(); ++j) out.data[i * k + j] = static_cast<int32_t>(heap[j].slot);
  });
  Status written = WriteIvecs(args.Get("out"), out);
  if (!written.ok()) return FailCommand(cmd, written.message());
  std::fprintf(stderr, "wrote %u x %llu neighbours to %s\n", q.rows, static_cast<unsigned long long>(k),
               args.Get("out").c_str());
  return 0;
}

}  // namespace neurovec::cli
