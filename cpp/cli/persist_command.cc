// `neurovec persist-bench`: what the file costs. Snapshot save throughput,
// open + first query of an existing index file (read-only, mapped), and
// durable writes (one Sync per add, and batches per Sync) into a new file.
// Prints a table and, with --json, one JSON object on stdout.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "cli_util.h"
#include "commands.h"
#include "neurovec/storage.h"
#include "neurovec/vector_index.h"
#include "persistence/local_file.h"
#include "vector_files.h"

namespace neurovec::cli {
namespace {


int Fail(const std::string& message) { return FailCommand("persist-bench", message); }

// Resident memory of this process in bytes (Linux), 0 if unknown.
uint64_t ResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int RunPersistBench(const Args& args) {
  for (const auto& u : args.Unused({"index", "base", "dir", "adds", "batch", "batched-items", "json"})) {
    return Fail("unknown option --" + u);
  }
  if (!args.Has("index") || !args.Has("base") || !args.Has("dir")) return Fail("--index, --base and --dir are required");
  std::string error;
  uint64_t adds, batch, batched_items;
  if (!args.GetUint("adds", 2000, adds, error) || !args.GetUint("batch", 1000, batch, error) ||
      !args.GetUint("batched-items", 20000, batched_items, error)) {
    return Fail(error);
  }
  const std::string index_path = args.Get("index");
  const std::string dir = args.Get("dir");
  auto base = ReadFvecs(args.Get("base"));
  if (!base.ok()) return Fail(base.status().message());
  const FloatMatrix& data = base.value();

  // 1. Open + first query, read-only (the file is mapped; the page cache is warm
  // after the first round, as it is for an app that restarts).
  // Rounds 0-4 verify every checksum; rounds 5-9 skip the two large sections'
  // (OpenOptions::verify_checksums = false), so open reads none of the vectors.
  std::vector<double> open_times, first_query_times, lazy_open_times, lazy_first_query_times;
  uint64_t rss_before = ResidentBytes(), rss_after = 0, lazy_rss_before = 0, lazy_rss_after = 0, file_bytes = 0;
  std::unique_ptr<VectorIndex> index;
  for (int round = 0; round < 10; ++round) {
    const bool verify = round < 5;
    index.reset();
    if (round == 5) lazy_rss_before = ResidentBytes();
    auto t0 = Clock::now();
    auto storage = OpenFileStorage(index_path, FileMode::kReadOnly);
    if (!storage.ok()) return Fail(storage.status().message());
    OpenOptions open_options;
    open_options.read_only = true;
    open_options.verify_checksums = verify;
    auto opened = VectorIndex::Open(storage.take(), open_options);
    if (!opened.ok()) return Fail(index_path + ": " + opened.status().message());
    auto t1 = Clock::now();
    SearchParams params;
    params.k = 10;
    auto hits = opened.value()->Search(data.row(round), params);
    auto t2 = Clock::now();
    if (!hits.ok() || hits.value().empty()) return Fail("first query failed");
    (verify ? open_times : lazy_open_times).push_back(SecondsBetween(t0, t1));
    (verify ? first_query_times : lazy_first_query_times).push_back(SecondsBetween(t1, t2));
    index = opened.take();
    if (round == 0) rss_after = ResidentBytes();
    if (round == 5) lazy_rss_after = ResidentBytes();
  }
  file_bytes = index->Stats().file.image_bytes;

  // 2. Snapshot save: the image streamed into a temporary file, fsynced and
  // renamed over the path (SaveIndexFileDurably); encode_seconds times the
  // in-memory encode (ToBytes) apart, for comparison.
  std::vector<double> save_mbps, encode_seconds;
  uint64_t snapshot_bytes = 0;
  for (int round = 0; round < 3; ++round) {
    auto t0 = Clock::now();
    std::string bytes = index->SaveToBytes();
    auto t1 = Clock::now();
    bytes = std::string();
    auto t2 = Clock::now();
    auto written = SaveIndexFileDurably(*index, dir + "/persist-bench-snapshot.nvx");
    auto t3 = Clock::now();
    if (!written.ok()) return Fail(written.status().message());
    snapshot_bytes = written.value();
    encode_seconds.push_back(SecondsBetween(t0, t1));
    save_mbps.push_back(written.value() / 1e6 / SecondsBetween(t2, t3));
  }
  std::remove((dir + "/persist-bench-snapshot.nvx").c_str());
  index.reset();

  // 3. Durable writes into a new file: one Sync per add, then batches per Sync.
  IndexConfig config;
  config.dimensions = data.cols;
  config.metric = Metric::kL2;
  const std::string durable_path = dir + "/persist-bench-durable.nvx";
  std::remove(durable_path.c_str());
  auto storage = OpenFileStorage(durable_path, FileMode::kCreate);
  if (!storage.ok()) return Fail(storage.status().message());
  auto created = VectorIndex::Create(config, storage.take());
  if (!created.ok()) return Fail(created.status().message());
  VectorIndex& durable = *created.value();
  adds = std::min<uint64_t>(adds, data.rows);
  auto t0 = Clock::now();
  for (uint64_t i = 0; i < adds; ++i) {
    auto added = durable.Add(ItemKey::Number(static_cast<int64_t>(i)), data.row(i));
    if (!added.ok()) return Fail(added.status().message());
    Status synced = durable.Sync();
    if (!synced.ok()) return Fail(synced.message());
  }
  const double single_per_s = adds / SecondsSince(t0);
  batched_items = std::min<uint64_t>(batched_items, data.rows - adds);
  batch = std::max<uint64_t>(batch, 1);
  t0 = Clock::now();
  for (uint64_t start = adds; start < adds + batched_items; start += batch) {
    uint64_t end = std::min(adds + batched_items, start + batch);
    std::vector<ItemKey> keys;
    for (uint64_t i = start; i < end; ++i) keys.push_back(ItemKey::Number(static_cast<int64_t>(i)));
    Status s = durable.AddBatch(keys, data.row(start), {}, BatchOptions{});
    if (s.ok()) s = durable.Sync();
    if (!s.ok()) return Fail(s.message());
  }
  const double batched_per_s = batched_items / SecondsSince(t0);
  t0 = Clock::now();
  Status checkpointed = durable.Checkpoint();
  const double checkpoint_s = SecondsSince(t0);
  if (!checkpointed.ok()) return Fail(checkpointed.message());
  const uint64_t checkpoint_bytes = durable.Stats().file.image_bytes;
  created.value().reset();
  std::remove(durable_path.c_str());

  std::fprintf(stderr,
               "index file %s: %.1f MB image\n"
               "  open (read-only, mapped, all checksums) median %.2f ms, first query median %.3f ms (5 rounds; first round %.2f + %.3f ms)\n"
               "  resident memory grew by %.1f MB at the first open\n"
               "  open (read-only, mapped, large sections unverified) median %.2f ms, first query median %.3f ms; memory +%.1f MB\n"
               "  snapshot save: encode median %.3f s, %.0f MB/s median incl. durable write (best %.0f) for %.1f MB\n"
               "durable writes to a new file (%u-d):\n"
               "  %llu single adds, Sync after each: %.0f adds/s\n"
               "  %llu items in batches of %llu, Sync after each batch: %.0f items/s\n"
               "  checkpoint of %.1f MB: %.3f s (%.0f MB/s)\n",
               index_path.c_str(), file_bytes / 1e6, Median(open_times) * 1e3, Median(first_query_times) * 1e3,
               open_times[0] * 1e3, first_query_times[0] * 1e3, (rss_after - rss_before) / 1e6,
               Median(lazy_open_times) * 1e3, Median(lazy_first_query_times) * 1e3,
               (static_cast<double>(lazy_rss_after) - static_cast<double>(lazy_rss_before)) / 1e6, Median(encode_seconds),
               Median(save_mbps), *std::max_element(save_mbps.begin(), save_mbps.end()), snapshot_bytes / 1e6, data.cols,
               static_cast<unsigned long long>(adds), single_per_s, static_cast<unsigned long long>(batched_items),
               static_cast<unsigned long long>(batch), batched_per_s, checkpoint_bytes / 1e6, checkpoint_s,
               checkpoint_bytes / 1e6 / checkpoint_s);
  if (args.Has("json")) {
    std::printf(
        "{\"image_bytes\": %llu, \"open_ms_median\": %.3f, \"first_query_ms_median\": %.4f, \"open_ms_first\": %.3f, "
        "\"first_query_ms_first\": %.4f, \"rss_growth_bytes\": %llu, \"unverified_open_ms_median\": %.3f, "
        "\"unverified_first_query_ms_median\": %.4f, \"unverified_rss_growth_bytes\": %lld, \"save_mb_per_s_median\": %.1f, "
        "\"save_mb_per_s_best\": %.1f, \"snapshot_bytes\": %llu, \"single_adds_per_s\": %.1f, \"single_adds\": %llu, "
        "\"batched_items_per_s\": %.1f, \"batched_items\": %llu, \"batch\": %llu, \"checkpoint_s\": %.4f, "
        "\"checkpoint_bytes\": %llu}\n",
        static_cast<unsigned long long>(file_bytes), Median(open_times) * 1e3, Median(first_query_times) * 1e3,
        open_times[0] * 1e3, first_query_times[0] * 1e3, static_cast<unsigned long long>(rss_after - rss_before),
        Median(lazy_open_times) * 1e3, Median(lazy_first_query_times) * 1e3,
        static_cast<long long>(lazy_rss_after) - static_cast<long long>(lazy_rss_before), Median(save_mbps), *std::max_element(save_mbps.begin(), save_mbps.end()),
        static_cast<unsigned long long>(snapshot_bytes), single_per_s, static_cast<unsigned long long>(adds),
        batched_per_s, static_cast<unsigned long long>(batched_items), static_cast<unsigned long long>(batch),
        checkpoint_s, static_cast<unsigned long long>(checkpoint_bytes));
  }
  return 0;
}

}  // namespace neurovec::cli
