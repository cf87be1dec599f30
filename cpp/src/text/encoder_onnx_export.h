// The text encoder (text/text_encoder.h) as a standard ONNX model (opset 17),
// so its embeddings can be computed by ONNX Runtime (Web) next to a model
// pipeline: js/src/text/onnx_encoder.ts. Built only with libonnx-dev (target
// neurovec_onnx, NEUROVEC_HAS_ONNX).
//
// The model starts after hashing: its input is the feature buckets of a text
// (TextFeatures; js/src/text/text_features.ts computes the same buckets in JS),
// because ONNX has no string hashing. The graph reproduces
// TextEncoder::EncodeFeatures:
//   rows  = Cast<float>(Gather(codes, buckets))            [n, dim]
//   sum   = MatMul(Gather(scales, buckets) as [1, n], rows)  (= sum of scale x row)
//   embedding = sum / max(sqrt(sum . sum), 1e-30)     (all zeros for no features)
// The weights stay int8 with one f32 scale per row (initializers `codes`
// [2^log2_buckets, dim] int8 and `scales` [2^log2_buckets] f32) and are
// dequantised in the graph, so the file is about the size of the .nvenc
// (2^17 x 64: 8.9 MB) instead of 4x that in f32.
//
// Interface (opset 17, IR from Debian's libonnx):
//   single  (default): input  buckets   int64 [n]           (n may be 0)
//                      output embedding float [dim]
//   batched:           inputs buckets   int64 [batch, n]    (rows padded to one n)
//                             mask      float [batch, n]    (1 real feature, 0 padding)
//                      output embedding float [batch, dim]
// metadata_props: neurovec.kind = "text-encoder", neurovec.dimensions,
// neurovec.log2_buckets, neurovec.min_n, neurovec.max_n, neurovec.words (0/1),
// neurovec.bigrams (0/1), neurovec.batched (0/1), neurovec.features (the
// feature/hash scheme's version, "1"): enough for a JS caller to compute the
// buckets without the .nvenc.
#pragma once

#include <string>

#include "neurovec/status.h"
#include "text/text_encoder.h"

namespace neurovec::text {

struct EncoderOnnxOptions {
  bool batched = false;  // [batch, n] buckets + mask -> [batch, dim]
  std::string producer_version = "0.1.0";
  std::string doc;  // stored as the model's doc_string
};

// The serialized ModelProto, checked with onnx::checker. kInvalidArgument when
// the weights would not fit one protobuf (over ~1.9 GB: no external data here).
Result<std::string> EncoderOnnxBytes(const TextEncoder& encoder, const EncoderOnnxOptions& options = {});

// EncoderOnnxBytes written to `path` (durably, replacing it).
Status ExportEncoderOnnx(const TextEncoder& encoder, const std::string& path, const EncoderOnnxOptions& options = {});

}  // namespace neurovec::text
