// binary: one bit per dimension, bit j = (x_j >= threshold_j), least
// significant bit first within each byte; the bits past the last dimension are
// zero. The threshold is the per-dimension mean of the training sample
// (BinaryThreshold::kMean) or 0 (kZero: the sign). Decoding gives, per
// dimension, the mean of the sample values on the bit's side of the threshold
// (the best one-bit reconstruction in the L2 sense for that sample).
// Query distance: Hamming distance between the binarised query and the code.
#include <cstring>
#include <vector>

#include "quantization/codecs_internal.h"
#include "quantization/quant_kernels.h"

namespace neurovec::quant {
namespace {

class BinaryQueryDistance final : public QueryDistance {
 public:
  BinaryQueryDistance(std::vector<uint8_t> query_bits)
      : QueryDistance(query_bits.size()), bits_(std::move(query_bits)), kernels_(BestQuantKernels()) {}
  float Distance(const uint8_t* code) const override {
    return static_cast<float>(kernels_.hamming(bits_.data(), code, bits_.size()));
  }

 private:
  std::vector<uint8_t> bits_;
  const QuantKernelTable& kernels_;
};

class BinaryCodec final : public Codec {
 public:
  explicit BinaryCodec(const CodecParams& params) : Codec(params) {}
  size_t bytes_per_vector() const override { return (dimensions() + 7) / 8; }

  Status Train(const float* sample, size_t n) override {
    if (n == 0) return Status::InvalidArgument("binary codec needs at least one training vector");
    const size_t d = dimensions();
    std::vector<double> sum(d, 0.0);
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < d; ++j) sum[j] += sample[i * d + j];
    }
    threshold_.assign(d, 0.0f);
    if (params_.binary_threshold == BinaryThreshold::kMean) {
      for (size_t j = 0; j < d; ++j) threshold_[j] = static_cast<float>(sum[j] / n);
    }
    std::vector<double> below(d, 0.0), above(d, 0.0);
    std::vector<size_t> below_n(d, 0), above_n(d, 0);
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < d; ++j) {
        const float v = sample[i * d + j];
        if (v >= threshold_[j]) {
          above[j] += v;
          ++above_n[j];
        } else {
          below[j] += v;
          ++below_n[j];
        }
      }
    }
    low_.resize(d);
    high_.resize(d);
    for (size_t j = 0; j < d; ++j) {
      high_[j] = above_n[j] ? static_cast<float>(above[j] / above_n[j]) : threshold_[j];
      low_[j] = below_n[j] ? static_cast<float>(below[j] / below_n[j]) : threshold_[j];
    }
    trained_ = true;
    return Status::Ok();
  }

  void Encode(const float* vector, uint8_t* code) const override {
    std::memset(code, 0, bytes_per_vector());
    for (size_t j = 0, d = dimensions(); j < d; ++j) {
      code[j >> 3] |= static_cast<uint8_t>((vector[j] >= threshold_[j] ? 1u : 0u) << (j & 7));
    }
  }

  void Decode(const uint8_t* code, float* out) const override {
    for (size_t j = 0, d = dimensions(); j < d; ++j) out[j] = (code[j >> 3] >> (j & 7)) & 1u ? high_[j] : low_[j];
  }

  std::unique_ptr<QueryDistance> PrepareQuery(const float* query) const override {
    std::vector<uint8_t> bits(bytes_per_vector());
    Encode(query, bits.data());
    return std::make_unique<BinaryQueryDistance>(std::move(bits));
  }

 protected:
  // Body: dimensions f32 thresholds, then lows, then highs.
  void SerializeBody(std::string& out) const override {
    WriteFloats(threshold_, out);
    WriteFloats(low_, out);
    WriteFloats(high_, out);
  }
  Status DeserializeBody(const uint8_t* data, size_t size) override {
    const size_t d = dimensions();
    if (size != 12 * d) return Status::Corrupt("codec state: binary body must be 12 * dimensions bytes");
    if (!ReadFiniteFloats(data, d, threshold_) || !ReadFiniteFloats(data, d, low_) ||
        !ReadFiniteFloats(data, d, high_)) {
      return Status::Corrupt("codec state: binary thresholds hold a non-finite value");
    }
    return Status::Ok();
  }

 private:
  std::vector<float> threshold_, low_, high_;
};

}  // namespace

std::unique_ptr<Codec> MakeBinaryCodec(const CodecParams& params) { return std::make_unique<BinaryCodec>(params); }

}  // namespace neurovec::quant
