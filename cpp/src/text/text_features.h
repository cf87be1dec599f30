// Hashed text features for the encoder: words, word bigrams and character
// n-grams of each word (with "<" and ">" marking its ends), each hashed into
// one of 2^log2_buckets rows of the embedding table. Hashing (the FNV-1a 64
// loop with the offset basis 1469598103934665603, as ids/key_map.h uses, not
// FNV's published 14695981039346656037; a per-kind prefix byte; folded by
// splitmix64's finaliser; the top log2_buckets bits) is defined on bytes, so
// the same text gives the same rows natively, in wasm and in the ONNX export's
// JS feature code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "neurovec/status.h"

namespace neurovec::text {

struct FeatureConfig {
  uint32_t log2_buckets = 17;  // rows of the embedding table: 2^log2_buckets (10..24)
  uint32_t min_n = 3;          // character n-grams from min_n to max_n bytes (0: none)
  uint32_t max_n = 5;
  bool words = true;
  bool bigrams = true;
  Status Validate() const;
};

// Bucket of a feature: kind is 'w' (word), 'b' (bigram), 'c' (char n-gram).
uint32_t FeatureBucket(char kind, std::string_view bytes, uint32_t log2_buckets);

// Appends the buckets of every feature of `text` (repeats kept: a word that
// occurs twice counts twice). At most kMaxFeatures are produced.
constexpr size_t kMaxFeatures = 1 << 16;
void TextFeatures(const FeatureConfig& config, std::string_view text, std::vector<uint32_t>* buckets);

}  // namespace neurovec::text
