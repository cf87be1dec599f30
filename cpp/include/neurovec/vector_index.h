// neurovec's public C++ API: an HNSW vector index with metadata filters.
//
// Contract
// - Vectors have IndexConfig::dimensions finite floats (no NaN or Inf).
// - Ids (ItemKey) are unique among live items; deleting an id frees it for reuse.
// - search() returns up to k live items, ascending by distance (see metric.h for
//   what distance means per metric), never a deleted item. When a filter is given
//   it is applied during the traversal, and when few items match the index scans
//   the matches exactly, so a search returns k results whenever k live items match.
// - Every fallible call returns a Status; on error the index is unchanged.
// - Threading: any number of concurrent search()/get()/stats() calls are safe.
//   Writes (add, add_batch, remove) must not overlap other calls; add_batch
//   parallelises internally when asked to.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "neurovec/config.h"
#include "neurovec/item_key.h"
#include "neurovec/learning.h"
#include "neurovec/status.h"

namespace neurovec {

class Storage;

struct SearchHit {
  uint32_t slot;   // dense internal id (stable while the item lives)
  float distance;  // smaller is closer
};

struct SearchCounters {
  uint64_t distance_computations = 0;  // vector distances evaluated
  uint64_t hops = 0;                   // graph nodes expanded (all levels)
  bool exact_scan = false;             // a filtered search that scanned matches exactly
};

// The file behind a durable index (VectorIndex::Create with a Storage, or Open).
struct FileStats {
  uint64_t generation = 0;         // of the header in use (1 when created, +1 per checkpoint)
  uint64_t image_bytes = 0;        // of the image in use
  uint64_t log_bytes = 0;          // written to the log since that image
  uint64_t pending_bytes = 0;      // appended to the log, not yet written
  uint64_t replayed_records = 0;   // log records applied when the file was opened
  bool trimmed_torn_tail = false;  // the log ended in a torn, unacknowledged group when opened
  uint64_t checkpoints = 0;        // by this handle
  uint64_t syncs = 0;              // flushes of the log by this handle
};

// Bytes held, by part (IndexStats::memory).
struct MemoryStats {
  uint64_t vectors = 0;  // f32 rows (stored form, padded) and norms, all allocated slots
  uint64_t codes = 0;    // quantized traversal codes (0 without, or before training)
  uint64_t graph = 0;    // HNSW links and levels
  uint64_t other = 0;    // ids, metadata, flags
  uint64_t total = 0;    // the sum
  uint64_t raw_f32 = 0;  // live items x dimensions x 4: the vectors alone, unpadded (for comparison)
  // Compression tiers (IndexConfig::tiers; all 0 without). tier_bytes[t]: the
  // vector bytes of tier t's items (hot: their f32 rows, stride floats each;
  // others: their codes, which `codes` sums). codebooks: shared codec state.
  uint64_t tier_bytes[kTierCount] = {};
  uint64_t codebooks = 0;
  // Projected, not resident: the vector memory once the rows of non-hot items
  // are released (a file-backed store pages them): hot rows + codes +
  // codebooks. `vectors + codes + codebooks` is what is resident now.
  uint64_t vectors_if_released = 0;
};

// Items per tier (IndexStats::tiers), or moved into each tier (Recompress).
struct TierCounts {
  uint64_t count[kTierCount] = {};  // indexed by Tier
  uint64_t total() const {
    uint64_t t = 0;
    for (uint64_t c : count) t += c;
    return t;
  }
};

// Rows and level-0 neighbour lists read from the file on demand
// (OpenOptions::page_cache_bytes), each through its own block cache.
struct PagingStats {
  bool paged = false;          // rows live in the file, read through the block cache
  uint64_t cache_bytes = 0;    // the cache's bound
  uint64_t cached_bytes = 0;   // blocks held now
  uint64_t block_reads = 0;    // blocks read from the file
  uint64_t bytes_read = 0;
  uint64_t hits = 0;           // row reads served by the cache
  uint64_t misses = 0;
  // The graph's level-0 lists (until the first write reads them all in).
  bool graph_paged = false;
  uint64_t graph_cache_bytes = 0;
  uint64_t graph_cached_bytes = 0;
  uint64_t graph_block_reads = 0;
  uint64_t graph_bytes_read = 0;
  uint64_t graph_hits = 0;     // list reads served by the cache
  uint64_t graph_misses = 0;
};

// How VectorIndex::Optimize runs.
struct OptimizeOptions {
  // About this many milliseconds of work per call (0: the whole repair in one
  // call). A call that runs out of budget returns with done = false; the next
  // call continues where it stopped, so searches can run between calls.
  // Writes between calls are fine: what they change is repaired by the next
  // pass. A call does at least one unit of work: 64 slots' lists, one
  // straggler's link, or one reachability walk over the graph (O(slots * M):
  // about 10 ms for 60k items with M = 16 natively).
  double budget_ms = 0;
  Status Validate() const;
};

// Automatic repair while the index is written (VectorIndex::SetMaintenance):
// once enough of the index changed since the last repair pass, a pass starts
// (what Optimize does, without the checkpoint), and each write call (Add,
// AddBatch, Remove) then spends about budget_ms_per_write on it after its own
// work, as tier migration runs a step per write. A runtime setting, not kept
// in the file: set it after Create or Open.
struct MaintenanceOptions {
  double budget_ms_per_write = 0;  // 0: off (Optimize by hand)
  // A pass starts once this many items were added or deleted since the last
  // one started, as a fraction of the live items.
  double trigger_fraction = 0.05;
  Status Validate() const;
};

// Repair passes so far (IndexStats::maintenance), automatic or by Optimize.
struct MaintenanceStats {
  MaintenanceOptions options;
  uint64_t passes = 0;              // completed
  uint64_t lists_relinked = 0;      // over all completed passes
  uint64_t reconnected = 0;
  uint64_t changes_since_pass = 0;  // items added or deleted since the last pass started
  bool pass_active = false;         // a pass is under way (spread over calls)
  double progress = 0;              // of that pass, 0..1
  double milliseconds = 0;          // spent in repair passes, all told
  uint64_t unreachable_after_last_pass = 0;
};

// Training a router (VectorIndex::TrainRouter): a small model that ends the
// level-0 walk once its top-k is likely final (routing/stop_policy.h). It
// learns from the index alone (sampled stored items serve as queries, each
// leaving itself out) or from given queries; their exact neighbours come
// from a scan, and walks at
// `ef` record their state after each expansion. A share of the items is held
// out to calibrate the stopping threshold for each target recall.
struct RouterOptions {
  uint32_t k = 10;               // searches with this k use the router (1..64)
  uint32_t ef = 128;             // the walk the router learns to cut short (>= k)
  uint32_t items = 3000;         // sampled items (at most the live count)
  // Of the items or queries, held out for the thresholds (0.1..0.9). The stopping
  // rule has 9 weights, so most walks calibrate: 0.7 reached each target within
  // 0.004 over 3 seeds on the tuning split, 0.3 missed by up to 0.011.
  double calibration_share = 0.7;
  // For searches that name none (0.5..1). 0.99: close to what a plain search
  // at the default ef gives, and where the learned walk pays (bench:routing:
  // at 0.95 on Fashion-MNIST it was slower than the plain walk).
  float default_target_recall = 0.99f;
  uint64_t seed = 1;
  uint32_t threads = 1;          // the exact scans and walks (natively, and in the threaded wasm build)
  // Neighbour skipping (routing/neighbour_filter.h): the rank of the
  // projection whose estimates let a walk skip neighbours past its bound; a
  // multiple of 16 up to 128, 0 for none. L2 and cosine only (other metrics,
  // and paged stores, walk without it). Costs rank + 4 bytes per item (a byte
  // code per coordinate and a residual), in memory and in the file, and rank x
  // dimensions floats of basis in the file. The margin per target recall is
  // chosen on the held-out walks.
  uint32_t skip_rank = 64;
  // Queries to learn from instead of sampled items (for example queries the
  // index has served): query_count rows of `dimensions` floats, in the order
  // given (the first 1 - calibration_share train). Null: sampled items.
  const float* queries = nullptr;
  size_t query_count = 0;
  // Per target recall, time the learned walk against the plain walk at the
  // ef that reaches the same target on the held-out walks (one thread, the
  // two in turn, best of three passes), and let the plain walk serve the
  // targets where it was faster (RouterReport::plain_serves). Both reach the
  // target; the learned walk walks at `ef` and pays for its larger result set
  // per distance, so on low-dimensional data or at low targets it can be the
  // slower one. Timing makes the choice depend on the machine and its load:
  // false keeps every target on the learned walk (the same router each time).
  bool plain_when_faster = true;
  // Called now and then with the fraction done; returning false cancels
  // (kCancelled, nothing changes).
  std::function<bool(double)> on_progress;
  Status Validate() const;
};

// What TrainRouter measured on its held-out items.
struct RouterReport {
  uint64_t training_walks = 0;
  uint64_t calibration_walks = 0;
  uint64_t records = 0;         // walk states the model was fitted on
  double seconds = 0;
  // Held-out walks at ef without stopping early: mean recall@k and distance
  // computations; and with the default target's threshold.
  double full_walk_recall = 0;
  double full_walk_computations = 0;
  double routed_recall = 0;
  double routed_computations = 0;
  double routed_estimates = 0;  // neighbour-filter tests per walk (each about skip_rank / dimensions of a distance)
  uint32_t skip_rank = 0;       // 0: the walks evaluate every neighbour
  float skip_margins[8] = {};   // per target recall 0.80, 0.85, 0.90, 0.93, 0.95, 0.97, 0.98, 0.99 (0: no skipping)
  // Per target recall as skip_margins: the smallest ef whose plain walks of
  // the held-out items reached it (`ef` where none below it did: the learned
  // walk without its early stops and skips), and whether that walk
  // serves the target (RouterOptions::plain_when_faster); the learned walk's
  // and the plain walk's microseconds per held-out query (0 where not timed).
  uint32_t plain_ef[8] = {};
  bool plain_serves[8] = {};
  double learned_us[8] = {};
  double plain_us[8] = {};
  uint64_t model_bytes = 0;     // what the router adds to the index file
  uint32_t threads = 1;         // threads the walks ran on (RouterOptions::threads, or 1 where they cannot)
};

// Where a router training begun with BeginRouterTraining stands.
struct RouterTrainingProgress {
  uint64_t walks_done = 0;
  uint64_t walks_total = 0;
  bool done = false;    // the router is trained and in use; `report` says how it did
  RouterReport report;
};

// Learned routing so far (IndexStats::routing).
struct RoutingStats {
  bool trained = false;
  uint32_t k = 0;               // of the router
  uint32_t ef = 0;              // its training ef
  uint64_t learned_searches = 0;
  uint64_t early_stops = 0;     // learned searches the model ended before HNSW's own rule
  uint64_t fallbacks = 0;       // searches that asked for the router (kLearned) and walked plainly
  // Searches the router sent to the plain walk at its calibrated ef, because
  // that walk was the faster for their target (RouterReport::plain_serves).
  uint64_t plain_served = 0;
  // Learned searches for queries unlike the training ones (k-th distance past
  // the router's familiar bound), which therefore walked to HNSW's own rule.
  uint64_t unfamiliar = 0;
  uint64_t changes_since_training = 0;  // items added or deleted since the router was trained
  // Neighbour skipping (RouterOptions::skip_rank): neighbours of learned walks
  // whose projected distance was past the walk's bound, so never computed.
  uint64_t skipped_neighbours = 0;
  uint32_t skip_rank = 0;         // rank of the router's projection (0: skipping off)
  uint64_t skip_table_bytes = 0;  // memory of the per-item projections
};

// What VectorIndex::Optimize did (in a pass spread over several calls: the
// pass so far).
struct OptimizeReport {
  uint64_t lists_relinked = 0;      // neighbour lists that linked to deleted items, re-selected
  uint64_t reconnected = 0;         // live items given a link from the reachable graph
  uint64_t unreachable_before = 0;  // IndexHealth::unreachable before ...
  uint64_t unreachable_after = 0;   // ... and after (once done)
  bool done = true;                 // false: the budget ran out; call again to go on
  double progress = 1;              // of the pass, 0..1
};

// Workload adaptation (VectorIndex::AdaptToWorkload): the index learns where
// its queries concentrate and starts their walks there. The queries come
// from a sample the index keeps of its recent searches
// (SetWorkloadSampling), or are given. They are clustered (k-means), and the
// stored item nearest each centre becomes an entry hint; a search whose
// nearest hint is within the bound starts its walk at that hint instead of
// descending from the top of the graph (on Fashion-MNIST 60k, M 16, that
// descent is about 68 of a search's distance computations). A search far
// from every hint pays `hints` distances and walks as before.
struct AdaptOptions {
  // Clusters, so entry hints (1..1024). Each costs every search one distance
  // computation; 8 did best on Fashion-MNIST (bench/results/workload.md).
  uint32_t hints = 8;
  // The bound: hints serve this share of the adapting queries, those nearest
  // to a hint (0..1).
  float coverage = 0.9f;
  // At least this many queries (sampled or given) to adapt from (>= 1);
  // fewer gives kFailedPrecondition, nothing changes.
  uint32_t min_queries = 256;
  // Queries to adapt from instead of the sample: query_count rows of
  // `dimensions` floats.
  const float* queries = nullptr;
  size_t query_count = 0;
  uint64_t seed = 1;

