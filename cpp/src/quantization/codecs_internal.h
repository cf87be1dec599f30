// Factories of the concrete codecs (one file each), used by Codec::Create.
// Params are already validated there.
#pragma once

#include <memory>
#include <vector>

#include "quantization/codec.h"
#include "quantization/product_quantizer.h"

namespace neurovec::quant {

std::unique_ptr<Codec> MakeF32Codec(const CodecParams& params);
std::unique_ptr<Codec> MakeF16Codec(const CodecParams& params);
std::unique_ptr<Codec> MakeInt8Codec(const CodecParams& params);
std::unique_ptr<Codec> MakePq8Codec(const CodecParams& params);
std::unique_ptr<Codec> MakePq4Codec(const CodecParams& params);
std::unique_ptr<Codec> MakeBinaryCodec(const CodecParams& params);

// What PQ8 and PQ4 share: a product quantizer of `centroids` per subspace,
// whose codebooks are the codec's whole serialized state.
class ProductQuantizedCodec : public Codec {
 public:
  ProductQuantizedCodec(const CodecParams& params, uint32_t centroids) : Codec(params) {
    pq_.Init(params.dimensions, params.subquantizers, centroids);
  }

 protected:
  void SerializeBody(std::string& out) const override { pq_.SerializeBody(out); }
  Status DeserializeBody(const uint8_t* data, size_t size) override { return pq_.DeserializeBody(data, size); }

  ProductQuantizer pq_;
};

// 1 - x for the similarity metrics (kDot, kCosine): their distance is 1 - dot.
inline bool UsesDot(Metric metric) { return metric == Metric::kDot || metric == Metric::kCosine; }

// Reads n little-endian f32 into out; false on non-finite values. The caller
// has checked that 4n bytes are there.
bool ReadFiniteFloats(const uint8_t*& data, size_t n, std::vector<float>& out);
void WriteFloats(const std::vector<float>& values, std::string& out);

}  // namespace neurovec::quant
