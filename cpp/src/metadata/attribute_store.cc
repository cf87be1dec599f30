#include "metadata/attribute_store.h"

namespace neurovec {

void AttributeStore::Reserve(size_t slots) {
  if (slots <= capacity_) return;
  capacity_ = slots;
  json_.resize(slots);
  fields_of_slot_.resize(slots);
  for (AttributeColumn& column : columns_) {
    column.types.resize(slots, AttributeType::kAbsent);
    column.values.resize(slots, 0);
  }
}

Result<JsonValue> AttributeStore::ParseMetadata(const std::string& json) {
  if (json.empty()) return JsonValue{};
  Result<JsonValue> parsed = ParseJson(json);
  if (!parsed.ok()) return Status::InvalidArgument("metadata: " + parsed.status().message());
  if (parsed.value().type != JsonValue::Type::kObject) {
    return Status::InvalidArgument("metadata must be a JSON object (like {\"category\": \"shoes\"})");
  }
  return parsed;
}

void AttributeStore::Clear(uint32_t slot) {
  json_[slot].clear();
  json_[slot].shrink_to_fit();
  for (uint32_t field : fields_of_slot_[slot]) columns_[field].types[slot] = AttributeType::kAbsent;
  fields_of_slot_[slot].clear();
}

void AttributeStore::Set(uint32_t slot, const std::string& json, const JsonValue& parsed) {
  Clear(slot);
  json_[slot] = json;
  for (const auto& [name, value] : parsed.object) {
    AttributeType type;
    switch (value.type) {
      case JsonValue::Type::kNumber: type = AttributeType::kNumber; break;
      case JsonValue::Type::kString: type = AttributeType::kString; break;
      case JsonValue::Type::kBool: type = AttributeType::kBool; break;
      default: continue;  // null, arrays and objects are kept in the JSON but not filterable
    }
    auto [it, inserted] = field_ids_.emplace(name, static_cast<uint32_t>(columns_.size()));
    if (inserted) {
      columns_.emplace_back();
      columns_.back().types.resize(capacity_, AttributeType::kAbsent);
      columns_.back().values.resize(capacity_, 0);
    }
    AttributeColumn& column = columns_[it->second];
    column.types[slot] = type;
    if (type == AttributeType::kNumber) {
      column.values[slot] = value.number;
    } else if (type == AttributeType::kBool) {
      column.values[slot] = value.boolean ? 1 : 0;
    } else {
      auto code = column.dictionary.emplace(value.string, static_cast<uint32_t>(column.dictionary.size()));
      column.values[slot] = code.first->second;
    }
    fields_of_slot_[slot].push_back(it->second);
  }
}

const AttributeColumn* AttributeStore::Column(const std::string& field) const {
  auto it = field_ids_.find(field);
  return it == field_ids_.end() ? nullptr : &columns_[it->second];
}

uint64_t AttributeStore::memory_bytes() const {
  uint64_t bytes = 0;
  for (const std::string& s : json_) bytes += s.capacity() + sizeof(std::string);
  for (const AttributeColumn& c : columns_) bytes += c.types.size() * (1 + sizeof(double));
  return bytes;
}

}  // namespace neurovec