  static constexpr uint32_t kMaxHints = 1024;
  Status Validate() const;
};

// Workload sampling, and when to adapt again (VectorIndex::SetWorkloadSampling).
// Kept in the file (section "workload", from the next save or checkpoint)
// with the entry hints, so a reopened index samples and starts walks as before;
// the sampled queries themselves are not kept.
struct WorkloadSamplingOptions {
  // Queries kept: each unfiltered search copies its query into a ring of the
  // last `capacity` (capacity x dimensions floats of memory; 0: off).
  uint32_t capacity = 0;
  // Adapting again: once this many queries were recorded since the last
  // adaptation (and the sample holds adapt.min_queries),
  // WorkloadStats::adaptation_due turns true and AdaptWorkloadIfDue runs
  // AdaptToWorkload(adapt). The JS API calls it after the search that made it
  // due, so hints follow a moving workload with no call of the user's. 0: off.
  // At most 1 << 24.
  uint32_t adapt_every = 0;
  AdaptOptions adapt;  // its queries must be null: adapting again reads the sample

  static constexpr uint32_t kMaxWorkloadSample = 1u << 20;  // capacity: 0 .. this
  static constexpr uint32_t kMaxAdaptEvery = 1u << 24;      // adapt_every: 0 .. this
  Status Validate() const;
};

struct AdaptReport {
  uint32_t hints = 0;     // distinct entry hints installed
  float bound = 0;        // in the metric's search distance
  uint64_t queries = 0;   // clustered
  double seconds = 0;
};

// Workload sampling and adaptation so far (IndexStats::workload). The
// settings and hints are kept in the file; the counters start at 0 at open.
struct WorkloadStats {
  uint32_t sample_capacity = 0;    // SetWorkloadSampling (0: off)
  uint32_t adapt_every = 0;        // WorkloadSamplingOptions::adapt_every (0: adapt by hand)
  bool adaptation_due = false;     // adapt_every queries recorded since the last adaptation
  uint64_t adaptations = 0;        // AdaptToWorkload runs since the index was opened (automatic ones included)
  uint64_t sampled = 0;            // queries in the sample now
  uint64_t recorded = 0;           // queries ever recorded
  uint64_t since_adaptation = 0;   // recorded since the last AdaptToWorkload
  uint32_t hints = 0;              // entry hints in use (0: none)
  float bound = 0;
  uint64_t hinted_searches = 0;    // searches that started at a hint
  uint64_t unhinted_searches = 0;  // searches with hints in use that descended from the top
};

struct IndexStats {
  uint64_t size = 0;          // live items
  uint64_t deleted = 0;       // slots of deleted items not yet reused
  uint64_t capacity = 0;      // allocated slots
  uint32_t dimensions = 0;
  Metric metric = Metric::kCosine;
  uint32_t max_level = 0;     // top level of the graph
  uint64_t searches = 0;      // search() calls since creation
  uint64_t distance_computations = 0;  // summed over all searches
  uint64_t hops = 0;                   // summed over all searches
  SearchCounters last_search;          // the most recent search
  uint64_t memory_bytes = 0;  // vectors + codes + graph + ids + metadata, approximately (memory.total)
  MemoryStats memory;
  TierCounts tiers;           // live items per tier (all 0 without IndexConfig::tiers)
  bool durable = false;       // kept in a file (FileStats below), or in memory only
  FileStats file;
  PagingStats paging;
  MaintenanceStats maintenance;
  RoutingStats routing;
  WorkloadStats workload;
};

// How sound the graph is (VectorIndex::Health): what searches can reach, and
// what deletes left behind.
struct IndexHealth {
  uint64_t live = 0;        // live items
  uint64_t tombstones = 0;  // deleted items still in the graph (slots not yet reused)
  // Live items no search can find, whatever the ef: no path from the entry
  // point whose levels never go up (greedy descent, then level 0) reaches
  // them through live items; and even with deleted items as stepping stones
  // (as searches walk today).
  uint64_t unreachable = 0;
  uint64_t unreachable_through_tombstones = 0;
  uint64_t links_to_tombstones = 0;  // level-0 links from live items to deleted ones
  double mean_out_degree = 0;        // level-0 links between live items, per live item
  // out_degree_histogram[d]: live items with d level-0 links to live items (0 .. 2*M).
  std::vector<uint64_t> out_degree_histogram;
};


struct OpenOptions {
  bool read_only = false;  // never write the file (no writer lock; writes are refused)
  // Check the CRC-32C of every section. Off: the two large sections (vectors,
  // level-0 lists) are not read at open, so a read-only mapped file opens in
  // time independent of its size; every other section and every link is
  // still checked (a damaged vector then gives wrong distances, never a crash).
  bool verify_checksums = true;
  // Above 0: the vectors and the graph's level-0 lists are not read at open
  // but on demand, in blocks of about 4 KiB, keeping at most this many bytes
  // of blocks in memory (the lists' cache takes up to all of them or half
  // the bound, the vectors' the rest; each block's CRC-32C is checked as it
  // is read when verify_checksums is on, and each block of lists is checked
  // for valid links). An open then reads the ids, metadata and the graph's
  // levels and upper lists only, and memory follows what searches touch. For storages that cannot map the file (wasm,
  // writable native files); a read-only mapped native file is used in place
  // anyway. Rows written later are kept in memory; the first write that
  // changes links reads all level-0 lists in. Searches of a paged index take
  // turns (they share the cache). 0: read every vector and list at open.
  uint64_t page_cache_bytes = 0;
};

// Called during add_batch with (done, total); return false to stop early (the
// items inserted so far stay, the call returns kAborted).
using ProgressCallback = std::function<bool(uint64_t done, uint64_t total)>;

struct BatchOptions {
  uint32_t threads = 1;               // native, and the threaded wasm build; 1 in the single-thread wasm build
  ProgressCallback on_progress;       // optional
  uint64_t progress_every = 1024;     // items between callbacks
};

class VectorIndex {
 public:
  static Result<std::unique_ptr<VectorIndex>> Create(const IndexConfig& config);

