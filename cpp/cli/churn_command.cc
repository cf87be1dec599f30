// `neurovec churn`: an index under churn, repaired and not, beside fresh builds.
//
// Starting from --base, each round deletes --percent of the live items at
// random and inserts as many new ones (rows of --extra first, then noisy
// copies of base rows), into two copies of the same index: "repaired" runs
// Optimize() after the deletes (before the inserts reuse the freed slots) and
// again after the inserts, "unrepaired" does not. After every round both are measured beside a fresh
// build over the same live items: recall@k at each --ef against exact search
// over the live items, live items no search can reach, tombstones, memory,
// slots, and search latency (one thread, best of three passes). With
// --labels and --extra-labels, a clustered case follows: half of the items of
// two classes (--classes) deleted from the starting index at once.
//
// --plan DIR writes what the run did (the starting index file; each round's
// deleted ids, inserted ids and rows, the queries' exact neighbours and the
// fresh build's index file; the same for the clustered case) so that
// bench/churn.mjs replays the same rounds in the wasm build.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <unordered_map>

#include "cli_util.h"
#include "commands.h"
#include "idx_labels.h"
#include "neurovec/vector_index.h"
#include "util/random.h"
#include "vector_files.h"

namespace neurovec::cli {
namespace {

struct Options {
  uint64_t rounds = 10, percent = 10, query_count = 1000, k = 10, m = 16, efc = 200, threads = 2, seed = 42,
           noise = 16, clustered_percent = 50;
  std::vector<uint32_t> efs;
  std::vector<uint32_t> classes;
  std::string plan;
  bool json = false;
};

// Every vector the run ever inserts, by id (ids are row numbers here).
struct Items {
  uint32_t dims = 0;
  std::vector<float> rows;
  const float* row(int64_t id) const { return rows.data() + static_cast<size_t>(id) * dims; }
  int64_t Append(const float* v) {
    rows.insert(rows.end(), v, v + dims);
    return static_cast<int64_t>(rows.size() / dims) - 1;
  }
};

// Live ids with O(1) removal by id.
class LiveSet {
 public:
  void Add(int64_t id) {
    at_[id] = ids_.size();
    ids_.push_back(id);
  }
  void Remove(int64_t id) {
    const size_t i = at_.at(id);
    at_[ids_.back()] = i;
    ids_[i] = ids_.back();
    ids_.pop_back();
    at_.erase(id);
  }
  const std::vector<int64_t>& ids() const { return ids_; }
  size_t size() const { return ids_.size(); }

