// Learned routing at the index level: TrainRouter runs the walks a router
// learns from (routing/stop_trainer.h fits and calibrates it); searches use
// it through Impl::RouterFor (vector_index.cc).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <optional>
#include <thread>

#include "index/router_trace.h"
#include "index/vector_index_impl.h"
#include "routing/stop_trainer.h"
#include "util/random.h"

namespace neurovec {

Status RouterOptions::Validate() const {
  if (k == 0 || k > routing::TopKProgress::kMaxK) {
    return Status::InvalidArgument("router k must be between 1 and " + std::to_string(routing::TopKProgress::kMaxK));
  }
  if (ef < k || ef > IndexConfig::kMaxEf) {
    return Status::InvalidArgument("router ef must be at least k and at most " + std::to_string(IndexConfig::kMaxEf));
  }
  if (items < 20 || items > 1000000) return Status::InvalidArgument("router items must be between 20 and 1000000");
  if (!(calibration_share >= 0.1 && calibration_share <= 0.9)) {
    return Status::InvalidArgument("router calibration_share must be between 0.1 and 0.9");
  }
  if (!(default_target_recall >= 0.5f && default_target_recall <= 1.0f)) {
    return Status::InvalidArgument("router default_target_recall must be between 0.5 and 1");
  }
  if (threads == 0 || threads > 256) return Status::InvalidArgument("router threads must be between 1 and 256");
  if ((queries == nullptr) != (query_count == 0)) {
    return Status::InvalidArgument("router queries and query_count go together (both set, or neither)");
  }
  if (queries != nullptr && query_count < 20) return Status::InvalidArgument("router training needs at least 20 queries");
  if (skip_rank % 16 != 0 || skip_rank > routing::ProjectionBasis::kMaxRank) {
    return Status::InvalidArgument("router skip_rank must be a multiple of 16 up to " +
                                   std::to_string(routing::ProjectionBasis::kMaxRank) + " (0: no neighbour skipping), got " +
                                   std::to_string(skip_rank));
  }
  return Status::Ok();
}

namespace {

// Records the walk's state after each expansion (once it holds k results),
// with how many true neighbours its top-k holds then. Never stops the walk.
class WalkRecorder : public routing::TopKProgress {
 public:
  static constexpr bool kActive = true;
  WalkRecorder(uint32_t k, const std::vector<uint32_t>& truth, uint32_t absent, routing::RecordedWalk& out)
      : TopKProgress(k), truth_(truth), absent_(absent), out_(out) {}

  // A sampled item's walk never touches the item: with its own links at hand
  // the walk would find its neighbours at once, and a router calibrated on
  // such walks stops too early for queries from outside (recall 0.88 for a
  // 0.95 target in routing_test before this).
  bool Skips(uint32_t slot) const { return slot == absent_; }

  bool AfterExpansion(float next, float bound, uint64_t computations) {
    CountExpansion();
    if (!full()) return false;
    routing::WalkRecord r;
    Features(next, bound, computations, r.features);
    r.found = static_cast<uint16_t>(Found());
    r.computations = static_cast<uint32_t>(computations);
    r.estimates = static_cast<uint32_t>(filter_tests());
    out_.records.push_back(r);
    return false;
  }
  uint32_t Found() const {
    uint32_t found = 0;
    for (uint32_t i = 0; i < count(); ++i) {
      found += std::find(truth_.begin(), truth_.end(), slots()[i]) != truth_.end();
    }
    return found;
  }