  // A durable index: a new file on `storage` (see persistence/durable_file.h
  // and docs/file-format.md). Writes are appended to the file's log; Sync()
  // makes everything written before it durable.
  static Result<std::unique_ptr<VectorIndex>> Create(const IndexConfig& config, std::unique_ptr<Storage> storage);
  // Opens an index file (written by Create+Sync, Checkpoint, SaveToBytes or the
  // CLI): the newest valid header, its image, then the log. A torn last log
  // group (a crash during a flush, never acknowledged) is dropped; damage
  // anywhere else is kCorrupt.
  static Result<std::unique_ptr<VectorIndex>> Open(std::unique_ptr<Storage> storage, const OpenOptions& options = {});
  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  const IndexConfig& config() const;

  // Adds one item. metadata_json: empty, or a JSON object whose top-level
  // string, number and boolean fields can be filtered on. Returns the slot.
  Result<uint32_t> Add(const ItemKey& key, const float* vector, const std::string& metadata_json = "");

  // Adds n items; vectors is n*dimensions floats. metadata_json is empty or has n
  // entries. All input is validated before anything is inserted, so a bad item
  // leaves the index unchanged.
  Status AddBatch(const std::vector<ItemKey>& keys, const float* vectors,
                  const std::vector<std::string>& metadata_json, const BatchOptions& options);

