// The HNSW graph: links only. Vectors live in a VectorStore; the graph reads
// them through it (the seam the compressed tiers will plug into).
//
// Layout (as in hnswlib): level-0 lists for all slots in one contiguous array,
// each [count, link...] with 2*M entries; upper levels per slot, allocated only
// for the few slots that reach them. A deleted slot stays in the graph as a
// routing node ("tombstone") until its slot is reused, so the graph never loses
// connectivity; its neighbours are relinked at delete time.
//
// Level 0 may also be paged (PageLevel0: an index opened from a file with a
// page cache): its lists stay in the file and LinksOf(slot, 0) reads them
// through a RowPager (storage/row_pager.h), which checks each block (CRC and
// links) as it reads it. A paged graph is read-only: the index materializes
// level 0 (MaterializeLevel0) before its first write, and serializes searches.
#pragma once

#include <cassert>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

#include "hnsw/candidate.h"
#include "hnsw/visited_pool.h"
#include "neurovec/status.h"
#include "routing/stop_policy.h"
#include "storage/vector_store.h"
#include "util/aligned_buffer.h"
#include "util/random.h"
#include "util/spinlock.h"

namespace neurovec {

// Scratch space of one search; pooled so concurrent searches do not allocate.
struct SearchContext {
  VisitedSet visited;
  std::vector<Candidate> frontier;   // CloserOnTop heap
  std::vector<Candidate> results;    // FartherOnTop heap
  std::vector<Candidate> scratch;
  std::vector<Candidate> selected;
  std::vector<uint32_t> links;       // a copy of one neighbour list
  AlignedBuffer<float> query;        // the query in stored form
};

struct TraversalCounters {
  uint64_t distance_computations = 0;
  uint64_t hops = 0;
  bool hinted_start = false;  // the walk started at an entry hint (EntryHints), not from the top
};

// Start points for regions where queries concentrate (workload adaptation,
// index/workload_adaptation.h). A search first measures its distance to each
// hint; when the nearest is within `bound`, the walk starts there (descending
// from that node's own level) instead of descending from the entry point
// through every upper level. A query far from all hints pays their distances
// and then walks as usual. Hints are only start points: any slot is a valid
// one, so a deleted or reused slot costs a worse start, never a wrong result
// (deleted ones are passed over).
struct EntryHints {
  std::vector<uint32_t> slots;
  float bound = 0;  // in the store's distance (squared L2 for L2)
  bool empty() const { return slots.empty(); }
};

class HnswGraph {
 public:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  static constexpr int kMaxLevel = 32;
  static constexpr uint32_t kMaxM = 256;  // IndexConfig::kMaxM

  HnswGraph(uint32_t m, uint32_t ef_construction, uint64_t seed);

  uint32_t m() const { return m_; }
  uint32_t m0() const { return m0_; }
  size_t capacity() const { return levels_.size(); }
  uint32_t entry_point() const { return entry_point_; }
  int max_level() const { return max_level_; }
  int level(uint32_t slot) const { return levels_[slot]; }
  bool is_deleted(uint32_t slot) const { return deleted_[slot] != 0; }

  // Grows to `slots` slots. Not thread-safe.
  Status Reserve(size_t slots);

  // Draws a level from the seeded generator: floor(-ln(U) / ln(M)). Not thread-safe.
  int DrawLevel();
  // The level generator's state (saved in the index file, so a reopened index
  // and a replayed log draw the levels the first process would have drawn).
  Random::State level_generator_state() const { return random_.state(); }
  bool RestoreLevelGenerator(const Random::State& state) { return random_.Restore(state); }

  // Makes `slot` (fresh or previously deleted) ready to be inserted at `level`.
  // A reused slot keeps its old level; returns the level the slot will have.
  // Not thread-safe with respect to other writers of this slot.
  int PrepareSlot(uint32_t slot, int level);

  // Links a slot whose vector is already in `store`. Safe to call from several
  // threads at once (per-node locks), for different slots.
  void Insert(uint32_t slot, const VectorStore& store, SearchContext& ctx);

  // Marks a slot deleted and relinks the nodes that pointed to it. When the slot
  // was the entry point, the live node with the highest level among the first
  // `used_slots` takes over, so the old slot can be reused like any other.
  void MarkDeletedAndRepair(uint32_t slot, uint32_t used_slots, const VectorStore& store, SearchContext& ctx);
  // Repair (hnsw/graph_repair.cc), for an index that is not being written
  // otherwise. Replaces the links from live nodes to deleted ones, on every
  // level, by re-running the heuristic over the node's live links and the
  // deleted nodes' live links; returns how many lists changed.
  // Covers the lists of slots [first, last), so the repair can be done in steps.
  uint64_t DropLinksToDeleted(uint32_t first, uint32_t last, uint32_t used_slots, const VectorStore& store,
                              SearchContext& ctx);
  // Gives live `slot` an in-link on level 0 from a live node that `reachable`
  // marks, found by a search for the slot's vector: the nearest one with room
  // in its list, else one that gives up a link whose target keeps another
  // in-link (`in_links`: level-0 in-links from reachable nodes, kept up to
  // date here), the nearest whose such link is farther than the slot first.
  // False when no such node was found.
  bool LinkFromReachable(uint32_t slot, const std::vector<uint8_t>& reachable, std::vector<uint32_t>& in_links,
                         const VectorStore& store, SearchContext& ctx);
  // Clears the deleted flag before a slot is reused.
  void ClearDeleted(uint32_t slot) { deleted_[slot] = 0; }

