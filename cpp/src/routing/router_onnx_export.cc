// The learned stopping rule (routing/stop_policy.h) -> ONNX (opset 17): see
// ExportRouterOnnx in neurovec/onnx_export.h. The graph mirrors
// StopTracker::AfterExpansion; a change there must be made here too
// (tests/js/router_onnx.test.mjs replays the core's traced decisions in ONNX
// Runtime Web).
#include <onnx/onnx_pb.h>

#include <cstdio>
#include <string>

#include "index/vector_index_impl.h"
#include "learning/onnx_model_header.h"
#include "neurovec/onnx_export.h"
#include "routing/stop_policy.h"

namespace neurovec::learning {
namespace {

// The names of StopTracker's features, in order (stop_policy.h).
constexpr const char* kFeatureNames =
    "bias,gap_next_kth,spread_topk,log2_expansions_since_topk_change,log2_expansions,log2_topk_changes,"
    "log2_distance_computations,gap_next_ef_bound,gap_next_kth_x_since_change";

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void FloatInitializer(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims,
                      const float* values, size_t count) {
  onnx::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  for (size_t i = 0; i < count; ++i) t->add_float_data(values[i]);
}

void Node(onnx::GraphProto* g, const std::string& type, const std::vector<std::string>& inputs, const std::string& output) {
  onnx::NodeProto* n = g->add_node();
  n->set_op_type(type);
  n->set_name(type + "_" + output);
  for (const std::string& in : inputs) n->add_input(in);
  n->add_output(output);
}

// A value [N, width] with a dynamic first dimension.
void Value(onnx::ValueInfoProto* v, const std::string& name, int type, int64_t width) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(type);
  t->mutable_shape()->add_dim()->set_dim_param("N");
  t->mutable_shape()->add_dim()->set_dim_value(width);
}

}  // namespace

Result<std::string> ExportRouterOnnx(const VectorIndex& index, const OnnxExportOptions& options) {
  const IndexState& x = IndexInternals::Of(index);
  if (!x.router) return Status::FailedPrecondition("this index has no router: train one first (trainRouter / neurovec train-router)");
  const routing::StopModel& m = x.router->model;
  constexpr int64_t kTargets = routing::StopModel::kTargets;

  onnx::ModelProto model;
  StartOnnxModel(&model, options.producer_version, options.doc, "router-stop-rule");
  AddOnnxMeta(&model, "neurovec.k", std::to_string(m.k));
  AddOnnxMeta(&model, "neurovec.training_ef", std::to_string(m.training_ef));
  AddOnnxMeta(&model, "neurovec.default_target", Number(x.router->default_target));
  AddOnnxMeta(&model, "neurovec.familiar_distance", Number(m.familiar_distance));
  AddOnnxMeta(&model, "neurovec.calibration_ceiling", Number(m.calibration_ceiling));
  std::string targets;
  for (int i = 0; i < kTargets; ++i) targets += (i ? "," : "") + Number(routing::StopModel::kTargetRecalls[i]);
  AddOnnxMeta(&model, "neurovec.target_recalls", targets);
  // Neighbour skipping is not in the graph (it needs the index's per-item
  // projections); its settings are recorded for inspection.
  std::string margins;
  for (int i = 0; i < kTargets; ++i) margins += (i ? "," : "") + Number(m.margins[i]);
  AddOnnxMeta(&model, "neurovec.skip_margins", margins);
  AddOnnxMeta(&model, "neurovec.skip_rank", std::to_string(x.SkipsNeighbours() ? x.router->basis.rank : 0));
  AddOnnxMeta(&model, "neurovec.features", kFeatureNames);

  onnx::GraphProto* g = model.mutable_graph();
  g->set_name("neurovec_router_stop_rule");
  g->set_doc_string(
      "One decision of the learned walk, after an expansion that leaves k results: logit = features . weights; "
      "stop[:, t] = logit >= threshold[t] and kth_distance <= familiar_distance, for the target recalls in "
      "metadata neurovec.target_recalls (a search for target r uses the first listed target >= r; +inf "
      "thresholds never stop).");
  Value(g->add_input(), "features", onnx::TensorProto::FLOAT, routing::kStopFeatures);
  Value(g->add_input(), "kth_distance", onnx::TensorProto::FLOAT, 1);
  FloatInitializer(g, "weights", {routing::kStopFeatures, 1}, m.weights, routing::kStopFeatures);
  FloatInitializer(g, "thresholds", {1, kTargets}, m.thresholds, kTargets);
  FloatInitializer(g, "familiar_distance", {1}, &m.familiar_distance, 1);
  Node(g, "MatMul", {"features", "weights"}, "logit");
  Node(g, "GreaterOrEqual", {"logit", "thresholds"}, "confident");
  Node(g, "LessOrEqual", {"kth_distance", "familiar_distance"}, "familiar");
  Node(g, "And", {"confident", "familiar"}, "stop");
  Value(g->add_output(), "logit", onnx::TensorProto::FLOAT, 1);
  Value(g->add_output(), "stop", onnx::TensorProto::BOOL, kTargets);

  std::string bytes;
  if (!model.SerializeToString(&bytes)) return Status::Internal("ONNX export: protobuf serialization failed");
  NV_RETURN_IF_ERROR(CheckOnnxModel(bytes));
  return bytes;
}

}  // namespace neurovec::learning