  Result<std::vector<SearchHit>> Search(const float* query, const SearchParams& params,
                                        SearchCounters* counters = nullptr) const;

  // Searches n queries (n * dimensions floats, row after row) with the same
  // params, on up to `threads` threads (1 in the single-thread wasm build):
  // (*out)[i] gets the hits of query i, exactly what Search() returns for
  // it. An index paged from its file searches on every thread too, sharing
  // its block caches; when the file's storage reads only on the calling
  // thread (wasm), that thread serves reads and `threads` others search, if
  // the caches can hold every paged block (else the batch runs on the
  // calling thread: reads that cross threads cost more than they save).
  // Returns the status of the first query that failed (out is then
  // incomplete).
  Status SearchBatch(const float* queries, size_t n, const SearchParams& params, uint32_t threads,
                     std::vector<std::vector<SearchHit>>* out) const;

  // Exact k nearest live items (brute force): the oracle for recall tests.
  Result<std::vector<SearchHit>> SearchExact(const float* query, uint32_t k) const;

  // Deletes an item; false if the id is unknown.
  Result<bool> Remove(const ItemKey& key);

  // Replaces the metadata of a live item (empty: none). kNotFound for an unknown id.
  Status SetMetadata(const ItemKey& key, const std::string& metadata_json);

  // Quantized traversal (IndexConfig::quantized). Enable turns it on for an
  // index that never held an item (kFailedPrecondition otherwise); the C ABI
  // uses it after nv_create. RetrainQuantizer trains the codec again on the
  // live items and re-encodes every slot (the data drifted, or to train before
  // train_items is reached); a durable index is then checkpointed, since the
  // log has no record for a codebook.
  Status EnableQuantizedTraversal(const QuantizedTraversalConfig& config);
  Status RetrainQuantizer();
  bool quantized_traversal_trained() const;

