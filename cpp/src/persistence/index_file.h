// The neurovec index file, version 1 (docs/file-format.md has the full layout).
//
//   [0, 4096)        header slot 0 }  identical copies in a snapshot; a future
//   [4096, 8192)     header slot 1 }  checkpoint writes the older one, and the
//                                     valid slot with the higher generation wins
//   8192 ...         sections, each at a 4096-byte boundary, each with a CRC-32C
//   last             the section table (kind, flags, offset, length, crc)
//
// All fields are little-endian and fixed-width, so one file serves x86-64 and
// wasm32. Sections of kinds a reader does not know are skipped unless flagged
// required, which is how later sections (log, tiers, learned parameters) extend
// the format.
#pragma once

#include <cstdint>

namespace neurovec::index_file {

constexpr char kMagic[8] = {'N', 'E', 'U', 'R', 'O', 'V', 'E', 'C'};
constexpr uint32_t kFormatVersion = 1;
constexpr uint32_t kPageSize = 4096;
constexpr uint32_t kHeaderBytes = 128;      // of each 4096-byte slot; the rest is zero
constexpr uint32_t kHeaderCrcOffset = 124;  // CRC-32C of bytes [0, 124)
constexpr uint32_t kTableEntryBytes = 32;
constexpr uint32_t kFlagRequired = 1;       // a reader that does not know the kind must refuse the file

enum SectionKind : uint32_t {
  kConfig = 1,     // index parameters, slot counts, dimension order
  kIds = 2,        // per slot: u32 length + encoded id (0: free slot)
  kMetadata = 3,   // per slot: u32 length + JSON text
  kVectors = 4,    // rows in stored form (stride floats each), then one norm per slot
  kGraph = 5,      // entry point, levels, deleted flags, level-0 lists, upper lists
  kFreeSlots = 6,  // slots to reuse, in reuse order
};

const char* SectionName(uint32_t kind);

}  // namespace neurovec::index_file
