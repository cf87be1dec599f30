// Reservoir sampling (Vitter's algorithm R): after n items were offered, each
// of them is in the buffer with probability capacity / n, whatever n is. Used
// to replay old feedback next to new feedback against forgetting.
#pragma once

#include <cstdint>
#include <vector>

#include "util/random.h"

namespace neurovec::learning {

template <typename T>
class ReservoirBuffer {
 public:
  ReservoirBuffer(size_t capacity, uint64_t seed) : capacity_(capacity), rng_(seed) { items_.reserve(capacity); }

  void Add(const T& item) {
    ++seen_;
    if (items_.size() < capacity_) {
      items_.push_back(item);
      return;
    }
    const uint64_t j = rng_.NextBelow(seen_);
    if (j < capacity_) items_[j] = item;
  }

  // `count` items drawn uniformly with replacement (empty if the buffer is).
  std::vector<T> Sample(size_t count) {
    std::vector<T> out;
    if (items_.empty()) return out;
    out.reserve(count);
    for (size_t i = 0; i < count; ++i) out.push_back(items_[rng_.NextBelow(items_.size())]);
    return out;
  }

  const std::vector<T>& items() const { return items_; }
  size_t size() const { return items_.size(); }
  size_t capacity() const { return capacity_; }
  uint64_t seen() const { return seen_; }

 private:
  size_t capacity_;
  Random rng_;
  std::vector<T> items_;
  uint64_t seen_ = 0;
};

}  // namespace neurovec::learning
