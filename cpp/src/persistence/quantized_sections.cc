// Writer and reader of the quantized traversal sections (layout in
// quantized_sections.h). The reader trusts nothing: every length is checked
// before use, and the codec state goes through quant::Codec::Deserialize,
// which validates its own fields.
#include "persistence/quantized_sections.h"

#include <string>

#include "persistence/index_file.h"

namespace neurovec::index_file {
namespace {

Status Bad(uint32_t kind, const std::string& what) {
  return Status::Corrupt(std::string("index file is corrupt: ") + SectionName(kind) + " section: " + what);
}

}  // namespace

void WriteQuantizedTraversalSection(const QuantizedTier& tier, ByteWriter& w) {
  const QuantizedTraversalConfig& c = tier.config();
  w.U8(static_cast<uint8_t>(c.codec));
  w.U8(tier.trained() ? 1 : 0);
  w.U8(0);
  w.U8(0);
  w.U32(c.rerank);
  w.U32(c.train_items);
  w.U32(0);
  const std::string state = tier.trained() ? tier.codes().codec().Serialize() : std::string();
  w.U64(state.size());
  w.Bytes(state.data(), state.size());
}

void WriteCodesSection(const QuantizedTier& tier, uint32_t used_slots, ByteWriter& w) {
  const quant::QuantizedStore& codes = tier.codes();
  w.U32(static_cast<uint32_t>(codes.bytes_per_vector()));
  w.U32(used_slots);
  if (used_slots > 0) w.Bytes(codes.Row(0), static_cast<size_t>(used_slots) * codes.bytes_per_vector());
}

Result<std::unique_ptr<QuantizedTier>> ReadQuantizedSections(const uint8_t* config, size_t config_size,
                                                             const uint8_t* codes, size_t codes_size,
                                                             uint32_t dimensions, Metric metric, uint32_t used_slots,
                                                             size_t capacity) {
  ByteReader r(config, config_size);
  uint8_t codec = 0, trained = 0, pad0 = 0, pad1 = 0;
  uint32_t reserved = 0;
  uint64_t state_bytes = 0;
  QuantizedTraversalConfig c;
  if (!r.U8(codec) || !r.U8(trained) || !r.U8(pad0) || !r.U8(pad1) || !r.U32(c.rerank) || !r.U32(c.train_items) ||
      !r.U32(reserved) || !r.U64(state_bytes)) {
    return Bad(kQuantizedTraversal, "too short");
  }
  if (codec == 0 || codec > static_cast<uint8_t>(TraversalCodec::kPq8)) {
    return Bad(kQuantizedTraversal, "unknown codec code " + std::to_string(codec));
  }
  c.codec = static_cast<TraversalCodec>(codec);
  if (trained > 1 || pad0 != 0 || pad1 != 0 || reserved != 0) return Bad(kQuantizedTraversal, "bad flags");
  Status valid = c.Validate();
  if (!valid.ok()) return Bad(kQuantizedTraversal, valid.message());
  if (state_bytes != r.remaining()) return Bad(kQuantizedTraversal, "codec state length does not match the section");
  if ((trained == 1) != (state_bytes > 0)) return Bad(kQuantizedTraversal, "codec state present iff trained is violated");
  if ((trained == 1) != (codes != nullptr)) {
    return Bad(kCodes, trained ? "missing for a trained codec" : "present for an untrained codec");
  }
  auto tier = std::make_unique<QuantizedTier>(c, dimensions, metric);
  if (!trained) return tier;

  const uint8_t* state = nullptr;
  r.Bytes(static_cast<size_t>(state_bytes), state);
  auto decoded = quant::Codec::Deserialize(state, static_cast<size_t>(state_bytes));
  if (!decoded.ok()) return Bad(kQuantizedTraversal, decoded.status().message());
  std::unique_ptr<quant::Codec> codec_state = decoded.take();
  // The state must be the codec the configuration names, for this index.
  const quant::CodecParams want = TraversalCodecParams(c.codec, dimensions, metric);
  const quant::CodecParams& got = codec_state->params();
  if (got.kind != want.kind || got.dimensions != dimensions || got.metric != metric || !codec_state->trained() ||
      (got.kind == quant::CodecKind::kInt8 && got.int8_range != want.int8_range)) {
    return Bad(kQuantizedTraversal, "codec state does not match the configuration or the index");
  }

  ByteReader cr(codes, codes_size);
  uint32_t bytes_per_code = 0, slots = 0;
  if (!cr.U32(bytes_per_code) || !cr.U32(slots)) return Bad(kCodes, "too short");
  if (bytes_per_code != codec_state->bytes_per_vector()) return Bad(kCodes, "code size differs from the codec's");
  if (slots != used_slots) return Bad(kCodes, "slot count differs from the config");
  if (cr.remaining() != static_cast<uint64_t>(slots) * bytes_per_code) return Bad(kCodes, "length does not match the slots");
  const uint8_t* bytes = nullptr;
  cr.Bytes(static_cast<size_t>(slots) * bytes_per_code, bytes);
  // Any code bytes score without crashing (codec.h), so they need no check
  // beyond the section checksum.
  NV_RETURN_IF_ERROR(tier->Restore(std::move(codec_state), bytes, used_slots, capacity));
  return tier;
}

}  // namespace neurovec::index_file
