// Writer and reader of the compression tier sections (layout in
// tier_sections.h). The reader trusts nothing: lengths are checked before
// use, codec states go through quant::Codec::Deserialize (which validates its
// own fields) and must be the codec each tier uses for this index.
#include "persistence/tier_sections.h"

#include <cmath>
#include <cstring>
#include <string>

#include "persistence/index_file.h"

namespace neurovec::index_file {
namespace {

Status Bad(uint32_t kind, const std::string& what) {
  return Status::Corrupt(std::string("index file is corrupt: ") + SectionName(kind) + " section: " + what);
}

void F64(ByteWriter& w, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  w.U64(bits);
}

bool F64(ByteReader& r, double& v) {
  uint64_t bits;
  if (!r.U64(bits)) return false;
  std::memcpy(&v, &bits, sizeof v);
  return true;
}

// The codec kind each non-hot tier uses (TieredStore::TrainCodecs).
quant::CodecKind KindOf(int tier) {
  switch (static_cast<Tier>(tier)) {
    case Tier::kWarm: return quant::CodecKind::kF16;
    case Tier::kCool: return quant::CodecKind::kPq8;
    case Tier::kCold: return quant::CodecKind::kPq4;
    case Tier::kArchive: return quant::CodecKind::kBinary;
    case Tier::kHot: break;
  }
  return quant::CodecKind::kF32;
}

}  // namespace

void WriteTiersSection(const TieredStore& tiers, ByteWriter& w) {
  const TiersConfig& c = tiers.config();
  w.F32(c.thresholds.hot);
  w.F32(c.thresholds.warm);
  w.F32(c.thresholds.cool);
  w.F32(c.thresholds.cold);
  F64(w, c.half_life_seconds);
  w.F32(c.hysteresis);
  w.U32(c.rerank);
  w.U32(c.migration_budget);
  w.U32(c.train_items);
  const TieredStore::ClockState clock = tiers.clock_state();
  w.U8(tiers.trained() ? 1 : 0);
  w.U8(clock.manual ? 1 : 0);
  w.U8(0);
  w.U8(0);
  F64(w, clock.manual_now);
  F64(w, clock.reference);
  for (float b : tiers.bias()) w.F32(b);
  if (!tiers.trained()) return;
  for (int t = 1; t < kTierCount; ++t) {
    const std::string state = tiers.codec(static_cast<Tier>(t))->Serialize();
    w.U64(state.size());
    w.Bytes(state.data(), state.size());
  }
}

void WriteTierCodesSection(const TieredStore& tiers, uint32_t used_slots, ByteWriter& w) {
  w.U32(used_slots);
  for (uint32_t s = 0; s < used_slots; ++s) w.U8(static_cast<uint8_t>(tiers.tier_of(s)));
  w.PadTo(4);
  for (int t = 1; t < kTierCount; ++t) {
    const Tier tier = static_cast<Tier>(t);
    uint32_t count = 0;
    for (uint32_t s = 0; s < used_slots; ++s) count += tiers.tier_of(s) == tier;
    const size_t bytes = tiers.trained() ? tiers.code_bytes(tier) : 0;
    w.U32(static_cast<uint32_t>(bytes));
    w.U32(count);
    // Slot order, not arena order: the arena's order depends on the history of
    // moves, the file must not (save -> open -> save is byte-identical).
    for (uint32_t s = 0; s < used_slots; ++s) {
      if (tiers.tier_of(s) == tier) w.Bytes(tiers.CodeOf(s), bytes);
    }
  }
}

void WriteAccessSection(const TieredStore& tiers, uint32_t used_slots, ByteWriter& w) {
  w.U32(used_slots);
  w.U32(0);
  for (uint32_t s = 0; s < used_slots; ++s) F64(w, tiers.access_value(s));
}

Result<std::unique_ptr<TieredStore>> ReadTierSections(const uint8_t* tiers_data, size_t tiers_size,
                                                      const uint8_t* codes_data, size_t codes_size,
                                                      const uint8_t* access_data, size_t access_size,
                                                      uint32_t dimensions, Metric metric, uint32_t used_slots,
                                                      VectorStore* store) {
  // ---- 9: configuration, clock, biases, codec states.
  ByteReader r(tiers_data, tiers_size);
  TiersConfig c;
  c.enabled = true;
  uint8_t trained = 0, manual = 0, pad0 = 0, pad1 = 0;
  TieredStore::ClockState clock;
  std::array<float, kTierCount> bias{};
  if (!r.F32(c.thresholds.hot) || !r.F32(c.thresholds.warm) || !r.F32(c.thresholds.cool) ||
      !r.F32(c.thresholds.cold) || !F64(r, c.half_life_seconds) || !r.F32(c.hysteresis) || !r.U32(c.rerank) ||
      !r.U32(c.migration_budget) || !r.U32(c.train_items) || !r.U8(trained) || !r.U8(manual) || !r.U8(pad0) ||
      !r.U8(pad1) || !F64(r, clock.manual_now) || !F64(r, clock.reference)) {
    return Bad(kTiers, "too short");
  }
  for (float& b : bias) {
    if (!r.F32(b)) return Bad(kTiers, "too short");
    if (!std::isfinite(b) || b < 0) return Bad(kTiers, "a tier bias is negative or not finite");
  }
  Status valid = c.Validate();
  if (!valid.ok()) return Bad(kTiers, valid.message());
  if (trained > 1 || manual > 1 || pad0 != 0 || pad1 != 0) return Bad(kTiers, "bad flags");
  if (!std::isfinite(clock.manual_now) || !std::isfinite(clock.reference)) return Bad(kTiers, "clock is not finite");
  clock.manual = manual == 1;

  std::array<std::unique_ptr<quant::Codec>, kTierCount> codecs;
  if (trained) {
    for (int t = 1; t < kTierCount; ++t) {
      uint64_t state_bytes = 0;
      const uint8_t* state = nullptr;
      if (!r.U64(state_bytes) || state_bytes > r.remaining() || !r.Bytes(static_cast<size_t>(state_bytes), state)) {
        return Bad(kTiers, std::string(TierName(static_cast<Tier>(t))) + " codec state is cut short");
      }
      auto decoded = quant::Codec::Deserialize(state, static_cast<size_t>(state_bytes));
      if (!decoded.ok()) return Bad(kTiers, std::string(TierName(static_cast<Tier>(t))) + " codec: " + decoded.status().message());
      const quant::CodecParams& got = decoded.value()->params();
      if (got.kind != KindOf(t) || got.dimensions != dimensions || got.metric != metric || !decoded.value()->trained()) {
        return Bad(kTiers, std::string(TierName(static_cast<Tier>(t))) + " codec does not match the tier or the index");
      }
      codecs[t] = decoded.take();
    }
  }
  if (r.remaining() != 0) return Bad(kTiers, "trailing bytes");

  // ---- 10: tier per slot, codes per tier.
  ByteReader cr(codes_data, codes_size);
  uint32_t slots = 0;
  if (!cr.U32(slots)) return Bad(kTierCodes, "too short");
  if (slots != used_slots) return Bad(kTierCodes, "slot count differs from the config");
  const uint8_t* tier_bytes = nullptr;
  if (!cr.Bytes(slots, tier_bytes)) return Bad(kTierCodes, "tier list is cut short");
  const uint8_t* pad = nullptr;
  if (!cr.Bytes((4 - slots % 4) % 4, pad)) return Bad(kTierCodes, "too short");
  std::array<uint32_t, kTierCount> members{};
  for (uint32_t s = 0; s < slots; ++s) {
    if (tier_bytes[s] >= kTierCount) return Bad(kTierCodes, "slot " + std::to_string(s) + " has unknown tier " + std::to_string(tier_bytes[s]));
    if (!trained && tier_bytes[s] != 0) return Bad(kTierCodes, "slot " + std::to_string(s) + " is not hot but no codebook was trained");
    ++members[tier_bytes[s]];
  }
  std::array<const uint8_t*, kTierCount> codes{};
  for (int t = 1; t < kTierCount; ++t) {
    uint32_t bytes = 0, count = 0;
    if (!cr.U32(bytes) || !cr.U32(count)) return Bad(kTierCodes, "too short");
    const size_t want = trained ? TieredStore::StoredCodeBytes(static_cast<Tier>(t), *codecs[t]) : 0;
    if (bytes != want) return Bad(kTierCodes, std::string(TierName(static_cast<Tier>(t))) + " code size differs from its codec's");
    if (count != members[t]) return Bad(kTierCodes, std::string(TierName(static_cast<Tier>(t))) + " count differs from the tier list");
    const uint64_t length = static_cast<uint64_t>(count) * bytes;
    if (length > cr.remaining() || !cr.Bytes(static_cast<size_t>(length), codes[t])) {
      return Bad(kTierCodes, std::string(TierName(static_cast<Tier>(t))) + " codes are cut short");
    }
    if (t == static_cast<int>(Tier::kArchive) && trained) {
      // The floats after the bits enter every estimate: out-of-range values
      // would turn distances into inf or NaN, so they are refused here.
      const bool rotated = TieredStore::RotatedArchive(*codecs[t]);
      for (uint32_t i = 0; i < count; ++i) {
        const uint8_t* code = codes[t] + static_cast<size_t>(i) * bytes;
        if (rotated) {
          float norm, alignment;
          std::memcpy(&norm, code + bytes - 8, sizeof norm);
          std::memcpy(&alignment, code + bytes - 4, sizeof alignment);
          // alignment = sum |o_i| / sqrt(n) lies in [1/sqrt(n), 1] for a unit o.
          if (!std::isfinite(norm) || norm < 0 || !std::isfinite(alignment) || alignment <= 0 || alignment > 1.001f) {
            return Bad(kTierCodes, "an archive code has an out-of-range norm or alignment");
          }
        } else {
          float error;
          std::memcpy(&error, code + bytes - 4, sizeof error);
          if (!std::isfinite(error) || error < 0) return Bad(kTierCodes, "an archive code has a negative or non-finite error");
        }
      }
    }
  }
  if (cr.remaining() != 0) return Bad(kTierCodes, "trailing bytes");

  // ---- 11: access values.
  ByteReader ar(access_data, access_size);
  uint32_t access_slots = 0, reserved = 0;
  if (!ar.U32(access_slots) || !ar.U32(reserved)) return Bad(kAccessStatistics, "too short");
  if (access_slots != used_slots || reserved != 0) return Bad(kAccessStatistics, "slot count differs from the config");
  if (ar.remaining() != static_cast<uint64_t>(used_slots) * 8) return Bad(kAccessStatistics, "length does not match the slots");
  std::vector<double> access(used_slots);
  for (uint32_t s = 0; s < used_slots; ++s) {
    F64(ar, access[s]);
    if (!std::isfinite(access[s]) || access[s] < 0) {
      return Bad(kAccessStatistics, "slot " + std::to_string(s) + " has a negative or non-finite value");
    }
  }

  auto tiers = std::make_unique<TieredStore>(c, dimensions, metric, store);
  NV_RETURN_IF_ERROR(tiers->Restore(std::move(codecs), bias, clock, tier_bytes, codes, access.data(), used_slots));
  return tiers;
}

}  // namespace neurovec::index_file