  // k-NN search for an encoded query (padded to store.stride()). `accept(slot)`
  // says whether a slot may be a result (live and matching the filter);
  // `everything_accepted` enables the unfiltered fast path. Results are left in
  // ctx.results as a FartherOnTop heap of at most ef entries.
  //
  // The traversal reads vectors through a distance source: VectorStore (with
  // `const float*` queries in stored form), or any type with the same three
  // calls, for example quant::QuantizedStore (codes for every slot, queries
  // prepared by its codec; see quantization/quantized_store.h):
  //   Row(slot) -> a pointer (prefetched, then passed back),
  //   Distance(query, row) and DistanceBounded(query, row, bound).
  // Queries are passed by value (a pointer or a small handle), as the f32 path
  // always did; each source is its own instantiation, so that path compiles as
  // before.
  //
  // `stop` may end the level-0 walk early (routing/stop_policy.h): it sees
  // each result and is asked after each expansion; it may also keep the walk
  // off some slots (Skips: the router's trainer walks for a stored item as if
  // the item were not in the graph). The overload without it is the plain
  // walk (NoStop compiles to nothing).
  template <typename Store, typename Query, typename Accept, typename Stopper>
  void Search(Query query, uint32_t ef, const Store& store, const Accept& accept,
              bool everything_accepted, SearchContext& ctx, TraversalCounters& counters, Stopper& stop) const;
  template <typename Store, typename Query, typename Accept>
  void Search(Query query, uint32_t ef, const Store& store, const Accept& accept,
              bool everything_accepted, SearchContext& ctx, TraversalCounters& counters) const {
    routing::NoStop plain;
    Search(query, ef, store, accept, everything_accepted, ctx, counters, plain);
  }

  uint64_t memory_bytes() const;

  // Entry hints for searches (see EntryHints); empty: every walk descends from
  // the entry point. Hints must be slots below capacity(). A write call.
  void SetEntryHints(EntryHints hints) { hints_ = std::move(hints); }
  const EntryHints& entry_hints() const { return hints_; }

  // Rebuilding a graph read from a file (persistence/index_file.cc), which has
  // checked every value. Restore each node, then the entry point.
  void RestoreNode(uint32_t slot, int level, bool deleted);
  uint32_t* MutableLinksForRestore(uint32_t slot, int level) { return MutableLinks(slot, level); }
  // Level-0 lists of `slots` slots read in place from a mapped file (the
  // layout is the same); call before Reserve. Copied on the first write.
  void BorrowLevel0(const uint32_t* lists, size_t slots) { level0_.Borrow(lists, slots * (m0_ + 1)); }

  // Paged level 0: the lists of slots [0, section.slots) lie in `storage`
  // (which must outlive the graph, or the next MaterializeLevel0) as rows of
  // m0 + 1 u32, read on demand through a cache of at most `cache_bytes`.
  // Each block read is checked: its CRC (when section.block_crcs is set),
  // then every list (count <= m0, every link < section.slots); a bad block
  // gives empty lists and an error for TakePagingError. Call before Reserve,
  // on a graph that has no lists yet.
  void PageLevel0(Storage* storage, RowSection section, uint64_t cache_bytes);
  bool level0_paged() const { return level0_pager_ != nullptr; }
  // The file's lists now lie in a new image (a checkpoint); a paged level 0
  // reads from there. Nothing to do when level 0 is in memory.
  void RebaseLevel0(RowSection section);
  // Level 0 read whole into memory (before a write, or when the file goes
  // away). Ok, or the read's error (then still paged, unchanged).
  Status MaterializeLevel0();
  // Copies the level-0 lists of slots [first, first + n) into `out` ((m0 + 1)
  // u32 each), paged ones straight from the file, past the cache.
  Status CopyLevel0(uint32_t first, uint32_t n, uint32_t* out) const;
  // The first read failure of a paged level 0 since the last call (Ok if none).
  Status TakePagingError() const { return level0_pager_ ? level0_pager_->TakeError() : Status::Ok(); }
  PagerStats paging_stats() const { return level0_pager_ ? level0_pager_->stats() : PagerStats{}; }
  void EndPagingReader(uint32_t reader) const {
    if (level0_pager_) level0_pager_->EndReader(reader);
  }
  Storage* paging_storage() const { return level0_pager_ ? level0_pager_->storage() : nullptr; }
  bool paging_cache_holds_all() const { return !level0_pager_ || level0_pager_->CacheHoldsEveryBlock(); }
  void RestoreEntryPoint(uint32_t entry, int max_level) {
    entry_point_ = entry;
    max_level_ = max_level;
  }

