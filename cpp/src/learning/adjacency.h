// A small directed graph in compressed sparse rows over local node indices
// 0..n-1: what the message-passing layers read. It is a view built for one
// computation (the candidates of a query, a test graph), not the HNSW graph
// itself, so it can come from level 0 or from an upper level of the index
// (hierarchical message passing) and tiny graphs can be written by hand.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "neurovec/status.h"

namespace neurovec {
class HnswGraph;
}

namespace neurovec::learning {

struct Adjacency {
  std::vector<uint32_t> node_ids;   // external id of each local node (an HNSW slot); may be empty
  std::vector<uint32_t> offsets;    // num_nodes + 1 entries; neighbours of i are [offsets[i], offsets[i+1])
  std::vector<uint32_t> neighbors;  // local indices of the neighbours
  std::vector<float> weights;       // edge weight of each entry of `neighbors`

  uint32_t num_nodes() const { return offsets.empty() ? 0 : static_cast<uint32_t>(offsets.size() - 1); }
  uint32_t num_edges() const { return static_cast<uint32_t>(neighbors.size()); }
  uint32_t begin(uint32_t node) const { return offsets[node]; }
  uint32_t end(uint32_t node) const { return offsets[node + 1]; }
  uint32_t degree(uint32_t node) const { return offsets[node + 1] - offsets[node]; }

  // Offsets ascending from 0 to num_edges, neighbours < num_nodes, one finite
  // weight per edge, node_ids empty or one per node.
  Status Validate() const;

  // From neighbour lists; every weight is `weight`.
  static Adjacency FromLists(const std::vector<std::vector<uint32_t>>& lists, float weight = 1.0f);
};

// The subgraph induced by `slots` on the lists returned by `links_of(slot)`
// (each `[count, link...]` as HnswGraph::LinksOf gives them, or nullptr for a
// slot without a list at this level). Links to slots outside `slots` are
// dropped; node i of the result is slots[i]; weights are 1.
Adjacency InducedAdjacency(const std::vector<uint32_t>& slots,
                           const std::function<const uint32_t*(uint32_t slot)>& links_of);

// InducedAdjacency over one level of an HNSW graph: slots whose level is below
// `level` have no neighbours there. Level 0 gives the dense local structure,
// upper levels the long-range one.
Adjacency AdjacencyFromHnswLevel(const HnswGraph& graph, int level, const std::vector<uint32_t>& slots);

// Jaccard overlap of the neighbour sets of each edge's endpoints (each set
// including the node itself): a structural feature in [0, 1] for edge weights.
std::vector<float> JaccardOverlap(const Adjacency& adjacency);

}  // namespace neurovec::learning