  // Compression tiers (IndexConfig::tiers, see config.h for the policy).
  // EnableTiers turns them on for an index that never held an item (the C ABI
  // uses it after nv_create); kFailedPrecondition otherwise.
  Status EnableTiers(const TiersConfig& config);
  // Moves every item whose heat says so to its tier now (with hysteresis) and
  // returns how many items moved into each tier. Trains the codebooks first
  // when they are not trained yet (kFailedPrecondition with fewer than 256
  // live items). Tier changes and access statistics reach a file at the next
  // checkpoint (they are not logged).
  Result<TierCounts> Recompress();
  // Trains the shared codebooks again on the live items and re-encodes every
  // non-hot item (the data drifted). A durable index is then checkpointed.
  Status RetrainCodebooks();
  bool tier_codebooks_trained() const;
  // Switches the access clock to caller-driven time (seconds; the same origin
  // for every call) and sets it to `now_seconds`. Time must not go backwards
  // (kInvalidArgument). Without a call the wall clock is used.
  Status SetTierClock(double now_seconds);
  // Per-item state for a live or deleted slot < used slots (tests, tools):
  // tier, decayed access count and heat at the clock's current time.
  Result<Tier> TierOfSlot(uint32_t slot) const;
  Result<double> AccessCountOfSlot(uint32_t slot) const;
  Result<double> HeatOfSlot(uint32_t slot) const;

