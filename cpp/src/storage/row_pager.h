// Fixed-size rows of a section of an index file read on demand, through a
// bounded cache of fixed-size blocks: the vectors of a paged VectorStore
// (vector_store.h) and the level-0 neighbour lists of a paged HnswGraph
// (hnsw/hnsw_graph.h). Rows are bytes here; each user casts them.
//
// Why: an index opened in wasm has no mmap. Reading every row at open costs
// time in proportion to the file (0.1-0.3 s for 200 MB in Node) and needs a
// heap as large as the file; a search touches a few thousand rows. The pager
// reads a block the first time one of its rows is used and keeps at most
// `cache_bytes` of blocks, evicting by CLOCK (second chance).
//
// Blocks hold rows_per_block consecutive rows (about 4 KiB, at least one row)
// and each may have a CRC-32C in the file (the vector-blocks and graph-blocks
// sections), checked when the block is read if the index was opened with
// verify_checksums; then the section's `check` (if any) validates the rows
// (the graph's links). A block that cannot be read or fails either check is
// not cached: Row() returns a row of zeros and the failure is kept for
// TakeError(), which the index calls after each search, so the search fails
// with that error instead of returning wrong results; a later search tries
// the block again.
//
// Concurrent readers. Searches of one index may read through its pagers at
// the same time (VectorIndex::SearchBatch). Each reading thread has a reader
// id (the index hands them out through its PagingGate,
// index/paging_gate.h), and the pager keeps per reader the frames
// it must not evict and the first failure. A hit takes no lock: it pins the
// frame in its reader's slots, then checks that the frame still holds the
// block (an eviction detaches a block before it looks at pins, so one side
// always sees the other). A miss takes the pager's mutex, which also orders
// evictions; the block is read from storage under it.
//
// Pointer lifetime: the two frames a reader most recently got rows from are
// never evicted, so a pointer from Row() stays valid until that reader gets
// rows from two other frames, and Distance(Row(a), Row(b)) is safe. Rebase
// must not overlap Row() calls (the index calls it with its gate held
// exclusively), nor EndReader(r) those of reader r.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "neurovec/status.h"

namespace neurovec {

class Storage;

// Where a section of rows lies in a file and how its blocks are checked.
struct RowSection {
  uint64_t offset = 0;            // first byte of row 0
  uint32_t slots = 0;             // rows in the section
  uint32_t rows_per_block = 1;
  std::vector<uint32_t> block_crcs;  // one per block, or empty (not checked)
  // Checks the rows of a block that was read (after its CRC): Ok, or a
  // message (kCorrupt) saying what is wrong. Empty: nothing to check.
  std::function<Status(uint32_t first_slot, uint32_t rows, const uint8_t* bytes)> check;
  // For messages: "index file is corrupt: <section> section: <block_noun> N
  // ...", "reading <rows_noun> of slots a..b from the index file".
  const char* section = "vectors";
  const char* block_noun = "block";
  const char* rows_noun = "vectors";
};

// The cache bound used when none was asked for (a store that pages only the
// rows tiers let go).
constexpr uint64_t kDefaultPageCacheBytes = uint64_t{16} << 20;

// Rows per block for rows of `row_bytes`: about 4 KiB of rows, at least one.
uint32_t RowsPerBlock(size_t row_bytes);

struct PagerStats {
  uint64_t cache_bytes = 0;     // the bound
  uint64_t resident_bytes = 0;  // frames allocated now
  uint64_t block_reads = 0;     // blocks read from storage
  uint64_t bytes_read = 0;
  uint64_t hits = 0;            // Row() calls served from the cache
  uint64_t misses = 0;
};

// The reader id of this thread's Row() calls: 0 outside any hold of a gate
// (single-threaded code) and for the index's exclusive holders, or the id a
// shared hold set. Ids are below kMaxPagingReaders.
constexpr uint32_t kMaxPagingReaders = 64;
uint32_t CurrentPagingReader();

// Sets this thread's reader id (PagingGate does, for the length of a hold).
void SetPagingReader(uint32_t reader);

class RowPager {
 public:
  // `storage` must outlive the pager. `row_bytes`: the size of one row (a
  // multiple of 64 keeps frames 64-byte aligned for SIMD rows).
  RowPager(Storage* storage, RowSection section, size_t row_bytes, uint64_t cache_bytes);
  ~RowPager();
  RowPager(const RowPager&) = delete;
  RowPager& operator=(const RowPager&) = delete;

  uint32_t slots() const { return section_.slots; }
  Storage* storage() const { return storage_; }
  size_t row_bytes() const { return row_bytes_; }
  const RowSection& section() const { return section_; }

  // The row of `slot` (< slots()), read in if needed. Safe to call from
  // several threads with different reader ids.
  const uint8_t* Row(uint32_t slot) const;

  // Copies rows [first, first + n) into `out` straight from the cache or the
  // storage (no caching of blocks read only for this: bulk readers such as a
  // checkpoint must not flush the cache). Checks blocks as Row() does.
  Status ReadRows(uint32_t first, uint32_t n, void* out) const;

  // The current reader's first failure since its last call (Ok if none),
  // cleared.
  Status TakeError() const;

  // The reader is done: its frames may be evicted, its failure is dropped.
  void EndReader(uint32_t reader) const;

  // The rows now lie in a new image (a checkpoint): reads go there, and the
  // cache starts empty (frames stay allocated).
  void Rebase(RowSection section);

  PagerStats stats() const;
  // The bound leaves room for every block of the section: once warm, no
  // search reads from storage.
  bool CacheHoldsEveryBlock() const;

 private:
  class Frames;
  Status ReadBlock(uint32_t block, uint8_t* out) const;
  const uint8_t* Miss(uint32_t block, uint32_t slot, bool shifted) const;
  size_t block_bytes() const { return static_cast<size_t>(section_.rows_per_block) * row_bytes_; }

  Storage* storage_;
  RowSection section_;
  size_t row_bytes_;
  std::unique_ptr<Frames> frames_;  // mutable cache state (Row() is logically const)
};

}  // namespace neurovec
