#include "storage/row_pager.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

#include "neurovec/storage.h"
#include "util/crc32c.h"

namespace neurovec {

namespace {
constexpr uint32_t kNone = 0xFFFFFFFFu;
constexpr uint32_t kFramesPerChunk = 64;
// Frames are aligned like owned rows, so SIMD kernels see the same alignment.
struct AlignedFree {
  void operator()(uint8_t* p) const { std::free(p); }
};
}  // namespace

uint32_t RowsPerBlock(size_t row_bytes) {
  if (row_bytes == 0 || row_bytes >= 4096) return 1;
  return static_cast<uint32_t>(4096 / row_bytes);
}

// The CLOCK cache of block frames, whatever the rows hold. Mapping reads
// (Find, the pins, CLOCK bits) are lock-free; Claim, Install and Forget run
// under `mutex` (Forget also with no reader active).
class RowPager::Frames {
 public:
  Frames(uint32_t blocks, size_t block_bytes, size_t row_bytes, uint64_t cache_bytes) : block_bytes_(block_bytes) {
    // At least four frames: a reader's two protected ones and room to evict.
    // Frames are allocated as they are first used, so a bound above the
    // file's size costs nothing; more frames than blocks are never needed.
    max_frames_ = static_cast<uint32_t>(std::clamp<uint64_t>(cache_bytes / block_bytes, 4, uint64_t{1} << 30));
    capacity_ = std::max<uint32_t>(blocks, 1);
    chunks_ = std::make_unique<std::atomic<Chunk*>[]>((capacity_ + kFramesPerChunk - 1) / kFramesPerChunk);
    ResetBlocks(blocks);
    zeros.assign(row_bytes, 0);
    cache_bytes_ = static_cast<uint64_t>(std::min(max_frames_, capacity_)) * block_bytes;
  }
  ~Frames() {
    for (uint32_t c = 0; c * kFramesPerChunk < allocated_; ++c) delete chunks_[c].load(std::memory_order_relaxed);
  }

  uint8_t* frame(uint32_t f) const { return chunk(f)->bytes[f % kFramesPerChunk]; }

  // The frame holding `block`, or kNone (lock-free; see Row for the check
  // that makes a found frame safe to use).
  uint32_t Find(uint32_t block) const { return block_to_frame_[block].load(std::memory_order_seq_cst); }

  // Sets the frame's CLOCK bit. Looked at first: a hot frame's bit is
  // almost always set, and a store on every hit would bounce its cache line
  // between the cores of concurrent searches.
  void Reference(uint32_t f) const {
    std::atomic<uint8_t>& referenced = chunk(f)->referenced[f % kFramesPerChunk];
    if (!referenced.load(std::memory_order_relaxed)) referenced.store(1, std::memory_order_relaxed);
  }

  // Under `mutex`: a frame to read a missing block into, detached from its
  // block: a fresh one while the bound allows, else the CLOCK victim, never
  // a frame some reader has pinned. kNone: out of memory.
  uint32_t Claim() {
    if (allocated_ < std::min(max_frames_, capacity_)) return Allocate();
    // CLOCK: skip referenced frames (clearing their bit) and pinned ones.
    // Pins are at most two per reader; when every frame is pinned (more
    // readers than the bound has frames for) the cache grows past its bound
    // rather than wait.
    for (uint64_t tries = 0; tries < uint64_t{3} * allocated_; ++tries) {
      const uint32_t h = hand_;
      hand_ = (hand_ + 1) % allocated_;
      Chunk* c = chunk(h);
      std::atomic<uint8_t>& referenced = c->referenced[h % kFramesPerChunk];
      if (referenced.load(std::memory_order_relaxed)) {
        referenced.store(0, std::memory_order_relaxed);
        continue;
      }
      std::atomic<uint32_t>& holds = c->block[h % kFramesPerChunk];
      const uint32_t old = holds.load(std::memory_order_relaxed);
      if (old != kNone) {
        // Detach first, then look at the pins: a reader pins, then checks
        // the mapping, so either it sees the detach and retries under the
        // mutex, or this sees its pin (both sides sequentially consistent).
        block_to_frame_[old].store(kNone, std::memory_order_seq_cst);
        if (Pinned(h)) {
          block_to_frame_[old].store(h, std::memory_order_seq_cst);
          continue;
        }
        holds.store(kNone, std::memory_order_relaxed);
      } else if (Pinned(h)) {
        continue;  // a failed read's frame, still in a window: harmless, but keep the rule simple
      }
      return h;
    }
    return allocated_ < capacity_ ? Allocate() : kNone;
  }

