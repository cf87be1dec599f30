// Writing and reading the index file (layout in index_file.h and
// docs/file-format.md). Everything read is checked before use: lengths against
// the bytes present (before any allocation), checksums, and the invariants the
// index relies on (links in range, ids unique, free slots really free), so a
// damaged or crafted file is refused with a message instead of crashing.
#include "persistence/index_file.h"

#include <algorithm>
#include <atomic>

#include <cmath>
#include <deque>
#include <cstring>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "index/vector_index_impl.h"
#include "util/byte_io.h"
#include "util/crc32c.h"
#include "persistence/quantized_sections.h"
#include "storage/row_pager.h"
#include "persistence/tier_sections.h"
#include "neurovec/storage.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "index files store raw little-endian arrays; a big-endian host needs byte swapping here"
#endif

namespace neurovec {
namespace index_file {

const char* SectionName(uint32_t kind) {
  switch (kind) {
    case kConfig: return "config";
    case kIds: return "ids";
    case kMetadata: return "metadata";
    case kVectors: return "vectors";
    case kGraph: return "graph";
    case kFreeSlots: return "free slots";
    case kLearning: return "learning";
    case kQuantizedTraversal: return "quantized traversal";
    case kCodes: return "codes";
    case kVectorBlocks: return "vector blocks";
    case kGraphBlocks: return "graph blocks";
    case kTiers: return "tiers";
    case kTierCodes: return "tier codes";
    case kAccessStatistics: return "access statistics";
    case kLevelGenerator: return "level generator";
    case kTextEncoder: return "text encoder";
    case kKeywordIndex: return "keyword index";
    case kTextState: return "text state";
  }
  return "unknown";
}

}  // namespace index_file

using namespace index_file;  // NOLINT: this file implements the format

namespace {

// Header slot layout (docs/file-format.md): offsets of the fields after the magic.
void EncodeHeaderInto(std::string& bytes, const Header& h) {
  ByteWriter w(bytes);
  w.Bytes(kMagic, sizeof kMagic);
  w.U32(kFormatVersion);
  w.U32(kHeaderBytes);
  w.U64(h.generation);
  w.U64(h.image_end);
  w.U64(h.table_offset);
  w.U64(h.table_length);
  w.U32(h.table_crc);
  w.U32(kPageSize);
  w.U64(h.log_offset);
  w.U64(h.log_epoch);
  w.U64(h.log_first_seq);
  w.Zeros(kHeaderCrcOffset - bytes.size());
  w.U32(Crc32c(reinterpret_cast<const uint8_t*>(bytes.data()), kHeaderCrcOffset));
}

enum class SlotState { kValid, kBadMagic, kBadChecksum, kBadVersion };

SlotState ReadSlot(const uint8_t* slot, Header& h) {
  if (std::memcmp(slot, kMagic, sizeof kMagic) != 0) return SlotState::kBadMagic;
  uint32_t crc = 0;
  ByteReader crc_reader(slot + kHeaderCrcOffset, 4);
  crc_reader.U32(crc);
  if (Crc32c(slot, kHeaderCrcOffset) != crc) return SlotState::kBadChecksum;
  ByteReader r(slot + sizeof kMagic, kHeaderBytes - sizeof kMagic);
  uint32_t version = 0, header_bytes = 0, page = 0;
  r.U32(version);
  r.U32(header_bytes);
  r.U64(h.generation);
  r.U64(h.image_end);
  r.U64(h.table_offset);
  r.U64(h.table_length);
  r.U32(h.table_crc);
  r.U32(page);
  r.U64(h.log_offset);
  r.U64(h.log_epoch);
  r.U64(h.log_first_seq);
  if (version != kFormatVersion || header_bytes != kHeaderBytes || page != kPageSize) return SlotState::kBadVersion;
  return SlotState::kValid;
}

Status CorruptSection(uint32_t kind, const std::string& what) {
  return Status::Corrupt(std::string("index file is corrupt: ") + SectionName(kind) + " section: " + what);
}

// Bytes of the graph section before its level-0 lists: entry point, top
// level + 1, list size, a level and a deleted flag per slot, padding to 4.
size_t GraphHeadBytes(uint32_t used) { return 12 + (2 * static_cast<size_t>(used) + 3) / 4 * 4; }

// Sections 20 (vector blocks) and 21 (graph blocks) share one layout: u32
// rows per block, u32 blocks, u32 CRC-32C of what the blocks leave out (the
// norms; the graph's head and upper lists), then one CRC-32C per block.

// CRC-32C of each block of `per_block` rows of `row_bytes` (the last block
// may hold fewer rows).
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

// Section `kind` into rows->block_crcs and *rest_crc, checked against the rows
// it describes (rows->slots and rows_per_block are set; `rows_named` names
// them in the error).
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

Status DecodeGraphBlocks(const uint8_t* data, uint64_t length, RowSection* lists, uint32_t* rest_crc) {
  return DecodeBlockChecksums(kGraphBlocks, data, length, std::to_string(lists->slots) + " level-0 lists", lists,
                              rest_crc);
}

Status DecodeVectorBlocks(const uint8_t* data, uint64_t length, uint32_t stride, RowSection* rows, uint32_t* norms_crc) {
  return DecodeBlockChecksums(kVectorBlocks, data, length,
                              std::to_string(rows->slots) + " slots of " + std::to_string(stride) + " floats", rows,
                              norms_crc);
}

// Appends the sections and section table of `x` to `file`, whose byte
// file.size() at entry lies at `base` in the file (page-aligned).
Status AppendImage(const IndexState& x, std::string& file, uint64_t base, Header* header) {
  const uint32_t used = x.used_slots;
  const uint32_t d = x.config.dimensions;
  const uint32_t stride = x.store.stride();
  const size_t origin = file.size();
  // One allocation for the vectors and level-0 lists, the bulk of the file.
  file.reserve(origin + static_cast<size_t>(used) * ((stride + 1) * 4 + (x.graph.m0() + 1) * 4 + 64) + 8 * kPageSize);
  std::vector<SectionEntry> entries;
  auto section = [&](uint32_t kind, auto&& write, uint32_t flags = kFlagRequired) {
    const size_t start = file.size();
    ByteWriter w(file);
    write(w);
    SectionEntry e;
    e.kind = kind;
    e.flags = flags;
    e.offset = base + (start - origin);
    e.length = file.size() - start;
    e.crc = Crc32c(reinterpret_cast<const uint8_t*>(file.data()) + start, e.length);
    entries.push_back(e);
    w.Zeros((kPageSize - (file.size() - origin) % kPageSize) % kPageSize);
  };

  section(kConfig, [&](ByteWriter& w) {
    w.U32(d);
    w.U32(static_cast<uint32_t>(x.config.metric));
    w.U32(x.config.m);
    w.U32(x.config.ef_construction);
    w.U32(x.config.ef_search);
    w.U64(x.config.seed);
    w.U32(used);
    w.U32(static_cast<uint32_t>(x.live_count));
    w.U32(stride);
    w.U32(x.store.calibrated() ? 1 : 0);
    for (uint32_t i = 0; i < d; ++i) w.U32(x.store.dimension_order()[i]);
  });
  section(kIds, [&](ByteWriter& w) {
    for (uint32_t s = 0; s < used; ++s) {
      if (!x.live[s]) {
        w.U32(0);
        continue;
      }
      const std::string& key = x.keys.KeyOf(s).encoded();
      w.U32(static_cast<uint32_t>(key.size()));
      w.Bytes(key.data(), key.size());
    }
  });
  section(kMetadata, [&](ByteWriter& w) {
    for (uint32_t s = 0; s < used; ++s) {
      const std::string& json = x.attributes.Json(s);
      w.U32(static_cast<uint32_t>(json.size()));
      w.Bytes(json.data(), json.size());
    }
  });
  Status rows_read = Status::Ok();
  section(kVectors, [&](ByteWriter& w) {
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
  });
  NV_RETURN_IF_ERROR(rows_read);
  {
    // Checksums of blocks of rows (and of the norms), for paged reads.
    const SectionEntry& vectors = entries.back();
    const uint8_t* rows = reinterpret_cast<const uint8_t*>(file.data()) + origin + (vectors.offset - base);
    const size_t row_bytes = static_cast<size_t>(stride) * sizeof(float);
    const uint32_t per_block = RowsPerBlock(row_bytes);
    const std::vector<uint32_t> crcs = BlockCrcs(rows, used, row_bytes, per_block);
    const uint32_t norms_crc = Crc32c(rows + static_cast<size_t>(used) * row_bytes, static_cast<size_t>(used) * 4);
    section(kVectorBlocks, [&](ByteWriter& w) { WriteBlockChecksums(w, per_block, norms_crc, crcs); }, 0);
  }
  Status lists_read = Status::Ok();
  const size_t list_bytes = static_cast<size_t>(x.graph.m0() + 1) * sizeof(uint32_t);
  section(kGraph, [&](ByteWriter& w) {
    const HnswGraph& g = x.graph;
    w.U32(g.entry_point());
    w.U32(static_cast<uint32_t>(g.max_level() + 1));  // 0: empty graph
    w.U32(g.m0());
    for (uint32_t s = 0; s < used; ++s) {
      w.U8(static_cast<uint8_t>(g.level(s)));
      w.U8(g.is_deleted(s) ? 1 : 0);
    }
    w.PadTo(4);
    if (!g.level0_paged()) {
      if (used > 0) w.Bytes(g.LinksOf(0, 0), static_cast<size_t>(used) * list_bytes);
    } else {
      // Lists that live in the file: copied over in chunks, past the cache.
      constexpr uint32_t kChunk = 4096;
      std::vector<uint32_t> lists(static_cast<size_t>(std::min(used, kChunk)) * (g.m0() + 1));
      for (uint32_t first = 0; first < used && lists_read.ok(); first += kChunk) {
        const uint32_t n = std::min(kChunk, used - first);
        lists_read = g.CopyLevel0(first, n, lists.data());
        w.Bytes(lists.data(), static_cast<size_t>(n) * list_bytes);
      }
    }
    for (uint32_t s = 0; s < used; ++s) {
      if (g.level(s) > 0) {
        w.Bytes(g.LinksOf(s, 1), static_cast<size_t>(g.level(s)) * (g.m() + 1) * sizeof(uint32_t));
      }
    }
  });
  NV_RETURN_IF_ERROR(lists_read);
  {
    // Checksums of blocks of level-0 lists, and of the rest of the graph
    // section (head and upper lists), for paged reads.
    const SectionEntry& graph = entries.back();
    const uint8_t* bytes = reinterpret_cast<const uint8_t*>(file.data()) + origin + (graph.offset - base);
    const size_t head = GraphHeadBytes(used);
    const size_t level0 = static_cast<size_t>(used) * list_bytes;
    const uint32_t per_block = RowsPerBlock(list_bytes);
    const std::vector<uint32_t> crcs = BlockCrcs(bytes + head, used, list_bytes, per_block);
    const uint32_t rest_crc = Crc32c(bytes + head + level0, graph.length - head - level0, Crc32c(bytes, head));
    section(kGraphBlocks, [&](ByteWriter& w) { WriteBlockChecksums(w, per_block, rest_crc, crcs); }, 0);
  }
  section(kFreeSlots, [&](ByteWriter& w) {
    w.U32(static_cast<uint32_t>(x.free_slots.size()));
    for (uint32_t s : x.free_slots) w.U32(s);
  });
  section(kLevelGenerator, [&](ByteWriter& w) {
    for (uint64_t word : x.graph.level_generator_state()) w.U64(word);
  }, 0);
  // Optional sections: readers that do not know them fall back to f32 walks.
  if (x.tier) {
    section(kQuantizedTraversal, [&](ByteWriter& w) { WriteQuantizedTraversalSection(*x.tier, w); }, 0);
    if (x.tier->trained()) section(kCodes, [&](ByteWriter& w) { WriteCodesSection(*x.tier, used, w); }, 0);
  }
  // Optional: a reader without tiers opens the index with every item in f32.
  if (x.tiers) {
    section(kTiers, [&](ByteWriter& w) { WriteTiersSection(*x.tiers, w); }, 0);
    section(kTierCodes, [&](ByteWriter& w) { WriteTierCodesSection(*x.tiers, used, w); }, 0);
    section(kAccessStatistics, [&](ByteWriter& w) { WriteAccessSection(*x.tiers, used, w); }, 0);
  }
  // Optional: a reader without the learning engine skips it (the index still works).
  const std::string learning = x.learning.EncodeSection();
  if (!learning.empty()) section(kLearning, [&](ByteWriter& w) { w.Bytes(learning.data(), learning.size()); }, 0);
  // Optional: the layer above's sections (a plain index reader skips them).
  const VectorIndex::AttachedSections attached = x.attached_provider ? x.attached_provider() : x.attached_loaded;
  for (const auto& [kind, bytes] : attached) {
    section(kind, [&, &bytes = bytes](ByteWriter& w) { w.Bytes(bytes.data(), bytes.size()); }, 0);
  }

  const size_t table_start = file.size();
  {
    ByteWriter w(file);
    for (const SectionEntry& e : entries) {
      w.U32(e.kind);
      w.U32(e.flags);
      w.U64(e.offset);
      w.U64(e.length);
      w.U32(e.crc);
      w.U32(0);
    }
  }
  header->table_offset = base + (table_start - origin);
  header->table_length = file.size() - table_start;
  header->table_crc = Crc32c(reinterpret_cast<const uint8_t*>(file.data()) + table_start, header->table_length);
  header->image_start = base;
  header->image_end = base + (file.size() - origin);
  return Status::Ok();
}

}  // namespace

namespace index_file {

std::string EncodeHeader(const Header& header) {
  std::string bytes;
  EncodeHeaderInto(bytes, header);
  return bytes;
}

Status EncodeImage(const VectorIndex& index, uint64_t base_offset, Header* header, std::string* image) {
  image->clear();
  return AppendImage(IndexInternals::Of(index), *image, base_offset, header);
}

}  // namespace index_file

Result<std::string> VectorIndex::ToBytes() const {
  // A snapshot: both header slots the same, no log, the image right after them.
  auto paging = impl_->LockIfPaged();
  std::string file(2 * kPageSize, '\0');
  Header h;
  h.generation = 1;
  NV_RETURN_IF_ERROR(AppendImage(*impl_, file, 2 * kPageSize, &h));
  std::string header = EncodeHeader(h);
  std::memcpy(&file[0], header.data(), header.size());
  std::memcpy(&file[kPageSize], header.data(), header.size());
  return file;
}

std::string VectorIndex::SaveToBytes() const {
  auto bytes = ToBytes();
  return bytes.ok() ? bytes.take() : std::string();
}

namespace index_file {

std::vector<SectionEntry> DecodeSectionTable(const uint8_t* table, uint64_t length) {
  std::vector<SectionEntry> entries(length / kTableEntryBytes);
  ByteReader r(table, length);
  for (SectionEntry& e : entries) {
    uint32_t reserved;
    r.U32(e.kind);
    r.U32(e.flags);
    r.U64(e.offset);
    r.U64(e.length);
    r.U32(e.crc);
    r.U32(reserved);
  }
  return entries;
}

Result<std::vector<SectionEntry>> ReadSectionTable(const uint8_t* file, size_t size) {
  auto header = ReadHeader(file, size, nullptr);
  if (!header.ok()) return header.status();
  const Header& h = header.value();
  if (h.table_offset > size || h.table_length > size - h.table_offset) {
    return Status::Corrupt("index file is corrupt: section table out of bounds");
  }
  return DecodeSectionTable(file + h.table_offset, h.table_length);
}

Result<Header> ReadHeader(const uint8_t* data, size_t size, int* slot_out) {
  if (size < sizeof kMagic || std::memcmp(data, kMagic, sizeof kMagic) != 0) {
    if (size >= 2 * kPageSize && std::memcmp(data + kPageSize, kMagic, sizeof kMagic) == 0) {
      // Slot 0 damaged, slot 1 may still be good: fall through to the slot check.
    } else {
      return Status::NotAnIndexFile("not a neurovec index file (it does not start with \"NEUROVEC\")");
    }
  }
  if (size < 2 * kPageSize) {
    return Status::Corrupt("index file is truncated: " + std::to_string(size) + " bytes, less than its " +
                           std::to_string(2 * kPageSize) + "-byte header");
  }
  // The valid header slot with the highest generation wins.
  Header header;
  bool found = false, unsupported = false;
  for (int slot = 0; slot < 2; ++slot) {
    Header h;
    SlotState state = ReadSlot(data + slot * kPageSize, h);
    if (state == SlotState::kBadVersion) unsupported = true;
    if (state == SlotState::kValid && (!found || h.generation > header.generation)) {
      header = h;
      found = true;
      if (slot_out) *slot_out = slot;
    }
  }
  if (!found) {
    if (unsupported) {
      return Status::UnsupportedVersion("index file has a format version this build cannot read (it reads version " +
                                        std::to_string(kFormatVersion) + ")");
    }
    return Status::Corrupt("index file is corrupt: both header slots fail their checksum");
  }
  return header;
}

namespace {

// Checksums of the large sections of a verified open, computed on worker
// threads while the open decodes everything else (native builds; wasm has no
// threads here, so it checks them in line). Each section is cut into slices,
// whose CRCs are joined with Crc32cCombine. On the 198 MB Fashion-MNIST
// file the check is memory-bound: in line it doubled a verified open.
// Joins its threads when destroyed, so it must not outlive the bytes it reads.
class DeferredChecksums {
 public:
  ~DeferredChecksums() { Join(); }