 private:
  std::vector<int64_t> ids_;
  std::unordered_map<int64_t, size_t> at_;
};

// k distinct picks from `from`, uniformly (a partial Fisher-Yates shuffle).
std::vector<int64_t> Sample(std::vector<int64_t> from, size_t k, Random& rng) {
  k = std::min(k, from.size());
  for (size_t i = 0; i < k; ++i) std::swap(from[i], from[i + rng.NextBelow(from.size() - i)]);
  from.resize(k);
  return from;
}

Result<std::unique_ptr<VectorIndex>> Build(const Options& o, const Items& items, std::vector<int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  IndexConfig config;
  config.dimensions = items.dims;
  config.metric = Metric::kL2;
  config.m = static_cast<uint32_t>(o.m);
  config.ef_construction = static_cast<uint32_t>(o.efc);
  config.seed = o.seed;
  config.initial_capacity = ids.size();
  auto created = VectorIndex::Create(config);
  if (!created.ok()) return created.status();
  std::vector<ItemKey> keys;
  std::vector<float> rows;
  rows.reserve(ids.size() * items.dims);
  for (int64_t id : ids) {
    keys.push_back(ItemKey::Number(id));
    rows.insert(rows.end(), items.row(id), items.row(id) + items.dims);
  }
  BatchOptions batch;
  batch.threads = static_cast<uint32_t>(o.threads);
  NV_RETURN_IF_ERROR(created.value()->AddBatch(keys, rows.data(), {}, batch));
  return created;
}

Status Insert(const Options& o, VectorIndex& index, const Items& items, const std::vector<int64_t>& ids) {
  std::vector<ItemKey> keys;
  std::vector<float> rows;
  for (int64_t id : ids) {
    keys.push_back(ItemKey::Number(id));
    rows.insert(rows.end(), items.row(id), items.row(id) + items.dims);
  }
  BatchOptions batch;
  batch.threads = static_cast<uint32_t>(o.threads);
  return index.AddBatch(keys, rows.data(), {}, batch);
}

// Exact k nearest live ids of each query (the fresh index's exact scan).
std::vector<std::vector<int64_t>> Truth(const Options& o, const VectorIndex& fresh, const FloatMatrix& queries) {
  std::vector<std::vector<int64_t>> truth(queries.rows);
  ParallelFor(queries.rows, static_cast<uint32_t>(o.threads), [&](size_t q) {
    auto hits = fresh.SearchExact(queries.row(q), static_cast<uint32_t>(o.k));
    if (!hits.ok()) return;
    for (const SearchHit& h : hits.value()) truth[q].push_back(fresh.KeyOf(h.slot).number());
  });
  return truth;
}

struct Measured {
  std::vector<double> recall;  // per ef
  double us_per_query = 1e30;  // at the first ef, best of the passes
  double distances_per_query = 0;
  IndexHealth health;
  IndexStats stats;
};

double Recall(const VectorIndex& index, const FloatMatrix& queries, const std::vector<std::vector<int64_t>>& truth,
              uint32_t ef, uint32_t k, uint32_t threads) {
  std::vector<double> per(queries.rows, 0);
  ParallelFor(queries.rows, threads, [&](size_t q) {
    SearchParams p;
    p.k = k;
    p.ef = ef;
    auto hits = index.Search(queries.row(q), p);
    if (!hits.ok() || truth[q].empty()) return;
    size_t found = 0;
    for (const SearchHit& h : hits.value()) {
      found += std::count(truth[q].begin(), truth[q].end(), index.KeyOf(h.slot).number());
    }
    per[q] = static_cast<double>(found) / truth[q].size();
  });
  double sum = 0;
  for (double r : per) sum += r;
  return sum / queries.rows;
}

// One pass of single-thread searches at `ef`: microseconds per query.
double TimePass(const VectorIndex& index, const FloatMatrix& queries, uint32_t ef, uint32_t k, double* distances) {
  SearchParams p;
  p.k = k;
  p.ef = ef;
  uint64_t dc = 0;
  auto start = Clock::now();
  for (uint32_t q = 0; q < queries.rows; ++q) {
    SearchCounters c;
    auto hits = index.Search(queries.row(q), p, &c);
    dc += c.distance_computations;
  }
  const double seconds = SecondsSince(start);
  *distances = static_cast<double>(dc) / queries.rows;
  return seconds * 1e6 / queries.rows;
}

// Measures several indexes on the same queries; latency passes interleaved.
std::vector<Measured> MeasureAll(const Options& o, const std::vector<const VectorIndex*>& indexes,
                                 const FloatMatrix& queries, const std::vector<std::vector<int64_t>>& truth) {
  std::vector<Measured> out(indexes.size());
  for (size_t i = 0; i < indexes.size(); ++i) {
    for (uint32_t ef : o.efs) {
      out[i].recall.push_back(Recall(*indexes[i], queries, truth, ef, static_cast<uint32_t>(o.k),
                                     static_cast<uint32_t>(o.threads)));
    }
    auto health = indexes[i]->Health();
    if (health.ok()) out[i].health = health.value();
    out[i].stats = indexes[i]->Stats();
  }
  for (int pass = 0; pass < 3; ++pass) {
    for (size_t i = 0; i < indexes.size(); ++i) {
      double dc = 0;
      out[i].us_per_query = std::min(out[i].us_per_query, TimePass(*indexes[i], queries, o.efs[0],
                                                                   static_cast<uint32_t>(o.k), &dc));
      out[i].distances_per_query = dc;
    }
  }
  return out;
}

std::string MeasuredJson(const Options& o, const Measured& m) {
  std::ostringstream s;
  s << "{\"recall\": {";
  for (size_t e = 0; e < o.efs.size(); ++e) s << (e ? ", " : "") << "\"" << o.efs[e] << "\": " << m.recall[e];
  s << "}, \"us_per_query\": " << m.us_per_query << ", \"distances_per_query\": " << m.distances_per_query
    << ", \"unreachable\": " << m.health.unreachable << ", \"tombstones\": " << m.health.tombstones
    << ", \"links_to_tombstones\": " << m.health.links_to_tombstones << ", \"mean_out_degree\": " << m.health.mean_out_degree
    << ", \"memory_bytes\": " << m.stats.memory.total
    << ", \"capacity\": " << m.stats.capacity << ", \"live\": " << m.stats.size << "}";
  return s.str();
}

void PrintRow(const Options& o, const char* label, const Measured& m) {
  std::printf("  %-10s", label);
  for (size_t e = 0; e < o.efs.size(); ++e) std::printf(" recall@%llu ef%u %.4f", static_cast<unsigned long long>(o.k), o.efs[e], m.recall[e]);
  std::printf("  %7.1f us/query  %7.1f distances  unreachable %6llu  tombstones %6llu  links to them %7llu  degree %.2f  %7.1f MiB  slots %llu\n",
              m.us_per_query, m.distances_per_query, static_cast<unsigned long long>(m.health.unreachable),
              static_cast<unsigned long long>(m.health.tombstones),
              static_cast<unsigned long long>(m.health.links_to_tombstones), m.health.mean_out_degree, m.stats.memory.total / 1048576.0,
              static_cast<unsigned long long>(m.stats.capacity));
}

Status WriteIds(const std::string& path, const std::vector<int64_t>& ids) {
  IntMatrix m;
  m.rows = 1;
  m.cols = static_cast<uint32_t>(ids.size());
  for (int64_t id : ids) m.data.push_back(static_cast<int32_t>(id));
  return WriteIvecs(path, m);
}

Status WriteTruth(const std::string& path, const std::vector<std::vector<int64_t>>& truth, uint32_t k) {
  IntMatrix m;
  m.rows = static_cast<uint32_t>(truth.size());
  m.cols = k;
  for (const auto& row : truth) {
    for (uint32_t j = 0; j < k; ++j) m.data.push_back(j < row.size() ? static_cast<int32_t>(row[j]) : -1);
  }
  return WriteIvecs(path, m);
}

Status WriteRows(const std::string& path, const Items& items, const std::vector<int64_t>& ids) {
  FloatMatrix m;
  m.rows = static_cast<uint32_t>(ids.size());
  m.cols = items.dims;
  for (int64_t id : ids) m.data.insert(m.data.end(), items.row(id), items.row(id) + items.dims);
  return WriteFvecs(path, m);
}

Status WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  return out ? Status::Ok() : Status::IoError("cannot write " + path);
}

}  // namespace

