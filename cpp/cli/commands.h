// Subcommands of the neurovec CLI. Each takes its arguments after the command name.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "quantization/codec.h"

namespace neurovec::cli {

// --name value pairs (and bare --flags, stored as "true").
class Args {
 public:
  static bool Parse(int argc, char** argv, int first, Args& out, std::string& error);
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  // Parses an unsigned integer option; sets error on a bad value.
  bool GetUint(const std::string& name, uint64_t fallback, uint64_t& out, std::string& error) const;
  // Parses a finite number option; sets error on a bad value.
  bool GetDouble(const std::string& name, double fallback, double& out, std::string& error) const;
  std::vector<std::string> Unused(const std::vector<std::string>& known) const;

 private:
  std::map<std::string, std::string> values_;
};

int RunBench(const Args& args);        // build + recall/QPS per ef
int RunGroundTruth(const Args& args);  // exact k-NN by brute force, written as .ivecs
int RunBuild(const Args& args);        // .fvecs -> index file
int RunQuery(const Args& args);        // index file + queries -> JSON lines
int RunTrainRouter(const Args& args);  // trains (or drops) an index file's router in place
int RunHealth(const Args& args);       // index file -> graph health (reachability, tombstones, degrees)
int RunOptimize(const Args& args);     // repairs an index file's graph in place (then checkpoints)
int RunChurn(const Args& args);        // rounds of deletes and inserts, repaired or not, beside fresh builds
int RunRoutingBench(const Args& args); // learned early termination vs the plain walk at equal recall
int RunPersistBench(const Args& args); // save, open + first query, durable writes
// "kind/option=value/..." (e.g. "pq4/m=196/o=4", "int8/r=uniform") into params.
bool ParseCodecSpec(const std::string& spec, quant::CodecParams& params, std::string& error);

int RunCodecs(const Args& args);       // per-codec size, recall and speed table
int RunTraverse(const Args& args);     // quantized vs f32 HNSW traversal on one graph
int RunLearnBench(const Args& args);   // query refiner: train from feedback, precision@10 before/after
int RunTrain(const Args& args);        // train an index file's refiner natively (threads), write it (+ ONNX)
int RunTiersBench(const Args& args);
int RunTrainEncoder(const Args& args); // text encoder from (query, document) pairs -> weights file   // compression tiers under a skewed workload: memory, recall, speed
int RunExportRouter(const Args& args);  // an index file's router -> ONNX model (+ the core's traced decisions)
int RunExportEncoder(const Args& args); // text encoder weights -> ONNX model (needs libonnx-dev)

}  // namespace neurovec::cli
