// `neurovec train`: trains an index's query refiner natively, with threads, on
// feedback derived from class labels or read from a feedback file, and writes
// the learned parameters into an index file (the same file the wasm build
// opens with VectorIndex.fromBytes) and optionally an ONNX model.
//
// It runs the index's own training code (VectorIndex::Train, IndexLearner,
// RefinerTrainer), so what it learns is what feedback() + train() would learn
// in wasm, only faster; TrainOptions::threads spreads each batch's gradients.
//
// Feedback:
//   --labels L --queries Q --query-labels QL: every query row is searched for
//     --candidates results (vector mode); results whose label (labels[id], ids
//     being base rows as `neurovec build` numbers them) is the query's label are
//     positives, the others negatives (what bench/learning.mjs does in wasm).
//   --feedback F --queries Q: a text file, one event per line:
//       <query row> <positive ids> [<negative ids>]
//     ids comma-separated item ids (numbers), query row a row of Q; blank
//     lines and lines starting with # are skipped.
// Validation: the events are split by position: the first --train-queries
// train, the next --val-queries are held out (never trained on). Reported
// before and after training: precision@10 on the held-out events in vector and
// neural mode (labels: a result counts when its class is the query's;
// feedback file: when it is one of the event's positives).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "cli_util.h"
#include "commands.h"
#include "idx_labels.h"
#include "neurovec/learning.h"
#include "neurovec/vector_index.h"
#include "persistence/local_file.h"
#include "vector_files.h"
#if defined(NEUROVEC_HAS_ONNX)
#include "neurovec/onnx_export.h"
#endif

namespace neurovec::cli {
namespace {


int Fail(const std::string& message) { return FailCommand("train", message); }

struct Event {
  uint32_t query_row = 0;
  std::vector<ItemKey> positives;
  std::vector<ItemKey> negatives;
};

bool ParseIds(const std::string& text, std::vector<ItemKey>& out) {
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    const long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 0) return false;
    out.push_back(ItemKey::Number(v));
  }
  return true;
}

Result<std::vector<Event>> ReadFeedbackFile(const std::string& path, uint32_t query_rows) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot open feedback file " + path);
  std::vector<Event> events;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string row, pos, neg;
    fields >> row >> pos >> neg;
    Event e;
    char* end = nullptr;
    const unsigned long r = std::strtoul(row.c_str(), &end, 10);
    const std::string where = path + ":" + std::to_string(number) + ": ";
    if (row.empty() || *end != '\0' || r >= query_rows) {
      return Status::InvalidArgument(where + "expected a query row below " + std::to_string(query_rows) + ", got '" + row + "'");
    }
    e.query_row = static_cast<uint32_t>(r);
    if (pos.empty() || !ParseIds(pos, e.positives) || (!neg.empty() && !ParseIds(neg, e.negatives))) {
      return Status::InvalidArgument(where + "expected '<query row> <positive ids,...> [<negative ids,...>]'");
    }
    events.push_back(std::move(e));
  }
  return events;
}

}  // namespace