 private:
  const std::vector<uint32_t>& truth_;
  uint32_t absent_;
  routing::RecordedWalk& out_;
};

}  // namespace

Status VectorIndex::BeginRouterTraining(const RouterOptions& options) {
  NV_RETURN_IF_ERROR(options.Validate());
  Impl& x = *impl_;
  NV_RETURN_IF_ERROR(x.BeforeWrite());
  const uint64_t needed = std::max<uint64_t>(100, 2ull * options.k);
  if (x.live_count < needed) {
    return Status::FailedPrecondition("training a router needs at least " + std::to_string(needed) +
                                      " live items, the index holds " + std::to_string(x.live_count));
  }
  auto t = std::make_unique<RouterTraining>();
  t->started = std::chrono::steady_clock::now();
  t->options = options;
  t->options.queries = nullptr;
  t->options.query_count = 0;
  t->options.on_progress = nullptr;
  const uint32_t d = x.config.dimensions, stride = x.store.stride();
  if (options.queries != nullptr) {
    t->count = options.query_count;
    t->queries.resize(t->count * stride);
    for (size_t i = 0; i < t->count; ++i) {
      const float* q = options.queries + i * d;
      Status s = x.store.Validate(q);
      if (!s.ok()) return Status::InvalidArgument("router query " + std::to_string(i) + ": " + s.message());
      x.store.Encode(q, t->queries.data() + i * stride);
    }
  } else {
    // Sampled live items, in a seeded order.
    std::vector<uint32_t>& slots = t->sampled;
    slots.reserve(x.live_count);
    for (uint32_t s = 0; s < x.used_slots; ++s) {
      if (x.live[s]) slots.push_back(s);
    }
    Random rng(options.seed);
    t->count = std::min<size_t>(options.items, slots.size());
    for (size_t i = 0; i < t->count; ++i) std::swap(slots[i], slots[i + rng.NextBelow(slots.size() - i)]);
    slots.resize(t->count);
  }
  // The first share trains, the rest calibrates.
  const size_t calibration =
      std::max<size_t>(1, static_cast<size_t>(std::lround(t->count * options.calibration_share)));
  t->training = t->count - calibration;
  t->walks.resize(t->count);
  t->truths.resize(t->count);
  t->skipping = options.skip_rank > 0 && (x.config.metric == Metric::kL2 || x.config.metric == Metric::kCosine) &&
                !x.paged() && x.store.stride() >= 16;
  if (t->skipping) t->skip_walks.assign(RouterTraining::kSkipMarginCount, std::vector<routing::RecordedWalk>(t->held_out()));
  t->changes_at_begin = x.changes;
  x.router_training = std::move(t);
  return Status::Ok();
}

void VectorIndex::CancelRouterTraining() { impl_->router_training.reset(); }

namespace {

// Threads a training's walks run on: RouterOptions::threads, or 1 in the
// single-thread wasm build and for a paged index (one block cache).
uint32_t WalkThreads(const IndexState& x, const RouterTraining& t) {
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
  (void)t;
  (void)x;
  return 1;
#else
  return x.paged() ? 1 : t.options.threads;
#endif
}

// Walks [from, to) of a training (RouterTraining::total() in all): below
// `count`, each query's exact top-k by scan, then its walk at the training ef,
// recorded; past it, the held-out queries again with the neighbour filter at
// each skip margin, on WalkThreads() threads. Each walk writes only its own
// record, so any thread count trains the same router.
Status RecordWalks(IndexState& x, RouterTraining& t, size_t from, size_t to) {
  const uint32_t k = t.options.k;
  const uint32_t stride = x.store.stride();
  const uint8_t* live = x.live.data();
  const bool given = !t.queries.empty();
  const size_t held = t.held_out();
  std::atomic<size_t> next{from};
  std::atomic<bool> failed{false};
  auto work = [&] {
    std::unique_ptr<SearchContext> ctx = x.contexts.Acquire();
    std::vector<float> query(stride);
    std::vector<Candidate> heap;
    for (size_t i = next.fetch_add(1); i < to; i = next.fetch_add(1)) {
      const bool first = i < t.count;
      const size_t margin_index = first ? 0 : (i - t.count) / held;
      const size_t w = first ? i : t.training + (i - t.count) % held;
      // A sampled item asks for its neighbours and leaves itself out (a copy:
      // a paged row may move while the scan reads others).
      const uint32_t self = given ? HnswGraph::kNone : t.sampled[w];
      const float* row = given ? t.queries.data() + w * stride : x.store.Row(self);
      std::copy(row, row + stride, query.data());
      auto others = [live, self](uint32_t s) { return live[s] != 0 && s != self; };
      std::vector<uint32_t>& truth = t.truths[w];
      if (first) {
        TraversalCounters scan;
        x.ExactScan(query.data(), k, others, heap, scan);
        truth.clear();
        for (const Candidate& c : heap) truth.push_back(c.slot);
      }
      routing::RecordedWalk& walk = first ? t.walks[w] : t.skip_walks[margin_index][w - t.training];
      walk.records.clear();
      WalkRecorder recorder(k, truth, self, walk);
      std::optional<routing::NeighbourFilter> filter;
      if (!first) {
        filter.emplace(t.basis, t.table, query.data(), RouterTraining::kSkipMargins[margin_index]);
        recorder.Filter(&*filter);
      }
      TraversalCounters counters;
      x.graph.Search(query.data(), t.options.ef, x.store, others, false, *ctx, counters, recorder);
      walk.final_found = static_cast<uint16_t>(recorder.Found());
      walk.final_kth_distance = recorder.full() ? recorder.kth_distance() : std::numeric_limits<float>::infinity();
      walk.final_computations = static_cast<uint32_t>(counters.distance_computations);
      walk.final_estimates = static_cast<uint32_t>(recorder.filter_tests());
      if (x.paged() && !x.TakePagingErrors().ok()) failed = true;
    }
    x.contexts.Release(std::move(ctx));
  };
  const uint32_t threads = static_cast<uint32_t>(std::min<size_t>(WalkThreads(x, t), to - from));
  std::vector<std::thread> pool;
  for (uint32_t i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (std::thread& th : pool) th.join();
  if (failed) return Status::Corrupt("router training: a paged read of the index file failed");
  return Status::Ok();
}

// The projection basis of neighbour skipping, from up to 4096 live rows (a
// seeded sample), and the projections of every used slot.
void FitSkipBasis(IndexState& x, RouterTraining& t) {
  std::vector<uint32_t> slots;
  for (uint32_t s = 0; s < x.used_slots; ++s) {
    if (x.live[s]) slots.push_back(s);
  }
  Random rng(t.options.seed ^ 0x5bd1e995u);
  const size_t n = std::min<size_t>(4096, slots.size());
  for (size_t i = 0; i < n; ++i) std::swap(slots[i], slots[i + rng.NextBelow(slots.size() - i)]);
  const uint32_t stride = x.store.stride();
  std::vector<float> rows(n * stride);
  for (size_t i = 0; i < n; ++i) std::copy(x.store.Row(slots[i]), x.store.Row(slots[i]) + stride, rows.data() + i * stride);
  const float scale = x.config.metric == Metric::kCosine ? 0.5f : 1.0f;
  t.basis = routing::ProjectionBasis::Fit(rows.data(), n, stride, t.options.skip_rank, scale, t.options.seed);
  t.table.Reset(t.basis.rank);
  if (t.basis.empty()) {
    t.skipping = false;  // too few dimensions or rows for a projection
    return;
  }
  for (uint32_t s = 0; s < x.used_slots; ++s) t.table.Set(s, t.basis, x.store.Row(s));
}

// Fits the model on the training walks, calibrates it on the rest, and
// measures it there.
Result<RouterReport> FitRouter(RouterTraining& t, routing::StopModel* model) {
  std::vector<routing::RecordedWalk> held_out(std::make_move_iterator(t.walks.begin() + t.training),
                                              std::make_move_iterator(t.walks.end()));
  t.walks.resize(t.training);
  model->k = t.options.k;
  model->training_ef = t.options.ef;
  if (!routing::FitStopWeights(t.walks, model->weights)) {
    return Status::FailedPrecondition(
        "router training: the sampled walks give nothing to learn (every walk state was already final, or none "
        "was); try more items or a larger ef");
  }
  routing::CalibrateThresholds(held_out, *model);
  // Neighbour skipping: per target, the margin (or none) whose walks reach
  // it, stopped by their own calibrated threshold, at the least cost: exact
  // distances, plus filter tests and the query's projection in distance
  // equivalents (rank / stride each, and rank).
  std::vector<const std::vector<routing::RecordedWalk>*> chosen(routing::StopModel::kTargets, &held_out);
  if (t.skipping) {
    const double rank = t.basis.rank, per_test = rank / std::max<uint32_t>(1, t.basis.stride);
    double best_cost[routing::StopModel::kTargets];
    for (int target = 0; target < routing::StopModel::kTargets; ++target) {
      const auto r = routing::ReplayWithThreshold(held_out, *model, model->thresholds[target]);
      best_cost[target] = r.recall >= routing::StopModel::CalibrationAim(target) ? r.computations : HUGE_VAL;
    }
    for (size_t m = 0; m < RouterTraining::kSkipMarginCount; ++m) {
      routing::StopModel candidate = *model;
      routing::CalibrateThresholds(t.skip_walks[m], candidate);
      for (int target = 0; target < routing::StopModel::kTargets; ++target) {
        const double goal = routing::StopModel::CalibrationAim(target);
        const auto r = routing::ReplayWithThreshold(t.skip_walks[m], candidate, candidate.thresholds[target]);
        const double cost = r.computations + r.estimates * per_test + rank;
        if (r.recall < goal) continue;
        if (cost < best_cost[target]) {
          best_cost[target] = cost;
          model->thresholds[target] = candidate.thresholds[target];
          model->margins[target] = RouterTraining::kSkipMargins[m];
          chosen[target] = &t.skip_walks[m];
        }
      }
    }
  }
  {
    // The familiar bound over every walk, held-out ones too (only their final k-th distances).
    std::vector<routing::RecordedWalk> finals(t.walks.size() + held_out.size());
    for (size_t i = 0; i < t.walks.size(); ++i) finals[i].final_kth_distance = t.walks[i].final_kth_distance;
    for (size_t i = 0; i < held_out.size(); ++i) finals[t.walks.size() + i].final_kth_distance = held_out[i].final_kth_distance;
    model->familiar_distance = routing::FamiliarDistance(finals);
  }

  RouterReport report;
  report.training_walks = t.training;
  report.calibration_walks = held_out.size();
  for (const auto& w : t.walks) report.records += w.records.size();
  const auto full = routing::ReplayWithThreshold(held_out, *model, std::numeric_limits<float>::infinity());
  int default_index = routing::StopModel::kTargets - 1;
  for (int i = 0; i < routing::StopModel::kTargets; ++i) {
    if (t.options.default_target_recall <= routing::StopModel::kTargetRecalls[i] + 1e-6f) {
      default_index = i;
      break;
    }
  }
  const auto routed = routing::ReplayWithThreshold(*chosen[default_index], *model,
                                                   model->ThresholdFor(t.options.default_target_recall));
  report.full_walk_recall = full.recall;
  report.full_walk_computations = full.computations;
  report.routed_recall = routed.recall;
  report.routed_computations = routed.computations;
  report.routed_estimates = routed.estimates;
  bool skips = false;
  for (int i = 0; i < routing::StopModel::kTargets; ++i) {
    report.skip_margins[i] = model->margins[i];
    skips |= model->margins[i] > 0;
  }
  report.skip_rank = skips ? t.basis.rank : 0;
  // In the file: the rule, and with skipping the basis and the per-item codes.
  report.model_bytes = sizeof(routing::StopModel) +
                       (skips ? (t.basis.basis.size() + t.basis.mean.size() + 2 * t.basis.rank) * sizeof(float) +
                                    t.table.bytes()
                              : 0);
  return report;
}

// A plain walk that never touches one item (a sampled item walking as if
// absent, as WalkRecorder does) and never stops early.
struct SkipsOne {
  static constexpr bool kActive = true;
  uint32_t absent;
  void Start(float) {}
  void OnResult(float, uint32_t) {}
  bool AfterExpansion(float, float, uint64_t) { return false; }
  bool Skips(uint32_t slot) const { return slot == absent; }
  bool FiltersNeighbours() const { return false; }
  bool Prunes(uint32_t, float) { return false; }
  void BeforeNeighbours(const uint32_t*, uint32_t) {}
};

// The plain walk per target (StopModel::plain_ef, plain_serves): the held-out
// queries walk plainly at growing efs up to the training ef, and each target
// gets the smallest ef whose mean recall reaches its calibration aim (as the
// learned thresholds do). With RouterOptions::plain_when_faster, both walks
// of each target are then timed on some of those queries (a pass of about
// kPassMicros, at least kTimedQueries), in
// whole passes taken in turn (best of kTimedPasses each), and the faster
// serves the target. One thread: the time per query is what a search sees.
void CalibratePlainWalks(IndexState& x, RouterTraining& t, routing::StopModel* model, RouterReport* report) {
  constexpr size_t kTimedQueries = 300;  // at least
  constexpr double kPassMicros = 30000;
  constexpr int kTimedPasses = 3;
  const uint32_t k = t.options.k, stride = x.store.stride();
  const bool given = !t.queries.empty();
  const uint8_t* live = x.live.data();
  std::unique_ptr<SearchContext> ctx = x.contexts.Acquire();
  std::vector<float> query(stride);
  std::vector<Candidate> top;
  auto load = [&](size_t w) -> uint32_t {
    const uint32_t self = given ? HnswGraph::kNone : t.sampled[w];
    const float* row = given ? t.queries.data() + w * stride : x.store.Row(self);
    std::copy(row, row + stride, query.data());
    return self;
  };
  // Mean recall@k of plain walks at `ef` over the held-out queries.
  auto recall_at = [&](uint32_t ef) {
    double found = 0;
    for (size_t w = t.training; w < t.count; ++w) {
      const uint32_t self = load(w);
      auto others = [live, self](uint32_t s) { return live[s] != 0 && s != self; };
      SkipsOne skip{self};
      TraversalCounters counters;
      x.graph.Search(query.data(), ef, x.store, others, false, *ctx, counters, skip);
      top.assign(ctx->results.begin(), ctx->results.end());
      std::sort(top.begin(), top.end(), [](const Candidate& a, const Candidate& b) { return a.distance < b.distance; });
      const std::vector<uint32_t>& truth = t.truths[w];
      for (size_t i = 0; i < std::min<size_t>(k, top.size()); ++i) {
        found += std::find(truth.begin(), truth.end(), top[i].slot) != truth.end();
      }
    }
    return found / (static_cast<double>(k) * static_cast<double>(t.count - t.training));
  };
  const uint32_t top_ef = model->training_ef;
  int next_target = 0;
  double last_pass_us = 0;  // per query, of the last (largest) ef walked
  for (uint32_t ef = k; next_target < routing::StopModel::kTargets;) {
    const auto start = std::chrono::steady_clock::now();
    const double recall = recall_at(ef);
    last_pass_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() /
                   static_cast<double>(t.count - t.training);
    while (next_target < routing::StopModel::kTargets && recall >= routing::StopModel::CalibrationAim(next_target)) {
      model->plain_ef[next_target++] = ef;
    }
    if (ef == top_ef) break;
    ef = std::min(top_ef, std::max(ef + 1, static_cast<uint32_t>(std::lround(ef * 1.12))));
  }
  // Targets no smaller ef reached: the plain walk at the training ef, the
  // learned walk without its stops and skips (it never walks further), which
  // reaches at least what the learned walk reaches. Where the learned walk
  // seldom stops early (catalogue 0.99: never) that walk is the same search
  // without the tracker's cost, and timing lets it serve.
  for (int i = next_target; i < routing::StopModel::kTargets; ++i) model->plain_ef[i] = top_ef;
  for (int i = 0; i < routing::StopModel::kTargets; ++i) report->plain_ef[i] = model->plain_ef[i];
  if (!t.options.plain_when_faster) {
    x.contexts.Release(std::move(ctx));
    return;
  }

  // Timing: one pass walks the first timed queries one way; enough of them
  // that the slowest plain pass lasts about kPassMicros (shorter passes were
  // noise: the three passes at ef 10 on 64-d rows gave 8.8 to 12.1 us a query).
  const double wanted = std::ceil(kPassMicros / std::max(last_pass_us, 0.01));
  const size_t timed = std::min(t.count - t.training, std::max(kTimedQueries, static_cast<size_t>(std::min(wanted, 1e9))));
  auto pass = [&](int target, bool learned) {
    const auto start = std::chrono::steady_clock::now();
    for (size_t w = t.training; w < t.training + timed; ++w) {
      const uint32_t self = load(w);
      auto others = [live, self](uint32_t s) { return live[s] != 0 && s != self; };
      TraversalCounters counters;
      if (learned) {
        routing::StopTracker stop(*model, model->thresholds[target]);
        std::optional<routing::NeighbourFilter> filter;
        if (model->margins[target] > 0 && !t.basis.empty()) {
          filter.emplace(t.basis, t.table, query.data(), model->margins[target]);
          stop.Filter(&*filter);
        }
        x.graph.Search(query.data(), top_ef, x.store, others, false, *ctx, counters, stop);
      } else {
        x.graph.Search(query.data(), model->plain_ef[target], x.store, others, false, *ctx, counters);
      }
    }
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / timed;
  };
  for (int i = 0; i < routing::StopModel::kTargets; ++i) {
    if (model->plain_ef[i] == 0 || timed == 0) continue;
    double learned = HUGE_VAL, plain = HUGE_VAL;
    for (int p = 0; p < kTimedPasses; ++p) {
      // Alternate which goes first, so neither always finds the caches the other left.
      if (p % 2 == 0) {
        learned = std::min(learned, pass(i, true));
        plain = std::min(plain, pass(i, false));
      } else {
        plain = std::min(plain, pass(i, false));
        learned = std::min(learned, pass(i, true));
      }
    }
    model->plain_serves[i] = plain < learned;
    report->plain_serves[i] = model->plain_serves[i];
    report->learned_us[i] = learned;
    report->plain_us[i] = plain;
  }
  x.contexts.Release(std::move(ctx));
}

}  // namespace

Result<RouterTrainingProgress> VectorIndex::RouterTrainingStep(uint32_t max_walks) {
  Impl& x = *impl_;
  if (!x.router_training) return Status::FailedPrecondition("no router training was begun (BeginRouterTraining)");
  if (max_walks == 0) return Status::InvalidArgument("max_walks must be at least 1");
  RouterTraining& t = *x.router_training;
  if (x.changes != t.changes_at_begin) {
    x.router_training.reset();
    return Status::FailedPrecondition("the index changed during router training (items added or deleted); begin again");
  }
  // The first walks, then (skipping) the basis, then the held-out walks again per margin.
  if (t.walked == t.count && t.skipping && !t.basis_fitted) {
    FitSkipBasis(x, t);
    t.basis_fitted = true;
  }
  const size_t to = std::min(t.walked < t.count ? t.count : t.total(), t.walked + max_walks);
  if (to > t.walked) {
    auto paging = x.LockIfPaged();
    Status walked = RecordWalks(x, t, t.walked, to);
    if (!walked.ok()) {
      x.router_training.reset();
      return walked;
    }
  }
  t.walked = to;
  RouterTrainingProgress progress;
  progress.walks_done = t.walked;
  progress.walks_total = t.total();
  if (t.walked < t.total()) return progress;

  // The last walk: fit, install, and put the router in the file.
  std::unique_ptr<RouterTraining> finished = std::move(x.router_training);
  routing::StopModel model;
  auto report = FitRouter(*finished, &model);
  if (!report.ok()) return report.status();
  {
    auto paging = x.LockIfPaged();
    CalibratePlainWalks(x, *finished, &model, &report.value());
    if (x.paged() && !x.TakePagingErrors().ok()) return Status::Corrupt("router training: a paged read of the index file failed");
  }
  bool skips = false;
  for (float m : model.margins) skips |= m > 0;
  if (skips) {
    x.InstallRouter(model, finished->options.default_target_recall, 0, std::move(finished->basis),
                    std::move(finished->table));
  } else {
    x.InstallRouter(model, finished->options.default_target_recall, 0);
  }
  progress.report = report.take();
  progress.report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - finished->started).count();
  progress.report.threads = WalkThreads(x, *finished);
  progress.done = true;
  // The log has no record for a router: a checkpoint puts it in the file.
  if (x.durable) NV_RETURN_IF_ERROR(Checkpoint());
  return progress;
}

Result<RouterReport> VectorIndex::TrainRouter(const RouterOptions& options) {
  NV_RETURN_IF_ERROR(BeginRouterTraining(options));
  // Steps of about 2% of the walks, with the progress callback between them.
  const size_t total = impl_->router_training->total();
  const uint32_t slice = static_cast<uint32_t>(std::max<size_t>(options.threads, total / 50));
  while (true) {
    auto step = RouterTrainingStep(slice);
    if (!step.ok()) return step.status();
    if (step.value().done) {
      if (options.on_progress) options.on_progress(1.0);
      return step.value().report;
    }
    if (options.on_progress &&
        !options.on_progress(0.95 * static_cast<double>(step.value().walks_done) / step.value().walks_total)) {
      CancelRouterTraining();
      return Status::Aborted("router training cancelled");
    }
  }
}

Result<std::vector<routing::StopDecision>> TraceLearnedWalk(const VectorIndex& index, const float* query,
                                                            float target_recall) {
  const IndexState& x = IndexInternals::Of(index);
  if (!x.router) return Status::FailedPrecondition("this index has no router: train one first (TrainRouter)");
  SearchParams params;
  params.k = x.router->model.k;
  params.routing = RoutingMode::kLearned;
  params.target_recall = target_recall;
  NV_RETURN_IF_ERROR(x.ValidateQuery(query, params));
  auto paging = x.LockIfPaged();
  std::unique_ptr<SearchContext> ctx = x.contexts.Acquire();
  std::vector<float> q(x.store.stride());
  x.store.Encode(query, q.data());
  // As Search's learned branch (vector_index.cc), with the decisions traced.
  const float target = target_recall > 0 ? target_recall : x.router->default_target;
  routing::StopTracker stop(x.router->model, x.router->model.ThresholdFor(target));
  std::vector<routing::StopDecision> decisions;
  stop.Trace(&decisions);
  std::optional<routing::NeighbourFilter> filter;
  const float margin = x.router->model.MarginFor(target);
  if (margin > 0 && x.SkipsNeighbours()) {
    filter.emplace(x.router->basis, x.router->table, q.data(), margin);
    stop.Filter(&*filter);
  }
  const uint8_t* live = x.live.data();
  TraversalCounters counters;
  const uint32_t ef = x.router->model.training_ef;  // as Search with ef 0
  x.graph.Search(q.data(), ef, x.store, [live](uint32_t s) { return live[s] != 0; }, false, *ctx, counters, stop);
  x.contexts.Release(std::move(ctx));
  if (x.paged()) NV_RETURN_IF_ERROR(x.TakePagingErrors());
  return decisions;
}

Status VectorIndex::DropRouter() {
  Impl& x = *impl_;
  NV_RETURN_IF_ERROR(x.BeforeWrite());
  if (!x.router) return Status::Ok();
  x.router.reset();
  return x.durable ? Checkpoint() : Status::Ok();
}

}  // namespace neurovec
