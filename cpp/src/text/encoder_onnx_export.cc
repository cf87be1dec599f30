// TextEncoder -> ONNX (opset 17): see encoder_onnx_export.h. The graph mirrors
// TextEncoder::EncodeFeatures (text_encoder.cc); a change there must be made
// here too (tests/js/text_onnx.test.mjs compares the two, max |diff| < 1e-4).
#include "text/encoder_onnx_export.h"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <cstring>

#include "learning/onnx_model_header.h"
#include "neurovec/onnx_export.h"
#include "persistence/local_file.h"

namespace neurovec::text {
namespace {

constexpr float kTinyNorm = 1e-30f;  // embedding = sum / max(|sum|, tiny): 0 stays 0
// The serialised encoder (text_encoder.h): 32-byte header, f32 scales, i8 codes, CRC.
constexpr size_t kHeaderBytes = 32;
// One protobuf holds at most 2 GiB; leave room for the rest of the model.
constexpr uint64_t kMaxWeightBytes = uint64_t{1900} << 20;

class Graph {
 public:
  explicit Graph(onnx::GraphProto* g) : g_(g) {}

  std::string Op(const std::string& type, const std::vector<std::string>& inputs, const std::string& output = "") {
    last_ = g_->add_node();
    last_->set_op_type(type);
    last_->set_name(type + "_" + std::to_string(counter_));
    for (const std::string& in : inputs) last_->add_input(in);
    const std::string out = output.empty() ? "t" + std::to_string(counter_) : output;
    ++counter_;
    last_->add_output(out);
    return out;
  }
  // An int attribute on the node Op() just added.
  void IntAttr(const char* name, int64_t v) {
    auto* a = last_->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  std::string Ints(const std::vector<int64_t>& v) {
    const std::string name = "c" + std::to_string(counter_++);
    onnx::TensorProto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(v.size()));
    for (int64_t x : v) t->add_int64_data(x);
    return name;
  }
  std::string Scalar(float v) {
    const std::string name = "c" + std::to_string(counter_++);
    onnx::TensorProto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_float_data(v);
    return name;
  }
  // A tensor initializer from raw little-endian bytes.
  void Raw(const std::string& name, onnx::TensorProto::DataType type, const std::vector<int64_t>& dims, const char* data,
           size_t bytes) {
    onnx::TensorProto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(data, bytes);
  }

