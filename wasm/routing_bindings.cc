// The C ABI of learned routing (neurovec_c.h: nv_router_*, nv_drop_router,
// nv_routing_stats). Training runs in slices so the JS caller can yield to
// its event loop between them (progress, AbortSignal).
#include <cmath>
#include <cstring>

#include "neurovec_c.h"
#include "nv_index.h"

extern "C" {

int32_t nv_router_train_begin(nv_index* index, uint32_t k, uint32_t ef, uint32_t items, double calibration_share,
                              double default_target_recall, double seed, const float* queries, uint32_t query_count,
                              uint32_t skip_rank, int32_t plain_when_faster) {
  nv_internal_clear_error();
  neurovec::RouterOptions o;
  o.k = k;
  o.ef = ef;
  o.items = items;
  o.calibration_share = calibration_share;
  o.default_target_recall = static_cast<float>(default_target_recall);
  if (!(seed >= 0 && seed <= 9007199254740991.0) || std::floor(seed) != seed) {
    return nv_internal_fail(neurovec::Status::InvalidArgument("router seed must be an integer from 0 to 2^53 - 1"));
  }
  o.seed = static_cast<uint64_t>(seed);
  o.queries = queries;
  o.query_count = queries != nullptr ? query_count : 0;
  o.skip_rank = skip_rank;
  o.plain_when_faster = plain_when_faster != 0;
  o.threads = g_batch_threads;  // nv_set_threads: 1 in the single-thread build
  neurovec::Status s = index->index->BeginRouterTraining(o);
  return s.ok() ? 0 : nv_internal_fail(s);
}

int32_t nv_router_train_step(nv_index* index, uint32_t max_walks, double* out) {
  nv_internal_clear_error();
  auto step = index->index->RouterTrainingStep(max_walks);
  if (!step.ok()) {
    index->index->CancelRouterTraining();
    return nv_internal_fail(step.status());
  }
  const neurovec::RouterTrainingProgress& p = step.value();
  const neurovec::RouterReport& r = p.report;
  const double values[14] = {
      double(p.walks_done),   double(p.walks_total),        double(r.training_walks),
      double(r.calibration_walks), double(r.records),       r.seconds,
      r.full_walk_recall,     r.full_walk_computations,     r.routed_recall,
      r.routed_computations,  double(r.model_bytes),        r.routed_estimates,
      double(r.skip_rank),    double(r.threads)};
  static_assert(NV_ROUTER_PROGRESS_COUNT == 14 + 4 * 8, "the progress layout of neurovec_c.h");
  std::memcpy(out, values, sizeof values);
  for (int i = 0; i < 8; ++i) {
    out[14 + i] = r.plain_ef[i];
    out[22 + i] = r.plain_serves[i] ? 1.0 : 0.0;
    out[30 + i] = r.learned_us[i];
    out[38 + i] = r.plain_us[i];
  }
  return p.done ? 1 : 0;
}

void nv_router_train_cancel(nv_index* index) { index->index->CancelRouterTraining(); }

int32_t nv_drop_router(nv_index* index) {
  nv_internal_clear_error();
  neurovec::Status s = index->index->DropRouter();
  return s.ok() ? 0 : nv_internal_fail(s);
}

void nv_routing_stats(nv_index* index, double* out) {
  const neurovec::RoutingStats r = index->index->Stats().routing;
  const double values[NV_ROUTING_STATS_COUNT] = {r.trained ? 1.0 : 0.0,    double(r.k),         double(r.ef),
                                                 double(r.learned_searches), double(r.early_stops), double(r.fallbacks),
                                                 double(r.changes_since_training), double(r.unfamiliar),
                                                 double(r.skipped_neighbours), double(r.skip_rank),
                                                 double(r.skip_table_bytes), double(r.plain_served)};
  std::memcpy(out, values, sizeof values);
}

}  // extern "C"
