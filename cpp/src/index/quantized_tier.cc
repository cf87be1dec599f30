// Quantized traversal: the codec's life cycle inside a VectorIndex (see
// quantized_tier.h) and the VectorIndex calls that
// act on it (EnableQuantizedTraversal, RetrainQuantizer).
#include "index/quantized_tier.h"

#include <algorithm>
#include <cstring>

#include "index/vector_index_impl.h"

namespace neurovec {

const char* TraversalCodecName(TraversalCodec codec) {
  switch (codec) {
    case TraversalCodec::kNone: return "none";
    case TraversalCodec::kF16: return "f16";
    case TraversalCodec::kInt8: return "int8";
    case TraversalCodec::kInt8Uniform: return "int8-uniform";
    case TraversalCodec::kPq8: return "pq8";
  }
  return "unknown";
}

Result<TraversalCodec> ParseTraversalCodec(const std::string& name) {
  for (TraversalCodec c : {TraversalCodec::kNone, TraversalCodec::kF16, TraversalCodec::kInt8,
                           TraversalCodec::kInt8Uniform, TraversalCodec::kPq8}) {
    if (name == TraversalCodecName(c)) return c;
  }
  return Status::InvalidArgument("unknown quantized traversal codec \"" + name +
                                 "\"; expected \"f16\", \"int8\", \"int8-uniform\" or \"pq8\"");
}

quant::CodecParams TraversalCodecParams(TraversalCodec codec, uint32_t dimensions, Metric metric) {
  quant::CodecParams p;
  p.dimensions = dimensions;
  p.metric = metric;
  switch (codec) {
    case TraversalCodec::kF16: p.kind = quant::CodecKind::kF16; break;
    case TraversalCodec::kInt8: p.kind = quant::CodecKind::kInt8; break;
    case TraversalCodec::kInt8Uniform:
      p.kind = quant::CodecKind::kInt8;
      p.int8_range = quant::Int8Range::kUniform;
      break;
    case TraversalCodec::kPq8: p.kind = quant::CodecKind::kPq8; break;
    case TraversalCodec::kNone: p.kind = quant::CodecKind::kF32; break;
  }
  return p;
}

Status QuantizedTier::MaybeTrain(const VectorStore& store, uint32_t used_slots, const float* incoming,
                                 size_t incoming_n, size_t capacity) {
  if (trained() || used_slots + incoming_n < config_.train_items) return Status::Ok();
  // The sample: stored rows (all used slots: tombstones are real vectors too)
  // and the incoming vectors in stored form, evenly spaced when there are more
  // than kMaxTrainSample, so the sample covers a sorted or clustered batch.
  const size_t total = used_slots + incoming_n;
  const size_t n = std::min(total, kMaxTrainSample);
  const uint32_t d = dimensions_;
  std::vector<float> sample(n * d);
  std::vector<float> row(store.stride());
  for (size_t i = 0; i < n; ++i) {
    const size_t j = n == total ? i : i * total / n;
    const float* src;
    if (j < used_slots) {
      src = store.Row(static_cast<uint32_t>(j));
    } else {
      store.Encode(incoming + (j - used_slots) * d, row.data());
      src = row.data();
    }
    std::memcpy(sample.data() + i * d, src, d * sizeof(float));
  }
  return TrainOn(sample.data(), n, store, used_slots, capacity);
}

Status QuantizedTier::Train(const VectorStore& store, uint32_t used_slots, const std::vector<uint8_t>& live,
                            size_t capacity) {
  std::vector<uint32_t> slots;
  for (uint32_t s = 0; s < used_slots; ++s) {
    if (live[s]) slots.push_back(s);
  }
  if (slots.size() < (config_.codec == TraversalCodec::kPq8 ? 256u : 1u)) {
    return Status::FailedPrecondition("quantized traversal: too few items to train the " +
                                      std::string(TraversalCodecName(config_.codec)) + " codec (" +
                                      std::to_string(slots.size()) + ")");
  }
  const size_t n = std::min(slots.size(), kMaxTrainSample);
  const uint32_t d = dimensions_;
  std::vector<float> sample(n * d);
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(sample.data() + i * d, store.Row(slots[i * slots.size() / n]), d * sizeof(float));
  }
  return TrainOn(sample.data(), n, store, used_slots, capacity);
}

Status QuantizedTier::TrainOn(const float* sample, size_t n, const VectorStore& store, uint32_t used_slots,
                              size_t capacity) {
  quant::CodecParams params = TraversalCodecParams(config_.codec, dimensions_, metric_);
  auto codec = quant::Codec::Create(params);
  if (!codec.ok()) return codec.status();
  NV_RETURN_IF_ERROR(codec.value()->Train(sample, n));
  auto codes = quant::QuantizedStore::Create(codec.take());
  if (!codes.ok()) return codes.status();
  std::unique_ptr<quant::QuantizedStore> fresh = codes.take();
  NV_RETURN_IF_ERROR(fresh->Reserve(capacity));
  for (uint32_t s = 0; s < used_slots; ++s) fresh->Store(s, store.Row(s));
  codes_ = std::move(fresh);  // only now: a failure above leaves the old state
  return Status::Ok();
}

Status QuantizedTier::Restore(std::unique_ptr<quant::Codec> codec, const uint8_t* codes, uint32_t used,
                              size_t capacity) {
  auto created = quant::QuantizedStore::Create(std::move(codec));
  if (!created.ok()) return created.status();
  std::unique_ptr<quant::QuantizedStore> fresh = created.take();
  NV_RETURN_IF_ERROR(fresh->Reserve(std::max<size_t>(capacity, used)));
  const size_t bytes = fresh->bytes_per_vector();
  if (used > 0) std::memcpy(fresh->MutableRow(0), codes, static_cast<size_t>(used) * bytes);
  codes_ = std::move(fresh);
  return Status::Ok();
}

Status VectorIndex::EnableQuantizedTraversal(const QuantizedTraversalConfig& config) {
  Impl& x = *impl_;
  NV_RETURN_IF_ERROR(x.BeforeWrite());
  NV_RETURN_IF_ERROR(config.Validate());
  if (x.used_slots != 0) {
    return Status::FailedPrecondition("quantized traversal can only be enabled on an empty index (create it with the option)");
  }
  x.config.quantized = config;
  x.tier = config.enabled() ? std::make_unique<QuantizedTier>(config, x.config.dimensions, x.config.metric) : nullptr;
  // A durable file records the configuration in its image (there is no log
  // record for it), so the next open has it too.
  return x.durable ? Checkpoint() : Status::Ok();
}

Status VectorIndex::RetrainQuantizer() {
  Impl& x = *impl_;
  NV_RETURN_IF_ERROR(x.BeforeWrite());
  if (!x.tier) return Status::FailedPrecondition("this index has no quantized traversal (IndexConfig::quantized)");
  NV_RETURN_IF_ERROR(x.tier->Train(x.store, x.used_slots, x.live, x.live.size()));
  // The log has no record for a new codebook: a checkpoint puts it in the file.
  return x.durable ? Checkpoint() : Status::Ok();
}

bool VectorIndex::quantized_traversal_trained() const { return impl_->tier && impl_->tier->trained(); }

}  // namespace neurovec
