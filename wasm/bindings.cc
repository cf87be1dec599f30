// The C ABI over neurovec::VectorIndex. No emscripten headers: the exports are
// listed at link time (wasm/CMakeLists), so this file also compiles natively and
// is tested by CTest like the rest of the core.
#include "neurovec_c.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "distance/kernels.h"
#include "host_storage.h"
#include "neurovec/storage.h"
#include "neurovec/vector_index.h"

namespace neurovec {
std::unique_ptr<Storage> MakeHostStorage(int32_t handle, std::string name);  // host_storage.cc
}

#include "nv_index.h"  // struct nv_index (shared with learning_bindings.cc)

namespace {

thread_local std::string g_error;
thread_local int32_t g_error_code = 0;

int32_t Fail(const neurovec::Status& status) {
  g_error = status.message();
  g_error_code = static_cast<int32_t>(status.code());
  return -1;
}

void ClearError() {
  g_error.clear();
  g_error_code = 0;
}

neurovec::Result<neurovec::ItemKey> Key(const char* data, uint32_t len) {
  if (data == nullptr || len == 0) return neurovec::Status::InvalidArgument("missing id");
  return neurovec::ItemKey::Decode(data, len);
}

// Fills *config from nv_create*'s arguments; false with the error set when they are bad.
bool MakeConfig(uint32_t dimensions, int32_t metric, uint32_t m, uint32_t ef_construction, uint32_t ef_search,
                double seed, uint32_t initial_capacity, neurovec::IndexConfig* config) {
  if (metric < 0 || metric > 3) {
    Fail(neurovec::Status::InvalidArgument("unknown metric code " + std::to_string(metric)));
    return false;
  }
  if (!(seed >= 0 && seed <= 18446744073709549568.0) || std::floor(seed) != seed) {
    Fail(neurovec::Status::InvalidArgument("seed must be a non-negative integer"));
    return false;
  }
  config->dimensions = dimensions;
  config->metric = static_cast<neurovec::Metric>(metric);
  config->m = m;
  config->ef_construction = ef_construction;
  config->ef_search = ef_search;
  config->seed = static_cast<uint64_t>(seed);
  config->initial_capacity = initial_capacity;
  return true;
}

// The search arguments of nv_search_routed and nv_search_batch; false (with
// the error set) for a routing code out of range.
bool MakeSearchParams(uint32_t k, uint32_t ef, const char* filter, uint32_t filter_len, int32_t routing,
                      float target_recall, neurovec::SearchParams* params) {
  if (routing < 0 || routing > 2) {
    Fail(neurovec::Status::InvalidArgument("routing must be 0 (auto), 1 (plain) or 2 (learned), got " +
                                           std::to_string(routing)));
    return false;
  }
  params->k = k;
  params->ef = ef;
  params->routing = static_cast<neurovec::RoutingMode>(routing);
  params->target_recall = target_recall;
  if (filter != nullptr && filter_len > 0) params->filter.assign(filter, filter_len);
  return true;
}

}  // namespace

// Threads a batch insert or batch search may use (nv_set_threads). Always 1 in the
// single-thread build; in the threaded one at most the loader's pool of
// Workers, which the loader enforces.
uint32_t g_batch_threads = 1;

int32_t nv_internal_fail(const neurovec::Status& status) { return Fail(status); }
void nv_internal_clear_error() { ClearError(); }

