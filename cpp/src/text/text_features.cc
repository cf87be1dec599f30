#include "text/text_features.h"

#include "text/tokenizer.h"

namespace neurovec::text {

Status FeatureConfig::Validate() const {
  if (log2_buckets < 10 || log2_buckets > 24) {
    return Status::InvalidArgument("encoder log2_buckets must be in [10, 24], got " + std::to_string(log2_buckets));
  }
  if (min_n > max_n || max_n > 8 || (min_n == 0) != (max_n == 0)) {
    return Status::InvalidArgument("encoder character n-grams need 1 <= min_n <= max_n <= 8 (or both 0 for none)");
  }
  if (!words && !bigrams && max_n == 0) return Status::InvalidArgument("encoder has no feature kind enabled");
  return Status::Ok();
}

uint32_t FeatureBucket(char kind, std::string_view bytes, uint32_t log2_buckets) {
  uint64_t h = 1469598103934665603ull;
  h = (h ^ static_cast<uint8_t>(kind)) * 1099511628211ull;
  for (char c : bytes) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  // FNV's low bits mix poorly: fold with a finaliser (splitmix64's).
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return static_cast<uint32_t>(h >> (64 - log2_buckets));
}

void TextFeatures(const FeatureConfig& config, std::string_view text, std::vector<uint32_t>* buckets) {
  const std::vector<std::string> words = Words(text);
  const size_t start = buckets->size();
  auto full = [&] { return buckets->size() - start >= kMaxFeatures; };
  std::string marked;
  for (size_t i = 0; i < words.size() && !full(); ++i) {
    const std::string& w = words[i];
    if (config.words) buckets->push_back(FeatureBucket('w', w, config.log2_buckets));
    if (config.bigrams && i + 1 < words.size()) {
      std::string pair = w;
      pair.push_back(' ');
      pair += words[i + 1];
      buckets->push_back(FeatureBucket('b', pair, config.log2_buckets));
    }
    if (config.max_n > 0) {
      marked.assign("<");
      marked += w;
      marked.push_back('>');
      for (uint32_t n = config.min_n; n <= config.max_n; ++n) {
        if (marked.size() < n) break;
        for (size_t p = 0; p + n <= marked.size() && !full(); ++p) {
          buckets->push_back(FeatureBucket('c', std::string_view(marked).substr(p, n), config.log2_buckets));
        }
      }
    }
  }
  if (buckets->size() - start > kMaxFeatures) buckets->resize(start + kMaxFeatures);
}

}  // namespace neurovec::text
