// The ONNX exporter (neurovec/onnx_export.h): written models pass
// onnx::checker, declare the documented inputs/outputs/metadata, and carry the
// refiner's parameters in row-major order; bad bytes and untrained indexes get
// clear errors. Numerical parity with the C++ forward pass is checked under
// ONNX Runtime Web by tests/js/onnx_refiner.test.mjs (no ONNX runtime natively).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <map>

#include "index/vector_index_impl.h"
#include "learning/onnx_export.h"
#include "neurovec/vector_index.h"
#include "test_util.h"

namespace neurovec::learning {
namespace {

QueryRefiner Model(int projection_hidden) {
  QueryRefinerConfig c;
  c.input_dim = 10;
  c.hidden_dim = 8;
  c.heads = 2;
  c.hops = 2;
  c.projection_hidden = projection_hidden;
  c.input_scale = 0.5f;
  c.seed = 3;
  return QueryRefiner::Create(c).take();
}

onnx::ModelProto Parse(const std::string& bytes) {
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(bytes));
  return m;
}

TEST(OnnxExport, WritesACheckedModelWithTheDocumentedInterface) {
  for (int projection_hidden : {0, 6}) {
    auto bytes = ExportQueryRefinerOnnx(Model(projection_hidden));
    ASSERT_TRUE(bytes.ok()) << bytes.status().message();
    EXPECT_TRUE(CheckOnnxModel(bytes.value()).ok());
    const onnx::ModelProto m = Parse(bytes.value());
    ASSERT_EQ(m.opset_import_size(), 1);
    EXPECT_EQ(m.opset_import(0).version(), 17);
    const auto& g = m.graph();
    ASSERT_EQ(g.input_size(), 3);
    EXPECT_EQ(g.input(0).name(), "query");
    EXPECT_EQ(g.input(1).name(), "candidates");
    EXPECT_EQ(g.input(2).name(), "adjacency");
    EXPECT_EQ(g.input(1).type().tensor_type().shape().dim(2).dim_value(), 10);
    EXPECT_EQ(g.input(1).type().tensor_type().shape().dim(1).dim_param(), "k");
    ASSERT_EQ(g.output_size(), 2);
    EXPECT_EQ(g.output(0).name(), "refined_query");
    EXPECT_EQ(g.output(1).name(), "scores");
    std::map<std::string, std::string> meta;
    for (const auto& p : m.metadata_props()) meta[p.key()] = p.value();
    EXPECT_EQ(meta["neurovec.kind"], "query-refiner");
    EXPECT_EQ(meta["neurovec.dimensions"], "10");
    EXPECT_EQ(meta["neurovec.hidden_dim"], "8");
    EXPECT_EQ(meta["neurovec.input_scale"], "0.5");
  }
}

TEST(OnnxExport, StoresParametersRowMajor) {
  QueryRefiner model = Model(0);
  const Matrix w = model.Parameters().Find("refiner.projection.weight")->value;  // 10 x 8, column-major in Eigen
  const onnx::ModelProto m = Parse(ExportQueryRefinerOnnx(model).take());
  const onnx::TensorProto* t = nullptr;
  for (const auto& init : m.graph().initializer()) {
    if (init.name() == "projection.weight") t = &init;
  }
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->dims_size(), 2);
  EXPECT_EQ(t->dims(0), 10);
  EXPECT_EQ(t->dims(1), 8);
  ASSERT_EQ(t->float_data_size(), 80);
  for (int r = 0; r < 10; ++r) {
    for (int c = 0; c < 8; ++c) EXPECT_EQ(t->float_data(r * 8 + c), w(r, c));
  }
}