extern "C" {

uint32_t nv_set_threads(uint32_t threads) {
#if defined(__EMSCRIPTEN_PTHREADS__)
  g_batch_threads = std::max<uint32_t>(1, std::min<uint32_t>(threads, 64));
#else
  (void)threads;
  g_batch_threads = 1;
#endif
  return g_batch_threads;
}

nv_index* nv_create_durable(uint32_t dimensions, int32_t metric, uint32_t m, uint32_t ef_construction,
                            uint32_t ef_search, double seed, uint32_t initial_capacity, int32_t storage,
                            const char* name, uint32_t name_len) {
  ClearError();
  // The storage is released by its owner from here on, whatever happens.
  std::unique_ptr<neurovec::Storage> host = neurovec::MakeHostStorage(storage, std::string(name, name_len));
  neurovec::IndexConfig config;
  if (!MakeConfig(dimensions, metric, m, ef_construction, ef_search, seed, initial_capacity, &config)) return nullptr;
  auto created = neurovec::VectorIndex::Create(config, std::move(host));
  if (!created.ok()) {
    Fail(created.status());
    return nullptr;
  }
  return new nv_index{created.take()};
}

nv_index* nv_open_durable(int32_t storage, const char* name, uint32_t name_len, int32_t read_only,
                          int32_t verify_checksums, double page_cache_bytes) {
  ClearError();
  neurovec::OpenOptions options;
  options.read_only = read_only != 0;
  options.verify_checksums = verify_checksums != 0;
  options.page_cache_bytes = page_cache_bytes > 0 ? static_cast<uint64_t>(page_cache_bytes) : 0;
  auto opened = neurovec::VectorIndex::Open(neurovec::MakeHostStorage(storage, std::string(name, name_len)), options);
  if (!opened.ok()) {
    Fail(opened.status());
    return nullptr;
  }
  return new nv_index{opened.take()};
}

int32_t nv_sync(nv_index* index) {
  ClearError();
  neurovec::Status s = index->index->Sync();
  return s.ok() ? 0 : Fail(s);
}

int32_t nv_checkpoint(nv_index* index) {
  ClearError();
  neurovec::Status s = index->index->Checkpoint();
  return s.ok() ? 0 : Fail(s);
}

int32_t nv_close(nv_index* index) {
  ClearError();
  // JS frees the index right after: a paged index need not read its rows in.
  neurovec::Status s = index->index->Close(/*keep_in_memory=*/false);
  return s.ok() ? 0 : Fail(s);
}

int32_t nv_set_metadata(nv_index* index, const char* key, uint32_t key_len, const char* metadata,
                        uint32_t metadata_len) {
  ClearError();
  auto k = Key(key, key_len);
  if (!k.ok()) return Fail(k.status());
  neurovec::Status s = index->index->SetMetadata(k.value(), std::string(metadata ? metadata : "", metadata_len));
  return s.ok() ? 0 : Fail(s);
}

void nv_file_stats(nv_index* index, double* out) {
  neurovec::IndexStats s = index->index->Stats();
  const neurovec::FileStats& f = s.file;
  const double values[NV_FILE_STATS_COUNT] = {
      s.durable ? 1.0 : 0.0, static_cast<double>(f.generation), static_cast<double>(f.image_bytes),
      static_cast<double>(f.log_bytes), static_cast<double>(f.pending_bytes), static_cast<double>(f.replayed_records),
      f.trimmed_torn_tail ? 1.0 : 0.0, static_cast<double>(f.checkpoints), static_cast<double>(f.syncs)};
  std::memcpy(out, values, sizeof values);
}

nv_index* nv_create(uint32_t dimensions, int32_t metric, uint32_t m, uint32_t ef_construction, uint32_t ef_search,
                    double seed, uint32_t initial_capacity) {
  ClearError();
  neurovec::IndexConfig config;
  if (!MakeConfig(dimensions, metric, m, ef_construction, ef_search, seed, initial_capacity, &config)) return nullptr;
  auto created = neurovec::VectorIndex::Create(config);
  if (!created.ok()) {
    Fail(created.status());
    return nullptr;
  }
  return new nv_index{created.take()};
}

void nv_destroy(nv_index* index) { delete index; }

int32_t nv_enable_quantized(nv_index* index, int32_t codec, uint32_t rerank, uint32_t train_items) {
  ClearError();
  if (codec < 0 || codec > static_cast<int32_t>(neurovec::TraversalCodec::kPq8)) {
    return Fail(neurovec::Status::InvalidArgument("unknown quantized traversal codec code " + std::to_string(codec)));
  }
  neurovec::QuantizedTraversalConfig config;
  config.codec = static_cast<neurovec::TraversalCodec>(codec);
  config.rerank = rerank;
  config.train_items = train_items;
  neurovec::Status s = index->index->EnableQuantizedTraversal(config);
  return s.ok() ? 0 : Fail(s);
}

int32_t nv_retrain_quantizer(nv_index* index) {
  ClearError();
  neurovec::Status s = index->index->RetrainQuantizer();
  return s.ok() ? 0 : Fail(s);
}

void nv_quantized_info(nv_index* index, double* out) {
  const neurovec::QuantizedTraversalConfig& q = index->index->config().quantized;
  const double values[NV_QUANTIZED_INFO_COUNT] = {static_cast<double>(static_cast<int>(q.codec)),
                                                  static_cast<double>(q.rerank), static_cast<double>(q.train_items),
                                                  index->index->quantized_traversal_trained() ? 1.0 : 0.0};
  std::memcpy(out, values, sizeof values);
}

void nv_memory_stats(nv_index* index, double* out) {
  const neurovec::MemoryStats m = index->index->Stats().memory;
  const double values[NV_MEMORY_STATS_COUNT] = {
      static_cast<double>(m.vectors), static_cast<double>(m.codes),  static_cast<double>(m.graph),
      static_cast<double>(m.other),   static_cast<double>(m.total), static_cast<double>(m.raw_f32)};
  std::memcpy(out, values, sizeof values);
}

// Vectors: paged, cache bound, cached bytes, block reads, bytes read, hits,
// misses; then the same seven for the graph's level-0 lists.
void nv_paging_stats(nv_index* index, double* out) {
  const neurovec::PagingStats p = index->index->Stats().paging;
  const double values[NV_PAGING_STATS_COUNT] = {p.paged ? 1.0 : 0.0,
                                                static_cast<double>(p.cache_bytes),
                                                static_cast<double>(p.cached_bytes),
                                                static_cast<double>(p.block_reads),
                                                static_cast<double>(p.bytes_read),
                                                static_cast<double>(p.hits),
                                                static_cast<double>(p.misses),
                                                p.graph_paged ? 1.0 : 0.0,
                                                static_cast<double>(p.graph_cache_bytes),
                                                static_cast<double>(p.graph_cached_bytes),
                                                static_cast<double>(p.graph_block_reads),
                                                static_cast<double>(p.graph_bytes_read),
                                                static_cast<double>(p.graph_hits),
                                                static_cast<double>(p.graph_misses)};
  std::memcpy(out, values, sizeof values);
}

int32_t nv_enable_tiers(nv_index* index, double hot, double warm, double cool, double cold, double half_life_seconds,
                        double hysteresis, uint32_t rerank, uint32_t migration_budget, uint32_t train_items) {
  ClearError();
  neurovec::TiersConfig config;
  config.enabled = true;
  config.thresholds = {static_cast<float>(hot), static_cast<float>(warm), static_cast<float>(cool),
                       static_cast<float>(cold)};
  config.half_life_seconds = half_life_seconds;
  config.hysteresis = static_cast<float>(hysteresis);
  config.rerank = rerank;
  config.migration_budget = migration_budget;
  config.train_items = train_items;
  neurovec::Status s = index->index->EnableTiers(config);
  return s.ok() ? 0 : Fail(s);
}

int32_t nv_recompress(nv_index* index, double* out) {
  ClearError();
  auto moved = index->index->Recompress();
  if (!moved.ok()) return Fail(moved.status());
  for (int t = 0; t < neurovec::kTierCount; ++t) out[t] = static_cast<double>(moved.value().count[t]);
  return 0;
}

int32_t nv_retrain_codebooks(nv_index* index) {
  ClearError();
  neurovec::Status s = index->index->RetrainCodebooks();
  return s.ok() ? 0 : Fail(s);
}

int32_t nv_set_tier_clock(nv_index* index, double now_seconds) {
  ClearError();
  neurovec::Status s = index->index->SetTierClock(now_seconds);
  return s.ok() ? 0 : Fail(s);
}

void nv_tier_info(nv_index* index, double* out) {
  const neurovec::TiersConfig& t = index->index->config().tiers;
  const neurovec::TierCounts counts = index->index->Stats().tiers;
  const double values[NV_TIER_INFO_COUNT] = {
      t.enabled ? 1.0 : 0.0, index->index->tier_codebooks_trained() ? 1.0 : 0.0, t.thresholds.hot, t.thresholds.warm,
      t.thresholds.cool, t.thresholds.cold, t.half_life_seconds, t.hysteresis, static_cast<double>(t.rerank),
      static_cast<double>(t.migration_budget), static_cast<double>(t.train_items),
      static_cast<double>(counts.count[0]), static_cast<double>(counts.count[1]), static_cast<double>(counts.count[2]),
      static_cast<double>(counts.count[3]), static_cast<double>(counts.count[4])};
  std::memcpy(out, values, sizeof values);
}

void nv_tier_memory(nv_index* index, double* out) {
  const neurovec::MemoryStats m = index->index->Stats().memory;
  const double values[NV_TIER_MEMORY_COUNT] = {
      static_cast<double>(m.tier_bytes[0]), static_cast<double>(m.tier_bytes[1]), static_cast<double>(m.tier_bytes[2]),
      static_cast<double>(m.tier_bytes[3]), static_cast<double>(m.tier_bytes[4]), static_cast<double>(m.codebooks),
      static_cast<double>(m.vectors_if_released)};
  std::memcpy(out, values, sizeof values);
}

const char* nv_last_error(void) { return g_error.c_str(); }
int32_t nv_last_error_code(void) { return g_error_code; }

int32_t nv_add(nv_index* index, const char* key, uint32_t key_len, const float* vector, const char* metadata,
               uint32_t metadata_len) {
  ClearError();
  auto k = Key(key, key_len);
  if (!k.ok()) return Fail(k.status());
  std::string meta = metadata ? std::string(metadata, metadata_len) : std::string();
  auto added = index->index->Add(k.value(), vector, meta);
  if (!added.ok()) return Fail(added.status());
  return static_cast<int32_t>(added.value());
}

int32_t nv_add_batch(nv_index* index, uint32_t n, const char* key_blob, const uint32_t* key_offsets,
                     const float* vectors, const char* meta_blob, const uint32_t* meta_offsets,
                     uint32_t* out_slots) {
  ClearError();
  std::vector<neurovec::ItemKey> keys;
  keys.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    if (key_offsets[i + 1] < key_offsets[i]) return Fail(neurovec::Status::InvalidArgument("bad id offsets"));
    auto k = Key(key_blob + key_offsets[i], key_offsets[i + 1] - key_offsets[i]);
    if (!k.ok()) return Fail(neurovec::Status(k.status().code(), "item " + std::to_string(i) + ": " + k.status().message()));
    keys.push_back(k.take());
  }
  std::vector<std::string> metadata;
  if (meta_offsets != nullptr) {
    metadata.reserve(n);
    for (uint32_t i = 0; i < n; ++i) metadata.emplace_back(meta_blob + meta_offsets[i], meta_offsets[i + 1] - meta_offsets[i]);
  }
  neurovec::BatchOptions options;
  options.threads = g_batch_threads;
  neurovec::Status s = index->index->AddBatch(keys, vectors, metadata, options);
  if (!s.ok()) return Fail(s);
  if (out_slots != nullptr) {
    for (uint32_t i = 0; i < n; ++i) out_slots[i] = index->index->SlotOf(keys[i]).value();
  }
  return 0;
}

