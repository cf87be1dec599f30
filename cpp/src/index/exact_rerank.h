// The end of a walk on estimated distances (codes of a quantized traversal or
// of compression tiers): keep the best candidates and give each its exact
// distance from the f32 row. Not a public header.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "hnsw/candidate.h"
#include "hnsw/hnsw_graph.h"
#include "storage/vector_store.h"

namespace neurovec {

// How many candidates get an exact distance: `rerank` (at least k), or ef when 0.
inline uint32_t RerankDepth(uint32_t rerank, uint32_t ef, uint32_t k) { return rerank == 0 ? ef : std::max(k, rerank); }

// Keeps the `keep` candidates of `found` with the smallest estimates and
// replaces their estimates by exact distances (unsorted): estimates are not
// comparable with exact distances, so every kept candidate is re-scored. A
// paged store's Row pointer is used before the next Row call. Returns how
// many candidates the walk had found (the caller's "ran out of nodes" check).
inline size_t KeepAndRescoreExactly(const VectorStore& store, const float* query, uint32_t keep,
                                    std::vector<Candidate>& found, TraversalCounters& counters) {
  const size_t walked = found.size();
  if (found.size() > keep) {
    std::nth_element(found.begin(), found.begin() + keep, found.end(),
                     [](const Candidate& a, const Candidate& b) { return a.distance < b.distance; });
    found.resize(keep);
  }
  for (Candidate& c : found) c.distance = store.Distance(query, store.Row(c.slot));
  counters.distance_computations += found.size();
  return walked;
}

}  // namespace neurovec