 private:
  onnx::GraphProto* g_;
  onnx::NodeProto* last_ = nullptr;
  int counter_ = 0;
};

void Value(onnx::ValueInfoProto* v, const std::string& name, onnx::TensorProto::DataType type,
           const std::vector<std::string>& params, const std::vector<int64_t>& sizes) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(type);
  for (size_t i = 0; i < sizes.size(); ++i) {
    auto* d = t->mutable_shape()->add_dim();
    if (sizes[i] > 0) {
      d->set_dim_value(sizes[i]);
    } else {
      d->set_dim_param(params[i]);
    }
  }
}

void Meta(onnx::ModelProto* m, const std::string& key, const std::string& value) {
  auto* p = m->add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

}  // namespace

Result<std::string> EncoderOnnxBytes(const TextEncoder& encoder, const EncoderOnnxOptions& options) {
  const uint64_t rows = encoder.buckets();
  const int64_t dim = encoder.dimensions();
  if (rows * (static_cast<uint64_t>(dim) + 4) > kMaxWeightBytes) {
    return Status::InvalidArgument("ONNX export: the encoder's weights (" + std::to_string(rows) + " x " +
                                   std::to_string(dim) + ") do not fit one ONNX protobuf (2 GiB)");
  }
  // The int8 codes and row scales, as the encoder serialises them.
  const std::string serial = encoder.ToBytes();
  if (serial.size() != kHeaderBytes + rows * 4 + rows * dim + 4) {
    return Status::Internal("ONNX export: unexpected encoder serialisation size");
  }
  const FeatureConfig& f = encoder.features();

  onnx::ModelProto model;
  learning::StartOnnxModel(&model, options.producer_version, options.doc, "text-encoder");
  Meta(&model, "neurovec.dimensions", std::to_string(dim));
  Meta(&model, "neurovec.log2_buckets", std::to_string(f.log2_buckets));
  Meta(&model, "neurovec.min_n", std::to_string(f.min_n));
  Meta(&model, "neurovec.max_n", std::to_string(f.max_n));
  Meta(&model, "neurovec.words", f.words ? "1" : "0");
  Meta(&model, "neurovec.bigrams", f.bigrams ? "1" : "0");
  Meta(&model, "neurovec.batched", options.batched ? "1" : "0");
  Meta(&model, "neurovec.features", "1");

  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name("neurovec_text_encoder");
  Graph g(graph);
  g.Raw("codes", onnx::TensorProto::INT8, {static_cast<int64_t>(rows), dim}, serial.data() + kHeaderBytes + rows * 4,
        rows * dim);
  g.Raw("scales", onnx::TensorProto::FLOAT, {static_cast<int64_t>(rows)}, serial.data() + kHeaderBytes, rows * 4);

  const bool batched = options.batched;
  if (batched) {
    Value(graph->add_input(), "buckets", onnx::TensorProto::INT64, {"batch", "n"}, {0, 0});
    Value(graph->add_input(), "mask", onnx::TensorProto::FLOAT, {"batch", "n"}, {0, 0});
    Value(graph->add_output(), "embedding", onnx::TensorProto::FLOAT, {"batch", ""}, {0, dim});
  } else {
    Value(graph->add_input(), "buckets", onnx::TensorProto::INT64, {"n"}, {0});
    Value(graph->add_output(), "embedding", onnx::TensorProto::FLOAT, {""}, {dim});
  }
  // TextEncoder::EncodeFeatures: out[j] += scales[b] * float(codes[b][j]) over the buckets,
  // written as one MatMul (row scales [1, n] x rows [n, dim]): ONNX Runtime
  // Web's MatMul is far faster than a broadcast Mul + ReduceSum over [n, dim].
  const std::string codes = g.Op("Gather", {"codes", "buckets"});  // [(batch,) n, dim] int8
  g.IntAttr("axis", 0);
  const std::string values = g.Op("Cast", {codes});
  g.IntAttr("to", onnx::TensorProto::FLOAT);
  std::string scale = g.Op("Gather", {"scales", "buckets"});  // [(batch,) n]
  g.IntAttr("axis", 0);
  if (batched) scale = g.Op("Mul", {scale, "mask"});  // padding weighs 0
  const int64_t axis = batched ? 1 : 0;
  const std::string weights = g.Op("Unsqueeze", {scale, g.Ints({axis})});  // [(batch,) 1, n]
  const std::string sum = g.Op("Squeeze", {g.Op("MatMul", {weights, values}), g.Ints({axis})});  // [(batch,) dim]
  // L2 normalisation; a zero sum (no features) stays zero.
  const std::string squares = g.Op("ReduceSum", {g.Op("Mul", {sum, sum}), g.Ints({-1})});
  g.IntAttr("keepdims", 1);
  const std::string norm = g.Op("Max", {g.Op("Sqrt", {squares}), g.Scalar(kTinyNorm)});
  g.Op("Div", {sum, norm}, "embedding");

  std::string bytes;
  if (!model.SerializeToString(&bytes)) return Status::Internal("ONNX export: protobuf serialization failed");
  NV_RETURN_IF_ERROR(learning::CheckOnnxModel(bytes));
  return bytes;
}

Status ExportEncoderOnnx(const TextEncoder& encoder, const std::string& path, const EncoderOnnxOptions& options) {
  auto bytes = EncoderOnnxBytes(encoder, options);
  if (!bytes.ok()) return bytes.status();
  return WriteFileDurably(path, bytes.value());
}

}  // namespace neurovec::text
