// `neurovec tiers-bench`: compression tiers under a skewed workload
// (issue 4). Builds a tiered index over the base vectors, runs a workload of
// queries drawn 90% from two "hot" classes and 10% from the rest (so the hot
// classes' items get the accesses), recompresses, and reports vector memory
// against raw f32 (resident now, and projected once non-hot rows are
// released), recall@10 against the exact neighbours (truth file) for hot-class
// and other queries before and after, recompression speed and tier counts.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "cli_util.h"
#include "commands.h"
#include "idx_labels.h"
#include "neurovec/storage.h"
#include "neurovec/vector_index.h"
#include "util/random.h"
#include "vector_files.h"

namespace neurovec::cli {
namespace {


int Fail(const std::string& message) { return FailCommand("tiers-bench", message); }

struct RecallSplit {
  double hot = 0, other = 0;
  size_t hot_queries = 0, other_queries = 0;
};

RecallSplit MeasureRecall(const VectorIndex& index, const RecallFiles& f, const std::vector<uint8_t>& query_labels,
                          const std::vector<bool>& hot_class, uint32_t k, uint32_t ef, size_t limit) {
  RecallSplit r;
  size_t hot_hits = 0, other_hits = 0;
  SearchParams params;
  params.k = k;
  params.ef = ef;
  for (size_t q = 0; q < std::min<size_t>(limit, f.queries.rows); ++q) {
    auto hits = index.Search(f.queries.row(q), params);
    if (!hits.ok()) continue;
    size_t found = 0;
    const int32_t* truth = f.truth.row(q);
    for (const SearchHit& h : hits.value()) {
      // Slots equal base row numbers: the index was built in base order.
      found += std::find(truth, truth + k, static_cast<int32_t>(h.slot)) != truth + k;
    }
    if (hot_class[query_labels[q]]) {
      hot_hits += found;
      ++r.hot_queries;
    } else {
      other_hits += found;
      ++r.other_queries;
    }
  }
  r.hot = r.hot_queries ? static_cast<double>(hot_hits) / (r.hot_queries * k) : 0;
  r.other = r.other_queries ? static_cast<double>(other_hits) / (r.other_queries * k) : 0;
  return r;
}

double Mib(uint64_t bytes) { return bytes / 1048576.0; }

}  // namespace

int RunTiersBench(const Args& args) {
  for (const auto& u : args.Unused({"base", "queries", "truth", "base-labels", "query-labels", "workload", "hot-classes",
                                    "hot-share", "ef", "rerank", "m", "ef-construction", "threads", "seed",
                                    "eval-queries", "seconds-per-query", "half-life", "budget", "file", "json"})) {
    return Fail("unknown option --" + u);
  }
  for (const char* required : {"base", "queries", "truth", "base-labels", "query-labels"}) {
    if (!args.Has(required)) return Fail("--base, --queries, --truth, --base-labels and --query-labels are required");
  }
  std::string error;
  uint64_t workload, ef, rerank, m, efc, threads, seed, eval_n, hot_share, budget;
  if (!args.GetUint("workload", 20000, workload, error) || !args.GetUint("ef", 64, ef, error) ||
      !args.GetUint("rerank", 100, rerank, error) || !args.GetUint("m", 16, m, error) ||
      !args.GetUint("ef-construction", 200, efc, error) || !args.GetUint("threads", 2, threads, error) ||
      !args.GetUint("seed", 42, seed, error) || !args.GetUint("eval-queries", 10000, eval_n, error) ||
      !args.GetUint("hot-share", 90, hot_share, error) || !args.GetUint("budget", 0, budget, error)) {
    return Fail(error);
  }
  // --json: the figures as one JSON object on stdout (bench/tiers.mjs), the
  // human-readable lines on stderr.
  const bool json = args.Has("json");
  FILE* out = json ? stderr : stdout;
  const double seconds_per_query = std::stod(args.Get("seconds-per-query", "0.05"));
  const double half_life = std::stod(args.Get("half-life", "3600"));
  const uint32_t k = 10;
  auto files = ReadRecallFiles(args.Get("base"), args.Get("queries"), args.Get("truth"), k);
  if (!files.ok()) return Fail(files.status().message());
  const RecallFiles& f = files.value();
  auto base_labels = ReadIdxLabels(args.Get("base-labels"));
  if (!base_labels.ok()) return Fail(base_labels.status().message());
  auto query_labels = ReadIdxLabels(args.Get("query-labels"));
  if (!query_labels.ok()) return Fail(query_labels.status().message());
  if (base_labels.value().size() != f.base.rows || query_labels.value().size() < f.queries.rows) {
    return Fail("label files do not match the base / query rows");
  }
  std::vector<bool> hot_class(256, false);
  std::string classes = args.Get("hot-classes", "0,1");
  for (size_t pos = 0; pos < classes.size();) {
    size_t comma = classes.find(',', pos);
    hot_class[std::stoi(classes.substr(pos, comma - pos)) & 255] = true;
    pos = comma == std::string::npos ? classes.size() : comma + 1;
  }

  IndexConfig config;
  config.dimensions = f.base.cols;
  config.metric = Metric::kL2;
  config.m = static_cast<uint32_t>(m);
  config.ef_construction = static_cast<uint32_t>(efc);
  config.ef_search = static_cast<uint32_t>(ef);
  config.initial_capacity = f.base.rows;
  config.tiers.enabled = true;
  config.tiers.rerank = static_cast<uint32_t>(rerank);
  config.tiers.half_life_seconds = half_life;
  // 0 by default: the workload only records accesses, and the timed
  // Recompress moves every item (a clean recompression-speed figure).
  config.tiers.migration_budget = static_cast<uint32_t>(budget);
  // --file: a durable index in that (new) file, checkpointed after the build,
  // so the file holds every f32 row and rows of non-hot items can leave memory.
  const std::string file = args.Get("file");
  Result<std::unique_ptr<VectorIndex>> created = Status::Internal("not created");
  if (file.empty()) {
    created = VectorIndex::Create(config);
  } else {
    auto storage = OpenFileStorage(file, FileMode::kCreate);
    if (!storage.ok()) return Fail(storage.status().message());
    created = VectorIndex::Create(config, storage.take());
  }
  if (!created.ok()) return Fail(created.status().message());
  std::unique_ptr<VectorIndex> index = created.take();
  if (Status s = index->SetTierClock(0); !s.ok()) return Fail(s.message());

  std::vector<ItemKey> keys;
  for (uint32_t i = 0; i < f.base.rows; ++i) keys.push_back(ItemKey::Number(i));
  BatchOptions options;
  options.threads = static_cast<uint32_t>(threads);
  auto t0 = Clock::now();
  if (Status s = index->AddBatch(keys, f.base.data.data(), {}, options); !s.ok()) return Fail(s.message());
  const double build_s = SecondsSince(t0);
  std::fprintf(out, "built %u x %u in %.1f s (codebooks trained: %s)\n", f.base.rows, f.base.cols, build_s,
              index->tier_codebooks_trained() ? "yes" : "no");
  auto t1 = Clock::now();
  if (Status s = index->RetrainCodebooks(); !s.ok()) return Fail(s.message());
  std::fprintf(out, "codebooks (f16, PQ8 m=d/4, PQ4 m=d/8 + 4 outliers, binary) trained in %.2f s\n", SecondsSince(t1));
  if (!file.empty()) {
    auto t2 = Clock::now();
    if (Status s = index->Checkpoint(); !s.ok()) return Fail(s.message());
    std::fprintf(out, "checkpoint of %s in %.1f s: the file holds every row\n", file.c_str(), SecondsSince(t2));
  }

  const RecallSplit before = MeasureRecall(*index, f, query_labels.value(), hot_class, k, static_cast<uint32_t>(ef), eval_n);

  // Skewed workload: hot_share% from the hot classes' queries, the rest from others.
  std::vector<uint32_t> hot_queries, other_queries;
  for (uint32_t q = 0; q < f.queries.rows; ++q) (hot_class[query_labels.value()[q]] ? hot_queries : other_queries).push_back(q);
  if (hot_queries.empty() || other_queries.empty()) return Fail("--hot-classes leaves no hot or no other queries");
  Random rng(seed);
  SearchParams params;
  params.k = k;
  params.ef = static_cast<uint32_t>(ef);
  // The recall pass above recorded (unskewed) accesses at time 0: start the
  // workload 20 half-lives later, where they have decayed to 2^-20 of a count
  // (the decay at work, and they no longer shape the tiers).
  const double workload_start = 20 * half_life;
  double now = workload_start;
  size_t from_hot = 0;
  auto t2 = Clock::now();
  for (uint64_t i = 0; i < workload; ++i) {
    const bool hot = rng.NextBelow(100) < hot_share;
    const std::vector<uint32_t>& pool = hot ? hot_queries : other_queries;
    from_hot += hot;
    const uint32_t q = pool[rng.NextBelow(pool.size())];
    now += seconds_per_query;
    if (Status s = index->SetTierClock(now); !s.ok()) return Fail(s.message());
    auto hits = index->Search(f.queries.row(q), params);
    if (!hits.ok()) return Fail(hits.status().message());
  }
  const double workload_s = SecondsSince(t2);
  std::fprintf(out, "workload: %llu queries (%zu from hot classes %s) in %.1f s, %.0f s of logical time\n",
              static_cast<unsigned long long>(workload), from_hot, classes.c_str(), workload_s, now - workload_start);

  {
    // The shape of the access distribution (why heat is on a log scale).
    std::vector<double> hot_counts;
    double max_count = 0;
    size_t accessed = 0;
    for (uint32_t s = 0; s < f.base.rows; ++s) {
      const double c = index->AccessCountOfSlot(s).value();
      max_count = std::max(max_count, c);
      accessed += c > 0;
      if (hot_class[base_labels.value()[s]] && c > 0) hot_counts.push_back(c);
    }
    std::sort(hot_counts.begin(), hot_counts.end());
    std::fprintf(out, "accesses: %zu items accessed; max decayed count %.1f; hot-class accessed items: %zu, median count %.2f\n",
                accessed, max_count, hot_counts.size(), hot_counts.empty() ? 0.0 : hot_counts[hot_counts.size() / 2]);
  }
  auto t3 = Clock::now();
  auto moved = index->Recompress();
  const double recompress_s = SecondsSince(t3);
  if (!moved.ok()) return Fail(moved.status().message());
  const IndexStats st = index->Stats();
  const MemoryStats& mem = st.memory;
  std::fprintf(out, "recompress: moved %llu items in %.3f s = %.0f vectors/s (into warm %llu, cool %llu, cold %llu, archive %llu, hot %llu)\n",
              static_cast<unsigned long long>(moved.value().total()), recompress_s,
              moved.value().total() / std::max(recompress_s, 1e-9),
              static_cast<unsigned long long>(moved.value().count[1]), static_cast<unsigned long long>(moved.value().count[2]),
              static_cast<unsigned long long>(moved.value().count[3]), static_cast<unsigned long long>(moved.value().count[4]),
              static_cast<unsigned long long>(moved.value().count[0]));
  std::fprintf(out, "tiers: hot %llu, warm %llu, cool %llu, cold %llu, archive %llu\n",
              static_cast<unsigned long long>(st.tiers.count[0]), static_cast<unsigned long long>(st.tiers.count[1]),
              static_cast<unsigned long long>(st.tiers.count[2]), static_cast<unsigned long long>(st.tiers.count[3]),
              static_cast<unsigned long long>(st.tiers.count[4]));
  const double raw = static_cast<double>(mem.raw_f32);
  const uint64_t resident = mem.vectors + mem.codes + mem.codebooks;
  std::fprintf(out, "raw f32: %.1f MiB\n", Mib(mem.raw_f32));
  std::fprintf(out, "vector memory, resident now (f32 rows in memory + page cache + norms + codes + codebooks): %.1f MiB = %.3fx raw\n",
              Mib(resident), resident / raw);
  std::fprintf(out, "  page cache: %.1f MiB held of a %.1f MiB bound (%s)\n", Mib(st.paging.cached_bytes), Mib(st.paging.cache_bytes),
              file.empty() ? "no file: every f32 row stays in memory" : "rows of non-hot items are read from the file");
  std::fprintf(out, "vector memory, PROJECTED if non-hot rows were released (hot rows + codes + codebooks): %.2f MiB = %.3fx raw\n",
              Mib(mem.vectors_if_released), mem.vectors_if_released / raw);
  std::fprintf(out, "  per tier: hot %.2f MiB, warm %.2f MiB, cool %.2f MiB, cold %.2f MiB, archive %.2f MiB, codebooks %.2f MiB\n",
              Mib(mem.tier_bytes[0]), Mib(mem.tier_bytes[1]), Mib(mem.tier_bytes[2]), Mib(mem.tier_bytes[3]),
              Mib(mem.tier_bytes[4]), Mib(mem.codebooks));

  auto t4 = Clock::now();
  const RecallSplit after = MeasureRecall(*index, f, query_labels.value(), hot_class, k, static_cast<uint32_t>(ef), eval_n);
  const double after_ms_per_query = SecondsSince(t4) * 1e3 / std::max<size_t>(1, after.hot_queries + after.other_queries);
  std::fprintf(out, "recall@%u (ef %llu, rerank %llu; %zu hot-class / %zu other queries):\n", k,
              static_cast<unsigned long long>(ef), static_cast<unsigned long long>(rerank), after.hot_queries,
              after.other_queries);
  std::fprintf(out, "  before recompress (all f32): hot %.4f, other %.4f\n", before.hot, before.other);
  std::fprintf(out, "  after recompress (tiers):    hot %.4f, other %.4f (%.3f ms per query)\n", after.hot, after.other,
               after_ms_per_query);
  if (json) {
    std::printf(
        "{\"engine\":\"native\",\"items\":%u,\"dimensions\":%u,\"workload\":%llu,\"fromHot\":%zu,\"ef\":%llu,"
        "\"rerank\":%llu,\"fileBacked\":%s,\"buildSeconds\":%.3f,\"workloadSeconds\":%.3f,"
        "\"recompress\":{\"moved\":%llu,\"seconds\":%.4f,\"vectorsPerSecond\":%.0f},"
        "\"tiers\":{\"hot\":%llu,\"warm\":%llu,\"cool\":%llu,\"cold\":%llu,\"archive\":%llu},"
        "\"tierBytes\":{\"hot\":%llu,\"warm\":%llu,\"cool\":%llu,\"cold\":%llu,\"archive\":%llu},"
        "\"codebookBytes\":%llu,\"rawF32Bytes\":%llu,\"residentVectorBytes\":%llu,\"projectedVectorBytes\":%llu,"
        "\"pageCacheBytes\":%llu,\"recallBefore\":{\"hot\":%.4f,\"other\":%.4f},"
        "\"recallAfter\":{\"hot\":%.4f,\"other\":%.4f},\"hotQueries\":%zu,\"otherQueries\":%zu,"
        "\"msPerQueryAfter\":%.4f}\n",
        f.base.rows, f.base.cols, static_cast<unsigned long long>(workload), from_hot, static_cast<unsigned long long>(ef),
        static_cast<unsigned long long>(rerank), file.empty() ? "false" : "true", build_s, workload_s,
        static_cast<unsigned long long>(moved.value().total()), recompress_s,
        moved.value().total() / std::max(recompress_s, 1e-9), static_cast<unsigned long long>(st.tiers.count[0]),
        static_cast<unsigned long long>(st.tiers.count[1]), static_cast<unsigned long long>(st.tiers.count[2]),
        static_cast<unsigned long long>(st.tiers.count[3]), static_cast<unsigned long long>(st.tiers.count[4]),
        static_cast<unsigned long long>(mem.tier_bytes[0]), static_cast<unsigned long long>(mem.tier_bytes[1]),
        static_cast<unsigned long long>(mem.tier_bytes[2]), static_cast<unsigned long long>(mem.tier_bytes[3]),
        static_cast<unsigned long long>(mem.tier_bytes[4]), static_cast<unsigned long long>(mem.codebooks),
        static_cast<unsigned long long>(mem.raw_f32), static_cast<unsigned long long>(resident),
        static_cast<unsigned long long>(mem.vectors_if_released), static_cast<unsigned long long>(st.paging.cache_bytes),
        before.hot, before.other, after.hot, after.other, after.hot_queries, after.other_queries, after_ms_per_query);
  }
  return 0;
}

}  // namespace neurovec::cli