  // True when `size` bytes are worth checking apart (the caller then must not).
  bool Defer(const SectionEntry& entry, const uint8_t* bytes) {
#if defined(__EMSCRIPTEN__)
    (void)entry;
    (void)bytes;
    return false;
#else
    if (entry.length < (uint64_t{8} << 20)) return false;
    sections_.push_back({entry, bytes});
    return true;
#endif
  }

  void Start() {
    if (sections_.empty()) return;
    // Slices of 4 MiB taken from a shared counter: the threads, and the
    // opening thread once it has decoded the rest (Finish), take the next one.
    constexpr uint64_t kSlice = uint64_t{4} << 20;
    for (Pending& p : sections_) {
      p.first_slice = slices_.size();
      for (uint64_t at = 0; at < p.entry.length; at += kSlice) {
        slices_.push_back({p.bytes + at, static_cast<size_t>(std::min(kSlice, p.entry.length - at)), 0});
      }
      p.slices = slices_.size() - p.first_slice;
    }
    const unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
    for (unsigned t = 0; t < threads && t < slices_.size(); ++t) workers_.emplace_back([this] { Work(); });
  }

  // Waits for the checks; kCorrupt naming the first section that fails.
  Status Finish() {
    Work();
    Join();
    for (const Pending& p : sections_) {
      uint32_t crc = 0;
      for (size_t i = 0; i < p.slices; ++i) {
        const Slice& slice = slices_[p.first_slice + i];
        crc = i == 0 ? slice.crc : Crc32cCombine(crc, slice.crc, slice.size);
      }
      if (crc != p.entry.crc) {
        return Status::Corrupt("index file is corrupt: " + std::string(SectionName(p.entry.kind)) + " section (offset " +
                               std::to_string(p.entry.offset) + ") fails its checksum");
      }
    }
    return Status::Ok();
  }