int32_t nv_search(nv_index* index, const float* query, uint32_t k, uint32_t ef, const char* filter,
                  uint32_t filter_len, uint32_t* out_slots, float* out_distances) {
  return nv_search_routed(index, query, k, ef, filter, filter_len, 0, 0.0f, out_slots, out_distances);
}

int32_t nv_search_routed(nv_index* index, const float* query, uint32_t k, uint32_t ef, const char* filter,
                         uint32_t filter_len, int32_t routing, float target_recall, uint32_t* out_slots,
                         float* out_distances) {
  ClearError();
  neurovec::SearchParams params;
  if (!MakeSearchParams(k, ef, filter, filter_len, routing, target_recall, &params)) return -1;
  auto hits = index->index->Search(query, params);
  if (!hits.ok()) return Fail(hits.status());
  const auto& h = hits.value();
  for (size_t i = 0; i < h.size(); ++i) {
    out_slots[i] = h[i].slot;
    out_distances[i] = h[i].distance;
  }
  return static_cast<int32_t>(h.size());
}

int32_t nv_search_batch(nv_index* index, uint32_t n, const float* queries, uint32_t k, uint32_t ef,
                        const char* filter, uint32_t filter_len, int32_t routing, float target_recall,
                        uint32_t* out_slots, float* out_distances, uint32_t* out_counts) {
  ClearError();
  neurovec::SearchParams params;
  if (!MakeSearchParams(k, ef, filter, filter_len, routing, target_recall, &params)) return -1;
  std::vector<std::vector<neurovec::SearchHit>> hits;
  neurovec::Status s = index->index->SearchBatch(queries, n, params, g_batch_threads, &hits);
  if (!s.ok()) return Fail(s);
  for (uint32_t i = 0; i < n; ++i) {
    const auto& h = hits[i];
    out_counts[i] = static_cast<uint32_t>(h.size());
    for (size_t j = 0; j < h.size(); ++j) {
      out_slots[size_t{i} * k + j] = h[j].slot;
      out_distances[size_t{i} * k + j] = h[j].distance;
    }
  }
  return 0;
}

