// VectorIndex::Health and Optimize: the graph's soundness, measured by
// hnsw/graph_health, and its repair (hnsw/graph_repair.cc).
#include "hnsw/graph_health.h"
#include "index/vector_index_impl.h"

namespace neurovec {

Result<IndexHealth> VectorIndex::Health() const {
  const Impl& x = *impl_;
  auto paging = x.LockIfPaged();
  GraphHealth g;
  NV_RETURN_IF_ERROR(MeasureGraphHealth(x.graph, x.used_slots, &g));
  IndexHealth h;
  h.live = g.live;
  h.tombstones = g.tombstones;
  h.unreachable = g.unreachable;
  h.unreachable_through_tombstones = g.unreachable_through_tombstones;
  h.links_to_tombstones = g.links_to_tombstones;
  h.mean_out_degree = g.mean_out_degree;
  h.out_degree_histogram = std::move(g.out_degree_histogram);
  return h;
}

Result<OptimizeReport> VectorIndex::Optimize() {
  Impl& x = *impl_;
  NV_RETURN_IF_ERROR(x.BeforeWrite());
  NV_RETURN_IF_ERROR(x.BeforeGraphWrite());
  OptimizeReport report;
  auto unreachable_live = [&](const std::vector<uint8_t>& reached) {
    std::vector<uint32_t> out;
    for (uint32_t s = 0; s < x.used_slots; ++s) {
      if (!reached[s] && !x.graph.is_deleted(s)) out.push_back(s);
    }
    return out;
  };
  std::vector<uint8_t> reached = MarkReachable(x.graph, x.used_slots, false, nullptr);
  report.unreachable_before = unreachable_live(reached).size();
  std::unique_ptr<SearchContext> ctx = x.contexts.Acquire();
  report.lists_relinked = x.graph.DropLinksToDeleted(x.used_slots, x.store, *ctx);
  // Each pass links every straggler from the part reached so far; what it
  // links in brings its own neighbours along, so passes shrink fast.
  for (int pass = 0; pass < 4; ++pass) {
    reached = MarkReachable(x.graph, x.used_slots, false, nullptr);
    const std::vector<uint32_t> stragglers = unreachable_live(reached);
    if (stragglers.empty()) break;
    uint64_t linked = 0;
    for (uint32_t s : stragglers) {
      if (x.graph.LinkFromReachable(s, reached, x.store, *ctx)) ++linked;
    }
    report.reconnected += linked;
    if (linked == 0) break;
  }
  x.contexts.Release(std::move(ctx));
  report.unreachable_after = unreachable_live(MarkReachable(x.graph, x.used_slots, false, nullptr)).size();
  if (x.durable) NV_RETURN_IF_ERROR(Checkpoint());
  return report;
}

}  // namespace neurovec
