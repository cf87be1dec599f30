// What every neurovec ONNX export starts with (the refiner, the text encoder,
// the router): the model header, opset 17, and metadata_props helpers.
// Needs libonnx-dev (target neurovec_onnx).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>

namespace neurovec::learning {

constexpr int64_t kOnnxOpset = 17;  // LayerNormalization (the refiner) is an opset-17 op

inline void AddOnnxMeta(onnx::ModelProto* model, const std::string& key, const std::string& value) {
  auto* p = model->add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

// IR version, producer "neurovec" at `producer_version`, model version 1, the
// doc string (when given), opset kOnnxOpset, and metadata neurovec.kind.
inline void StartOnnxModel(onnx::ModelProto* model, const std::string& producer_version, const std::string& doc,
                           const std::string& kind) {
  model->set_ir_version(onnx::IR_VERSION);
  model->set_producer_name("neurovec");
  model->set_producer_version(producer_version);
  model->set_model_version(1);
  if (!doc.empty()) model->set_doc_string(doc);
  auto* opset = model->add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  AddOnnxMeta(model, "neurovec.kind", kind);
}

}  // namespace neurovec::learning
