// Visited sets for graph searches: one 16-bit tag per slot and a current epoch,
// so clearing between searches is O(1) (a full clear only every 65535 uses).
// Sets are pooled so concurrent searches each get their own.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

namespace neurovec {

class VisitedSet {
 public:
  void Prepare(size_t capacity) {
    if (tags_.size() < capacity) {
      tags_.assign(capacity, 0);
      epoch_ = 0;
    }
    if (++epoch_ == 0) {
      std::memset(tags_.data(), 0, tags_.size() * sizeof(uint16_t));
      epoch_ = 1;
    }
  }
  bool Visited(uint32_t slot) const { return tags_[slot] == epoch_; }
  void Mark(uint32_t slot) { tags_[slot] = epoch_; }
  // Marks and tells whether it was already marked.
  bool TestAndMark(uint32_t slot) {
    bool was = tags_[slot] == epoch_;
    tags_[slot] = epoch_;
    return was;
  }
  const uint16_t* tag_address(uint32_t slot) const { return &tags_[slot]; }

 private:
  std::vector<uint16_t> tags_;
  uint16_t epoch_ = 0;
};

template <typename Context>
class ContextPool {
 public:
  std::unique_ptr<Context> Acquire() {
    std::lock_guard<std::mutex> guard(mutex_);
    if (free_.empty()) return std::make_unique<Context>();
    std::unique_ptr<Context> c = std::move(free_.back());
    free_.pop_back();
    return c;
  }
  void Release(std::unique_ptr<Context> c) {
    std::lock_guard<std::mutex> guard(mutex_);
    free_.push_back(std::move(c));
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<Context>> free_;
};

}  // namespace neurovec
