#include "persistence/workload_section.h"

#include <cmath>

#include "persistence/section_version.h"
#include "util/byte_io.h"

namespace neurovec::index_file {
namespace {

constexpr uint32_t kSectionVersion = 1;

}  // namespace

bool HasWorkloadSection(const WorkloadSectionState& state) {
  return state.sampling.capacity > 0 || !state.hints.empty();
}

// Layout (little-endian): u32 version (1); u32 sample capacity, adapt every;
// the adapt options: u32 hints, f32 coverage, u32 min queries, u64 seed; then
// the entry hints: u32 count, f32 bound, u32 x count slots.
std::string EncodeWorkloadSection(const WorkloadSectionState& state) {
  std::string out;
  ByteWriter w(out);
  const WorkloadSamplingOptions& s = state.sampling;
  w.U32(kSectionVersion);
  w.U32(s.capacity);
  w.U32(s.adapt_every);
  w.U32(s.adapt.hints);
  w.F32(s.adapt.coverage);
  w.U32(s.adapt.min_queries);
  w.U64(s.adapt.seed);
  w.U32(static_cast<uint32_t>(state.hints.slots.size()));
  w.F32(state.hints.bound);
  for (uint32_t slot : state.hints.slots) w.U32(slot);
  return out;
}

Status DecodeWorkloadSection(const uint8_t* data, size_t size, uint32_t used_slots, WorkloadSectionState* out) {
  ByteReader r(data, size);
  const auto corrupt = SectionCorruption("workload");
  uint32_t version = 0;
  NV_RETURN_IF_ERROR(ReadSectionVersion(r, "workload", kSectionVersion, &version));
  WorkloadSectionState state;
  WorkloadSamplingOptions& s = state.sampling;
  uint32_t count = 0;
  if (!r.U32(s.capacity) || !r.U32(s.adapt_every) || !r.U32(s.adapt.hints) || !r.F32(s.adapt.coverage) ||
      !r.U32(s.adapt.min_queries) || !r.U64(s.adapt.seed) || !r.U32(count) || !r.F32(state.hints.bound)) {
    return corrupt("too short");
  }
  Status valid = s.Validate();
  if (!valid.ok()) return corrupt(valid.message());
  if (count > AdaptOptions::kMaxHints) return corrupt(std::to_string(count) + " entry hints (at most 1024)");
  if (std::isnan(state.hints.bound) || state.hints.bound == INFINITY) return corrupt("the hints' bound is not finite");
  if (r.remaining() != static_cast<size_t>(count) * 4) {
    return corrupt("length does not match its " + std::to_string(count) + " entry hints");
  }
  state.hints.slots.resize(count);
  for (uint32_t& slot : state.hints.slots) {
    r.U32(slot);
    if (slot >= used_slots) {
      return corrupt("entry hint slot " + std::to_string(slot) + " is beyond the " + std::to_string(used_slots) +
                     " slots in use");
    }
  }
  *out = std::move(state);
  return Status::Ok();
}

}  // namespace neurovec::index_file
