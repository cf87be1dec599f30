// Export of the learned query refiner (issue 5) and the learned router (issue
// 13) to standard ONNX, so the models an index learned can run outside
// neurovec (ONNX Runtime, ONNX Runtime Web: js/src/onnx_refiner.ts). Built only when CMake finds Debian's libonnx-dev
// (target neurovec_onnx; NEUROVEC_HAS_ONNX is then defined for its users).
//
// The graph reproduces QueryRefiner::Refine (learning/query_refiner.h) with
// plain ONNX ops (opset 17): the candidate graph (query linked to every
// candidate and back, candidates linked along their HNSW level-0 links), the
// learned edge weights sigmoid(alpha * cosine + beta * Jaccard), the
// projection, every message-passing hop (masked multi-head attention over each
// node's edges, GRU update, LayerNormalization), the residual, and the cosine
// scores. Batched: B queries with K candidates each, one session.run.
//
// Inputs (float32; B and K are dynamic, D fixed by the index):
//   query       [B, D]     the query vectors, as given to search
//   candidates  [B, K, D]  each query's K candidates (VectorIndex::RefinerInputs order)
//   adjacency   [B, K, K]  1 where candidate i links to candidate j at HNSW level 0, else 0
// Outputs (float32):
//   refined_query [B, H]  the refined query embedding (H = hidden_dim)
//   scores        [B, K]  cosine score of each candidate (higher is more relevant)
// The model's metadata_props name its layout: neurovec.kind = "query-refiner",
// neurovec.dimensions, neurovec.hidden_dim, neurovec.heads, neurovec.hops,
// neurovec.input_scale.
#pragma once

#include <string>

#include "neurovec/status.h"
#include "neurovec/vector_index.h"

namespace neurovec::learning {

struct OnnxExportOptions {
  std::string producer_version = "0.1.0";
  std::string doc;  // free text stored as the model's doc_string (e.g. what it was trained on)
};

// The serialized ModelProto of `index`'s trained refiner. kFailedPrecondition
// when the index has learned nothing; validated with onnx::checker before it
// is returned (kInternal naming the checker's complaint otherwise).
Result<std::string> ExportRefinerOnnx(const VectorIndex& index, const OnnxExportOptions& options = {});

// The learned router's stopping rule (VectorIndex::TrainRouter), for
// inspection and for running the decision elsewhere. One row per decision of
// the learned walk, taken after an expansion that leaves the walk holding k
// results:
//   features      [N, 9]  the walk state (routing/stop_policy.h: bias, the
//                         closest unexplored candidate against the k-th result,
//                         the top-k's spread, log2 progress counters, the gap
//                         to HNSW's own rule, one product; metadata
//                         neurovec.features names them)
//   kth_distance  [N, 1]  the k-th distance held
// Outputs: logit [N, 1] (features . weights) and stop [N, 8] (bool): the walk
// stops for the target recall of column t (metadata neurovec.target_recalls;
// a search asks for the first listed target at or above its own) when logit
// reaches that column's calibrated threshold and kth_distance is within the
// router's familiar bound. Metadata also gives k, training_ef,
// familiar_distance, default_target, and neighbour skipping's settings
// (skip_rank, skip_margins per target), which the graph does not run: it
// needs the index's per-item projections. kFailedPrecondition without a router.
Result<std::string> ExportRouterOnnx(const VectorIndex& index, const OnnxExportOptions& options = {});

// Runs onnx::checker::check_model (full check, shape inference off) on a
// serialized model: kCorrupt with the checker's message when it fails.
Status CheckOnnxModel(const std::string& model_bytes);

}  // namespace neurovec::learning
