// The "learned parameters" bytes: every parameter of a ParameterSet with its
// name and shape, little-endian and fixed-width, so the same bytes load natively
// and in wasm. Layout (all integers u32 LE):
//   "NVLP" magic, version (1), parameter count,
//   per parameter: name length, name (UTF-8, no terminator), rows, cols,
//                  rows*cols float32 LE in row-major order,
//   CRC-32C of every byte before it.
// Reading checks the checksum and every length against the bytes present
// before allocating, so a truncated or corrupt buffer gives kCorrupt (a newer
// version kUnsupportedVersion), never a crash.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "learning/parameter.h"
#include "neurovec/status.h"

namespace neurovec::learning {

constexpr uint32_t kParameterFormatVersion = 1;
constexpr uint32_t kMaxParameterNameBytes = 1024;

struct NamedTensor {
  std::string name;
  Matrix value;
};

std::string SerializeParameters(const ParameterSet& params);

Result<std::vector<NamedTensor>> DeserializeParameters(const uint8_t* data, size_t size);

// Copies the stored values into `params`, which must hold exactly the stored
// names with the same shapes (any order). Nothing is changed on error
// (kCorrupt for bad bytes, kInvalidArgument for a model mismatch).
Status LoadParameters(const uint8_t* data, size_t size, const ParameterSet& params);

}  // namespace neurovec::learning
