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
// clicks, recalled this way, give +0.071 to +0.075 (+0.055 with an exact
// lookup; bench/results/learning-click-memory.md),
// and the moved query walks the whole graph, so it reaches items the plain
// walk's candidates never held.
//
// Bounded: the most recent `capacity` events (the oldest leaves first), each
// 3 x dimensions floats.
//
// Lookup. Below kPartitionMinEvents events it is brute force (a dot product per
// event). From there on the past queries are split into coarse lists (spherical
// k-means, about sqrt(events) lists, at most kMaxLists), and a lookup reads
// whole lists, those whose centroid is nearest the query first, until it has
// read `scan` x `neighbours` events (ClickMemoryQuery; scan 0: all); the
// `neighbours` nearest of those are the ones averaged, as in an IVF index.
// Why: with brute force, reading every event (a dot product each, then a
// selection over all of them) cost as much as the walk itself, and a neural
// search with the memory cost 2.5-2.9x a plain one in wasm on the catalogue
// (about 4,200 events of 64 floats; bench/results/learning-click-memory.md has
// the figures with the lists). The lists are rebuilt when the memory has
// doubled since the last build, and once it is full, after every `capacity`
// new events (the whole memory has turned over), up to kMaxBuildEvents events;
// in between, and beyond that size, a new event joins its nearest list. A
// rebuild costs the Record call that triggers it about (8 x training events +
// events) x lists dot products: at 32,768 events (181 lists), 160 ms natively for
// 64 dimensions and 1.1 s for 768 (one thread, AVX-512; random events).
// The lists are saved with the events, so a reopened index reads the same
// lists natively and in wasm.
//
// The lookup's own cost (wasm, 4,200 events of 64 floats, scan 4, 200
// neighbours; a scratch harness): 42 us with a dot product per event and
// nth_element, 19.5 us with the batched kernel (KernelTable::dot_batch, four
// events per step), a histogram selection of the m-th nearest and sums four
// rows per pass. A neural search with it: 1.17-1.38x a plain one's p50 in wasm
// on the catalogue (bench/results/learning-click-memory.md).
//
// Implicit negatives (shown and skipped) are not kept: on a results page
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
  // Events read, in multiples of `neighbours` (whole lists, nearest first); 0: all.
  uint32_t scan = 4;
  // Recency: an event recorded n events ago weighs 2^(-n / half_life) in the
  // mean (0: all weigh the same). For users whose intent changes.
  float half_life = 0.0f;
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

  // The coarse lists (0 while the lookup is brute force); for tests.
  uint32_t lists() const { return list_count_; }

  static constexpr uint32_t kPartitionMinEvents = 1024;
  static constexpr uint32_t kMaxLists = 256;
  static constexpr uint32_t kMaxBuildEvents = 32768;

 private:
  float* Row(std::vector<float>& rows, uint32_t event) { return rows.data() + size_t(event) * dimensions_; }
  const float* Row(const std::vector<float>& rows, uint32_t event) const {
    return rows.data() + size_t(event) * dimensions_;
  }

  // Event `slot`'s age: 0 for the oldest. Ties and sums go in this order, so
  // the chosen set and the bits of the mean survive a save and reopen (which
  // stores the events oldest first).
  uint32_t Age(uint32_t slot) const { return (slot + capacity_ - first_) % capacity_; }
  // The list whose centroid is nearest `unit_query`.
  uint32_t NearestList(const float* unit_query) const;
  // Splits the events into lists anew (spherical k-means, deterministic).
  void BuildLists();
  // Puts every event in its nearest list (the centroids as they are).
  void AssignAll();

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
  std::vector<uint8_t> has_rejected_;  // 1 where r_j is not all zeros (not saved: read from r_j)
  // The coarse lists (list_count_ 0: none yet, brute force).
  uint32_t list_count_ = 0;
  std::vector<float> centroids_;               // list_count_ unit rows
  std::vector<uint32_t> list_of_;              // each slot's list
  std::vector<std::vector<uint32_t>> lists_;   // each list's slots
  uint32_t built_size_ = 0;                    // count_ at the last build
  uint64_t built_recorded_ = 0;                // recorded_ at the last build
};

}  // namespace neurovec