int32_t nv_remove(nv_index* index, const char* key, uint32_t key_len) {
  ClearError();
  auto k = Key(key, key_len);
  if (!k.ok()) return Fail(k.status());
  auto removed = index->index->Remove(k.value());
  if (!removed.ok()) return Fail(removed.status());
  return removed.value() ? 1 : 0;
}

int32_t nv_slot_of(nv_index* index, const char* key, uint32_t key_len) {
  ClearError();
  auto k = Key(key, key_len);
  if (!k.ok()) return Fail(k.status());
  auto slot = index->index->SlotOf(k.value());
  return slot.ok() ? static_cast<int32_t>(slot.value()) : -1;
}

void nv_get_vector(nv_index* index, uint32_t slot, float* out) { index->index->GetVector(slot, out); }

const char* nv_key_of(nv_index* index, uint32_t slot, uint32_t* out_len) {
  const std::string& encoded = index->index->KeyOf(slot).encoded();
  *out_len = static_cast<uint32_t>(encoded.size());
  return encoded.data();
}

const char* nv_metadata_of(nv_index* index, uint32_t slot, uint32_t* out_len) {
  const std::string& json = index->index->Metadata(slot);
  *out_len = static_cast<uint32_t>(json.size());
  return json.data();
}

// IndexHealth into out: live, tombstones, unreachable, unreachable through
// tombstones, links to tombstones, mean out-degree, the histogram's length
// (2*M + 1), then the histogram. `out` holds 7 + 2*M + 1 doubles.
int32_t nv_health(nv_index* index, double* out) {
  ClearError();
  auto health = index->index->Health();
  if (!health.ok()) return Fail(health.status());
  const neurovec::IndexHealth& h = health.value();
  const double head[] = {
      static_cast<double>(h.live), static_cast<double>(h.tombstones), static_cast<double>(h.unreachable),
      static_cast<double>(h.unreachable_through_tombstones), static_cast<double>(h.links_to_tombstones),
      h.mean_out_degree, static_cast<double>(h.out_degree_histogram.size()),
  };
  std::memcpy(out, head, sizeof head);
  for (size_t d = 0; d < h.out_degree_histogram.size(); ++d) out[7 + d] = static_cast<double>(h.out_degree_histogram[d]);
  return 0;
}

