// `neurovec export-encoder`: a text encoder's weights (.nvenc, text/text_encoder.h)
// as an ONNX model (text/encoder_onnx_export.h), for ONNX Runtime (Web):
// js/src/text/onnx_encoder.ts computes the feature buckets and runs it.
#include <cstdio>
#include <string>

#include "cli_util.h"
#include "commands.h"
#include "persistence/local_file.h"
#include "text/text_encoder.h"
#if defined(NEUROVEC_HAS_ONNX)
#include "text/encoder_onnx_export.h"
#endif

namespace neurovec::cli {

int RunExportEncoder(const Args& args) {
  const char* cmd = "export-encoder";
  for (const std::string& u : args.Unused({"encoder", "onnx", "batched"})) return FailCommand(cmd, "unknown option --" + u);
  if (!args.Has("encoder") || !args.Has("onnx")) return FailCommand(cmd, "needs --encoder E.nvenc and --onnx E.onnx");
#if !defined(NEUROVEC_HAS_ONNX)
  return FailCommand(cmd, "this build has no ONNX exporter (CMake did not find libonnx-dev / libprotobuf-dev; "
                          "apt-get install libonnx-dev libprotobuf-dev and rebuild)");
#else
  auto file = ReadWholeFile(args.Get("encoder"));
  if (!file.ok()) return FailCommand(cmd, file.status().message());
  auto encoder = text::TextEncoder::FromBytes(reinterpret_cast<const uint8_t*>(file.value().data()), file.value().size());
  if (!encoder.ok()) return FailCommand(cmd, args.Get("encoder") + ": " + encoder.status().message());
  const text::TextEncoder& e = encoder.value();
  text::EncoderOnnxOptions options;
  options.batched = args.Has("batched");
  char doc[256];
  std::snprintf(doc, sizeof doc, "neurovec text encoder (%llu x %u int8 rows + row scales) exported from %s",
                static_cast<unsigned long long>(e.buckets()), e.dimensions(), args.Get("encoder").c_str());
  options.doc = doc;
  auto model = text::EncoderOnnxBytes(e, options);
  if (!model.ok()) return FailCommand(cmd, "ONNX export: " + model.status().message());
  Status saved = WriteFileDurably(args.Get("onnx"), model.value());
  if (!saved.ok()) return FailCommand(cmd, saved.message());
  std::printf("wrote %s (%zu bytes, ONNX opset 17, %s, int8 weights dequantised in the graph, passes onnx::checker)\n",
              args.Get("onnx").c_str(), model.value().size(),
              options.batched ? "buckets [batch, n] + mask -> embedding [batch, dim]" : "buckets [n] -> embedding [dim]");
  return 0;
#endif
}

}  // namespace neurovec::cli
