// The click memory (issue 14, sparse clicks; LearningConfig::memory_capacity):
// every feedback event is kept as (query direction, mean of the items the user
// clicked, mean of the items they rejected), and a neural-mode search moves its
// query towards what users clicked for the past queries nearest to it, then
// walks the graph with the moved query (Rocchio relevance feedback, with past
// users' clicks standing in for this user's own):
//   cosine:  q' = q / |q| + strength * mean_j (c_j - reject_weight * r_j), made unit length
//   others:  q' = (q + strength * mean_j (c_j - reject_weight * r_j)) / (1 + strength)
// over the `neighbours` past events j whose unit query is nearest (cosine) to
// the unit query, those below `min_similarity` left out. For cosine, c_j and
// r_j are means of unit item vectors; otherwise of the raw ones.
//
// Why a memory and not only the learned refiner: on the catalogue the refiner
// turns 5,000 users' clicks into +0.02 precision@10 at best, while the same
// clicks, recalled this way, give +0.055 (bench/results/learning-click-memory.md),
// and the moved query walks the whole graph, so it reaches items the plain
// walk's candidates never held.
//
// Bounded: the most recent `capacity` events (the oldest leaves first), each
// 3 x dimensions floats. Lookup is brute force over the events (a dot product
// per event, SIMD kernel), then the mean of the chosen events' rows: on the
// catalogue (about 4,200 events of 64 floats) a neural search with the memory
// cost 2.5-2.9x a plain one in wasm (bench/results/learning-click-memory.md). Implicit negatives (shown and skipped) are not kept: on a results page
// the skipped items are mostly relevant too; only explicit rejections count.
// Items deleted later stay in the means: the memory keeps what users chose.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "neurovec/config.h"
#include "neurovec/metric.h"
#include "neurovec/status.h"

namespace neurovec {

// How a search reads the memory (SearchParams' memory_* fields).
struct ClickMemoryQuery {
  uint32_t neighbours = 200;
  float strength = 64.0f;
  float reject_weight = 1.0f;
  float min_similarity = 0.0f;
};

class ClickMemory {
 public:
  ClickMemory() = default;
  ClickMemory(uint32_t capacity, uint32_t dimensions, Metric metric);

  bool enabled() const { return capacity_ > 0; }
  uint32_t capacity() const { return capacity_; }
  // Events held now, and recorded since the index was created.
  uint32_t size() const { return count_; }
  uint64_t recorded() const { return recorded_; }

  // Records one event: `clicked` (at least one) and `rejected` point to the
  // items' decoded rows (dimensions floats each). The query must be finite and
  // not all zero (the caller validates it). No-op when disabled.
  void Record(const float* query, const std::vector<const float*>& clicked, const std::vector<const float*>& rejected);

  // The moved query into `out` (dimensions floats); returns the events it read
  // (0: none qualified, `out` is the query unchanged).
  uint32_t Expand(const float* query, const ClickMemoryQuery& how, float* out) const;

  // Portable bytes (the learning section, persistence/learning_section.cc), and back.
  std::string Serialize() const;
  Status Restore(const uint8_t* data, size_t size);

 private:
  float* Row(std::vector<float>& rows, uint32_t event) { return rows.data() + size_t(event) * dimensions_; }
  const float* Row(const std::vector<float>& rows, uint32_t event) const {
    return rows.data() + size_t(event) * dimensions_;
  }

  uint32_t capacity_ = 0;
  uint32_t dimensions_ = 0;
  Metric metric_ = Metric::kL2;
  // Ring of events: event i (0 = oldest) sits at (first_ + i) % capacity_.
  uint32_t first_ = 0;
  uint32_t count_ = 0;
  uint64_t recorded_ = 0;
  std::vector<float> queries_;   // unit queries, count_ rows (grown up to capacity_)
  std::vector<float> clicked_;   // c_j
  std::vector<float> rejected_;  // r_j (zeros: none rejected)
};

}  // namespace neurovec
