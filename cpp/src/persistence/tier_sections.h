// File sections of the compression tiers (docs/file-format.md, kinds 9-11).
// All three are optional (not flagged required) and come together: a reader
// that does not know them opens the index with every item in f32, which gives
// the same exact results. Little-endian; f64 as IEEE bits.
//
//   9 tiers: f32 thresholds hot, warm, cool, cold | f64 half-life seconds
//       | f32 hysteresis | u32 rerank | u32 migration budget | u32 train items
//       | u8 trained | u8 manual clock | 2 x u8 0 | f64 manual now | f64 reference time
//       | f32 bias x 5 (hot .. archive)
//       | when trained, for warm, cool, cold, archive: u64 state bytes | codec state
//         (quant::Codec::Serialize: f16, PQ8, PQ4, binary)
//  10 tier codes: u32 used slots | u8 tier per slot (0 hot .. 4 archive), padded to 4
//       | for warm, cool, cold, archive: u32 bytes per code | u32 count | codes of
//         the tier's slots in ascending slot order (hot slots have none); an
//         archive code is the binary code + the item's f32 squared
//         reconstruction error (finite, >= 0; 0 for metrics other than L2)
//  11 access statistics: u32 used slots | u32 0 | f64 access value per slot
//       (decayed count = value * 2^-((now - reference time) / half-life))
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "index/tiered_store.h"
#include "neurovec/status.h"
#include "util/byte_io.h"

namespace neurovec::index_file {

void WriteTiersSection(const TieredStore& tiers, ByteWriter& w);
void WriteTierCodesSection(const TieredStore& tiers, uint32_t used_slots, ByteWriter& w);
void WriteAccessSection(const TieredStore& tiers, uint32_t used_slots, ByteWriter& w);

// Rebuilds the tiers from the three sections. Every field and length is
// checked (against the index's dimensions, metric and used slots) before
// anything is allocated in proportion to it; an inconsistency is kCorrupt
// naming the section.
Result<std::unique_ptr<TieredStore>> ReadTierSections(const uint8_t* tiers, size_t tiers_size, const uint8_t* codes,
                                                      size_t codes_size, const uint8_t* access, size_t access_size,
                                                      uint32_t dimensions, Metric metric, uint32_t used_slots,
                                                      VectorStore* store);

}  // namespace neurovec::index_file
