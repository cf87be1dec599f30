#include "quantization/codec.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "util/byte_io.h"
#include "quantization/codecs_internal.h"

namespace neurovec::quant {

const char* CodecKindName(CodecKind kind) {
  switch (kind) {
    case CodecKind::kF32:
      return "f32";
    case CodecKind::kF16:
      return "f16";
    case CodecKind::kInt8:
      return "int8";
    case CodecKind::kPq8:
      return "pq8";
    case CodecKind::kPq4:
      return "pq4";
    case CodecKind::kBinary:
      return "binary";
  }
  return "unknown";
}

Result<CodecKind> ParseCodecKind(const std::string& name) {
  for (CodecKind kind : {CodecKind::kF32, CodecKind::kF16, CodecKind::kInt8, CodecKind::kPq8, CodecKind::kPq4,
                         CodecKind::kBinary}) {
    if (name == CodecKindName(kind)) return kind;
  }
  return Status::InvalidArgument("unknown codec '" + name + "' (expected f32, f16, int8, pq8, pq4 or binary)");
}

void QueryDistance::Distances(const uint8_t* codes, size_t n, float* out) const {
  for (size_t i = 0; i < n; ++i) out[i] = Distance(codes + i * code_bytes_);
}

void Codec::EncodeBatch(const float* vectors, size_t n, uint8_t* codes) const {
  const size_t bytes = bytes_per_vector();
  for (size_t i = 0; i < n; ++i) Encode(vectors + i * params_.dimensions, codes + i * bytes);
}

void Codec::PackCodes(const uint8_t* codes, size_t n, uint8_t* packed) const {
  if (n) std::memcpy(packed, codes, n * bytes_per_vector());
}

namespace {

bool ValidKind(uint8_t v) { return v >= 1 && v <= 6; }
bool ValidMetric(uint8_t v) { return v <= 3; }

class DecodingQueryDistance final : public QueryDistance {
 public:
  DecodingQueryDistance(const Codec& codec, const float* query)
      : QueryDistance(codec.bytes_per_vector()),
        codec_(codec),
        query_(query, query + codec.dimensions()),
        scratch_(codec.dimensions()) {}

  float Distance(const uint8_t* code) const override {
    codec_.Decode(code, scratch_.data());
    const size_t d = query_.size();
    float sum = 0;
    switch (codec_.metric()) {
      case Metric::kL2:
        for (size_t i = 0; i < d; ++i) sum += (query_[i] - scratch_[i]) * (query_[i] - scratch_[i]);
        return sum;
      case Metric::kManhattan:
        for (size_t i = 0; i < d; ++i) sum += std::fabs(query_[i] - scratch_[i]);
        return sum;
      case Metric::kDot:
      case Metric::kCosine:
        for (size_t i = 0; i < d; ++i) sum += query_[i] * scratch_[i];
        return 1.0f - sum;
    }
    return 0;
  }

