// The neurovec index file, version 1 (docs/file-format.md has the full layout).
//
//   [0, 4096)        header slot 0 }  identical copies in a snapshot; each
//   [4096, 8192)     header slot 1 }  checkpoint writes the older one, and the
//                                     valid slot with the higher generation wins
//   8192 ...         sections, each at a 4096-byte boundary, each with a CRC-32C
//   last             the section table (kind, flags, offset, length, crc)
//
// All fields are little-endian and fixed-width, so one file serves x86-64 and
// wasm32. Sections of kinds a reader does not know are skipped unless flagged
// required, which is how the optional sections (7-13, 16, 20, 21, 24-31)
// extended the format without a new version. A durable file's log follows
// the image (persistence/write_ahead_log.h).
//
// This file declares the header, the table and the whole-image calls;
// index_file.cc implements them and dispatches to one codec per group of
// sections (persistence/section_codec.h lists them).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "neurovec/status.h"
#include "neurovec/vector_index.h"
#include "storage/row_pager.h"

namespace neurovec {
class Storage;
}

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
  kLearning = 16,  // optional: learner options and learned parameters (persistence/learning_section.h)
  // Optional (not flagged required; persistence/quantized_sections.h):
  kQuantizedTraversal = 7,  // quantized traversal configuration and codec state
  kCodes = 8,               // one code per used slot (only when the codec is trained)
  // Optional (persistence/tier_sections.h): compression tiers.
  kTiers = 9,              // tier configuration, clock, biases, shared codebooks
  kTierCodes = 10,         // tier per slot, then each tier's codes in slot order
  kAccessStatistics = 11,  // decayed access value per slot
  // Optional: the state of the generator that draws HNSW levels (4 x u64), so
  // a reopened index, and a log replayed on top of its image, draw the levels
  // the writing process drew. Without it the generator restarts from the seed.
  kLevelGenerator = 12,
  // Optional (persistence/router_section.h): the learned routing model.
  kRouter = 13,
  // Optional (persistence/workload_section.h): workload sampling settings and
  // the entry hints of the last adaptation.
  kWorkload = 14,
  // Optional: CRC-32C of each block of rows of the vectors section and of its
  // norms, so a paged open checks each block as it reads it (kind 20, away
  // from the kinds other sections take).
  kVectorBlocks = 20,
  // Optional: CRC-32C of each block of level-0 lists of the graph section and
  // of the rest of it (head and upper lists), so a paged open reads and
  // checks only the head and upper lists, and checks each block of level-0
  // lists as it reads it.
  kGraphBlocks = 21,
  // Optional, 24..31: sections of the layer built on the index, kept as bytes
  // (VectorIndex::attached_sections). The text layer (text/text_index.h):
  kTextEncoder = 24,   // encoder weights (text/text_encoder.h)
  kKeywordIndex = 25,  // BM25 keyword index (text/keyword_index.h)
  kTextState = 26,     // text settings, indexed slots, feedback events (text/text_index.cc)
};
constexpr uint32_t kMaxSectionKind = 31;

const char* SectionName(uint32_t kind);

// The fields of a header slot. For a snapshot (log_offset 0) image_end is the
// file's length; a durable file keeps its log from log_offset (== image_end) to
// the end of the file, and may hold free space before the image.
struct Header {
  uint64_t generation = 0;
  uint64_t image_end = 0;      // "file length" field: end of the section table
  uint64_t table_offset = 0;
  uint64_t table_length = 0;
  uint32_t table_crc = 0;
  uint64_t log_offset = 0;     // 0: no log (a snapshot)
  uint64_t log_epoch = 0;      // every log record carries it; stale records do not
  uint64_t log_first_seq = 0;  // sequence number of the log's first record
  // Not stored: filled by DecodeImage from the section table.
  uint64_t image_start = 0;    // first byte of the first section
};

// One entry of the section table (kTableEntryBytes bytes: these fields, then
// a reserved u32).
struct SectionEntry {
  uint32_t kind = 0;
  uint32_t flags = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint32_t crc = 0;
};

// The entries in `length` bytes of a section table (whole entries only; the
// caller has checked the length and the table's checksum).
std::vector<SectionEntry> DecodeSectionTable(const uint8_t* table, uint64_t length);

// For tests and tools: the section table of a whole file image, as its newest
// header points to it (errors as ReadHeader's, or kCorrupt when the table lies
// outside the bytes).
Result<std::vector<SectionEntry>> ReadSectionTable(const uint8_t* file, size_t size);

// The 128 bytes of a header slot (padded by the caller to a page).
std::string EncodeHeader(const Header& header);

// Reads both slots from the first two pages (`size` bytes available) and
// returns the valid one with the highest generation; `slot` gets its index.
// Errors: kNotAnIndexFile, kUnsupportedVersion, kCorrupt.
Result<Header> ReadHeader(const uint8_t* data, size_t size, int* slot);

// Encodes the sections and section table of an index in memory, laid out
// from `base_offset` (page-aligned). Fills the header's table, image_start
// and image_end fields (log fields untouched).
// Fails only when rows of a paged index cannot be read back.
Status EncodeImage(const VectorIndex& index, uint64_t base_offset, Header* header, std::string* image);

// Where an image put the rows a store may read back from its file: the
// vectors and the level-0 lists, each with its block checksums.
struct ImageRows {
  RowSection vectors;
  RowSection level0;
};

// The image EncodeImage makes, written straight to `storage` from
// `base_offset` in chunks of about `chunk_bytes` (kImageChunkBytes), so it
// never lies whole in memory; checksums are taken as the bytes pass. Nothing
// is flushed. `limit` > 0: the image must end at or before that offset; when
// it would not, nothing at or past it is written, outcome->overflowed is set
// and the caller writes it elsewhere (what was written before `limit` is
// garbage then). Errors: the storage's (outcome->storage_failed set), or the
// rows of a paged index that cannot be read back. `rows` gets where the rows
// went.
constexpr size_t kImageChunkBytes = 4u << 20;
struct ImageOutcome {
  bool overflowed = false;
  bool storage_failed = false;
};
Status WriteImage(const VectorIndex& index, Storage& storage, uint64_t base_offset, uint64_t limit, size_t chunk_bytes,
                  Header* header, ImageRows* rows, ImageOutcome* outcome);

// After an image was written to `storage` (WriteImage): the index's rows are
// now that image's, so rows the file holds may leave memory (tiers) and a
// paged index reads from there.
Status AttachImageRows(VectorIndex& index, Storage& storage, ImageRows rows);

// Reads and checks the image a header describes (`file_size` bytes present);
// sets header.image_start. borrow_views: the storage's views stay valid as long
// as the storage (a read-only mapped file), so the vectors and level-0 lists
// are used in place instead of copied. verify_checksums false skips the CRC of
// those two large sections (every other section, and every link, is still
// checked), so a large index opens without reading all its bytes.
// page_cache_bytes > 0: vectors and level-0 lists are read on demand
// (OpenOptions::page_cache_bytes: one bound for both caches, the lists' up
// to all of them or half of it) when the storage cannot show them in place. attach_rows: the storage is the
// index's own file, which the store may read rows back from (see
// AttachImageRows); otherwise (bytes handed over once) nothing refers to it.
Result<std::unique_ptr<VectorIndex>> DecodeImage(Storage& storage, Header& header, uint64_t file_size, bool borrow_views,
                                                  bool verify_checksums, uint64_t page_cache_bytes = 0,
                                                  bool attach_rows = false);

}  // namespace neurovec::index_file
