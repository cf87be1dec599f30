// `neurovec routing-bench`: learned early termination against the plain walk,
// on one graph, at equal recall.
//
// The queries split three ways: the first --train rows (the router learns from
// them with --train-from queries; by default it learns from the index's own
// items and they go unused), the next --tune rows (the tuning split: settings
// such as --router-ef are chosen on it, with --split tune) and the rest (the
// test split, reported by default). The plain walk's curve over
// --efs gives, by linear interpolation in recall, the distance computations
// and QPS a fixed ef needs for the recall the router reached. Searches run
// on one thread; recall is against the --truth file (brute force).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "cli_util.h"
#include "router_report_text.h"
#include "commands.h"
#include "neurovec/vector_index.h"
#include "persistence/local_file.h"
#include "util/random.h"
#include "vector_files.h"

namespace neurovec::cli {
namespace {

struct Point {
  double recall = 0, computations = 0, qps = 0, early = 0, hops = 0;
  double plain_served = 0;  // share of the searches the router sent to the plain walk
};

// Runs rows [first, last) of `queries`, one thread, best time of `runs` passes.
Point Measure(const VectorIndex& index, const FloatMatrix& queries, const IntMatrix& truth, size_t first, size_t last,
              const SearchParams& params, int runs, bool* failed) {
  Point p;
  double best = 1e30;
  const uint64_t early_before = index.Stats().routing.early_stops;
  const uint64_t plain_before = index.Stats().routing.plain_served;
  for (int run = 0; run < runs; ++run) {
    double recall = 0, computations = 0, hops = 0;
    auto start = Clock::now();
    for (size_t i = first; i < last; ++i) {
      SearchCounters counters;
      auto hits = index.Search(queries.row(i), params, &counters);
      if (!hits.ok()) {
        *failed = true;
        return p;
      }
      const int32_t* t = truth.row(i);
      size_t found = 0;
      for (const SearchHit& h : hits.value()) {
        for (uint32_t j = 0; j < params.k; ++j) found += t[j] == static_cast<int32_t>(h.slot);
      }
      recall += static_cast<double>(found) / params.k;
      computations += counters.distance_computations;
      hops += counters.hops;
    }
    best = std::min(best, SecondsSince(start));
    p.recall = recall / (last - first);
    p.computations = computations / (last - first);
    p.hops = hops / (last - first);
  }
  p.qps = (last - first) / best;
  p.early = static_cast<double>(index.Stats().routing.early_stops - early_before) / runs / (last - first);
  p.plain_served = static_cast<double>(index.Stats().routing.plain_served - plain_before) / runs / (last - first);
  return p;
}

// The plain curve at `recall` (linear between the two efs around it); false
// when the recall lies outside the curve.
bool Interpolate(const std::vector<Point>& curve, double recall, Point& out) {
  for (size_t i = 0; i + 1 < curve.size(); ++i) {
    const Point& a = curve[i];
    const Point& b = curve[i + 1];
    if (recall >= a.recall && recall <= b.recall && b.recall > a.recall) {
      const double t = (recall - a.recall) / (b.recall - a.recall);
      out.recall = recall;
      out.computations = a.computations + t * (b.computations - a.computations);
      // Interpolate time per query, not QPS.
      out.qps = 1.0 / (1.0 / a.qps + t * (1.0 / b.qps - 1.0 / a.qps));
      return true;
    }
  }
  return false;
}

double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Seconds per query of each of `params`, timed side by side: the queries in
// chunks of 50, each chunk run under every setting in turn, each timed by
// this thread's CPU clock, the best of `runs` per chunk and setting summed
// (use runs >= the number of settings).
// Passes timed one after another drift by 20-30% on a shared VM (other
// tenants, clock changes); interleaved chunks see the same machine.
std::vector<double> SecondsPerQueryInterleaved(const VectorIndex& index, const FloatMatrix& queries, size_t first,
                                               size_t last, const std::vector<SearchParams>& params, int runs) {
  constexpr size_t kChunk = 50;
  const size_t chunks = (last - first + kChunk - 1) / kChunk;
  std::vector<std::vector<double>> best(params.size(), std::vector<double>(chunks, 1e30));
  for (int run = 0; run < runs; ++run) {
    for (size_t c = 0; c < chunks; ++c) {
      const size_t from = first + c * kChunk, to = std::min(last, from + kChunk);
      for (size_t j = 0; j < params.size(); ++j) {
        // Whoever walks a chunk first warms the cache for the others (the same
        // queries' neighbourhoods): the lead rotates, and the best of the runs
        // counts, so with runs >= settings every setting is timed warm. The
        // cycle runs backwards on odd chunks: in one direction each setting
        // always follows the same other one, and a plain walk that always
        // followed the learned walk it matched (the same nodes, just read)
        // timed 6% faster than that same walk served by the router.
        const size_t n = params.size(), shift = (run + c) % n;
        const size_t p = c % 2 == 0 ? (shift + j) % n : (shift + n - j % n) % n;
        const double start = ThreadSeconds();
        for (size_t i = from; i < to; ++i) (void)index.Search(queries.row(i), params[p]);
        best[p][c] = std::min(best[p][c], ThreadSeconds() - start);
      }
    }
  }
  std::vector<double> out(params.size(), 0.0);
  for (size_t p = 0; p < params.size(); ++p) {
    for (double t : best[p]) out[p] += t;
    out[p] /= static_cast<double>(last - first);
  }
  return out;
}

bool ParseFloatList(const std::string& text, std::vector<double>& out) {
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    double v = std::strtod(item.c_str(), &end);
    if (item.empty() || *end != '\0' || !(v > 0 && v <= 1)) return false;
    out.push_back(v);
  }
  return !out.empty();
}

}  // namespace

