// `neurovec build` (fvecs -> index file) and `neurovec query` (index file +
// queries -> one JSON line per query). The file is the one the wasm build reads
// with VectorIndex.fromBytes and writes with toBytes.
#include <chrono>
#include <cstdio>
#include <sstream>

#include "cli_util.h"
#include "commands.h"
#include "metadata/json.h"
#include "neurovec/learning.h"
#include "neurovec/storage.h"
#include "neurovec/vector_index.h"
#include "persistence/local_file.h"
#include "vector_files.h"

namespace neurovec::cli {
namespace {


}  // namespace

int RunBuild(const Args& args) {
  const char* cmd = "build";
  for (const auto& u : args.Unused({"base", "out", "m", "ef-construction", "metric", "threads", "seed"})) {
    return FailCommand(cmd, "unknown option --" + u);
  }
  if (!args.Has("base") || !args.Has("out")) return FailCommand(cmd, "--base and --out are required");
  std::string error;
  uint64_t m, efc, threads, seed;
  if (!args.GetUint("m", 16, m, error) || !args.GetUint("ef-construction", 200, efc, error) ||
      !args.GetUint("threads", 1, threads, error) || !args.GetUint("seed", 42, seed, error)) {
    return FailCommand(cmd, error);
  }
  auto metric = ParseMetric(args.Get("metric", "l2"));
  if (!metric.ok()) return FailCommand(cmd, metric.status().message());
  auto base = ReadFvecs(args.Get("base"));
  if (!base.ok()) return FailCommand(cmd, base.status().message());
  IndexConfig config;
  config.dimensions = base.value().cols;
  config.metric = metric.value();
  config.m = static_cast<uint32_t>(m);
  config.ef_construction = static_cast<uint32_t>(efc);
  config.seed = seed;
  config.initial_capacity = base.value().rows;
  auto created = VectorIndex::Create(config);
  if (!created.ok()) return FailCommand(cmd, created.status().message());
  std::vector<ItemKey> keys;
  for (uint32_t i = 0; i < base.value().rows; ++i) keys.push_back(ItemKey::Number(i));
  BatchOptions options;
  options.threads = static_cast<uint32_t>(threads == 0 ? 1 : threads);
  Status added = created.value()->AddBatch(keys, base.value().data.data(), {}, options);
  if (!added.ok()) return FailCommand(cmd, added.message());
  auto written = SaveIndexFileDurably(*created.value(), args.Get("out"));
  if (!written.ok()) return FailCommand(cmd, written.status().message());
  std::fprintf(stderr, "wrote %u items (%llu bytes) to %s\n", base.value().rows,
               static_cast<unsigned long long>(written.value()), args.Get("out").c_str());
  return 0;
}

int RunHealth(const Args& args) {
  const char* cmd = "health";
  for (const auto& u : args.Unused({"index", "json"})) return FailCommand(cmd, "unknown option --" + u);
  if (!args.Has("index")) return FailCommand(cmd, "--index is required");
  auto storage = OpenFileStorage(args.Get("index"), FileMode::kReadOnly);
  if (!storage.ok()) return FailCommand(cmd, storage.status().message());
  auto loaded = VectorIndex::Open(storage.take(), OpenOptions{true});
  if (!loaded.ok()) return FailCommand(cmd, args.Get("index") + ": " + loaded.status().message());
  auto health = loaded.value()->Health();
  if (!health.ok()) return FailCommand(cmd, health.status().message());
  const IndexHealth& h = health.value();
  std::string histogram;
  for (size_t d = 0; d < h.out_degree_histogram.size(); ++d) {
    histogram += (d ? "," : "") + std::to_string(h.out_degree_histogram[d]);
  }
  if (args.Has("json")) {
    std::printf("{\"live\": %llu, \"tombstones\": %llu, \"unreachable\": %llu, \"unreachableThroughTombstones\": %llu, "
                "\"linksToTombstones\": %llu, \"meanOutDegree\": %.6f, \"degreeHistogram\": [%s]}\n",
                static_cast<unsigned long long>(h.live), static_cast<unsigned long long>(h.tombstones),
                static_cast<unsigned long long>(h.unreachable),
                static_cast<unsigned long long>(h.unreachable_through_tombstones),
                static_cast<unsigned long long>(h.links_to_tombstones), h.mean_out_degree, histogram.c_str());
  } else {
    std::printf("live %llu, tombstones %llu\nunreachable %llu (through live items only; %llu with tombstones as stepping "
                "stones)\nlinks to tombstones %llu\nmean out-degree (level 0, live to live) %.2f\n"
                "out-degree histogram (0..%zu): %s\n",
                static_cast<unsigned long long>(h.live), static_cast<unsigned long long>(h.tombstones),
                static_cast<unsigned long long>(h.unreachable),
                static_cast<unsigned long long>(h.unreachable_through_tombstones),
                static_cast<unsigned long long>(h.links_to_tombstones), h.mean_out_degree,
                h.out_degree_histogram.size() - 1, histogram.c_str());
  }
  return 0;
}

int RunOptimize(const Args& args) {
  const char* cmd = "optimize";
  for (const auto& u : args.Unused({"index"})) return FailCommand(cmd, "unknown option --" + u);
  if (!args.Has("index")) return FailCommand(cmd, "--index is required");
  auto storage = OpenFileStorage(args.Get("index"), FileMode::kReadWrite);
  if (!storage.ok()) return FailCommand(cmd, storage.status().message());
  auto opened = VectorIndex::Open(storage.take(), OpenOptions{});
  if (!opened.ok()) return FailCommand(cmd, args.Get("index") + ": " + opened.status().message());
  const auto t0 = std::chrono::steady_clock::now();
  auto report = opened.value()->Optimize();
  if (!report.ok()) return FailCommand(cmd, report.status().message());
  Status closed = opened.value()->Close();
  if (!closed.ok()) return FailCommand(cmd, closed.message());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const OptimizeReport& r = report.value();
  std::printf("%llu neighbour lists relinked, %llu items reconnected; unreachable %llu -> %llu; %.2f s "
              "(checkpoint included)\n",
              static_cast<unsigned long long>(r.lists_relinked), static_cast<unsigned long long>(r.reconnected),
              static_cast<unsigned long long>(r.unreachable_before), static_cast<unsigned long long>(r.unreachable_after),
              seconds);
  return 0;
}

int RunQuery(const Args& args) {
  const char* cmd = "query";
  for (const auto& u : args.Unused({"index", "queries", "k", "ef", "json", "mode", "routing", "recall"})) {
    return FailCommand(cmd, "unknown option --" + u);
  }
  // --routing auto (default: learned where the file has a router for this k), plain or learned.
  const std::string routing_name = args.Get("routing", "auto");
  RoutingMode routing = RoutingMode::kAuto;
  if (routing_name == "plain") {
    routing = RoutingMode::kPlain;
  } else if (routing_name == "learned") {
    routing = RoutingMode::kLearned;
  } else if (routing_name != "auto") {
    return FailCommand(cmd, "--routing must be auto, plain or learned, got '" + routing_name + "'");
  }
  // --mode vector (default) or neural/subgraph/differentiable: the learned re-ranking (issue 5).
  const std::string mode_name = args.Get("mode", "vector");
  const char* const kModes[] = {"vector", "neural", "subgraph", "differentiable"};
  int mode = -1;
  for (int i = 0; i < 4; ++i) {
    if (mode_name == kModes[i]) mode = i;
  }
  if (mode < 0) return FailCommand(cmd, "--mode must be vector, neural, subgraph or differentiable, got '" + mode_name + "'");
#if defined(NEUROVEC_CLI_LEARN_BENCH)
  learning::EnableLearning();
#endif
  if (!args.Has("index") || !args.Has("queries")) return FailCommand(cmd, "--index and --queries are required");
  std::string error;
  uint64_t k, ef;
  double recall;
  if (!args.GetUint("k", 10, k, error) || !args.GetUint("ef", 0, ef, error) || !args.GetDouble("recall", 0, recall, error)) {
    return FailCommand(cmd, error);
  }
  if (k == 0) return FailCommand(cmd, "--k must be positive");
  if (!(recall >= 0 && recall <= 1)) return FailCommand(cmd, "--recall must be in (0, 1] (0: the router's default)");
  // Read-only and mapped: no lock, nothing written, no copy of the file first.
  auto storage = OpenFileStorage(args.Get("index"), FileMode::kReadOnly);
  if (!storage.ok()) return FailCommand(cmd, storage.status().message());
  auto loaded = VectorIndex::Open(storage.take(), OpenOptions{true});
  if (!loaded.ok()) return FailCommand(cmd, args.Get("index") + ": " + loaded.status().message());
  auto queries = ReadFvecs(args.Get("queries"));
  if (!queries.ok()) return FailCommand(cmd, queries.status().message());
  const VectorIndex& index = *loaded.value();
  if (queries.value().cols != index.config().dimensions) return FailCommand(cmd, "queries and index differ in dimensions");
  for (uint32_t q = 0; q < queries.value().rows; ++q) {
    SearchParams params;
    params.k = static_cast<uint32_t>(k);
    params.ef = static_cast<uint32_t>(ef);
    params.routing = routing;
    params.target_recall = static_cast<float>(recall);
    auto hits = index.SearchLearned(queries.value().row(q), params, static_cast<SearchMode>(mode));
    if (!hits.ok()) return FailCommand(cmd, hits.status().message());
    std::ostringstream ids, distances, scores;
    for (size_t i = 0; i < hits.value().hits.size(); ++i) {
      const LearnedHit& hit = hits.value().hits[i];
      const ItemKey& key = index.KeyOf(hit.slot);
      ids << (i ? "," : "") << (key.kind() == ItemKey::Kind::kNumber ? std::to_string(key.number()) : JsonQuote(key.string()));
      char d[32];
      std::snprintf(d, sizeof d, "%.9g", hit.distance);
      distances << (i ? "," : "") << d;
      std::snprintf(d, sizeof d, "%.9g", hit.score);
      scores << (i ? "," : "") << d;
    }
    if (mode == 0) {
      std::printf("{\"ids\": [%s], \"distances\": [%s]}\n", ids.str().c_str(), distances.str().c_str());
    } else {
      std::printf("{\"ids\": [%s], \"distances\": [%s], \"scores\": [%s]}\n", ids.str().c_str(),
                  distances.str().c_str(), scores.str().c_str());
    }
  }
  return 0;
}

}  // namespace neurovec::cli
