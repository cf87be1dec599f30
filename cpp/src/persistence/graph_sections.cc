#include "persistence/graph_sections.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "neurovec/storage.h"

namespace neurovec::index_file {

Status WriteGraphSections(const IndexState& x, ImageWriter& image, RowSection* written) {
  const uint32_t used = x.used_slots;
  Status lists_read = Status::Ok();
  const size_t list_bytes = static_cast<size_t>(x.graph.m0() + 1) * sizeof(uint32_t);
  // Checksums of blocks of level-0 lists, and of the rest of the section
  // (head and upper lists), for paged reads, taken as the lists are written.
  const uint32_t per_block = RowsPerBlock(list_bytes);
  ImageWriter::Blocks blocks;
  blocks.start = GraphHeadBytes(used);
  blocks.row_bytes = list_bytes;
  blocks.rows = used;
  blocks.per_block = per_block;
  image.Section(kGraph, [&](ByteWriter& w) {
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
  }, kFlagRequired, &blocks);
  NV_RETURN_IF_ERROR(lists_read);
  written->offset = image.entries().back().offset + GraphHeadBytes(used);
  written->slots = used;
  written->rows_per_block = per_block;
  written->block_crcs = image.block_crcs();
  const uint32_t rest_crc = image.rest_crc();
  image.Section(kGraphBlocks, [&](ByteWriter& w) { WriteBlockChecksums(w, per_block, rest_crc, written->block_crcs); }, 0);
  return Status::Ok();
}

Status DecodeGraphBlocks(const uint8_t* data, uint64_t length, RowSection* lists, uint32_t* rest_crc) {
  return DecodeBlockChecksums(kGraphBlocks, data, length, std::to_string(lists->slots) + " level-0 lists", lists,
                              rest_crc);
}

Status PlanGraphLists(const ImageSections& s, uint32_t used, uint32_t m0, const DecodeMode& mode, GraphLists* out) {
  // Level-0 lists: paged when the graph section was left in the file and,
  // when verifying, its blocks can be checked one by one (files written
  // before the graph-blocks section are read whole then).
  RowSection& list_section = out->section;
  list_section.offset = s.entry[kGraph].offset + GraphHeadBytes(used);
  list_section.slots = used;
  list_section.rows_per_block = RowsPerBlock(static_cast<size_t>(m0 + 1) * 4);
  bool has_graph_blocks = false;
  if (s.has(kGraphBlocks)) {
    NV_RETURN_IF_ERROR(DecodeGraphBlocks(s.data[kGraphBlocks], s.entry[kGraphBlocks].length, &list_section,
                                         &out->rest_crc));
    has_graph_blocks = true;
  }
  if (!mode.verify_checksums) list_section.block_crcs.clear();
  out->paged = mode.graph_deferred && used > 0 && (has_graph_blocks || !mode.verify_checksums);
  return Status::Ok();
}

Status ReadGraphSections(Storage& storage, SectionBytes& section_bytes, const ImageSections& s,
                         const GraphLists& lists, const DecodeMode& mode, uint32_t used, uint32_t m, IndexState& x) {
  const uint32_t m0 = 2 * m;
  const bool graph_paged = lists.paged;
  const size_t level0_offset = GraphHeadBytes(used);
  const size_t level0_bytes = static_cast<size_t>(used) * (m0 + 1) * 4;
  // The graph section: in memory already, or (left in the file) read now:
  // whole when its level-0 lists are not paged, else only its head and its
  // upper lists, checked against the graph-blocks section.
  const SectionEntry& graph_entry = s.entry[kGraph];
  const uint8_t* graph_bytes = s.data[kGraph];  // the whole section; null when level 0 is paged
  if (mode.graph_deferred && !graph_paged) {
    NV_RETURN_IF_ERROR(section_bytes.At(graph_entry.offset, graph_entry.length, &graph_bytes));
    if (mode.verify_checksums && Crc32c(graph_bytes, graph_entry.length) != graph_entry.crc) {
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
  for (uint32_t slot = 0; slot < used; ++slot) {
    uint8_t level = 0, deleted = 0;
    gr.U8(level);
    gr.U8(deleted);
    if (level > HnswGraph::kMaxLevel || deleted > 1) return CorruptSection(kGraph, "slot " + std::to_string(slot) + " has a bad level or flag");
    if ((deleted == 1) == (x.live[slot] == 1)) return CorruptSection(kGraph, "slot " + std::to_string(slot) + ": deleted flag disagrees with the ids");
    levels[slot] = level;
    upper_words += static_cast<uint64_t>(level) * (m + 1);
    g.RestoreNode(slot, level, deleted == 1);
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
    if (mode.verify_checksums &&
        Crc32c(upper, graph_upper.size(), Crc32c(reinterpret_cast<const uint8_t*>(graph_head.data()), level0_offset)) !=
            lists.rest_crc) {
      return Status::Corrupt("index file is corrupt: graph section (offset " + std::to_string(graph_entry.offset) +
                             "): its levels and upper lists fail their checksum");
    }
  } else {
    // Level-0 lists have the same layout in the file and in memory: one copy
    // (none when borrowed), then every list is checked.
    if (used > 0 && !mode.borrowed) std::memcpy(g.MutableLinksForRestore(0, 0), graph_bytes + level0_offset, level0_bytes);
    upper = graph_bytes + level0_offset + level0_bytes;
  }
  ByteReader ur(upper, static_cast<size_t>(upper_words) * 4);
  auto read_lists = [&](uint32_t slot, int level, uint32_t max_links) -> Status {
    const uint32_t* links;
    if (level == 0) {
      links = g.LinksOf(slot, 0);  // in place: only checked
    } else {
      uint32_t* out = g.MutableLinksForRestore(slot, level);
      for (uint32_t i = 0; i <= max_links; ++i) ur.U32(out[i]);
      links = out;
    }
    if (links[0] > max_links) return CorruptSection(kGraph, "slot " + std::to_string(slot) + " has too many links");
    for (uint32_t i = 1; i <= links[0]; ++i) {
      if (links[i] >= used || levels[links[i]] < level) {
        return CorruptSection(kGraph, "slot " + std::to_string(slot) + " links to a slot that does not exist on its level");
      }
    }
    return Status::Ok();
  };
  for (uint32_t slot = 0; slot < used && !graph_paged; ++slot) NV_RETURN_IF_ERROR(read_lists(slot, 0, m0));
  for (uint32_t slot = 0; slot < used; ++slot) {
    for (int level = 1; level <= levels[slot]; ++level) NV_RETURN_IF_ERROR(read_lists(slot, level, m));
  }
  if (used == 0) {
    if (entry != HnswGraph::kNone || top_plus_one != 0) return CorruptSection(kGraph, "an empty graph has an entry point");
  } else if (entry >= used || top_plus_one != levels[entry] + 1u) {
    return CorruptSection(kGraph, "bad entry point");
  }
  g.RestoreEntryPoint(entry, static_cast<int>(top_plus_one) - 1);
  return Status::Ok();
}

}  // namespace neurovec::index_file
