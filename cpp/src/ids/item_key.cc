#include "neurovec/item_key.h"

#include <cstring>

namespace neurovec {

ItemKey ItemKey::Number(int64_t value) {
  std::string encoded(9, '\0');
  encoded[0] = static_cast<char>(Kind::kNumber);
  uint64_t bits = static_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) encoded[1 + i] = static_cast<char>((bits >> (8 * i)) & 0xFF);
  return ItemKey(std::move(encoded));
}

ItemKey ItemKey::String(std::string value) {
  return ItemKey(static_cast<char>(Kind::kString) + value);
}

Result<ItemKey> ItemKey::Decode(const char* data, size_t size) {
  if (size == 9 && data[0] == static_cast<char>(Kind::kNumber)) return ItemKey(std::string(data, size));
  if (size >= 1 && data[0] == static_cast<char>(Kind::kString)) {
    if (size - 1 > (1u << 16)) return Status::InvalidArgument("id strings may be at most 65536 bytes long");
    return ItemKey(std::string(data, size));
  }
  return Status::InvalidArgument("malformed id encoding");
}

int64_t ItemKey::number() const {
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits |= static_cast<uint64_t>(static_cast<unsigned char>(encoded_[1 + i])) << (8 * i);
  return static_cast<int64_t>(bits);
}

std::string ItemKey::ToDisplay() const {
  if (kind() == Kind::kNumber) return std::to_string(number());
  return "\"" + string() + "\"";
}

}  // namespace neurovec
