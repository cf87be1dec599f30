// The QueryRefiner -> ONNX graph writer behind neurovec/onnx_export.h, for
// callers that hold a model directly (tests, tools). Needs libonnx-dev.
#pragma once

#include <string>

#include "learning/query_refiner.h"
#include "neurovec/onnx_export.h"

namespace neurovec::learning {

// Serialized ModelProto reproducing model.Refine() (inputs and outputs as in
// neurovec/onnx_export.h). `model` is copied to read its parameters.
Result<std::string> ExportQueryRefinerOnnx(const QueryRefiner& model, const OnnxExportOptions& options = {});

}  // namespace neurovec::learning
