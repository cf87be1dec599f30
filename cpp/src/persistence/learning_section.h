// The learning section of the index file (docs/file-format.md, kind 16):
// learner options and learned parameters. Optional (not flagged required): a
// reader without the learning engine skips it and the index still works.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "index/learning_hooks.h"
#include "neurovec/status.h"

namespace neurovec::index_file {

// Empty when there is nothing to persist (no options set, nothing learned).
std::string EncodeLearningSection(const LearningState& learning);
// `dimensions` and `metric`: the index's (the click memory's rows are checked against them).
Status DecodeLearningSection(const uint8_t* data, size_t size, uint32_t dimensions, Metric metric, LearningState* learning);

}  // namespace neurovec::index_file
