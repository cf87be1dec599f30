#include "hnsw/graph_health.h"

#include <algorithm>

namespace neurovec {

std::vector<uint8_t> MarkReachable(const HnswGraph& graph, uint32_t used_slots, bool through_tombstones,
                                   const uint32_t* level0) {
  std::vector<uint8_t> seen(used_slots, 0);
  const uint32_t entry = graph.entry_point();
  if (entry >= used_slots || (!through_tombstones && graph.is_deleted(entry))) return seen;
  const size_t words = static_cast<size_t>(graph.m0()) + 1;
  std::vector<uint32_t> reached{entry};
  seen[entry] = 1;
  for (int level = graph.max_level(); level >= 0; --level) {
    // Every node reached so far lives on this level too (it was reached on
    // a level at or above it): walk on from all of them.
    std::vector<uint32_t> queue;
    for (uint32_t s : reached) {
      if (graph.level(s) >= level) queue.push_back(s);
    }
    for (size_t head = 0; head < queue.size(); ++head) {
      const uint32_t s = queue[head];
      const uint32_t* list = level == 0 && level0 ? level0 + s * words : graph.LinksOf(s, level);
      for (uint32_t i = 1; i <= list[0]; ++i) {
        const uint32_t t = list[i];
        if (t >= used_slots || seen[t] || graph.level(t) < level) continue;
        if (!through_tombstones && graph.is_deleted(t)) continue;
        seen[t] = 1;
        queue.push_back(t);
        reached.push_back(t);
      }
    }
  }
  return seen;
}

namespace {

uint64_t CountReachedLive(const HnswGraph& graph, const std::vector<uint32_t>& level0, uint32_t used_slots,
                          bool through_tombstones) {
  const std::vector<uint8_t> seen = MarkReachable(graph, used_slots, through_tombstones, level0.data());
  uint64_t live = 0;
  for (uint32_t s = 0; s < used_slots; ++s) live += seen[s] && !graph.is_deleted(s) ? 1 : 0;
  return live;
}

}  // namespace

Status MeasureGraphHealth(const HnswGraph& graph, uint32_t used_slots, GraphHealth* out) {
  *out = GraphHealth();
  const size_t words = static_cast<size_t>(graph.m0()) + 1;
  std::vector<uint32_t> lists(static_cast<size_t>(used_slots) * words);
  constexpr uint32_t kChunk = 4096;
  for (uint32_t first = 0; first < used_slots; first += kChunk) {
    const uint32_t n = std::min(kChunk, used_slots - first);
    NV_RETURN_IF_ERROR(graph.CopyLevel0(first, n, lists.data() + first * words));
  }
  out->out_degree_histogram.assign(words, 0);
  uint64_t live_links = 0;
  for (uint32_t s = 0; s < used_slots; ++s) {
    if (graph.is_deleted(s)) {
      ++out->tombstones;
      continue;
    }
    ++out->live;
    const uint32_t* list = lists.data() + s * words;
    uint32_t degree = 0;
    for (uint32_t i = 1; i <= list[0]; ++i) {
      if (list[i] < used_slots && graph.is_deleted(list[i])) {
        ++out->links_to_tombstones;
      } else {
        ++degree;
      }
    }
    ++out->out_degree_histogram[std::min<size_t>(degree, words - 1)];
    live_links += degree;
  }
  if (out->live == 0) return Status::Ok();
  out->mean_out_degree = static_cast<double>(live_links) / static_cast<double>(out->live);
  out->unreachable = out->live - CountReachedLive(graph, lists, used_slots, false);
  out->unreachable_through_tombstones = out->live - CountReachedLive(graph, lists, used_slots, true);
  return Status::Ok();
}

}  // namespace neurovec
