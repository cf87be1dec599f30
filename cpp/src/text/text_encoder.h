// The text encoder: hashed features (text_features.h) -> rows of an embedding
// table -> mean -> L2 normalisation. Weights are int8 with one f32 scale per
// row (a quarter of f32; the encoder's rows are its whole size), or f32 while
// training. Trained natively (encoder_trainer.h, `neurovec train-encoder`);
// the same bytes load natively and in wasm.
//
// Serialised form (little-endian; EncoderBytes / FromBytes), also the "text
// encoder" section of an index file and the models/*.nvenc files:
//   "NVTE" | u32 version (1) | u32 log2_buckets | u32 dim | u32 min_n | u32 max_n
//   | u32 flags (1: words, 2: bigrams) | u32 weights (1: int8 + row scales)
//   | f32 scale x buckets | i8 x buckets x dim | u32 CRC-32C of all before it
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "neurovec/status.h"
#include "text/text_features.h"

namespace neurovec::text {

constexpr uint32_t kMaxEncoderDim = 1024;

class TextEncoder {
 public:
  TextEncoder() = default;
  TextEncoder(const TextEncoder& other) { *this = other; }
  TextEncoder(TextEncoder&& other) noexcept { *this = std::move(other); }
  TextEncoder& operator=(const TextEncoder& other);
  TextEncoder& operator=(TextEncoder&& other) noexcept;

  // Quantises f32 rows (buckets x dim, row-major) to int8 with a scale per row.
  static Result<TextEncoder> FromFloatRows(const FeatureConfig& features, uint32_t dim, const float* rows);
  // Parses and checks serialised bytes (kCorrupt / kUnsupportedVersion on bad input).
  static Result<TextEncoder> FromBytes(const uint8_t* data, size_t size);
  // The same, keeping `bytes` as the weights' storage (no copy of the table).
  static Result<TextEncoder> FromBytes(std::string bytes);
  // The same for the text encoder section of an index file, whose checksum the
  // open has verified over these very bytes: the trailing CRC is not computed
  // a second time (8.9 MB for the Debian catalogue's encoder). Every other
  // check stays.
  static Result<TextEncoder> FromVerifiedSection(std::string bytes);
  const std::string& ToBytes() const { return bytes_; }

  const FeatureConfig& features() const { return features_; }
  uint32_t dimensions() const { return dim_; }
  uint64_t buckets() const { return uint64_t{1} << features_.log2_buckets; }
  uint64_t weight_bytes() const { return bytes_.size(); }

  // Writes the unit-length embedding of `text` into out[dimensions()]. Returns
  // false (out zeroed) when the text has no features (no word in it).
  bool Encode(std::string_view text, float* out) const;
  // The same from feature buckets (TextFeatures).
  bool EncodeFeatures(const uint32_t* buckets, size_t n, float* out) const;
  // Dequantised row (tests, ONNX export).
  void Row(uint32_t bucket, float* out) const;

 private:
  static Result<TextEncoder> Parse(std::string bytes, bool check_crc);
  void Repoint();  // scales_ and codes_ into bytes_
  // The weights live in their serialised form (bytes_); scales_ and codes_
  // point into it (the scales start at byte 32: aligned for floats).
  FeatureConfig features_;
  uint32_t dim_ = 0;
  std::string bytes_;
  const float* scales_ = nullptr;   // one per bucket
  const int8_t* codes_ = nullptr;   // buckets x dim
};

}  // namespace neurovec::text
