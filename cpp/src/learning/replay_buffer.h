// The replay memory of the learner: old feedback replayed next to new
// feedback against forgetting. Two policies:
// - half_life 0, reservoir sampling (Vitter's algorithm R): after n items were
//   offered, each of them is in the buffer with probability capacity / n,
//   whatever n is, and Sample draws uniformly: old lessons last longest;
// - half_life H > 0, recency: the buffer holds the last `capacity` items (a
//   ring, the oldest overwritten) and Sample draws the item of age a (0 the
//   newest) with probability proportional to 2^(-a / H): temporal decay, so a
//   lesson that is not repeated fades.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "util/random.h"

namespace neurovec::learning {

template <typename T>
class ReservoirBuffer {
 public:
  ReservoirBuffer(size_t capacity, uint64_t seed, uint32_t half_life = 0)
      : capacity_(capacity), half_life_(half_life), rng_(seed) {
    items_.reserve(capacity);
  }

  void Add(const T& item) {
    ++seen_;
    if (items_.size() < capacity_) {
      items_.push_back(item);
      return;
    }
    if (capacity_ == 0) return;
    if (half_life_ > 0) {
      items_[(seen_ - 1) % capacity_] = item;  // the oldest
      return;
    }
    const uint64_t j = rng_.NextBelow(seen_);
    if (j < capacity_) items_[j] = item;
  }

  // `count` items drawn with replacement (empty if the buffer is): uniformly,
  // or by recency with a half-life.
  std::vector<T> Sample(size_t count) {
    std::vector<T> out;
    if (items_.empty()) return out;
    out.reserve(count);
    for (size_t i = 0; i < count; ++i) out.push_back(items_[half_life_ > 0 ? RecentIndex() : rng_.NextBelow(items_.size())]);
    return out;
  }

  const std::vector<T>& items() const { return items_; }
  size_t size() const { return items_.size(); }
  size_t capacity() const { return capacity_; }
  uint64_t seen() const { return seen_; }
  uint32_t half_life() const { return half_life_; }

 private:
  // An age a in [0, n) with P(a) proportional to r^a, r = 2^(-1/H), by
  // inverting the truncated geometric CDF (1 - r^(a+1)) / (1 - r^n); then the
  // slot of the item of that age (the newest was written at (seen - 1) % capacity).
  size_t RecentIndex() {
    const size_t n = items_.size();
    const double log_r = -std::log(2.0) / half_life_;
    const double tail = 1.0 - std::exp(log_r * static_cast<double>(n));
    const double u = rng_.NextUnit();
    size_t age = static_cast<size_t>(std::floor(std::log1p(-u * tail) / log_r));
    if (age >= n) age = n - 1;
    const size_t newest = static_cast<size_t>((seen_ - 1) % capacity_);
    return (newest + capacity_ - age) % capacity_;
  }

  size_t capacity_;
  uint32_t half_life_;
  Random rng_;
  std::vector<T> items_;
  uint64_t seen_ = 0;
};

}  // namespace neurovec::learning
