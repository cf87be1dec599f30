// Distance metrics. In every metric a smaller distance means closer.
#pragma once

#include <string>

#include "neurovec/status.h"

namespace neurovec {

enum class Metric {
  // Squared Euclidean distance: sum((a_i - b_i)^2). Squared, as in hnswlib and
  // faiss: the ranking is the same as Euclidean and no square root is paid.
  kL2 = 0,
  // Cosine distance: 1 - cos(a, b), in [0, 2]. Vectors are stored normalised;
  // a zero vector has no direction and is rejected.
  kCosine = 1,
  // Inner-product distance: 1 - dot(a, b) (hnswlib's "ip"). Can be negative.
  kDot = 2,
  // Manhattan (L1) distance: sum(|a_i - b_i|).
  kManhattan = 3,
};

const char* MetricName(Metric metric);

// Parses "l2" | "cosine" | "dot" | "manhattan" (also "euclidean", "ip", "l1").
Result<Metric> ParseMetric(const std::string& name);

}  // namespace neurovec