  // Durable indexes: Sync writes and flushes the log (Ok: every earlier write
  // survives a crash); Checkpoint folds the log into a new image; Close syncs
  // and releases the file (the index stays readable in memory: a paged index
  // reads its vectors in first). In-memory
  // indexes: Sync, Checkpoint and Close do nothing.
  Status Sync();
  Status Checkpoint();
  // keep_in_memory false: the index is about to be destroyed, so a paged
  // index does not first read its vectors into memory (the bindings' close).
  Status Close(bool keep_in_memory = true);
  bool durable() const;
  // True for a durable index opened read-only: writes, Sync and Checkpoint
  // are refused; Close only releases the file.
  bool read_only() const;

  bool Contains(const ItemKey& key) const;
  // Slot of a live id, or NotFound.
  Result<uint32_t> SlotOf(const ItemKey& key) const;
  // Copies the stored vector of a live slot into out (dimensions floats).
  // For cosine the vector is rebuilt from its unit direction and norm.
  void GetVector(uint32_t slot, float* out) const;
  const std::string& Metadata(uint32_t slot) const;
  const ItemKey& KeyOf(uint32_t slot) const;

  uint64_t size() const;
  IndexStats Stats() const;
  // Walks the graph (every link, twice) and reports what it found.
  // O(slots * M); reads a paged level 0 from the file (past the cache).
  // Errors: a paged read's.
  Result<IndexHealth> Health() const;
  // Repairs the graph: every link from a live item to a deleted one is
  // replaced (the heuristic re-run over the item's live links and the
  // deleted items' live links), then each live item no search can reach gets
  // a link from the nearest reachable item that takes it (a few passes).
  // Ids, vectors and metadata do not change. A write; a durable index
  // checkpoints once the pass is done (the log holds no graph repairs).
  // With options.budget_ms, the pass is spread over calls (see OptimizeOptions);
  // a call without a budget always ends with every deleted item unlinked and
  // every live item it could reach linked (it finishes a pass begun in slices,
  // then, if items were deleted meanwhile, runs a whole pass).
  Result<OptimizeReport> Optimize(const OptimizeOptions& options = {});
  // Automatic repair while writing (see MaintenanceOptions). Errors: bad options.
  Status SetMaintenance(const MaintenanceOptions& options);

  // Workload sampling: each unfiltered search from now on copies its query
  // into a ring of the last `capacity` queries (capacity x dimensions floats
  // of memory; 0 turns it off and frees the ring). Concurrent searches that
  // find the ring busy skip recording. Errors: capacity over 1 << 20.
  Status SetWorkloadSampling(uint32_t capacity);
  // The same, with automatic re-adaptation (see WorkloadSamplingOptions).
  // Errors: bad options; nothing changes.
  Status SetWorkloadSampling(const WorkloadSamplingOptions& options);
  // Adapts the walk's start to the workload (see AdaptOptions), replacing
  // earlier hints; run it again when the workload moves (WorkloadStats:
  // hinted searches fall), or let adapt_every do it. The hints are kept in
  // the file from the next save or checkpoint. Not to be run beside
  // searches (a write call). Errors: bad options, kFailedPrecondition with
  // fewer than min_queries queries or an empty index.
  Result<AdaptReport> AdaptToWorkload(const AdaptOptions& options = {});
  // Runs AdaptToWorkload with the sampling options' `adapt` when
  // WorkloadStats::adaptation_due; returns whether it ran. Cheap when not due
  // (a lock and two counters). A write call, like AdaptToWorkload.
  Result<bool> AdaptWorkloadIfDue();
  // WorkloadStats::adaptation_due without gathering the other statistics.
  bool WorkloadAdaptationDue() const;
  // Forgets the hints: every walk descends from the top again. A write call.
  void DropWorkloadAdaptation();

