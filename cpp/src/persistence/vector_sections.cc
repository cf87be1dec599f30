#include "persistence/vector_sections.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "neurovec/storage.h"

namespace neurovec::index_file {

Status WriteVectorSections(const IndexState& x, ImageWriter& image, RowSection* written) {
  const uint32_t used = x.used_slots;
  const uint32_t stride = x.store.stride();
  const size_t row_bytes = static_cast<size_t>(stride) * sizeof(float);
  const uint32_t per_block = RowsPerBlock(row_bytes);
  // Checksums of blocks of rows (and of the norms), for paged reads, taken
  // as the rows are written.
  ImageWriter::Blocks blocks;
  blocks.row_bytes = row_bytes;
  blocks.rows = used;
  blocks.per_block = per_block;
  Status rows_read = Status::Ok();
  image.Section(kVectors, [&](ByteWriter& w) {
    // Rows of deleted slots too: tombstones still route searches.
    if (!x.store.paged()) {
      if (used > 0) w.Bytes(x.store.Row(0), static_cast<size_t>(used) * stride * sizeof(float));
    } else {
      // Rows that live in the file: copied over in chunks, past the cache.
      constexpr uint32_t kChunk = 1024;
      std::vector<float> rows(static_cast<size_t>(std::min(used, kChunk)) * stride);
      for (uint32_t first = 0; first < used && rows_read.ok(); first += kChunk) {
        const uint32_t n = std::min(kChunk, used - first);
        rows_read = x.store.CopyRows(first, n, rows.data());
        w.Bytes(rows.data(), static_cast<size_t>(n) * stride * sizeof(float));
      }
    }
    for (uint32_t s = 0; s < used; ++s) w.F32(x.store.norm(s));
  }, kFlagRequired, &blocks);
  NV_RETURN_IF_ERROR(rows_read);
  written->offset = image.entries().back().offset;
  written->slots = used;
  written->rows_per_block = per_block;
  written->block_crcs = image.block_crcs();
  const uint32_t norms_crc = image.rest_crc();
  image.Section(kVectorBlocks, [&](ByteWriter& w) { WriteBlockChecksums(w, per_block, norms_crc, written->block_crcs); }, 0);
  return Status::Ok();
}

Status DecodeVectorBlocks(const uint8_t* data, uint64_t length, uint32_t stride, RowSection* rows, uint32_t* norms_crc) {
  return DecodeBlockChecksums(kVectorBlocks, data, length,
                              std::to_string(rows->slots) + " slots of " + std::to_string(stride) + " floats", rows,
                              norms_crc);
}

Status PlanVectorRows(const ImageSections& s, uint32_t used, uint32_t stride, bool calibrated, const DecodeMode& mode,
                      VectorRows* out) {
  // Where the rows lie, and the checksum of each block of them (files
  // written before the vector-blocks section have none).
  RowSection& row_section = out->section;
  row_section.offset = s.entry[kVectors].offset;
  row_section.slots = used;
  row_section.rows_per_block = RowsPerBlock(static_cast<size_t>(stride) * 4);
  bool has_blocks = false;
  if (s.has(kVectorBlocks)) {
    NV_RETURN_IF_ERROR(DecodeVectorBlocks(s.data[kVectorBlocks], s.entry[kVectorBlocks].length, stride, &row_section,
                                          &out->norms_crc));
    has_blocks = true;
  }
  if (!mode.verify_checksums) row_section.block_crcs.clear();
  // Paged: only when the rows are not in view anyway, the store will not
  // rewrite them (calibrated), and, when verifying, blocks can be checked one
  // by one.
  out->paged = mode.vectors_in_place && used > 0 && mode.page_cache_bytes > 0 && calibrated &&
               (has_blocks || !mode.verify_checksums);
  return Status::Ok();
}

Status ReadVectorSections(Storage& storage, const ImageSections& s, const VectorRows& plan, const DecodeMode& mode,
                          uint32_t used, uint32_t stride, IndexState& x) {
  if (plan.paged) {
    // Only the norms now; rows are read as searches reach them.
    const SectionEntry& e = s.entry[kVectors];
    std::vector<float> norms(used);
    NV_RETURN_IF_ERROR(storage.Read(e.offset + static_cast<uint64_t>(used) * stride * 4, norms.data(), static_cast<size_t>(used) * 4));
    if (mode.verify_checksums &&
        Crc32c(reinterpret_cast<const uint8_t*>(norms.data()), static_cast<size_t>(used) * 4) != plan.norms_crc) {
      return CorruptSection(kVectors, "the norms fail their checksum");
    }
    for (uint32_t slot = 0; slot < used; ++slot) {
      if (!std::isfinite(norms[slot])) return CorruptSection(kVectors, "slot " + std::to_string(slot) + " has a non-finite norm");
      x.store.RestoreNorm(slot, norms[slot]);
    }
  } else if (mode.vectors_in_place && used > 0) {
    const SectionEntry& e = s.entry[kVectors];
    const size_t row_bytes = static_cast<size_t>(used) * stride * 4;
    float* rows = x.store.MutableRowsForRestore();
    if (rows == nullptr) return Status::OutOfRange("out of memory for the vectors of " + std::to_string(used) + " items");
    NV_RETURN_IF_ERROR(storage.Read(e.offset, rows, row_bytes));
    std::vector<float> norms(used);
    NV_RETURN_IF_ERROR(storage.Read(e.offset + row_bytes, norms.data(), static_cast<size_t>(used) * 4));
    if (mode.verify_checksums) {
      uint32_t crc = Crc32c(reinterpret_cast<const uint8_t*>(rows), row_bytes);
      crc = Crc32c(reinterpret_cast<const uint8_t*>(norms.data()), static_cast<size_t>(used) * 4, crc);
      if (crc != e.crc) {
        return Status::Corrupt("index file is corrupt: vectors section (offset " + std::to_string(e.offset) +
                               ") fails its checksum");
      }
    }
    // Values are covered by the checksum (the writer accepted only finite
    // ones); norms are checked one by one, as everywhere.
    for (uint32_t slot = 0; slot < used; ++slot) {
      if (!std::isfinite(norms[slot])) return CorruptSection(kVectors, "slot " + std::to_string(slot) + " has a non-finite norm");
      x.store.RestoreNorm(slot, norms[slot]);
    }
  }
  // The file holds these rows: tiers may let them go, and read them back.
  if (!plan.paged && mode.attach_rows && !mode.borrowed) {
    x.store.AttachFile(&storage, plan.section, false, mode.page_cache_bytes);
  }
  ByteReader vr = mode.vectors_in_place ? ByteReader(nullptr, 0) : s.reader(kVectors);
  const uint8_t* rows = nullptr;
  vr.Bytes(static_cast<size_t>(used) * stride * 4, rows);
  std::vector<float> row(stride);
  for (uint32_t slot = 0; slot < used && !mode.vectors_in_place; ++slot) {
    float norm;
    vr.F32(norm);
    if (mode.borrowed) {
      // Rows stay in the file: checked by the section's checksum (when
      // verified), not value by value, which would read them all.
      if (!std::isfinite(norm)) return CorruptSection(kVectors, "slot " + std::to_string(slot) + " has a non-finite norm");
      x.store.RestoreNorm(slot, norm);
      continue;
    }
    std::memcpy(row.data(), rows + static_cast<size_t>(slot) * stride * 4, static_cast<size_t>(stride) * 4);
    for (float v : row) {
      if (!std::isfinite(v)) return CorruptSection(kVectors, "slot " + std::to_string(slot) + " holds a non-finite value");
    }
    if (!std::isfinite(norm)) return CorruptSection(kVectors, "slot " + std::to_string(slot) + " has a non-finite norm");
    x.store.RestoreRow(slot, row.data(), norm);
  }
  return Status::Ok();
}

}  // namespace neurovec::index_file
