// neurovec command-line tool: benchmarks and exact ground truth on TEXMEX files.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "commands.h"
#include "distance/kernels.h"

namespace neurovec::cli {

bool Args::Parse(int argc, char** argv, int first, Args& out, std::string& error) {
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      error = "unexpected argument '" + a + "' (options look like --name value)";
      return false;
    }
    std::string name = a.substr(2);
    if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
      out.values_[name] = argv[++i];
    } else {
      out.values_[name] = "true";
    }
  }
  return true;
}

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

bool Args::GetUint(const std::string& name, uint64_t fallback, uint64_t& out, std::string& error) const {
  auto it = values_.find(name);
  if (it == values_.end()) {
    out = fallback;
    return true;
  }
  char* end = nullptr;
  unsigned long long v = std::strtoull(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0' || it->second[0] == '-') {
    error = "--" + name + " expects a non-negative integer, got '" + it->second + "'";
    return false;
  }
  out = v;
  return true;
}

bool Args::GetDouble(const std::string& name, double fallback, double& out, std::string& error) const {
  auto it = values_.find(name);
  if (it == values_.end()) {
    out = fallback;
    return true;
  }
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != '\0' || !std::isfinite(v)) {
    error = "--" + name + " expects a number, got '" + it->second + "'";
    return false;
  }
  out = v;
  return true;
}

std::vector<std::string> Args::Unused(const std::vector<std::string>& known) const {
  std::vector<std::string> unused;
  for (const auto& kv : values_) {
    bool found = false;
    for (const auto& k : known) found |= k == kv.first;
    if (!found) unused.push_back(kv.first);
  }
  return unused;
}

}  // namespace neurovec::cli

