#include "metadata/attribute_store.h"

namespace neurovec {

void AttributeStore::Reserve(size_t slots) {
  if (slots <= capacity_) return;
  json_bytes_ += (slots - capacity_) * std::string().capacity();
  capacity_ = slots;
  json_.resize(slots);
  if (!columns_) return;
  columns_->fields_of_slot.resize(slots);
  for (AttributeColumn& column : columns_->columns) {
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

void AttributeStore::ClearColumns(Columns& c, uint32_t slot) const {
  for (uint32_t field : c.fields_of_slot[slot]) c.columns[field].types[slot] = AttributeType::kAbsent;
  c.fields_of_slot[slot].clear();
}

void AttributeStore::Store(uint32_t slot, std::string json) {
  json_bytes_ -= json_[slot].capacity();
  json_[slot] = std::move(json);
  json_bytes_ += json_[slot].capacity();
}

void AttributeStore::Clear(uint32_t slot) {
  json_bytes_ -= json_[slot].capacity();
  json_[slot].clear();
  json_[slot].shrink_to_fit();
  json_bytes_ += json_[slot].capacity();
  if (columns_) ClearColumns(*columns_, slot);
}

void AttributeStore::SetStored(uint32_t slot, std::string json) {
  if (columns_) ClearColumns(*columns_, slot);
  Store(slot, std::move(json));
  // Columns built before this no longer hold the slot: rebuild on next use.
  columns_.reset();
  columns_built_.store(false, std::memory_order_release);
}

void AttributeStore::Set(uint32_t slot, const std::string& json, const JsonValue& parsed) {
  Store(slot, json);
  if (!columns_) return;  // built from json_ when first needed
  ClearColumns(*columns_, slot);
  SetColumns(*columns_, slot, parsed);
}

void AttributeStore::SetColumns(Columns& c, uint32_t slot, const JsonValue& parsed) const {
  for (const auto& [name, value] : parsed.object) {
    AttributeType type;
    switch (value.type) {
      case JsonValue::Type::kNumber: type = AttributeType::kNumber; break;
      case JsonValue::Type::kString: type = AttributeType::kString; break;
      case JsonValue::Type::kBool: type = AttributeType::kBool; break;
      default: continue;  // null, arrays and objects are kept in the JSON but not filterable
    }
    auto [it, inserted] = c.field_ids.emplace(name, static_cast<uint32_t>(c.columns.size()));
    if (inserted) {
      c.columns.emplace_back();
      c.columns.back().types.resize(capacity_, AttributeType::kAbsent);
      c.columns.back().values.resize(capacity_, 0);
    }
    AttributeColumn& column = c.columns[it->second];
    column.types[slot] = type;
    if (type == AttributeType::kNumber) {
      column.values[slot] = value.number;
    } else if (type == AttributeType::kBool) {
      column.values[slot] = value.boolean ? 1 : 0;
    } else {
      auto code = column.dictionary.emplace(value.string, static_cast<uint32_t>(column.dictionary.size()));
      column.values[slot] = code.first->second;
    }
    c.fields_of_slot[slot].push_back(it->second);
  }
}

Status AttributeStore::EnsureColumns() const {
  if (columns_built_.load(std::memory_order_acquire)) return Status::Ok();
  std::lock_guard<std::mutex> lock(*build_mutex_);
  if (columns_built_.load(std::memory_order_relaxed)) return Status::Ok();
  auto built = std::make_unique<Columns>();
  built->fields_of_slot.resize(capacity_);
  for (size_t slot = 0; slot < json_.size(); ++slot) {
    if (json_[slot].empty()) continue;
    Result<JsonValue> parsed = ParseMetadata(json_[slot]);
    if (!parsed.ok()) {
      return Status::Corrupt("metadata of slot " + std::to_string(slot) + " read from the index file is not valid: " +
                             parsed.status().message());
    }
    SetColumns(*built, static_cast<uint32_t>(slot), parsed.value());
  }
  columns_ = std::move(built);
  columns_built_.store(true, std::memory_order_release);
  return Status::Ok();
}

const AttributeColumn* AttributeStore::Column(const std::string& field) const {
  if (!columns_) return nullptr;
  auto it = columns_->field_ids.find(field);
  return it == columns_->field_ids.end() ? nullptr : &columns_->columns[it->second];
}

uint64_t AttributeStore::memory_bytes() const {
  uint64_t bytes = json_bytes_ + json_.size() * sizeof(std::string);
  if (columns_) {
    for (const AttributeColumn& c : columns_->columns) bytes += c.types.size() * (1 + sizeof(double));
  }
  return bytes;
}

}  // namespace neurovec
