#include "persistence/section_codec.h"

#include <algorithm>

#include "neurovec/storage.h"

namespace neurovec::index_file {

Status CorruptSection(uint32_t kind, const std::string& what) {
  return Status::Corrupt(std::string("index file is corrupt: ") + SectionName(kind) + " section: " + what);
}

std::vector<uint32_t> BlockCrcs(const uint8_t* rows, uint32_t count, size_t row_bytes, uint32_t per_block) {
  std::vector<uint32_t> crcs((count + per_block - 1) / per_block);
  for (uint32_t b = 0; b < crcs.size(); ++b) {
    const uint32_t n = std::min(per_block, count - b * per_block);
    crcs[b] = Crc32c(rows + static_cast<size_t>(b) * per_block * row_bytes, n * row_bytes);
  }
  return crcs;
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

Status SectionBytes::At(uint64_t offset, uint64_t length, const uint8_t** out) {
  if (const uint8_t* view = storage_.View(offset, length)) {
    *out = view;
    return Status::Ok();
  }
  if (length > (uint64_t{1} << 40)) return Status::Corrupt("index file is corrupt: a section claims over 1 TiB");
  buffers_.emplace_back();
  std::string& buffer = buffers_.back();
  buffer.resize(static_cast<size_t>(length));
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
