#include "persistence/core_sections.h"

#include <string>

namespace neurovec::index_file {

void WriteConfigSection(const IndexState& x, ByteWriter& w) {
  const uint32_t d = x.config.dimensions;
  w.U32(d);
  w.U32(static_cast<uint32_t>(x.config.metric));
  w.U32(x.config.m);
  w.U32(x.config.ef_construction);
  w.U32(x.config.ef_search);
  w.U64(x.config.seed);
  w.U32(x.used_slots);
  w.U32(static_cast<uint32_t>(x.live_count));
  w.U32(x.store.stride());
  w.U32(x.store.calibrated() ? 1 : 0);
  for (uint32_t i = 0; i < d; ++i) w.U32(x.store.dimension_order()[i]);
}

void WriteIdsSection(const IndexState& x, ByteWriter& w) {
  for (uint32_t s = 0; s < x.used_slots; ++s) {
    if (!x.live[s]) {
      w.U32(0);
      continue;
    }
    const std::string& key = x.keys.KeyOf(s).encoded();
    w.U32(static_cast<uint32_t>(key.size()));
    w.Bytes(key.data(), key.size());
  }
}

void WriteMetadataSection(const IndexState& x, ByteWriter& w) {
  for (uint32_t s = 0; s < x.used_slots; ++s) {
    const std::string& json = x.attributes.Json(s);
    w.U32(static_cast<uint32_t>(json.size()));
    w.Bytes(json.data(), json.size());
  }
}

void WriteFreeSlotsSection(const IndexState& x, ByteWriter& w) {
  w.U32(static_cast<uint32_t>(x.free_slots.size()));
  for (uint32_t s : x.free_slots) w.U32(s);
}

void WriteLevelGeneratorSection(const IndexState& x, ByteWriter& w) {
  for (uint64_t word : x.graph.level_generator_state()) w.U64(word);
}

Status ReadConfigSection(ByteReader cr, ConfigFields* out) {
  // Parameters first, so every later size can be checked against them.
  IndexConfig& config = out->config;
  uint32_t metric = 0;
  if (!cr.U32(config.dimensions) || !cr.U32(metric) || !cr.U32(config.m) || !cr.U32(config.ef_construction) ||
      !cr.U32(config.ef_search) || !cr.U64(config.seed) || !cr.U32(out->used) || !cr.U32(out->live_count) ||
      !cr.U32(out->stride) || !cr.U32(out->calibrated)) {
    return CorruptSection(kConfig, "too short");
  }
  if (metric > 3) return CorruptSection(kConfig, "unknown metric code " + std::to_string(metric));
  config.metric = static_cast<Metric>(metric);
  Status valid = config.Validate();
  if (!valid.ok()) return CorruptSection(kConfig, valid.message());
  const uint32_t d = config.dimensions;
  if (out->stride != (d + 15) / 16 * 16 || out->calibrated > 1 || out->live_count > out->used ||
      out->used > (1u << 31)) {
    return CorruptSection(kConfig, "inconsistent sizes");
  }
  if (cr.remaining() != static_cast<size_t>(d) * 4) return CorruptSection(kConfig, "dimension order has the wrong length");
  std::vector<uint32_t>& order = out->order;
  order.assign(d, 0);
  std::vector<uint8_t> seen_dim(d, 0);
  for (uint32_t i = 0; i < d; ++i) {
    cr.U32(order[i]);
    if (order[i] >= d || seen_dim[order[i]]++) return CorruptSection(kConfig, "dimension order is not a permutation");
  }
  return Status::Ok();
}

Status ReadIdsSection(ByteReader ir, uint32_t used, uint32_t live_count, IndexState& x) {
  for (uint32_t s = 0; s < used; ++s) {
    uint32_t len;
    const uint8_t* bytes;
    if (!ir.U32(len) || !ir.Bytes(len, bytes)) return CorruptSection(kIds, "entry " + std::to_string(s) + " is cut short");
    if (len == 0) continue;
    auto key = ItemKey::Decode(reinterpret_cast<const char*>(bytes), len);
    if (!key.ok()) return CorruptSection(kIds, "entry " + std::to_string(s) + ": " + key.status().message());
    if (!x.keys.BindNew(key.value(), s)) return CorruptSection(kIds, "id " + key.value().ToDisplay() + " appears twice");
    x.live[s] = 1;
    ++x.live_count;
  }
  if (ir.remaining() != 0) return CorruptSection(kIds, "trailing bytes");
  if (x.live_count != live_count) return CorruptSection(kIds, "live item count differs from the config");
  return Status::Ok();
}

Status ReadMetadataSection(ByteReader mr, uint32_t used, IndexState& x) {
  for (uint32_t s = 0; s < used; ++s) {
    uint32_t len;
    const uint8_t* bytes;
    if (!mr.U32(len) || !mr.Bytes(len, bytes)) return CorruptSection(kMetadata, "entry " + std::to_string(s) + " is cut short");
    if (len == 0) continue;
    if (!x.live[s]) return CorruptSection(kMetadata, "a free slot has metadata");
    // Parsed when a filter first needs the columns (attribute_store.h); here
    // only the shape of an object is checked.
    if (bytes[0] != '{' || bytes[len - 1] != '}') {
      return CorruptSection(kMetadata, "entry " + std::to_string(s) + " is not a JSON object");
    }
    x.attributes.SetStored(s, std::string(reinterpret_cast<const char*>(bytes), len));
  }
  if (mr.remaining() != 0) return CorruptSection(kMetadata, "trailing bytes");
  return Status::Ok();
}

Status ReadFreeSlotsSection(ByteReader fr, uint32_t used, uint32_t live_count, IndexState& x) {
  uint32_t free_count;
  if (!fr.U32(free_count) || free_count != used - live_count || fr.remaining() != 4ull * free_count) {
    return CorruptSection(kFreeSlots, "count does not match the free slots");
  }
  std::vector<uint8_t> listed(used, 0);
  for (uint32_t i = 0; i < free_count; ++i) {
    uint32_t s = 0;
    fr.U32(s);
    if (s >= used || x.live[s] || listed[s]++) return CorruptSection(kFreeSlots, "slot " + std::to_string(s) + " is not a free slot");
    x.free_slots.push_back(s);
  }
  x.used_slots = used;
  return Status::Ok();
}

Status ReadLevelGeneratorSection(ByteReader lr, uint64_t length, IndexState& x) {
  Random::State state{};
  for (uint64_t& word : state) lr.U64(word);
  if (length != 32 || !x.graph.RestoreLevelGenerator(state)) {
    return CorruptSection(kLevelGenerator, "must hold a nonzero 32-byte generator state");
  }
  return Status::Ok();
}

}  // namespace neurovec::index_file
