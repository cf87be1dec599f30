// PQ4: product quantization with m sub-quantizers of 16 centroids, two indices
// per byte (subspace 2j in the low nibble of byte j, 2j+1 in the high one),
// followed by `outliers` exact components: for the dimensions whose
// reconstruction error is largest, (u16 dimension, f32 value) pairs, sorted by
// dimension. 16 centroids are coarse; the outliers repair the few coordinates
// where a vector is far from its centroids (on Fashion-MNIST: isolated bright
// or dark pixels), which otherwise dominate the error.
//
// Code: ceil(m/2) bytes + 6 * outliers bytes.
//
// Query distances:
// - Distance(code): exact ADC. Per query, each pair of subspaces gets one
//   256-entry float table (a byte indexes it directly), then ceil(m/2) reads per
//   code, then each outlier swaps its centroid contribution for the exact one.
// - Distances(codes, n): SIMD fast scan (as faiss "fast scan"): the 16-entry
//   tables are quantized to bytes (per-table minimum, one global step), and
//   pshufb / i8x16.swizzle looks one table up for 32 codes at once (codes are
//   transposed into blocks of 32 on the fly). Approximate: each table entry is
//   off by at most step/2, so the sum by at most m * step / 2
//   (approximation_bound()); outliers are still corrected exactly. Meant for
//   scans that re-rank their best candidates.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "quantization/codecs_internal.h"
#include "quantization/product_quantizer.h"
#include "quantization/quant_kernels.h"

namespace neurovec::quant {
namespace {

constexpr size_t kOutlierBytes = 6;

inline uint32_t Nibble(const uint8_t* code, uint32_t s) { return (code[s >> 1] >> ((s & 1) * 4)) & 15u; }

class Pq4QueryDistance final : public QueryDistance {
 public:
  Pq4QueryDistance(const ProductQuantizer& pq, uint32_t outliers, const float* query, Metric metric)
      : QueryDistance((pq.subspaces() + 1) / 2 + kOutlierBytes * outliers),
        pq_(pq),
        columns_((pq.subspaces() + 1) / 2),
        outliers_(outliers),
        l2_(metric == Metric::kL2),
        offset_(UsesDot(metric) ? 1.0f : 0.0f),
        query_(query, query + pq.dimensions()),
        kernels_(BestQuantKernels()) {
    const size_t tables = 2 * columns_;  // an odd m gets a last all-zero table
    std::vector<float> table(tables * 16, 0.0f);
    pq.ComputeTables(query, metric, table.data());

    pair_.resize(columns_ * 256);
    for (size_t j = 0; j < columns_; ++j) {
      for (uint32_t b = 0; b < 256; ++b) pair_[j * 256 + b] = table[(2 * j) * 16 + (b & 15)] + table[(2 * j + 1) * 16 + (b >> 4)];
    }

    std::vector<float> minimum(tables);
    float widest = 0;
    for (size_t t = 0; t < tables; ++t) {
      const float* row = table.data() + t * 16;
      const float lo = *std::min_element(row, row + 16), hi = *std::max_element(row, row + 16);
      minimum[t] = lo;
      bias_ += lo;
      widest = std::max(widest, hi - lo);
    }
    step_ = widest > 0 ? widest / 255.0f : 1.0f;
    lut_.resize(tables * 16);
    for (size_t t = 0; t < tables; ++t) {
      for (size_t c = 0; c < 16; ++c) {
        const float level = std::min(255.0f, std::max(0.0f, (table[t * 16 + c] - minimum[t]) / step_));
        lut_[t * 16 + c] = static_cast<uint8_t>(std::lrint(level));
      }
    }
  }

  float Distance(const uint8_t* code) const override {
    const float* p = pair_.data();
    float s0 = 0, s1 = 0;
    size_t j = 0;
    for (; j + 2 <= columns_; j += 2) {
      s0 += p[j * 256 + code[j]];
      s1 += p[(j + 1) * 256 + code[j + 1]];
    }
    if (j < columns_) s0 += p[j * 256 + code[j]];
    return offset_ + (s0 + s1) + OutlierCorrection(code + columns_, [code](uint32_t s) { return Nibble(code, s); });
  }

