// Codes for every slot, beside the full-precision VectorStore: the distance
// source for quantized traversal. HnswGraph::Search walks the same links on
// codes (QueryDistance per hop, no decoding), and the caller re-ranks the ef
// candidates it returns with exact distances from wherever the full vectors
// live. With int8 codes a slot costs d bytes instead of 4d (Fashion-MNIST:
// 784 B instead of 3136 B), so more of the graph's working set stays in cache.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "neurovec/status.h"
#include "quantization/codec.h"

namespace neurovec::quant {

class QuantizedStore {
 public:
  // A trained codec whose dimensions equal the vectors' (VectorStore::dimensions()).
  static Result<std::unique_ptr<QuantizedStore>> Create(std::unique_ptr<Codec> codec);

  const Codec& codec() const { return *codec_; }
  size_t capacity() const { return capacity_; }
  size_t bytes_per_vector() const { return bytes_; }

  // Grows to `slots` codes (new ones zero). Not thread-safe.
  Status Reserve(size_t slots);
  // Encodes a vector (the index's stored form: VectorStore::Row works, the
  // padding past dimensions() is ignored) into `slot`.
  void Store(uint32_t slot, const float* vector) { codec_->Encode(vector, codes_.data() + slot * bytes_); }

  // The distance-source calls of HnswGraph::Search. The query is a prepared
  // QueryDistance (Codec::PrepareQuery on the stored-form query), passed as a
  // pointer. Codes have no early abandoning: the bound is ignored.
  const uint8_t* Row(uint32_t slot) const { return codes_.data() + static_cast<size_t>(slot) * bytes_; }
  float Distance(const QueryDistance* query, const uint8_t* row) const { return query->Distance(row); }
  float DistanceBounded(const QueryDistance* query, const uint8_t* row, float) const { return query->Distance(row); }

  uint64_t memory_bytes() const { return codes_.size(); }
  // Code bytes of a slot, for restoring codes read from a file.
  uint8_t* MutableRow(uint32_t slot) { return codes_.data() + static_cast<size_t>(slot) * bytes_; }

 private:
  explicit QuantizedStore(std::unique_ptr<Codec> codec)
      : codec_(std::move(codec)), bytes_(codec_->bytes_per_vector()) {}

  std::unique_ptr<Codec> codec_;
  size_t bytes_;
  size_t capacity_ = 0;
  std::vector<uint8_t> codes_;
};

inline Result<std::unique_ptr<QuantizedStore>> QuantizedStore::Create(std::unique_ptr<Codec> codec) {
  if (!codec) return Status::InvalidArgument("quantized store needs a codec");
  if (!codec->trained()) return Status::InvalidArgument("quantized store needs a trained codec");
  return std::unique_ptr<QuantizedStore>(new QuantizedStore(std::move(codec)));
}

inline Status QuantizedStore::Reserve(size_t slots) {
  if (slots <= capacity_) return Status::Ok();
  if (slots > SIZE_MAX / bytes_) return Status::OutOfRange("quantized store: too many slots");
  codes_.resize(slots * bytes_, 0);
  capacity_ = slots;
  return Status::Ok();
}

}  // namespace neurovec::quant
