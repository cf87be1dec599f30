// Full-precision vector storage, apart from the graph (the faiss seam: the graph
// holds links, a store holds vectors; compressed tiers become other stores).
//
// Rows are 64-byte aligned and padded with zeros to a multiple of 16 floats, so
// SIMD kernels read whole registers. For cosine, rows hold unit vectors and the
// original norm is kept beside them.
#pragma once

#include <cstdint>
#include <vector>

#include "distance/kernels.h"
#include "neurovec/metric.h"
#include "neurovec/status.h"
#include "util/aligned_buffer.h"

namespace neurovec {

class VectorStore {
 public:
  VectorStore(uint32_t dimensions, Metric metric);

  uint32_t dimensions() const { return dimensions_; }
  // Floats per row (dimensions rounded up to a multiple of 16).
  uint32_t stride() const { return stride_; }
  Metric metric() const { return metric_; }
  size_t capacity() const { return norms_.size(); }

  // Grows storage to hold `slots` rows. Not thread-safe.
  Status Reserve(size_t slots);

  // Largest accepted squared norm: a quarter of FLT_MAX, because the squared
  // distance of two vectors is at most (|a| + |b|)^2 = 4 max(|a|, |b|)^2.
  static constexpr double kMaxSquaredNorm = 8.5e37;

  // Checks a user vector: finite values, squared norm <= kMaxSquaredNorm and,
  // for cosine, a non-zero norm.
  Status Validate(const float* vector) const;

  // Orders dimensions by decreasing variance of the first rows seen (ties by
  // index), and rewrites the first `used_slots` rows in that order. Distances do
  // not depend on the order of dimensions; the bounded kernels check partial sums
  // at d/4 and d/2, so putting the high-variance dimensions first lets most
  // rejected candidates stop after a quarter of the work. `extra` holds `extra_n`
  // user vectors not yet stored (a batch being added) that join the statistics.
  void CalibrateDimensionOrder(uint32_t used_slots, const float* extra, size_t extra_n);
  bool calibrated() const { return calibrated_; }
  const std::vector<uint32_t>& dimension_order() const { return order_; }

  // Converts a validated user vector into the stored form (padded to stride()).
  void Encode(const float* vector, float* out) const;
  void Store(uint32_t slot, const float* vector);
  // The user-facing vector of a slot (dimensions floats).
  void Decode(uint32_t slot, float* out) const;

  const float* Row(uint32_t slot) const { return rows_.data() + static_cast<size_t>(slot) * stride_; }

  // Residency. A store opened from an index file may keep rows in the file
  // and read them on demand (a paged store); the pointer Row() returns for a
  // paged row is valid until the next Row() call. Code that keeps one row
  // while reading others takes StableRow, which copies a paged row into
  // `scratch` (stride() floats).
  bool paged() const { return false; }
  const float* StableRow(uint32_t slot, float* scratch) const {
    (void)scratch;
    return Row(slot);
  }
  // Tiers keep only hot rows in memory: Release drops a slot's in-memory row
  // when the file holds the same row (returns whether it did; later reads page
  // it in), Retain keeps a slot's row in memory again. Releasable(slot): the
  // file holds the current row of the slot.
  // (In this revision every row is in memory: nothing is releasable yet.)
  bool Releasable(uint32_t slot) const {
    (void)slot;
    return false;
  }
  bool Release(uint32_t slot) { return Releasable(slot); }
  void Retain(uint32_t slot) { (void)slot; }

  // Distance between two stored-form vectors under the metric.
  float Distance(const float* a, const float* b) const {
    switch (metric_) {
      case Metric::kL2:
        return kernels_->l2_squared(a, b, stride_);
      case Metric::kCosine:
        // Unit vectors: |a-b|^2 = 2 - 2cos, so 1 - cos = |a-b|^2 / 2, which also
        // lets cosine use the early-abandoning L2 kernel.
        return 0.5f * kernels_->l2_squared(a, b, stride_);
      case Metric::kDot:
        return 1.0f - kernels_->dot(a, b, stride_);
      case Metric::kManhattan:
        return kernels_->l1(a, b, stride_);
    }
    return 0;
  }

  // Exact when the distance is <= bound; otherwise any value > bound.
  float DistanceBounded(const float* a, const float* b, float bound) const {
    switch (metric_) {
      case Metric::kL2:
        return kernels_->l2_squared_bounded(a, b, stride_, bound);
      case Metric::kCosine:
        return 0.5f * kernels_->l2_squared_bounded(a, b, stride_, 2.0f * bound);
      case Metric::kDot:
        return 1.0f - kernels_->dot(a, b, stride_);
      case Metric::kManhattan:
        return kernels_->l1_bounded(a, b, stride_, bound);
    }
    return 0;
  }

  float SlotDistance(uint32_t a, uint32_t b) const { return Distance(Row(a), Row(b)); }

  // For the file writer and reader: the stored form, as is.
  float norm(uint32_t slot) const { return norms_[slot]; }
  void RestoreRow(uint32_t slot, const float* stored_row, float norm);
  // Rows of `slots` slots read in place from a mapped file (the stored form is
  // the same); call before Reserve. Copied on the first write.
  void BorrowRows(const float* rows, size_t slots) {
    rows_.Borrow(rows, slots * stride_);
    norms_.resize(slots, 1.0f);
  }
  void RestoreNorm(uint32_t slot, float norm) { norms_[slot] = norm; }
  // The rows' memory (capacity() rows), for a file reader filling them in
  // place; nullptr if out of memory.
  float* MutableRowsForRestore() { return rows_.data(); }
  bool borrowed() const { return rows_.borrowed(); }
  void RestoreDimensionOrder(std::vector<uint32_t> order, bool calibrated) {
    order_ = std::move(order);
    calibrated_ = calibrated;
  }

  const char* kernel_name() const { return kernels_->name; }
  uint64_t memory_bytes() const { return rows_.size() * sizeof(float) + norms_.size() * sizeof(float); }

 private:
  uint32_t dimensions_;
  uint32_t stride_;
  Metric metric_;
  const distance::KernelTable* kernels_;
  AlignedBuffer<float> rows_;
  std::vector<float> norms_;  // cosine: original norm; otherwise unused (1)
  std::vector<uint32_t> order_;  // stored dimension i holds user dimension order_[i]
  bool calibrated_ = false;
};

}  // namespace neurovec