TEST(OnnxExport, CheckerRejectsBadModels) {
  EXPECT_EQ(CheckOnnxModel("not a model at all").code(), StatusCode::kCorrupt);
  // A node reading a tensor that nothing defines.
  onnx::ModelProto m = Parse(ExportQueryRefinerOnnx(Model(0)).take());
  m.mutable_graph()->mutable_node(3)->set_input(0, "no_such_tensor");
  std::string broken;
  ASSERT_TRUE(m.SerializeToString(&broken));
  const Status s = CheckOnnxModel(broken);
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_NE(s.message().find("ONNX checker"), std::string::npos) << s.message();
}

TEST(OnnxExport, UntrainedIndexIsAClearError) {
  EnableLearning();
  IndexConfig config;
  config.dimensions = 4;
  auto index = VectorIndex::Create(config);
  ASSERT_TRUE(index.ok());
  auto exported = ExportRefinerOnnx(*index.value());
  EXPECT_EQ(exported.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(exported.status().message().find("train"), std::string::npos) << exported.status().message();
}

// The router's stopping rule: the documented interface, and its weights,
// thresholds and familiar bound exactly (decisions are replayed in ONNX
// Runtime Web by tests/js/routing.test.mjs).
TEST(OnnxExport, RouterCarriesItsStoppingRule) {
  IndexConfig config;
  config.dimensions = 8;
  config.m = 8;
  auto index = VectorIndex::Create(config);
  ASSERT_TRUE(index.ok());
  VectorIndex& x = *index.value();
  auto none = ExportRouterOnnx(x);
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(none.status().message().find("no router"), std::string::npos) << none.status().message();

  nvtest::Dataset data = nvtest::Clustered(1500, 8, 31);
  for (uint32_t i = 0; i < data.n; ++i) ASSERT_TRUE(x.Add(ItemKey::Number(i), data.row(i)).ok());
  RouterOptions options;
  options.ef = 64;
  options.items = 300;
  options.plain_when_faster = false;  // the same router whatever the timing
  ASSERT_TRUE(x.TrainRouter(options).ok());
  auto bytes = ExportRouterOnnx(x);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  const onnx::ModelProto m = Parse(bytes.value());
  const onnx::GraphProto& g = m.graph();
  ASSERT_EQ(g.input_size(), 2);
  EXPECT_EQ(g.input(0).name(), "features");
  EXPECT_EQ(g.input(0).type().tensor_type().shape().dim(1).dim_value(), routing::kStopFeatures);
  EXPECT_EQ(g.input(1).name(), "kth_distance");
  ASSERT_EQ(g.output_size(), 2);
  EXPECT_EQ(g.output(0).name(), "logit");
  EXPECT_EQ(g.output(1).name(), "stop");
  EXPECT_EQ(g.output(1).type().tensor_type().elem_type(), onnx::TensorProto::BOOL);
  std::map<std::string, std::string> meta;
  for (const auto& p : m.metadata_props()) meta[p.key()] = p.value();
  EXPECT_EQ(meta["neurovec.kind"], "router-stop-rule");
  EXPECT_EQ(meta["neurovec.k"], "10");
  EXPECT_EQ(meta["neurovec.training_ef"], "64");
  EXPECT_EQ(meta["neurovec.target_recalls"], "0.800000012,0.850000024,0.899999976,0.930000007,0.949999988,0.970000029,0.980000019,0.99000001");

  const routing::StopModel& model = IndexInternals::Of(x).router->model;
  std::map<std::string, std::vector<float>> init;
  for (const auto& t : g.initializer()) init[t.name()].assign(t.float_data().begin(), t.float_data().end());
  EXPECT_EQ(init["weights"], std::vector<float>(model.weights, model.weights + routing::kStopFeatures));
  EXPECT_EQ(init["thresholds"], std::vector<float>(model.thresholds, model.thresholds + routing::StopModel::kTargets));
  EXPECT_EQ(init["familiar_distance"], std::vector<float>{model.familiar_distance});

  ASSERT_TRUE(x.DropRouter().ok());
  EXPECT_EQ(ExportRouterOnnx(x).status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace neurovec::learning
