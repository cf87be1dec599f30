// Workload adaptation (issue 15): the index keeps a sample of the queries it
// serves and, on AdaptToWorkload, turns the regions they concentrate in into
// entry hints for the walk (hnsw/hnsw_graph.h, EntryHints).
//
// Why start points: on Fashion-MNIST 60k (M 16) the descent through the upper
// levels costs about 68 distance computations per query, a quarter of a walk
// at ef 16 and more of a learned walk that stops early. A query near a hint
// skips it for `hints` distances. Queries far from every hint pay those
// distances too; the bound keeps them on the usual descent.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "index/vector_index_impl.h"
#include "quantization/kmeans.h"

namespace neurovec {

Status AdaptOptions::Validate() const {
  if (hints < 1 || hints > kMaxHints) {
    return Status::InvalidArgument("hints must be 1..1024 (clusters of the workload), got " + std::to_string(hints));
  }
  if (!(coverage >= 0.0f && coverage <= 1.0f)) {
    return Status::InvalidArgument("coverage must be in [0, 1] (the share of adapting queries a hint serves)");
  }
  if (min_queries < 1) return Status::InvalidArgument("min_queries must be at least 1");
  if (query_count > 0 && queries == nullptr) return Status::InvalidArgument("query_count is set but queries is null");
  return Status::Ok();
}

Status WorkloadSamplingOptions::Validate() const {
  if (capacity > kMaxWorkloadSample) {
    return Status::InvalidArgument("workload sample capacity must be at most 1048576 queries, got " +
                                   std::to_string(capacity));
  }
  if (adapt_every > kMaxAdaptEvery) {
    return Status::InvalidArgument("adapt_every must be at most 16777216 queries (0: adapt by hand), got " +
                                   std::to_string(adapt_every));
  }
  if (adapt_every > 0 && capacity == 0) {
    return Status::InvalidArgument("adapt_every needs a workload sample to adapt from (capacity > 0)");
  }
  if (adapt.queries != nullptr || adapt.query_count > 0) {
    return Status::InvalidArgument("adapting again reads the workload sample: the adapt options take no queries");
  }
  Status s = adapt.Validate();
  return s.ok() ? s : Status::InvalidArgument("adapt options: " + s.message());
}

Status VectorIndex::SetWorkloadSampling(uint32_t capacity) {
  WorkloadSamplingOptions options;
  options.capacity = capacity;
  return SetWorkloadSampling(options);
}

Status VectorIndex::SetWorkloadSampling(const WorkloadSamplingOptions& options) {
  NV_RETURN_IF_ERROR(options.Validate());
  Impl& x = *impl_;
  std::lock_guard<std::mutex> lock(x.workload.mutex);
  x.workload.capacity = options.capacity;
  x.workload.adapt_every = options.adapt_every;
  x.workload.adapt = options.adapt;
  x.workload.ring.assign(static_cast<size_t>(options.capacity) * x.store.stride(), 0.0f);
  x.workload.ring.shrink_to_fit();
  x.workload.recorded = 0;
  x.workload.recorded_at_adaptation = 0;
  return Status::Ok();
}

bool VectorIndex::WorkloadAdaptationDue() const {
  std::lock_guard<std::mutex> lock(impl_->workload.mutex);
  return impl_->workload.Due();
}

Result<bool> VectorIndex::AdaptWorkloadIfDue() {
  Impl& x = *impl_;
  AdaptOptions adapt;
  {
    std::lock_guard<std::mutex> lock(x.workload.mutex);
    if (!x.workload.Due()) return false;
    adapt = x.workload.adapt;
  }
  auto report = AdaptToWorkload(adapt);
  if (!report.ok()) return report.status();
  return true;
}

Result<AdaptReport> VectorIndex::AdaptToWorkload(const AdaptOptions& options) {
  NV_RETURN_IF_ERROR(options.Validate());
  Impl& x = *impl_;
  const auto started = std::chrono::steady_clock::now();
  if (x.live_count == 0) return Status::FailedPrecondition("adapting to a workload needs a non-empty index");
  const size_t stride = x.store.stride();

  // The adapting queries, in stored form.
  std::vector<float> rows;
  size_t n = 0;
  uint64_t recorded = 0;
  if (options.queries != nullptr) {
    n = options.query_count;
    rows.resize(n * stride);
    for (size_t i = 0; i < n; ++i) {
      const float* q = options.queries + i * x.config.dimensions;
      Status s = x.store.Validate(q);
      if (!s.ok()) return Status::InvalidArgument("query " + std::to_string(i) + ": " + s.message());
      x.store.Encode(q, &rows[i * stride]);
    }
  } else {
    std::lock_guard<std::mutex> lock(x.workload.mutex);
    n = std::min<uint64_t>(x.workload.recorded, x.workload.capacity);
    rows.assign(x.workload.ring.begin(), x.workload.ring.begin() + n * stride);
    recorded = x.workload.recorded;
  }
  if (n < options.min_queries) {
    return Status::FailedPrecondition("adapting to the workload needs at least " + std::to_string(options.min_queries) +
                                      " queries, " + (options.queries ? "got " : "the sample holds ") +
                                      std::to_string(n) +
                                      (options.queries || x.workload.capacity ? "" : " (SetWorkloadSampling is off)"));
  }
  const uint32_t clusters = static_cast<uint32_t>(std::min<size_t>(options.hints, n));
  // The centres only pick start points: a few Lloyd steps do (squared L2 in
  // the stored form; for cosine, unit directions, the same order).
  std::vector<float> centres(static_cast<size_t>(clusters) * stride);
  quant::Kmeans(rows.data(), n, stride, clusters, 8, quant::KmeansInit::kPlusPlus, options.seed, centres.data());
  if (x.config.metric == Metric::kCosine) {
    for (uint32_t c = 0; c < clusters; ++c) {
      float* v = &centres[c * stride];
      float squared = 0;
      for (size_t j = 0; j < stride; ++j) squared += v[j] * v[j];
      const float norm = std::sqrt(std::max(squared, 1e-30f));
      for (size_t j = 0; j < stride; ++j) v[j] /= norm;
    }
  }

  // The stored item nearest each centre (a plain walk from the top: earlier
  // hints are cleared first so they do not steer it).
  auto paging = x.LockIfPaged();
  x.graph.SetEntryHints({});
  const uint8_t* live = x.live.data();
  std::unique_ptr<SearchContext> ctx = x.contexts.Acquire();
  EntryHints hints;
  for (uint32_t c = 0; c < clusters; ++c) {
    TraversalCounters ignored;
    const size_t walked = x.Walk(&centres[c * stride], 64, 1, [live](uint32_t s) { return live[s] != 0; }, false,
                                 *ctx, ignored);
    if (walked == 0) continue;
    uint32_t best = HnswGraph::kNone;
    float best_distance = std::numeric_limits<float>::infinity();
    for (const Candidate& r : ctx->results) {
      if (r.distance < best_distance) {
        best_distance = r.distance;
        best = r.slot;
      }
    }
    if (best != HnswGraph::kNone && std::find(hints.slots.begin(), hints.slots.end(), best) == hints.slots.end()) {
      hints.slots.push_back(best);
    }
  }
  x.contexts.Release(std::move(ctx));
  Status failed = x.TakePagingErrors();
  if (!failed.ok()) return failed;
  if (hints.slots.empty()) return Status::FailedPrecondition("no live item could be reached to start walks from");

  // The bound: the distance to the nearest hint within which `coverage` of
  // the adapting queries fall.
  std::vector<float> to_hint(n);
  for (size_t i = 0; i < n; ++i) {
    float best = std::numeric_limits<float>::infinity();
    for (uint32_t slot : hints.slots) best = std::min(best, x.store.Distance(&rows[i * stride], x.store.Row(slot)));
    to_hint[i] = best;
  }
  std::sort(to_hint.begin(), to_hint.end());
  if (options.coverage <= 0.0f) {
    hints.bound = -std::numeric_limits<float>::infinity();
  } else {
    const size_t at = std::min(n - 1, static_cast<size_t>(std::ceil(options.coverage * n)) - 1);
    hints.bound = to_hint[at];
  }
  failed = x.TakePagingErrors();
  if (!failed.ok()) return failed;

  AdaptReport report;
  report.hints = static_cast<uint32_t>(hints.slots.size());
  report.bound = hints.bound;
  report.queries = n;
  x.graph.SetEntryHints(std::move(hints));
  {
    std::lock_guard<std::mutex> lock(x.workload.mutex);
    if (options.queries == nullptr) x.workload.recorded_at_adaptation = recorded;
    ++x.workload.adaptations;
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

void VectorIndex::DropWorkloadAdaptation() { impl_->graph.SetEntryHints({}); }

}  // namespace neurovec
