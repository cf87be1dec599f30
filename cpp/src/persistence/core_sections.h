// The core sections of the index file (docs/file-format.md, kinds 1, 2, 3, 6
// and 12): config, ids, metadata, free slots and the level generator. The
// first four are required; the generator's state is optional.
#pragma once

#include <cstdint>
#include <vector>

#include "index/vector_index_impl.h"
#include "neurovec/config.h"
#include "persistence/section_codec.h"

namespace neurovec::index_file {

void WriteConfigSection(const IndexState& x, ByteWriter& w);
void WriteIdsSection(const IndexState& x, ByteWriter& w);
void WriteMetadataSection(const IndexState& x, ByteWriter& w);
void WriteFreeSlotsSection(const IndexState& x, ByteWriter& w);
void WriteLevelGeneratorSection(const IndexState& x, ByteWriter& w);

// The config section: the index parameters, then the sizes every later
// section is checked against, then the store's dimension order.
struct ConfigFields {
  IndexConfig config;
  uint32_t used = 0;        // used slots
  uint32_t live_count = 0;
  uint32_t stride = 0;      // floats per stored row
  uint32_t calibrated = 0;  // 1 once the dimension order was calibrated
  std::vector<uint32_t> order;
};
Status ReadConfigSection(ByteReader r, ConfigFields* out);

// Ids (a slot is live exactly when it has one; `live_count` from the config)
// and metadata into `x`, for `used` slots.
Status ReadIdsSection(ByteReader r, uint32_t used, uint32_t live_count, IndexState& x);
Status ReadMetadataSection(ByteReader r, uint32_t used, IndexState& x);
// The free slots (after the ids), then x.used_slots is set.
Status ReadFreeSlotsSection(ByteReader r, uint32_t used, uint32_t live_count, IndexState& x);
Status ReadLevelGeneratorSection(ByteReader r, uint64_t length, IndexState& x);

}  // namespace neurovec::index_file
