// `neurovec export-router`: an index file's learned router (its stopping rule)
// as an ONNX model (ExportRouterOnnx, neurovec/onnx_export.h), and with
// --trace the decisions the core's learned walk takes for given queries, so
// the model can be checked against the core in ONNX Runtime (Web).
#include <cmath>
#include <cstdio>
#include <string>

#include "cli_util.h"
#include "commands.h"
#include "index/router_trace.h"
#include "neurovec/storage.h"
#include "neurovec/vector_index.h"
#include "persistence/local_file.h"
#include "vector_files.h"
#if defined(NEUROVEC_HAS_ONNX)
#include "neurovec/onnx_export.h"
#endif

namespace neurovec::cli {
namespace {

// JSON has no infinities: +-1e30 stands for them (the ONNX model keeps them).
std::string JsonNumber(float v) {
  if (std::isnan(v)) return "null";
  if (std::isinf(v)) return v > 0 ? "1e30" : "-1e30";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

int RunExportRouter(const Args& args) {
  const char* cmd = "export-router";
  for (const std::string& u : args.Unused({"index", "onnx", "trace", "trace-out", "recall"})) {
    return FailCommand(cmd, "unknown option --" + u);
  }
  if (!args.Has("index") || !args.Has("onnx")) return FailCommand(cmd, "needs --index F.nvx and --onnx R.onnx");
  if (args.Has("trace") != args.Has("trace-out")) {
    return FailCommand(cmd, "--trace Q.fvecs and --trace-out T.json go together");
  }
  std::string error;
  double recall;
  if (!args.GetDouble("recall", 0.95, recall, error)) return FailCommand(cmd, error);
  if (!(recall > 0 && recall <= 1)) return FailCommand(cmd, "--recall must be in (0, 1], got " + args.Get("recall"));
#if !defined(NEUROVEC_HAS_ONNX)
  return FailCommand(cmd, "this build has no ONNX exporter (CMake did not find libonnx-dev / libprotobuf-dev; "
                          "apt-get install libonnx-dev libprotobuf-dev and rebuild)");
#else
  auto storage = OpenFileStorage(args.Get("index"), FileMode::kReadOnly);
  if (!storage.ok()) return FailCommand(cmd, storage.status().message());
  auto opened = VectorIndex::Open(storage.take(), OpenOptions{});
  if (!opened.ok()) return FailCommand(cmd, args.Get("index") + ": " + opened.status().message());
  const VectorIndex& index = *opened.value();

  learning::OnnxExportOptions options;
  options.doc = "neurovec router (learned early termination) exported from " + args.Get("index");
  auto model = learning::ExportRouterOnnx(index, options);
  if (!model.ok()) return FailCommand(cmd, args.Get("index") + ": " + model.status().message());
  Status saved = WriteFileDurably(args.Get("onnx"), model.value());
  if (!saved.ok()) return FailCommand(cmd, saved.message());
  std::printf("wrote %s (%zu bytes, ONNX opset 17: features [N, 9] + kth_distance [N, 1] -> logit [N, 1], "
              "stop [N, 8]; passes onnx::checker)\n",
              args.Get("onnx").c_str(), model.value().size());

  if (args.Has("trace")) {
    auto queries = ReadFvecs(args.Get("trace"));
    if (!queries.ok()) return FailCommand(cmd, queries.status().message());
    const FloatMatrix& q = queries.value();
    if (q.cols != index.config().dimensions) {
      return FailCommand(cmd, args.Get("trace") + " has " + std::to_string(q.cols) + " dimensions, the index " +
                                  std::to_string(index.config().dimensions));
    }
    // One line per query: its decisions as [features..., kth_distance, logit, stop].
    std::string out;
    size_t decisions = 0, stops = 0;
    for (uint32_t i = 0; i < q.rows; ++i) {
      auto trace = TraceLearnedWalk(index, q.row(i), static_cast<float>(recall));
      if (!trace.ok()) return FailCommand(cmd, "query " + std::to_string(i) + ": " + trace.status().message());
      out += "{\"query\": " + std::to_string(i) + ", \"decisions\": [";
      for (size_t j = 0; j < trace.value().size(); ++j) {
        const routing::StopDecision& d = trace.value()[j];
        out += j ? ", [" : "[";
        for (int f = 0; f < routing::kStopFeatures; ++f) out += JsonNumber(d.features[f]) + ", ";
        out += JsonNumber(d.kth_distance) + ", " + JsonNumber(d.score) + ", " + (d.stop ? "1" : "0") + "]";
        stops += d.stop;
      }
      decisions += trace.value().size();
      out += "]}\n";
    }
    Status written = WriteFileDurably(args.Get("trace-out"), out);
    if (!written.ok()) return FailCommand(cmd, written.message());
    std::printf("wrote %s: %zu decisions of %u learned walks (target recall %.3f), %zu of them stops\n",
                args.Get("trace-out").c_str(), decisions, q.rows, recall, stops);
  }
  return 0;
#endif
}

}  // namespace neurovec::cli
