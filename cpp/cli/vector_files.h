// TEXMEX vector files (.fvecs / .ivecs): each row is a little-endian int32
// dimension followed by that many float32 (fvecs) or int32 (ivecs) values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "neurovec/status.h"

namespace neurovec::cli {

struct FloatMatrix {
  uint32_t rows = 0, cols = 0;
  std::vector<float> data;  // rows * cols
  const float* row(size_t i) const { return data.data() + i * cols; }
};

struct IntMatrix {
  uint32_t rows = 0, cols = 0;
  std::vector<int32_t> data;
  const int32_t* row(size_t i) const { return data.data() + i * cols; }
};

Result<FloatMatrix> ReadFvecs(const std::string& path);
Result<IntMatrix> ReadIvecs(const std::string& path);
Status WriteIvecs(const std::string& path, const IntMatrix& m);
Status WriteFvecs(const std::string& path, const FloatMatrix& m);

// Base vectors, queries and the queries' exact neighbours (a recall
// benchmark's inputs), checked to fit together: the same dimensions, a truth
// row per query, and at least k (>= 1) neighbours in each.
struct RecallFiles {
  FloatMatrix base, queries;
  IntMatrix truth;
};
Result<RecallFiles> ReadRecallFiles(const std::string& base, const std::string& queries, const std::string& truth,
                                    uint64_t k);


}  // namespace neurovec::cli
