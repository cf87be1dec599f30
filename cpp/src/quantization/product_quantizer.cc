#include "quantization/product_quantizer.h"

#include <cmath>
#include <cstring>

#include "util/byte_io.h"
#include "quantization/kmeans.h"

namespace neurovec::quant {

void ProductQuantizer::Init(uint32_t dimensions, uint32_t m, uint32_t centroids_per_subspace) {
  dimensions_ = dimensions;
  m_ = m;
  k_ = centroids_per_subspace;
  offsets_.resize(m + 1);
  for (uint32_t s = 0; s <= m; ++s) offsets_[s] = static_cast<uint32_t>(static_cast<uint64_t>(s) * dimensions / m);
  subspace_of_.resize(dimensions);
  for (uint32_t s = 0; s < m; ++s) {
    for (uint32_t j = offsets_[s]; j < offsets_[s + 1]; ++j) subspace_of_[j] = s;
  }
  // The codebook (k * dimensions floats, up to 64 MiB) is allocated by Train or
  // DeserializeBody, not here: a header read from untrusted bytes must not be
  // able to allocate that much before its body has been checked.
  centroids_.clear();
  transposed_.clear();
  norms_.clear();
}

void ProductQuantizer::BuildSearchLayout() {
  transposed_.resize(centroids_.size());
  norms_.resize(static_cast<size_t>(m_) * k_);
  for (uint32_t s = 0; s < m_; ++s) {
    const size_t base = static_cast<size_t>(k_) * offsets_[s];
    TransposeCentroids(centroids_.data() + base, length(s), k_, transposed_.data() + base,
                       norms_.data() + static_cast<size_t>(s) * k_);
  }
}

void ProductQuantizer::Train(const float* sample, size_t n, uint32_t iterations, KmeansInit init, uint64_t seed) {
  centroids_.assign(static_cast<size_t>(k_) * dimensions_, 0.0f);
  std::vector<float> sub;
  for (uint32_t s = 0; s < m_; ++s) {
    const uint32_t len = length(s);
    sub.resize(n * len);
    for (size_t i = 0; i < n; ++i) {
      std::memcpy(sub.data() + i * len, sample + i * dimensions_ + offsets_[s], len * sizeof(float));
    }
    Kmeans(sub.data(), n, len, k_, iterations, init, seed + 0x9e3779b97f4a7c15ull * (s + 1),
           centroids_.data() + static_cast<size_t>(k_) * offsets_[s]);
  }
  BuildSearchLayout();
}

void ProductQuantizer::Assign(const float* x, uint8_t* indices) const {
  float scratch[256];
  for (uint32_t s = 0; s < m_; ++s) {
    const size_t base = static_cast<size_t>(k_) * offsets_[s];
    indices[s] = static_cast<uint8_t>(NearestCentroid(x + offsets_[s], transposed_.data() + base,
                                                      norms_.data() + static_cast<size_t>(s) * k_, length(s), k_,
                                                      scratch));
  }
}

void ProductQuantizer::Reconstruct(const uint8_t* indices, float* out) const {
  for (uint32_t s = 0; s < m_; ++s) {
    const uint32_t c = indices[s] < k_ ? indices[s] : k_ - 1;
    std::memcpy(out + offsets_[s], centroid(s, c), length(s) * sizeof(float));
  }
}

void ProductQuantizer::ComputeTables(const float* query, Metric metric, float* tables) const {
  const bool l2 = metric == Metric::kL2;
  for (uint32_t s = 0; s < m_; ++s) {
    const uint32_t len = length(s);
    const float* q = query + offsets_[s];
    float* table = tables + static_cast<size_t>(s) * k_;
    for (uint32_t c = 0; c < k_; ++c) {
      const float* centre = centroid(s, c);
      float sum = 0;
      if (l2) {
        for (uint32_t j = 0; j < len; ++j) {
          const float diff = q[j] - centre[j];
          sum += diff * diff;
        }
      } else {
        for (uint32_t j = 0; j < len; ++j) sum -= q[j] * centre[j];
      }
      table[c] = sum;
    }
  }
}

void ProductQuantizer::SerializeBody(std::string& out) const {
  ByteWriter writer(out);
  for (float v : centroids_) writer.F32(v);
}

Status ProductQuantizer::DeserializeBody(const uint8_t* data, size_t size) {
  const size_t expected = static_cast<size_t>(k_) * dimensions_ * 4;
  if (size != expected) {
    return Status::Corrupt("product quantizer codebook has " + std::to_string(size) + " bytes, expected " +
                           std::to_string(expected));
  }
  centroids_.resize(static_cast<size_t>(k_) * dimensions_);
  ByteReader reader(data, size);
  for (float& v : centroids_) {
    reader.F32(v);
    if (!std::isfinite(v)) return Status::Corrupt("product quantizer codebook holds a non-finite value");
  }
  BuildSearchLayout();
  return Status::Ok();
}

}  // namespace neurovec::quant