  // The list [count, link...] of a slot on a level. For a paged level 0 the
  // pointer is valid until the next LinksOf(_, 0) call that reads a block
  // (the two most recent blocks stay), as RowPager::Row's.
  const uint32_t* LinksOf(uint32_t slot, int level) const {
    if (level != 0) return upper_[slot].get() + static_cast<size_t>(level - 1) * (m_ + 1);
    if (__builtin_expect(level0_pager_ != nullptr, 0)) return PagedLinks(slot);
    return level0_.data() + static_cast<size_t>(slot) * (m0_ + 1);
  }

 private:
  // Writable lists (level 0 borrowed from a mapped file is copied first; a
  // paged level 0 was materialized by the index before any write).
  uint32_t* MutableLinks(uint32_t slot, int level) {
    assert(level != 0 || level0_pager_ == nullptr);
    return level == 0 ? level0_.data() + static_cast<size_t>(slot) * (m0_ + 1)
                      : upper_[slot].get() + static_cast<size_t>(level - 1) * (m_ + 1);
  }
  uint32_t MaxLinks(int level) const { return level == 0 ? m0_ : m_; }
  const uint32_t* PagedLinks(uint32_t slot) const;

  // Greedy walk on the levels above `target_level`, starting at `entry`.
  // `stop` may skip slots (Skips), as the level-0 walk's does.
  template <bool kLocked, typename Store, typename Query, typename Stopper = routing::NoStop>
  uint32_t GreedyDescend(Query query, uint32_t entry, float* entry_distance, int from_level,
                         int target_level, const Store& store, TraversalCounters& counters,
                         const Stopper& stop = Stopper()) const;

  // Best-first search on one level (the core of HNSW).
  template <bool kLocked, typename Store, typename Query, typename Accept, typename Stopper = routing::NoStop>
  void SearchLayer(Query query, uint32_t entry, float entry_distance, int level, uint32_t ef,
                   const Store& store, const Accept& accept, bool everything_accepted,
                   SearchContext& ctx, TraversalCounters& counters, Stopper& stop) const;
  template <bool kLocked, typename Store, typename Query, typename Accept>
  void SearchLayer(Query query, uint32_t entry, float entry_distance, int level, uint32_t ef,
                   const Store& store, const Accept& accept, bool everything_accepted,
                   SearchContext& ctx, TraversalCounters& counters) const {
    routing::NoStop plain;
    SearchLayer<kLocked>(query, entry, entry_distance, level, ef, store, accept, everything_accepted, ctx, counters,
                         plain);
  }

  // HNSW heuristic: keep a candidate only if it is closer to the base than to
  // every neighbour already kept. `candidates` must be sorted ascending.
  void SelectNeighbors(const std::vector<Candidate>& candidates, uint32_t max_links, const VectorStore& store,
                       std::vector<Candidate>& out) const;

  // Links `slot` to `neighbors` on `level`, and each neighbour back to it.
  // Rewrites a neighbour list from `pool` (candidates sorted by distance to
  // the list's node): the heuristic's picks, then the nearest of the rest
  // until the list holds `target` links (a repaired list keeps its length:
  // the bare heuristic over a small local pool thins lists, and recall with
  // them). Used by the repairs after deletes.
  void RelinkFromPool(uint32_t* links, const std::vector<Candidate>& pool, uint32_t max_links, uint32_t target,
                      const VectorStore& store, SearchContext& ctx) const;
  void Connect(uint32_t slot, int level, const std::vector<Candidate>& neighbors, const VectorStore& store,
               SearchContext& ctx);

  // Copies a neighbour list under its lock (during concurrent inserts).
  void CopyLinks(uint32_t slot, int level, std::vector<uint32_t>& out) const;

  uint32_t m_;
  uint32_t m0_;
  uint32_t ef_construction_;
  double level_multiplier_;
  Random random_;

  AlignedBuffer<uint32_t> level0_;         // empty while paged
  std::unique_ptr<RowPager> level0_pager_;  // paged level 0, or null
  std::vector<uint32_t> empty_list_;        // paged: the list of a slot past the file (none)
  std::vector<std::unique_ptr<uint32_t[]>> upper_;
  uint64_t upper_words_ = 0;  // sum of the upper_ arrays' lengths, so memory_bytes() is O(1)
  std::vector<uint8_t> levels_;
  std::vector<uint8_t> deleted_;
  std::unique_ptr<SpinLock[]> locks_;

  EntryHints hints_;
  std::mutex entry_mutex_;  // guards entry_point_ and max_level_ while inserting
  uint32_t entry_point_ = kNone;
  int max_level_ = -1;
};

}  // namespace neurovec

#include "hnsw/hnsw_graph_search.inl"
