// Full-precision vector storage, apart from the graph (the faiss seam: the graph
// holds links, a store holds vectors; compressed tiers become other stores).
//
// Rows are 64-byte aligned and padded with zeros to a multiple of 16 floats, so
// SIMD kernels read whole registers. For cosine, rows hold unit vectors and the
// original norm is kept beside them.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "distance/kernels.h"
#include "neurovec/metric.h"
#include "neurovec/status.h"
#include "storage/row_pager.h"
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

  // The stored-form row of a slot. For a paged store (below) the pointer is
  // valid until the next Row() call that reads from the file.
  const float* Row(uint32_t slot) const {
    if (!paged_) return rows_.data() + static_cast<size_t>(slot) * stride_;
    return PagedRow(slot);
  }

  // Residency. Rows normally live in one contiguous buffer. A store backed by
  // an index file (AttachFile: an opened file, or a durable index after a
  // checkpoint) knows where the file holds each row, and may be paged: then
  // rows live in the file, read on demand through a bounded block cache
  // (storage/row_pager.h), except rows written since (and rows retained),
  // which it keeps in memory one by one.
  //
  // Concurrent readers of a paged store each need a reader id
  // (row_pager.h; the index's PagingGate gives them out). A row pointer
  // stays valid while its reader reads at most one other paged row; code
  // that keeps one row while reading others takes StableRow, which copies a
  // paged row into `scratch` (stride() floats).
  bool paged() const { return paged_; }
  const float* StableRow(uint32_t slot, float* scratch) const {
    if (!paged_) return Row(slot);
    std::memcpy(scratch, PagedRow(slot), stride_ * sizeof(float));
    return scratch;
  }

  // The store's rows [0, section.slots) are those of a vectors section in
  // `storage` (which must outlive the store or the next AttachFile/DetachFile),
  // as written by a checkpoint or read at open. `page`: stop holding them in
  // memory and read them on demand, with at most `cache_bytes` of blocks
  // (only for a calibrated store: calibration rewrites every row).
  void AttachFile(Storage* storage, RowSection section, bool page, uint64_t cache_bytes);
  // Rows read back into one contiguous buffer, then no file behind them (the
  // file is closing). Ok, or out of memory (nothing changed).
  Status DetachFile();
  // Every row back in one contiguous buffer; the file stays attached.
  Status Materialize();
  // Copies the stored-form rows [first, first + n) into `out`, reading paged
  // rows straight from the file (bulk readers such as a checkpoint do not go
  // through the cache).
  Status CopyRows(uint32_t first, uint32_t n, float* out) const;
  bool file_backed() const { return pager_ != nullptr; }
  // The first read failure of a paged store since the last call (Ok if none).
  Status TakePagingError() const;
  PagerStats paging_stats() const;
  // A reader's search ended (its pinned rows may go); the storage paged
  // rows come from (null: none).
  void EndPagingReader(uint32_t reader) const {
    if (pager_) pager_->EndReader(reader);
  }
  Storage* paging_storage() const { return pager_ ? pager_->storage() : nullptr; }
  bool paging_cache_holds_all() const { return !pager_ || pager_->CacheHoldsEveryBlock(); }

  // Tiers keep only hot rows in memory. Releasable(slot): the file holds the
  // current row of the slot. Release drops the in-memory row of a releasable
  // slot (the first release makes the store paged, keeping every other row
  // in memory) and returns whether it did; later reads page it in. Retain
  // keeps the slot's row in memory again.
  bool Releasable(uint32_t slot) const {
    return pager_ != nullptr && slot < pager_->slots() && slot < dirty_.size() && !dirty_[slot];
  }
  bool Release(uint32_t slot);
  Status Retain(uint32_t slot);

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
  // Rows held in memory (contiguous, one by one, and the page cache) and norms.
  uint64_t memory_bytes() const;

 private:
  uint32_t dimensions_;
  uint32_t stride_;
  Metric metric_;
  const distance::KernelTable* kernels_;
  AlignedBuffer<float> rows_;
  std::vector<float> norms_;  // cosine: original norm; otherwise unused (1)
  std::vector<uint32_t> order_;  // stored dimension i holds user dimension order_[i]
  bool calibrated_ = false;

  // File backing (see AttachFile).
  struct FreeRow {
    void operator()(float* p) const { std::free(p); }
  };
  const float* PagedRow(uint32_t slot) const {
    const float* own = resident_[slot].get();
    if (own != nullptr) return own;
    return slot < pager_->slots() ? reinterpret_cast<const float*>(pager_->Row(slot)) : zero_row_.data();
  }
  // The in-memory row of a slot of a paged store, allocated if needed.
  float* OwnRow(uint32_t slot);
  bool paged_ = false;
  std::unique_ptr<RowPager> pager_;
  std::vector<std::unique_ptr<float, FreeRow>> resident_;  // paged: own rows (null: in the file)
  uint64_t resident_rows_ = 0;
  std::vector<uint8_t> dirty_;                             // file-backed: the row differs from the file's
  std::vector<float> zero_row_;
};

}  // namespace neurovec
