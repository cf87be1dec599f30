// The workload section of the index file (docs/file-format.md, kind 14): the
// workload sampling settings and the entry hints of the last adaptation
// (index/workload_adaptation.cc). Optional (not flagged required): a reader
// that does not know it opens the index with no sampling and no hints, and
// every walk descends from the top.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "hnsw/hnsw_graph.h"
#include "neurovec/status.h"
#include "neurovec/vector_index.h"

namespace neurovec::index_file {

struct WorkloadSectionState {
  WorkloadSamplingOptions sampling;  // sampling.adapt.queries is always null
  EntryHints hints;
};

// True when there is anything to write (sampling on or hints in use).
bool HasWorkloadSection(const WorkloadSectionState& state);
std::string EncodeWorkloadSection(const WorkloadSectionState& state);
// kCorrupt for bytes this build cannot use (bad lengths, settings out of
// range, a hint slot at or beyond `used_slots`, a NaN bound);
// kUnsupportedVersion for a newer layout.
Status DecodeWorkloadSection(const uint8_t* data, size_t size, uint32_t used_slots, WorkloadSectionState* state);

}  // namespace neurovec::index_file