 private:
  const Codec& codec_;
  std::vector<float> query_;
  // Decoding needs room; one QueryDistance serves one thread (as a per-query
  // object naturally does).
  mutable std::vector<float> scratch_;
};

}  // namespace

std::unique_ptr<QueryDistance> MakeDecodingQueryDistance(const Codec& codec, const float* query) {
  return std::make_unique<DecodingQueryDistance>(codec, query);
}

bool ReadFiniteFloats(const uint8_t*& data, size_t n, std::vector<float>& out) {
  out.resize(n);
  ByteReader reader(data, n * 4);
  for (float& v : out) {
    reader.F32(v);
    if (!std::isfinite(v)) return false;
  }
  data += n * 4;
  return true;
}

void WriteFloats(const std::vector<float>& values, std::string& out) {
  ByteWriter writer(out);
  for (float v : values) writer.F32(v);
}

Result<std::unique_ptr<Codec>> Codec::Create(const CodecParams& params) {
  if (!ValidKind(static_cast<uint8_t>(params.kind))) return Status::InvalidArgument("unknown codec kind");
  if (!ValidMetric(static_cast<uint8_t>(params.metric))) return Status::InvalidArgument("unknown metric");
  if (params.dimensions == 0 || params.dimensions > CodecParams::kMaxDimensions) {
    return Status::InvalidArgument("codec dimensions must be between 1 and " +
                                   std::to_string(CodecParams::kMaxDimensions) + ", got " +
                                   std::to_string(params.dimensions));
  }
  CodecParams p = params;
  if (p.kind == CodecKind::kPq8 || p.kind == CodecKind::kPq4) {
    if (p.subquantizers == 0) p.subquantizers = std::max<uint32_t>(1, p.dimensions / (p.kind == CodecKind::kPq8 ? 8 : 4));
    if (p.kind == CodecKind::kPq4 && p.subquantizers > CodecParams::kMaxPq4Subquantizers) {
      if (params.subquantizers != 0) {
        return Status::InvalidArgument("pq4 supports at most " + std::to_string(CodecParams::kMaxPq4Subquantizers) +
                                       " sub-quantizers, got " + std::to_string(p.subquantizers));
      }
      p.subquantizers = CodecParams::kMaxPq4Subquantizers;
    }
    if (p.subquantizers > p.dimensions) {
      return Status::InvalidArgument("sub-quantizers (" + std::to_string(p.subquantizers) +
                                     ") must not exceed dimensions (" + std::to_string(p.dimensions) + ")");
    }
  } else {
    p.subquantizers = 0;
  }
  if (p.kind == CodecKind::kPq4) {
    if (p.outliers > CodecParams::kMaxOutliers) {
      return Status::InvalidArgument("pq4 keeps at most " + std::to_string(CodecParams::kMaxOutliers) +
                                     " outliers per vector, got " + std::to_string(p.outliers));
    }
    p.outliers = std::min(p.outliers, p.dimensions);
  } else {
    p.outliers = 0;
  }
  if (static_cast<uint8_t>(p.binary_threshold) > 2) return Status::InvalidArgument("unknown binary threshold");
  if (p.kind != CodecKind::kBinary) p.binary_threshold = BinaryThreshold::kMean;
  if (static_cast<uint8_t>(p.int8_range) > 1) return Status::InvalidArgument("unknown int8 range");
  if (p.kind != CodecKind::kInt8) p.int8_range = Int8Range::kPerDimension;
  switch (p.kind) {
    case CodecKind::kF32:
      return MakeF32Codec(p);
    case CodecKind::kF16:
      return MakeF16Codec(p);
    case CodecKind::kInt8:
      return MakeInt8Codec(p);
    case CodecKind::kPq8:
      return MakePq8Codec(p);
    case CodecKind::kPq4:
      return MakePq4Codec(p);
    case CodecKind::kBinary:
      return MakeBinaryCodec(p);
  }
  return Status::InvalidArgument("unknown codec kind");
}

namespace {
constexpr char kMagic[4] = {'N', 'V', 'Q', 'C'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kHeaderBytes = 4 + 4 + 4 + 4 + 4 + 4 + 4 + 8;
}  // namespace

std::string Codec::Serialize() const {
  std::string out;
  ByteWriter writer(out);
  writer.Bytes(kMagic, 4);
  writer.U32(kFormatVersion);
  writer.U8(static_cast<uint8_t>(params_.kind));
  writer.U8(static_cast<uint8_t>(params_.metric));
  writer.U8(trained_ ? 1 : 0);
  writer.U8(0);
  writer.U32(params_.dimensions);
  writer.U32(params_.subquantizers);
  writer.U32(params_.outliers);
  writer.U8(static_cast<uint8_t>(params_.binary_threshold));
  writer.U8(static_cast<uint8_t>(params_.int8_range));
  writer.Zeros(2);
  std::string body;
  if (trained_) SerializeBody(body);
  writer.U64(body.size());
  writer.Bytes(body.data(), body.size());
  return out;
}

Result<std::unique_ptr<Codec>> Codec::Deserialize(const uint8_t* data, size_t size) {
  if (data == nullptr && size != 0) return Status::Corrupt("codec state: null data");
  ByteReader reader(data, size);
  const uint8_t* magic = nullptr;
  if (!reader.Bytes(4, magic) || std::memcmp(magic, kMagic, 4) != 0) {
    return Status::Corrupt("codec state: missing NVQC magic");
  }
  if (size < kHeaderBytes) {
    return Status::Corrupt("codec state: " + std::to_string(size) + " bytes, shorter than the " +
                           std::to_string(kHeaderBytes) + "-byte header");
  }
  uint32_t version = 0, dimensions = 0, subquantizers = 0, outliers = 0;
  uint8_t kind = 0, metric = 0, trained = 0, reserved = 0, threshold = 0, pad[3] = {1, 1, 1};
  uint64_t body_bytes = 0;
  reader.U32(version);
  reader.U8(kind);
  reader.U8(metric);
  reader.U8(trained);
  reader.U8(reserved);
  reader.U32(dimensions);
  reader.U32(subquantizers);
  reader.U32(outliers);
  reader.U8(threshold);
  reader.U8(pad[0]);
  reader.U8(pad[1]);
  reader.U8(pad[2]);
  reader.U64(body_bytes);
  if (version != kFormatVersion) {
    return Status::Corrupt("codec state: format version " + std::to_string(version) + ", this build reads " +
                           std::to_string(kFormatVersion));
  }
  if (!ValidKind(kind)) return Status::Corrupt("codec state: unknown codec kind " + std::to_string(kind));
  if (!ValidMetric(metric)) return Status::Corrupt("codec state: unknown metric " + std::to_string(metric));
  // pad[0] is the int8 range; the other two are reserved.
  if (trained > 1 || reserved != 0 || threshold > 2 || pad[0] > 1 || pad[1] || pad[2]) {
    return Status::Corrupt("codec state: invalid flag or reserved byte");
  }
  if (body_bytes != reader.remaining()) {
    return Status::Corrupt("codec state: body declares " + std::to_string(body_bytes) + " bytes, " +
                           std::to_string(reader.remaining()) + " follow");
  }
  CodecParams params;
  params.kind = static_cast<CodecKind>(kind);
  params.metric = static_cast<Metric>(metric);
  params.dimensions = dimensions;
  params.subquantizers = subquantizers;
  params.outliers = outliers;
  params.binary_threshold = static_cast<BinaryThreshold>(threshold);
  params.int8_range = static_cast<Int8Range>(pad[0]);
  const bool is_pq = params.kind == CodecKind::kPq8 || params.kind == CodecKind::kPq4;
  // Create fills defaults for zero; a saved codec has them resolved already,
  // and Create must not silently change a value read from bytes.
  if (is_pq && subquantizers == 0) return Status::Corrupt("codec state: zero sub-quantizers");
  auto created = Create(params);
  if (!created.ok()) return Status::Corrupt("codec state: " + created.status().message());
  std::unique_ptr<Codec> codec = created.take();
  if (codec->params_.subquantizers != subquantizers || codec->params_.outliers != outliers ||
      codec->params_.binary_threshold != params.binary_threshold || codec->params_.int8_range != params.int8_range) {
    return Status::Corrupt("codec state: parameters inconsistent with the codec kind");
  }
  const uint8_t* body = nullptr;
  reader.Bytes(static_cast<size_t>(body_bytes), body);
  if (trained) {
    NV_RETURN_IF_ERROR(codec->DeserializeBody(body, static_cast<size_t>(body_bytes)));
    codec->trained_ = true;
  } else if (body_bytes != 0) {
    return Status::Corrupt("codec state: an untrained codec has no body");
  } else if (params.kind == CodecKind::kF32 || params.kind == CodecKind::kF16) {
    return Status::Corrupt("codec state: f32/f16 codecs are always trained");
  }
  return codec;
}

}  // namespace neurovec::quant
