#include "learning/adjacency.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>

#include "hnsw/hnsw_graph.h"

namespace neurovec::learning {

Status Adjacency::Validate() const {
  if (offsets.empty()) return Status::InvalidArgument("adjacency has no offsets (need num_nodes + 1 entries)");
  if (offsets.front() != 0 || offsets.back() != neighbors.size()) {
    return Status::InvalidArgument("adjacency offsets must start at 0 and end at the number of edges (" +
                                   std::to_string(neighbors.size()) + ")");
  }
  for (size_t i = 1; i < offsets.size(); ++i) {
    if (offsets[i] < offsets[i - 1]) return Status::InvalidArgument("adjacency offsets decrease at node " + std::to_string(i - 1));
  }
  const uint32_t n = num_nodes();
  for (uint32_t v : neighbors) {
    if (v >= n) return Status::InvalidArgument("neighbour " + std::to_string(v) + " >= number of nodes " + std::to_string(n));
  }
  if (weights.size() != neighbors.size()) return Status::InvalidArgument("adjacency needs one weight per edge");
  for (float w : weights) {
    if (!std::isfinite(w)) return Status::InvalidArgument("adjacency has a non-finite edge weight");
  }
  if (!node_ids.empty() && node_ids.size() != n) return Status::InvalidArgument("node_ids must be empty or one per node");
  return Status::Ok();
}

Adjacency Adjacency::FromLists(const std::vector<std::vector<uint32_t>>& lists, float weight) {
  Adjacency a;
  a.offsets.reserve(lists.size() + 1);
  a.offsets.push_back(0);
  for (const auto& list : lists) {
    a.neighbors.insert(a.neighbors.end(), list.begin(), list.end());
    a.offsets.push_back(static_cast<uint32_t>(a.neighbors.size()));
  }
  a.weights.assign(a.neighbors.size(), weight);
  return a;
}

Adjacency InducedAdjacency(const std::vector<uint32_t>& slots,
                           const std::function<const uint32_t*(uint32_t slot)>& links_of) {
  std::unordered_map<uint32_t, uint32_t> local;
  local.reserve(slots.size() * 2);
  for (uint32_t i = 0; i < slots.size(); ++i) local.emplace(slots[i], i);
  Adjacency a;
  a.node_ids = slots;
  a.offsets.push_back(0);
  for (uint32_t slot : slots) {
    const uint32_t* list = links_of(slot);
    if (list != nullptr) {
      for (uint32_t j = 1; j <= list[0]; ++j) {
        auto it = local.find(list[j]);
        if (it != local.end()) a.neighbors.push_back(it->second);
      }
    }
    a.offsets.push_back(static_cast<uint32_t>(a.neighbors.size()));
  }
  a.weights.assign(a.neighbors.size(), 1.0f);
  return a;
}

Adjacency AdjacencyFromHnswLevel(const HnswGraph& graph, int level, const std::vector<uint32_t>& slots) {
  return InducedAdjacency(slots, [&](uint32_t slot) -> const uint32_t* {
    if (slot >= graph.capacity() || graph.level(slot) < level) return nullptr;
    return graph.LinksOf(slot, level);
  });
}

std::vector<float> JaccardOverlap(const Adjacency& a) {
  const uint32_t n = a.num_nodes();
  std::vector<std::vector<uint32_t>> sets(n);
  for (uint32_t i = 0; i < n; ++i) {
    sets[i].assign(a.neighbors.begin() + a.begin(i), a.neighbors.begin() + a.end(i));
    sets[i].push_back(i);
    std::sort(sets[i].begin(), sets[i].end());
    sets[i].erase(std::unique(sets[i].begin(), sets[i].end()), sets[i].end());
  }
  std::vector<float> overlap(a.num_edges());
  std::vector<uint32_t> common;
  for (uint32_t i = 0; i < n; ++i) {
    for (uint32_t e = a.begin(i); e < a.end(i); ++e) {
      const auto& s = sets[i];
      const auto& t = sets[a.neighbors[e]];
      common.clear();
      std::set_intersection(s.begin(), s.end(), t.begin(), t.end(), std::back_inserter(common));
      const size_t united = s.size() + t.size() - common.size();
      overlap[e] = static_cast<float>(common.size()) / static_cast<float>(united);
    }
  }
  return overlap;
}

}  // namespace neurovec::learning
