// VectorIndex's internals (not a public header): the state behind the public
// facade, and IndexInternals, the one accessor through which the rest of the
// core (the file codec in persistence/, helpers of the index's own files)
// reaches it. The public header names only IndexInternals, so it changes when
// the API does, not when the internals do.
#pragma once

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hnsw/hnsw_graph.h"
#include "index/quantized_tier.h"
#include "index/tiered_store.h"
#include "ids/key_map.h"
#include "index/learning_hooks.h"
#include "index/paging_gate.h"
#include "index/router_training.h"
#include "metadata/attribute_store.h"
#include "neurovec/vector_index.h"
#include "persistence/durable_file.h"
#include "storage/vector_store.h"

namespace neurovec {

struct VectorIndex::Impl {
  explicit Impl(const IndexConfig& c)
      : config(c), store(c.dimensions, c.metric), graph(c.m, c.ef_construction, c.seed),
        tier(c.quantized.enabled() ? std::make_unique<QuantizedTier>(c.quantized, c.dimensions, c.metric) : nullptr),
        tiers(c.tiers.enabled ? std::make_unique<TieredStore>(c.tiers, c.dimensions, c.metric, &store) : nullptr) {}

  IndexConfig config;
  VectorStore store;
  HnswGraph graph;
  KeyMap keys;
  AttributeStore attributes;
  std::vector<uint8_t> live;        // 1 while a slot holds a live item
  std::vector<uint32_t> free_slots; // deleted slots, reused last-in first-out
  uint32_t used_slots = 0;          // high-water mark: slots [0, used_slots) were handed out
  uint64_t live_count = 0;
  std::unique_ptr<DurableFile> durable;  // set for an index kept in a file
  LearningState learning;                // feedback, learner, learned parameters (index/learning_hooks.h)
  // Sections of the layer above (VectorIndex::SetAttachedSectionsProvider).
  std::function<Result<VectorIndex::AttachedSections>()> attached_provider;
  VectorIndex::AttachedSections attached_loaded;
  // Attached sections a read-only paged open left in `attached_file`, which
  // lives as long as the index (VectorIndex::ReadAttachedSection).
  struct SectionInFile {
    uint32_t kind = 0;
    uint64_t offset = 0, length = 0;
    uint32_t crc = 0;
  };
  std::vector<SectionInFile> attached_in_file;
  Storage* attached_file = nullptr;
  Result<std::string> ReadSectionLeftInFile(uint32_t kind) const;  // VectorIndex::ReadAttachedSection
  std::unique_ptr<QuantizedTier> tier;    // quantized traversal (config.quantized), or null
  // Compression tiers (config.tiers), or null. Searches record accesses and
  // migrate through it (its own locks make that safe for concurrent searches).
  std::unique_ptr<TieredStore> tiers;

  // A repair pass spread over Optimize calls (OptimizeOptions::budget_ms).
  struct RepairPass {
    bool active = false;
    int phase = 0;          // 0: lists that link to deleted items; 1: stragglers; 2: the final count
    uint32_t cursor = 0;    // phase 0: the next slot
    int reconnect_passes = 0;
    uint64_t linked_this_pass = 0;
    std::vector<uint8_t> reached;      // phase 1: reachable slots, as of the last walk
    std::vector<uint32_t> in_links;    // phase 1: level-0 in-links from reachable nodes
    std::vector<uint32_t> stragglers;  // phase 1: live slots `reached` misses
    size_t straggler_at = 0;
    OptimizeReport report;  // the pass so far
    uint64_t removes_at_start = 0;
  };
  RepairPass repair;
  uint64_t removes = 0;  // items ever deleted (Unplace): did deletes interleave with a pass?
  bool last_pass_interleaved = false;  // the last completed pass saw deletes during it
  MaintenanceStats maintenance;
  uint64_t changes = 0;  // items ever added or deleted (MaintainAfterWrite)

