// `neurovec learn-bench`: shows that the query refiner learns from feedback.
//
// Data: Fashion-MNIST. The index holds the 60k training images (--base); the
// test images (--queries) are split by position: the first --train-queries
// (5000) give feedback for training, the next --eval-queries (1000) are held
// out for evaluation and never seen in training. A query's candidates are its
// --candidates (50) nearest training images by L2 from HNSW; feedback marks the
// candidates of the query's class as positives, the others as negatives.
//
// Defaults are the best of the settings tried on this split (20 epochs, InfoNCE
// temperature 0.2, feedback-consistency weight 2, lr 0.002, 50 candidates).
//
// Baseline: precision@10 of the 10 nearest by L2 (plain vector search).
// Trained:  precision@10 of the 10 best candidates by the refiner's scores.
// precision@10 = fraction of the 10 results whose class is the query's.
//
// The HNSW graph is built here from VectorStore + HnswGraph (not through
// VectorIndex) because the refiner reads the graph's level-0 links among the
// candidates, which VectorIndex does not expose.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "cli_util.h"
#include "commands.h"
#include "hnsw/hnsw_graph.h"
#include "idx_labels.h"
#include "learning/adjacency.h"
#include "learning/refiner_trainer.h"
#include "learning/replay_buffer.h"
#include "storage/vector_store.h"
#include "vector_files.h"

