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

// Writes the sections of an image, each at a page boundary, and keeps their
// table entries (offset, length, CRC-32C). Two ways:
// - in memory: appended to `file`, whose byte file.size() at construction
//   lies at `base` in the file (ToBytes, and tests);
// - streaming: written to `storage` from `base` in chunks of `chunk_bytes`
//   (a multiple of the page size), so an image of any size holds about one
//   chunk in memory (Checkpoint). Checksums are taken as the bytes pass.
//   `limit` > 0: the image must end at or before that offset (the free space
//   before a checkpoint's current image); past it nothing more is written,
//   overflowed() says so, and the caller writes elsewhere.
// The bytes are the same either way; storage errors end the writing, and
// Finish returns the first of them.
class ImageWriter : private ByteSpill {
 public:
  ImageWriter(std::string& file, uint64_t base)
      : ByteSpill(~size_t{0}), buffer_(file), base_(base), origin_(file.size()) {}
  ImageWriter(Storage& storage, uint64_t base, size_t chunk_bytes, uint64_t limit = 0)
      : ByteSpill(chunk_bytes), buffer_(own_), base_(base), origin_(0), storage_(&storage), limit_(limit) {}

  // A part of the next section cut into blocks of rows, each block checked
  // apart (sections 20 and 21): `rows` rows of `row_bytes` from byte `start`
  // of the section, `per_block` rows a block (the last may hold fewer).
  struct Blocks {
    uint64_t start = 0;
    size_t row_bytes = 0;
    uint32_t rows = 0;
    uint32_t per_block = 1;
  };

  template <typename Write>
  void Section(uint32_t kind, Write&& write, uint32_t flags = kFlagRequired, const Blocks* blocks = nullptr) {
    BeginSection(blocks);
    ByteWriter w(buffer_, spill());
    write(w);
    EndSection(kind, flags, w);
  }

  // After a Section with Blocks: the CRC-32C of each block, and of the
  // section's bytes outside the blocks, in order.
  const std::vector<uint32_t>& block_crcs() const { return block_crcs_; }
  uint32_t rest_crc() const { return rest_crc_; }

  const std::vector<SectionEntry>& entries() const { return entries_; }
  // The file offset of the next byte.
  uint64_t position() const { return base_ + spilled_ + (buffer_.size() - origin_); }

  // Appends the section table and fills the header's table, image_start and
  // image_end fields; streaming, writes what is left (nothing is flushed).
  Status Finish(Header* header);
  bool overflowed() const { return overflowed_; }
  const Status& storage_status() const { return status_; }

 private:
  ByteSpill* spill() { return storage_ ? this : nullptr; }
  void BeginSection(const Blocks* blocks);
  void EndSection(uint32_t kind, uint32_t flags, ByteWriter& w);
  // Takes the checksums of the current section's bytes at [consumed_, end).
  void Consume(uint64_t end);
  void Consume(const uint8_t* data, uint64_t offset, size_t n);
  // Writes whole pages off the buffer's front (the rest stays for later).
  void Spill(std::string& buffer) override;
  void WriteOut(size_t n);

  std::string own_;
  std::string& buffer_;
  uint64_t base_;
  size_t origin_;
  Storage* storage_ = nullptr;
  uint64_t limit_ = 0;
  uint64_t spilled_ = 0;  // bytes written out (streaming)
  Status status_ = Status::Ok();
  bool overflowed_ = false;
  std::vector<SectionEntry> entries_;
  // The section being written.
  bool in_section_ = false;
  uint64_t section_start_ = 0;  // file offset
  uint64_t consumed_ = 0;       // file offset up to which its checksums are taken
  uint32_t crc_ = 0;
  Blocks blocks_;
  bool has_blocks_ = false;
  std::vector<uint32_t> block_crcs_;
  uint32_t rest_crc_ = 0;
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