  // Learned routing (index/routing_hooks.cc): the router, when trained.
  // Replaced only by TrainRouter/DropRouter, which are writes (never beside searches).
  struct Router {
    routing::StopModel model;
    float default_target = 0.99f;
    uint64_t changes_carried = 0;  // changes since training before this handle had it (from the file)
    // Neighbour skipping (routing/neighbour_filter.h): the basis and the
    // per-slot codes (read from the file, or built from the rows at install;
    // kept by Place). Empty table: skipping is off (no basis, or a paged store
    // whose file held no codes).
    routing::ProjectionBasis basis;
    routing::ProjectionTable table;
  };
  std::unique_ptr<Router> router;
  uint64_t changes_at_router = 0;  // `changes` when this handle got the router
  // A router training begun (BeginRouterTraining) and not yet finished.
  std::unique_ptr<RouterTraining> router_training;
  void InstallRouter(const routing::StopModel& model, float default_target, uint64_t changes_carried,
                     routing::ProjectionBasis basis = {}, routing::ProjectionTable table = {}) {
    router = std::make_unique<Router>();
    router->model = model;
    router->default_target = default_target;
    router->changes_carried = changes_carried;
    router->basis = std::move(basis);
    // A table built for this basis over every used slot (training's) is kept.
    if (table.rank() == router->basis.rank && table.slots() == used_slots && !router->basis.empty()) {
      router->table = std::move(table);
    } else {
      BuildProjectionTable();
    }
    changes_at_router = changes;
  }
  // The projections of every used slot's row, for neighbour skipping. A paged
  // store would read the whole file for them: its walks evaluate every
  // neighbour instead.
  void BuildProjectionTable() {
    Router& r = *router;
    r.table.Reset(r.basis.rank);
    if (r.basis.empty() || store.paged() || r.basis.stride != store.stride()) return;
    for (uint32_t s = 0; s < used_slots; ++s) r.table.Set(s, r.basis, store.Row(s));
  }
  bool SkipsNeighbours() const { return router && router->table.slots() > 0; }
  // Items added or deleted since the router was trained (0 without one).
  uint64_t RouterChanges() const { return router ? router->changes_carried + (changes - changes_at_router) : 0; }
  mutable std::atomic<uint64_t> learned_searches{0};
  mutable std::atomic<uint64_t> early_stops{0};
  mutable std::atomic<uint64_t> skipped_neighbours{0};
  mutable std::atomic<uint64_t> unfamiliar_searches{0};
  mutable std::atomic<uint64_t> routing_fallbacks{0};
  mutable std::atomic<uint64_t> plain_served{0};
  // The router a search uses (null: the plain walk). Counts a fallback when
  // the search asked for the learned walk and cannot have it.
  const Router* RouterFor(const SearchParams& params, bool filtered) const {
    if (params.routing == RoutingMode::kPlain) return nullptr;
    const bool usable = router && router->model.k == params.k && !filtered && !(tier && tier->trained()) &&
                        !(tiers && tiers->trained());
    if (usable) return router.get();
    if (params.routing == RoutingMode::kLearned) routing_fallbacks.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  // One step of the repair pass (OptimizeOptions::budget_ms; 0: to the end),
  // starting a pass if none is under way. No checkpoint (Optimize adds it).
  Result<OptimizeReport> RepairStep(double budget_ms);
  // After a write call that added or deleted `changed` items: counts them,
  // and with automatic maintenance on, starts or continues a pass within the
  // budget. A failed step is left for the next write (Optimize reports errors).
  void MaintainAfterWrite(uint64_t changed);

  // Ok when the index may be written now (always, unless a file refuses).
  Status BeforeWrite() {
    if (tiers) tiers->ApplyDeferredResidency();  // writes never overlap searches
    return durable ? durable->BeforeWrite() : Status::Ok();
  }

  // A paged store or graph (rows or level-0 lists read from the file on
  // demand) reads through block caches that searches share: a search holds
  // the gate shared, with a reader id of its own, and anything else that
  // reads pages holds it alone (index/paging_gate.h). Unpaged indexes (the
  // usual case) take nothing.
  PagingGate paging_gate{[this](uint32_t reader) {
    store.EndPagingReader(reader);
    graph.EndPagingReader(reader);
  }};
  bool paged() const { return store.paged() || graph.level0_paged(); }
  PagingGate::Hold LockIfPaged() const { return paged() ? paging_gate.Exclusive() : PagingGate::Hold(); }
  PagingGate::Hold ReadPagesShared() const { return paged() ? paging_gate.Shared() : PagingGate::Hold(); }
  // The storage paged rows or lists are read from (null when none are).
  Storage* PagingStorage() const {
    if (store.paged()) return store.paging_storage();
    return graph.level0_paged() ? graph.paging_storage() : nullptr;
  }
  // The first read failure of the paged vectors or level-0 lists since the
  // last call (both cleared): a failed block gave zeros or an empty list, so
  // the operation that read it must fail. The graph's first: its failure also
  // cut the walk short.
  Status TakePagingErrors() const {
    Status rows = store.TakePagingError();
    Status lists = graph.TakePagingError();
    return lists.ok() ? rows : lists;
  }
  // Before a write that changes links: a paged level 0 is read into memory
  // (writes are rare on an index opened for paging; this keeps the graph's
  // write paths as they are). Fails only if the file cannot be read.
  Status BeforeGraphWrite() { return graph.MaterializeLevel0(); }

  // Workload sampling (VectorIndex::SetWorkloadSampling): the last
  // `capacity` queries, in stored form (store.stride() floats each), written
  // by searches that get the lock without waiting.
  struct WorkloadSample {
    std::mutex mutex;
    uint32_t capacity = 0;
    uint32_t adapt_every = 0;  // WorkloadSamplingOptions (kept in the file with `adapt`)
    AdaptOptions adapt;
    std::vector<float> ring;
    uint64_t recorded = 0;
    uint64_t recorded_at_adaptation = 0;
    uint64_t adaptations = 0;
    // Under the mutex: the sample is due for another adaptation.
    bool Due() const {
      return adapt_every > 0 && recorded - recorded_at_adaptation >= adapt_every &&
             std::min<uint64_t>(recorded, capacity) >= adapt.min_queries;
    }
  };
  mutable WorkloadSample workload;
  mutable std::atomic<uint64_t> hinted_searches{0};
  mutable std::atomic<uint64_t> unhinted_searches{0};
  void RecordQuery(const float* encoded) const {
    if (workload.capacity == 0) return;
    std::unique_lock<std::mutex> lock(workload.mutex, std::try_to_lock);
    if (!lock.owns_lock() || workload.capacity == 0) return;
    const size_t stride = store.stride();
    std::copy(encoded, encoded + stride, workload.ring.data() + (workload.recorded % workload.capacity) * stride);
    ++workload.recorded;
  }
  void CountHint(const TraversalCounters& t) const {
    if (graph.entry_hints().empty()) return;
    (t.hinted_start ? hinted_searches : unhinted_searches).fetch_add(1, std::memory_order_relaxed);
  }

  mutable ContextPool<SearchContext> contexts;
  mutable std::atomic<uint64_t> searches{0};
  mutable std::atomic<uint64_t> distance_computations{0};
  mutable std::atomic<uint64_t> hops{0};
  mutable std::atomic<uint64_t> last_distance_computations{0};
  mutable std::atomic<uint64_t> last_hops{0};
  mutable std::atomic<bool> last_exact{false};

  // Once the index holds enough items for stable statistics, the store orders
  // dimensions by variance (see VectorStore::CalibrateDimensionOrder). It happens
  // once, before the items being added are stored, so builds stay reproducible.
  static constexpr size_t kCalibrationItems = 1024;
  // The quantized traversal's codec is trained right after (on stored-form
  // rows); a codec trained earlier (train_items < kCalibrationItems) describes
  // the old dimension order, so it is trained again on the reordered rows.
  Status MaybeCalibrate(const float* incoming, size_t n) {
    const bool reorder = !store.calibrated() && used_slots + n >= kCalibrationItems;
    if (reorder) store.CalibrateDimensionOrder(used_slots, incoming, n);
    // Tier codes made before the reorder describe the old order: start over
    // (every item hot; the codebooks train again at train_items).
    if (reorder && tiers && tiers->trained()) tiers->Forget(used_slots);
    if (!tier) return Status::Ok();
    if (reorder) tier->Forget();
    return tier->MaybeTrain(store, used_slots, incoming, n, live.size());
  }

  Status EnsureCapacity(size_t slots) {
    size_t capacity = live.size();
    if (slots <= capacity) return Status::Ok();
    if (slots > (size_t{1} << 31)) return Status::OutOfRange("an index holds at most 2^31 items");
    // Grow by half; start at about 4 MiB of vectors (16..1024 slots), so a
    // huge-dimensional index does not reserve hundreds of MiB for one item.
    const size_t first = std::clamp<size_t>((size_t{4} << 20) / (store.stride() * sizeof(float)), 16, 1024);
    size_t grown = std::max<size_t>({slots, capacity + capacity / 2, first});
    NV_RETURN_IF_ERROR(store.Reserve(grown));
    NV_RETURN_IF_ERROR(graph.Reserve(grown));
    if (tier) NV_RETURN_IF_ERROR(tier->Reserve(grown));
    if (tiers) NV_RETURN_IF_ERROR(tiers->Reserve(grown));
    keys.Reserve(grown);
    attributes.Reserve(grown);
    live.resize(grown, 0);
    return Status::Ok();
  }

  // Capacity needed to add n items: freed slots are reused first (all but the
  // entry point, see TakeSlot), only the rest extend the used range.
  size_t SlotsNeededFor(size_t n) const {
    size_t reusable = free_slots.size();
    for (uint32_t s : free_slots) reusable -= s == graph.entry_point();
    return static_cast<size_t>(used_slots) + (n > reusable ? n - reusable : 0);
  }

  // A slot for a new item: a freed one if any (never the graph's entry point,
  // which must keep its links), else the next unused one.
  uint32_t TakeSlot() {
    for (size_t i = free_slots.size(); i-- > 0;) {
      if (free_slots[i] != graph.entry_point()) {
        uint32_t slot = free_slots[i];
        free_slots.erase(free_slots.begin() + static_cast<std::ptrdiff_t>(i));
        return slot;
      }
    }
    return used_slots++;
  }

  // Writes everything but the graph links for a validated item.
  void Place(uint32_t slot, const ItemKey& key, const float* vector, const std::string& json,
             const JsonValue& parsed) {
    graph.ClearDeleted(slot);
    store.Store(slot, vector);
    if (SkipsNeighbours()) router->table.Set(slot, router->basis, store.Row(slot));
    if (tier) tier->Store(slot, store.Row(slot));
    if (tiers) tiers->OnPlace(slot);
    attributes.Set(slot, json, parsed);
    keys.Bind(key, slot);
    graph.PrepareSlot(slot, graph.DrawLevel());
    live[slot] = 1;
    ++live_count;
  }

  // Takes an item out: tombstone in the graph (neighbours relinked), slot freed.
  void Unplace(uint32_t slot) {
    std::unique_ptr<SearchContext> ctx = contexts.Acquire();
    graph.MarkDeletedAndRepair(slot, used_slots, store, *ctx);
    contexts.Release(std::move(ctx));
    keys.Unbind(slot);
    attributes.Clear(slot);
    if (tiers) tiers->OnRemove(slot);
    live[slot] = 0;
    --live_count;
    free_slots.push_back(slot);
    ++removes;
  }

  // After a write added items: codebooks train once enough items are live,
  // then one migration step (writes never overlap searches: no try).
  Status AfterAdd() {
    if (!tiers) return Status::Ok();
    // The items are in: a training failure must not report the add as failed.
    // Every item stays hot meanwhile (still correct); Recompress and
    // RetrainCodebooks report the error.
    (void)tiers->MaybeTrain(used_slots, live, live_count);
    tiers->MigrateStep(used_slots, false);
    return Status::Ok();
  }

  Status ValidateQuery(const float* query, const SearchParams& params) const {
    if (params.k == 0) return Status::InvalidArgument("k must be a positive integer, got 0");
    if (!(params.target_recall >= 0.0f && params.target_recall <= 1.0f)) {
      return Status::InvalidArgument("target_recall must be between 0 and 1 (0: the router's default)");
    }
    if (params.expand > SearchParams::kMaxExpand) {
      return Status::InvalidArgument("expand must be at most " + std::to_string(SearchParams::kMaxExpand));
    }
    if (params.memory_neighbours < 1 || params.memory_neighbours > SearchParams::kMaxMemoryNeighbours) {
      return Status::InvalidArgument("memory neighbours must be from 1 to " +
                                     std::to_string(SearchParams::kMaxMemoryNeighbours));
    }
    if (!(params.memory_strength >= 0 && params.memory_strength <= SearchParams::kMaxMemoryStrength)) {
      return Status::InvalidArgument("memory strength must be from 0 to 1e6 (0: the click memory is not read)");
    }
    if (!(params.memory_reject_weight >= 0 && params.memory_reject_weight <= SearchParams::kMaxMemoryRejectWeight)) {
      return Status::InvalidArgument("memory reject weight must be from 0 to 100");
    }
    if (params.memory_min_events > LearningConfig::kMaxMemoryCapacity) {
      return Status::InvalidArgument("memory min events must be from 0 to " +
                                     std::to_string(LearningConfig::kMaxMemoryCapacity));
    }
    if (!(params.memory_min_similarity >= -1 && params.memory_min_similarity <= 1)) {
      return Status::InvalidArgument("memory min similarity must be from -1 to 1 (a cosine)");
    }
    if (params.memory_scan > SearchParams::kMaxMemoryScan) {
      return Status::InvalidArgument("memory scan must be from 0 to " + std::to_string(SearchParams::kMaxMemoryScan) +
                                     " (0: every past event)");
    }
    if (!(params.memory_half_life >= 0 && params.memory_half_life <= float(LearningConfig::kMaxMemoryCapacity))) {
      return Status::InvalidArgument("memory half-life must be from 0 to " + std::to_string(LearningConfig::kMaxMemoryCapacity) +
                                     " events (0: no decay)");
    }
    if (params.ef > IndexConfig::kMaxEf) {
      return Status::InvalidArgument("ef must be at most " + std::to_string(IndexConfig::kMaxEf));
    }
    Status s = store.Validate(query);
    if (!s.ok()) return Status::InvalidArgument("query: " + s.message());
    return Status::Ok();
  }

  // The graph walk of a search: on codes once the quantized traversal is
  // trained (its best candidates re-ranked exactly), else on f32 rows. Leaves
  // candidates with exact distances in ctx.results; returns how many the walk
  // found (fewer than ef only when it ran out of reachable nodes).
  template <typename Accept>
  size_t Walk(const float* query, uint32_t ef, uint32_t k, const Accept& accept, bool everything_accepted,
              SearchContext& ctx, TraversalCounters& counters) const {
    if (tier && tier->trained()) return tier->Search(graph, store, query, ef, k, accept, everything_accepted, ctx, counters);
    if (tiers && tiers->trained()) return tiers->Search(graph, store, query, ef, k, accept, everything_accepted, ctx, counters);
    graph.Search(query, ef, store, accept, everything_accepted, ctx, counters);
    return ctx.results.size();
  }

  template <typename Accept>
  void ExactScan(const float* query, uint32_t k, const Accept& accept, std::vector<Candidate>& heap,
                 TraversalCounters& counters) const {
    heap.clear();
    for (uint32_t slot = 0; slot < used_slots; ++slot) {
      if (!live[slot] || !accept(slot)) continue;
      float d = heap.size() < k ? store.Distance(query, store.Row(slot))
                                : store.DistanceBounded(query, store.Row(slot), heap.front().distance);
      ++counters.distance_computations;
      KeepClosest(heap, k, {d, slot});
    }
  }

  void Record(const TraversalCounters& c, bool exact, SearchCounters* out) const {
    searches.fetch_add(1, std::memory_order_relaxed);
    distance_computations.fetch_add(c.distance_computations, std::memory_order_relaxed);
    hops.fetch_add(c.hops, std::memory_order_relaxed);
    last_distance_computations.store(c.distance_computations, std::memory_order_relaxed);
    last_hops.store(c.hops, std::memory_order_relaxed);
    last_exact.store(exact, std::memory_order_relaxed);
    if (out) *out = {c.distance_computations, c.hops, exact};
    CountHint(c);
  }
};

// The accessor: IndexState names VectorIndex::Impl (private) for code that is
// not a member of VectorIndex, and Of() reaches an index's state.
struct IndexInternals {
  using State = VectorIndex::Impl;
  static State& Of(VectorIndex& index) { return *index.impl_; }
  static const State& Of(const VectorIndex& index) { return *index.impl_; }
};
using IndexState = IndexInternals::State;

}  // namespace neurovec
