// f16: IEEE half per dimension (2 bytes), round to nearest even, values beyond
// +-65504 clamped so every code decodes finite. Relative error <= 2^-11 for
// magnitudes in the normal half range [2^-14, 65504]; absolute error <= 2^-25
// below it. No training: the code depends on the vector alone.
#include <vector>

#include "quantization/codecs_internal.h"
#include "quantization/quant_kernels.h"

namespace neurovec::quant {
namespace {

class F16QueryDistance final : public QueryDistance {
 public:
  F16QueryDistance(const float* query, size_t d, Metric metric)
      : QueryDistance(d * 2), query_(query, query + d), metric_(metric), kernels_(BestQuantKernels()) {}

  float Distance(const uint8_t* code) const override {
    const uint16_t* h = reinterpret_cast<const uint16_t*>(code);
    if (metric_ == Metric::kL2) return kernels_.half_l2_squared(query_.data(), h, query_.size());
    return 1.0f - kernels_.half_dot(query_.data(), h, query_.size());
  }

 private:
  std::vector<float> query_;
  Metric metric_;
  const QuantKernelTable& kernels_;
};

class F16Codec final : public Codec {
 public:
  explicit F16Codec(const CodecParams& params) : Codec(params), kernels_(BestQuantKernels()) { trained_ = true; }
  size_t bytes_per_vector() const override { return static_cast<size_t>(dimensions()) * 2; }
  Status Train(const float*, size_t) override { return Status::Ok(); }
  void Encode(const float* vector, uint8_t* code) const override {
    kernels_.float_to_half(vector, reinterpret_cast<uint16_t*>(code), dimensions());
  }
  void Decode(const uint8_t* code, float* out) const override {
    kernels_.half_to_float(reinterpret_cast<const uint16_t*>(code), out, dimensions());
  }
  std::unique_ptr<QueryDistance> PrepareQuery(const float* query) const override {
    if (metric() == Metric::kManhattan) return MakeDecodingQueryDistance(*this, query);
    return std::make_unique<F16QueryDistance>(query, dimensions(), metric());
  }

 protected:
  void SerializeBody(std::string&) const override {}
  Status DeserializeBody(const uint8_t*, size_t size) override {
    return size == 0 ? Status::Ok() : Status::Corrupt("codec state: f16 has no body");
  }

 private:
  const QuantKernelTable& kernels_;
};

}  // namespace

std::unique_ptr<Codec> MakeF16Codec(const CodecParams& params) { return std::make_unique<F16Codec>(params); }

}  // namespace neurovec::quant
