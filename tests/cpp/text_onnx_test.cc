// The text encoder's ONNX export (text/encoder_onnx_export.h): written models
// pass onnx::checker, declare the documented inputs, outputs and metadata, and
// hold the encoder's int8 codes and row scales in the order the graph gathers
// them (so dequantising an initializer row gives TextEncoder::Row). The shipped
// encoder (models/debian-encoder.nvenc) exports too. Numerical parity with the
// C++ encoder under ONNX Runtime Web: tests/js/text_onnx.test.mjs.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "neurovec/onnx_export.h"
#include "persistence/local_file.h"
#include "text/encoder_onnx_export.h"
#include "text/text_encoder.h"

namespace neurovec::text {
namespace {

TextEncoder SmallEncoder(uint32_t dim) {
  FeatureConfig f;
  f.log2_buckets = 10;
  f.min_n = 2;
  f.max_n = 4;
  std::vector<float> rows((size_t{1} << 10) * dim);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.3f);
  for (float& v : rows) v = normal(rng);
  for (uint32_t j = 0; j < dim; ++j) rows[5 * dim + j] = 0.0f;  // an all-zero row (scale 0)
  auto e = TextEncoder::FromFloatRows(f, dim, rows.data());
  EXPECT_TRUE(e.ok()) << e.status().message();
  return e.take();
}

onnx::ModelProto Parse(const std::string& bytes) {
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(bytes));
  return m;
}

