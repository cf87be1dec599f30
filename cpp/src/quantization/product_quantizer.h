// The codebook shared by PQ8 and PQ4: dimensions cut into m contiguous
// subspaces, each with its own k centroids (k = 256 or 16), trained by k-means
// on a sample. Codes here are one centroid index per subspace (unpacked);
// PQ8 stores them as bytes, PQ4 packs two per byte.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "neurovec/metric.h"
#include "neurovec/status.h"
#include "quantization/codec.h"

namespace neurovec::quant {

class ProductQuantizer {
 public:
  // m in 1..dimensions; no codebook until Train or DeserializeBody.
  void Init(uint32_t dimensions, uint32_t m, uint32_t centroids_per_subspace);

  uint32_t dimensions() const { return dimensions_; }
  uint32_t subspaces() const { return m_; }
  uint32_t centroids_per_subspace() const { return k_; }
  // Subspace s covers dimensions [begin(s), begin(s + 1)).
  uint32_t begin(uint32_t s) const { return offsets_[s]; }
  uint32_t length(uint32_t s) const { return offsets_[s + 1] - offsets_[s]; }
  // Subspace holding dimension j.
  uint32_t subspace_of(uint32_t j) const { return subspace_of_[j]; }
  const float* centroid(uint32_t s, uint32_t c) const {
    return centroids_.data() + static_cast<size_t>(k_) * offsets_[s] + static_cast<size_t>(c) * length(s);
  }
  // The k values dimension j takes in the k centroids of its subspace (for
  // per-dimension corrections without index arithmetic). The per-subspace
  // dimension-major layouts laid end to end are exactly this table.
  const float* dimension_values(uint32_t j) const { return transposed_.data() + static_cast<size_t>(j) * k_; }

  // k-means per subspace on n sample vectors (seed varied per subspace).
  void Train(const float* sample, size_t n, uint32_t iterations, KmeansInit init, uint64_t seed);

  // One centroid index per subspace: the nearest in squared L2.
  void Assign(const float* x, uint8_t* indices) const;
  // Concatenated centroids of the indices (dimensions floats).
  void Reconstruct(const uint8_t* indices, float* out) const;

  // Per-subspace tables for asymmetric distances, m * k floats: entry (s, c)
  // is the subspace's contribution to the distance between the query and a
  // vector using centroid c. kL2: |q_s - c|^2; kDot / kCosine: -q_s.c (the
  // caller adds the constant 1). Sum over s of table(s, code_s) is the distance.
  void ComputeTables(const float* query, Metric metric, float* tables) const;

  // Body: k * dimensions f32 (subspace-major, then centroid, then dimension).
  void SerializeBody(std::string& out) const;
  Status DeserializeBody(const uint8_t* data, size_t size);

 private:
  void BuildSearchLayout();

  uint32_t dimensions_ = 0, m_ = 0, k_ = 0;
  std::vector<uint32_t> offsets_;      // m + 1
  std::vector<uint32_t> subspace_of_;  // dimensions
  std::vector<float> centroids_;       // k * dimensions
  // Derived, for Assign: per subspace the centroids dimension-major + norms.
  // transposed_[j * k + c] = value of dimension j in centroid c of its subspace.
  std::vector<float> transposed_;
  std::vector<float> norms_;  // m * k
};

}  // namespace neurovec::quant
