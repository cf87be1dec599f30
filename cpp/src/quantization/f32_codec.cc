// f32: the identity codec, so full-precision storage goes through the same
// interface as every compressed tier. Code = the floats, little-endian.
#include <cstring>
#include <vector>

#include "distance/kernels.h"
#include "quantization/codecs_internal.h"

namespace neurovec::quant {
namespace {

class F32QueryDistance final : public QueryDistance {
 public:
  F32QueryDistance(const float* query, size_t d, Metric metric)
      : QueryDistance(d * 4), query_(query, query + d), metric_(metric), kernels_(distance::BestKernels()) {}

  float Distance(const uint8_t* code) const override {
    // Codes sit at multiples of 4 bytes in any code array, so the cast is
    // aligned; the kernels load unaligned anyway.
    const float* x = reinterpret_cast<const float*>(code);
    const size_t d = query_.size();
    switch (metric_) {
      case Metric::kL2:
        return kernels_.l2_squared(query_.data(), x, d);
      case Metric::kManhattan:
        return kernels_.l1(query_.data(), x, d);
      case Metric::kDot:
      case Metric::kCosine:
        return 1.0f - kernels_.dot(query_.data(), x, d);
    }
    return 0;
  }

 private:
  std::vector<float> query_;
  Metric metric_;
  const distance::KernelTable& kernels_;
};

class F32Codec final : public Codec {
 public:
  explicit F32Codec(const CodecParams& params) : Codec(params) { trained_ = true; }
  size_t bytes_per_vector() const override { return static_cast<size_t>(dimensions()) * 4; }
  Status Train(const float*, size_t) override { return Status::Ok(); }
  void Encode(const float* vector, uint8_t* code) const override { std::memcpy(code, vector, bytes_per_vector()); }
  void Decode(const uint8_t* code, float* out) const override { std::memcpy(out, code, bytes_per_vector()); }
  std::unique_ptr<QueryDistance> PrepareQuery(const float* query) const override {
    return std::make_unique<F32QueryDistance>(query, dimensions(), metric());
  }

 protected:
  void SerializeBody(std::string&) const override {}
  Status DeserializeBody(const uint8_t*, size_t size) override {
    return size == 0 ? Status::Ok() : Status::Corrupt("codec state: f32 has no body");
  }
};

}  // namespace

std::unique_ptr<Codec> MakeF32Codec(const CodecParams& params) { return std::make_unique<F32Codec>(params); }

}  // namespace neurovec::quant
