// The C API of workload adaptation (VectorIndex::SetWorkloadSampling,
// AdaptToWorkload, DropWorkloadAdaptation, IndexStats::workload).
#include <cmath>
#include <cstring>

#include "neurovec_c.h"
#include "nv_index.h"

extern "C" {

int32_t nv_set_workload_sampling(nv_index* index, uint32_t capacity) {
  nv_internal_clear_error();
  neurovec::Status s = index->index->SetWorkloadSampling(capacity);
  return s.ok() ? 0 : nv_internal_fail(s);
}

int32_t nv_adapt_to_workload(nv_index* index, uint32_t hints, double coverage, uint32_t min_queries, double seed,
                             const float* queries, uint32_t query_count, double* out) {
  nv_internal_clear_error();
  if (!(seed >= 0 && seed <= 9007199254740991.0) || std::floor(seed) != seed) {
    return nv_internal_fail(neurovec::Status::InvalidArgument("adaptation seed must be an integer from 0 to 2^53 - 1"));
  }
  neurovec::AdaptOptions o;
  o.hints = hints;
  o.coverage = static_cast<float>(coverage);
  o.min_queries = min_queries;
  o.seed = static_cast<uint64_t>(seed);
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
                                                  double(w.hinted_searches), double(w.unhinted_searches)};
  std::memcpy(out, values, sizeof values);
}

}  // extern "C"
