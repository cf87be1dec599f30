#include "storage/vector_store.h"

#include <cmath>
#include <cstring>
#include <string>

namespace neurovec {

VectorStore::VectorStore(uint32_t dimensions, Metric metric)
    : dimensions_(dimensions),
      stride_((dimensions + 15) / 16 * 16),
      metric_(metric),
      kernels_(&distance::BestKernels()) {}

Status VectorStore::Reserve(size_t slots) {
  if (slots <= capacity()) return Status::Ok();
  if (!rows_.Resize(slots * stride_)) {
    return Status::OutOfRange("could not allocate vector storage for " + std::to_string(slots) + " items of " +
                              std::to_string(dimensions_) + " dimensions");
  }
  norms_.resize(slots, 1.0f);
  return Status::Ok();
}

Status VectorStore::Validate(const float* vector) const {
  double norm2 = 0;
  for (uint32_t i = 0; i < dimensions_; ++i) {
    if (!std::isfinite(vector[i])) {
      return Status::InvalidArgument("vector[" + std::to_string(i) + "] is " +
                                     (std::isnan(vector[i]) ? "NaN" : "infinite") +
                                     "; expected finite numbers");
    }
    norm2 += static_cast<double>(vector[i]) * vector[i];
  }
  if (metric_ == Metric::kCosine && !(norm2 > 0)) {
    return Status::InvalidArgument("vector is all zeros; the cosine metric needs a non-zero vector");
  }
  if (!std::isfinite(norm2) || norm2 > 3.0e38) {
    return Status::InvalidArgument("vector values are too large: their squared norm overflows float");
  }
  return Status::Ok();
}

void VectorStore::Encode(const float* vector, float* out) const {
  std::memcpy(out, vector, dimensions_ * sizeof(float));
  std::memset(out + dimensions_, 0, (stride_ - dimensions_) * sizeof(float));
  if (metric_ == Metric::kCosine) {
    double norm2 = 0;
    for (uint32_t i = 0; i < dimensions_; ++i) norm2 += static_cast<double>(vector[i]) * vector[i];
    float inv = static_cast<float>(1.0 / std::sqrt(norm2));
    for (uint32_t i = 0; i < dimensions_; ++i) out[i] *= inv;
  }
}

void VectorStore::Store(uint32_t slot, const float* vector) {
  float* row = rows_.data() + static_cast<size_t>(slot) * stride_;
  Encode(vector, row);
  if (metric_ == Metric::kCosine) {
    double norm2 = 0;
    for (uint32_t i = 0; i < dimensions_; ++i) norm2 += static_cast<double>(vector[i]) * vector[i];
    norms_[slot] = static_cast<float>(std::sqrt(norm2));
  }
}

void VectorStore::Decode(uint32_t slot, float* out) const {
  const float* row = Row(slot);
  if (metric_ == Metric::kCosine) {
    float norm = norms_[slot];
    for (uint32_t i = 0; i < dimensions_; ++i) out[i] = row[i] * norm;
  } else {
    std::memcpy(out, row, dimensions_ * sizeof(float));
  }
}

}  // namespace neurovec