  // Under `mutex`: `block` was read into frame `f` (pinned by the caller).
  void Install(uint32_t block, uint32_t f) {
    chunk(f)->block[f % kFramesPerChunk].store(block, std::memory_order_relaxed);
    chunk(f)->referenced[f % kFramesPerChunk].store(1, std::memory_order_relaxed);
    block_to_frame_[block].store(f, std::memory_order_seq_cst);
  }

  // Every block gone (frames stay allocated for reuse). No reader active.
  void Forget(uint32_t blocks) {
    ResetBlocks(blocks);
    if (blocks > capacity_) {
      // A larger image: room for a frame per block.
      const uint32_t old_chunks = (capacity_ + kFramesPerChunk - 1) / kFramesPerChunk;
      capacity_ = blocks;
      auto grown = std::make_unique<std::atomic<Chunk*>[]>((capacity_ + kFramesPerChunk - 1) / kFramesPerChunk);
      for (uint32_t c = 0; c < old_chunks; ++c) grown[c].store(chunks_[c].load(std::memory_order_relaxed), std::memory_order_relaxed);
      chunks_ = std::move(grown);
      cache_bytes_ = static_cast<uint64_t>(std::min(max_frames_, capacity_)) * block_bytes_;
    }
    for (uint32_t f = 0; f < allocated_; ++f) {
      chunk(f)->block[f % kFramesPerChunk].store(kNone, std::memory_order_relaxed);
      chunk(f)->referenced[f % kFramesPerChunk].store(0, std::memory_order_relaxed);
    }
    for (Reader& r : readers) r.last = r.before_last = kNone;
  }

  // The per-reader state: the two most recently returned frames (never
  // evicted), the reader's hits and its first failure, each written only by
  // its reader. One cache line per reader: the pins are stored on every hit,
  // and readers sharing a line would stall each other's searches (a shared
  // hit counter cost a paged batch on 2 threads a fifth of its speed-up).
  struct alignas(64) Reader {
    std::atomic<uint32_t> last{kNone};
    std::atomic<uint32_t> before_last{kNone};
    std::atomic<uint64_t> hits{0};  // read by stats() on any thread
    Status error = Status::Ok();
    void CountHit() { hits.store(hits.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }
    // Row() pins the frame it will return: the previous `last` moves to
    // `before_last` once per call (a retry replaces only `last`).
    void Pin(uint32_t f, bool* shifted) {
      if (f == last.load(std::memory_order_relaxed)) return;
      if (!*shifted) {
        before_last.store(last.load(std::memory_order_relaxed), std::memory_order_seq_cst);
        *shifted = true;
      }
      last.store(f, std::memory_order_seq_cst);
    }
  };
  Reader readers[kMaxPagingReaders];

  std::mutex mutex;                       // misses, evictions, block reads
  std::vector<uint8_t> zeros;             // returned for a block that failed
  std::atomic<uint64_t> misses{0};
  uint64_t hits() const {
    uint64_t total = 0;
    for (const Reader& r : readers) total += r.hits.load(std::memory_order_relaxed);
    return total;
  }
  uint64_t block_reads = 0, bytes_read = 0;  // under `mutex`
  std::atomic<uint64_t> resident_bytes{0};
  uint64_t cache_bytes() const { return cache_bytes_; }
  bool HoldsEveryBlock() const { return max_frames_ >= capacity_; }

 private:
  struct Chunk {
    std::vector<std::unique_ptr<uint8_t, AlignedFree>> memory;  // one allocation, and one per frame past the bound
    uint8_t* bytes[kFramesPerChunk] = {};                   // per frame: where its block lies
    std::atomic<uint32_t> block[kFramesPerChunk];           // per frame: its block, or kNone
    std::atomic<uint8_t> referenced[kFramesPerChunk];       // CLOCK bits
  };
  Chunk* chunk(uint32_t f) const { return chunks_[f / kFramesPerChunk].load(std::memory_order_acquire); }

  bool Pinned(uint32_t f) const {
    // Every reader's slots (128 loads): an eviction also reads a block, which
    // costs far more. `last` before `before_last`: a shift writes them in the
    // other order, so the frame a shift keeps is seen in one or the other.
    for (uint32_t r = 0; r < kMaxPagingReaders; ++r) {
      if (readers[r].last.load(std::memory_order_seq_cst) == f || readers[r].before_last.load(std::memory_order_seq_cst) == f) {
        return true;
      }
    }
    return false;
  }

