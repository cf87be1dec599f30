// Per-item metadata: the raw JSON (returned to users) and, for filtering, the
// top-level string, number and boolean fields in columns, one per field name.
// Columns make a filter check one array read per clause, cheap enough to run on
// every node the traversal touches.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "metadata/json.h"
#include "neurovec/status.h"

namespace neurovec {

enum class AttributeType : uint8_t { kAbsent = 0, kNumber = 1, kString = 2, kBool = 3 };

struct AttributeColumn {
  std::vector<AttributeType> types;
  std::vector<double> values;  // number; string: dictionary code; bool: 0 or 1
  std::unordered_map<std::string, uint32_t> dictionary;  // string -> code
};

class AttributeStore {
 public:
  void Reserve(size_t slots);

  // Parses metadata (empty or a JSON object). Fails without changing anything.
  static Result<JsonValue> ParseMetadata(const std::string& json);

  // Replaces the metadata of a slot with an already-parsed object.
  void Set(uint32_t slot, const std::string& json, const JsonValue& parsed);
  void Clear(uint32_t slot);

  const std::string& Json(uint32_t slot) const { return json_[slot]; }
  // The column of a field, or nullptr if no item ever had it.
  const AttributeColumn* Column(const std::string& field) const;
  uint64_t memory_bytes() const;

 private:
  std::vector<std::string> json_;
  std::unordered_map<std::string, uint32_t> field_ids_;
  std::vector<AttributeColumn> columns_;
  std::vector<std::vector<uint32_t>> fields_of_slot_;  // columns a slot has values in
  size_t capacity_ = 0;
};

}  // namespace neurovec
