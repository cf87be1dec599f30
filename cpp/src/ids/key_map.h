// External ids <-> dense slots.
//
// The id of each slot lives once, in keys_; the lookup table is open
// addressing (linear probing) over slot numbers, compared through keys_. No
// allocation per id beyond the id itself: opening a large index binds every
// id, and a node-based hash map spent most of a wasm open allocating nodes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "neurovec/item_key.h"

namespace neurovec {

class KeyMap {
 public:
  static constexpr uint32_t kMissing = UINT32_MAX;

  void Reserve(size_t slots) {
    keys_.resize(std::max(keys_.size(), slots), ItemKey::Number(0));
    // Load factor at most 1/2 for the slots reserved: no rehash while a large
    // index is read or built.
    if (slots * 2 > table_.size()) Rehash(slots * 2);
  }

  uint32_t Find(const ItemKey& key) const {
    if (table_.empty()) return kMissing;
    const std::string& k = key.encoded();
    for (size_t i = Hash(k) & mask();; i = (i + 1) & mask()) {
      const uint32_t slot = table_[i];
      if (slot == kMissing) return kMissing;
      if (keys_[slot].encoded() == k) return slot;
    }
  }
  // Binds a key that is not bound (callers check with Find first).
  void Bind(const ItemKey& key, uint32_t slot) { (void)BindNew(key, slot); }
  // Binds unless the key is bound already; returns whether it bound.
  bool BindNew(const ItemKey& key, uint32_t slot) {
    if ((count_ + 1) * 2 > table_.size()) Rehash(std::max<size_t>(16, (count_ + 1) * 4));
    const std::string& k = key.encoded();
    size_t i = Hash(k) & mask();
    for (; table_[i] != kMissing; i = (i + 1) & mask()) {
      if (keys_[table_[i]].encoded() == k) return false;
    }
    keys_[slot] = key;
    table_[i] = slot;
    ++count_;
    return true;
  }
  void Unbind(uint32_t slot) {
    const std::string& k = keys_[slot].encoded();
    size_t i = Hash(k) & mask();
    while (table_[i] != slot) {
      if (table_[i] == kMissing) return;
      i = (i + 1) & mask();
    }
    // Backward-shift deletion: later entries of the probe run move up, so
    // lookups never need tombstones.
    for (size_t j = (i + 1) & mask(); table_[j] != kMissing; j = (j + 1) & mask()) {
      const size_t home = Hash(keys_[table_[j]].encoded()) & mask();
      // Move entry j into the hole at i if its home is not in (i, j] cyclically.
      const bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (!between) {
        table_[i] = table_[j];
        i = j;
      }
    }
    table_[i] = kMissing;
    --count_;
  }
  const ItemKey& KeyOf(uint32_t slot) const { return keys_[slot]; }
  size_t size() const { return count_; }
  uint64_t memory_bytes() const { return keys_.size() * sizeof(ItemKey) + table_.size() * sizeof(uint32_t); }

 private:
  size_t mask() const { return table_.size() - 1; }
  // FNV-1a, then a multiply-xorshift finish so the low bits (the table index)
  // depend on every byte.
  static size_t Hash(const std::string& k) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : k) h = (h ^ c) * 1099511628211ull;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    h ^= h >> 32;
    return static_cast<size_t>(h);
  }
  void Rehash(size_t at_least) {
    size_t size = 16;
    while (size < at_least) size *= 2;
    if (size <= table_.size()) return;
    std::vector<uint32_t> old = std::move(table_);
    table_.assign(size, kMissing);
    for (uint32_t slot : old) {
      if (slot == kMissing) continue;
      size_t i = Hash(keys_[slot].encoded()) & mask();
      while (table_[i] != kMissing) i = (i + 1) & mask();
      table_[i] = slot;
    }
  }

  std::vector<ItemKey> keys_;    // per slot; meaningful while bound
  std::vector<uint32_t> table_;  // slots, or kMissing; size a power of two
  size_t count_ = 0;
};

}  // namespace neurovec