int RunChurn(const Args& args) {
  const char* cmd = "churn";
  for (const auto& u : args.Unused({"base", "extra", "labels", "extra-labels", "rounds", "percent", "queries", "k", "m",
                                    "ef-construction", "ef", "threads", "seed", "noise", "classes",
                                    "clustered-percent", "plan", "json"})) {
    return FailCommand(cmd, "unknown option --" + u);
  }
  if (!args.Has("base") || !args.Has("extra")) return FailCommand(cmd, "--base and --extra are required");
  Options o;
  std::string error;
  if (!args.GetUint("rounds", 10, o.rounds, error) || !args.GetUint("percent", 10, o.percent, error) ||
      !args.GetUint("queries", 1000, o.query_count, error) || !args.GetUint("k", 10, o.k, error) ||
      !args.GetUint("m", 16, o.m, error) || !args.GetUint("ef-construction", 200, o.efc, error) ||
      !args.GetUint("threads", 2, o.threads, error) || !args.GetUint("seed", 42, o.seed, error) ||
      !args.GetUint("noise", 16, o.noise, error) || !args.GetUint("clustered-percent", 50, o.clustered_percent, error)) {
    return FailCommand(cmd, error);
  }
  if (o.percent == 0 || o.percent > 90) return FailCommand(cmd, "--percent must be between 1 and 90");
  if (o.clustered_percent == 0 || o.clustered_percent > 100) return FailCommand(cmd, "--clustered-percent must be between 1 and 100");
  if (o.k == 0 || o.threads == 0 || o.threads > 1024) return FailCommand(cmd, "--k and --threads must be positive");
  if (!ParseUintList(args.Get("ef", "32"), o.efs)) return FailCommand(cmd, "--ef expects a list like 16,32,64");
  {
    std::stringstream ss(args.Get("classes", "5,7"));
    std::string item;
    while (std::getline(ss, item, ',')) {
      char* end = nullptr;
      const unsigned long c = std::strtoul(item.c_str(), &end, 10);
      if (item.empty() || *end != '\0' || c > 255) return FailCommand(cmd, "--classes expects class numbers like 5,7");
      o.classes.push_back(static_cast<uint32_t>(c));
    }
    if (o.classes.size() != 2) return FailCommand(cmd, "--classes expects two class numbers like 5,7");
  }
  o.plan = args.Get("plan");
  o.json = args.Has("json");

  auto base = ReadFvecs(args.Get("base"));
  if (!base.ok()) return FailCommand(cmd, base.status().message());
  auto extra = ReadFvecs(args.Get("extra"));
  if (!extra.ok()) return FailCommand(cmd, extra.status().message());
  const FloatMatrix& b = base.value();
  const FloatMatrix& e = extra.value();
  if (e.cols != b.cols) return FailCommand(cmd, "--extra differs from --base in dimensions");
  if (o.query_count == 0 || o.query_count >= e.rows) return FailCommand(cmd, "--queries must be below --extra's row count");
  // The last rows of --extra are the queries, never inserted; the rest are inserted first.
  FloatMatrix queries;
  queries.cols = e.cols;
  queries.rows = static_cast<uint32_t>(o.query_count);
  const uint32_t first_query = e.rows - queries.rows;
  queries.data.assign(e.data.begin() + static_cast<size_t>(first_query) * e.cols, e.data.end());

  Items items;
  items.dims = b.cols;
  items.rows = b.data;
  LiveSet live;
  for (uint32_t i = 0; i < b.rows; ++i) live.Add(i);
  Random rng(o.seed);
  uint32_t next_extra = 0;
  auto new_item = [&]() -> int64_t {
    if (next_extra < first_query) return items.Append(e.row(next_extra++));
    // A noisy copy of a base row: Gaussian noise (Box-Muller), clamped to pixel range.
    const float* from = b.row(rng.NextBelow(b.rows));
    std::vector<float> v(items.dims);
    for (uint32_t j = 0; j < items.dims; ++j) {
      const double g = std::sqrt(-2.0 * std::log(rng.NextUnit())) * std::cos(6.283185307179586 * rng.NextUnit());
      v[j] = static_cast<float>(std::clamp(from[j] + g * static_cast<double>(o.noise), 0.0, 255.0));
    }
    return items.Append(v.data());
  };

  if (!o.plan.empty()) {
    Status s = WriteFvecs(o.plan + "/queries.fvecs", queries);
    if (!s.ok()) return FailCommand(cmd, s.message());
  }
  auto build_start = Clock::now();
  auto start_index = Build(o, items, live.ids());
  if (!start_index.ok()) return FailCommand(cmd, start_index.status().message());
  const double start_build_seconds = SecondsSince(build_start);
  const std::string start_bytes = start_index.value()->SaveToBytes();
  if (!o.plan.empty()) {
    Status s = WriteFile(o.plan + "/start.nvx", start_bytes);
    if (!s.ok()) return FailCommand(cmd, s.message());
  }
  auto unrepaired_loaded = VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(start_bytes.data()), start_bytes.size());
  if (!unrepaired_loaded.ok()) return FailCommand(cmd, unrepaired_loaded.status().message());
  std::unique_ptr<VectorIndex> repaired = start_index.take();
  std::unique_ptr<VectorIndex> unrepaired = unrepaired_loaded.take();
  if (o.json) {
    std::printf("{\"start\": {\"items\": %u, \"dimensions\": %u, \"build_seconds\": %.3f, \"threads\": %llu, \"m\": %llu, "
                "\"ef_construction\": %llu, \"queries\": %u, \"k\": %llu}}\n",
                b.rows, b.cols, start_build_seconds, static_cast<unsigned long long>(o.threads),
                static_cast<unsigned long long>(o.m), static_cast<unsigned long long>(o.efc), queries.rows,
                static_cast<unsigned long long>(o.k));
  } else {
    std::printf("start: %u x %u built in %.1f s on %llu threads; %u held-out queries, %llu%% churn per round\n", b.rows,
                b.cols, start_build_seconds, static_cast<unsigned long long>(o.threads), queries.rows,
                static_cast<unsigned long long>(o.percent));
  }
  std::fflush(stdout);

  for (uint64_t round = 1; round <= o.rounds; ++round) {
    const std::vector<int64_t> deleted = Sample(live.ids(), live.size() * o.percent / 100, rng);
    for (int64_t id : deleted) {
      for (VectorIndex* index : {repaired.get(), unrepaired.get()}) {
        auto removed = index->Remove(ItemKey::Number(id));
        if (!removed.ok() || !removed.value()) return FailCommand(cmd, "delete of " + std::to_string(id) + " failed");
      }
      live.Remove(id);
    }
    auto optimize_start = Clock::now();
    auto report = repaired->Optimize();
    const double optimize_seconds = SecondsSince(optimize_start);
    if (!report.ok()) return FailCommand(cmd, report.status().message());
    std::vector<int64_t> inserted;
    for (size_t i = 0; i < deleted.size(); ++i) inserted.push_back(new_item());
    for (VectorIndex* index : {repaired.get(), unrepaired.get()}) {
      Status s = Insert(o, *index, items, inserted);
      if (!s.ok()) return FailCommand(cmd, s.message());
    }
    for (int64_t id : inserted) live.Add(id);
    // Inserts leave a few items no search reaches (as a fresh build does):
    // a second pass links them, and finds nothing else to do.
    auto second_start = Clock::now();
    auto second = repaired->Optimize();
    const double second_seconds = SecondsSince(second_start);
    if (!second.ok()) return FailCommand(cmd, second.status().message());

    auto fresh_start = Clock::now();
    auto fresh = Build(o, items, live.ids());
    if (!fresh.ok()) return FailCommand(cmd, fresh.status().message());
    const double fresh_seconds = SecondsSince(fresh_start);
    const auto truth = Truth(o, *fresh.value(), queries);
    const std::vector<Measured> m =
        MeasureAll(o, {repaired.get(), unrepaired.get(), fresh.value().get()}, queries, truth);
    const OptimizeReport& r = report.value();
    if (!o.plan.empty()) {
      const std::string p = o.plan + "/round-" + std::to_string(round);
      for (Status s : {WriteIds(p + "-deleted.ivecs", deleted), WriteIds(p + "-inserted.ivecs", inserted),
                       WriteRows(p + "-inserted.fvecs", items, inserted), WriteTruth(p + "-truth.ivecs", truth, o.k),
                       WriteFile(p + "-fresh.nvx", fresh.value()->SaveToBytes())}) {
        if (!s.ok()) return FailCommand(cmd, s.message());
      }
    }
    if (o.json) {
      std::printf("{\"round\": %llu, \"deleted\": %zu, \"inserted\": %zu, \"optimize\": {\"seconds\": %.4f, "
                  "\"lists_relinked\": %llu, \"reconnected\": %llu, \"unreachable_before\": %llu, \"unreachable_after\": %llu}, "
                  "\"optimize_after_inserts\": {\"seconds\": %.4f, \"lists_relinked\": %llu, \"reconnected\": %llu, "
                  "\"unreachable_before\": %llu}, "
                  "\"fresh_build_seconds\": %.3f, \"repaired\": %s, \"unrepaired\": %s, \"fresh\": %s}\n",
                  static_cast<unsigned long long>(round), deleted.size(), inserted.size(), optimize_seconds,
                  static_cast<unsigned long long>(r.lists_relinked), static_cast<unsigned long long>(r.reconnected),
                  static_cast<unsigned long long>(r.unreachable_before), static_cast<unsigned long long>(r.unreachable_after),
                  second_seconds, static_cast<unsigned long long>(second.value().lists_relinked),
                  static_cast<unsigned long long>(second.value().reconnected),
                  static_cast<unsigned long long>(second.value().unreachable_before),
                  fresh_seconds, MeasuredJson(o, m[0]).c_str(), MeasuredJson(o, m[1]).c_str(), MeasuredJson(o, m[2]).c_str());
    } else {
      std::printf("round %llu: deleted %zu, inserted %zu; optimize %.3f s (%llu lists relinked, %llu reconnected, "
                  "unreachable %llu -> %llu); after the inserts %.3f s (%llu reconnected); fresh build %.1f s\n",
                  static_cast<unsigned long long>(round), deleted.size(), inserted.size(), optimize_seconds,
                  static_cast<unsigned long long>(r.lists_relinked), static_cast<unsigned long long>(r.reconnected),
                  static_cast<unsigned long long>(r.unreachable_before), static_cast<unsigned long long>(r.unreachable_after),
                  second_seconds, static_cast<unsigned long long>(second.value().reconnected), fresh_seconds);
      PrintRow(o, "repaired", m[0]);
      PrintRow(o, "unrepaired", m[1]);
      PrintRow(o, "fresh", m[2]);
    }
    std::fflush(stdout);
  }

  // The clustered case: from the starting index, half (--clustered-percent)
  // of the items of two classes deleted at once.
  if (args.Has("labels") && args.Has("extra-labels")) {
    auto labels = ReadIdxLabels(args.Get("labels"));
    if (!labels.ok()) return FailCommand(cmd, labels.status().message());
    auto extra_labels = ReadIdxLabels(args.Get("extra-labels"));
    if (!extra_labels.ok()) return FailCommand(cmd, extra_labels.status().message());
    if (labels.value().size() != b.rows || extra_labels.value().size() != e.rows) {
      return FailCommand(cmd, "label files must have one label per row of --base and --extra");
    }
    auto in_region = [&](uint8_t label) { return std::count(o.classes.begin(), o.classes.end(), label) > 0; };
    std::vector<int64_t> region, rest;
    for (uint32_t i = 0; i < b.rows; ++i) (in_region(labels.value()[i]) ? region : rest).push_back(i);
    Random crng(o.seed + 1);
    const std::vector<int64_t> deleted = Sample(region, region.size() * o.clustered_percent / 100, crng);
    std::vector<uint8_t> gone(b.rows, 0);
    for (int64_t id : deleted) gone[id] = 1;
    std::vector<int64_t> kept;
    for (uint32_t i = 0; i < b.rows; ++i) {
      if (!gone[i]) kept.push_back(i);
    }
    auto a = VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(start_bytes.data()), start_bytes.size());
    auto u = VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(start_bytes.data()), start_bytes.size());
    if (!a.ok() || !u.ok()) return FailCommand(cmd, "reloading the starting index failed");
    for (int64_t id : deleted) {
      a.value()->Remove(ItemKey::Number(id));
      u.value()->Remove(ItemKey::Number(id));
    }
    auto optimize_start = Clock::now();
    auto report = a.value()->Optimize();
    const double optimize_seconds = SecondsSince(optimize_start);
    if (!report.ok()) return FailCommand(cmd, report.status().message());
    Items base_items;
    base_items.dims = b.cols;
    base_items.rows = b.data;
    auto fresh = Build(o, base_items, kept);
    if (!fresh.ok()) return FailCommand(cmd, fresh.status().message());
    const auto truth = Truth(o, *fresh.value(), queries);
    // Queries of the two classes: the region the deletes thinned.
    FloatMatrix region_queries;
    region_queries.cols = queries.cols;
    std::vector<std::vector<int64_t>> region_truth;
    for (uint32_t q = 0; q < queries.rows; ++q) {
      if (!in_region(extra_labels.value()[first_query + q])) continue;
      region_queries.data.insert(region_queries.data.end(), queries.row(q), queries.row(q) + queries.cols);
      region_truth.push_back(truth[q]);
      ++region_queries.rows;
    }
    if (!o.plan.empty()) {
      const std::string p = o.plan + "/clustered";
      std::vector<int64_t> region_query_rows;
      for (uint32_t q = 0; q < queries.rows; ++q) {
        if (in_region(extra_labels.value()[first_query + q])) region_query_rows.push_back(q);
      }
      for (Status s : {WriteIds(p + "-deleted.ivecs", deleted), WriteTruth(p + "-truth.ivecs", truth, o.k),
                       WriteIds(p + "-region-queries.ivecs", region_query_rows),
                       WriteFile(p + "-fresh.nvx", fresh.value()->SaveToBytes())}) {
        if (!s.ok()) return FailCommand(cmd, s.message());
      }
    }
    const std::vector<const VectorIndex*> three = {a.value().get(), u.value().get(), fresh.value().get()};
    const std::vector<Measured> all = MeasureAll(o, three, queries, truth);
    const std::vector<Measured> near = MeasureAll(o, three, region_queries, region_truth);
    const OptimizeReport& r = report.value();
    if (o.json) {
      std::printf("{\"clustered\": {\"classes\": [%u, %u], \"deleted\": %zu, \"region_items\": %zu, \"region_queries\": %u, "
                  "\"optimize\": {\"seconds\": %.4f, \"lists_relinked\": %llu, \"reconnected\": %llu, "
                  "\"unreachable_before\": %llu, \"unreachable_after\": %llu}, "
                  "\"all_queries\": {\"repaired\": %s, \"unrepaired\": %s, \"fresh\": %s}, "
                  "\"region\": {\"repaired\": %s, \"unrepaired\": %s, \"fresh\": %s}}}\n",
                  o.classes[0], o.classes[1], deleted.size(),
                  region.size(), region_queries.rows, optimize_seconds, static_cast<unsigned long long>(r.lists_relinked),
                  static_cast<unsigned long long>(r.reconnected), static_cast<unsigned long long>(r.unreachable_before),
                  static_cast<unsigned long long>(r.unreachable_after), MeasuredJson(o, all[0]).c_str(),
                  MeasuredJson(o, all[1]).c_str(), MeasuredJson(o, all[2]).c_str(), MeasuredJson(o, near[0]).c_str(),
                  MeasuredJson(o, near[1]).c_str(), MeasuredJson(o, near[2]).c_str());
    } else {
      std::printf("clustered: deleted %zu of the %zu items of classes", deleted.size(), region.size());
      for (uint32_t c : o.classes) std::printf(" %u", c);
      std::printf("; optimize %.3f s (%llu lists relinked, %llu reconnected, unreachable %llu -> %llu)\n", optimize_seconds,
                  static_cast<unsigned long long>(r.lists_relinked), static_cast<unsigned long long>(r.reconnected),
                  static_cast<unsigned long long>(r.unreachable_before), static_cast<unsigned long long>(r.unreachable_after));
      std::printf(" all %u queries:\n", queries.rows);
      PrintRow(o, "repaired", all[0]);
      PrintRow(o, "unrepaired", all[1]);
      PrintRow(o, "fresh", all[2]);
      std::printf(" the %u queries of those classes:\n", region_queries.rows);
      PrintRow(o, "repaired", near[0]);
      PrintRow(o, "unrepaired", near[1]);
      PrintRow(o, "fresh", near[2]);
    }
  }
  return 0;
}

}  // namespace neurovec::cli
