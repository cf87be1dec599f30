#include "text/text_encoder.h"

#include <cmath>
#include <cstring>

#include "util/byte_io.h"
#include "util/crc32c.h"

namespace neurovec::text {
namespace {
constexpr char kEncoderMagic[4] = {'N', 'V', 'T', 'E'};
constexpr uint32_t kEncoderVersion = 1;
constexpr uint32_t kWeightsInt8 = 1;
constexpr size_t kEncoderHeaderBytes = 32;
}  // namespace

Result<TextEncoder> TextEncoder::FromFloatRows(const FeatureConfig& features, uint32_t dim, const float* rows) {
  NV_RETURN_IF_ERROR(features.Validate());
  if (dim == 0 || dim > kMaxEncoderDim) {
    return Status::InvalidArgument("encoder dimensions must be in [1, " + std::to_string(kMaxEncoderDim) + "]");
  }
  const uint64_t n = uint64_t{1} << features.log2_buckets;
  std::vector<float> scales(n);
  std::vector<int8_t> codes(n * dim);
  for (uint64_t r = 0; r < n; ++r) {
    const float* row = rows + r * dim;
    float max_abs = 0;
    for (uint32_t j = 0; j < dim; ++j) {
      if (!std::isfinite(row[j])) return Status::InvalidArgument("encoder weights hold a non-finite value");
      max_abs = std::max(max_abs, std::fabs(row[j]));
    }
    const float scale = max_abs > 0 ? max_abs / 127.0f : 0.0f;
    scales[r] = scale;
    for (uint32_t j = 0; j < dim; ++j) {
      const float q = scale > 0 ? std::nearbyint(row[j] / scale) : 0.0f;
      codes[r * dim + j] = static_cast<int8_t>(std::max(-127.0f, std::min(127.0f, q)));
    }
  }
  std::string out;
  ByteWriter w(out);
  w.Bytes(kEncoderMagic, 4);
  w.U32(kEncoderVersion);
  w.U32(features.log2_buckets);
  w.U32(dim);
  w.U32(features.min_n);
  w.U32(features.max_n);
  w.U32((features.words ? 1u : 0u) | (features.bigrams ? 2u : 0u));
  w.U32(kWeightsInt8);
  for (float s : scales) w.F32(s);
  w.Bytes(codes.data(), codes.size());
  w.U32(Crc32c(reinterpret_cast<const uint8_t*>(out.data()), out.size()));
  return FromBytes(std::move(out));
}

Result<TextEncoder> TextEncoder::FromBytes(const uint8_t* data, size_t size) {
  return FromBytes(std::string(reinterpret_cast<const char*>(data), size));
}

Result<TextEncoder> TextEncoder::FromBytes(std::string bytes) { return Parse(std::move(bytes), true); }

Result<TextEncoder> TextEncoder::FromVerifiedSection(std::string bytes) { return Parse(std::move(bytes), false); }

Result<TextEncoder> TextEncoder::Parse(std::string bytes, bool check_crc) {
  const uint8_t* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t size = bytes.size();
  if (size < kEncoderHeaderBytes + 4 || std::memcmp(data, kEncoderMagic, 4) != 0) {
    return Status::Corrupt("text encoder: not encoder weights (bad magic or too short)");
  }
  ByteReader r(data + 4, size - 4);
  uint32_t version, log2, dim, min_n, max_n, flags, weights;
  r.U32(version);
  r.U32(log2);
  r.U32(dim);
  r.U32(min_n);
  r.U32(max_n);
  r.U32(flags);
  r.U32(weights);
  if (version != kEncoderVersion) {
    return Status::UnsupportedVersion("text encoder: version " + std::to_string(version) + ", this build reads 1");
  }
  if (weights != kWeightsInt8) return Status::Corrupt("text encoder: unknown weight format " + std::to_string(weights));
  FeatureConfig f;
  f.log2_buckets = log2;
  f.min_n = min_n;
  f.max_n = max_n;
  f.words = flags & 1;
  f.bigrams = flags & 2;
  if (!f.Validate().ok() || dim == 0 || dim > kMaxEncoderDim || (flags & ~3u)) {
    return Status::Corrupt("text encoder: bad parameters");
  }
  const uint64_t n = uint64_t{1} << log2;
  const uint64_t expected = kEncoderHeaderBytes + n * 4 + n * dim + 4;
  if (size != expected) {
    return Status::Corrupt("text encoder: " + std::to_string(size) + " bytes, expected " + std::to_string(expected));
  }
  uint32_t crc = 0;
  std::memcpy(&crc, data + size - 4, 4);  // little-endian hosts only (x86-64, wasm32)
  if (check_crc && Crc32c(data, size - 4) != crc) return Status::Corrupt("text encoder: weights fail their checksum");
  TextEncoder e;
  e.features_ = f;
  e.dim_ = dim;
  e.bytes_ = std::move(bytes);
  e.Repoint();
  for (uint64_t b = 0; b < n; ++b) {
    if (!std::isfinite(e.scales_[b]) || e.scales_[b] < 0) {
      return Status::Corrupt("text encoder: a row scale is not a finite non-negative number");
    }
  }
  return e;
}

TextEncoder& TextEncoder::operator=(const TextEncoder& other) {
  features_ = other.features_;
  dim_ = other.dim_;
  bytes_ = other.bytes_;
  Repoint();
  return *this;
}

TextEncoder& TextEncoder::operator=(TextEncoder&& other) noexcept {
  features_ = other.features_;
  dim_ = other.dim_;
  bytes_ = std::move(other.bytes_);
  Repoint();
  other.Repoint();
  return *this;
}

void TextEncoder::Repoint() {
  if (bytes_.size() < kEncoderHeaderBytes) {
    scales_ = nullptr;
    codes_ = nullptr;
    return;
  }
  scales_ = reinterpret_cast<const float*>(bytes_.data() + kEncoderHeaderBytes);
  codes_ = reinterpret_cast<const int8_t*>(bytes_.data() + kEncoderHeaderBytes + buckets() * 4);
}

bool TextEncoder::EncodeFeatures(const uint32_t* buckets, size_t n, float* out) const {
  std::fill(out, out + dim_, 0.0f);
  if (n == 0) return false;
  // Plain loops over contiguous int8 rows: the compiler vectorises them
  // (SSE/AVX natively, simd128 in wasm).
  for (size_t i = 0; i < n; ++i) {
    const uint32_t b = buckets[i];
    const float s = scales_[b];
    const int8_t* row = codes_ + static_cast<size_t>(b) * dim_;
    for (uint32_t j = 0; j < dim_; ++j) out[j] += s * static_cast<float>(row[j]);
  }
  double norm = 0;
  for (uint32_t j = 0; j < dim_; ++j) norm += static_cast<double>(out[j]) * out[j];
  if (!(norm > 0)) {
    std::fill(out, out + dim_, 0.0f);
    return false;
  }
  const float inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (uint32_t j = 0; j < dim_; ++j) out[j] *= inv;
  return true;
}

bool TextEncoder::Encode(std::string_view text, float* out) const {
  std::vector<uint32_t> buckets;
  TextFeatures(features_, text, &buckets);
  return EncodeFeatures(buckets.data(), buckets.size(), out);
}

void TextEncoder::Row(uint32_t bucket, float* out) const {
  for (uint32_t j = 0; j < dim_; ++j) out[j] = scales_[bucket] * static_cast<float>(codes_[static_cast<size_t>(bucket) * dim_ + j]);
}

}  // namespace neurovec::text