const onnx::TensorProto* Initializer(const onnx::ModelProto& m, const std::string& name) {
  for (const auto& t : m.graph().initializer()) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

TEST(TextOnnxExport, WritesACheckedModelWithTheDocumentedInterface) {
  const TextEncoder e = SmallEncoder(12);
  auto bytes = EncoderOnnxBytes(e);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  EXPECT_TRUE(learning::CheckOnnxModel(bytes.value()).ok());
  const onnx::ModelProto m = Parse(bytes.value());
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).version(), 17);
  const auto& g = m.graph();
  ASSERT_EQ(g.input_size(), 1);
  EXPECT_EQ(g.input(0).name(), "buckets");
  EXPECT_EQ(g.input(0).type().tensor_type().elem_type(), onnx::TensorProto::INT64);
  ASSERT_EQ(g.input(0).type().tensor_type().shape().dim_size(), 1);
  EXPECT_EQ(g.input(0).type().tensor_type().shape().dim(0).dim_param(), "n");
  ASSERT_EQ(g.output_size(), 1);
  EXPECT_EQ(g.output(0).name(), "embedding");
  EXPECT_EQ(g.output(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  EXPECT_EQ(g.output(0).type().tensor_type().shape().dim(0).dim_value(), 12);
  std::map<std::string, std::string> meta;
  for (const auto& p : m.metadata_props()) meta[p.key()] = p.value();
  EXPECT_EQ(meta["neurovec.kind"], "text-encoder");
  EXPECT_EQ(meta["neurovec.dimensions"], "12");
  EXPECT_EQ(meta["neurovec.log2_buckets"], "10");
  EXPECT_EQ(meta["neurovec.min_n"], "2");
  EXPECT_EQ(meta["neurovec.max_n"], "4");
  EXPECT_EQ(meta["neurovec.words"], "1");
  EXPECT_EQ(meta["neurovec.bigrams"], "1");
  EXPECT_EQ(meta["neurovec.batched"], "0");
  EXPECT_EQ(meta["neurovec.features"], "1");
}

TEST(TextOnnxExport, InitializersHoldTheInt8CodesAndRowScales) {
  const uint32_t dim = 12;
  const TextEncoder e = SmallEncoder(dim);
  const onnx::ModelProto m = Parse(EncoderOnnxBytes(e).value());
  const onnx::TensorProto* codes = Initializer(m, "codes");
  const onnx::TensorProto* scales = Initializer(m, "scales");
  ASSERT_NE(codes, nullptr);
  ASSERT_NE(scales, nullptr);
  EXPECT_EQ(codes->data_type(), onnx::TensorProto::INT8);
  ASSERT_EQ(codes->dims_size(), 2);
  EXPECT_EQ(codes->dims(0), 1024);
  EXPECT_EQ(codes->dims(1), dim);
  ASSERT_EQ(codes->raw_data().size(), 1024u * dim);
  EXPECT_EQ(scales->data_type(), onnx::TensorProto::FLOAT);
  ASSERT_EQ(scales->dims_size(), 1);
  EXPECT_EQ(scales->dims(0), 1024);
  ASSERT_EQ(scales->raw_data().size(), 1024u * 4);
  std::vector<float> row(dim);
  for (uint32_t b = 0; b < 1024; ++b) {
    e.Row(b, row.data());
    float s;
    std::memcpy(&s, scales->raw_data().data() + b * 4, 4);
    for (uint32_t j = 0; j < dim; ++j) {
      const float v = s * static_cast<float>(static_cast<int8_t>(codes->raw_data()[b * dim + j]));
      ASSERT_EQ(v, row[j]) << "bucket " << b << " column " << j;
    }
  }
  // The all-zero row stays zero (scale 0).
  float s5;
  std::memcpy(&s5, scales->raw_data().data() + 5 * 4, 4);
  EXPECT_EQ(s5, 0.0f);
}

TEST(TextOnnxExport, BatchedVariantTakesBucketsAndMask) {
  const TextEncoder e = SmallEncoder(8);
  EncoderOnnxOptions o;
  o.batched = true;
  auto bytes = EncoderOnnxBytes(e, o);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  EXPECT_TRUE(learning::CheckOnnxModel(bytes.value()).ok());
  const onnx::ModelProto m = Parse(bytes.value());
  const auto& g = m.graph();
  ASSERT_EQ(g.input_size(), 2);
  EXPECT_EQ(g.input(0).name(), "buckets");
  EXPECT_EQ(g.input(0).type().tensor_type().shape().dim_size(), 2);
  EXPECT_EQ(g.input(1).name(), "mask");
  EXPECT_EQ(g.input(1).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  ASSERT_EQ(g.output_size(), 1);
  EXPECT_EQ(g.output(0).type().tensor_type().shape().dim_size(), 2);
  EXPECT_EQ(g.output(0).type().tensor_type().shape().dim(1).dim_value(), 8);
  bool batched_meta = false;
  for (const auto& p : m.metadata_props()) batched_meta |= p.key() == "neurovec.batched" && p.value() == "1";
  EXPECT_TRUE(batched_meta);
}

TEST(TextOnnxExport, TheShippedEncoderExportsToAFileThatPassesTheChecker) {
  auto file = ReadWholeFile(NEUROVEC_SOURCE_DIR "/models/debian-encoder.nvenc");
  ASSERT_TRUE(file.ok()) << file.status().message();
  auto e = TextEncoder::FromBytes(reinterpret_cast<const uint8_t*>(file.value().data()), file.value().size());
  ASSERT_TRUE(e.ok()) << e.status().message();
  const std::string path = ::testing::TempDir() + "neurovec-text-onnx-test.onnx";
  ASSERT_TRUE(ExportEncoderOnnx(e.value(), path).ok());
  auto written = ReadWholeFile(path);
  std::remove(path.c_str());
  ASSERT_TRUE(written.ok());
  EXPECT_TRUE(learning::CheckOnnxModel(written.value()).ok());
  // int8 + one f32 scale per row: about the size of the .nvenc, not 4x.
  EXPECT_LT(written.value().size(), file.value().size() + 64 * 1024);
  EXPECT_GT(written.value().size(), e.value().weight_bytes());
}

TEST(TextOnnxExport, BadBytesFailTheChecker) {
  EXPECT_FALSE(learning::CheckOnnxModel("not a model").ok());
}

}  // namespace
}  // namespace neurovec::text
