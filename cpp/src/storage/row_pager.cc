#include "storage/row_pager.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

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

// The CLOCK cache of block frames, whatever the rows hold.
class RowPager::Frames {
 public:
  Frames(uint32_t blocks, size_t block_bytes, size_t row_bytes, uint64_t cache_bytes) : block_bytes_(block_bytes) {
    // At least four frames: the two protected ones and room to evict.
    // Frames are allocated as they are first used, so a bound above the
    // file's size costs nothing.
    max_frames_ = static_cast<uint32_t>(std::clamp<uint64_t>(cache_bytes / block_bytes, 4, uint64_t{1} << 30));
    block_to_frame_.assign(blocks, kNone);
    zeros.assign(row_bytes, 0);
    stats.cache_bytes = static_cast<uint64_t>(max_frames_) * block_bytes;
  }

  uint8_t* frame(uint32_t f) const {
    return chunks_[f / kFramesPerChunk].get() + static_cast<size_t>(f % kFramesPerChunk) * block_bytes_;
  }

  // The frame holding `block`, or kNone.
  uint32_t Find(uint32_t block) const { return block_to_frame_[block]; }

  // A frame to read a missing block into: a fresh one while the bound allows,
  // else the CLOCK victim (detached from its block). kNone: out of memory.
  uint32_t Claim() {
    if (frame_to_block_.size() < max_frames_) {
      // Room left: a fresh frame (a new chunk every kFramesPerChunk frames).
      const uint32_t f = static_cast<uint32_t>(frame_to_block_.size());
      if (f % kFramesPerChunk == 0) {
        const size_t chunk_frames = std::min<size_t>(kFramesPerChunk, max_frames_ - f);
        const size_t bytes = (chunk_frames * block_bytes_ + 63) / 64 * 64;
        auto* chunk = static_cast<uint8_t*>(std::aligned_alloc(64, bytes));
        if (chunk == nullptr) return kNone;
        chunks_.emplace_back(chunk);
        stats.resident_bytes += chunk_frames * block_bytes_;
      }
      frame_to_block_.push_back(kNone);
      referenced_.push_back(0);
      return f;
    }
    // CLOCK: skip referenced frames (clearing their bit) and the two
    // protected ones; terminates within two sweeps since max_frames >= 4.
    uint32_t f;
    for (;;) {
      const uint32_t h = hand_;
      hand_ = (hand_ + 1) % max_frames_;
      if (h == last_ || h == before_last_) continue;
      if (referenced_[h]) {
        referenced_[h] = 0;
        continue;
      }
      f = h;
      break;
    }
    if (frame_to_block_[f] != kNone) block_to_frame_[frame_to_block_[f]] = kNone;
    frame_to_block_[f] = kNone;
    return f;
  }

  // `block` was read into frame `f`.
  void Install(uint32_t block, uint32_t f) {
    frame_to_block_[f] = block;
    block_to_frame_[block] = f;
  }

  // A row of frame `f` is being returned: keep the frame (and the one
  // returned before) from eviction.
  void Use(uint32_t f) {
    referenced_[f] = 1;
    if (f != last_) {
      before_last_ = last_;
      last_ = f;
    }
  }

  // Every block gone (frames stay allocated for reuse).
  void Forget(uint32_t blocks) {
    block_to_frame_.assign(blocks, kNone);
    std::fill(frame_to_block_.begin(), frame_to_block_.end(), kNone);
    std::fill(referenced_.begin(), referenced_.end(), 0);
    last_ = before_last_ = kNone;
  }

  std::vector<uint8_t> zeros;  // returned for a block that failed
  Status error = Status::Ok();
  PagerStats stats;

 private:
  size_t block_bytes_;
  // Frames are allocated in chunks as the cache fills, so memory follows
  // what was touched, up to the bound.
  std::vector<std::unique_ptr<uint8_t, AlignedFree>> chunks_;
  std::vector<uint32_t> block_to_frame_;  // per block: its frame, or kNone
  std::vector<uint32_t> frame_to_block_;  // per allocated frame: its block, or kNone
  std::vector<uint8_t> referenced_;       // CLOCK bits
  uint32_t max_frames_ = 0;
  uint32_t hand_ = 0;
  uint32_t last_ = kNone, before_last_ = kNone;  // never evicted (pointer lifetime rule)
};

RowPager::RowPager(Storage* storage, RowSection section, size_t row_bytes, uint64_t cache_bytes)
    : storage_(storage), section_(std::move(section)), row_bytes_(row_bytes) {
  const uint32_t blocks = (section_.slots + section_.rows_per_block - 1) / section_.rows_per_block;
  frames_ = std::make_unique<Frames>(blocks, block_bytes(), row_bytes_, cache_bytes);
}

RowPager::~RowPager() = default;

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
  frames_->stats.block_reads++;
  frames_->stats.bytes_read += bytes;
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
  uint32_t frame = f.Find(block);
  if (frame != kNone) {
    f.stats.hits++;
  } else {
    f.stats.misses++;
    frame = f.Claim();
    if (frame == kNone) {
      if (f.error.ok()) f.error = Status::OutOfRange(std::string("out of memory for the page cache of the ") + section_.rows_noun);
      return f.zeros.data();
    }
    Status s = ReadBlock(block, f.frame(frame));
    if (!s.ok()) {
      // Not cached: the frame stays free and the next use tries again.
      if (f.error.ok()) f.error = s;
      return f.zeros.data();
    }
    f.Install(block, frame);
  }
  f.Use(frame);
  return f.frame(frame) + static_cast<size_t>(slot % section_.rows_per_block) * row_bytes_;
}

Status RowPager::ReadRows(uint32_t first, uint32_t n, void* out_bytes) const {
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
  Status s = frames_->error;
  frames_->error = Status::Ok();
  return s;
}

void RowPager::Rebase(RowSection section) {
  // The new image may hold rows that changed since the old one was read (a
  // reused slot), and more of them: start the cache afresh.
  section_ = std::move(section);
  frames_->Forget((section_.slots + section_.rows_per_block - 1) / section_.rows_per_block);
}

PagerStats RowPager::stats() const { return frames_->stats; }

}  // namespace neurovec
