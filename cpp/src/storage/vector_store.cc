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
  if (paged_) return;  // never: only calibrated stores are paged
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
  if (paged_) {
    // Rows of a paged store are allocated one by one as they are written.
    resident_.resize(slots);
    norms_.resize(slots, 1.0f);
    dirty_.resize(slots, 0);
    return Status::Ok();
  }
  if (!rows_.Resize(slots * stride_)) {
    return Status::OutOfRange("could not allocate vector storage for " + std::to_string(slots) + " items of " +
                              std::to_string(dimensions_) + " dimensions");
  }
  norms_.resize(slots, 1.0f);
  dirty_.resize(slots, 0);
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
  float* row = paged_ ? OwnRow(slot) : rows_.data() + static_cast<size_t>(slot) * stride_;
  if (row == nullptr) return;  // out of memory: the caller reserved, so only a paged row can fail
  if (pager_) dirty_[slot] = 1;
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

float* VectorStore::OwnRow(uint32_t slot) {
  if (float* own = resident_[slot].get()) return own;
  float* row = static_cast<float*>(std::aligned_alloc(64, stride_ * sizeof(float)));
  if (row == nullptr) return nullptr;
  std::memset(row, 0, stride_ * sizeof(float));
  resident_[slot].reset(row);
  ++resident_rows_;
  return row;
}

void VectorStore::AttachFile(Storage* storage, RowSection section, bool page, uint64_t cache_bytes) {
  zero_row_.assign(stride_, 0.0f);
  if (cache_bytes == 0) cache_bytes = kDefaultPageCacheBytes;
  pager_ = std::make_unique<RowPager>(storage, std::move(section), static_cast<size_t>(stride_) * sizeof(float), cache_bytes);
  // Every row up to the section's end is now the file's.
  dirty_.assign(capacity(), 0);
  if (page && calibrated_ && !paged_) {
    // Rows already in memory are dropped: this runs at open, before any row
    // was read, or on a store whose rows all lie in the file.
    rows_.Reset();
    resident_.clear();
    resident_.resize(capacity());
    resident_rows_ = 0;
    paged_ = true;
  }
}

Status VectorStore::Materialize() {
  if (!paged_) return Status::Ok();
  // rows_ is empty while paged.
  if (!rows_.Resize(capacity() * stride_)) {
    return Status::OutOfRange("out of memory reading the vectors of " + std::to_string(capacity()) + " slots into memory");
  }
  Status s = CopyRows(0, static_cast<uint32_t>(capacity()), rows_.data());
  if (!s.ok()) {
    rows_.Reset();  // still paged, unchanged
    return s;
  }
  resident_.clear();
  resident_rows_ = 0;
  paged_ = false;
  return Status::Ok();
}

Status VectorStore::CopyRows(uint32_t first, uint32_t n, float* out) const {
  if (!paged_) {
    std::memcpy(out, rows_.data() + static_cast<size_t>(first) * stride_, static_cast<size_t>(n) * stride_ * sizeof(float));
    return Status::Ok();
  }
  const uint32_t in_file = pager_->slots();
  const uint32_t end = first + n;
  for (uint32_t slot = first; slot < end;) {
    float* to = out + static_cast<size_t>(slot - first) * stride_;
    if (const float* own = resident_[slot].get()) {
      std::memcpy(to, own, stride_ * sizeof(float));
      ++slot;
    } else if (slot >= in_file) {
      std::memset(to, 0, stride_ * sizeof(float));  // never written
      ++slot;
    } else {
      // A run of rows only the file holds: one read, past the cache.
      uint32_t run_end = slot + 1;
      while (run_end < std::min(end, in_file) && resident_[run_end] == nullptr) ++run_end;
      NV_RETURN_IF_ERROR(pager_->ReadRows(slot, run_end - slot, to));
      slot = run_end;
    }
  }
  return Status::Ok();
}

Status VectorStore::DetachFile() {
  NV_RETURN_IF_ERROR(Materialize());
  pager_.reset();
  return Status::Ok();
}

Status VectorStore::TakePagingError() const { return pager_ ? pager_->TakeError() : Status::Ok(); }

PagerStats VectorStore::paging_stats() const { return pager_ ? pager_->stats() : PagerStats{}; }

bool VectorStore::Release(uint32_t slot) {
  if (!Releasable(slot)) return false;
  if (!paged_) {
    // First release: every other row moves into its own allocation, so rows
    // can leave memory one by one. Slots past the file that were never
    // written hold zeros and stay unallocated.
    std::vector<std::unique_ptr<float, FreeRow>> resident(capacity());
    uint64_t count = 0;
    for (uint32_t s = 0; s < capacity(); ++s) {
      if (s == slot || (s >= pager_->slots() && !dirty_[s])) continue;
      float* row = static_cast<float*>(std::aligned_alloc(64, stride_ * sizeof(float)));
      if (row == nullptr) return false;  // out of memory: stay contiguous
      std::memcpy(row, rows_.data() + static_cast<size_t>(s) * stride_, stride_ * sizeof(float));
      resident[s].reset(row);
      ++count;
    }
    resident_ = std::move(resident);
    resident_rows_ = count;
    rows_.Reset();
    paged_ = true;
    return true;
  }
  if (resident_[slot]) {
    resident_[slot].reset();
    --resident_rows_;
  }
  return true;
}

Status VectorStore::Retain(uint32_t slot) {
  if (!paged_ || resident_[slot]) return Status::Ok();
  float* row = OwnRow(slot);
  if (row == nullptr) return Status::OutOfRange("out of memory keeping a vector in memory");
  if (slot >= pager_->slots()) return Status::Ok();  // zeros: never written
  Status s = pager_->ReadRows(slot, 1, row);
  if (!s.ok()) {
    resident_[slot].reset();
    --resident_rows_;
  }
  return s;
}

uint64_t VectorStore::memory_bytes() const {
  uint64_t bytes = rows_.size() * sizeof(float) + norms_.size() * sizeof(float);
  if (paged_) bytes += resident_rows_ * stride_ * sizeof(float) + pager_->stats().resident_bytes;
  return bytes;
}

}  // namespace neurovec
