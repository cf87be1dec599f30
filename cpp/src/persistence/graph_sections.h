// The graph of the index file (docs/file-format.md, kinds 5 and 21): entry
// point, top level + 1, level-0 list size, a level and a deleted flag per
// slot (padded to 4), the level-0 lists (m0 + 1 u32 each, count first), then
// the upper lists of each slot in slot and level order; and the CRC-32C of
// each block of level-0 lists and of the rest of the section, so a paged open
// reads and checks only the head and upper lists, and each block of level-0
// lists as it reads it. Every link is checked (in range, on its level).
#pragma once

#include <cstdint>

#include "index/vector_index_impl.h"
#include "persistence/section_codec.h"

namespace neurovec::index_file {

// Sections 5 and 21. Fails only when level-0 lists of a paged index cannot
// be read back.
// `written` gets where the level-0 lists went and their block checksums.
Status WriteGraphSections(const IndexState& x, ImageWriter& image, RowSection* written);

// Section 21 into lists->block_crcs (lists->slots and rows_per_block set).
Status DecodeGraphBlocks(const uint8_t* data, uint64_t length, RowSection* lists, uint32_t* rest_crc);

// Where the level-0 lists lie and whether they are paged.
struct GraphLists {
  RowSection section;     // offset of list 0, slots, block checksums (none when not verifying)
  uint32_t rest_crc = 0;  // of the head and upper lists (section 21)
  bool paged = false;
};
Status PlanGraphLists(const ImageSections& s, uint32_t used, uint32_t m0, const DecodeMode& mode, GraphLists* out);

// The levels, flags, lists and entry point into the graph (after the ids:
// deleted flags are checked against them, and after any paging was attached).
Status ReadGraphSections(Storage& storage, SectionBytes& bytes, const ImageSections& s, const GraphLists& lists,
                         const DecodeMode& mode, uint32_t used, uint32_t m, IndexState& x);

}  // namespace neurovec::index_file