 private:
  struct Pending {
    SectionEntry entry;
    const uint8_t* bytes;
    size_t first_slice = 0, slices = 0;
  };
  struct Slice {
    const uint8_t* data;
    size_t size;
    uint32_t crc;
  };
  void Work() {
    for (size_t i; (i = next_.fetch_add(1)) < slices_.size();) slices_[i].crc = Crc32c(slices_[i].data, slices_[i].size);
  }
  void Join() {
    for (std::thread& t : workers_) t.join();
    workers_.clear();
  }
  std::atomic<size_t> next_{0};
  std::vector<Pending> sections_;
  std::vector<Slice> slices_;
  std::vector<std::thread> workers_;
};

}  // namespace

Result<std::unique_ptr<VectorIndex>> DecodeImage(Storage& storage, Header& header, uint64_t size, bool borrow_views,
                                                 bool verify_checksums, uint64_t page_cache_bytes, bool attach_rows) {
  if (header.log_offset == 0 ? header.image_end != size : (header.log_offset != header.image_end || size < header.image_end)) {
    return Status::Corrupt("index file is " + std::string(size < header.image_end ? "truncated" : "longer than written") +
                           ": " + std::to_string(size) + " bytes, its header says " + std::to_string(header.image_end));
  }
  if (header.table_offset > size || header.table_length > size - header.table_offset ||
      header.table_length % kTableEntryBytes != 0 || header.table_length > (uint64_t{1} << 20)) {
    return Status::Corrupt("index file is corrupt: section table out of bounds");
  }
  // Section bytes: in place when the storage can show them (memory, a mapped
  // file), otherwise read into buffers that live until decoding ends.
  // A deque: growing it never moves the strings (short ones keep their bytes inline).
  std::deque<std::string> buffers;
  // After `buffers`: destroyed (its threads joined) before the bytes they read.
  DeferredChecksums deferred;
  if (borrow_views && !storage.views_are_stable()) borrow_views = false;
  auto bytes_at = [&](uint64_t offset, uint64_t length, const uint8_t** out) -> Status {
    if (const uint8_t* view = storage.View(offset, length)) {
      *out = view;
      return Status::Ok();
    }
    if (length > (uint64_t{1} << 40)) return Status::Corrupt("index file is corrupt: a section claims over 1 TiB");
    buffers.emplace_back();
    std::string& buffer = buffers.back();
    buffer.resize(static_cast<size_t>(length));
    NV_RETURN_IF_ERROR(storage.Read(offset, &buffer[0], static_cast<size_t>(length)));
    *out = reinterpret_cast<const uint8_t*>(buffer.data());
    return Status::Ok();
  };
  const uint8_t* table = nullptr;
  NV_RETURN_IF_ERROR(bytes_at(header.table_offset, header.table_length, &table));
  if (Crc32c(table, header.table_length) != header.table_crc) {
    return Status::Corrupt("index file is corrupt: section table fails its checksum");
  }

  SectionEntry sections[kMaxSectionKind + 1] = {};
  const uint8_t* section_data[kMaxSectionKind + 1] = {};
  bool vectors_in_place = false;
  // With a page cache, the graph section's level-0 lists may stay in the
  // file (decided once the config is known): its bytes are read below.
  bool graph_deferred = false;
  header.image_start = header.table_offset;
  {
    for (const SectionEntry& e : DecodeSectionTable(table, header.table_length)) {
      if (e.offset < 2 * kPageSize || e.offset > header.image_end || e.length > header.image_end - e.offset) {
        return Status::Corrupt("index file is corrupt: " + std::string(SectionName(e.kind)) +
                               " section lies outside the file (offset " + std::to_string(e.offset) + ")");
      }
      header.image_start = std::min(header.image_start, e.offset);
      if (e.kind == kVectors && !storage.View(e.offset, e.length)) {
        // Read later straight into the vector store (no second copy of the
        // largest section); its checksum is checked there.
        sections[e.kind] = e;
        vectors_in_place = true;
      } else if (e.kind == kGraph && page_cache_bytes > 0 && !storage.View(e.offset, e.length)) {
        sections[e.kind] = e;
        graph_deferred = true;
      } else if ((e.kind >= kConfig && e.kind <= kLevelGenerator) || e.kind == kLearning || e.kind == kVectorBlocks ||
                 e.kind == kGraphBlocks ||
                 (e.kind >= VectorIndex::kFirstAttachedSection && e.kind <= VectorIndex::kLastAttachedSection)) {
        const uint8_t* bytes = nullptr;
        NV_RETURN_IF_ERROR(bytes_at(e.offset, e.length, &bytes));
        const bool large = e.kind == kVectors || e.kind == kGraph || e.kind == kCodes || e.kind == kTierCodes;
        const bool check = verify_checksums || !large;
        if (check && !(large && deferred.Defer(e, bytes)) && Crc32c(bytes, e.length) != e.crc) {
          return Status::Corrupt("index file is corrupt: " + std::string(SectionName(e.kind)) +
                                 " section (offset " + std::to_string(e.offset) + ") fails its checksum");
        }
        sections[e.kind] = e;
        section_data[e.kind] = bytes;
      } else if (e.flags & kFlagRequired) {
        return Status::UnsupportedVersion("index file needs section kind " + std::to_string(e.kind) +
                                          ", which this build does not know");
      }
    }
  }
  deferred.Start();
  for (uint32_t kind = kConfig; kind <= kFreeSlots; ++kind) {
    if (sections[kind].kind != kind) return Status::Corrupt(std::string("index file has no ") + SectionName(kind) + " section");
  }
  auto reader = [&](uint32_t kind) { return ByteReader(section_data[kind], sections[kind].length); };

  // Config: parameters first, so every later size can be checked against them.
  ByteReader cr = reader(kConfig);
  IndexConfig config;
  uint32_t metric = 0, used = 0, live_count = 0, stride = 0, calibrated = 0;
  if (!cr.U32(config.dimensions) || !cr.U32(metric) || !cr.U32(config.m) || !cr.U32(config.ef_construction) ||
      !cr.U32(config.ef_search) || !cr.U64(config.seed) || !cr.U32(used) || !cr.U32(live_count) ||
      !cr.U32(stride) || !cr.U32(calibrated)) {
    return CorruptSection(kConfig, "too short");
  }
  if (metric > 3) return CorruptSection(kConfig, "unknown metric code " + std::to_string(metric));
  config.metric = static_cast<Metric>(metric);
  Status valid = config.Validate();
  if (!valid.ok()) return CorruptSection(kConfig, valid.message());
  const uint32_t d = config.dimensions;
  if (stride != (d + 15) / 16 * 16 || calibrated > 1 || live_count > used || used > (1u << 31)) {
    return CorruptSection(kConfig, "inconsistent sizes");
  }
  if (cr.remaining() != static_cast<size_t>(d) * 4) return CorruptSection(kConfig, "dimension order has the wrong length");
  std::vector<uint32_t> order(d);
  std::vector<uint8_t> seen_dim(d, 0);
  for (uint32_t i = 0; i < d; ++i) {
    cr.U32(order[i]);
    if (order[i] >= d || seen_dim[order[i]]++) return CorruptSection(kConfig, "dimension order is not a permutation");
  }
  // Sizes of the fixed-layout sections follow from the config: check them before
  // allocating anything in proportion to `used`.
  const uint32_t m0 = 2 * config.m;
  if (sections[kVectors].length != static_cast<uint64_t>(used) * (stride + 1) * 4) {
    return CorruptSection(kVectors, "length does not match " + std::to_string(used) + " slots");
  }
  const uint64_t graph_fixed = 12 + (2ull * used + 3) / 4 * 4 + static_cast<uint64_t>(used) * (m0 + 1) * 4;
  if (sections[kGraph].length < graph_fixed) return CorruptSection(kGraph, "too short for " + std::to_string(used) + " slots");
  if (sections[kIds].length < 4ull * used || sections[kMetadata].length < 4ull * used) {
    return CorruptSection(kIds, "too short for " + std::to_string(used) + " slots");
  }

  config.initial_capacity = 0;
  auto created = VectorIndex::Create(config);
  if (!created.ok()) return created.status();
  std::unique_ptr<VectorIndex> index = created.take();
  IndexState& x = IndexInternals::Of(*index);
  const size_t level0_offset = GraphHeadBytes(used);
  const size_t level0_bytes = static_cast<size_t>(used) * (m0 + 1) * 4;
  const bool borrowed = borrow_views && used > 0 && section_data[kVectors] != nullptr && section_data[kGraph] != nullptr;
  if (borrowed) {
    // Section starts are page-aligned and rows are multiples of 64 bytes, so
    // the mapped rows are as aligned as owned ones.
    x.store.BorrowRows(reinterpret_cast<const float*>(section_data[kVectors]), used);
    x.graph.BorrowLevel0(reinterpret_cast<const uint32_t*>(section_data[kGraph] + level0_offset), used);
  }
  x.store.RestoreDimensionOrder(std::move(order), calibrated == 1);

  // Where the rows lie, and the checksum of each block of them (files
  // written before the vector-blocks section have none).
  RowSection row_section;
  row_section.offset = sections[kVectors].offset;
  row_section.slots = used;
  row_section.rows_per_block = RowsPerBlock(static_cast<size_t>(stride) * 4);
  uint32_t norms_crc = 0;
  bool has_blocks = false;
  if (sections[kVectorBlocks].kind == kVectorBlocks) {
    NV_RETURN_IF_ERROR(DecodeVectorBlocks(section_data[kVectorBlocks], sections[kVectorBlocks].length, stride,
                                          &row_section, &norms_crc));
    has_blocks = true;
  }
  if (!verify_checksums) row_section.block_crcs.clear();
  // Paged: only when the rows are not in view anyway, the store will not
  // rewrite them (calibrated), and, when verifying, blocks can be checked one
  // by one.
  const bool paged = vectors_in_place && used > 0 && page_cache_bytes > 0 && calibrated == 1 &&
                     (has_blocks || !verify_checksums);

  // Level-0 lists likewise: paged when the graph section was left in the
  // file and, when verifying, its blocks can be checked one by one (files
  // written before the graph-blocks section are read whole then).
  RowSection list_section;
  list_section.offset = sections[kGraph].offset + level0_offset;
  list_section.slots = used;
  list_section.rows_per_block = RowsPerBlock(static_cast<size_t>(m0 + 1) * 4);
  uint32_t graph_rest_crc = 0;
  bool has_graph_blocks = false;
  if (sections[kGraphBlocks].kind == kGraphBlocks) {
    NV_RETURN_IF_ERROR(DecodeGraphBlocks(section_data[kGraphBlocks], sections[kGraphBlocks].length, &list_section,
                                         &graph_rest_crc));
    has_graph_blocks = true;
  }
  if (!verify_checksums) list_section.block_crcs.clear();
  const bool graph_paged = graph_deferred && used > 0 && (has_graph_blocks || !verify_checksums);
  // One bound for both caches. Lists first, up to all of them or half the
  // bound: per byte they serve more reads (every hop reads one list, and a
  // block holds ~31 of them, against one or a few rows per block), and they
  // are small (8 MB for 60k items with m = 16, beside 188 MB of 784-d rows).
  uint64_t row_cache = page_cache_bytes, list_cache = page_cache_bytes;
  if (paged && graph_paged) {
    const uint64_t list_block = static_cast<uint64_t>(list_section.rows_per_block) * (m0 + 1) * 4;
    list_cache = std::min<uint64_t>((level0_bytes + list_block - 1) / list_block * list_block, page_cache_bytes / 2);
    row_cache = page_cache_bytes - list_cache;
  }
  if (paged) x.store.AttachFile(&storage, row_section, true, row_cache);
  if (graph_paged) x.graph.PageLevel0(&storage, list_section, list_cache);
  NV_RETURN_IF_ERROR(x.EnsureCapacity(used));

  // Ids: a slot is live exactly when it has an id.
  ByteReader ir = reader(kIds);
  for (uint32_t s = 0; s < used; ++s) {
    uint32_t len;
    const uint8_t* bytes;
    if (!ir.U32(len) || !ir.Bytes(len, bytes)) return CorruptSection(kIds, "entry " + std::to_string(s) + " is cut short");
    if (len == 0) continue;
    auto key = ItemKey::Decode(reinterpret_cast<const char*>(bytes), len);
    if (!key.ok()) return CorruptSection(kIds, "entry " + std::to_string(s) + ": " + key.status().message());
    if (!x.keys.BindNew(key.value(), s)) return CorruptSection(kIds, "id " + key.value().ToDisplay() + " appears twice");
    x.live[s] = 1;
    ++x.live_count;
  }
  if (ir.remaining() != 0) return CorruptSection(kIds, "trailing bytes");
  if (x.live_count != live_count) return CorruptSection(kIds, "live item count differs from the config");

  ByteReader mr = reader(kMetadata);
  for (uint32_t s = 0; s < used; ++s) {
    uint32_t len;
    const uint8_t* bytes;
    if (!mr.U32(len) || !mr.Bytes(len, bytes)) return CorruptSection(kMetadata, "entry " + std::to_string(s) + " is cut short");
    if (len == 0) continue;
    if (!x.live[s]) return CorruptSection(kMetadata, "a free slot has metadata");
    std::string json(reinterpret_cast<const char*>(bytes), len);
    auto parsed = AttributeStore::ParseMetadata(json);
    if (!parsed.ok()) return CorruptSection(kMetadata, "entry " + std::to_string(s) + ": " + parsed.status().message());
    x.attributes.Set(s, json, parsed.value());
  }
  if (mr.remaining() != 0) return CorruptSection(kMetadata, "trailing bytes");

  if (paged) {
    // Only the norms now; rows are read as searches reach them.
    const SectionEntry& e = sections[kVectors];
    std::vector<float> norms(used);
    NV_RETURN_IF_ERROR(storage.Read(e.offset + static_cast<uint64_t>(used) * stride * 4, norms.data(), static_cast<size_t>(used) * 4));
    if (verify_checksums && Crc32c(reinterpret_cast<const uint8_t*>(norms.data()), static_cast<size_t>(used) * 4) != norms_crc) {
      return CorruptSection(kVectors, "the norms fail their checksum");
    }
    for (uint32_t s = 0; s < used; ++s) {
      if (!std::isfinite(norms[s])) return CorruptSection(kVectors, "slot " + std::to_string(s) + " has a non-finite norm");
      x.store.RestoreNorm(s, norms[s]);
    }
  } else if (vectors_in_place && used > 0) {
    const SectionEntry& e = sections[kVectors];
    const size_t row_bytes = static_cast<size_t>(used) * stride * 4;
    float* rows = x.store.MutableRowsForRestore();
    if (rows == nullptr) return Status::OutOfRange("out of memory for the vectors of " + std::to_string(used) + " items");
    NV_RETURN_IF_ERROR(storage.Read(e.offset, rows, row_bytes));
    std::vector<float> norms(used);
    NV_RETURN_IF_ERROR(storage.Read(e.offset + row_bytes, norms.data(), static_cast<size_t>(used) * 4));
    if (verify_checksums) {
      uint32_t crc = Crc32c(reinterpret_cast<const uint8_t*>(rows), row_bytes);
      crc = Crc32c(reinterpret_cast<const uint8_t*>(norms.data()), static_cast<size_t>(used) * 4, crc);
      if (crc != e.crc) {
        return Status::Corrupt("index file is corrupt: vectors section (offset " + std::to_string(e.offset) +
                               ") fails its checksum");
      }
    }
    // Values are covered by the checksum (the writer accepted only finite
    // ones); norms are checked one by one, as everywhere.
    for (uint32_t s = 0; s < used; ++s) {
      if (!std::isfinite(norms[s])) return CorruptSection(kVectors, "slot " + std::to_string(s) + " has a non-finite norm");
      x.store.RestoreNorm(s, norms[s]);
    }
  }
  // The file holds these rows: tiers may let them go, and read them back.
  if (!paged && attach_rows && !borrowed) x.store.AttachFile(&storage, row_section, false, page_cache_bytes);
  ByteReader vr = vectors_in_place ? ByteReader(nullptr, 0) : reader(kVectors);
  const uint8_t* rows = nullptr;
  vr.Bytes(static_cast<size_t>(used) * stride * 4, rows);
  std::vector<float> row(stride);
  for (uint32_t s = 0; s < used && !vectors_in_place; ++s) {
    float norm;
    vr.F32(norm);
    if (borrowed) {
      // Rows stay in the file: checked by the section's checksum (when
      // verified), not value by value, which would read them all.
      if (!std::isfinite(norm)) return CorruptSection(kVectors, "slot " + std::to_string(s) + " has a non-finite norm");
      x.store.RestoreNorm(s, norm);
      continue;
    }
    std::memcpy(row.data(), rows + static_cast<size_t>(s) * stride * 4, static_cast<size_t>(stride) * 4);
    for (float v : row) {
      if (!std::isfinite(v)) return CorruptSection(kVectors, "slot " + std::to_string(s) + " holds a non-finite value");
    }
    if (!std::isfinite(norm)) return CorruptSection(kVectors, "slot " + std::to_string(s) + " has a non-finite norm");
    x.store.RestoreRow(s, row.data(), norm);
  }

  // The graph section: in memory already, or (left in the file) read now:
  // whole when its level-0 lists are not paged, else only its head and its
  // upper lists, checked against the graph-blocks section.
  const SectionEntry& graph_entry = sections[kGraph];
  const uint8_t* graph_bytes = section_data[kGraph];  // the whole section; null when level 0 is paged
  if (graph_deferred && !graph_paged) {
    NV_RETURN_IF_ERROR(bytes_at(graph_entry.offset, graph_entry.length, &graph_bytes));
    if (verify_checksums && Crc32c(graph_bytes, graph_entry.length) != graph_entry.crc) {
      return Status::Corrupt("index file is corrupt: graph section (offset " + std::to_string(graph_entry.offset) +
                             ") fails its checksum");
    }
  }
  std::string graph_head, graph_upper;
  if (graph_paged) {
    graph_head.resize(level0_offset);
    NV_RETURN_IF_ERROR(storage.Read(graph_entry.offset, &graph_head[0], level0_offset));
  }
  ByteReader gr(graph_paged ? reinterpret_cast<const uint8_t*>(graph_head.data()) : graph_bytes, level0_offset);
  uint32_t entry = 0, top_plus_one = 0, file_m0 = 0;
  gr.U32(entry);
  gr.U32(top_plus_one);
  gr.U32(file_m0);
  if (file_m0 != m0) return CorruptSection(kGraph, "level-0 list size differs from the config");
  HnswGraph& g = x.graph;
  std::vector<uint8_t> levels(used);
  uint64_t upper_words = 0;
  for (uint32_t s = 0; s < used; ++s) {
    uint8_t level = 0, deleted = 0;
    gr.U8(level);
    gr.U8(deleted);
    if (level > HnswGraph::kMaxLevel || deleted > 1) return CorruptSection(kGraph, "slot " + std::to_string(s) + " has a bad level or flag");
    if ((deleted == 1) == (x.live[s] == 1)) return CorruptSection(kGraph, "slot " + std::to_string(s) + ": deleted flag disagrees with the ids");
    levels[s] = level;
    upper_words += static_cast<uint64_t>(level) * (config.m + 1);
    g.RestoreNode(s, level, deleted == 1);
  }
  if (graph_entry.length - level0_offset != level0_bytes + upper_words * 4) {
    return CorruptSection(kGraph, "length does not match the levels it lists");
  }
  const uint8_t* upper = nullptr;
  if (graph_paged) {
    // Level-0 lists stay in the file (each block checked as it is read).
    graph_upper.resize(static_cast<size_t>(upper_words) * 4);
    if (upper_words > 0) {
      NV_RETURN_IF_ERROR(storage.Read(graph_entry.offset + level0_offset + level0_bytes, &graph_upper[0], graph_upper.size()));
    }
    upper = reinterpret_cast<const uint8_t*>(graph_upper.data());
    if (verify_checksums &&
        Crc32c(upper, graph_upper.size(), Crc32c(reinterpret_cast<const uint8_t*>(graph_head.data()), level0_offset)) !=
            graph_rest_crc) {
      return Status::Corrupt("index file is corrupt: graph section (offset " + std::to_string(graph_entry.offset) +
                             "): its levels and upper lists fail their checksum");
    }
  } else {
    // Level-0 lists have the same layout in the file and in memory: one copy
    // (none when borrowed), then every list is checked.
    if (used > 0 && !borrowed) std::memcpy(g.MutableLinksForRestore(0, 0), graph_bytes + level0_offset, level0_bytes);
    upper = graph_bytes + level0_offset + level0_bytes;
  }
  ByteReader ur(upper, static_cast<size_t>(upper_words) * 4);
  auto read_lists = [&](uint32_t s, int level, uint32_t max_links) -> Status {
    const uint32_t* links;
    if (level == 0) {
      links = g.LinksOf(s, 0);  // in place: only checked
    } else {
      uint32_t* out = g.MutableLinksForRestore(s, level);
      for (uint32_t i = 0; i <= max_links; ++i) ur.U32(out[i]);
      links = out;
    }
    if (links[0] > max_links) return CorruptSection(kGraph, "slot " + std::to_string(s) + " has too many links");
    for (uint32_t i = 1; i <= links[0]; ++i) {
      if (links[i] >= used || levels[links[i]] < level) {
        return CorruptSection(kGraph, "slot " + std::to_string(s) + " links to a slot that does not exist on its level");
      }
    }
    return Status::Ok();
  };
  for (uint32_t s = 0; s < used && !graph_paged; ++s) NV_RETURN_IF_ERROR(read_lists(s, 0, m0));
  for (uint32_t s = 0; s < used; ++s) {
    for (int level = 1; level <= levels[s]; ++level) NV_RETURN_IF_ERROR(read_lists(s, level, config.m));
  }
  if (used == 0) {
    if (entry != HnswGraph::kNone || top_plus_one != 0) return CorruptSection(kGraph, "an empty graph has an entry point");
  } else if (entry >= used || top_plus_one != levels[entry] + 1u) {
    return CorruptSection(kGraph, "bad entry point");
  }
  g.RestoreEntryPoint(entry, static_cast<int>(top_plus_one) - 1);

  ByteReader fr = reader(kFreeSlots);
  uint32_t free_count;
  if (!fr.U32(free_count) || free_count != used - live_count || fr.remaining() != 4ull * free_count) {
    return CorruptSection(kFreeSlots, "count does not match the free slots");
  }
  std::vector<uint8_t> listed(used, 0);
  for (uint32_t i = 0; i < free_count; ++i) {
    uint32_t s;
    fr.U32(s);
    if (s >= used || x.live[s] || listed[s]++) return CorruptSection(kFreeSlots, "slot " + std::to_string(s) + " is not a free slot");
    x.free_slots.push_back(s);
  }
  x.used_slots = used;
  if (sections[kLevelGenerator].kind == kLevelGenerator) {
    ByteReader lr = reader(kLevelGenerator);
    Random::State state{};
    for (uint64_t& word : state) lr.U64(word);
    if (sections[kLevelGenerator].length != 32 || !g.RestoreLevelGenerator(state)) {
      return CorruptSection(kLevelGenerator, "must hold a nonzero 32-byte generator state");
    }
  }

  if (sections[kQuantizedTraversal].kind == kQuantizedTraversal) {
    const bool has_codes = sections[kCodes].kind == kCodes;
    auto tier = ReadQuantizedSections(section_data[kQuantizedTraversal], sections[kQuantizedTraversal].length,
                                      has_codes ? section_data[kCodes] : nullptr, sections[kCodes].length, d,
                                      config.metric, used, x.live.size());
    if (!tier.ok()) return tier.status();
    x.config.quantized = tier.value()->config();
    x.tier = tier.take();
  } else if (sections[kCodes].kind == kCodes) {
    return CorruptSection(kCodes, "present without a quantized traversal section");
  }
  const bool has_tiers = sections[kTiers].kind == kTiers;
  if (has_tiers != (sections[kTierCodes].kind == kTierCodes) ||
      has_tiers != (sections[kAccessStatistics].kind == kAccessStatistics)) {
    return CorruptSection(has_tiers ? kTiers : (sections[kTierCodes].kind == kTierCodes ? kTierCodes : kAccessStatistics),
                          "the tiers, tier codes and access statistics sections come together");
  }
  if (has_tiers) {
    if (x.tier) return CorruptSection(kTiers, "present beside a quantized traversal section (they exclude each other)");
    auto tiers = ReadTierSections(section_data[kTiers], sections[kTiers].length, section_data[kTierCodes],
                                  sections[kTierCodes].length, section_data[kAccessStatistics],
                                  sections[kAccessStatistics].length, d, config.metric, used, &x.store);
    if (!tiers.ok()) return tiers.status();
    x.config.tiers = tiers.value()->config();
    x.tiers = tiers.take();
    NV_RETURN_IF_ERROR(x.tiers->Reserve(x.live.size()));
  }
  for (uint32_t kind = VectorIndex::kFirstAttachedSection; kind <= VectorIndex::kLastAttachedSection; ++kind) {
    if (sections[kind].kind == kind) {
      x.attached_loaded.emplace_back(kind, std::string(reinterpret_cast<const char*>(section_data[kind]), sections[kind].length));
    }
  }
  if (sections[kLearning].kind == kLearning) {
    NV_RETURN_IF_ERROR(x.learning.DecodeSection(section_data[kLearning], sections[kLearning].length));
  }
  NV_RETURN_IF_ERROR(deferred.Finish());
  return index;
}

Status AttachImageRows(VectorIndex& index, Storage& storage, const std::string& image, const Header& header) {
  IndexState& x = IndexInternals::Of(index);
  // The image was just encoded: its table and sections are as we wrote them.
  const auto* bytes = reinterpret_cast<const uint8_t*>(image.data());
  RowSection rows;
  rows.slots = x.used_slots;
  rows.rows_per_block = RowsPerBlock(static_cast<size_t>(x.store.stride()) * 4);
  RowSection lists;
  lists.slots = x.used_slots;
  lists.rows_per_block = RowsPerBlock(static_cast<size_t>(x.graph.m0() + 1) * 4);
  bool found = false, found_graph = false;
  for (const SectionEntry& e :
       DecodeSectionTable(bytes + (header.table_offset - header.image_start), header.table_length)) {
    if (e.kind == kVectors) {
      rows.offset = e.offset;
      found = true;
    } else if (e.kind == kVectorBlocks) {
      uint32_t norms_crc = 0;
      NV_RETURN_IF_ERROR(DecodeVectorBlocks(bytes + (e.offset - header.image_start), e.length, x.store.stride(),
                                            &rows, &norms_crc));
    } else if (e.kind == kGraph) {
      lists.offset = e.offset + GraphHeadBytes(x.used_slots);
      found_graph = true;
    } else if (e.kind == kGraphBlocks) {
      uint32_t rest_crc = 0;
      NV_RETURN_IF_ERROR(DecodeGraphBlocks(bytes + (e.offset - header.image_start), e.length, &lists, &rest_crc));
    }
  }
  if (!found || !found_graph) return Status::Internal("a checkpoint image without a vectors or graph section");
  const PagerStats paging = x.store.paging_stats();
  x.store.AttachFile(&storage, std::move(rows), false, paging.cache_bytes);
  // A paged level 0 (no write since the open: a write materializes it) reads
  // from the new image; the old one may be gone.
  x.graph.RebaseLevel0(std::move(lists));
  return Status::Ok();
}

}  // namespace index_file

}  // namespace neurovec
