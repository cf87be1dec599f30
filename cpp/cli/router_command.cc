// `neurovec train-router`: trains an index file's router (learned early
// termination, VectorIndex::TrainRouter) natively with threads, the heavy
// path, and checkpoints it into the file, which wasm then reads.
#include <chrono>
#include <cstdio>
#include <thread>

#include "cli_util.h"
#include "router_report_text.h"
#include "commands.h"
#include "neurovec/storage.h"
#include "neurovec/vector_index.h"
#include "vector_files.h"

namespace neurovec::cli {

int RunTrainRouter(const Args& args) {
  const char* cmd = "train-router";
  for (const auto& u : args.Unused({"index", "k", "ef", "items", "queries", "calibration-share", "target", "threads",
                                    "seed", "skip-rank", "learned-only", "drop", "json"})) {
    return FailCommand(cmd, "unknown option --" + u);
  }
  if (!args.Has("index")) return FailCommand(cmd, "--index is required");
  std::string error;
  RouterOptions o;
  uint64_t k, ef, items, threads, seed, skip_rank;
  double share, target;
  const uint64_t cores = std::max(1u, std::thread::hardware_concurrency());
  if (!args.GetUint("k", o.k, k, error) || !args.GetUint("ef", o.ef, ef, error) ||
      !args.GetUint("items", o.items, items, error) || !args.GetUint("threads", cores, threads, error) ||
      !args.GetUint("seed", o.seed, seed, error) || !args.GetUint("skip-rank", o.skip_rank, skip_rank, error) ||
      !args.GetDouble("calibration-share", o.calibration_share, share, error) ||
      !args.GetDouble("target", o.default_target_recall, target, error)) {
    return FailCommand(cmd, error);
  }
  o.k = static_cast<uint32_t>(std::min<uint64_t>(k, UINT32_MAX));
  o.ef = static_cast<uint32_t>(std::min<uint64_t>(ef, UINT32_MAX));
  o.items = static_cast<uint32_t>(std::min<uint64_t>(items, UINT32_MAX));
  o.threads = static_cast<uint32_t>(std::min<uint64_t>(threads, UINT32_MAX));
  o.seed = seed;
  o.skip_rank = static_cast<uint32_t>(std::min<uint64_t>(skip_rank, UINT32_MAX));
  o.calibration_share = share;
  o.default_target_recall = static_cast<float>(target);
  o.plain_when_faster = !args.Has("learned-only");

  auto storage = OpenFileStorage(args.Get("index"), FileMode::kReadWrite);
  if (!storage.ok()) return FailCommand(cmd, storage.status().message());
  auto opened = VectorIndex::Open(storage.take(), OpenOptions{});
  if (!opened.ok()) return FailCommand(cmd, args.Get("index") + ": " + opened.status().message());
  VectorIndex& index = *opened.value();

  if (args.Has("drop")) {
    Status dropped = index.DropRouter();
    if (!dropped.ok()) return FailCommand(cmd, dropped.message());
    Status closed = index.Close();
    if (!closed.ok()) return FailCommand(cmd, closed.message());
    std::printf("router dropped\n");
    return 0;
  }
  FloatMatrix queries;
  if (args.Has("queries")) {
    auto read = ReadFvecs(args.Get("queries"));
    if (!read.ok()) return FailCommand(cmd, read.status().message());
    queries = read.take();
    if (queries.cols != index.config().dimensions) return FailCommand(cmd, "queries and index differ in dimensions");
    o.queries = queries.data.data();
    o.query_count = queries.rows;
  }
  const bool json = args.Has("json");
  int last_percent = -1;
  o.on_progress = [&](double f) {
    const int percent = static_cast<int>(f * 100);
    if (!json && percent / 10 != last_percent / 10) {
      std::fprintf(stderr, "\rtraining the router: %3d%%", percent);
      last_percent = percent;
    }
    return true;
  };
  auto trained = index.TrainRouter(o);
  if (!json) std::fprintf(stderr, "\n");
  if (!trained.ok()) return FailCommand(cmd, trained.status().message());
  Status closed = index.Close();
  if (!closed.ok()) return FailCommand(cmd, closed.message());
  const RouterReport& r = trained.value();
  if (json) {
    std::printf("{\"k\": %u, \"ef\": %u, \"trainingWalks\": %llu, \"calibrationWalks\": %llu, \"records\": %llu, "
                "\"seconds\": %.3f, \"fullWalkRecall\": %.6f, \"fullWalkComputations\": %.2f, \"routedRecall\": %.6f, "
                "\"routedComputations\": %.2f, \"routedEstimates\": %.2f, \"skipRank\": %u, \"modelBytes\": %llu, \"plainWalks\": %s}\n",
                o.k, o.ef, static_cast<unsigned long long>(r.training_walks),
                static_cast<unsigned long long>(r.calibration_walks), static_cast<unsigned long long>(r.records),
                r.seconds, r.full_walk_recall, r.full_walk_computations, r.routed_recall, r.routed_computations,
                r.routed_estimates, r.skip_rank, static_cast<unsigned long long>(r.model_bytes), PlainWalksJson(r).c_str());
  } else {
    std::printf("router for k %u trained at ef %u on %llu walks (%llu held out to calibrate) in %.2f s, %u threads\n"
                "held-out walks: full walk recall@%u %.4f with %.1f distances; routed (target %.2f) %.4f with %.1f\n"
                "neighbour skipping: %s\n"
                "written into %s (%llu bytes of model)\n",
                o.k, o.ef, static_cast<unsigned long long>(r.training_walks),
                static_cast<unsigned long long>(r.calibration_walks), r.seconds, o.threads, o.k, r.full_walk_recall,
                r.full_walk_computations, o.default_target_recall, r.routed_recall, r.routed_computations,
                r.skip_rank > 0 ? ("rank " + std::to_string(r.skip_rank) + ", " + std::to_string(r.routed_estimates).substr(0, 6) +
                                   " projected estimates per routed walk").c_str()
                                : "off (it did not pay on the held-out walks)",
                args.Get("index").c_str(), static_cast<unsigned long long>(r.model_bytes));
    std::printf("%s", PlainWalksText(r).c_str());
  }
  return 0;
}

}  // namespace neurovec::cli
