// Metadata filters, compiled once per query and evaluated on each node the graph
// traversal considers (not after top-k).
//
// Syntax (JSON; a top-level object ANDs its fields):
//   {"color": "red"}                       equality (string, number or boolean)
//   {"color": {"$eq": "red"}}              the same
//   {"color": {"$ne": "red"}}              not equal (also true when the field is absent)
//   {"size": {"$in": [1, 2, "xl"]}}        one of
//   {"size": {"$nin": [1, 2]}}             none of (also true when absent)
//   {"price": {"$gte": 10, "$lt": 20}}     numeric range: $gt $gte $lt $lte
//   {"$and": [f1, f2]}, {"$or": [f1, f2]}  combinations
// Only top-level string, number and boolean metadata fields can be filtered.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "metadata/attribute_store.h"
#include "neurovec/status.h"

namespace neurovec {

class Filter {
 public:
  // Compiles against the current columns (string values become dictionary codes).
  static Result<Filter> Compile(const std::string& json, const AttributeStore& attributes);

  bool Matches(uint32_t slot) const { return root_.Eval(slot); }

 private:
  struct Node {
    enum class Kind { kAnd, kOr, kEqual, kNotEqual, kIn, kNotIn, kRange, kNever, kAlways };
    Kind kind = Kind::kAlways;
    const AttributeColumn* column = nullptr;
    // kEqual/kNotEqual/kIn/kNotIn: (type, value) pairs; kRange: bounds.
    std::vector<std::pair<AttributeType, double>> values;
    double low = 0, high = 0;
    bool low_inclusive = true, high_inclusive = true, has_low = false, has_high = false;
    std::vector<Node> children;

    bool Eval(uint32_t slot) const;
    bool HasValue(uint32_t slot) const;
  };

  static Status CompileNode(const JsonValue& value, const AttributeStore& attributes, Node& out, int depth);
  static Status CompileField(const std::string& field, const JsonValue& condition, const AttributeStore& attributes,
                             Node& out);
  static Status ToValue(const JsonValue& v, const AttributeColumn* column, const std::string& field,
                        std::pair<AttributeType, double>& out, bool& known);

  Node root_;
};

}  // namespace neurovec