  // Under `mutex`: one more frame. Within the bound, frames come a chunk at
  // a time (one allocation for up to kFramesPerChunk of them); past it
  // (every frame pinned), one by one.
  uint32_t Allocate() {
    const uint32_t f = allocated_;
    const uint32_t bound = std::min(max_frames_, capacity_);
    Chunk* c = f % kFramesPerChunk == 0 ? nullptr : chunk(f);
    if (c == nullptr) {
      c = new (std::nothrow) Chunk;
      if (c == nullptr) return kNone;
      for (uint32_t i = 0; i < kFramesPerChunk; ++i) {
        c->block[i].store(kNone, std::memory_order_relaxed);
        c->referenced[i].store(0, std::memory_order_relaxed);
      }
    }
    if (c->bytes[f % kFramesPerChunk] == nullptr) {
      const size_t frames = f < bound ? std::min<size_t>(kFramesPerChunk - f % kFramesPerChunk, bound - f) : 1;
      const size_t bytes = (frames * block_bytes_ + 63) / 64 * 64;
      auto* memory = static_cast<uint8_t*>(std::aligned_alloc(64, bytes));
      if (memory == nullptr) {
        if (f % kFramesPerChunk == 0) delete c;
        return kNone;
      }
      c->memory.emplace_back(memory);
      for (size_t i = 0; i < frames; ++i) c->bytes[f % kFramesPerChunk + i] = memory + i * block_bytes_;
      resident_bytes.fetch_add(frames * block_bytes_, std::memory_order_relaxed);
    }
    if (f % kFramesPerChunk == 0) chunks_[f / kFramesPerChunk].store(c, std::memory_order_release);
    ++allocated_;
    return f;
  }

  void ResetBlocks(uint32_t blocks) {
    blocks_ = blocks;
    block_to_frame_ = std::make_unique<std::atomic<uint32_t>[]>(blocks);
    for (uint32_t b = 0; b < blocks; ++b) block_to_frame_[b].store(kNone, std::memory_order_relaxed);
  }

