// Writing and reading the index file (layout in index_file.h and
// docs/file-format.md). Everything read is checked before use: lengths against
// the bytes present (before any allocation), checksums, and the invariants the
// index relies on (links in range, ids unique, free slots really free), so a
// damaged or crafted file is refused with a message instead of crashing.
#include "persistence/index_file.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "index/vector_index_impl.h"
#include "neurovec/storage.h"
#include "persistence/core_sections.h"
#include "persistence/deferred_checksums.h"
#include "persistence/graph_sections.h"
#include "persistence/learning_section.h"
#include "persistence/router_section.h"
#include "persistence/workload_section.h"
#include "persistence/quantized_sections.h"
#include "persistence/section_codec.h"
#include "persistence/tier_sections.h"
#include "persistence/vector_sections.h"
#include "util/byte_io.h"
#include "util/crc32c.h"

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
    case kRouter: return "router";
    case kWorkload: return "workload";
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

// Writes the sections and section table of `x` through `image`; `rows` gets
// where the vectors and level-0 lists went.
Status WriteSections(const IndexState& x, ImageWriter& image, Header* header, ImageRows* rows) {
  const uint32_t used = x.used_slots;
  // The order of the sections is part of what makes save -> open -> save
  // byte-identical: it never changes.
  image.Section(kConfig, [&](ByteWriter& w) { WriteConfigSection(x, w); });
  image.Section(kIds, [&](ByteWriter& w) { WriteIdsSection(x, w); });
  image.Section(kMetadata, [&](ByteWriter& w) { WriteMetadataSection(x, w); });
  NV_RETURN_IF_ERROR(WriteVectorSections(x, image, &rows->vectors));  // vectors, vector blocks
  NV_RETURN_IF_ERROR(WriteGraphSections(x, image, &rows->level0));    // graph, graph blocks
  image.Section(kFreeSlots, [&](ByteWriter& w) { WriteFreeSlotsSection(x, w); });
  image.Section(kLevelGenerator, [&](ByteWriter& w) { WriteLevelGeneratorSection(x, w); }, 0);
  // Optional sections: readers that do not know them fall back to f32 walks.
  if (x.tier) {
    image.Section(kQuantizedTraversal, [&](ByteWriter& w) { WriteQuantizedTraversalSection(*x.tier, w); }, 0);
    if (x.tier->trained()) image.Section(kCodes, [&](ByteWriter& w) { WriteCodesSection(*x.tier, used, w); }, 0);
  }
  // Optional: a reader without tiers opens the index with every item in f32.
  if (x.tiers) {
    image.Section(kTiers, [&](ByteWriter& w) { WriteTiersSection(*x.tiers, w); }, 0);
    image.Section(kTierCodes, [&](ByteWriter& w) { WriteTierCodesSection(*x.tiers, used, w); }, 0);
    image.Section(kAccessStatistics, [&](ByteWriter& w) { WriteAccessSection(*x.tiers, used, w); }, 0);
  }
  // Optional: a reader without the learning engine skips it (the index still works).
  const std::string learning = EncodeLearningSection(x.learning);
  if (!learning.empty()) image.Section(kLearning, [&](ByteWriter& w) { w.Bytes(learning.data(), learning.size()); }, 0);
  // Optional: a reader without learned routing walks plainly.
  if (x.router) {
    RouterSectionState router{x.router->model, x.router->default_target, x.RouterChanges(), x.router->basis,
                              x.router->table};
    const std::string bytes = EncodeRouterSection(router);
    image.Section(kRouter, [&](ByteWriter& w) { w.Bytes(bytes.data(), bytes.size()); }, 0);
  }
  // Optional: a reader without it opens with no sampling and no entry hints.
  WorkloadSectionState workload;
  {
    std::lock_guard<std::mutex> lock(x.workload.mutex);
    workload.sampling.capacity = x.workload.capacity;
    workload.sampling.adapt_every = x.workload.adapt_every;
    workload.sampling.adapt = x.workload.adapt;
  }
  workload.hints = x.graph.entry_hints();
  if (HasWorkloadSection(workload)) {
    const std::string bytes = EncodeWorkloadSection(workload);
    image.Section(kWorkload, [&](ByteWriter& w) { w.Bytes(bytes.data(), bytes.size()); }, 0);
  }
  // Optional: the layer above's sections (a plain index reader skips them).
  VectorIndex::AttachedSections attached;
  if (x.attached_provider) {
    auto provided = x.attached_provider();
    if (!provided.ok()) return provided.status();
    attached = provided.take();
  } else {
    attached = x.attached_loaded;
    // Sections an open left in the file are copied over unchanged.
    for (const auto& left : x.attached_in_file) {
      auto bytes = x.ReadSectionLeftInFile(left.kind);
      if (!bytes.ok()) return bytes.status();
      attached.emplace_back(left.kind, bytes.take());
    }
  }
  for (const auto& [kind, bytes] : attached) {
    image.Section(kind, [&, &bytes = bytes](ByteWriter& w) { w.Bytes(bytes.data(), bytes.size()); }, 0);
  }
  return image.Finish(header);
}

