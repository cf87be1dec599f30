// A (distance, slot) pair and the few heap and sort operations every search
// path shares: graph traversal, exact scans and the CLI's ground truth.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace neurovec {

struct Candidate {
  float distance;
  uint32_t slot;
};

// Max-heap on distance (worst on top), for result sets.
struct FartherOnTop {
  bool operator()(const Candidate& a, const Candidate& b) const { return a.distance < b.distance; }
};
// Min-heap on distance (best on top), for the frontier.
struct CloserOnTop {
  bool operator()(const Candidate& a, const Candidate& b) const { return a.distance > b.distance; }
};

// Offers a candidate to a FartherOnTop heap that keeps the k closest.
inline void KeepClosest(std::vector<Candidate>& heap, size_t k, Candidate c) {
  if (heap.size() < k) {
    heap.push_back(c);
    std::push_heap(heap.begin(), heap.end(), FartherOnTop());
  } else if (c.distance < heap.front().distance) {
    std::pop_heap(heap.begin(), heap.end(), FartherOnTop());
    heap.back() = c;
    std::push_heap(heap.begin(), heap.end(), FartherOnTop());
  }
}

// Ascending distance; equal distances by slot, so results are deterministic.
inline void SortByDistance(std::vector<Candidate>& candidates) {
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return a.distance < b.distance || (a.distance == b.distance && a.slot < b.slot);
  });
}

}  // namespace neurovec
