// int8: per-dimension scalar quantization. Training finds each dimension's
// [min, max] in the sample; a value is stored as the nearest of 256 evenly
// spaced levels, code c meaning min + c * step with step = (max - min) / 255.
// Error <= step / 2 inside the trained range; values outside it clamp to the
// range (retrain when the data drifts). One byte per dimension, and distances
// stay asymmetric (float query, byte code) so they equal the distance to the
// decoded vector: the query is folded into per-dimension a, b (or w) once.
// With Int8Range::kUniform all dimensions share one range (and step), which
// lets L2 use a symmetric integer kernel instead (see codec.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "quantization/codecs_internal.h"
#include "quantization/quant_kernels.h"

namespace neurovec::quant {
namespace {

class Int8QueryDistance final : public QueryDistance {
 public:
  Int8QueryDistance(const float* query, const std::vector<float>& min, const std::vector<float>& step, Metric metric)
      : QueryDistance(min.size()), l2_(metric == Metric::kL2), kernels_(BestQuantKernels()) {
    const size_t d = min.size();
    if (l2_) {
      // q - (min + step c) = (q - min) - step c
      a_.resize(d);
      for (size_t i = 0; i < d; ++i) a_[i] = query[i] - min[i];
      b_ = step;
    } else {
      // q.(min + step c) = q.min + (q step).c
      a_.resize(d);
      for (size_t i = 0; i < d; ++i) {
        a_[i] = query[i] * step[i];
        offset_ += query[i] * min[i];
      }
    }
  }

  float Distance(const uint8_t* code) const override {
    if (l2_) return kernels_.u8_l2_squared(a_.data(), b_.data(), code, a_.size());
    return 1.0f - (offset_ + kernels_.u8_dot(a_.data(), code, a_.size()));
  }

 private:
  bool l2_;
  const QuantKernelTable& kernels_;
  std::vector<float> a_, b_;
  float offset_ = 0;
};

// Int8Range::kUniform under L2: the query encoded onto the shared grid, then
// an integer sum of squared code differences times step^2.
class Int8SymmetricQueryDistance final : public QueryDistance {
 public:
  Int8SymmetricQueryDistance(std::vector<uint8_t> query_code, float step)
      : QueryDistance(query_code.size()),
        query_(std::move(query_code)),
        scale_(step * step),
        kernels_(BestQuantKernels()) {}
  float Distance(const uint8_t* code) const override {
    return scale_ * static_cast<float>(kernels_.u8_symmetric_l2(query_.data(), code, query_.size()));
  }

 private:
  std::vector<uint8_t> query_;
  float scale_;
  const QuantKernelTable& kernels_;
};

class Int8Codec final : public Codec {
 public:
  explicit Int8Codec(const CodecParams& params) : Codec(params) {}
  size_t bytes_per_vector() const override { return dimensions(); }

  Status Train(const float* sample, size_t n) override {
    if (n == 0) return Status::InvalidArgument("int8 codec needs at least one training vector");
    const size_t d = dimensions();
    std::vector<float> lo(d, std::numeric_limits<float>::infinity()), hi(d, -std::numeric_limits<float>::infinity());
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < d; ++j) {
        lo[j] = std::min(lo[j], sample[i * d + j]);
        hi[j] = std::max(hi[j], sample[i * d + j]);
      }
    }
    if (params_.int8_range == Int8Range::kUniform) {
      const float all_lo = *std::min_element(lo.begin(), lo.end()), all_hi = *std::max_element(hi.begin(), hi.end());
      std::fill(lo.begin(), lo.end(), all_lo);
      std::fill(hi.begin(), hi.end(), all_hi);
    }
    min_ = lo;
    step_.resize(d);
    inverse_step_.resize(d);
    for (size_t j = 0; j < d; ++j) {
      float step = (hi[j] - lo[j]) / 255.0f;
      // A constant (or nearly constant) dimension gets step 0: every value
      // encodes to 0 and decodes to the minimum.
      if (!std::isfinite(1.0f / step)) step = 0.0f;
      step_[j] = step;
      inverse_step_[j] = step > 0 ? 1.0f / step : 0.0f;
    }
    trained_ = true;
    return Status::Ok();
  }

  void Encode(const float* vector, uint8_t* code) const override {
    for (size_t j = 0, d = dimensions(); j < d; ++j) {
      float t = (vector[j] - min_[j]) * inverse_step_[j];
      t = t < 0.0f ? 0.0f : (t > 255.0f ? 255.0f : t);
      code[j] = static_cast<uint8_t>(std::lrint(t));
    }
  }

  void Decode(const uint8_t* code, float* out) const override {
    for (size_t j = 0, d = dimensions(); j < d; ++j) out[j] = min_[j] + step_[j] * static_cast<float>(code[j]);
  }

  std::unique_ptr<QueryDistance> PrepareQuery(const float* query) const override {
    if (metric() == Metric::kManhattan) return MakeDecodingQueryDistance(*this, query);
    if (metric() == Metric::kL2 && params_.int8_range == Int8Range::kUniform) {
      std::vector<uint8_t> code(dimensions());
      Encode(query, code.data());
      return std::make_unique<Int8SymmetricQueryDistance>(std::move(code), step_[0]);
    }
    return std::make_unique<Int8QueryDistance>(query, min_, step_, metric());
  }

  float step(size_t j) const { return step_[j]; }

 protected:
  // Body: dimensions f32 minimums, then dimensions f32 steps (>= 0; 0 for a
  // constant dimension).
  void SerializeBody(std::string& out) const override {
    WriteFloats(min_, out);
    WriteFloats(step_, out);
  }
  Status DeserializeBody(const uint8_t* data, size_t size) override {
    const size_t d = dimensions();
    if (size != 8 * d) return Status::Corrupt("codec state: int8 body must be 8 * dimensions bytes");
    if (!ReadFiniteFloats(data, d, min_) || !ReadFiniteFloats(data, d, step_)) {
      return Status::Corrupt("codec state: int8 ranges hold a non-finite value");
    }
    if (params_.int8_range == Int8Range::kUniform) {
      for (size_t j = 1; j < d; ++j) {
        if (min_[j] != min_[0] || step_[j] != step_[0]) return Status::Corrupt("codec state: uniform int8 ranges differ");
      }
    }
    inverse_step_.resize(d);
    for (size_t j = 0; j < d; ++j) {
      if (step_[j] == 0) {
        inverse_step_[j] = 0;
        continue;
      }
      if (!(step_[j] > 0) || !std::isfinite(1.0f / step_[j])) {
        return Status::Corrupt("codec state: int8 step must be 0 or positive with a finite inverse");
      }
      inverse_step_[j] = 1.0f / step_[j];
    }
    return Status::Ok();
  }

 private:
  std::vector<float> min_, step_, inverse_step_;
};

}  // namespace

std::unique_ptr<Codec> MakeInt8Codec(const CodecParams& params) { return std::make_unique<Int8Codec>(params); }

}  // namespace neurovec::quant
