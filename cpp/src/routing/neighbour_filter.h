// Learned routing, "which neighbours to evaluate": skip a neighbour whose
// distance, estimated from a low-rank projection, is already past the walk's
// bound (the ef-th result), instead of paying for its exact distance.
//
// The estimate (squared L2, in the spirit of FINGER, Chen et al. 2023, and of
// ADSampling's projected distances): with P the top `rank` principal
// directions of the stored rows and r the residual outside them,
//   |q - v|^2 = |P(q - v)|^2 + |r_q - r_v|^2 ~ |Pq - Pv|^2 + |r_q|^2 + |r_v|^2
// (the residuals' cross term averages out). Per stored row: `rank` floats and
// |r_v|; per query: Pq once, then `rank` products per neighbour, about
// rank / dimensions of an exact distance and far less memory traffic (the
// projections are stored as bytes, one per coordinate). A
// neighbour is skipped when estimate * margin >= bound: a margin below 1
// keeps more of them. Margins per target recall are calibrated on held-out
// walks with the stopping rule (routing_hooks.cc), so the walk reaches its
// target with both. Only for L2 and cosine (unit rows: distance = |q - v|^2 / 2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "quantization/quant_kernels.h"

namespace neurovec::routing {

struct ProjectionBasis {
  static constexpr uint32_t kMaxRank = 128;
  uint32_t rank = 0;     // 0: no basis (the walk evaluates every neighbour); a multiple of 16
  uint32_t stride = 0;   // floats per stored row
  float scale = 1.0f;    // distance = scale * |q - v|^2 (L2 1, cosine 0.5)
  std::vector<float> mean;   // stride
  std::vector<float> basis;  // rank x stride, orthonormal rows
  // Stored projections are bytes: coordinate i = code_low[i] + code_step[i] * code
  // (the range seen at fitting, by coordinate; values outside are clamped).
  std::vector<float> code_low, code_step;  // rank each

  bool empty() const { return rank == 0; }
  // The top-`rank` principal directions of `count` rows (stride floats each) by
  // subspace iteration on their covariance; deterministic for a seed.
  static ProjectionBasis Fit(const float* rows, size_t count, uint32_t stride, uint32_t rank, float scale,
                             uint64_t seed);
  // Writes P(v - mean) (rank floats) and returns |residual|^2 outside the basis.
  float Project(const float* v, float* out) const;
  // The byte codes of a projection.
  void Encode(const float* projected, uint8_t* codes) const;
};

// The projections of an index's rows, by slot (kept by the index as rows come
// and go): `rank` bytes each (one cache line at rank 64) and the residual.
class ProjectionTable {
 public:
  void Reset(uint32_t rank) {
    rank_ = rank;
    codes_.clear();
    residuals_.clear();
  }
  void Set(uint32_t slot, const ProjectionBasis& basis, const float* row) {
    if (static_cast<size_t>(slot) >= residuals_.size()) {
      residuals_.resize(static_cast<size_t>(slot) + 1, 0.0f);
      codes_.resize(residuals_.size() * rank_, 0);
    }
    float projected[ProjectionBasis::kMaxRank];
    residuals_[slot] = basis.Project(row, projected);
    basis.Encode(projected, codes_.data() + static_cast<size_t>(slot) * rank_);
  }
  size_t slots() const { return residuals_.size(); }
  uint32_t rank() const { return rank_; }
  const uint8_t* codes(uint32_t slot) const { return codes_.data() + static_cast<size_t>(slot) * rank_; }
  const float& residual(uint32_t slot) const { return residuals_[slot]; }
  uint64_t bytes() const { return codes_.size() + residuals_.size() * sizeof(float); }
  // The table as stored in the file (persistence/router_section.cc).
  const std::vector<uint8_t>& all_codes() const { return codes_; }
  const std::vector<float>& all_residuals() const { return residuals_; }
  void Restore(uint32_t rank, std::vector<uint8_t> codes, std::vector<float> residuals) {
    rank_ = rank;
    codes_ = std::move(codes);
    residuals_ = std::move(residuals);
  }

 private:
  uint32_t rank_ = 0;
  std::vector<uint8_t> codes_;
  std::vector<float> residuals_;  // |residual|^2
};

// One query's side: its projection, and the test per neighbour.
class NeighbourFilter {
 public:
  // `query` in stored form; margin > 0.
  NeighbourFilter(const ProjectionBasis& basis, const ProjectionTable& table, const float* query, float margin)
      : table_(table),
        step_(basis.code_step.data()),
        rank_(basis.rank),
        factor_(basis.scale * margin),
        l2_(quant::BestQuantKernels().u8_l2_squared) {
    query_residual_ = basis.Project(query, shifted_);
    for (uint32_t i = 0; i < rank_; ++i) shifted_[i] -= basis.code_low[i];
  }
  bool Skips(uint32_t slot, float bound) {
    if (slot >= table_.slots()) return false;  // a row added without a projection: evaluate it
    const float sum = query_residual_ + table_.residual(slot) + l2_(shifted_, step_, table_.codes(slot), rank_);
    ++tested_;
    if (sum * factor_ < bound) return false;
    ++skipped_;
    return true;
  }
  void Prefetch(const uint32_t* slots, uint32_t count) const {
#if defined(__GNUC__) || defined(__clang__)
    for (uint32_t i = 0; i < count; ++i) {
      if (slots[i] >= table_.slots()) continue;
      const uint8_t* c = table_.codes(slots[i]);
      for (uint32_t b = 0; b < rank_; b += 64) __builtin_prefetch(c + b, 0, 3);
      __builtin_prefetch(&table_.residual(slots[i]), 0, 3);
    }
#else
    (void)slots;
    (void)count;
#endif
  }
  uint64_t tested() const { return tested_; }
  uint64_t skipped() const { return skipped_; }

 private:
  const ProjectionTable& table_;
  const float* step_;
  uint32_t rank_;
  float factor_;
  float (*l2_)(const float*, const float*, const uint8_t*, size_t);
  float query_residual_ = 0;
  alignas(64) float shifted_[ProjectionBasis::kMaxRank];  // P(q - mean) - code_low
  uint64_t tested_ = 0, skipped_ = 0;
};

}  // namespace neurovec::routing
