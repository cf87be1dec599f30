// How sound an HNSW graph is after inserts and deletes: which live nodes a
// search can still reach, how many links lead to deleted nodes
// (tombstones), and how the out-degrees are spread. Read-only; the basis of
// VectorIndex::Health and of the repair work that will act on it.
#pragma once

#include <cstdint>
#include <vector>

#include "hnsw/hnsw_graph.h"
#include "neurovec/status.h"

namespace neurovec {

struct GraphHealth {
  uint64_t live = 0;
  uint64_t tombstones = 0;
  // Live nodes that no search can reach: no path from the entry point whose
  // levels never go up (greedy descent, then level 0) leads to them, through
  // live nodes only, or with tombstones as stepping stones (as searches walk
  // today). A node unreachable so is never found, whatever the ef.
  uint64_t unreachable = 0;
  uint64_t unreachable_through_tombstones = 0;
  // Level-0 links of live nodes that lead to a tombstone (what repair after
  // deletes leaves behind when the deleted node did not link back).
  uint64_t links_to_tombstones = 0;
  double mean_out_degree = 0;  // level-0 links of live nodes to live nodes, per live node
  // out_degree_histogram[d]: live nodes with d level-0 links to live nodes (d <= m0).
  std::vector<uint64_t> out_degree_histogram;
};

// Marks the slots a search can reach: the nodes of some path from the entry
// point whose levels never go up (a search descends the upper levels
// greedily, then walks level 0), found level by level from the top, each
// level's walk starting from every node the levels above reached.
// `through_tombstones` lets a path pass deleted nodes (marked too).
// `level0`: a copy of the level-0 lists ((m0 + 1) u32 per slot), or null to
// read the graph's own (not paged).
std::vector<uint8_t> MarkReachable(const HnswGraph& graph, uint32_t used_slots, bool through_tombstones,
                                   const uint32_t* level0);

// Reads the level-0 lists of slots [0, used_slots) (a paged level 0 in
// chunks, past its cache) and walks the graph twice. Errors: a paged read's.
Status MeasureGraphHealth(const HnswGraph& graph, uint32_t used_slots, GraphHealth* out);

}  // namespace neurovec