// One Optimize call with budget_ms (0: the whole pass); OptimizeReport into
// out (6 doubles): lists relinked, reconnected, unreachable before, unreachable
// after, done (0/1), progress.
int32_t nv_optimize(nv_index* index, double budget_ms, double* out) {
  ClearError();
  neurovec::OptimizeOptions options;
  options.budget_ms = budget_ms;
  auto report = index->index->Optimize(options);
  if (!report.ok()) return Fail(report.status());
  const neurovec::OptimizeReport& r = report.value();
  out[0] = static_cast<double>(r.lists_relinked);
  out[1] = static_cast<double>(r.reconnected);
  out[2] = static_cast<double>(r.unreachable_before);
  out[3] = static_cast<double>(r.unreachable_after);
  out[4] = r.done ? 1 : 0;
  out[5] = r.progress;
  return 0;
}

uint32_t nv_size(nv_index* index) { return static_cast<uint32_t>(index->index->size()); }

void nv_stats(nv_index* index, double* out) {
  neurovec::IndexStats s = index->index->Stats();
  double values[NV_STATS_COUNT] = {
      static_cast<double>(s.size),
      static_cast<double>(s.deleted),
      static_cast<double>(s.capacity),
      static_cast<double>(s.dimensions),
      static_cast<double>(static_cast<int>(s.metric)),
      static_cast<double>(s.max_level),
      static_cast<double>(s.searches),
      static_cast<double>(s.distance_computations),
      static_cast<double>(s.hops),
      static_cast<double>(s.last_search.distance_computations),
      static_cast<double>(s.last_search.hops),
      s.last_search.exact_scan ? 1.0 : 0.0,
      static_cast<double>(s.memory_bytes),
      s.maintenance.options.budget_ms_per_write,
      s.maintenance.options.trigger_fraction,
      static_cast<double>(s.maintenance.passes),
      static_cast<double>(s.maintenance.lists_relinked),
      static_cast<double>(s.maintenance.reconnected),
      static_cast<double>(s.maintenance.changes_since_pass),
      s.maintenance.pass_active ? 1.0 : 0.0,
      s.maintenance.progress,
      s.maintenance.milliseconds,
      static_cast<double>(s.maintenance.unreachable_after_last_pass),
  };
  std::memcpy(out, values, sizeof values);
}