  // Learned routing (see RouterOptions, SearchParams::routing): trains the
  // router from the index's own items (or given queries) and keeps it for
  // searches with its k, replacing any earlier router. It is part of the
  // file (section "router"): a durable index is checkpointed. A write call.
  // Errors: bad options, an index with fewer than max(100, 2k) live items,
  // kAborted when on_progress cancels (nothing changes).
  Result<RouterReport> TrainRouter(const RouterOptions& options = {});
  // The same training in slices, for hosts that must not block (the wasm
  // module): Begin checks the options and copies the queries (on_progress is
  // not called; RouterOptions::threads applies to each step natively); each
  // Step records up to max_walks walks (>= 1), and the step that records the
  // last one fits the router and installs it (done). A write to the index
  // between steps ends the training (kFailedPrecondition from the next step);
  // Cancel ends it with nothing changed. kFailedPrecondition for a Step with
  // no training begun.
  Status BeginRouterTraining(const RouterOptions& options);
  Result<RouterTrainingProgress> RouterTrainingStep(uint32_t max_walks);
  void CancelRouterTraining();
  // Forgets the router (searches walk plainly); a durable index is
  // checkpointed. A write call.
  Status DropRouter();

  // The whole index as one file image (format: docs/file-format.md). The same
  // bytes load natively and in wasm; saving what was loaded gives the same bytes.
  // ToBytes fails only when a paged index's file cannot be read back (rows,
  // or attached sections left in it, such as a damaged text encoder);
  // SaveToBytes then returns an empty string.
  Result<std::string> ToBytes() const;
  std::string SaveToBytes() const;
  // The same bytes as ToBytes, written to `storage` (emptied first) in chunks
  // of a few MiB and flushed, so an index of any size is saved without its
  // image in memory. Errors: the storage's, or those of ToBytes. On an error
  // the storage holds no valid index (write to a temporary file and rename,
  // as the JS save() does, to keep an older file).
  Status SaveTo(Storage& storage) const;
  // Reads a file image. Every size is checked against the bytes present before
  // anything is allocated; a bad image gives kNotAnIndexFile, kUnsupportedVersion or
  // kCorrupt (naming the section or offset), never a crash.
  static Result<std::unique_ptr<VectorIndex>> LoadFromBytes(const uint8_t* data, size_t size);

