#include "neurovec/vector_index.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include "index/vector_index_impl.h"
#include "metadata/filter.h"
#include "util/crc32c.h"

namespace neurovec {

VectorIndex::VectorIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VectorIndex::~VectorIndex() = default;

Result<std::unique_ptr<VectorIndex>> VectorIndex::Create(const IndexConfig& config) {
  NV_RETURN_IF_ERROR(config.Validate());
  std::unique_ptr<VectorIndex> index(new VectorIndex(std::make_unique<Impl>(config)));
  NV_RETURN_IF_ERROR(index->impl_->EnsureCapacity(config.initial_capacity));
  return index;
}

Result<std::unique_ptr<VectorIndex>> VectorIndex::Create(const IndexConfig& config, std::unique_ptr<Storage> storage) {
  if (!storage) return Status::InvalidArgument("a storage is expected, got none");
  auto created = Create(config);
  if (!created.ok()) return created.status();
  std::unique_ptr<VectorIndex> index = created.take();
  auto file = DurableFile::Create(std::move(storage), *index);
  if (!file.ok()) return file.status();
  index->impl_->durable = file.take();
  return index;
}

Result<std::unique_ptr<VectorIndex>> VectorIndex::Open(std::unique_ptr<Storage> storage, const OpenOptions& options) {
  if (!storage) return Status::InvalidArgument("a storage is expected, got none");
  auto opened = DurableFile::Open(std::move(storage), options);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<VectorIndex> index = std::move(opened.value().index);
  index->impl_->durable = std::move(opened.value().file);
  return index;
}

Result<std::unique_ptr<VectorIndex>> VectorIndex::LoadFromBytes(const uint8_t* data, size_t size) {
  ByteViewStorage bytes(data, size);
  return DurableFile::Load(bytes);
}

Status VectorIndex::Sync() { return impl_->durable ? impl_->durable->Sync(*this) : Status::Ok(); }
Status VectorIndex::Checkpoint() { return impl_->durable ? impl_->durable->Checkpoint(*this) : Status::Ok(); }
Status VectorIndex::Close(bool keep_in_memory) {
  Impl& x = *impl_;
  if (!x.durable) return Status::Ok();
  // A writable file goes away with Close: a paged store reads its rows in
  // first (if kept), and forgets the file either way. A read-only file stays
  // open while the index lives, so a paged store keeps reading from it.
  const bool releases_storage = !x.durable->read_only();
  if (releases_storage && keep_in_memory) {
    NV_RETURN_IF_ERROR(x.store.Materialize());
    NV_RETURN_IF_ERROR(x.graph.MaterializeLevel0());
  }
  Status s = x.durable->Close(*this);
  if (releases_storage && !x.store.paged()) {
    Status detached = x.store.DetachFile();  // not paged: only forgets the file
    (void)detached;
  }
  return s;
}
bool VectorIndex::durable() const { return impl_->durable != nullptr; }
bool VectorIndex::read_only() const { return impl_->durable != nullptr && impl_->durable->read_only(); }

const IndexConfig& VectorIndex::config() const { return impl_->config; }
uint64_t VectorIndex::size() const { return impl_->live_count; }

Result<uint32_t> VectorIndex::Add(const ItemKey& key, const float* vector, const std::string& metadata_json) {
  Impl& x = *impl_;
  NV_RETURN_IF_ERROR(x.BeforeWrite());
  if (x.keys.Find(key) != KeyMap::kMissing) {
    return Status::AlreadyExists("id " + key.ToDisplay() + " is already in the index; delete it first or use another id");
  }
  NV_RETURN_IF_ERROR(x.store.Validate(vector));
  Result<JsonValue> parsed = AttributeStore::ParseMetadata(metadata_json);
  if (!parsed.ok()) return parsed.status();
  NV_RETURN_IF_ERROR(x.BeforeGraphWrite());
  NV_RETURN_IF_ERROR(x.EnsureCapacity(x.SlotsNeededFor(1)));
  NV_RETURN_IF_ERROR(x.MaybeCalibrate(vector, 1));

  uint32_t slot = x.TakeSlot();
  x.Place(slot, key, vector, metadata_json, parsed.value());
  std::unique_ptr<SearchContext> ctx = x.contexts.Acquire();
  x.graph.Insert(slot, x.store, *ctx);
  x.contexts.Release(std::move(ctx));
  if (x.durable) x.durable->LogAdd(&key, 1, vector, x.config.dimensions, &metadata_json);
  NV_RETURN_IF_ERROR(x.AfterAdd());
  x.learning.AfterInsert({slot}, IndexView{&x.store, &x.graph, &x.live, x.used_slots, x.config.dimensions});
  x.MaintainAfterWrite(1);
  return slot;
}

Status VectorIndex::AddBatch(const std::vector<ItemKey>& keys, const float* vectors,
                             const std::vector<std::string>& metadata_json, const BatchOptions& options) {
  Impl& x = *impl_;
  const size_t n = keys.size();
  const size_t d = x.config.dimensions;
  NV_RETURN_IF_ERROR(x.BeforeWrite());
  if (!metadata_json.empty() && metadata_json.size() != n) {
    return Status::InvalidArgument("metadata has " + std::to_string(metadata_json.size()) + " entries for " +
                                   std::to_string(n) + " ids; expected one per id (or none)");
  }
  // Validate everything first: a bad item must leave the index unchanged.
  std::unordered_set<std::string> seen;
  seen.reserve(n);
  std::vector<JsonValue> parsed(metadata_json.empty() ? 0 : n);
  for (size_t i = 0; i < n; ++i) {
    if (x.keys.Find(keys[i]) != KeyMap::kMissing) {
      return Status::AlreadyExists("item " + std::to_string(i) + ": id " + keys[i].ToDisplay() +
                                   " is already in the index");
    }
    if (!seen.insert(keys[i].encoded()).second) {
      return Status::AlreadyExists("item " + std::to_string(i) + ": id " + keys[i].ToDisplay() +
                                   " appears twice in the batch");
    }
    Status s = x.store.Validate(vectors + i * d);
    if (!s.ok()) return Status::InvalidArgument("item " + std::to_string(i) + ": " + s.message());
    if (!metadata_json.empty()) {
      Result<JsonValue> p = AttributeStore::ParseMetadata(metadata_json[i]);
      if (!p.ok()) return Status::InvalidArgument("item " + std::to_string(i) + ": " + p.status().message());
      parsed[i] = p.take();
    }
  }
  NV_RETURN_IF_ERROR(x.BeforeGraphWrite());
  NV_RETURN_IF_ERROR(x.EnsureCapacity(x.SlotsNeededFor(n)));
  NV_RETURN_IF_ERROR(x.MaybeCalibrate(vectors, n));

  // Slots and levels are assigned in input order, so a single-threaded batch is
  // reproducible from the seed.
  static const std::string kEmpty;
  static const JsonValue kNoMetadata;
  std::vector<uint32_t> slots(n);
  for (size_t i = 0; i < n; ++i) {
    slots[i] = x.TakeSlot();
    x.Place(slots[i], keys[i], vectors + i * d, metadata_json.empty() ? kEmpty : metadata_json[i],
            metadata_json.empty() ? kNoMetadata : parsed[i]);
  }

  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::atomic<bool> stop{false};
  uint64_t last_reported = 0;  // written by the calling thread only
  auto work = [&](bool reports) {
    std::unique_ptr<SearchContext> ctx = x.contexts.Acquire();
    uint64_t every = std::max<uint64_t>(options.progress_every, 1);
    for (;;) {
      if (stop.load(std::memory_order_relaxed)) break;
      size_t i = next.fetch_add(1);
      if (i >= n) break;
      x.graph.Insert(slots[i], x.store, *ctx);
      size_t finished = done.fetch_add(1) + 1;
      // Other threads advance `done` too, so report once `every` items passed
      // since the last report (with one thread: at each multiple of `every`).
      if (reports && options.on_progress && (finished >= last_reported + every || finished == n)) {
        last_reported = finished;
        if (!options.on_progress(finished, n)) stop.store(true);
      }
    }
    x.contexts.Release(std::move(ctx));
  };
  uint32_t threads = std::max<uint32_t>(1, std::min<uint32_t>(options.threads, 256));
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
  threads = 1;
#endif
  if (x.paged()) threads = 1;  // the block cache of a paged store is not shared between threads
  std::vector<std::thread> pool;
  for (uint32_t t = 1; t < threads; ++t) pool.emplace_back(work, false);
  work(true);
  for (std::thread& t : pool) t.join();
  // With several threads another one may finish the last items: report the end.
  if (!stop.load() && options.on_progress && n > 0 && last_reported != n) options.on_progress(n, n);

  // The log gets the items that stay: all, or those linked before a stop.
  const size_t linked = stop.load() ? std::min(next.load(), n) : n;  // every index below `next` was inserted
  if (x.durable && linked > 0) {
    x.durable->LogAdd(keys.data(), linked, vectors, x.config.dimensions, metadata_json.empty() ? nullptr : metadata_json.data());
  }
  if (stop.load()) {
    // Items never linked are taken back out, as if never added.
    for (size_t i = n; i-- > linked;) x.Unplace(slots[i]);
    if (options.on_progress) options.on_progress(linked, n);
    return Status::Aborted("batch stopped by the progress callback after " + std::to_string(linked) + " of " +
                           std::to_string(n) + " items; those stay in the index");
  }
  NV_RETURN_IF_ERROR(x.AfterAdd());
  x.learning.AfterInsert(slots, IndexView{&x.store, &x.graph, &x.live, x.used_slots, x.config.dimensions});
  x.MaintainAfterWrite(n);
  return Status::Ok();
}

Result<std::vector<SearchHit>> VectorIndex::Search(const float* query, const SearchParams& params,
                                                   SearchCounters* counters) const {
  const Impl& x = *impl_;
  NV_RETURN_IF_ERROR(x.ValidateQuery(query, params));
  auto paging = x.ReadPagesShared();
  const uint32_t k = params.k;
  const uint32_t ef = std::max(params.ef == 0 ? x.config.ef_search : params.ef, k);

  std::unique_ptr<SearchContext> ctx = x.contexts.Acquire();
  ctx->query.Resize(x.store.stride());
  float* q = ctx->query.data();
  x.store.Encode(query, q);

  TraversalCounters traversal;
  bool exact = false;
  std::vector<Candidate>* found = &ctx->results;

  if (params.filter.empty()) {
    x.RecordQuery(q);
    const uint8_t* live = x.live.data();
    auto is_live = [live](uint32_t s) { return live[s] != 0; };
    size_t walked;
    bool stopped_early = false;
    const Impl::Router* router = x.RouterFor(params, false);
    uint32_t plain_ef = ef;
    if (router != nullptr) {
      const float target = params.target_recall > 0 ? params.target_recall : router->default_target;
      if (router->model.PlainServes(target)) {
        // Training timed the plain walk at this target's calibrated ef as the faster.
        plain_ef = std::max({params.ef, router->model.PlainEfFor(target), k});
        x.plain_served.fetch_add(1, std::memory_order_relaxed);
        router = nullptr;
      }
    } else if (params.routing == RoutingMode::kPlain && params.target_recall > 0 && params.ef == 0 && x.router &&
               x.router->model.k == k && !(x.tier && x.tier->trained()) && !(x.tiers && x.tiers->trained())) {
      // A plain walk asked for a recall: the ef the router calibrated for it, where it knows one.
      if (const uint32_t calibrated = x.router->model.PlainEfFor(params.target_recall)) plain_ef = std::max(calibrated, k);
    }
    uint64_t walk_wanted = plain_ef;  // results a walk ends with on a connected graph
    if (router != nullptr) {
      // The learned walk: HNSW's walk at the router's ef or more, ended once
      // the model is sure enough that the top-k is final.
      const float target = params.target_recall > 0 ? params.target_recall : router->default_target;
      routing::StopTracker stop(router->model, router->model.ThresholdFor(target));
      const float margin = router->model.MarginFor(target);
      std::optional<routing::NeighbourFilter> filter;
      if (margin > 0 && x.SkipsNeighbours()) {
        filter.emplace(router->basis, router->table, q, margin);
        stop.Filter(&*filter);
      }
      const uint32_t walk_ef = std::max(params.ef, router->model.training_ef);
      if (x.free_slots.empty() && x.live_count == x.used_slots) {
        x.graph.Search(q, walk_ef, x.store, [](uint32_t) { return true; }, true, *ctx, traversal, stop);
      } else {
        x.graph.Search(q, walk_ef, x.store, is_live, false, *ctx, traversal, stop);
      }
      walked = ctx->results.size();
      stopped_early = stop.stopped();
      // Skipped neighbours never join the results, so a walk that skipped can
      // end with fewer than ef of them: only k are owed then.
      walk_wanted = filter && filter->skipped() > 0 ? k : walk_ef;
      x.learned_searches.fetch_add(1, std::memory_order_relaxed);
      if (stopped_early) x.early_stops.fetch_add(1, std::memory_order_relaxed);
      if (stop.unfamiliar()) x.unfamiliar_searches.fetch_add(1, std::memory_order_relaxed);
      if (filter) x.skipped_neighbours.fetch_add(filter->skipped(), std::memory_order_relaxed);
    } else if (x.free_slots.empty() && x.live_count == x.used_slots) {
      walked = x.Walk(q, plain_ef, k, [](uint32_t) { return true; }, true, *ctx, traversal);
    } else {
      walked = x.Walk(q, plain_ef, k, is_live, false, *ctx, traversal);
    }
    // A block that failed cut the walk short: fail now rather than scan.
    if (x.paged()) {
      Status failed = x.TakePagingErrors();
      if (!failed.ok()) {
        x.contexts.Release(std::move(ctx));
        return failed;
      }
    }
    // An unfiltered walk stops short of ef results only when it ran out of nodes
    // to visit: the graph is not connected (HNSW does not guarantee it; small m
    // and many deletions make it likely) and some live items are unreachable.
    // Scan exactly then, so k results (and the true nearest) come back whenever
    // k items are live. On a connected graph this never triggers.
    if (!stopped_early && walked < std::min<uint64_t>(walk_wanted, x.live_count)) {
      exact = true;
      x.ExactScan(q, k, is_live, ctx->scratch, traversal);
      found = &ctx->scratch;
    }
  } else {
    Result<Filter> compiled = Filter::Compile(params.filter, x.attributes);
    if (!compiled.ok()) {
      x.contexts.Release(std::move(ctx));
      return compiled.status();
    }
    const Filter& filter = compiled.value();
    (void)x.RouterFor(params, true);  // filtered walks are plain (counts a fallback if learned was asked for)
    const uint8_t* live = x.live.data();
    auto accept = [live, &filter](uint32_t s) { return live[s] != 0 && filter.Matches(s); };

    // Estimate how many items match: exactly on small indexes, from a fixed
    // stride sample on large ones (a column read per clause per item is cheap).
    const uint32_t used = x.used_slots;
    const uint32_t step = used > 65536 ? used / 8192 : 1;
    uint64_t sampled = 0, matched = 0;
    for (uint32_t s = 0; s < used; s += step) {
      if (!live[s]) continue;
      ++sampled;
      matched += filter.Matches(s);
    }
    const double estimated = sampled == 0 ? 0.0 : static_cast<double>(matched) * x.live_count / sampled;
    // A filtered traversal expands about ef * 2M / selectivity nodes; scanning
    // the matches costs one distance each. Scan when that is cheaper.
    const double traversal_cost = static_cast<double>(ef) * x.graph.m0() * x.live_count / std::max(estimated, 1.0);
    if (estimated <= traversal_cost || matched == 0) {
      exact = true;
    } else {
      const size_t walked = x.Walk(q, ef, k, accept, false, *ctx, traversal);
      if (x.paged()) {
        Status failed = x.TakePagingErrors();
        if (!failed.ok()) {
          x.contexts.Release(std::move(ctx));
          return failed;
        }
      }
      // A traversal can miss matches that are poorly connected to the rest;
      // k results are promised whenever k items match, so fall back to a scan.
      if (walked < k) exact = true;
    }
    if (exact) {
      x.ExactScan(q, k, accept, ctx->scratch, traversal);
      found = &ctx->scratch;
    }
  }

  // A block of a paged store that could not be read gave zeros (a block of
  // level-0 lists, empty lists): no results then, but the error (the next
  // search tries the block again).
  Status paged = x.TakePagingErrors();
  if (!paged.ok()) {
    x.contexts.Release(std::move(ctx));
    return paged;
  }
  SortByDistance(*found);
  std::vector<SearchHit> hits;
  hits.reserve(std::min<size_t>(k, found->size()));
  for (size_t i = 0; i < found->size() && hits.size() < k; ++i) hits.push_back({(*found)[i].slot, (*found)[i].distance});
  x.contexts.Release(std::move(ctx));
  x.Record(traversal, exact, counters);
  if (x.tiers) {
    // Returned items are accessed; then one small migration step, skipped
    // when other searches are walking (see TieredStore).
    x.tiers->RecordAccesses(hits.data(), hits.size());
    x.tiers->MigrateStep(x.used_slots, true);
  }
  return hits;
}

Status VectorIndex::SearchBatch(const float* queries, size_t n, const SearchParams& params, uint32_t threads,
                                std::vector<std::vector<SearchHit>>* out) const {
  const Impl& x = *impl_;
  out->assign(n, {});
  threads = std::max<uint32_t>(1, std::min<uint32_t>(threads, 256));
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
  threads = 1;
#endif
  threads = static_cast<uint32_t>(std::min<size_t>(threads, std::max<size_t>(n, 1)));
  // A paged index whose storage reads only on this thread (the wasm host's):
  // this thread serves the reads and `threads` others search. Each read then
  // crosses threads (tens of microseconds, under the cache's mutex), so that
  // pays only when the caches hold every block and misses die out; with
  // smaller caches the batch runs here (measured in Node, Fashion-MNIST 60k,
  // 16 MiB cache, a third of rows missed: 2 threads 380-450 QPS, 1 thread
  // 550-590; whole cache: 1.9x).
  Storage* pages = x.paged() ? x.PagingStorage() : nullptr;
  bool serve_reads = threads > 1 && pages != nullptr && pages->reads_need_owner_thread();
  if (serve_reads && !(x.store.paging_cache_holds_all() && x.graph.paging_cache_holds_all())) {
    serve_reads = false;
    threads = 1;
  }
  const size_t d = x.config.dimensions;
  // Queries are taken one at a time from a shared counter: walks differ in
  // length, so fixed shares would leave threads idle at the end.
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex first_error_mutex;
  Status first_error = Status::Ok();
  size_t first_error_query = n;
  auto work = [&]() {
    for (;;) {
      if (failed.load(std::memory_order_relaxed)) return;
      const size_t i = next.fetch_add(1);
      if (i >= n) return;
      Result<std::vector<SearchHit>> hits = Search(queries + i * d, params);
      if (!hits.ok()) {
        std::lock_guard<std::mutex> lock(first_error_mutex);
        if (i < first_error_query) {
          first_error_query = i;
          first_error = hits.status();
        }
        failed.store(true);
        return;
      }
      (*out)[i] = hits.take();
    }
  };
  std::vector<std::thread> pool;
  if (serve_reads) {
    std::atomic<uint32_t> searching{threads};
    pages->ServeReadsWhile(
        [&] {
          for (uint32_t t = 0; t < threads; ++t) {
            pool.emplace_back([&] {
              work();
              searching.fetch_sub(1);
            });
          }
        },
        [&] { return searching.load() > 0; });
  } else {
    for (uint32_t t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
  }
  for (std::thread& t : pool) t.join();
  if (!first_error.ok()) {
    return Status(first_error.code(), "query " + std::to_string(first_error_query) + ": " + first_error.message());
  }
  return Status::Ok();
}

Result<std::vector<SearchHit>> VectorIndex::SearchExact(const float* query, uint32_t k) const {
  const Impl& x = *impl_;
  SearchParams params;
  params.k = k;
  NV_RETURN_IF_ERROR(x.ValidateQuery(query, params));
  auto paging = x.ReadPagesShared();
  std::unique_ptr<SearchContext> ctx = x.contexts.Acquire();
  ctx->query.Resize(x.store.stride());
  x.store.Encode(query, ctx->query.data());
  TraversalCounters counters;
  x.ExactScan(ctx->query.data(), k, [](uint32_t) { return true; }, ctx->scratch, counters);
  std::vector<Candidate> found = ctx->scratch;
  x.contexts.Release(std::move(ctx));
  NV_RETURN_IF_ERROR(x.TakePagingErrors());
  SortByDistance(found);
  std::vector<SearchHit> hits;
  for (const Candidate& c : found) hits.push_back({c.slot, c.distance});
  return hits;
}

Result<bool> VectorIndex::Remove(const ItemKey& key) {
  Impl& x = *impl_;
  NV_RETURN_IF_ERROR(x.BeforeWrite());
  uint32_t slot = x.keys.Find(key);
  if (slot == KeyMap::kMissing) return false;
  NV_RETURN_IF_ERROR(x.BeforeGraphWrite());
  x.Unplace(slot);
  if (x.durable) x.durable->LogDelete(key);
  x.MaintainAfterWrite(1);
  return true;
}

Status VectorIndex::SetMetadata(const ItemKey& key, const std::string& metadata_json) {
  Impl& x = *impl_;
  NV_RETURN_IF_ERROR(x.BeforeWrite());
  uint32_t slot = x.keys.Find(key);
  if (slot == KeyMap::kMissing) return Status::NotFound("id " + key.ToDisplay() + " is not in the index");
  Result<JsonValue> parsed = AttributeStore::ParseMetadata(metadata_json);
  if (!parsed.ok()) return parsed.status();
  x.attributes.Set(slot, metadata_json, parsed.value());
  if (x.durable) x.durable->LogSetMetadata(key, metadata_json);
  return Status::Ok();
}

bool VectorIndex::Contains(const ItemKey& key) const { return impl_->keys.Find(key) != KeyMap::kMissing; }

Result<uint32_t> VectorIndex::SlotOf(const ItemKey& key) const {
  uint32_t slot = impl_->keys.Find(key);
  if (slot == KeyMap::kMissing) return Status::NotFound("id " + key.ToDisplay() + " is not in the index");
  return slot;
}

void VectorIndex::GetVector(uint32_t slot, float* out) const {
  auto paging = impl_->ReadPagesShared();
  impl_->store.Decode(slot, out);
}
const std::string& VectorIndex::Metadata(uint32_t slot) const { return impl_->attributes.Json(slot); }
const ItemKey& VectorIndex::KeyOf(uint32_t slot) const { return impl_->keys.KeyOf(slot); }

IndexStats VectorIndex::Stats() const {
  const Impl& x = *impl_;
  IndexStats s;
  s.size = x.live_count;
  s.deleted = x.free_slots.size();
  s.capacity = x.live.size();
  s.dimensions = x.config.dimensions;
  s.metric = x.config.metric;
  s.max_level = static_cast<uint32_t>(std::max(x.graph.max_level(), 0));
  s.searches = x.searches.load();
  s.distance_computations = x.distance_computations.load();
  s.hops = x.hops.load();
  s.last_search = {x.last_distance_computations.load(), x.last_hops.load(), x.last_exact.load()};
  s.memory.vectors = x.store.memory_bytes();
  const PagerStats paging = x.store.paging_stats();
  const PagerStats lists = x.graph.paging_stats();
  s.paging = {x.store.paged(), paging.cache_bytes, paging.resident_bytes, paging.block_reads, paging.bytes_read,
              paging.hits, paging.misses,
              x.graph.level0_paged(), lists.cache_bytes, lists.resident_bytes, lists.block_reads, lists.bytes_read,
              lists.hits, lists.misses};
  s.maintenance = x.maintenance;
  if (x.router) {
    s.routing.trained = true;
    s.routing.k = x.router->model.k;
    s.routing.ef = x.router->model.training_ef;
    s.routing.changes_since_training = x.RouterChanges();
    s.routing.skip_rank = x.SkipsNeighbours() ? x.router->basis.rank : 0;
    s.routing.skip_table_bytes = x.router->table.bytes();
  }
  s.routing.skipped_neighbours = x.skipped_neighbours.load();
  s.routing.learned_searches = x.learned_searches.load();
  s.routing.early_stops = x.early_stops.load();
  s.routing.unfamiliar = x.unfamiliar_searches.load();
  s.routing.fallbacks = x.routing_fallbacks.load();
  s.routing.plain_served = x.plain_served.load();
  {
    std::lock_guard<std::mutex> lock(x.workload.mutex);
    s.workload.sample_capacity = x.workload.capacity;
    s.workload.recorded = x.workload.recorded;
    s.workload.sampled = std::min<uint64_t>(x.workload.recorded, x.workload.capacity);
    s.workload.since_adaptation = x.workload.recorded - x.workload.recorded_at_adaptation;
    s.workload.adapt_every = x.workload.adapt_every;
    s.workload.adaptation_due = x.workload.Due();
    s.workload.adaptations = x.workload.adaptations;
  }
  s.workload.hints = static_cast<uint32_t>(x.graph.entry_hints().slots.size());
  s.workload.bound = x.graph.entry_hints().bound;
  s.workload.hinted_searches = x.hinted_searches.load();
  s.workload.unhinted_searches = x.unhinted_searches.load();
  s.memory.codes = x.tier ? x.tier->memory_bytes() : 0;
  s.memory.graph = x.graph.memory_bytes();
  s.memory.other = x.keys.memory_bytes() + x.attributes.memory_bytes() + x.live.size();
  if (x.tiers) {
    const auto bytes = x.tiers->TierBytes(x.used_slots);
    for (int t = 0; t < kTierCount; ++t) s.memory.tier_bytes[t] = bytes[t];
    s.memory.codes += x.tiers->codes_bytes();
    s.memory.codebooks = x.tiers->codebook_bytes();
    s.memory.other += x.tiers->bookkeeping_bytes();
    s.memory.vectors_if_released = bytes[0] + x.tiers->codes_bytes() + s.memory.codebooks;
    s.tiers = x.tiers->Counts(x.used_slots, x.live);
  }
  s.memory.total = s.memory.vectors + s.memory.codes + s.memory.codebooks + s.memory.graph + s.memory.other;
  s.memory.raw_f32 = x.live_count * x.config.dimensions * sizeof(float);
  s.memory_bytes = s.memory.total;
  if (x.durable) {
    s.durable = true;
    s.file = x.durable->stats();
  }
  return s;
}

}  // namespace neurovec

namespace neurovec {

void VectorIndex::SetAttachedSectionsProvider(std::function<Result<AttachedSections>()> provider) {
  impl_->attached_provider = std::move(provider);
}

const VectorIndex::AttachedSections& VectorIndex::attached_sections() const { return impl_->attached_loaded; }

VectorIndex::AttachedSections VectorIndex::TakeAttachedSections() {
  AttachedSections taken = std::move(impl_->attached_loaded);
  impl_->attached_loaded.clear();
  return taken;
}

std::vector<uint32_t> VectorIndex::sections_left_in_file() const {
  std::vector<uint32_t> kinds;
  for (const auto& s : impl_->attached_in_file) kinds.push_back(s.kind);
  return kinds;
}

Result<std::string> VectorIndex::ReadAttachedSection(uint32_t kind) const { return impl_->ReadSectionLeftInFile(kind); }

Result<std::string> IndexState::ReadSectionLeftInFile(uint32_t kind) const {
  for (const auto& s : attached_in_file) {
    if (s.kind != kind) continue;
    if (s.length > (uint64_t{1} << 40)) return Status::Corrupt("index file is corrupt: attached section over 1 TiB");
    std::string bytes;
    bytes.resize(static_cast<size_t>(s.length));
    Status read = attached_file->Read(s.offset, bytes.data(), bytes.size());
    if (!read.ok()) return read;
    if (Crc32c(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()) != s.crc) {
      return Status::Corrupt("index file is corrupt: section kind " + std::to_string(kind) + " (offset " +
                             std::to_string(s.offset) + ") fails its checksum");
    }
    return bytes;
  }
  return Status::NotFound("no attached section of kind " + std::to_string(kind) + " was left in the file");
}

}  // namespace neurovec

namespace neurovec {

bool VectorIndex::IsLiveSlot(uint32_t slot) const { return slot < impl_->live.size() && impl_->live[slot]; }

Result<std::function<bool(uint32_t)>> VectorIndex::FilterPredicate(const std::string& filter_json) const {
  if (filter_json.empty()) return std::function<bool(uint32_t)>([](uint32_t) { return true; });
  auto filter = Filter::Compile(filter_json, impl_->attributes);
  if (!filter.ok()) return filter.status();
  auto shared = std::make_shared<Filter>(filter.take());
  return std::function<bool(uint32_t)>([shared](uint32_t slot) { return shared->Matches(slot); });
}

}  // namespace neurovec