int32_t nv_set_maintenance(nv_index* index, double budget_ms_per_write, double trigger_fraction) {
  ClearError();
  neurovec::MaintenanceOptions options;
  options.budget_ms_per_write = budget_ms_per_write;
  options.trigger_fraction = trigger_fraction;
  neurovec::Status s = index->index->SetMaintenance(options);
  return s.ok() ? 0 : Fail(s);
}

int32_t nv_save_to_storage(nv_index* index, int32_t storage, const char* name, uint32_t name_len) {
  ClearError();
  // The storage is released (and closed) when this returns, whatever happens.
  std::unique_ptr<neurovec::Storage> host = neurovec::MakeHostStorage(storage, std::string(name, name_len));
  neurovec::Status s = index->index->SaveTo(*host);
  return s.ok() ? 0 : Fail(s);
}

uint8_t* nv_save(nv_index* index, uint32_t* out_len) {
  ClearError();
  auto encoded = index->index->ToBytes();
  if (!encoded.ok()) {
    Fail(encoded.status());
    return nullptr;
  }
  std::string bytes = encoded.take();
  uint8_t* out = static_cast<uint8_t*>(std::malloc(bytes.size() ? bytes.size() : 1));
  if (out == nullptr) {
    Fail(neurovec::Status::OutOfRange("out of memory for a " + std::to_string(bytes.size()) + "-byte index image"));
    return nullptr;
  }
  std::memcpy(out, bytes.data(), bytes.size());
  *out_len = static_cast<uint32_t>(bytes.size());
  return out;
}

nv_index* nv_load(const uint8_t* data, uint32_t len) {
  ClearError();
  auto loaded = neurovec::VectorIndex::LoadFromBytes(data, len);
  if (!loaded.ok()) {
    Fail(loaded.status());
    return nullptr;
  }
  return new nv_index{loaded.take()};
}

void nv_config(nv_index* index, double* out) {
  const neurovec::IndexConfig& c = index->index->config();
  const double values[6] = {static_cast<double>(c.dimensions), static_cast<double>(static_cast<int>(c.metric)),
                            static_cast<double>(c.m), static_cast<double>(c.ef_construction),
                            static_cast<double>(c.ef_search), static_cast<double>(c.seed)};
  std::memcpy(out, values, sizeof values);
}

const char* nv_kernel_name(void) { return neurovec::distance::BestKernels().name; }

}  // extern "C"
