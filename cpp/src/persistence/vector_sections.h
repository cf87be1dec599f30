// The vectors of the index file (docs/file-format.md, kinds 4 and 20): the
// rows in stored form (stride floats each, deleted slots too), then one norm
// per slot; and the CRC-32C of each block of rows (and of the norms), so a
// paged open checks each block as it reads it.
//
// An open takes the rows in one of four ways: copied from the section bytes
// (checked value by value), read straight into the store (the section left
// in the file), used in place (borrowed from a read-only mapping), or paged
// (read on demand in blocks through the store's cache).
#pragma once

#include <cstdint>

#include "index/vector_index_impl.h"
#include "persistence/section_codec.h"

namespace neurovec::index_file {

// Sections 4 and 20; `written` gets where the rows went and their block
// checksums (what AttachImageRows needs). Fails only when rows of a paged
// index cannot be read back.
Status WriteVectorSections(const IndexState& x, ImageWriter& image, RowSection* written);

// Section 20 into rows->block_crcs (rows->slots and rows_per_block set).
Status DecodeVectorBlocks(const uint8_t* data, uint64_t length, uint32_t stride, RowSection* rows, uint32_t* norms_crc);

// Where the rows lie and whether they are paged.
struct VectorRows {
  RowSection section;      // offset, slots, block checksums (none when not verifying)
  uint32_t norms_crc = 0;  // from section 20
  bool paged = false;
};
Status PlanVectorRows(const ImageSections& s, uint32_t used, uint32_t stride, bool calibrated, const DecodeMode& mode,
                      VectorRows* out);

// The rows and norms into the store (after any paging was attached).
Status ReadVectorSections(Storage& storage, const ImageSections& s, const VectorRows& rows, const DecodeMode& mode,
                          uint32_t used, uint32_t stride, IndexState& x);

}  // namespace neurovec::index_file