namespace {

void Usage() {
  std::fprintf(stderr,
               "usage: neurovec <command> [options]\n"
               "\n"
               "commands:\n"
               "  bench        --base B.fvecs --queries Q.fvecs --truth T.ivecs [--k 10] [--m 16]\n"
               "               [--ef-construction 200] [--threads 1] [--ef 10,20,40] [--metric l2]\n"
               "               [--seed 42] [--json]\n"
               "               Builds an index, then per ef measures recall@k, QPS and distance\n"
               "               computations (queries one at a time on --threads threads).\n"
               "  groundtruth  --base B.fvecs --queries Q.fvecs --out T.ivecs [--k 100] [--metric l2]\n"
               "               [--threads 1]   Exact nearest neighbours by brute force.\n"
               "  build        --base B.fvecs --out index.nvx [--m 16] [--ef-construction 200]\n"
               "               [--metric l2] [--threads 1] [--seed 42]   Builds and writes an index file.\n"
               "  query        --index index.nvx --queries Q.fvecs [--k 10] [--ef 64] [--json]\n"
               "               [--mode vector|neural|subgraph|differentiable] [--routing auto|plain|learned]\n"
               "               [--recall 0.95]\n"
               "               One JSON line per query: {\"ids\": [...], \"distances\": [...]} (+ \"scores\"\n"
               "               in the learned modes, which need a trained index).\n"
               "  train-router --index index.nvx [--k 10] [--ef 128] [--items 3000] [--queries Q.fvecs] [--skip-rank 64]\n"
               "               [--calibration-share 0.7] [--target 0.95] [--threads 2] [--seed 1] [--learned-only] [--drop] [--json]\n"
               "               Trains the index's router (learned early termination) on its own items or on\n"
               "               the given queries, with threads, and checkpoints it into the file (section\n"
               "               13; wasm reads it). Per target recall it times the learned walk against\n"
               "               the plain walk that reaches the same target, and the faster serves it;\n"
               "               --learned-only keeps every target on the learned walk. --drop removes it.\n"
               "  health       --index index.nvx [--json]   Graph health: live items no search can reach,\n"
               "               tombstones and the links left to them, level-0 out-degrees.\n"
               "  optimize     --index index.nvx   Repairs the graph in place (links to deleted items,\n"
               "               unreachable items), then checkpoints the file.\n"
               "  churn        --base B.fvecs --extra E.fvecs [--rounds 10] [--percent 10] [--queries 1000]\n"
               "               [--ef 32] [--k 10] [--m 16] [--ef-construction 200] [--threads 2] [--seed 42]\n"
               "               [--noise 16] [--labels L.idx --extra-labels EL.idx --classes 5,7\n"
               "               --clustered-percent 50] [--plan DIR] [--json]   Rounds of random deletes and\n"
               "               inserts into a repaired (optimize) and an unrepaired copy of one index,\n"
               "               each round measured beside a fresh build: recall, reachability, memory, latency.\n"
               "  persist-bench --index index.nvx --base B.fvecs --dir DIR [--adds 2000] [--batch 1000]\n"
               "               [--batched-items 20000] [--json]   Open + first query, snapshot save\n"
               "               throughput, and durable adds (Sync per add, per batch) into DIR.\n"
               "  codecs       --base B.fvecs --queries Q.fvecs --truth T.ivecs [--queries-limit 1000]\n"
               "               [--rerank 100] [--json out.json] [--k 10] [--codecs f32,f16,int8,pq8/m=98,...]\n"
               "               [--train-sample 20000] [--kmeans-iterations 8] [--metric l2] [--seed 42]\n"
               "               Per codec: bytes/vector, recall@k of an exhaustive ADC scan alone and\n"
               "               with exact re-ranking of the top R, encode/decode/scan speed (1 thread).\n"
               "  traverse     --base B.fvecs --queries Q.fvecs --truth T.ivecs [--codec int8,f16,...] [--ef 10,16,32]\n"
               "               [--m 16] [--ef-construction 200] [--runs 2] [--train-sample 20000] [--metric l2]\n"
               "               One graph searched on f32 rows and on codes (+ exact re-rank of ef), 1 thread.\n"
               "  learn-bench  --base B.fvecs --queries Q.fvecs --base-labels L.gz --query-labels L.gz\n"
               "               [--train-queries 5000] [--eval-queries 1000] [--candidates 50] [--epochs 20]\n"
               "               [--batch 32] [--lr 0.002] [--threads 2] [--hidden 64] [--hops 2] [--heads 4]\n"
               "               [--temperature 0.2] [--consistency 2] [--dropout 0.1] [--weight-decay 0.0001]\n"
               "               [--projection-hidden 0] [--m 16] [--ef-construction 100] [--build-threads 1]\n"
               "               [--seed 42]\n"
               "               [--continual [--ewc-lambda 1000] [--replay 16]]\n"
               "               Trains the query refiner from class feedback; prints precision@10 before\n"
               "               and after, training throughput and refine latency.\n"
               "  train        --index index.nvx --queries Q.fvecs --out trained.nvx\n"
               "               (--labels L.gz --query-labels QL.gz | --feedback F.txt)\n"
               "               [--train-queries N] [--val-queries N] [--epochs 10] [--threads 1]\n"
               "               [--candidates 50] [--hidden 64] [--heads 4] [--hops 2] [--batch 32] [--lr 0.002]\n"
               "               [--temperature 0.2] [--consistency 2] [--dropout 0.1] [--seed 42] [--ef 0]\n"
               "               [--edge-lr 0 (per-link edge weights: learning.edgeLearningRate)]\n"
               "               [--memory 0 (click memory events kept: learning.memoryCapacity)]\n"
               "               [--onnx refiner.onnx]\n"
               "               Trains the index's query refiner from feedback (class labels, or a file of\n"
               "               lines '<query row> <positive ids,...> [<negative ids,...>]'), reports\n"
               "               precision@10 on held-out queries, writes the index with the learned\n"
               "               parameters (opens in wasm) and optionally the refiner as ONNX.\n"
               "  tiers-bench  --base B.fvecs --queries Q.fvecs --truth T.ivecs --base-labels L.gz --query-labels L.gz\n"
               "               [--workload 20000] [--hot-classes 0,1] [--hot-share 90] [--ef 64] [--rerank 100]\n"
               "               [--budget 0] [--half-life 3600] [--seconds-per-query 0.05] [--threads 2] [--file F.nvx] [--json]\n"
               "               Skewed workload, then recompress(): vector memory vs raw f32 (resident and\n"
               "               projected), recall@10 hot-class / other queries, recompression speed.\n"
               "  train-encoder --pairs P.jsonl --out E.nvenc [--dim 64] [--log2-buckets 17] [--min-n 3]\n"
               "               [--max-n 5] [--no-bigrams] [--epochs 5] [--batch 256] [--temperature 0.05]\n"
               "               [--lr 0.1] [--dropout 0] [--init 0.1] [--group-batches] [--threads all] [--seed 42] [--quiet]\n"
               "               Trains the text encoder (in-batch InfoNCE) on lines {\"q\": text, \"d\": text[, \"g\": group]}\n"
               "               and writes its int8 weights (TextIndex's encoder).\n"
               "  export-router --index F.nvx --onnx R.onnx [--trace Q.fvecs --trace-out T.json] [--recall 0.95]\n"
               "               The index's learned router (stopping rule) as ONNX; --trace writes the core's\n"
               "               decisions for those queries (one JSON line each) to check the model against.\n"
               "  export-encoder --encoder E.nvenc --onnx E.onnx [--batched]\n"
               "               Writes the text encoder as an ONNX model (opset 17): feature buckets\n"
               "               int64 [n] -> unit embedding [dim] (--batched: [batch, n] + mask). Needs a\n"
               "               build with libonnx-dev; neurovec/text's OnnxTextEncoder runs it.\n"
               "  routing-bench --base B.fvecs --queries Q.fvecs --truth T.ivecs [--k 10] [--m 16] [--ef-construction 200]\n"
               "               [--threads 2] [--router-ef 128] [--items 3000] [--seeds 1,2,3] [--train 2000] [--tune 2000]\n"
               "               [--targets 0.9,0.95,0.99] [--efs 10,...,256] [--runs 2] [--split test|tune] [--metric l2]\n"
               "               [--train-from items|queries] [--save-index F.nvx] [--churn-rounds 0] [--churn-percent 10] [--json]\n"
               "               [--calibration-share 0.7]: of the training queries or items, calibrating the thresholds\n"
               "               [--adapt-hints 8 [--adapt-coverage 0.9]]: entry hints (AdaptToWorkload) from the training split first\n"
               "               [--learned-only]: no target served by the plain walk (RouterOptions::plain_when_faster off)\n"
               "               Learned early termination (TrainRouter on the index's own items) against the\n"
               "               plain walk at equal recall: distance computations and QPS, one thread.\n"
               "  kernel       Prints the distance kernel this CPU uses.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "help") {
    Usage();
    return argc < 2 ? 2 : 0;
  }
  std::string command = argv[1];
  neurovec::cli::Args args;
  std::string error;
  if (!neurovec::cli::Args::Parse(argc, argv, 2, args, error)) {
    std::fprintf(stderr, "neurovec %s: %s\n", command.c_str(), error.c_str());
    return 2;
  }
  if (command == "bench") return neurovec::cli::RunBench(args);
  if (command == "groundtruth") return neurovec::cli::RunGroundTruth(args);
  if (command == "build") return neurovec::cli::RunBuild(args);
  if (command == "query") return neurovec::cli::RunQuery(args);
  if (command == "train-router") return neurovec::cli::RunTrainRouter(args);
  if (command == "persist-bench") return neurovec::cli::RunPersistBench(args);
  if (command == "codecs") return neurovec::cli::RunCodecs(args);
  if (command == "traverse") return neurovec::cli::RunTraverse(args);
#if defined(NEUROVEC_CLI_LEARN_BENCH)  // the native CLI (it needs the learning library and zlib)
  if (command == "learn-bench") return neurovec::cli::RunLearnBench(args);
  if (command == "train") return neurovec::cli::RunTrain(args);
  if (command == "tiers-bench") return neurovec::cli::RunTiersBench(args);
  if (command == "train-encoder") return neurovec::cli::RunTrainEncoder(args);
  if (command == "health") return neurovec::cli::RunHealth(args);
  if (command == "optimize") return neurovec::cli::RunOptimize(args);
  if (command == "churn") return neurovec::cli::RunChurn(args);
  if (command == "routing-bench") return neurovec::cli::RunRoutingBench(args);
  if (command == "export-encoder") return neurovec::cli::RunExportEncoder(args);
  if (command == "export-router") return neurovec::cli::RunExportRouter(args);
#endif
  if (command == "kernel") {
    std::printf("%s\n", neurovec::distance::BestKernels().name);
    return 0;
  }
  std::fprintf(stderr, "neurovec: unknown command '%s'\n\n", command.c_str());
  Usage();
  return 2;
}
