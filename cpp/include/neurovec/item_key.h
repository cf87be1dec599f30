// External ids: a user's id is a string or an integer. Both kinds live in one map,
// so 7 and "7" are different ids.
#pragma once

#include <cstdint>
#include <string>

#include "neurovec/status.h"

namespace neurovec {

class ItemKey {
 public:
  enum class Kind : uint8_t { kNumber = 'n', kString = 's' };

  ItemKey() : encoded_(std::string(1, 'n') + std::string(8, '\0')) {}  // the number 0
  static ItemKey Number(int64_t value);
  static ItemKey String(std::string value);
  // Parses the compact encoding produced by encoded() (used by the bindings).
  static Result<ItemKey> Decode(const char* data, size_t size);

  Kind kind() const { return static_cast<Kind>(encoded_[0]); }
  int64_t number() const;                                  // kind() == kNumber
  std::string string() const { return encoded_.substr(1); }  // kind() == kString
  // One tag byte ('n' or 's') then 8 little-endian bytes or the UTF-8 text.
  const std::string& encoded() const { return encoded_; }
  // For messages: 42 or "name".
  std::string ToDisplay() const;

  bool operator==(const ItemKey& other) const { return encoded_ == other.encoded_; }

 private:
  explicit ItemKey(std::string encoded) : encoded_(std::move(encoded)) {}
  std::string encoded_;
};

}  // namespace neurovec