int RunRoutingBench(const Args& args) {
  const char* cmd = "routing-bench";
  for (const auto& u : args.Unused({"base", "queries", "truth", "k", "m", "ef-construction", "threads", "efs",
                                    "targets", "router-ef", "items", "seeds", "tune", "runs", "json", "split", "metric", "train-from", "train",
                                    "save-index", "load-index", "skip-rank", "churn-rounds", "churn-percent", "adapt-hints", "adapt-coverage", "calibration-share", "learned-only"})) {
    return FailCommand(cmd, "unknown option --" + u);
  }
  if (!args.Has("base") || !args.Has("queries") || !args.Has("truth")) {
    return FailCommand(cmd, "--base, --queries and --truth are required");
  }
  std::string error;
  uint64_t k, m, efc, threads, router_ef, items, train, tune, runs, churn_rounds, churn_percent, skip_rank;
  if (!args.GetUint("k", 10, k, error) || !args.GetUint("m", 16, m, error) ||
      !args.GetUint("ef-construction", 200, efc, error) || !args.GetUint("threads", 2, threads, error) ||
      !args.GetUint("router-ef", 128, router_ef, error) || !args.GetUint("items", 3000, items, error) ||
      !args.GetUint("train", 2000, train, error) || !args.GetUint("tune", 2000, tune, error) || !args.GetUint("runs", 2, runs, error) ||
      !args.GetUint("churn-rounds", 0, churn_rounds, error) || !args.GetUint("churn-percent", 10, churn_percent, error) ||
      !args.GetUint("skip-rank", RouterOptions{}.skip_rank, skip_rank, error)) {
    return FailCommand(cmd, error);
  }
  double calibration_share;
  if (!args.GetDouble("calibration-share", RouterOptions{}.calibration_share, calibration_share, error)) {
    return FailCommand(cmd, error);
  }
  if (churn_percent < 1 || churn_percent > 90) {
    return FailCommand(cmd, "--churn-percent must be 1..90 (the share of live items replaced per round), got " +
                                std::to_string(churn_percent));
  }
  std::vector<uint32_t> efs, seeds;
  std::vector<double> targets;
  if (!ParseUintList(args.Get("efs", "10,12,14,16,20,24,28,32,40,48,64,96,128,192,256"), efs)) {
    return FailCommand(cmd, "--efs expects a list like 10,16,32");
  }
  if (!ParseUintList(args.Get("seeds", "1,2,3"), seeds)) return FailCommand(cmd, "--seeds expects a list like 1,2,3");
  if (!ParseFloatList(args.Get("targets", "0.9,0.95,0.99"), targets)) {
    return FailCommand(cmd, "--targets expects recalls in (0, 1] like 0.9,0.95");
  }
  // --split tune: report the tuning split instead of the test split (what settings are chosen on).
  const std::string split = args.Get("split", "test");
  if (split != "test" && split != "tune") return FailCommand(cmd, "--split is test or tune");
  const bool json = args.Has("json");
  // --train-from items: the router learns from the index's own items; queries:
  // from the training split's queries.
  const std::string train_from = args.Get("train-from", "items");
  if (train_from != "items" && train_from != "queries") return FailCommand(cmd, "--train-from is items or queries");

  auto files = ReadRecallFiles(args.Get("base"), args.Get("queries"), args.Get("truth"), k);
  if (!files.ok()) return FailCommand(cmd, files.status().message());
  const FloatMatrix& b = files.value().base;
  const FloatMatrix& q = files.value().queries;
  const IntMatrix& t = files.value().truth;
  if (train + tune >= q.rows || train < 20) return FailCommand(cmd, "--train (>= 20) and --tune must leave test queries");
  // Queries [0, train) train the router (--train-from queries), [train, train + tune) tune, the rest test.
  const size_t first = split == "test" ? train + tune : train, last = split == "test" ? q.rows : train + tune;

  auto metric = ParseMetric(args.Get("metric", "l2"));
  if (!metric.ok()) return FailCommand(cmd, metric.status().message());
  IndexConfig config;
  config.dimensions = b.cols;
  config.metric = metric.value();
  config.m = static_cast<uint32_t>(m);
  config.ef_construction = static_cast<uint32_t>(efc);
  config.initial_capacity = b.rows;
  BatchOptions batch;
  batch.threads = static_cast<uint32_t>(threads);
  std::unique_ptr<VectorIndex> owned;
  if (args.Has("load-index")) {
    // --load-index F: the graph a run saved with --save-index (same base file), not built again.
    auto bytes = ReadWholeFile(args.Get("load-index"));
    if (!bytes.ok()) return FailCommand(cmd, bytes.status().message());
    auto loaded = VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(bytes.value().data()), bytes.value().size());
    if (!loaded.ok()) return FailCommand(cmd, args.Get("load-index") + ": " + loaded.status().message());
    owned = loaded.take();
    if (owned->size() != b.rows || owned->config().dimensions != b.cols) {
      return FailCommand(cmd, args.Get("load-index") + " does not hold the --base rows");
    }
    std::fprintf(stderr, "loaded %s; %s split: queries %zu..%zu\n", args.Get("load-index").c_str(), split.c_str(), first, last);
  } else {
    auto created = VectorIndex::Create(config);
    if (!created.ok()) return FailCommand(cmd, created.status().message());
    owned = created.take();
    std::vector<ItemKey> keys;
    for (uint32_t i = 0; i < b.rows; ++i) keys.push_back(ItemKey::Number(i));
    auto build_start = Clock::now();
    Status built = owned->AddBatch(keys, b.data.data(), {}, batch);
    if (!built.ok()) return FailCommand(cmd, built.message());
    std::fprintf(stderr, "built %u x %u in %.1f s; %s split: queries %zu..%zu\n", b.rows, b.cols,
                 SecondsSince(build_start), split.c_str(), first, last);
  }
  VectorIndex& index = *owned;

  // --save-index F: the graph as built (no router), so another engine (wasm,
  // bench/routing.mjs) walks the same graph.
  if (args.Has("save-index")) {
    auto written = SaveIndexFileDurably(index, args.Get("save-index"));
    if (!written.ok()) return FailCommand(cmd, written.status().message());
  }
  // --adapt-hints C: workload adaptation (AdaptToWorkload) from the training
  // split's queries before anything is measured, so both walks start at its
  // entry hints (--adapt-coverage: the share of those queries a hint serves).
  if (args.Has("adapt-hints")) {
    AdaptOptions adapt;
    adapt.hints = static_cast<uint32_t>(std::stoul(args.Get("adapt-hints")));
    adapt.coverage = std::stof(args.Get("adapt-coverage", "0.9"));
    adapt.queries = q.row(0);
    adapt.query_count = train;
    adapt.min_queries = 1;
    auto adapted = index.AdaptToWorkload(adapt);
    if (!adapted.ok()) return FailCommand(cmd, adapted.status().message());
    std::fprintf(stderr, "adapted: %u hints, bound %.1f, %.3f s\n", adapted.value().hints, adapted.value().bound,
                 adapted.value().seconds);
  }
  bool failed = false;
  std::vector<Point> curve;
  for (uint32_t ef : efs) {
    SearchParams params;
    params.k = static_cast<uint32_t>(k);
    params.ef = ef;
    params.routing = RoutingMode::kPlain;
    Point p = Measure(index, q, t, first, last, params, static_cast<int>(runs), &failed);
    if (failed) return FailCommand(cmd, "a search failed");
    curve.push_back(p);
    if (json) {
      std::printf("{\"walk\": \"plain\", \"ef\": %u, \"recall\": %.4f, \"distance_computations\": %.1f, \"qps\": %.1f}\n",
                  ef, p.recall, p.computations, p.qps);
    } else {
      std::printf("plain    ef %4u  recall@%llu %.4f  distances %7.1f  hops %6.1f  qps %8.1f\n", ef,
                  static_cast<unsigned long long>(k), p.recall, p.computations, p.hops, p.qps);
    }
    std::fflush(stdout);
  }

  RouterOptions last_options;
  std::vector<float> last_queries;
  for (uint32_t seed : seeds) {
    RouterOptions options;
    options.k = static_cast<uint32_t>(k);
    options.ef = static_cast<uint32_t>(router_ef);
    options.items = static_cast<uint32_t>(items);
    options.seed = seed;
    options.threads = static_cast<uint32_t>(threads);
    options.skip_rank = static_cast<uint32_t>(skip_rank);
    options.calibration_share = calibration_share;
    options.plain_when_faster = !args.Has("learned-only");
    std::vector<float> shuffled;
    if (train_from == "queries") {
      // The training queries in a seeded order (training and calibration shares differ per seed).
      std::vector<uint32_t> order(train);
      for (uint32_t i = 0; i < train; ++i) order[i] = i;
      uint64_t state = seed * 0x9e3779b97f4a7c15ull + 1;
      for (uint32_t i = train; i > 1; --i) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        std::swap(order[i - 1], order[(state >> 33) % i]);
      }
      for (uint32_t i : order) shuffled.insert(shuffled.end(), q.row(i), q.row(i) + q.cols);
      options.queries = shuffled.data();
      options.query_count = train;
    }
    auto trained = index.TrainRouter(options);
    if (!trained.ok()) return FailCommand(cmd, trained.status().message());
    last_queries = shuffled;
    last_options = options;
    const RouterReport& r = trained.value();
    std::string margins;
    for (float mg : r.skip_margins) margins += (margins.empty() ? "" : ",") + std::to_string(mg).substr(0, 4);
    if (json) {
      std::printf("{\"router\": %u, \"seconds\": %.2f, \"records\": %llu, \"bytes\": %llu, \"held_out_full_recall\": %.4f, "
                  "\"held_out_full_computations\": %.1f, \"held_out_routed_recall\": %.4f, "
                  "\"held_out_routed_computations\": %.1f, \"skip_rank\": %u, \"skip_margins\": [%s], "
                  "\"skip_table_bytes\": %llu, \"plain_walks\": %s}\n",
                  seed, r.seconds, static_cast<unsigned long long>(r.records),
                  static_cast<unsigned long long>(r.model_bytes), r.full_walk_recall, r.full_walk_computations,
                  r.routed_recall, r.routed_computations, r.skip_rank, margins.c_str(),
                  static_cast<unsigned long long>(index.Stats().routing.skip_table_bytes), PlainWalksJson(r).c_str());
    } else {
      std::printf("router seed %u: trained in %.2f s on %llu walk states (%llu bytes); held-out items: full walk "
                  "%.4f / %.1f, at the default target %.4f / %.1f; skip rank %u, margins %s\n",
                  seed, r.seconds, static_cast<unsigned long long>(r.records),
                  static_cast<unsigned long long>(r.model_bytes), r.full_walk_recall, r.full_walk_computations,
                  r.routed_recall, r.routed_computations, r.skip_rank, margins.c_str());
      std::printf("%s", PlainWalksText(r).c_str());
    }
    for (double target : targets) {
      SearchParams params;
      params.k = static_cast<uint32_t>(k);
      params.routing = RoutingMode::kLearned;
      params.target_recall = static_cast<float>(target);
      Point p = Measure(index, q, t, first, last, params, static_cast<int>(runs), &failed);
      if (failed) return FailCommand(cmd, "a search failed");
      Point plain;
      const bool comparable = Interpolate(curve, p.recall, plain);
      if (comparable) {
        // QPS side by side with the two plain efs around this recall (the
        // curve's own QPS came from passes at other moments).
        size_t hi = 1;
        while (hi + 1 < curve.size() && curve[hi].recall < p.recall) ++hi;
        SearchParams a = params, b = params;
        a.routing = b.routing = RoutingMode::kPlain;
        a.ef = efs[hi - 1];
        b.ef = efs[hi];
        const auto spq = SecondsPerQueryInterleaved(index, q, first, last, {params, a, b},
                                                    static_cast<int>(std::max<uint64_t>(runs, 3)));
        const double t = (p.recall - curve[hi - 1].recall) / (curve[hi].recall - curve[hi - 1].recall);
        p.qps = 1.0 / spq[0];
        plain.qps = 1.0 / (spq[1] + t * (spq[2] - spq[1]));
      }
      if (json) {
        std::printf("{\"walk\": \"learned\", \"seed\": %u, \"target\": %.3f, \"recall\": %.4f, "
                    "\"distance_computations\": %.1f, \"qps\": %.1f, \"early_stops\": %.3f, "
                    "\"plain_distance_computations\": %.1f, \"plain_qps\": %.1f, \"plain_served\": %.3f}\n",
                    seed, target, p.recall, p.computations, p.qps, p.early, comparable ? plain.computations : -1.0,
                    comparable ? plain.qps : -1.0, p.plain_served);
      } else if (comparable) {
        std::printf("learned  target %.2f  recall@%llu %.4f  distances %7.1f  hops %6.1f  qps %8.1f  early %.0f%%  | plain at "
                    "that recall: distances %7.1f  qps %8.1f  -> %.2fx distances, %.2fx qps%s\n",
                    target, static_cast<unsigned long long>(k), p.recall, p.computations, p.hops, p.qps, 100 * p.early,
                    plain.computations, plain.qps, p.computations / plain.computations, p.qps / plain.qps,
                    p.plain_served > 0 ? "  (the plain walk serves it)" : "");
      } else {
        std::printf("learned  target %.2f  recall@%llu %.4f  distances %7.1f  qps %8.1f  early %.0f%%  | outside "
                    "the plain curve\n",
                    target, static_cast<unsigned long long>(k), p.recall, p.computations, p.qps, 100 * p.early);
      }
      std::fflush(stdout);
    }
  }

  // --churn-rounds R: how the last seed's router holds up as the index changes
  // under it. Each round deletes churn-percent of the live items at random and
  // inserts as many noisy copies of training images (new ids); then the test
  // split is measured against exact neighbours over the live items, learned
  // at each target and plain at the router's ef. After the last round the
  // router is trained again on the same queries and measured once more.
  if (churn_rounds > 0) {
    Random rng(20261205);
    uint64_t next_id = b.rows;
    IntMatrix live_truth;
    live_truth.rows = q.rows;
    live_truth.cols = static_cast<uint32_t>(k);
    live_truth.data.assign(static_cast<size_t>(q.rows) * k, -1);
    auto measure_round = [&](const std::string& label, uint64_t round, bool with_plain) -> bool {
      for (double target : targets) {
        SearchParams params;
        params.k = static_cast<uint32_t>(k);
        params.routing = RoutingMode::kLearned;
        params.target_recall = static_cast<float>(target);
        Point p = Measure(index, q, live_truth, first, last, params, 1, &failed);
        if (failed) return false;
        std::printf(json ? "{\"churn_round\": %llu, \"router\": \"%s\", \"target\": %.3f, \"recall\": %.4f, "
                           "\"distance_computations\": %.1f, \"early_stops\": %.3f, \"changes_since_training\": %llu}\n"
                         : "churn round %llu, %s: target %.3f recall@k %.4f, %.1f distances, early stops %.3f, "
                           "%llu changes since training\n",
                    static_cast<unsigned long long>(round), label.c_str(), target, p.recall, p.computations, p.early,
                    static_cast<unsigned long long>(index.Stats().routing.changes_since_training));
      }
      if (!with_plain) return true;  // the graph did not change since the last plain row
      SearchParams plain;
      plain.k = static_cast<uint32_t>(k);
      plain.ef = static_cast<uint32_t>(router_ef);
      plain.routing = RoutingMode::kPlain;
      Point p = Measure(index, q, live_truth, first, last, plain, 1, &failed);
      if (failed) return false;
      std::printf(json ? "{\"churn_round\": %llu, \"router\": \"plain\", \"ef\": %llu, \"recall\": %.4f, "
                         "\"distance_computations\": %.1f}\n"
                       : "churn round %llu, plain walk: ef %llu recall@k %.4f, %.1f distances\n",
                  static_cast<unsigned long long>(round), static_cast<unsigned long long>(router_ef), p.recall,
                  p.computations);
      std::fflush(stdout);
      return true;
    };
    for (uint64_t round = 1; round <= churn_rounds; ++round) {
      std::vector<uint32_t> live;
      for (uint32_t s = 0; s < index.Stats().capacity; ++s) {
        if (index.IsLiveSlot(s)) live.push_back(s);
      }
      const size_t n = live.size() * churn_percent / 100;
      for (size_t i = 0; i < n; ++i) std::swap(live[i], live[i + rng.NextBelow(live.size() - i)]);
      for (size_t i = 0; i < n; ++i) {
        auto removed = index.Remove(index.KeyOf(live[i]));
        if (!removed.ok()) return FailCommand(cmd, removed.status().message());
      }
      std::vector<ItemKey> added_keys;
      std::vector<float> added(n * b.cols);
      for (size_t i = 0; i < n; ++i) {
        added_keys.push_back(ItemKey::Number(static_cast<int64_t>(next_id++)));
        const float* src = b.row(rng.NextBelow(b.rows));
        for (uint32_t j = 0; j < b.cols; ++j) {
          added[i * b.cols + j] = src[j] + 16.0f * (2.0f * static_cast<float>(rng.NextUnit()) - 1.0f);
        }
      }
      Status s = index.AddBatch(added_keys, added.data(), {}, batch);
      if (!s.ok()) return FailCommand(cmd, s.message());
      ParallelFor(last - first, static_cast<uint32_t>(threads), [&](size_t i) {
        auto exact = index.SearchExact(q.row(first + i), static_cast<uint32_t>(k));
        if (!exact.ok()) return;
        for (size_t j = 0; j < exact.value().size(); ++j) {
          live_truth.data[(first + i) * k + j] = static_cast<int32_t>(exact.value()[j].slot);
        }
      });
      if (!measure_round("trained before churn", round, true)) return FailCommand(cmd, "a search failed");
    }
    if (last_options.queries != nullptr) last_options.queries = last_queries.data();  // the loop's buffer is gone
    auto retrained = index.TrainRouter(last_options);
    if (!retrained.ok()) return FailCommand(cmd, retrained.status().message());
    if (!measure_round("retrained", churn_rounds, false)) return FailCommand(cmd, "a search failed");
  }
  return 0;
}

}  // namespace neurovec::cli
