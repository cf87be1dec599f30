#include "persistence/section_codec.h"

#include <algorithm>

#include "neurovec/storage.h"

namespace neurovec::index_file {

Status CorruptSection(uint32_t kind, const std::string& what) {
  return Status::Corrupt(std::string("index file is corrupt: ") + SectionName(kind) + " section: " + what);
}

void ImageWriter::BeginSection(const Blocks* blocks) {
  in_section_ = true;
  section_start_ = position();
  consumed_ = section_start_;
  crc_ = 0;
  has_blocks_ = blocks != nullptr;
  block_crcs_.clear();
  rest_crc_ = 0;
  if (blocks) {
    blocks_ = *blocks;
    block_crcs_.assign((blocks->rows + blocks->per_block - 1) / blocks->per_block, 0);
  }
}

void ImageWriter::EndSection(uint32_t kind, uint32_t flags, ByteWriter& w) {
  Consume(position());
  in_section_ = false;
  SectionEntry e;
  e.kind = kind;
  e.flags = flags;
  e.offset = section_start_;
  e.length = position() - section_start_;
  e.crc = crc_;
  entries_.push_back(e);
  w.Zeros((kPageSize - (position() - base_) % kPageSize) % kPageSize);
}

void ImageWriter::Consume(uint64_t end) {
  if (end <= consumed_) return;
  // The buffer's byte 0 lies at base_ + spilled_ (after origin_).
  const uint64_t buffer_start = base_ + spilled_;
  const auto* data = reinterpret_cast<const uint8_t*>(buffer_.data()) + origin_ + (consumed_ - buffer_start);
  Consume(data, consumed_, static_cast<size_t>(end - consumed_));
  consumed_ = end;
}

void ImageWriter::Consume(const uint8_t* data, uint64_t offset, size_t n) {
  crc_ = Crc32c(data, n, crc_);
  if (!has_blocks_) return;
  // Split the bytes at the blocked part's edges and at block boundaries.
  const uint64_t blocks_start = section_start_ + blocks_.start;
  const uint64_t blocks_end = blocks_start + static_cast<uint64_t>(blocks_.rows) * blocks_.row_bytes;
  const uint64_t block_bytes = static_cast<uint64_t>(blocks_.per_block) * blocks_.row_bytes;
  while (n > 0) {
    size_t take;
    if (offset < blocks_start || offset >= blocks_end) {
      const uint64_t edge = offset < blocks_start ? blocks_start : ~uint64_t{0};
      take = static_cast<size_t>(std::min<uint64_t>(n, edge - offset));
      rest_crc_ = Crc32c(data, take, rest_crc_);
    } else {
      const uint64_t block = (offset - blocks_start) / block_bytes;
      const uint64_t block_end = std::min(blocks_end, blocks_start + (block + 1) * block_bytes);
      take = static_cast<size_t>(std::min<uint64_t>(n, block_end - offset));
      block_crcs_[block] = Crc32c(data, take, block_crcs_[block]);
    }
    data += take;
    offset += take;
    n -= take;
  }
}

void ImageWriter::Spill(std::string& buffer) {
  // Whole pages only: a page-aligned buffer keeps PadTo's count right.
  const size_t n = buffer.size() / kPageSize * kPageSize;
  if (n == 0) return;
  if (in_section_) Consume(std::min(position(), base_ + spilled_ + n));
  WriteOut(n);
}

void ImageWriter::WriteOut(size_t n) {
  const uint64_t at = base_ + spilled_;
  if (limit_ > 0 && at + n > limit_) overflowed_ = true;
  // After an error or an overflow the bytes are dropped: the image is
  // abandoned, and the writer stays small while the sections run out.
  if (status_.ok() && !overflowed_) status_ = storage_->Write(at, buffer_.data(), n);
  buffer_.erase(0, n);
  spilled_ += n;
}

Status ImageWriter::Finish(Header* header) {
  std::string table;
  {
    ByteWriter w(table);
    for (const SectionEntry& e : entries_) {
      w.U32(e.kind);
      w.U32(e.flags);
      w.U64(e.offset);
      w.U64(e.length);
      w.U32(e.crc);
      w.U32(0);
    }
  }
  header->table_offset = position();
  header->table_length = table.size();
  header->table_crc = Crc32c(reinterpret_cast<const uint8_t*>(table.data()), table.size());
  ByteWriter(buffer_, spill()).Bytes(table.data(), table.size());
  header->image_start = base_;
  header->image_end = position();
  if (storage_ && !buffer_.empty()) WriteOut(buffer_.size());
  return status_;
}

void WriteBlockChecksums(ByteWriter& w, uint32_t per_block, uint32_t rest_crc, const std::vector<uint32_t>& crcs) {
  w.U32(per_block);
  w.U32(static_cast<uint32_t>(crcs.size()));
  w.U32(rest_crc);
  for (uint32_t c : crcs) w.U32(c);
}

Status DecodeBlockChecksums(uint32_t kind, const uint8_t* data, uint64_t length, const std::string& rows_named,
                            RowSection* rows, uint32_t* rest_crc) {
  ByteReader r(data, length);
  uint32_t per_block = 0, blocks = 0;
  r.U32(per_block);
  r.U32(blocks);
  r.U32(*rest_crc);
  if (per_block != rows->rows_per_block || blocks != (rows->slots + per_block - 1) / per_block ||
      r.remaining() != 4ull * blocks) {
    return CorruptSection(kind, "does not match " + rows_named);
  }
  rows->block_crcs.resize(blocks);
  for (uint32_t& c : rows->block_crcs) r.U32(c);
  return Status::Ok();
}

namespace {

// std::string::resize zero-fills, and the read then overwrites every byte:
// on a first open in wasm that is a pass over tens of MiB of fresh memory for
// nothing. libc++ (Emscripten's) has an extension that skips the fill; other
// standard libraries get the plain resize.
template <typename S>
auto ResizeUninitializedImpl(S& s, size_t n, int) -> decltype(s.__resize_default_init(n)) {
  return s.__resize_default_init(n);
}
template <typename S>
void ResizeUninitializedImpl(S& s, size_t n, long) {
  s.resize(n);
}
void ResizeUninitialized(std::string& s, size_t n) { ResizeUninitializedImpl(s, n, 0); }

}  // namespace

Status SectionBytes::At(uint64_t offset, uint64_t length, const uint8_t** out) {
  if (const uint8_t* view = storage_.View(offset, length)) {
    *out = view;
    return Status::Ok();
  }
  if (length > (uint64_t{1} << 40)) return Status::Corrupt("index file is corrupt: a section claims over 1 TiB");
  buffers_.emplace_back();
  std::string& buffer = buffers_.back();
  ResizeUninitialized(buffer, static_cast<size_t>(length));
  NV_RETURN_IF_ERROR(storage_.Read(offset, &buffer[0], static_cast<size_t>(length)));
  *out = reinterpret_cast<const uint8_t*>(buffer.data());
  return Status::Ok();
}

std::string SectionBytes::Take(const uint8_t* data, uint64_t length) {
  for (std::string& b : buffers_) {
    if (reinterpret_cast<const uint8_t*>(b.data()) == data && b.size() == length) return std::move(b);
  }
  return std::string(reinterpret_cast<const char*>(data), static_cast<size_t>(length));
}

}  // namespace neurovec::index_file
