// A random orthogonal rotation that costs O(n log n) per vector: three rounds
// of (multiply by a random +-1 diagonal, then the orthonormal Walsh-Hadamard
// transform) on the vector zero-padded to n = a power of two. Used by the
// rotated binary codec (binary_codec.cc): after such a rotation the
// coordinates of any unit vector are spread evenly (none carries much more of
// the norm than the others), which is what makes one sign bit per coordinate
// a good code no matter how the original dimensions' variances differ.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "util/random.h"

namespace neurovec::quant {

class HadamardRotation {
 public:
  static constexpr int kRounds = 3;

  // The padded size for `dimensions`: the next power of two, at least 8 (a
  // whole byte of bits).
  static uint32_t PaddedSize(uint32_t dimensions) {
    uint32_t n = 8;
    while (n < dimensions) n <<= 1;
    return n;
  }

  HadamardRotation() = default;
  // Draws the kRounds x padded signs from `seed`.
  HadamardRotation(uint32_t dimensions, uint64_t seed) : dimensions_(dimensions), size_(PaddedSize(dimensions)) {
    Random random(seed);
    signs_.resize(static_cast<size_t>(kRounds) * size_);
    for (float& s : signs_) s = (random.Next() >> 63) ? 1.0f : -1.0f;
  }
  // From saved signs (kRounds x PaddedSize(dimensions), each +1 or -1).
  HadamardRotation(uint32_t dimensions, std::vector<float> signs)
      : dimensions_(dimensions), size_(PaddedSize(dimensions)), signs_(std::move(signs)) {}

  uint32_t dimensions() const { return dimensions_; }
  uint32_t size() const { return size_; }
  const std::vector<float>& signs() const { return signs_; }

  // out (size() floats) = R * [in (dimensions() floats), zeros].
  void Apply(const float* in, float* out) const {
    for (uint32_t i = 0; i < size_; ++i) out[i] = i < dimensions_ ? in[i] : 0.0f;
    for (int r = 0; r < kRounds; ++r) {
      const float* s = signs_.data() + static_cast<size_t>(r) * size_;
      for (uint32_t i = 0; i < size_; ++i) out[i] *= s[i];
      Transform(out);
    }
  }
  // The first dimensions() floats of R^T * in (in: size() floats, overwritten).
  void ApplyInverse(float* in, float* out) const {
    for (int r = kRounds - 1; r >= 0; --r) {
      Transform(in);
      const float* s = signs_.data() + static_cast<size_t>(r) * size_;
      for (uint32_t i = 0; i < size_; ++i) in[i] *= s[i];
    }
    for (uint32_t i = 0; i < dimensions_; ++i) out[i] = in[i];
  }

 private:
  // Orthonormal Walsh-Hadamard transform in place (its own inverse).
  void Transform(float* a) const {
    for (uint32_t h = 1; h < size_; h <<= 1) {
      for (uint32_t i = 0; i < size_; i += h << 1) {
        for (uint32_t j = i; j < i + h; ++j) {
          const float x = a[j], y = a[j + h];
          a[j] = x + y;
          a[j + h] = x - y;
        }
      }
    }
    const float scale = 1.0f / std::sqrt(static_cast<float>(size_));
    for (uint32_t i = 0; i < size_; ++i) a[i] *= scale;
  }

  uint32_t dimensions_ = 0;
  uint32_t size_ = 0;
  std::vector<float> signs_;
};

}  // namespace neurovec::quant