  // ---- Learning (issue 5): neurovec/learning.h, implemented in index/learning_hooks.cc.
  // Needs the learning engine (learning::EnableLearning()); kFailedPrecondition otherwise.
  // Learner options; only before any feedback was recorded or a model learned.
  Status ConfigureLearning(const LearningConfig& config);
  const LearningConfig& learning_config() const;
  // Records that for `query` the user chose `positives` and rejected `negatives`
  // (live ids; at least one positive). Bounded memory: a reservoir of
  // LearningConfig::feedback_capacity events. Slots are kept, so an id deleted
  // before training drops out of its events. The last `implicit_negatives`
  // negatives were only shown and skipped, not rejected: the refiner learns
  // from them, the click memory (LearningConfig::memory_capacity), which
  // records the event too, does not.
  Status Feedback(const float* query, const std::vector<ItemKey>& positives, const std::vector<ItemKey>& negatives,
                  uint32_t implicit_negatives = 0);
  Status FeedbackSlots(const float* query, const std::vector<uint32_t>& positives, const std::vector<uint32_t>& negatives,
                       uint32_t implicit_negatives = 0);
  // Trains the query refiner on the feedback recorded since the last training
  // (plus replay and EWC per LearningConfig). Seeded: same data, same result.
  // A write: must not overlap other calls. Learned parameters reach a file at
  // the next SaveToBytes/Checkpoint (they are not logged).
  Result<TrainProgress> Train(const TrainOptions& options, const TrainCallback& progress = nullptr);
  // The same, a few batches per call (for hosts that must yield, e.g. JS).
  Status BeginTraining(const TrainOptions& options);
  Result<TrainProgress> TrainStep(uint32_t max_batches);
  void CancelTraining();  // ends a training begun, parameters as before it
  // Search in a mode (learning.h): kVector is Search(); the others re-rank
  // LearningConfig::candidates HNSW candidates with the trained refiner. With
  // a click memory that holds events (LearningConfig::memory_capacity,
  // SearchParams::memory_*), the candidates come from a walk with the query
  // moved by the memory, and the refiner (when trained) scores them against
  // that moved query; with the memory on, kNeural needs no trained model
  // (the walk's order is the ranking, each hit's score minus its distance to
  // the moved query; a query no past query is near gets the plain walk's
  // answer). Distances are always to `query`.
  Result<LearnedSearchResult> SearchLearned(const float* query, const SearchParams& params, SearchMode mode,
                                            float temperature = 0.1f) const;
  // The candidates the neural modes would re-rank for `query` (k' = max(k,
  // LearningConfig::candidates), filter applied), with their vectors and HNSW
  // level-0 links among them. Needs no trained model (nor the engine).
  Result<RefinerCandidates> RefinerInputs(const float* query, const SearchParams& params) const;
  // The trained refiner's state (portable bytes, the learner's part of the
  // file section); kFailedPrecondition when nothing was learned yet.
  Result<std::string> LearnedState() const;
  // Where learning stands. All zero for an index that never learned; a
  // learner read from a file is restored to answer (as a neural search would).
  struct LearningStats {
    bool configured = false;        // ConfigureLearning was called, or the file had learner options
    bool active = false;            // a learner exists: feedback was recorded or a model read
    bool trained = false;           // a model is learned: the neural modes re-rank with it
    bool training = false;          // a stepwise training is under way
    uint64_t pending_feedback = 0;  // events waiting for the next training (online learning learns each at once)
    uint64_t online_steps = 0;      // optimiser steps run by Feedback (LearningConfig::online_steps)
    // EWC anchors set while learning online (ewc_lambda > 0 with online_steps):
    // one per 128 events, since this index was created or opened.
    uint64_t online_ewc_anchors = 0;
    // Learning on insert (LearningConfig::insert_steps): optimiser steps run
    // on added items, and added items learned from, since this index was
    // created or opened.
    uint64_t insert_steps = 0;
    uint64_t inserted_examples = 0;
    // Links with a learned per-link weight (LearningConfig::edge_learning_rate), kept in the file.
    uint64_t learned_links = 0;
    // Events the click memory holds (LearningConfig::memory_capacity), kept in the file.
    uint64_t memory_events = 0;
    std::string last_insert_error;  // why the last learning on insert failed (empty: it did not)
  };
  LearningStats learning_stats() const;

  // ---- Sections of a layer built on this index (the text layer,
  // neurovec/text_index.h), kinds 24..31 of the file. An open keeps the ones
  // it read (attached_sections()); every image encode (checkpoint, save,
  // ToBytes) writes what the provider returns, or, without a provider, the
  // sections read at open, unchanged. A read-only open with a page cache
  // (OpenOptions), whose file cannot change while the index lives, reads
  // none of them: they stay in the file (sections_left_in_file()) until the
  // layer reads each with ReadAttachedSection, when it needs it.
  using AttachedSections = std::vector<std::pair<uint32_t, std::string>>;
  static constexpr uint32_t kFirstAttachedSection = 24;
  static constexpr uint32_t kLastAttachedSection = 31;
  // For a layer above: whether a slot holds a live item, and a compiled
  // metadata filter (same syntax as SearchParams::filter) to test slots with.
  bool IsLiveSlot(uint32_t slot) const;
  Result<std::function<bool(uint32_t)>> FilterPredicate(const std::string& filter_json) const;
  // The provider's error fails the image encode (nothing is written).
  void SetAttachedSectionsProvider(std::function<Result<AttachedSections>()> provider);
  const AttachedSections& attached_sections() const;
  // Hands over the sections read at open (the layer decodes them and sets a provider).
  AttachedSections TakeAttachedSections();
  // Kinds of the attached sections an open left in the file (see above).
  std::vector<uint32_t> sections_left_in_file() const;
  // Reads one of them, its CRC-32C checked (kCorrupt when it fails, kNotFound
  // when that kind was not left in the file). Each call reads it again.
  Result<std::string> ReadAttachedSection(uint32_t kind) const;

 private:
  struct Impl;
  // The one way in for the rest of the core (file codec, durable file); declared
  // in the internal header index/vector_index_impl.h, not part of the API.
  friend struct IndexInternals;
  explicit VectorIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace neurovec
