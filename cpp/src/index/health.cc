// VectorIndex::Health: the graph's soundness, measured by hnsw/graph_health.
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

}  // namespace neurovec
