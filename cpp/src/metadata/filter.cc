#include "metadata/filter.h"

namespace neurovec {

bool Filter::Node::HasValue(uint32_t slot) const {
  if (column == nullptr) return false;
  AttributeType type = column->types[slot];
  double value = column->values[slot];
  for (const auto& [t, v] : values)
    if (t == type && v == value) return true;
  return false;
}

bool Filter::Node::Eval(uint32_t slot) const {
  switch (kind) {
    case Kind::kAlways: return true;
    case Kind::kNever: return false;
    case Kind::kAnd:
      for (const Node& c : children) if (!c.Eval(slot)) return false;
      return true;
    case Kind::kOr:
      for (const Node& c : children) if (c.Eval(slot)) return true;
      return false;
    case Kind::kEqual:
    case Kind::kIn: return HasValue(slot);
    case Kind::kNotEqual:
    case Kind::kNotIn: return !HasValue(slot);
    case Kind::kRange: {
      if (column == nullptr || column->types[slot] != AttributeType::kNumber) return false;
      double v = column->values[slot];
      if (has_low && (low_inclusive ? v < low : v <= low)) return false;
      if (has_high && (high_inclusive ? v > high : v >= high)) return false;
      return true;
    }
  }
  return false;
}

Status Filter::ToValue(const JsonValue& v, const AttributeColumn* column, const std::string& field,
                       std::pair<AttributeType, double>& out, bool& known) {
  known = true;
  switch (v.type) {
    case JsonValue::Type::kNumber: out = {AttributeType::kNumber, v.number}; return Status::Ok();
    case JsonValue::Type::kBool: out = {AttributeType::kBool, v.boolean ? 1.0 : 0.0}; return Status::Ok();
    case JsonValue::Type::kString: {
      auto it = column ? column->dictionary.find(v.string) : decltype(column->dictionary.end()){};
      if (column == nullptr || it == column->dictionary.end()) {
        known = false;  // no item has this string: it can never match
        return Status::Ok();
      }
      out = {AttributeType::kString, static_cast<double>(it->second)};
      return Status::Ok();
    }
    default:
      return Status::InvalidArgument("filter on \"" + field +
                                     "\": values must be strings, numbers or booleans");
  }
}

Status Filter::CompileField(const std::string& field, const JsonValue& condition, const AttributeStore& attributes,
                            Node& out) {
  const AttributeColumn* column = attributes.Column(field);
  if (condition.type != JsonValue::Type::kObject) {
    out.kind = Node::Kind::kEqual;
    out.column = column;
    std::pair<AttributeType, double> value;
    bool known;
    NV_RETURN_IF_ERROR(ToValue(condition, column, field, value, known));
    if (known) out.values.push_back(value);
    return Status::Ok();
  }
  if (condition.object.empty()) {
    return Status::InvalidArgument("filter on \"" + field + "\": empty operator object; expected $eq, $ne, $in, $nin, $gt, $gte, $lt or $lte");
  }
  out.kind = Node::Kind::kAnd;
  Node range;
  range.kind = Node::Kind::kRange;
  range.column = column;
  for (const auto& [op, operand] : condition.object) {
    if (op == "$eq" || op == "$ne") {
      Node n;
      n.kind = op == "$eq" ? Node::Kind::kEqual : Node::Kind::kNotEqual;
      n.column = column;
      std::pair<AttributeType, double> value;
      bool known;
      NV_RETURN_IF_ERROR(ToValue(operand, column, field, value, known));
      if (known) n.values.push_back(value);
      out.children.push_back(std::move(n));
    } else if (op == "$in" || op == "$nin") {
      if (operand.type != JsonValue::Type::kArray) {
        return Status::InvalidArgument("filter on \"" + field + "\": " + op + " expects an array of values");
      }
      Node n;
      n.kind = op == "$in" ? Node::Kind::kIn : Node::Kind::kNotIn;
      n.column = column;
      for (const JsonValue& item : operand.array) {
        std::pair<AttributeType, double> value;
        bool known;
        NV_RETURN_IF_ERROR(ToValue(item, column, field, value, known));
        if (known) n.values.push_back(value);
      }
      out.children.push_back(std::move(n));
    } else if (op == "$gt" || op == "$gte" || op == "$lt" || op == "$lte") {
      if (operand.type != JsonValue::Type::kNumber) {
        return Status::InvalidArgument("filter on \"" + field + "\": " + op + " expects a number");
      }
      if (op[1] == 'g') {
        if (range.has_low) return Status::InvalidArgument("filter on \"" + field + "\": more than one lower bound");
        range.has_low = true;
        range.low = operand.number;
        range.low_inclusive = op == "$gte";
      } else {
        if (range.has_high) return Status::InvalidArgument("filter on \"" + field + "\": more than one upper bound");
        range.has_high = true;
        range.high = operand.number;
        range.high_inclusive = op == "$lte";
      }
    } else {
      return Status::InvalidArgument("filter on \"" + field + "\": unknown operator \"" + op +
                                     "\"; expected $eq, $ne, $in, $nin, $gt, $gte, $lt or $lte");
    }
  }
  if (range.has_low || range.has_high) out.children.push_back(std::move(range));
  return Status::Ok();
}

Status Filter::CompileNode(const JsonValue& value, const AttributeStore& attributes, Node& out, int depth) {
  if (depth > 16) return Status::InvalidArgument("filter nested more than 16 levels deep");
  if (value.type != JsonValue::Type::kObject) {
    return Status::InvalidArgument("a filter must be an object like {\"field\": value}");
  }
  out.kind = Node::Kind::kAnd;
  for (const auto& [key, condition] : value.object) {
    Node child;
    if (key == "$and" || key == "$or") {
      if (condition.type != JsonValue::Type::kArray || condition.array.empty()) {
        return Status::InvalidArgument(key + " expects a non-empty array of filters");
      }
      child.kind = key == "$and" ? Node::Kind::kAnd : Node::Kind::kOr;
      for (const JsonValue& sub : condition.array) {
        Node n;
        NV_RETURN_IF_ERROR(CompileNode(sub, attributes, n, depth + 1));
        child.children.push_back(std::move(n));
      }
    } else if (!key.empty() && key[0] == '$') {
      return Status::InvalidArgument("unknown filter operator \"" + key + "\" at the top level; expected a field name, $and or $or");
    } else {
      NV_RETURN_IF_ERROR(CompileField(key, condition, attributes, child));
    }
    out.children.push_back(std::move(child));
  }
  return Status::Ok();
}

Result<Filter> Filter::Compile(const std::string& json, const AttributeStore& attributes) {
  Result<JsonValue> parsed = ParseJson(json);
  if (!parsed.ok()) return Status::InvalidArgument("filter: " + parsed.status().message());
  NV_RETURN_IF_ERROR(attributes.EnsureColumns());
  Filter filter;
  NV_RETURN_IF_ERROR(CompileNode(parsed.value(), attributes, filter.root_, 0));
  return filter;
}

}  // namespace neurovec
