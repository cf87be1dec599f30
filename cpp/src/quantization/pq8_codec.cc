// PQ8: product quantization with m sub-quantizers of 256 centroids; code =
// m bytes, one centroid index per subspace. Query distances by asymmetric
// lookup: one table of 256 partial distances per subspace, built per query,
// then m table reads per code.
#include <vector>

#include "quantization/codecs_internal.h"
#include "quantization/product_quantizer.h"

namespace neurovec::quant {
namespace {

class Pq8QueryDistance final : public QueryDistance {
 public:
  Pq8QueryDistance(const ProductQuantizer& pq, const float* query, Metric metric)
      : QueryDistance(pq.subspaces()), m_(pq.subspaces()), tables_(static_cast<size_t>(m_) * 256) {
    pq.ComputeTables(query, metric, tables_.data());
    offset_ = UsesDot(metric) ? 1.0f : 0.0f;
  }

  float Distance(const uint8_t* code) const override {
    // Four partial sums: the reads are independent, the adds need not chain.
    const float* t = tables_.data();
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t s = 0;
    for (; s + 4 <= m_; s += 4) {
      s0 += t[(s + 0) * 256 + code[s + 0]];
      s1 += t[(s + 1) * 256 + code[s + 1]];
      s2 += t[(s + 2) * 256 + code[s + 2]];
      s3 += t[(s + 3) * 256 + code[s + 3]];
    }
    for (; s < m_; ++s) s0 += t[s * 256 + code[s]];
    return offset_ + ((s0 + s1) + (s2 + s3));
  }

 private:
  size_t m_;
  std::vector<float> tables_;
  float offset_ = 0;
};

class Pq8Codec final : public ProductQuantizedCodec {
 public:
  explicit Pq8Codec(const CodecParams& params) : ProductQuantizedCodec(params, 256) {}
  size_t bytes_per_vector() const override { return pq_.subspaces(); }

  Status Train(const float* sample, size_t n) override {
    if (n == 0) return Status::InvalidArgument("pq8 codec needs at least one training vector");
    pq_.Train(sample, n, params_.kmeans_iterations, params_.kmeans_init, params_.seed);
    trained_ = true;
    return Status::Ok();
  }
  void Encode(const float* vector, uint8_t* code) const override { pq_.Assign(vector, code); }
  void Decode(const uint8_t* code, float* out) const override { pq_.Reconstruct(code, out); }
  std::unique_ptr<QueryDistance> PrepareQuery(const float* query) const override {
    if (metric() == Metric::kManhattan) return MakeDecodingQueryDistance(*this, query);
    return std::make_unique<Pq8QueryDistance>(pq_, query, metric());
  }
};

}  // namespace

std::unique_ptr<Codec> MakePq8Codec(const CodecParams& params) { return std::make_unique<Pq8Codec>(params); }

}  // namespace neurovec::quant