  void Distances(const uint8_t* codes, size_t n, float* out) const override {
    alignas(64) uint8_t block[128 * kPq4BlockSize];  // columns <= 128
    alignas(64) uint16_t sums[kPq4BlockSize];
    for (size_t first = 0; first < n; first += kPq4BlockSize) {
      const size_t count = std::min(kPq4BlockSize, n - first);
      if (count < kPq4BlockSize) std::memset(block, 0, columns_ * kPq4BlockSize);
      for (size_t i = 0; i < count; ++i) {
        const uint8_t* code = codes + (first + i) * code_bytes_;
        for (size_t j = 0; j < columns_; ++j) block[j * kPq4BlockSize + i] = code[j];
      }
      kernels_.pq4_scan_block(lut_.data(), block, columns_, sums);
      for (size_t i = 0; i < count; ++i) {
        const uint8_t* code = codes + (first + i) * code_bytes_;
        out[first + i] = offset_ + bias_ + step_ * static_cast<float>(sums[i]) +
                         OutlierCorrection(code + columns_, [code](uint32_t s) { return Nibble(code, s); });
      }
    }
  }

  // Packed layout (Pq4Codec::PackCodes): per block of 32 codes, columns x 32
  // transposed nibble bytes, then the 32 outlier areas.
  void DistancesPacked(const uint8_t* packed, size_t n, float* out) const override {
    alignas(64) uint16_t sums[kPq4BlockSize];
    const size_t outlier_bytes = code_bytes_ - columns_;
    for (size_t first = 0; first < n; first += kPq4BlockSize) {
      const uint8_t* block = packed + first * code_bytes_;
      const uint8_t* outlier_area = block + columns_ * kPq4BlockSize;
      kernels_.pq4_scan_block(lut_.data(), block, columns_, sums);
      const size_t count = std::min(kPq4BlockSize, n - first);
      for (size_t i = 0; i < count; ++i) {
        float d = offset_ + bias_ + step_ * static_cast<float>(sums[i]);
        if (outliers_) {
          d += OutlierCorrection(outlier_area + i * outlier_bytes, [block, i](uint32_t s) {
            return (block[(s >> 1) * kPq4BlockSize + i] >> ((s & 1) * 4)) & 15u;
          });
        }
        out[first + i] = d;
      }
    }
  }

  float approximation_bound() const override { return 0.5f * step_ * static_cast<float>(pq_.subspaces()); }

 private:
  // The distance change from replacing, in each outlier dimension, the
  // centroid's value r by the exact value v. `nibble(s)` gives the code's
  // centroid index in subspace s (the layouts differ).
  template <typename NibbleOf>
  float OutlierCorrection(const uint8_t* pairs, const NibbleOf& nibble) const {
    float correction = 0;
    const uint32_t d = pq_.dimensions();
    for (uint32_t k = 0; k < outliers_; ++k) {
      const uint8_t* entry = pairs + k * kOutlierBytes;
      const uint32_t dim = static_cast<uint32_t>(entry[0]) | (static_cast<uint32_t>(entry[1]) << 8);
      if (dim >= d) continue;  // not from Encode; ignored as Decode ignores it
      float v;
      std::memcpy(&v, entry + 2, 4);
      const float r = pq_.dimension_values(dim)[nibble(pq_.subspace_of(dim))];
      const float q = query_[dim];
      if (l2_) {
        correction += (v - r) * (v + r - 2 * q);  // (q - v)^2 - (q - r)^2
      } else {
        correction -= q * (v - r);
      }
    }
    return correction;
  }

  const ProductQuantizer& pq_;
  size_t columns_;
  uint32_t outliers_;
  bool l2_;
  float offset_;
  std::vector<float> query_;
  const QuantKernelTable& kernels_;
  std::vector<float> pair_;   // columns * 256
  std::vector<uint8_t> lut_;  // 2 * columns * 16
  float bias_ = 0, step_ = 1;
};

class Pq4Codec final : public ProductQuantizedCodec {
 public:
  explicit Pq4Codec(const CodecParams& params) : ProductQuantizedCodec(params, 16) {}
  size_t columns() const { return (pq_.subspaces() + 1) / 2; }
  size_t bytes_per_vector() const override { return columns() + kOutlierBytes * params_.outliers; }