namespace neurovec::cli {
namespace {

using namespace neurovec::learning;


int Fail(const std::string& message) { return FailCommand("learn-bench", message); }

struct Retrieved {
  std::vector<uint32_t> slots;  // ascending L2 distance
};

// The index: vectors and the HNSW graph over them.
struct Index {
  std::unique_ptr<VectorStore> store;
  std::unique_ptr<HnswGraph> graph;
};

Index Build(const FloatMatrix& base, uint32_t m, uint32_t ef_construction, uint32_t threads, uint64_t seed) {
  Index x;
  x.store = std::make_unique<VectorStore>(base.cols, Metric::kL2);
  x.graph = std::make_unique<HnswGraph>(m, ef_construction, seed);
  (void)x.store->Reserve(base.rows);
  (void)x.graph->Reserve(base.rows);
  for (uint32_t i = 0; i < base.rows; ++i) {
    x.store->Store(i, base.row(i));
    x.graph->PrepareSlot(i, x.graph->DrawLevel());
  }
  // Slot 0 first, alone: it becomes the entry point.
  SearchContext first;
  x.graph->Insert(0, *x.store, first);
  ParallelFor(base.rows - 1, threads, [&](size_t i) {
    thread_local SearchContext ctx;
    x.graph->Insert(static_cast<uint32_t>(i + 1), *x.store, ctx);
  });
  return x;
}

Retrieved Search(const Index& x, const float* query, uint32_t k, uint32_t ef) {
  thread_local SearchContext ctx;
  ctx.query.Resize(x.store->stride());
  x.store->Encode(query, ctx.query.data());
  TraversalCounters counters;
  x.graph->Search(ctx.query.data(), std::max(ef, k), *x.store, [](uint32_t) { return true; }, true, ctx, counters);
  std::vector<Candidate> found(ctx.results.begin(), ctx.results.end());
  SortByDistance(found);
  Retrieved r;
  for (size_t i = 0; i < found.size() && i < k; ++i) r.slots.push_back(found[i].slot);
  return r;
}

struct Data {
  const FloatMatrix* base;
  const FloatMatrix* queries;
  const std::vector<uint8_t>* base_labels;
  const std::vector<uint8_t>* query_labels;
  const Index* index;
  std::vector<Retrieved> retrieved;  // per query row
};

FeedbackExample MakeExample(const Data& d, uint32_t query_row) {
  const Retrieved& r = d.retrieved[query_row];
  std::vector<const float*> candidates;
  for (uint32_t s : r.slots) candidates.push_back(d.base->row(s));
  const Adjacency links = AdjacencyFromHnswLevel(*d.index->graph, 0, r.slots);
  FeedbackExample e;
  e.graph = BuildCandidateGraph(d.queries->row(query_row), candidates, static_cast<int>(d.base->cols), links);
  const uint8_t label = (*d.query_labels)[query_row];
  for (uint32_t s : r.slots) e.positive.push_back((*d.base_labels)[s] == label);
  return e;
}

double BaselinePrecision(const Data& d, const std::vector<uint32_t>& rows) {
  double hits = 0;
  for (uint32_t q : rows) {
    const auto& slots = d.retrieved[q].slots;
    for (size_t i = 0; i < 10 && i < slots.size(); ++i) hits += (*d.base_labels)[slots[i]] == (*d.query_labels)[q];
  }
  return hits / (10.0 * rows.size());
}

// Precision@10 of the refiner's ranking; per-query latencies (graph build +
// refine, one thread) in `latencies_ms` when not null.
double RefinedPrecision(const Data& d, const QueryRefiner& model, const std::vector<uint32_t>& rows,
                        std::vector<double>* latencies_ms) {
  double hits = 0;
  std::vector<uint32_t> order;
  for (uint32_t q : rows) {
    const auto start = Clock::now();
    const Retrieved& r = d.retrieved[q];
    std::vector<const float*> candidates;
    for (uint32_t s : r.slots) candidates.push_back(d.base->row(s));
    const CandidateGraph g = BuildCandidateGraph(d.queries->row(q), candidates, static_cast<int>(d.base->cols),
                                                 AdjacencyFromHnswLevel(*d.index->graph, 0, r.slots));
    const RefinerOutput out = model.Refine(g);
    order.resize(r.slots.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    const size_t top = std::min<size_t>(10, order.size());
    std::partial_sort(order.begin(), order.begin() + top, order.end(),
                      [&](uint32_t a, uint32_t b) { return out.scores(a) > out.scores(b); });
    if (latencies_ms) latencies_ms->push_back(1e3 * SecondsSince(start));
    for (size_t i = 0; i < top; ++i) hits += (*d.base_labels)[r.slots[order[i]]] == (*d.query_labels)[q];
  }
  return hits / (10.0 * rows.size());
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

struct TrainOptions {
  uint32_t epochs = 3;
  uint32_t batch = 32;
  float lr = 2e-3f;
  uint32_t threads = 1;
  uint64_t seed = 42;
  bool verbose = true;
  float weight_decay = 1e-4f;
};

// Epochs over `rows` in a seeded shuffled order. Optionally mixes replayed
// examples into each batch (continual learning). Returns the seconds spent and
// adds the examples trained on to *examples.
double Train(const Data& d, RefinerTrainer& trainer, const std::vector<uint32_t>& rows, const TrainOptions& o,
             ReservoirBuffer<uint32_t>* replay, uint32_t replay_per_batch, uint64_t* examples) {
  Random shuffle(o.seed);
  std::vector<uint32_t> order = rows;
  const auto start = Clock::now();
  for (uint32_t epoch = 0; epoch < o.epochs; ++epoch) {
    double loss_sum = 0;
    size_t batches = 0;
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[shuffle.NextBelow(i)]);
    for (size_t begin = 0; begin < order.size(); begin += o.batch) {
      std::vector<uint32_t> ids(order.begin() + begin, order.begin() + std::min(order.size(), begin + o.batch));
      if (replay != nullptr) {
        for (uint32_t r : replay->Sample(replay_per_batch)) ids.push_back(r);
      }
      std::vector<FeedbackExample> batch(ids.size());
      ParallelFor(ids.size(), o.threads, [&](size_t i) { batch[i] = MakeExample(d, ids[i]); });
      loss_sum += trainer.TrainBatch(batch);
      ++batches;
      *examples += ids.size();
    }
    if (o.verbose) std::printf("  epoch %u: mean InfoNCE loss %.4f\n", epoch + 1, loss_sum / std::max<size_t>(batches, 1));
  }
  return SecondsSince(start);
}

TrainerConfig MakeTrainerConfig(const TrainOptions& o, uint64_t steps) {
  return StandardTrainerConfig(o.lr, o.weight_decay, steps, o.threads, o.seed);
}

}  // namespace

int RunLearnBench(const Args& args) {
  for (const auto& u : args.Unused({"base", "queries", "base-labels", "query-labels", "train-queries", "eval-queries",
                                    "candidates", "epochs", "batch", "threads", "seed", "hidden", "hops", "heads",
                                    "lr", "m", "ef-construction", "continual", "ewc-lambda", "replay", "temperature",
                                    "dropout", "weight-decay", "projection-hidden", "consistency", "build-threads"})) {
    return Fail("unknown option --" + u);
  }
  for (const char* required : {"base", "queries", "base-labels", "query-labels"}) {
    if (!args.Has(required)) return Fail("--base, --queries, --base-labels and --query-labels are required");
  }
  std::string error;
  uint64_t build_threads, projection_hidden, train_n, eval_n, k, epochs, batch, threads, seed, hidden, hops, heads, m, efc, replay_n;
  if (!args.GetUint("train-queries", 5000, train_n, error) || !args.GetUint("eval-queries", 1000, eval_n, error) ||
      !args.GetUint("candidates", 50, k, error) || !args.GetUint("epochs", 20, epochs, error) ||
      !args.GetUint("batch", 32, batch, error) || !args.GetUint("threads", 2, threads, error) ||
      !args.GetUint("seed", 42, seed, error) || !args.GetUint("hidden", 64, hidden, error) ||
      !args.GetUint("hops", 2, hops, error) || !args.GetUint("heads", 4, heads, error) ||
      !args.GetUint("m", 16, m, error) || !args.GetUint("ef-construction", 100, efc, error) ||
      !args.GetUint("replay", 16, replay_n, error) || !args.GetUint("build-threads", 1, build_threads, error) || !args.GetUint("projection-hidden", 0, projection_hidden, error)) {
    return Fail(error);
  }
  const float lr = std::strtof(args.Get("lr", "0.002").c_str(), nullptr);
  const float temperature = std::strtof(args.Get("temperature", "0.2").c_str(), nullptr);
  const float dropout = std::strtof(args.Get("dropout", "0.1").c_str(), nullptr);
  const float weight_decay = std::strtof(args.Get("weight-decay", "0.0001").c_str(), nullptr);
  const float consistency = std::strtof(args.Get("consistency", "2").c_str(), nullptr);
  const float ewc_lambda = std::strtof(args.Get("ewc-lambda", "1000").c_str(), nullptr);
  if (k < 10 || batch == 0 || threads == 0 || threads > 256 || !(lr > 0)) {
    return Fail("--candidates must be >= 10, --batch and --threads positive, --lr positive");
  }

  auto base = ReadFvecs(args.Get("base"));
  if (!base.ok()) return Fail(base.status().message());
  auto queries = ReadFvecs(args.Get("queries"));
  if (!queries.ok()) return Fail(queries.status().message());
  auto base_labels = ReadIdxLabels(args.Get("base-labels"));
  if (!base_labels.ok()) return Fail(base_labels.status().message());
  auto query_labels = ReadIdxLabels(args.Get("query-labels"));
  if (!query_labels.ok()) return Fail(query_labels.status().message());
  const FloatMatrix& b = base.value();
  const FloatMatrix& q = queries.value();
  if (base_labels.value().size() != b.rows || query_labels.value().size() < q.rows) {
    return Fail("label files must have one label per base vector and per query");
  }
  if (q.cols != b.cols) return Fail("queries and base differ in dimensions");
  if (train_n + eval_n > q.rows) return Fail("--train-queries + --eval-queries exceed the queries file");

  const uint32_t nthreads = static_cast<uint32_t>(threads);
  auto t0 = Clock::now();
  // One build thread by default: a concurrent HNSW build links differently from
  // run to run, which changes the candidates and moved the trained precision by
  // about 0.005 between two otherwise identical runs.
  const uint32_t bthreads = static_cast<uint32_t>(std::max<uint64_t>(1, std::min<uint64_t>(build_threads, 256)));
  Index index = Build(b, static_cast<uint32_t>(m), static_cast<uint32_t>(efc), bthreads, seed);
  std::printf("index: %u x %u, HNSW m=%u ef_construction=%u, built in %.1f s on %u thread(s)\n", b.rows, b.cols,
              static_cast<unsigned>(m), static_cast<unsigned>(efc), SecondsSince(t0), bthreads);

  Data d{&b, &q, &base_labels.value(), &query_labels.value(), &index, {}};
  d.retrieved.resize(train_n + eval_n);
  t0 = Clock::now();
  ParallelFor(d.retrieved.size(), nthreads, [&](size_t i) {
    d.retrieved[i] = Search(index, q.row(i), static_cast<uint32_t>(k), std::max<uint32_t>(100, static_cast<uint32_t>(k)));
  });
  std::printf("retrieved %u candidates for %zu queries in %.1f s\n", static_cast<unsigned>(k), d.retrieved.size(),
              SecondsSince(t0));
  std::vector<uint32_t> train_rows, eval_rows;
  for (uint32_t i = 0; i < train_n; ++i) train_rows.push_back(i);
  for (uint32_t i = 0; i < eval_n; ++i) eval_rows.push_back(static_cast<uint32_t>(train_n + i));

  QueryRefinerConfig config;
  config.input_dim = static_cast<int>(b.cols);
  config.hidden_dim = static_cast<int>(hidden);
  config.projection_hidden = static_cast<int>(projection_hidden);
  config.heads = static_cast<int>(heads);
  config.hops = static_cast<int>(hops);
  config.input_scale = 1.0f / 255.0f;
  config.temperature = temperature;
  config.dropout = dropout;
  config.consistency_weight = consistency;
  config.seed = seed;
  auto created = QueryRefiner::Create(config);
  if (!created.ok()) return Fail(created.status().message());
  TrainOptions o;
  o.epochs = static_cast<uint32_t>(epochs);
  o.batch = static_cast<uint32_t>(batch);
  o.lr = lr;
  o.threads = nthreads;
  o.seed = seed;
  o.weight_decay = weight_decay;

  const double baseline = BaselinePrecision(d, eval_rows);
  std::printf("held-out queries: test images %u..%u; training feedback: test images 0..%u\n",
              static_cast<unsigned>(train_n), static_cast<unsigned>(train_n + eval_n - 1), static_cast<unsigned>(train_n - 1));
  std::printf("baseline precision@10 (L2, vector mode): %.4f\n", baseline);

  if (!args.Has("continual")) {
    QueryRefiner model = created.take();
    std::printf("refiner: hidden %u, %u hops, %u heads, %zu parameters\n", static_cast<unsigned>(hidden),
                static_cast<unsigned>(hops), static_cast<unsigned>(heads), model.Parameters().NumValues());
    std::printf("untrained refiner precision@10: %.4f\n", RefinedPrecision(d, model, eval_rows, nullptr));
    const uint64_t steps = o.epochs * ((train_rows.size() + o.batch - 1) / o.batch);
    RefinerTrainer trainer(&model, MakeTrainerConfig(o, steps));
    uint64_t examples = 0;
    const double seconds = Train(d, trainer, train_rows, o, nullptr, 0, &examples);
    std::vector<double> latencies;
    const double trained = RefinedPrecision(d, model, eval_rows, &latencies);
    std::printf("training: %llu examples (%u epochs x %zu queries, batch %u) in %.1f s on %u threads = %.0f queries/s\n",
                static_cast<unsigned long long>(examples), o.epochs, train_rows.size(), o.batch, seconds, nthreads,
                examples / seconds);
    std::printf("trained precision@10 (neural re-rank of %u candidates): %.4f (%+.4f)\n", static_cast<unsigned>(k),
                trained, trained - baseline);
    std::printf("refine latency per query (graph + model, 1 thread): p50 %.3f ms, p99 %.3f ms\n",
                Percentile(latencies, 0.5), Percentile(latencies, 0.99));
    return 0;
  }

  // Continual learning: teach queries of classes 0-4, then 5-9; how much
  // precision on classes 0-4 drops, without and with EWC + replay.
  std::vector<uint32_t> first_rows, second_rows, eval_first;
  for (uint32_t r : train_rows) ((*d.query_labels)[r] < 5 ? first_rows : second_rows).push_back(r);
  for (uint32_t r : eval_rows) {
    if ((*d.query_labels)[r] < 5) eval_first.push_back(r);
  }
  std::printf("continual: %zu training queries of classes 0-4, then %zu of 5-9; %zu held-out queries of 0-4\n",
              first_rows.size(), second_rows.size(), eval_first.size());
  std::printf("baseline precision@10 on held-out 0-4: %.4f\n", BaselinePrecision(d, eval_first));
  const QueryRefiner initial = created.take();
  for (int protect = 0; protect < 2; ++protect) {
    QueryRefiner model = initial;
    const uint64_t steps_a = o.epochs * ((first_rows.size() + o.batch - 1) / o.batch);
    RefinerTrainer trainer_a(&model, MakeTrainerConfig(o, steps_a));
    uint64_t examples = 0;
    Train(d, trainer_a, first_rows, o, nullptr, 0, &examples);
    const double after_a = RefinedPrecision(d, model, eval_first, nullptr);
    const uint64_t steps_b = o.epochs * ((second_rows.size() + o.batch - 1) / o.batch);
    RefinerTrainer trainer_b(&model, MakeTrainerConfig(o, steps_b));
    ReservoirBuffer<uint32_t> replay(512, seed + 1);
    if (protect) {
      for (uint32_t r : first_rows) replay.Add(r);
      std::vector<FeedbackExample> fisher_examples;
      for (uint32_t r : replay.Sample(256)) fisher_examples.push_back(MakeExample(d, r));
      trainer_b.AnchorEwc(trainer_b.EstimateFisher(fisher_examples), ewc_lambda);
    }
    Train(d, trainer_b, second_rows, o, protect ? &replay : nullptr, static_cast<uint32_t>(replay_n), &examples);
    const double after_b = RefinedPrecision(d, model, eval_first, nullptr);
    char label[128];
    if (protect) {
      std::snprintf(label, sizeof(label), "with EWC (lambda %g) + replay (%u per batch)", ewc_lambda,
                    static_cast<unsigned>(replay_n));
    } else {
      std::snprintf(label, sizeof(label), "without EWC or replay");
    }
    std::printf("%s: precision@10 on 0-4 after task A %.4f, after task B %.4f, drop %.4f\n", label, after_a, after_b,
                after_a - after_b);
  }
  return 0;
}

}  // namespace neurovec::cli
