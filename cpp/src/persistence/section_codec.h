// What the per-section codecs of the index file share. index_file.cc keeps the
// header, the section table and the dispatch; each group of sections has its
// own writer and reader:
//   core_sections.cc      config, ids, metadata, free slots, level generator
//   vector_sections.cc    vectors and their block checksums (copied, read in
//                         place, borrowed from a mapping, or paged)
//   graph_sections.cc     graph and its block checksums (level 0 paged or not)
//   quantized_sections.cc quantized traversal and its codes
//   tier_sections.cc      compression tiers, tier codes, access statistics
//   learning_section.cc   learner options and learned parameters
// Not a public header; docs/file-format.md has the layout.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "neurovec/status.h"
#include "persistence/index_file.h"
#include "storage/row_pager.h"
#include "util/byte_io.h"
#include "util/crc32c.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "index files store raw little-endian arrays; a big-endian host needs byte swapping here"
#endif

namespace neurovec {
class Storage;
}

namespace neurovec::index_file {

Status CorruptSection(uint32_t kind, const std::string& what);

// Bytes of the graph section before its level-0 lists: entry point, top
// level + 1, list size, a level and a deleted flag per slot, padding to 4.
inline size_t GraphHeadBytes(uint32_t used) { return 12 + (2 * static_cast<size_t>(used) + 3) / 4 * 4; }

// Appends sections to `file` (whose byte file.size() at construction lies at
// `base` in the file, page-aligned), each at a page boundary, and keeps their
// table entries (offset, length, CRC-32C).
class ImageWriter {
 public:
  ImageWriter(std::string& file, uint64_t base) : file_(file), base_(base), origin_(file.size()) {}

  template <typename Write>
  void Section(uint32_t kind, Write&& write, uint32_t flags = kFlagRequired) {
    const size_t start = file_.size();
    ByteWriter w(file_);
    write(w);
    SectionEntry e;
    e.kind = kind;
    e.flags = flags;
    e.offset = base_ + (start - origin_);
    e.length = file_.size() - start;
    e.crc = Crc32c(reinterpret_cast<const uint8_t*>(file_.data()) + start, e.length);
    entries_.push_back(e);
    w.Zeros((kPageSize - (file_.size() - origin_) % kPageSize) % kPageSize);
  }

  // The bytes of a section written by this writer.
  const uint8_t* BytesOf(const SectionEntry& e) const {
    return reinterpret_cast<const uint8_t*>(file_.data()) + origin_ + (e.offset - base_);
  }
  const std::vector<SectionEntry>& entries() const { return entries_; }
  std::string& file() { return file_; }
  uint64_t base() const { return base_; }
  size_t origin() const { return origin_; }

 private:
  std::string& file_;
  uint64_t base_;
  size_t origin_;
  std::vector<SectionEntry> entries_;
};

// The sections of an image being decoded, as the table lists them. data is
// null for a section absent or left in the file (read later, or paged).
struct ImageSections {
  SectionEntry entry[kMaxSectionKind + 1] = {};
  const uint8_t* data[kMaxSectionKind + 1] = {};
  bool has(uint32_t kind) const { return entry[kind].kind == kind; }
  ByteReader reader(uint32_t kind) const { return ByteReader(data[kind], entry[kind].length); }
};

// How an open reads the large sections (DecodeImage's options, and what the
// table walk decided).
struct DecodeMode {
  bool verify_checksums = true;
  uint64_t page_cache_bytes = 0;  // > 0: vectors and level-0 lists may be paged
  bool attach_rows = false;       // the storage is the index's own file
  bool borrowed = false;          // vectors and level-0 lists used in place (a stable mapping)
  bool vectors_in_place = false;  // the vectors section was left in the file (read straight into the store)
  bool graph_deferred = false;    // the graph section was left in the file (read or paged later)
};

// Sections 20 (vector blocks) and 21 (graph blocks) share one layout: u32
// rows per block, u32 blocks, u32 CRC-32C of what the blocks leave out (the
// norms; the graph's head and upper lists), then one CRC-32C per block.
// CRC-32C of each block of `per_block` rows of `row_bytes` (the last block
// may hold fewer rows).
std::vector<uint32_t> BlockCrcs(const uint8_t* rows, uint32_t count, size_t row_bytes, uint32_t per_block);
void WriteBlockChecksums(ByteWriter& w, uint32_t per_block, uint32_t rest_crc, const std::vector<uint32_t>& crcs);
// Section `kind` into rows->block_crcs and *rest_crc, checked against the rows
// it describes (rows->slots and rows_per_block are set; `rows_named` names
// them in the error).
Status DecodeBlockChecksums(uint32_t kind, const uint8_t* data, uint64_t length, const std::string& rows_named,
                            RowSection* rows, uint32_t* rest_crc);

// Section bytes: in place when the storage can show them (memory, a mapped
// file), otherwise read into buffers that live as long as this object.
class SectionBytes {
 public:
  explicit SectionBytes(Storage& storage) : storage_(storage) {}
  Status At(uint64_t offset, uint64_t length, const uint8_t** out);
  // The bytes At() gave (`data`, `length`) as a string: the buffer itself,
  // moved out, when they were read into one (the caller must not use `data`
  // again), else a copy.
  std::string Take(const uint8_t* data, uint64_t length);

 private:
  Storage& storage_;
  // A deque: growing it never moves the strings (short ones keep their bytes inline).
  std::deque<std::string> buffers_;
};

}  // namespace neurovec::index_file
