// Repairs of the HNSW graph (VectorIndex::Optimize): links left pointing at
// deleted nodes, and live nodes no search reaches (hnsw/graph_health.h).
#include <algorithm>

#include "hnsw/hnsw_graph.h"

namespace neurovec {
namespace {

const float* RowCopy(const VectorStore& store, uint32_t slot, std::vector<float>& buffer) {
  if (!store.paged()) return store.Row(slot);
  buffer.resize(store.stride());
  return store.StableRow(slot, buffer.data());
}

}  // namespace

uint64_t HnswGraph::DropLinksToDeleted(uint32_t first, uint32_t last, uint32_t used_slots, const VectorStore& store,
                                       SearchContext& ctx) {
  uint64_t changed = 0;
  std::vector<float> base_buffer;
  std::vector<uint32_t> pool_slots;
  for (uint32_t s = first; s < std::min(last, used_slots); ++s) {
    if (deleted_[s]) continue;
    for (int level = 0; level <= levels_[s]; ++level) {
      uint32_t* links = MutableLinks(s, level);
      bool stale = false;
      for (uint32_t i = 1; i <= links[0]; ++i) stale |= deleted_[links[i]] != 0;
      if (!stale) continue;
      const uint32_t links_before = links[0];
      // Candidates: the node's live links, and the live links of the deleted
      // nodes it linked to (the hole is filled from their neighbourhood).
      pool_slots.clear();
      auto add = [&](uint32_t t) {
        if (t == s || t >= used_slots || deleted_[t] || levels_[t] < level) return;
        if (std::find(pool_slots.begin(), pool_slots.end(), t) == pool_slots.end()) pool_slots.push_back(t);
      };
      for (uint32_t i = 1; i <= links[0]; ++i) {
        const uint32_t t = links[i];
        if (!deleted_[t]) {
          add(t);
          continue;
        }
        if (levels_[t] < level) continue;
        const uint32_t* theirs = LinksOf(t, level);
        for (uint32_t j = 1; j <= theirs[0]; ++j) add(theirs[j]);
      }
      const float* base = RowCopy(store, s, base_buffer);
      std::vector<Candidate>& pool = ctx.scratch;
      pool.clear();
      for (uint32_t t : pool_slots) pool.push_back({store.Distance(base, store.Row(t)), t});
      SortByDistance(pool);
      // The list keeps at least as many links as it had live ones plus one per
      // deleted one replaced (a tombstone routed more than one link's worth).
      RelinkFromPool(links, pool, MaxLinks(level), std::min<uint32_t>(MaxLinks(level), links_before), store, ctx);
      ++changed;
    }
  }
  return changed;
}

void HnswGraph::RelinkFromPool(uint32_t* links, const std::vector<Candidate>& pool, uint32_t max_links,
                               uint32_t target, const VectorStore& store, SearchContext& ctx) const {
  SelectNeighbors(pool, max_links, store, ctx.selected);
  uint32_t n = 0;
  for (const Candidate& kept : ctx.selected) links[++n] = kept.slot;
  for (const Candidate& c : pool) {
    if (n >= target) break;
    bool kept = false;
    for (uint32_t i = 1; i <= n; ++i) kept |= links[i] == c.slot;
    if (!kept) links[++n] = c.slot;
  }
  links[0] = n;
}

bool HnswGraph::LinkFromReachable(uint32_t slot, const std::vector<uint8_t>& reachable, std::vector<uint32_t>& in_links,
                                  const VectorStore& store, SearchContext& ctx) {
  if (entry_point_ == kNone || deleted_[slot]) return false;
  std::vector<float> query_buffer;
  const float* query = RowCopy(store, slot, query_buffer);
  // A copy: the search below reads other rows through the same buffers.
  std::vector<float> q(query, query + store.stride());
  TraversalCounters counters;
  float d = store.Distance(q.data(), store.Row(entry_point_));
  const uint32_t entry = GreedyDescend<false>(q.data(), entry_point_, &d, max_level_, 0, store, counters);
  auto accept = [&](uint32_t s) { return s != slot && s < reachable.size() && reachable[s] && !deleted_[s]; };
  ctx.visited.Prepare(capacity());
  SearchLayer<false>(q.data(), entry, d, 0, ef_construction_, store, accept, false, ctx, counters);
  std::vector<Candidate> found(ctx.results.begin(), ctx.results.end());
  SortByDistance(found);
  if (found.empty()) return false;
  if (in_links.size() < capacity()) in_links.resize(capacity(), 0);
  for (const Candidate& c : found) {
    uint32_t* links = MutableLinks(c.slot, 0);
    if (links[0] < m0_) {
      links[++links[0]] = slot;
      ++in_links[slot];
      return true;
    }
  }
  // Every candidate is full: one gives up a link for the slot. Only a link
  // whose target keeps another in-link from the reachable graph may go (else
  // the repair would cut that target off instead). Preferred: the nearest
  // candidate whose farthest such link is farther than the slot; failing
  // that, the nearest candidate with any such link.
  std::vector<float> base_buffer;
  const Candidate* fallback = nullptr;
  uint32_t fallback_index = 0;
  for (const Candidate& c : found) {
    uint32_t* links = MutableLinks(c.slot, 0);
    const float* base = RowCopy(store, c.slot, base_buffer);
    uint32_t farthest = 0;
    float farthest_distance = -1;
    for (uint32_t i = 1; i <= links[0]; ++i) {
      if (links[i] >= in_links.size() || in_links[links[i]] < 2) continue;
      const float dist = store.Distance(base, store.Row(links[i]));
      if (dist > farthest_distance) {
        farthest_distance = dist;
        farthest = i;
      }
    }
    if (farthest == 0) continue;
    if (c.distance < farthest_distance) {
      --in_links[links[farthest]];
      links[farthest] = slot;
      ++in_links[slot];
      return true;
    }
    if (!fallback) {
      fallback = &c;
      fallback_index = farthest;
    }
  }
  if (!fallback) return false;
  uint32_t* links = MutableLinks(fallback->slot, 0);
  --in_links[links[fallback_index]];
  links[fallback_index] = slot;
  ++in_links[slot];
  return true;
}

}  // namespace neurovec
