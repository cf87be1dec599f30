// The C API of workload adaptation (VectorIndex::SetWorkloadSampling,
// AdaptToWorkload, DropWorkloadAdaptation, IndexStats::workload).
#include <cmath>
#include <cstring>

#include "neurovec_c.h"
#include "nv_index.h"

extern "C" {

namespace {

bool SeedIsValid(double seed) { return seed >= 0 && seed <= 9007199254740991.0 && std::floor(seed) == seed; }

neurovec::AdaptOptions MakeAdaptOptions(uint32_t hints, double coverage, uint32_t min_queries, double seed) {
  neurovec::AdaptOptions o;
  o.hints = hints;
  o.coverage = static_cast<float>(coverage);
  o.min_queries = min_queries;
  o.seed = static_cast<uint64_t>(seed);
  return o;
}

constexpr const char* kBadSeed = "adaptation seed must be an integer from 0 to 2^53 - 1";

}  // namespace

int32_t nv_set_workload_sampling(nv_index* index, uint32_t capacity, uint32_t adapt_every, uint32_t hints,
                                 double coverage, uint32_t min_queries, double seed) {
  nv_internal_clear_error();
  if (!SeedIsValid(seed)) return nv_internal_fail(neurovec::Status::InvalidArgument(kBadSeed));
  neurovec::WorkloadSamplingOptions o;
  o.capacity = capacity;
  o.adapt_every = adapt_every;
  o.adapt = MakeAdaptOptions(hints, coverage, min_queries, seed);
  neurovec::Status s = index->index->SetWorkloadSampling(o);
  return s.ok() ? 0 : nv_internal_fail(s);
}

int32_t nv_adapt_workload_if_due(nv_index* index) {
  nv_internal_clear_error();
  auto ran = index->index->AdaptWorkloadIfDue();
  if (!ran.ok()) return nv_internal_fail(ran.status());
  return ran.value() ? 1 : 0;
}

int32_t nv_workload_adaptation_due(nv_index* index) { return index->index->WorkloadAdaptationDue() ? 1 : 0; }

int32_t nv_adapt_to_workload(nv_index* index, uint32_t hints, double coverage, uint32_t min_queries, double seed,
                             const float* queries, uint32_t query_count, double* out) {
  nv_internal_clear_error();
  if (!SeedIsValid(seed)) return nv_internal_fail(neurovec::Status::InvalidArgument(kBadSeed));
  neurovec::AdaptOptions o = MakeAdaptOptions(hints, coverage, min_queries, seed);
  o.queries = queries;
  o.query_count = queries ? query_count : 0;
  auto report = index->index->AdaptToWorkload(o);
  if (!report.ok()) return nv_internal_fail(report.status());
  const neurovec::AdaptReport& r = report.value();
  out[0] = r.hints;
  out[1] = r.bound;
  out[2] = static_cast<double>(r.queries);
  out[3] = r.seconds;
  return 0;
}

void nv_drop_workload_adaptation(nv_index* index) { index->index->DropWorkloadAdaptation(); }

void nv_workload_stats(nv_index* index, double* out) {
  const neurovec::WorkloadStats w = index->index->Stats().workload;
  const double values[NV_WORKLOAD_STATS_COUNT] = {double(w.sample_capacity), double(w.sampled),
                                                  double(w.recorded),        double(w.since_adaptation),
                                                  double(w.hints),           double(w.bound),
                                                  double(w.hinted_searches), double(w.unhinted_searches),
                                                  double(w.adapt_every),     w.adaptation_due ? 1.0 : 0.0,
                                                  double(w.adaptations)};
  std::memcpy(out, values, sizeof values);
}

}  // extern "C"
