// Per-item metadata: the raw JSON (returned to users) and, for filtering, the
// top-level string, number and boolean fields in columns, one per field name.
// Columns make a filter check one array read per clause, cheap enough to run on
// every node the traversal touches.
//
// Columns are built lazily. An index opened from a file holds only each
// item's JSON (as written, already validated when it was added); the first
// filter parses them all and builds the columns (EnsureColumns). Opening a
// 64k-item index with a synopsis per item spent a third of its time parsing
// metadata and interning unique strings that no search without a filter reads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
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
  // Replaces the metadata of a slot with JSON read from a file, unparsed: it
  // is parsed when the columns are next built (a file's bytes passed their
  // checksum, and were checked when they were added).
  void SetStored(uint32_t slot, std::string json);
  void Clear(uint32_t slot);

  const std::string& Json(uint32_t slot) const { return json_[slot]; }

  // Builds the columns if they are not built (after SetStored). Safe to call
  // from concurrent searches. kCorrupt when a stored JSON is not an object;
  // the columns then stay unbuilt and the next call reports it again.
  Status EnsureColumns() const;
  // The column of a field, or nullptr if no item has it. Only after
  // EnsureColumns() succeeded.
  const AttributeColumn* Column(const std::string& field) const;
  uint64_t memory_bytes() const;

 private:
  struct Columns {
    std::unordered_map<std::string, uint32_t> field_ids;
    std::vector<AttributeColumn> columns;
    std::vector<std::vector<uint32_t>> fields_of_slot;  // columns a slot has values in
  };
  void SetColumns(Columns& c, uint32_t slot, const JsonValue& parsed) const;
  void ClearColumns(Columns& c, uint32_t slot) const;

  std::vector<std::string> json_;
  // Sum of the json_ strings' capacities, kept by every write so that
  // memory_bytes() (and so stats()) is O(1).
  uint64_t json_bytes_ = 0;
  void Store(uint32_t slot, std::string json);
  size_t capacity_ = 0;
  // Null until built; then kept up to date by Set and Clear. Writes never run
  // beside searches, so only the build itself needs the mutex.
  mutable std::unique_ptr<Columns> columns_;
  mutable std::atomic<bool> columns_built_{false};
  mutable std::unique_ptr<std::mutex> build_mutex_ = std::make_unique<std::mutex>();
};

}  // namespace neurovec
