// The decisions the learned walk takes for one query, for checking an exported
// router (neurovec/onnx_export.h: ExportRouterOnnx) against the core: `neurovec
// export-router --trace` writes them beside the model, and ONNX Runtime Web
// must reach the same scores and stops (tests/js/router_onnx.test.mjs).
#pragma once

#include <vector>

#include "neurovec/vector_index.h"
#include "routing/stop_policy.h"

namespace neurovec {

// The walk of Search(query, {k = the router's k, routing learned,
// target_recall}) on an index without a filter, with each decision it takes
// once it holds k results (the last one stops it when it ended early).
// kFailedPrecondition without a router; the query as Search validates it.
Result<std::vector<routing::StopDecision>> TraceLearnedWalk(const VectorIndex& index, const float* query,
                                                            float target_recall);

}  // namespace neurovec