  size_t block_bytes_;
  uint32_t max_frames_ = 0;  // the bound
  uint32_t capacity_ = 0;    // frames there is chunk room for: one per block
  uint64_t cache_bytes_ = 0;
  // Frames are allocated in chunks as the cache fills, so memory follows
  // what was touched, up to the bound.
  std::unique_ptr<std::atomic<Chunk*>[]> chunks_;
  uint32_t allocated_ = 0;  // under `mutex`
  uint32_t hand_ = 0;
  uint32_t blocks_ = 0;
  std::unique_ptr<std::atomic<uint32_t>[]> block_to_frame_;  // per block: its frame, or kNone
};

namespace {
thread_local uint32_t t_paging_reader = 0;
}  // namespace

uint32_t CurrentPagingReader() { return t_paging_reader; }

void SetPagingReader(uint32_t reader) { t_paging_reader = reader; }

RowPager::RowPager(Storage* storage, RowSection section, size_t row_bytes, uint64_t cache_bytes)
    : storage_(storage), section_(std::move(section)), row_bytes_(row_bytes) {
  const uint32_t blocks = (section_.slots + section_.rows_per_block - 1) / section_.rows_per_block;
  frames_ = std::make_unique<Frames>(blocks, block_bytes(), row_bytes_, cache_bytes);
}

RowPager::~RowPager() = default;

// Under the frames' mutex (or with no reader active).
Status RowPager::ReadBlock(uint32_t block, uint8_t* out) const {
  const uint32_t first = block * section_.rows_per_block;
  const uint32_t rows = std::min(section_.rows_per_block, section_.slots - first);
  const size_t bytes = static_cast<size_t>(rows) * row_bytes_;
  const uint64_t offset = section_.offset + static_cast<uint64_t>(first) * row_bytes_;
  Status s = storage_->Read(offset, out, bytes);
  if (!s.ok()) {
    return Status(s.code(), std::string("reading ") + section_.rows_noun + " of slots " + std::to_string(first) + ".." +
                                std::to_string(first + rows - 1) + " from the index file: " + s.message());
  }
  frames_->block_reads++;
  frames_->bytes_read += bytes;
  auto corrupt = [&](const std::string& what) {
    return Status::Corrupt(std::string("index file is corrupt: ") + section_.section + " section: " + section_.block_noun +
                           " " + std::to_string(block) + " (offset " + std::to_string(offset) + ")" + what);
  };
  if (!section_.block_crcs.empty() && Crc32c(out, bytes) != section_.block_crcs[block]) {
    return corrupt(" fails its checksum");
  }
  if (section_.check) {
    Status valid = section_.check(first, rows, out);
    if (!valid.ok()) return corrupt(": " + valid.message());
  }
  return Status::Ok();
}

const uint8_t* RowPager::Row(uint32_t slot) const {
  Frames& f = *frames_;
  const uint32_t block = slot / section_.rows_per_block;
  const size_t row_offset = static_cast<size_t>(slot % section_.rows_per_block) * row_bytes_;
  const uint32_t reader = CurrentPagingReader();
  Frames::Reader& me = f.readers[reader];
  bool shifted = false;
  const uint32_t frame = f.Find(block);
  if (frame != kNone) {
    // Pin, then check the block is still there (Claim detaches before it
    // looks at pins). Always checked, even for a frame already pinned: a
    // shift moves it from one slot to the other, and an eviction that looks
    // in between may take it.
    me.Pin(frame, &shifted);
    if (f.Find(block) == frame) {
      me.CountHit();
      f.Reference(frame);
      return f.frame(frame) + row_offset;
    }
  }
  return Miss(block, slot, shifted);
}

const uint8_t* RowPager::Miss(uint32_t block, uint32_t slot, bool shifted) const {
  Frames& f = *frames_;
  const size_t row_offset = static_cast<size_t>(slot % section_.rows_per_block) * row_bytes_;
  const uint32_t reader = CurrentPagingReader();
  Frames::Reader& me = f.readers[reader];
  std::lock_guard<std::mutex> lock(f.mutex);
  uint32_t frame = f.Find(block);
  if (frame != kNone) {
    // Read in by another reader meanwhile, or restored by an eviction that
    // found it pinned. Evictions wait for the mutex, so it stays.
    me.Pin(frame, &shifted);
    me.CountHit();
    f.Reference(frame);
    return f.frame(frame) + row_offset;
  }
  f.misses.fetch_add(1, std::memory_order_relaxed);
  frame = f.Claim();
  if (frame == kNone) {
    if (me.error.ok()) me.error = Status::OutOfRange(std::string("out of memory for the page cache of the ") + section_.rows_noun);
    return f.zeros.data();
  }
  Status s = ReadBlock(block, f.frame(frame));
  if (!s.ok()) {
    // Not cached: the frame stays free and the next use tries again.
    if (me.error.ok()) me.error = s;
    return f.zeros.data();
  }
  me.Pin(frame, &shifted);
  f.Install(block, frame);
  return f.frame(frame) + row_offset;
}

Status RowPager::ReadRows(uint32_t first, uint32_t n, void* out_bytes) const {
  std::lock_guard<std::mutex> lock(frames_->mutex);
  auto* out = static_cast<uint8_t*>(out_bytes);
  const uint32_t per_block = section_.rows_per_block;
  std::vector<uint8_t> block_buffer;
  uint32_t slot = first;
  const uint32_t end = first + n;
  while (slot < end) {
    const uint32_t block = slot / per_block;
    const uint32_t block_first = block * per_block;
    const uint32_t block_end = std::min(block_first + per_block, section_.slots);
    const uint32_t take_end = std::min(block_end, end);
    const uint32_t frame = frames_->Find(block);
    const size_t take_bytes = static_cast<size_t>(take_end - slot) * row_bytes_;
    if (frame != kNone) {
      std::memcpy(out, frames_->frame(frame) + (slot - block_first) * row_bytes_, take_bytes);
    } else if (slot == block_first && take_end == block_end) {
      NV_RETURN_IF_ERROR(ReadBlock(block, out));  // whole block: straight into the output
    } else {
      block_buffer.resize(block_bytes());
      NV_RETURN_IF_ERROR(ReadBlock(block, block_buffer.data()));
      std::memcpy(out, block_buffer.data() + (slot - block_first) * row_bytes_, take_bytes);
    }
    out += take_bytes;
    slot = take_end;
  }
  return Status::Ok();
}

Status RowPager::TakeError() const {
  Status& error = frames_->readers[CurrentPagingReader()].error;
  Status s = std::move(error);
  error = Status::Ok();
  return s;
}

void RowPager::EndReader(uint32_t reader) const {
  Frames::Reader& r = frames_->readers[reader];
  r.last.store(kNone, std::memory_order_seq_cst);
  r.before_last.store(kNone, std::memory_order_seq_cst);
  r.error = Status::Ok();
}

void RowPager::Rebase(RowSection section) {
  // The new image may hold rows that changed since the old one was read (a
  // reused slot), and more of them: start the cache afresh.
  section_ = std::move(section);
  std::lock_guard<std::mutex> lock(frames_->mutex);
  frames_->Forget((section_.slots + section_.rows_per_block - 1) / section_.rows_per_block);
}

bool RowPager::CacheHoldsEveryBlock() const { return frames_->HoldsEveryBlock(); }

PagerStats RowPager::stats() const {
  Frames& f = *frames_;
  PagerStats s;
  s.cache_bytes = f.cache_bytes();
  s.resident_bytes = f.resident_bytes.load(std::memory_order_relaxed);
  s.hits = f.hits();
  s.misses = f.misses.load(std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(f.mutex);
  s.block_reads = f.block_reads;
  s.bytes_read = f.bytes_read;
  return s;
}

}  // namespace neurovec
