// Workload adaptation in the JS API (VectorIndex::SetWorkloadSampling and
// AdaptToWorkload in the core, index/workload_adaptation.cc): option checks
// and the counters. Kept apart from vector_index.ts, like routing.ts.
import { invalid } from './errors.js';
import { flatQueries, type RoutingHost } from './routing.js';
import type { AdaptToWorkloadOptions, AdaptToWorkloadReport, WorkloadStats } from './types.js';
import { checkInteger, describeValue } from './validation.js';
import { readDoubles } from './wasm_module.js';

const WORKLOAD_STATS_COUNT = 8;
const OPTION_NAMES = ['hints', 'coverage', 'minQueries', 'queries', 'seed'];

export function setWorkloadSampling(host: RoutingHost, capacity: unknown): void {
  const n = checkInteger('capacity', capacity, 0, 1 << 20);
  if (host.mod._nv_set_workload_sampling(host.handle(), n) < 0) throw host.error();
}

export function adaptToWorkload(host: RoutingHost, options: AdaptToWorkloadOptions = {}): AdaptToWorkloadReport {
  if (options === null || typeof options !== 'object') throw invalid('adaptToWorkload expects an options object like { hints: 8 }');
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) throw invalid(`unknown adaptToWorkload option "${key}"; expected one of ${OPTION_NAMES.join(', ')}`);
  }
  const hints = checkInteger('hints', options.hints ?? 8, 1, 1024);
  const coverage = options.coverage ?? 0.9;
  if (typeof coverage !== 'number' || !(coverage >= 0 && coverage <= 1)) {
    throw invalid(`coverage must be a number from 0 to 1 (the share of adapting queries a hint serves), got ${describeValue(coverage)}`);
  }
  const minQueries = checkInteger('minQueries', options.minQueries ?? 256, 1, Number.MAX_SAFE_INTEGER);
  const seed = checkInteger('seed', options.seed ?? 1, 0, Number.MAX_SAFE_INTEGER);
  const queries = options.queries === undefined ? undefined : flatQueries(host, options.queries);
  const mod = host.mod;
  const qptr = queries ? mod._malloc(queries.byteLength) : 0;
  try {
    if (queries) mod.HEAPF32.set(queries, qptr >>> 2);
    const r = readDoubles(mod, 4, (out) => {
      const rc = mod._nv_adapt_to_workload(host.handle(), hints, coverage, Math.min(minQueries, 0xffffffff), seed, qptr,
        queries ? queries.length / host.dimensions : 0, out);
      if (rc < 0) throw host.error();
    });
    return { hints: r[0], bound: r[1], queries: r[2], seconds: r[3] };
  } finally {
    if (qptr) mod._free(qptr);
  }
}

export function workloadStats(host: RoutingHost): WorkloadStats {
  const r = readDoubles(host.mod, WORKLOAD_STATS_COUNT, (ptr) => host.mod._nv_workload_stats(host.handle(), ptr));
  return {
    sampleCapacity: r[0], sampled: r[1], recorded: r[2], sinceAdaptation: r[3], hints: r[4], bound: r[5],
    hintedSearches: r[6], unhintedSearches: r[7],
  };
}
