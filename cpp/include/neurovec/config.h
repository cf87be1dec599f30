// Construction parameters of a VectorIndex, with defaults and validation.
#pragma once

#include <cstdint>
#include <string>

#include "neurovec/metric.h"
#include "neurovec/status.h"

namespace neurovec {

struct IndexConfig {
  // Length of every vector. 1 .. kMaxDimensions.
  uint32_t dimensions = 0;

  Metric metric = Metric::kCosine;

  // Links per node on the upper levels; level 0 keeps 2*m. Called M in the HNSW
  // paper and in hnswlib (default 16 there too). 2 .. 256.
  uint32_t m = 16;

  // Candidate-list size while inserting ("efConstruction", 200 in hnswlib).
  // Larger builds a better graph, more slowly. Must be >= 1 (raised to m internally).
  uint32_t ef_construction = 200;

  // Default candidate-list size while searching ("ef"); a query may override it.
  // Raised to k for a query that asks for more results. >= 1.
  uint32_t ef_search = 64;

  // Seed for level assignment. Single-threaded builds with the same seed, data
  // and order produce the same graph.
  uint64_t seed = 42;

  // Slots to allocate up front. Capacity grows by itself; this only avoids the
  // reallocations of a large build.
  uint32_t initial_capacity = 0;

  static constexpr uint32_t kMaxDimensions = 65536;
  static constexpr uint32_t kMaxM = 256;
  static constexpr uint32_t kMaxEf = 1u << 20;

  // Says what is wrong, if anything.
  Status Validate() const;
};

// Per-query parameters.
struct SearchParams {
  uint32_t k = 10;        // results wanted; >= 1
  uint32_t ef = 0;        // 0: the index default (IndexConfig::ef_search)
  std::string filter;     // JSON filter on metadata (see metadata/filter.h); empty: none
};

}  // namespace neurovec
