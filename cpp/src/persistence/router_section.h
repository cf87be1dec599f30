// The router section of the index file (docs/file-format.md, kind 13): the
// learned stopping rule of routing/stop_policy.h and what it was trained for.
// Optional (not flagged required): a reader that does not know it walks
// plainly, and the index still works.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "neurovec/status.h"
#include "routing/stop_policy.h"

namespace neurovec::index_file {

// What the section holds besides the model.
struct RouterSectionState {
  routing::StopModel model;
  float default_target = 0.99f;   // RouterOptions::default_target_recall
  uint64_t changes_since_training = 0;  // items added or deleted after TrainRouter, as of the save
  routing::ProjectionBasis basis;        // neighbour skipping's (empty: none)
  // Its per-item codes, by slot (written from the index's table; empty when
  // the index has none, then an open rebuilds them from the rows).
  routing::ProjectionTable table;
};

std::string EncodeRouterSection(const RouterSectionState& router);
// kCorrupt for bytes that are not a router this build can use (wrong sizes,
// non-finite weights, a k or ef out of range); kUnsupportedVersion for a
// newer layout.
Status DecodeRouterSection(const uint8_t* data, size_t size, RouterSectionState* router);

}  // namespace neurovec::index_file
