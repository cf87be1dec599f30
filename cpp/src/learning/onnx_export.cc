// QueryRefiner -> ONNX (opset 17). Each block below mirrors one C++ forward
// pass and names the function it reproduces; a change there must be made here
// too (tests/js/onnx_refiner.test.mjs and tests/cpp/onnx_export_test.cc compare
// the two, max |diff| <= 1e-4).
//
// The built-in refiner walks the candidate graph edge by edge (CSR lists); an
// ONNX graph has no such loops, so the same computation is written densely over
// the N = K + 1 nodes: an N x N edge mask A, edge weights W = A * sigmoid(...),
// (the adjacency input carries each candidate link's strength, exp of its
// learned per-link offset (edge_memory.h), 1 where none was learned: A is
// where it is positive, and its log joins the link's logit),
// and attention scores with -1e9 added off the edges so their softmax weight is
// exactly 0. For K = 50 the dense form is 51 x 51 per head: cheap.
#include "learning/onnx_export.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <vector>

#include "learning/index_learner.h"
#include "learning/onnx_model_header.h"

namespace neurovec::learning {
namespace {

constexpr float kLayerNormEpsilon = 1e-5f;   // LayerNorm's default (layer_norm.h), used by every hop
constexpr float kTinyNorm = 1e-12f;          // CosineScores' floor on norms (losses.cc)
constexpr float kMaskedScore = 1e9f;         // added (negated) to attention scores off the edges

using Attr = std::function<void(onnx::NodeProto*)>;

void IntAttr(onnx::NodeProto* n, const char* name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void IntsAttr(onnx::NodeProto* n, const char* name, const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

void FloatAttr(onnx::NodeProto* n, const char* name, float v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

class GraphWriter {
 public:
  explicit GraphWriter(onnx::GraphProto* g) : g_(g) {}

  std::string Op(const std::string& type, const std::vector<std::string>& inputs, const Attr& attrs = nullptr,
                 const std::string& output = "") {
    onnx::NodeProto* n = g_->add_node();
    n->set_op_type(type);
    n->set_name(type + "_" + std::to_string(counter_));
    for (const std::string& in : inputs) n->add_input(in);
    const std::string out = output.empty() ? "t" + std::to_string(counter_) : output;
    ++counter_;
    n->add_output(out);
    if (attrs) attrs(n);
    return out;
  }

  // A float initializer from an Eigen matrix (column-major) in row-major order.
  std::string Weight(const std::string& name, const Matrix& m, bool as_vector) {
    onnx::TensorProto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    if (as_vector) {
      t->add_dims(m.size());
    } else {
      t->add_dims(m.rows());
      t->add_dims(m.cols());
    }
    for (Eigen::Index r = 0; r < m.rows(); ++r) {
      for (Eigen::Index c = 0; c < m.cols(); ++c) t->add_float_data(m(r, c));
    }
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

  std::string Ints(const std::vector<int64_t>& v, bool scalar = false) {
    const std::string name = "c" + std::to_string(counter_++);
    onnx::TensorProto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    if (!scalar) t->add_dims(static_cast<int64_t>(v.size()));
    for (int64_t x : v) t->add_int64_data(x);
    return name;
  }

  std::string MatMul(const std::string& a, const std::string& b) { return Op("MatMul", {a, b}); }
  std::string Add(const std::string& a, const std::string& b) { return Op("Add", {a, b}); }
  std::string Mul(const std::string& a, const std::string& b) { return Op("Mul", {a, b}); }
  std::string Sub(const std::string& a, const std::string& b) { return Op("Sub", {a, b}); }
  std::string Div(const std::string& a, const std::string& b) { return Op("Div", {a, b}); }
  std::string Transpose(const std::string& a, const std::vector<int64_t>& perm) {
    return Op("Transpose", {a}, [&](onnx::NodeProto* n) { IntsAttr(n, "perm", perm); });
  }
  std::string Unsqueeze(const std::string& a, int64_t axis) { return Op("Unsqueeze", {a, Ints({axis})}); }
  std::string SumLast(const std::string& a) {
    return Op("ReduceSum", {a, Ints({-1})}, [](onnx::NodeProto* n) { IntAttr(n, "keepdims", 1); });
  }
  // |x| along the last axis, floored at `floor` (keepdims).
  std::string NormLast(const std::string& a, float floor) {
    return Op("Max", {Op("Sqrt", {SumLast(Mul(a, a))}), Scalar(floor)});
  }

 private:
  onnx::GraphProto* g_;
  int counter_ = 0;
};

void TensorInput(onnx::ValueInfoProto* v, const std::string& name, const std::vector<std::string>& dims,
                 const std::vector<int64_t>& sizes) {
  v->set_name(name);
  auto* type = v->mutable_type()->mutable_tensor_type();
  type->set_elem_type(onnx::TensorProto::FLOAT);
  for (size_t i = 0; i < dims.size(); ++i) {
    auto* d = type->mutable_shape()->add_dim();
    if (sizes[i] > 0) {
      d->set_dim_value(sizes[i]);
    } else {
      d->set_dim_param(dims[i]);
    }
  }
}

void Meta(onnx::ModelProto* m, const std::string& key, const std::string& value) {
  auto* p = m->add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

std::string FloatText(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

Result<std::string> ExportQueryRefinerOnnx(const QueryRefiner& source, const OnnxExportOptions& options) {
  QueryRefiner copy = source;
  const ParameterSet params = copy.Parameters();
  const QueryRefinerConfig& c = copy.config();
  std::string missing;
  auto P = [&](const std::string& name) -> const Matrix& {
    static const Matrix kEmpty;
    Parameter* p = params.Find(name);
    if (p == nullptr) {
      missing = name;
      return kEmpty;
    }
    return p->value;
  };

  onnx::ModelProto model;
  StartOnnxModel(&model, options.producer_version, options.doc, "query-refiner");
  Meta(&model, "neurovec.dimensions", std::to_string(c.input_dim));
  Meta(&model, "neurovec.hidden_dim", std::to_string(c.hidden_dim));
  Meta(&model, "neurovec.heads", std::to_string(c.heads));
  Meta(&model, "neurovec.hops", std::to_string(c.hops));
  Meta(&model, "neurovec.input_scale", FloatText(c.input_scale));

  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name("neurovec_query_refiner");
  const int64_t d = c.input_dim, hd = c.hidden_dim;
  TensorInput(graph->add_input(), "query", {"batch", "dim"}, {0, d});
  TensorInput(graph->add_input(), "candidates", {"batch", "k", "dim"}, {0, 0, d});
  TensorInput(graph->add_input(), "adjacency", {"batch", "k", "k"}, {0, 0, 0});
  TensorInput(graph->add_output(), "refined_query", {"batch", "hidden"}, {0, hd});
  TensorInput(graph->add_output(), "scores", {"batch", "k"}, {0, 0});
  GraphWriter w(graph);

  // BuildCandidateGraph: node 0 the query, nodes 1..K the candidates.
  const std::string x = w.Op("Concat", {w.Unsqueeze("query", 1), "candidates"},
                             [](onnx::NodeProto* n) { IntAttr(n, "axis", 1); });  // [B,N,D]
  // Edges: query <-> every candidate, candidate i -> j along `adjacency`.
  const std::string shape = w.Op("Shape", {"adjacency"});
  const std::string b = w.Op("Slice", {shape, w.Ints({0}), w.Ints({1}), w.Ints({0})});
  const std::string k = w.Op("Slice", {shape, w.Ints({2}), w.Ints({3}), w.Ints({0})});
  const std::string one = w.Ints({1});
  auto filled = [&](const std::string& dims, float value) {
    return w.Op("ConstantOfShape", {dims}, [&](onnx::NodeProto* n) {
      auto* a = n->add_attribute();
      a->set_name("value");
      a->set_type(onnx::AttributeProto::TENSOR);
      onnx::TensorProto* t = a->mutable_t();
      t->set_data_type(onnx::TensorProto::FLOAT);
      t->add_dims(1);
      t->add_float_data(value);
    });
  };
  auto concat = [&](const std::vector<std::string>& parts, int64_t axis) {
    return w.Op("Concat", parts, [&](onnx::NodeProto* n) { IntAttr(n, "axis", axis); });
  };
  const std::string row = filled(concat({b, one, k}, 0), 1.0f);   // [B,1,K]
  const std::string corner = filled(concat({b, one, one}, 0), 0.0f);  // [B,1,1]
  const std::string top = concat({corner, row}, 2);                  // [B,1,N]
  const std::string bottom = concat({w.Transpose(row, {0, 2, 1}), "adjacency"}, 2);  // [B,K,N]
  const std::string strength = concat({top, bottom}, 1);             // [B,N,N] link strengths, 0 off the edges
  const std::string a = w.Op("Cast", {w.Op("Greater", {strength, w.Scalar(0.0f)})},
                             [](onnx::NodeProto* n) { IntAttr(n, "to", onnx::TensorProto::FLOAT); });  // [B,N,N] edge mask
  // The per-link offsets: log(strength) on the edges, 0 off them (log of the floor times 0).
  const std::string offset = w.Mul(w.Op("Log", {w.Op("Max", {strength, w.Scalar(1e-30f)})}), a);

  // JaccardOverlap: each node's set includes itself (no self-links in HNSW lists).
  const std::string eye = w.Op("EyeLike", {w.Op("Gather", {a, w.Ints({0}, true)}, [](onnx::NodeProto* n) { IntAttr(n, "axis", 0); })});
  const std::string s = w.Add(a, eye);
  const std::string inter = w.MatMul(s, w.Transpose(s, {0, 2, 1}));
  const std::string size = w.SumLast(s);  // [B,N,1]
  const std::string uni = w.Sub(w.Add(size, w.Transpose(size, {0, 2, 1})), inter);
  const std::string jaccard = w.Div(inter, uni);
  // EdgeCosine on the raw vectors (0 where a norm is 0: the dot is 0 there too).
  const std::string gram = w.MatMul(x, w.Transpose(x, {0, 2, 1}));
  const std::string norm = w.Op("Sqrt", {w.SumLast(w.Mul(x, x))});
  const std::string denom = w.Op("Max", {w.Mul(norm, w.Transpose(norm, {0, 2, 1})), w.Scalar(1e-30f)});
  const std::string cosine = w.Div(gram, denom);
  // EdgeWeightModel::Forward (no ages: decay 1), zero off the edges.
  const std::string logit = w.Add(w.Add(w.Mul(cosine, w.Weight("edges.alpha", P("refiner.edges.alpha"), true)),
                                        w.Mul(jaccard, w.Weight("edges.beta", P("refiner.edges.beta"), true))),
                                  offset);
  const std::string weights = w.Unsqueeze(w.Mul(w.Op("Sigmoid", {logit}), a), 1);  // [B,1,N,N]
  const std::string mask = w.Unsqueeze(w.Mul(w.Sub(a, w.Scalar(1.0f)), w.Scalar(kMaskedScore)), 1);

  // QueryRefiner::ForwardEmbeddings: projection (linear, or ReLU MLP).
  std::string h0 = w.Add(w.MatMul(w.Mul(x, w.Scalar(c.input_scale)), w.Weight("projection.weight", P("refiner.projection.weight"), false)),
                         w.Weight("projection.bias", P("refiner.projection.bias"), true));
  if (c.projection_hidden > 0) {
    h0 = w.Add(w.MatMul(w.Op("Relu", {h0}), w.Weight("projection_output.weight", P("refiner.projection_output.weight"), false)),
               w.Weight("projection_output.bias", P("refiner.projection_output.bias"), true));
  }
  const int64_t heads = c.heads, head_dim = hd / c.heads;
  const std::string split = w.Ints({0, 0, heads, head_dim});
  const std::string merge = w.Ints({0, 0, hd});
  auto by_head = [&](const std::string& t) { return w.Transpose(w.Op("Reshape", {t, split}), {0, 2, 1, 3}); };
  std::string h = h0;
  for (int hop = 0; hop < c.hops; ++hop) {
    const std::string pre = "refiner.mp.hop" + std::to_string(hop) + ".";
    const std::string short_pre = "hop" + std::to_string(hop) + ".";
    auto W = [&](const std::string& name, bool vec) { return w.Weight(short_pre + name, P(pre + name), vec); };
    // MessagePassingLayer::Forward: messages m = h Wm + bm.
    const std::string m = w.Add(w.MatMul(h, W("message.weight", false)), W("message.bias", true));
    // MultiHeadAttention::ForwardGraph: score_ij = w_ij (k_j . q_i) / sqrt(head_dim) over i's edges,
    // value w_ij v_j.
    const std::string q = by_head(w.MatMul(h, W("attention.q.weight", false)));
    const std::string kk = by_head(w.MatMul(m, W("attention.k.weight", false)));
    const std::string v = by_head(w.MatMul(m, W("attention.v.weight", false)));
    std::string scores = w.MatMul(q, w.Transpose(kk, {0, 1, 3, 2}));  // [B,heads,N,N]
    scores = w.Add(w.Mul(w.Mul(scores, weights), w.Scalar(1.0f / std::sqrt(static_cast<float>(head_dim)))), mask);
    const std::string attn = w.Mul(w.Op("Softmax", {scores}, [](onnx::NodeProto* n) { IntAttr(n, "axis", -1); }), weights);
    const std::string concat_heads = w.Op("Reshape", {w.Transpose(w.MatMul(attn, v), {0, 2, 1, 3}), merge});
    const std::string agg = w.Add(w.MatMul(concat_heads, W("attention.o.weight", false)), W("attention.o.bias", true));
    // GruCell::Forward(x = agg, h).
    auto gate = [&](const char* wx, const char* uh, const char* bias) {
      return w.Add(w.Add(w.MatMul(agg, W(std::string("gru.") + wx, false)), w.MatMul(h, W(std::string("gru.") + uh, false))),
                   W(std::string("gru.") + bias, true));
    };
    const std::string z = w.Op("Sigmoid", {gate("w_z", "u_z", "b_z")});
    const std::string r = w.Op("Sigmoid", {gate("w_r", "u_r", "b_r")});
    const std::string hn = w.Add(w.MatMul(h, W("gru.u_n", false)), W("gru.b_hn", true));
    const std::string n = w.Op("Tanh", {w.Add(w.Add(w.MatMul(agg, W("gru.w_n", false)), w.Mul(r, hn)), W("gru.b_n", true))});
    const std::string updated = w.Add(n, w.Mul(z, w.Sub(h, n)));  // (1 - z) n + z h
    // LayerNorm(h + g).
    h = w.Op("LayerNormalization", {w.Add(h, updated), W("norm.gamma", true), W("norm.beta", true)},
             [](onnx::NodeProto* node) {
               IntAttr(node, "axis", -1);
               FloatAttr(node, "epsilon", kLayerNormEpsilon);
             });
  }
  if (!missing.empty()) return Status::Internal("ONNX export: the refiner has no parameter named " + missing);
  // Residual, then QueryRefiner::Refine: E_0 and CosineScores(E_0, E_1..K).
  const std::string e = w.Add(h, h0);
  const std::string e0 = w.Op("Gather", {e, w.Ints({0}, true)}, [](onnx::NodeProto* node) { IntAttr(node, "axis", 1); });
  const std::string ec = w.Op("Slice", {e, w.Ints({1}), w.Ints({std::numeric_limits<int64_t>::max()}), w.Ints({1})});
  const std::string u0 = w.Div(e0, w.NormLast(e0, kTinyNorm));
  const std::string uc = w.Div(ec, w.NormLast(ec, kTinyNorm));
  w.Op("Squeeze", {w.MatMul(uc, w.Unsqueeze(u0, 2)), w.Ints({2})}, nullptr, "scores");
  w.Op("Identity", {e0}, nullptr, "refined_query");

  std::string bytes;
  if (!model.SerializeToString(&bytes)) return Status::Internal("ONNX export: protobuf serialization failed");
  NV_RETURN_IF_ERROR(CheckOnnxModel(bytes));
  return bytes;
}

Status CheckOnnxModel(const std::string& model_bytes) {
  onnx::ModelProto model;
  if (!model.ParseFromString(model_bytes)) return Status::Corrupt("not an ONNX model: the protobuf does not parse");
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    return Status::Corrupt(std::string("ONNX checker: ") + e.what());
  }
  return Status::Ok();
}

Result<std::string> ExportRefinerOnnx(const VectorIndex& index, const OnnxExportOptions& options) {
  auto state = index.LearnedState();
  if (!state.ok()) return state.status();
  auto model = RefinerFromState(index.learning_config(), index.config().dimensions,
                                reinterpret_cast<const uint8_t*>(state.value().data()), state.value().size());
  if (!model.ok()) return model.status();
  return ExportQueryRefinerOnnx(model.value(), options);
}

}  // namespace neurovec::learning
