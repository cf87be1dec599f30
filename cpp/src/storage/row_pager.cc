#include "storage/row_pager.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "neurovec/storage.h"
#include "persistence/crc32c.h"

namespace neurovec {

namespace {
constexpr uint32_t kNone = 0xFFFFFFFFu;
constexpr uint32_t kFramesPerChunk = 64;
// Frames are aligned like owned rows, so SIMD kernels see the same alignment.
struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};
}  // namespace

uint32_t RowsPerBlock(size_t row_bytes) {
  if (row_bytes == 0 || row_bytes >= 4096) return 1;
  return static_cast<uint32_t>(4096 / row_bytes);
}

struct RowPager::Frames {
  // Frames are allocated in chunks as the cache fills, so memory follows what
  // was touched, up to the bound.
  std::vector<std::unique_ptr<float, AlignedFree>> chunks;
  std::vector<uint32_t> block_to_frame;  // per block: its frame, or kNone
  std::vector<uint32_t> frame_to_block;  // per allocated frame: its block, or kNone
  std::vector<uint8_t> referenced;       // CLOCK bits
  uint32_t max_frames = 0;
  uint32_t hand = 0;
  uint32_t last = kNone, before_last = kNone;  // never evicted (pointer lifetime rule)
  std::vector<float> zeros;                    // returned for a block that failed
  Status error = Status::Ok();
  PagerStats stats;

  float* frame(uint32_t f, uint32_t block_floats) const {
    return chunks[f / kFramesPerChunk].get() + static_cast<size_t>(f % kFramesPerChunk) * block_floats;
  }
};

RowPager::RowPager(Storage* storage, RowSection section, uint32_t floats_per_row, uint64_t cache_bytes)
    : storage_(storage), section_(std::move(section)), floats_per_row_(floats_per_row),
      frames_(std::make_unique<Frames>()) {
  const uint64_t block_bytes = static_cast<uint64_t>(block_floats()) * sizeof(float);
  const uint32_t blocks = (section_.slots + section_.rows_per_block - 1) / section_.rows_per_block;
  // At least four frames: the two protected ones and room to evict.
  // Frames are allocated as they are first used, so a bound above the file's
  // size costs nothing.
  frames_->max_frames = static_cast<uint32_t>(std::clamp<uint64_t>(cache_bytes / block_bytes, 4, uint64_t{1} << 30));
  frames_->block_to_frame.assign(blocks, kNone);
  frames_->zeros.assign(floats_per_row, 0.0f);
  frames_->stats.cache_bytes = static_cast<uint64_t>(frames_->max_frames) * block_bytes;
}

RowPager::~RowPager() = default;

Status RowPager::ReadBlock(uint32_t block, float* out) const {
  const uint32_t first = block * section_.rows_per_block;
  const uint32_t rows = std::min(section_.rows_per_block, section_.slots - first);
  const size_t bytes = static_cast<size_t>(rows) * floats_per_row_ * sizeof(float);
  Status s = storage_->Read(section_.offset + static_cast<uint64_t>(first) * floats_per_row_ * sizeof(float), out, bytes);
  if (!s.ok()) return Status(s.code(), "reading vectors of slots " + std::to_string(first) + ".." +
                                           std::to_string(first + rows - 1) + " from the index file: " + s.message());
  frames_->stats.block_reads++;
  frames_->stats.bytes_read += bytes;
  if (!section_.block_crcs.empty() && Crc32c(reinterpret_cast<const uint8_t*>(out), bytes) != section_.block_crcs[block]) {
    return Status::Corrupt("index file is corrupt: vectors section: block " + std::to_string(block) + " (offset " +
                           std::to_string(section_.offset + static_cast<uint64_t>(first) * floats_per_row_ * 4) +
                           ") fails its checksum");
  }
  return Status::Ok();
}

