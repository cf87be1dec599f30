// External ids <-> dense slots, plus the free list of slots to reuse.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "neurovec/item_key.h"

namespace neurovec {

class KeyMap {
 public:
  static constexpr uint32_t kMissing = UINT32_MAX;

  void Reserve(size_t slots) { keys_.resize(std::max(keys_.size(), slots), ItemKey::Number(0)); }
  uint32_t Find(const ItemKey& key) const {
    auto it = slots_.find(key.encoded());
    return it == slots_.end() ? kMissing : it->second;
  }
  void Bind(const ItemKey& key, uint32_t slot) {
    slots_[key.encoded()] = slot;
    keys_[slot] = key;
  }
  void Unbind(uint32_t slot) { slots_.erase(keys_[slot].encoded()); }
  const ItemKey& KeyOf(uint32_t slot) const { return keys_[slot]; }
  size_t size() const { return slots_.size(); }
  uint64_t memory_bytes() const {
    uint64_t bytes = keys_.size() * sizeof(ItemKey) + slots_.size() * (sizeof(std::string) + 32);
    return bytes;
  }

 private:
  std::unordered_map<std::string, uint32_t> slots_;
  std::vector<ItemKey> keys_;
};

}  // namespace neurovec