// In memory: appends the image to `file`, whose byte file.size() at entry
// lies at `base` in the file (page-aligned).
Status AppendImage(const IndexState& x, std::string& file, uint64_t base, Header* header) {
  const uint32_t used = x.used_slots;
  // One allocation for the vectors and level-0 lists, the bulk of the file.
  file.reserve(file.size() + static_cast<size_t>(used) * ((x.store.stride() + 1) * 4 + (x.graph.m0() + 1) * 4 + 64) +
               8 * kPageSize);
  ImageWriter image(file, base);
  ImageRows rows;
  return WriteSections(x, image, header, &rows);
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

Status WriteImage(const VectorIndex& index, Storage& storage, uint64_t base_offset, uint64_t limit, size_t chunk_bytes,
                  Header* header, ImageRows* rows, ImageOutcome* outcome) {
  ImageWriter image(storage, base_offset, std::max<size_t>(chunk_bytes / kPageSize, 2) * kPageSize, limit);
  Status s = WriteSections(IndexInternals::Of(index), image, header, rows);
  outcome->overflowed = image.overflowed();
  outcome->storage_failed = !image.storage_status().ok();
  // A storage error stops the writing; report it before anything it caused.
  return outcome->storage_failed ? image.storage_status() : s;
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

Status VectorIndex::SaveTo(Storage& storage) const {
  auto paging = impl_->LockIfPaged();
  NV_RETURN_IF_ERROR(storage.Truncate(0));
  // The image first, the header slots last: a crash before the flush leaves
  // no valid header rather than a header over a partial image.
  Header h;
  h.generation = 1;
  ImageRows rows;
  ImageOutcome outcome;
  NV_RETURN_IF_ERROR(WriteImage(*this, storage, 2 * kPageSize, 0, kImageChunkBytes, &h, &rows, &outcome));
  std::string header = EncodeHeader(h);
  header.resize(kPageSize, '\0');
  NV_RETURN_IF_ERROR(storage.Write(0, header.data(), header.size()));
  NV_RETURN_IF_ERROR(storage.Write(kPageSize, header.data(), header.size()));
  return storage.Flush();
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
  SectionBytes section_bytes(storage);
  // After `section_bytes`: destroyed (its threads joined) before the bytes they read.
  DeferredChecksums deferred;
  // Read-only opens borrow views: their file does not change while the index lives.
  const bool file_is_fixed = borrow_views;
  if (borrow_views && !storage.views_are_stable()) borrow_views = false;
  std::vector<IndexState::SectionInFile> left_in_file;
  const uint8_t* table = nullptr;
  NV_RETURN_IF_ERROR(section_bytes.At(header.table_offset, header.table_length, &table));
  if (Crc32c(table, header.table_length) != header.table_crc) {
    return Status::Corrupt("index file is corrupt: section table fails its checksum");
  }

  // The table: which sections there are, and which are read now.
  ImageSections s;
  DecodeMode mode;
  mode.verify_checksums = verify_checksums;
  mode.page_cache_bytes = page_cache_bytes;
  mode.attach_rows = attach_rows;
  header.image_start = header.table_offset;
  for (const SectionEntry& e : DecodeSectionTable(table, header.table_length)) {
    if (e.offset < 2 * kPageSize || e.offset > header.image_end || e.length > header.image_end - e.offset) {
      return Status::Corrupt("index file is corrupt: " + std::string(SectionName(e.kind)) +
                             " section lies outside the file (offset " + std::to_string(e.offset) + ")");
    }
    header.image_start = std::min(header.image_start, e.offset);
    if (e.kind == kVectors && !storage.View(e.offset, e.length)) {
      // Read later straight into the vector store (no second copy of the
      // largest section); its checksum is checked there.
      s.entry[e.kind] = e;
      mode.vectors_in_place = true;
    } else if (e.kind == kGraph && page_cache_bytes > 0 && !storage.View(e.offset, e.length)) {
      // With a page cache, the graph section's level-0 lists may stay in the
      // file (decided once the config is known): its bytes are read later.
      s.entry[e.kind] = e;
      mode.graph_deferred = true;
    } else if (e.kind >= VectorIndex::kFirstAttachedSection && e.kind <= VectorIndex::kLastAttachedSection &&
               file_is_fixed && page_cache_bytes > 0 && !storage.View(e.offset, e.length)) {
      // The layer above reads it when it needs it (VectorIndex::ReadAttachedSection):
      // a read-only paged open need not read the text encoder's 9 MB first.
      left_in_file.push_back({e.kind, e.offset, e.length, e.crc});
    } else if ((e.kind >= kConfig && e.kind <= kWorkload) || e.kind == kLearning || e.kind == kVectorBlocks ||
               e.kind == kGraphBlocks ||
               (e.kind >= VectorIndex::kFirstAttachedSection && e.kind <= VectorIndex::kLastAttachedSection)) {
      const uint8_t* bytes = nullptr;
      NV_RETURN_IF_ERROR(section_bytes.At(e.offset, e.length, &bytes));
      const bool large = e.kind == kVectors || e.kind == kGraph || e.kind == kCodes || e.kind == kTierCodes;
      // Small sections, the attached ones among them, are always checked:
      // the text layer relies on it (TextEncoder::FromVerifiedSection).
      const bool check = verify_checksums || !large;
      if (check && !(large && deferred.Defer(e, bytes)) && Crc32c(bytes, e.length) != e.crc) {
        return Status::Corrupt("index file is corrupt: " + std::string(SectionName(e.kind)) +
                               " section (offset " + std::to_string(e.offset) + ") fails its checksum");
      }
      s.entry[e.kind] = e;
      s.data[e.kind] = bytes;
    } else if (e.flags & kFlagRequired) {
      return Status::UnsupportedVersion("index file needs section kind " + std::to_string(e.kind) +
                                        ", which this build does not know");
    }
  }
  deferred.Start();
  for (uint32_t kind = kConfig; kind <= kFreeSlots; ++kind) {
    if (!s.has(kind)) return Status::Corrupt(std::string("index file has no ") + SectionName(kind) + " section");
  }

  ConfigFields fields;
  NV_RETURN_IF_ERROR(ReadConfigSection(s.reader(kConfig), &fields));
  IndexConfig& config = fields.config;
  const uint32_t used = fields.used, stride = fields.stride;
  // Sizes of the fixed-layout sections follow from the config: check them before
  // allocating anything in proportion to `used`.
  const uint32_t m0 = 2 * config.m;
  if (s.entry[kVectors].length != static_cast<uint64_t>(used) * (stride + 1) * 4) {
    return CorruptSection(kVectors, "length does not match " + std::to_string(used) + " slots");
  }
  const uint64_t graph_fixed = 12 + (2ull * used + 3) / 4 * 4 + static_cast<uint64_t>(used) * (m0 + 1) * 4;
  if (s.entry[kGraph].length < graph_fixed) return CorruptSection(kGraph, "too short for " + std::to_string(used) + " slots");
  if (s.entry[kIds].length < 4ull * used || s.entry[kMetadata].length < 4ull * used) {
    return CorruptSection(kIds, "too short for " + std::to_string(used) + " slots");
  }

  config.initial_capacity = 0;
  auto created = VectorIndex::Create(config);
  if (!created.ok()) return created.status();
  std::unique_ptr<VectorIndex> index = created.take();
  IndexState& x = IndexInternals::Of(*index);
  const size_t level0_bytes = static_cast<size_t>(used) * (m0 + 1) * 4;
  mode.borrowed = borrow_views && used > 0 && s.data[kVectors] != nullptr && s.data[kGraph] != nullptr;
  if (mode.borrowed) {
    // Section starts are page-aligned and rows are multiples of 64 bytes, so
    // the mapped rows are as aligned as owned ones.
    x.store.BorrowRows(reinterpret_cast<const float*>(s.data[kVectors]), used);
    x.graph.BorrowLevel0(reinterpret_cast<const uint32_t*>(s.data[kGraph] + GraphHeadBytes(used)), used);
  }
  x.store.RestoreDimensionOrder(std::move(fields.order), fields.calibrated == 1);

  VectorRows rows;
  NV_RETURN_IF_ERROR(PlanVectorRows(s, used, stride, fields.calibrated == 1, mode, &rows));
  GraphLists lists;
  NV_RETURN_IF_ERROR(PlanGraphLists(s, used, m0, mode, &lists));
  // One bound for both caches. Lists first, up to all of them or half the
  // bound: per byte they serve more reads (every hop reads one list, and a
  // block holds ~31 of them, against one or a few rows per block), and they
  // are small (8 MB for 60k items with m = 16, beside 188 MB of 784-d rows).
  uint64_t row_cache = page_cache_bytes, list_cache = page_cache_bytes;
  if (rows.paged && lists.paged) {
    const uint64_t list_block = static_cast<uint64_t>(lists.section.rows_per_block) * (m0 + 1) * 4;
    list_cache = std::min<uint64_t>((level0_bytes + list_block - 1) / list_block * list_block, page_cache_bytes / 2);
    row_cache = page_cache_bytes - list_cache;
  }
  if (rows.paged) x.store.AttachFile(&storage, rows.section, true, row_cache);
  if (lists.paged) x.graph.PageLevel0(&storage, lists.section, list_cache);
  NV_RETURN_IF_ERROR(x.EnsureCapacity(used));

  NV_RETURN_IF_ERROR(ReadIdsSection(s.reader(kIds), used, fields.live_count, x));
  NV_RETURN_IF_ERROR(ReadMetadataSection(s.reader(kMetadata), used, x));
  NV_RETURN_IF_ERROR(ReadVectorSections(storage, s, rows, mode, used, stride, x));
  NV_RETURN_IF_ERROR(ReadGraphSections(storage, section_bytes, s, lists, mode, used, config.m, x));
  NV_RETURN_IF_ERROR(ReadFreeSlotsSection(s.reader(kFreeSlots), used, fields.live_count, x));
  if (s.has(kLevelGenerator)) {
    NV_RETURN_IF_ERROR(ReadLevelGeneratorSection(s.reader(kLevelGenerator), s.entry[kLevelGenerator].length, x));
  }

  const uint32_t d = config.dimensions;
  if (s.has(kQuantizedTraversal)) {
    const bool has_codes = s.has(kCodes);
    auto tier = ReadQuantizedSections(s.data[kQuantizedTraversal], s.entry[kQuantizedTraversal].length,
                                      has_codes ? s.data[kCodes] : nullptr, s.entry[kCodes].length, d,
                                      config.metric, used, x.live.size());
    if (!tier.ok()) return tier.status();
    x.config.quantized = tier.value()->config();
    x.tier = tier.take();
  } else if (s.has(kCodes)) {
    return CorruptSection(kCodes, "present without a quantized traversal section");
  }
  const bool has_tiers = s.has(kTiers);
  if (has_tiers != s.has(kTierCodes) || has_tiers != s.has(kAccessStatistics)) {
    return CorruptSection(has_tiers ? kTiers : (s.has(kTierCodes) ? kTierCodes : kAccessStatistics),
                          "the tiers, tier codes and access statistics sections come together");
  }
  if (has_tiers) {
    if (x.tier) return CorruptSection(kTiers, "present beside a quantized traversal section (they exclude each other)");
    auto tiers = ReadTierSections(s.data[kTiers], s.entry[kTiers].length, s.data[kTierCodes],
                                  s.entry[kTierCodes].length, s.data[kAccessStatistics],
                                  s.entry[kAccessStatistics].length, d, config.metric, used, &x.store);
    if (!tiers.ok()) return tiers.status();
    x.config.tiers = tiers.value()->config();
    x.tiers = tiers.take();
    NV_RETURN_IF_ERROR(x.tiers->Reserve(x.live.size()));
  }
  for (uint32_t kind = VectorIndex::kFirstAttachedSection; kind <= VectorIndex::kLastAttachedSection; ++kind) {
    // Read into a buffer of its own: handed over rather than copied.
    if (s.has(kind)) x.attached_loaded.emplace_back(kind, section_bytes.Take(s.data[kind], s.entry[kind].length));
  }
  if (!left_in_file.empty()) {
    x.attached_in_file = std::move(left_in_file);
    x.attached_file = &storage;
  }
  if (s.has(kRouter)) {
    RouterSectionState router;
    NV_RETURN_IF_ERROR(DecodeRouterSection(s.data[kRouter], s.entry[kRouter].length, &router));
    x.InstallRouter(router.model, router.default_target, router.changes_since_training, std::move(router.basis),
                    std::move(router.table));
  }
  if (s.has(kWorkload)) {
    WorkloadSectionState workload;
    NV_RETURN_IF_ERROR(DecodeWorkloadSection(s.data[kWorkload], s.entry[kWorkload].length, used, &workload));
    NV_RETURN_IF_ERROR(index->SetWorkloadSampling(workload.sampling));
    x.graph.SetEntryHints(std::move(workload.hints));
  }
  if (s.has(kLearning)) {
    NV_RETURN_IF_ERROR(DecodeLearningSection(s.data[kLearning], s.entry[kLearning].length, x.config.dimensions, x.config.metric,
                                               &x.learning));
  }
  NV_RETURN_IF_ERROR(deferred.Finish());
  return index;
}

Status AttachImageRows(VectorIndex& index, Storage& storage, ImageRows rows) {
  IndexState& x = IndexInternals::Of(index);
  const PagerStats paging = x.store.paging_stats();
  x.store.AttachFile(&storage, std::move(rows.vectors), false, paging.cache_bytes);
  // A paged level 0 (no write since the open: a write materializes it) reads
  // from the new image; the old one may be gone.
  x.graph.RebaseLevel0(std::move(rows.level0));
  return Status::Ok();
}

}  // namespace index_file

}  // namespace neurovec