const float* RowPager::Row(uint32_t slot) const {
  Frames& f = *frames_;
  const uint32_t block = slot / section_.rows_per_block;
  const size_t row_in_block = static_cast<size_t>(slot % section_.rows_per_block) * floats_per_row_;
  uint32_t frame = f.block_to_frame[block];
  if (frame != kNone) {
    f.stats.hits++;
    f.referenced[frame] = 1;
  } else {
    f.stats.misses++;
    const uint32_t block_floats = this->block_floats();
    if (f.frame_to_block.size() < f.max_frames) {
      // Room left: a fresh frame (a new chunk every kFramesPerChunk frames).
      frame = static_cast<uint32_t>(f.frame_to_block.size());
      if (frame % kFramesPerChunk == 0) {
        const size_t chunk_frames = std::min<size_t>(kFramesPerChunk, f.max_frames - frame);
        const size_t bytes = (chunk_frames * block_floats * sizeof(float) + 63) / 64 * 64;
        float* chunk = static_cast<float*>(std::aligned_alloc(64, bytes));
        if (chunk == nullptr) {
          if (f.error.ok()) f.error = Status::OutOfRange("out of memory for the vector page cache");
          return f.zeros.data();
        }
        f.chunks.emplace_back(chunk);
        f.stats.resident_bytes += chunk_frames * block_floats * sizeof(float);
      }
      f.frame_to_block.push_back(kNone);
      f.referenced.push_back(0);
    } else {
      // CLOCK: skip referenced frames (clearing their bit) and the two
      // protected ones; terminates within two sweeps since max_frames >= 4.
      for (;;) {
        const uint32_t h = f.hand;
        f.hand = (f.hand + 1) % f.max_frames;
        if (h == f.last || h == f.before_last) continue;
        if (f.referenced[h]) {
          f.referenced[h] = 0;
          continue;
        }
        frame = h;
        break;
      }
      if (f.frame_to_block[frame] != kNone) f.block_to_frame[f.frame_to_block[frame]] = kNone;
      f.frame_to_block[frame] = kNone;
    }
    float* out = f.frame(frame, block_floats);
    Status s = ReadBlock(block, out);
    if (!s.ok()) {
      // Not cached: the frame stays free and the next use tries again.
      if (f.error.ok()) f.error = s;
      return f.zeros.data();
    }
    f.frame_to_block[frame] = block;
    f.block_to_frame[block] = frame;
    f.referenced[frame] = 1;
  }
  if (frame != f.last) {
    f.before_last = f.last;
    f.last = frame;
  }
  return f.frame(frame, block_floats()) + row_in_block;
}

Status RowPager::ReadRows(uint32_t first, uint32_t n, float* out) const {
  const size_t row_floats = floats_per_row_;
  const uint32_t per_block = section_.rows_per_block;
  std::vector<float> block_buffer;
  uint32_t slot = first;
  const uint32_t end = first + n;
  while (slot < end) {
    const uint32_t block = slot / per_block;
    const uint32_t block_first = block * per_block;
    const uint32_t block_end = std::min(block_first + per_block, section_.slots);
    const uint32_t take_end = std::min(block_end, end);
    const uint32_t frame = frames_->block_to_frame[block];
    if (frame != kNone) {
      std::memcpy(out, frames_->frame(frame, block_floats()) + (slot - block_first) * row_floats,
                  (take_end - slot) * row_floats * sizeof(float));
    } else if (slot == block_first && take_end == block_end) {
      NV_RETURN_IF_ERROR(ReadBlock(block, out));  // whole block: straight into the output
    } else {
      block_buffer.resize(static_cast<size_t>(block_floats()));
      NV_RETURN_IF_ERROR(ReadBlock(block, block_buffer.data()));
      std::memcpy(out, block_buffer.data() + (slot - block_first) * row_floats,
                  (take_end - slot) * row_floats * sizeof(float));
    }
    out += (take_end - slot) * row_floats;
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
  // reused slot), and more of them: start the cache afresh. Frames stay
  // allocated for reuse.
  section_ = std::move(section);
  Frames& f = *frames_;
  f.block_to_frame.assign((section_.slots + section_.rows_per_block - 1) / section_.rows_per_block, kNone);
  std::fill(f.frame_to_block.begin(), f.frame_to_block.end(), kNone);
  std::fill(f.referenced.begin(), f.referenced.end(), 0);
  f.last = f.before_last = kNone;
}

PagerStats RowPager::stats() const { return frames_->stats; }

}  // namespace neurovec
