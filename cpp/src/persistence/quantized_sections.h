// File sections of the quantized traversal (docs/file-format.md, kinds 7 and 8).
// Both are optional (not flagged required): a reader that does not know them
// opens the index without quantized traversal, which still gives the same
// exact results, only by walking on f32 rows.
//
//   7 quantized traversal: u8 codec (TraversalCodec) | u8 trained (0/1) | 2 x u8 0
//       | u32 rerank | u32 train items | u32 0 | u64 state bytes
//       | codec state (quant::Codec::Serialize; present exactly when trained)
//   8 codes (exactly when trained): u32 bytes per code | u32 slots (== used slots)
//       | slots x bytes per code, slot order (tombstones too: they route searches)
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "index/quantized_tier.h"
#include "neurovec/status.h"
#include "util/byte_io.h"

namespace neurovec::index_file {

void WriteQuantizedTraversalSection(const QuantizedTier& tier, ByteWriter& w);
void WriteCodesSection(const QuantizedTier& tier, uint32_t used_slots, ByteWriter& w);

// Rebuilds the tier from the two sections (`codes` null when section 8 is
// absent). Every field and length is checked against the index's dimensions,
// metric and used slots; any inconsistency is kCorrupt naming the section.
Result<std::unique_ptr<QuantizedTier>> ReadQuantizedSections(const uint8_t* config, size_t config_size,
                                                             const uint8_t* codes, size_t codes_size,
                                                             uint32_t dimensions, Metric metric, uint32_t used_slots,
                                                             size_t capacity);

}  // namespace neurovec::index_file
