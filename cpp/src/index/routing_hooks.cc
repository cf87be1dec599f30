// Learned routing at the index level: TrainRouter runs the walks a router
// learns from (routing/stop_trainer.h fits and calibrates it); searches use
// it through Impl::RouterFor (vector_index.cc).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

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

Result<RouterReport> VectorIndex::TrainRouter(const RouterOptions& options) {
  NV_RETURN_IF_ERROR(options.Validate());
  Impl& x = *impl_;
  const uint64_t needed = std::max<uint64_t>(100, 2ull * options.k);
  if (x.live_count < needed) {
    return Status::FailedPrecondition("training a router needs at least " + std::to_string(needed) +
                                      " live items, the index holds " + std::to_string(x.live_count));
  }
  auto paging = x.LockIfPaged();
  const auto started = std::chrono::steady_clock::now();

  // Sampled live items, in a seeded order: the first share trains, the rest calibrates.
  std::vector<uint32_t> live_slots;
  live_slots.reserve(x.live_count);
  for (uint32_t s = 0; s < x.used_slots; ++s) {
    if (x.live[s]) live_slots.push_back(s);
  }
  Random rng(options.seed);
  const bool given = options.queries != nullptr;
  const size_t n = given ? options.query_count : std::min<size_t>(options.items, live_slots.size());
  if (given) {
    for (size_t i = 0; i < n; ++i) {
      Status s = x.store.Validate(options.queries + i * x.config.dimensions);
      if (!s.ok()) return Status::InvalidArgument("router query " + std::to_string(i) + ": " + s.message());
    }
  } else {
    for (size_t i = 0; i < n; ++i) std::swap(live_slots[i], live_slots[i + rng.NextBelow(live_slots.size() - i)]);
    live_slots.resize(n);
  }
  const size_t calibration = std::max<size_t>(1, static_cast<size_t>(std::lround(n * options.calibration_share)));
  const size_t training = n - calibration;

  const uint32_t k = options.k;
  std::vector<routing::RecordedWalk> walks(n);
  std::atomic<size_t> next{0}, finished{0};
  std::atomic<bool> cancelled{false};
  std::atomic<bool> failed{false};
  const uint8_t* live = x.live.data();
  const uint32_t stride = x.store.stride();

  auto work = [&](bool reports) {
    std::unique_ptr<SearchContext> ctx = x.contexts.Acquire();
    std::vector<float> query(stride);
    std::vector<Candidate> heap;
    std::vector<uint32_t> truth;
    size_t last_reported = 0;
    while (!cancelled.load(std::memory_order_relaxed)) {
      const size_t i = next.fetch_add(1);
      if (i >= n) break;
      // A sampled item asks for its neighbours and leaves itself out (a copy:
      // a paged row may move while the scan reads others).
      const uint32_t self = given ? HnswGraph::kNone : live_slots[i];
      if (given) {
        x.store.Encode(options.queries + i * x.config.dimensions, query.data());
      } else {
        const float* row = x.store.Row(self);
        std::copy(row, row + stride, query.data());
      }
      TraversalCounters scan;
      auto others = [live, self](uint32_t s) { return live[s] != 0 && s != self; };
      x.ExactScan(query.data(), k, others, heap, scan);
      truth.clear();
      for (const Candidate& c : heap) truth.push_back(c.slot);

      routing::RecordedWalk& walk = walks[i];
      WalkRecorder recorder(k, truth, self, walk);
      TraversalCounters counters;
      x.graph.Search(query.data(), options.ef, x.store, others, false, *ctx, counters, recorder);
      walk.final_found = static_cast<uint16_t>(recorder.Found());
      walk.final_computations = static_cast<uint32_t>(counters.distance_computations);
      if (x.paged() && !x.TakePagingErrors().ok()) failed = true;

      const size_t done = finished.fetch_add(1) + 1;
      if (reports && options.on_progress && done >= last_reported + std::max<size_t>(1, n / 50)) {
        last_reported = done;
        if (!options.on_progress(0.95 * static_cast<double>(done) / n)) cancelled = true;
      }
    }
    x.contexts.Release(std::move(ctx));
  };
  uint32_t threads = options.threads;
#if defined(__EMSCRIPTEN__)
  threads = 1;
#endif
  if (x.paged()) threads = 1;  // one block cache
  std::vector<std::thread> pool;
  for (uint32_t t = 1; t < threads; ++t) pool.emplace_back(work, false);
  work(true);
  for (std::thread& t : pool) t.join();
  if (cancelled) return Status::Aborted("router training cancelled");
  if (failed) return Status::Corrupt("router training: a paged read of the index file failed");

  std::vector<routing::RecordedWalk> held_out(std::make_move_iterator(walks.begin() + training),
                                              std::make_move_iterator(walks.end()));
  walks.resize(training);

  routing::StopModel model;
  model.k = k;
  model.training_ef = options.ef;
  if (!routing::FitStopWeights(walks, model.weights)) {
    return Status::FailedPrecondition(
        "router training: the sampled walks give nothing to learn (every walk state was already final, or none "
        "was); try more items or a larger ef");
  }
  routing::CalibrateThresholds(held_out, model);

  RouterReport report;
  report.training_walks = training;
  report.calibration_walks = held_out.size();
  for (const auto& w : walks) report.records += w.records.size();
  const auto full = routing::ReplayWithThreshold(held_out, model, std::numeric_limits<float>::infinity());
  const auto routed = routing::ReplayWithThreshold(held_out, model, model.ThresholdFor(options.default_target_recall));
  report.full_walk_recall = full.recall;
  report.full_walk_computations = full.computations;
  report.routed_recall = routed.recall;
  report.routed_computations = routed.computations;
  report.model_bytes = sizeof(routing::StopModel);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  auto router = std::make_unique<Impl::Router>();
  router->model = model;
  router->default_target = options.default_target_recall;
  x.router = std::move(router);
  x.changes_at_router = x.changes;
  if (options.on_progress) options.on_progress(1.0);
  return report;
}

void VectorIndex::DropRouter() { impl_->router.reset(); }

}  // namespace neurovec
