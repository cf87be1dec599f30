#include "storage/vector_store.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace neurovec {

VectorStore::VectorStore(uint32_t dimensions, Metric metric)
    : dimensions_(dimensions),
      stride_((dimensions + 15) / 16 * 16),
      metric_(metric),
      kernels_(&distance::BestKernels()),
      order_(dimensions) {
  for (uint32_t i = 0; i < dimensions; ++i) order_[i] = i;
}

void VectorStore::CalibrateDimensionOrder(uint32_t used_slots, const float* extra, size_t extra_n) {
  calibrated_ = true;
  // Inner products gain nothing from abandoning (terms can be negative).
  if (metric_ == Metric::kDot) return;
  const uint32_t d = dimensions_;
  std::vector<double> sum(d, 0.0), sum2(d, 0.0);
  std::vector<float> row(stride_);
  size_t n = 0;
  auto account = [&](const float* v) {
    for (uint32_t i = 0; i < d; ++i) {
      sum[i] += v[i];
      sum2[i] += static_cast<double>(v[i]) * v[i];
    }
    ++n;
  };
  // A bounded sample keeps this cheap on a large first batch.
  constexpr size_t kSample = 8192;
  for (uint32_t s = 0; s < used_slots && n < kSample; ++s) account(Row(s));  // order is still the identity
  size_t step = extra_n > kSample ? extra_n / kSample : 1;
  for (size_t i = 0; i < extra_n && n < 2 * kSample; i += step) {
    Encode(extra + i * d, row.data());
    account(row.data());
  }
  if (n == 0) return;
  std::vector<double> variance(d);
  for (uint32_t i = 0; i < d; ++i) variance[i] = sum2[i] / n - (sum[i] / n) * (sum[i] / n);
  std::vector<uint32_t> order(d);
  for (uint32_t i = 0; i < d; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return variance[a] > variance[b]; });
  // Rewrite the stored rows: identity order -> new order.
  for (uint32_t s = 0; s < used_slots; ++s) {
    float* r = rows_.data() + static_cast<size_t>(s) * stride_;
    for (uint32_t i = 0; i < d; ++i) row[i] = r[order[i]];
    std::memcpy(r, row.data(), d * sizeof(float));
  }
  order_ = std::move(order);
}

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
  if (!(norm2 <= kMaxSquaredNorm)) {
    return Status::InvalidArgument("vector is too large: its squared norm exceeds 8.5e37, so distances to other vectors could overflow float");
  }
  return Status::Ok();
}

void VectorStore::Encode(const float* vector, float* out) const {
  for (uint32_t i = 0; i < dimensions_; ++i) out[i] = vector[order_[i]];
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

void VectorStore::RestoreRow(uint32_t slot, const float* stored_row, float norm) {
  std::memcpy(rows_.data() + static_cast<size_t>(slot) * stride_, stored_row, stride_ * sizeof(float));
  norms_[slot] = norm;
}

void VectorStore::Decode(uint32_t slot, float* out) const {
  const float* row = Row(slot);
  const float scale = metric_ == Metric::kCosine ? norms_[slot] : 1.0f;
  for (uint32_t i = 0; i < dimensions_; ++i) out[order_[i]] = metric_ == Metric::kCosine ? row[i] * scale : row[i];
}

}  // namespace neurovec
