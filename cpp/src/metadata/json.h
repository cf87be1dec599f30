// A small, strict JSON reader (RFC 8259) for metadata and filters. It builds a
// tree of JsonValue; depth and size are bounded so hostile input cannot exhaust
// the stack.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "neurovec/status.h"

namespace neurovec {

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::vector<std::pair<std::string, JsonValue>> object;  // in document order

  const JsonValue* Find(const std::string& key) const;
};

constexpr int kMaxJsonDepth = 64;

Result<JsonValue> ParseJson(const std::string& text);

// Writes a JSON string literal (quotes and escapes) for messages.
std::string JsonQuote(const std::string& text);

}  // namespace neurovec