int RunTrain(const Args& args) {
  for (const auto& u : args.Unused({"index", "out", "queries", "labels", "query-labels", "feedback", "train-queries",
                                    "val-queries", "epochs", "threads", "candidates", "hidden", "heads", "hops", "lr",
                                    "temperature", "consistency", "dropout", "batch", "seed", "onnx", "ef", "edge-lr",
                                    "memory"})) {
    return Fail("unknown option --" + u);
  }
  if (!args.Has("index") || !args.Has("out") || !args.Has("queries")) return Fail("--index, --queries and --out are required");
  const bool by_labels = args.Has("labels");
  if (by_labels == args.Has("feedback")) {
    return Fail("give either --labels L --query-labels QL (feedback from classes) or --feedback F (a feedback file)");
  }
  if (by_labels && !args.Has("query-labels")) return Fail("--labels needs --query-labels (the class of each query row)");
#if !defined(NEUROVEC_HAS_ONNX)
  if (args.Has("onnx")) {
    return Fail("--onnx: this build has no ONNX exporter (CMake did not find libonnx-dev / libprotobuf-dev; "
                "apt-get install libonnx-dev libprotobuf-dev and rebuild)");
  }
#endif
  std::string error;
  uint64_t epochs, threads, candidates, hidden, heads, hops, batch, seed, ef, memory;
  if (!args.GetUint("epochs", 10, epochs, error) || !args.GetUint("threads", 1, threads, error) ||
      !args.GetUint("candidates", 50, candidates, error) || !args.GetUint("hidden", 64, hidden, error) ||
      !args.GetUint("heads", 4, heads, error) || !args.GetUint("hops", 2, hops, error) ||
      !args.GetUint("batch", 32, batch, error) || !args.GetUint("seed", 42, seed, error) ||
      !args.GetUint("ef", 0, ef, error) || !args.GetUint("memory", 0, memory, error)) {
    return Fail(error);
  }
  if (threads < 1 || threads > 256) return Fail("--threads must be from 1 to 256");

  learning::EnableLearning();
  auto file = ReadWholeFile(args.Get("index"));
  if (!file.ok()) return Fail(file.status().message());
  auto loaded = VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(file.value().data()), file.value().size());
  if (!loaded.ok()) return Fail(args.Get("index") + ": " + loaded.status().message());
  VectorIndex& index = *loaded.value();
  auto queries = ReadFvecs(args.Get("queries"));
  if (!queries.ok()) return Fail(queries.status().message());
  const FloatMatrix& q = queries.value();
  if (q.cols != index.config().dimensions) {
    return Fail("queries have " + std::to_string(q.cols) + " dimensions, the index " +
                std::to_string(index.config().dimensions));
  }

  LearningConfig config;
  config.candidates = static_cast<uint32_t>(candidates);
  config.hidden_dim = static_cast<uint32_t>(hidden);
  config.heads = static_cast<uint32_t>(heads);
  config.hops = static_cast<uint32_t>(hops);
  config.batch_size = static_cast<uint32_t>(batch);
  config.seed = seed;
  config.learning_rate = std::strtof(args.Get("lr", "0.002").c_str(), nullptr);
  config.temperature = std::strtof(args.Get("temperature", "0.2").c_str(), nullptr);
  config.consistency_weight = std::strtof(args.Get("consistency", "2").c_str(), nullptr);
  config.dropout = std::strtof(args.Get("dropout", "0.1").c_str(), nullptr);
  config.edge_learning_rate = std::strtof(args.Get("edge-lr", "0").c_str(), nullptr);
  if (memory > LearningConfig::kMaxMemoryCapacity) return Fail("--memory must be at most 1048576 events");
  config.memory_capacity = static_cast<uint32_t>(memory);
  Status configured = index.ConfigureLearning(config);
  if (configured.code() == StatusCode::kFailedPrecondition) {
    std::printf("the index already learned: training continues with its own learning options\n");
  } else if (!configured.ok()) {
    return Fail(configured.message());
  }
  const LearningConfig& used = index.learning_config();

  // ---- Events: from labels or from the file.
  std::vector<Event> events;
  std::vector<uint8_t> base_labels, query_labels;
  auto t0 = Clock::now();
  if (by_labels) {
    auto bl = ReadIdxLabels(args.Get("labels"));
    if (!bl.ok()) return Fail(bl.status().message());
    auto ql = ReadIdxLabels(args.Get("query-labels"));
    if (!ql.ok()) return Fail(ql.status().message());
    base_labels = bl.take();
    query_labels = ql.take();
    if (query_labels.size() < q.rows) {
      return Fail("--query-labels has " + std::to_string(query_labels.size()) + " labels for " + std::to_string(q.rows) + " query rows");
    }
    events.resize(q.rows);
    std::vector<std::string> errors(q.rows);
    ParallelFor(q.rows, static_cast<uint32_t>(threads), [&](size_t r) {
      SearchParams p;
      p.k = used.candidates;
      p.ef = static_cast<uint32_t>(ef);
      auto hits = index.Search(q.row(r), p);
      if (!hits.ok()) {
        errors[r] = hits.status().message();
        return;
      }
      events[r].query_row = static_cast<uint32_t>(r);
      for (const SearchHit& h : hits.value()) {
        const ItemKey& key = index.KeyOf(h.slot);
        if (key.kind() != ItemKey::Kind::kNumber || key.number() < 0 ||
            static_cast<uint64_t>(key.number()) >= base_labels.size()) {
          errors[r] = "item id " + key.ToDisplay() + " has no label in --labels (ids must be base rows, as `neurovec build` numbers them)";
          return;
        }
        (base_labels[key.number()] == query_labels[r] ? events[r].positives : events[r].negatives).push_back(key);
      }
    });
    for (const std::string& e : errors) {
      if (!e.empty()) return Fail(e);
    }
  } else {
    auto read = ReadFeedbackFile(args.Get("feedback"), q.rows);
    if (!read.ok()) return Fail(read.status().message());
    events = read.take();
  }
  if (events.size() < 2) return Fail("need at least 2 feedback events (one to train on, one to validate)");
  uint64_t train_n, val_n;
  const uint64_t default_val = std::max<uint64_t>(1, events.size() / 10);
  if (!args.GetUint("val-queries", default_val, val_n, error) ||
      !args.GetUint("train-queries", events.size() - std::min<uint64_t>(val_n, events.size()), train_n, error)) {
    return Fail(error);
  }
  if (train_n == 0 || val_n == 0 || train_n + val_n > events.size()) {
    return Fail("--train-queries (" + std::to_string(train_n) + ") and --val-queries (" + std::to_string(val_n) +
                ") must be positive and together at most the " + std::to_string(events.size()) + " feedback events");
  }

  uint64_t recorded = 0;
  for (uint64_t i = 0; i < train_n; ++i) {
    const Event& e = events[i];
    if (e.positives.empty()) continue;  // nothing to learn from (no result of the query's class)
    Status s = index.Feedback(q.row(e.query_row), e.positives, e.negatives);
    if (!s.ok()) return Fail("feedback event " + std::to_string(i) + ": " + s.message());
    ++recorded;
  }
  std::printf("feedback: %llu events recorded from %llu training queries (rows of %s), %llu held out for validation; %.1f s\n",
              static_cast<unsigned long long>(recorded), static_cast<unsigned long long>(train_n),
              args.Get("queries").c_str(), static_cast<unsigned long long>(val_n), SecondsSince(t0));

  // ---- Validation: precision@10 on the held-out events.
  auto validate = [&](SearchMode mode) -> Result<double> {
    double hits = 0;
    uint64_t counted = 0;
    for (uint64_t i = train_n; i < train_n + val_n; ++i) {
      const Event& e = events[i];
      SearchParams p;
      p.k = 10;
      p.ef = static_cast<uint32_t>(ef);
      auto found = index.SearchLearned(q.row(e.query_row), p, mode);
      if (!found.ok()) return found.status();
      std::unordered_set<int64_t> positive;
      for (const ItemKey& key : e.positives) positive.insert(key.number());
      for (const LearnedHit& h : found.value().hits) {
        const ItemKey& key = index.KeyOf(h.slot);
        if (by_labels) {
          hits += base_labels[key.number()] == query_labels[e.query_row];
        } else {
          hits += key.kind() == ItemKey::Kind::kNumber && positive.count(key.number()) > 0;
        }
      }
      ++counted;
    }
    return hits / (10.0 * static_cast<double>(counted));
  };
  auto before = validate(SearchMode::kVector);
  if (!before.ok()) return Fail(before.status().message());
  std::printf("validation (%llu held-out queries): precision@10 vector mode %.4f\n", static_cast<unsigned long long>(val_n),
              before.value());

  // ---- Training, with progress.
  TrainOptions options;
  options.epochs = static_cast<uint32_t>(epochs);
  options.threads = static_cast<uint32_t>(threads);
  t0 = Clock::now();
  auto last_print = t0;
  uint32_t last_epoch = 0;
  auto trained = index.Train(options, [&](const TrainProgress& p) {
    const bool epoch_done = p.epoch != last_epoch;
    if (epoch_done || SecondsSince(last_print) >= 5.0) {
      const double s = SecondsSince(t0);
      std::printf("  epoch %u/%u, batch %llu/%llu, loss %.4f, %llu examples in %.1f s (%.0f examples/s)%s\n",
                  p.epoch + (epoch_done ? 0 : 1), p.epochs, static_cast<unsigned long long>(p.batches_done),
                  static_cast<unsigned long long>(p.batches_total), p.loss,
                  static_cast<unsigned long long>(p.examples_done), s, p.examples_done / std::max(s, 1e-9),
                  epoch_done ? " [epoch done]" : "");
      std::fflush(stdout);
      last_print = Clock::now();
      last_epoch = p.epoch;
    }
    return true;
  });
  if (!trained.ok()) return Fail("training failed: " + trained.status().message());
  const double seconds = SecondsSince(t0);
  std::printf("training: %llu examples (%u epochs) in %.2f s on %llu thread(s) = %.1f examples/s\n",
              static_cast<unsigned long long>(trained.value().examples_done), trained.value().epochs, seconds,
              static_cast<unsigned long long>(threads), trained.value().examples_done / seconds);
  if (used.edge_learning_rate > 0) {
    std::printf("per-link edge weights: %llu links learned\n",
                static_cast<unsigned long long>(index.learning_stats().learned_links));
  }
  if (used.memory_capacity > 0) {
    std::printf("click memory: %llu events kept (neural mode walks with the query it moves)\n",
                static_cast<unsigned long long>(index.learning_stats().memory_events));
  }
  auto after = validate(SearchMode::kNeural);
  if (!after.ok()) return Fail(after.status().message());
  std::printf("validation: precision@10 neural mode %.4f (%+.4f over vector mode)\n", after.value(),
              after.value() - before.value());

  auto written = SaveIndexFileDurably(index, args.Get("out"));
  if (!written.ok()) return Fail(written.status().message());
  std::printf("wrote %s (%llu bytes, learned parameters in its learning section)\n", args.Get("out").c_str(),
              static_cast<unsigned long long>(written.value()));
#if defined(NEUROVEC_HAS_ONNX)
  if (args.Has("onnx")) {
    learning::OnnxExportOptions onnx;
    char doc[256];
    std::snprintf(doc, sizeof doc, "neurovec query refiner trained by `neurovec train` on %llu feedback events; "
                  "validation precision@10 %.4f (vector mode %.4f)", static_cast<unsigned long long>(recorded),
                  after.value(), before.value());
    onnx.doc = doc;
    auto model = learning::ExportRefinerOnnx(index, onnx);
    if (!model.ok()) return Fail("ONNX export: " + model.status().message());
    Status saved = WriteFileDurably(args.Get("onnx"), model.value());
    if (!saved.ok()) return Fail(saved.message());
    std::printf("wrote %s (%zu bytes, ONNX opset 17, passes onnx::checker)\n", args.Get("onnx").c_str(), model.value().size());
  }
#endif
  return 0;
}

}  // namespace neurovec::cli