  Status Train(const float* sample, size_t n) override {
    if (n == 0) return Status::InvalidArgument("pq4 codec needs at least one training vector");
    pq_.Train(sample, n, params_.kmeans_iterations, params_.kmeans_init, params_.seed);
    trained_ = true;
    return Status::Ok();
  }

  void Encode(const float* vector, uint8_t* code) const override {
    const uint32_t m = pq_.subspaces(), d = dimensions();
    uint8_t indices[CodecParams::kMaxPq4Subquantizers + 1];
    pq_.Assign(vector, indices);
    indices[m] = 0;
    for (size_t j = 0; j < columns(); ++j) code[j] = static_cast<uint8_t>(indices[2 * j] | (indices[2 * j + 1] << 4));

    const uint32_t outliers = params_.outliers;
    if (outliers == 0) return;
    std::vector<float> reconstructed(d);
    pq_.Reconstruct(indices, reconstructed.data());
    std::vector<uint32_t> order(d);
    for (uint32_t j = 0; j < d; ++j) order[j] = j;
    auto larger_error = [&](uint32_t a, uint32_t b) {
      const float ea = std::fabs(vector[a] - reconstructed[a]), eb = std::fabs(vector[b] - reconstructed[b]);
      return ea > eb || (ea == eb && a < b);
    };
    std::partial_sort(order.begin(), order.begin() + outliers, order.end(), larger_error);
    std::sort(order.begin(), order.begin() + outliers);
    uint8_t* pairs = code + columns();
    for (uint32_t k = 0; k < outliers; ++k) {
      const uint32_t dim = order[k];
      pairs[k * kOutlierBytes] = static_cast<uint8_t>(dim & 0xff);
      pairs[k * kOutlierBytes + 1] = static_cast<uint8_t>(dim >> 8);
      std::memcpy(pairs + k * kOutlierBytes + 2, &vector[dim], 4);
    }
  }

  void Decode(const uint8_t* code, float* out) const override {
    const uint32_t m = pq_.subspaces(), d = dimensions();
    uint8_t indices[CodecParams::kMaxPq4Subquantizers + 1];
    for (uint32_t s = 0; s < m; ++s) indices[s] = static_cast<uint8_t>(Nibble(code, s));
    pq_.Reconstruct(indices, out);
    const uint8_t* pairs = code + columns();
    for (uint32_t k = 0; k < params_.outliers; ++k) {
      const uint32_t dim = static_cast<uint32_t>(pairs[k * kOutlierBytes]) | (static_cast<uint32_t>(pairs[k * kOutlierBytes + 1]) << 8);
      if (dim < d) std::memcpy(&out[dim], pairs + k * kOutlierBytes + 2, 4);
    }
  }

  std::unique_ptr<QueryDistance> PrepareQuery(const float* query) const override {
    if (metric() == Metric::kManhattan) return MakeDecodingQueryDistance(*this, query);
    return std::make_unique<Pq4QueryDistance>(pq_, params_.outliers, query, metric());
  }

  // kManhattan has no tables (its QueryDistance decodes codes as they are), so
  // it keeps the plain layout.
  size_t packed_bytes(size_t n) const override {
    if (metric() == Metric::kManhattan) return Codec::packed_bytes(n);
    return (n + kPq4BlockSize - 1) / kPq4BlockSize * kPq4BlockSize * bytes_per_vector();
  }

  void PackCodes(const uint8_t* codes, size_t n, uint8_t* packed) const override {
    if (metric() == Metric::kManhattan) return Codec::PackCodes(codes, n, packed);
    const size_t bytes = bytes_per_vector(), cols = columns(), outlier_bytes = bytes - cols;
    std::memset(packed, 0, packed_bytes(n));
    for (size_t i = 0; i < n; ++i) {
      uint8_t* block = packed + (i / kPq4BlockSize) * kPq4BlockSize * bytes;
      const size_t lane = i % kPq4BlockSize;
      const uint8_t* code = codes + i * bytes;
      for (size_t j = 0; j < cols; ++j) block[j * kPq4BlockSize + lane] = code[j];
      std::memcpy(block + cols * kPq4BlockSize + lane * outlier_bytes, code + cols, outlier_bytes);
    }
  }
};

}  // namespace

std::unique_ptr<Codec> MakePq4Codec(const CodecParams& params) { return std::make_unique<Pq4Codec>(params); }

}  // namespace neurovec::quant
