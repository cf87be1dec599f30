// Workload adaptation in the JS API (VectorIndex::SetWorkloadSampling and
// AdaptToWorkload in the core, index/workload_adaptation.cc): option checks
// and the counters. Kept apart from vector_index.ts, like routing.ts.
import { invalid } from './errors.js';
import { flatQueries, type RoutingHost } from './routing.js';
import type { AdaptToWorkloadOptions, AdaptToWorkloadReport, WorkloadSamplingOptions, WorkloadStats } from './types.js';
import { checkInteger, describeValue } from './validation.js';
import { readDoubles } from './wasm_module.js';

const WORKLOAD_STATS_COUNT = 11;
const OPTION_NAMES = ['hints', 'coverage', 'minQueries', 'queries', 'seed'];
const SAMPLING_OPTION_NAMES = ['adaptEvery', 'hints', 'coverage', 'minQueries', 'seed'];

function checkOptionNames(call: string, options: object, names: string[]): void {
  for (const key of Object.keys(options)) {
    if (!names.includes(key)) throw invalid(`unknown ${call} option "${key}"; expected one of ${names.join(', ')}`);
  }
}

/** The adaptation settings both calls share, checked, with their defaults. */
function adaptSettings(options: Omit<AdaptToWorkloadOptions, 'queries'>) {
  const hints = checkInteger('hints', options.hints ?? 8, 1, 1024);
  const coverage = options.coverage ?? 0.9;
  if (typeof coverage !== 'number' || !(coverage >= 0 && coverage <= 1)) {
    throw invalid(`coverage must be a number from 0 to 1 (the share of adapting queries a hint serves), got ${describeValue(coverage)}`);
  }
  const minQueries = checkInteger('minQueries', options.minQueries ?? 256, 1, Number.MAX_SAFE_INTEGER);
  const seed = checkInteger('seed', options.seed ?? 1, 0, Number.MAX_SAFE_INTEGER);
  return { hints, coverage, minQueries: Math.min(minQueries, 0xffffffff), seed };
}

export function setWorkloadSampling(host: RoutingHost, capacity: unknown, options: WorkloadSamplingOptions = {}): number {
  const n = checkInteger('capacity', capacity, 0, 1 << 20);
  if (options === null || typeof options !== 'object') {
    throw invalid('setWorkloadSampling options must be an object like { adaptEvery: 1024 }');
  }
  checkOptionNames('setWorkloadSampling', options, SAMPLING_OPTION_NAMES);
  const adaptEvery = checkInteger('adaptEvery', options.adaptEvery ?? 0, 0, 1 << 24);
  if (adaptEvery > 0 && n === 0) throw invalid('adaptEvery needs a workload sample to adapt from (capacity > 0)');
  const a = adaptSettings(options);
  const rc = host.mod._nv_set_workload_sampling(host.handle(), n, adaptEvery, a.hints, a.coverage, a.minQueries, a.seed);
  if (rc < 0) throw host.error();
  return adaptEvery;
}

/**
 * Automatic re-adaptation (setWorkloadSampling's adaptEvery): after each
 * search the index is asked whether an adaptation is due (one cheap call),
 * and a due one runs at the next turn of the event loop, not inside the
 * search that made it due. A failure never throws from there: its message
 * stays for stats().workload.lastAdaptationError.
 */
export class WorkloadAutoAdapter {
  lastError?: string;
  private scheduled = false;

  constructor(private readonly host: RoutingHost) {}

  afterSearch(): void {
    if (this.scheduled || this.host.mod._nv_workload_adaptation_due(this.host.handle()) !== 1) return;
    this.scheduled = true;
    // setImmediate where there is one (Node): it runs before timers and I/O
    // callbacks queued later, so the next request already walks from the new hints.
    if (typeof setImmediate === 'function') setImmediate(() => this.run());
    else setTimeout(() => this.run(), 0);
  }

  private run(): void {
    this.scheduled = false;
    const handle = this.host.handle();
    if (!handle) return;  // disposed meanwhile
    if (this.host.mod._nv_adapt_workload_if_due(handle) < 0) this.lastError = this.host.error().message;
  }
}

export function adaptToWorkload(host: RoutingHost, options: AdaptToWorkloadOptions = {}): AdaptToWorkloadReport {
  if (options === null || typeof options !== 'object') throw invalid('adaptToWorkload expects an options object like { hints: 8 }');
  checkOptionNames('adaptToWorkload', options, OPTION_NAMES);
  const { hints, coverage, minQueries, seed } = adaptSettings(options);
  const queries = options.queries === undefined ? undefined : flatQueries(host, options.queries);
  const mod = host.mod;
  const qptr = queries ? mod._malloc(queries.byteLength) : 0;
  try {
    if (queries) mod.HEAPF32.set(queries, qptr >>> 2);
    const r = readDoubles(mod, 4, (out) => {
      const rc = mod._nv_adapt_to_workload(host.handle(), hints, coverage, minQueries, seed, qptr,
        queries ? queries.length / host.dimensions : 0, out);
      if (rc < 0) throw host.error();
    });
    return { hints: r[0], bound: r[1], queries: r[2], seconds: r[3] };
  } finally {
    if (qptr) mod._free(qptr);
  }
}

export function workloadStats(host: RoutingHost, auto?: WorkloadAutoAdapter): WorkloadStats {
  const r = readDoubles(host.mod, WORKLOAD_STATS_COUNT, (ptr) => host.mod._nv_workload_stats(host.handle(), ptr));
  return {
    sampleCapacity: r[0], sampled: r[1], recorded: r[2], sinceAdaptation: r[3], hints: r[4], bound: r[5],
    hintedSearches: r[6], unhintedSearches: r[7], adaptEvery: r[8], adaptationDue: r[9] === 1, adaptations: r[10],
    ...(auto?.lastError !== undefined ? { lastAdaptationError: auto.lastError } : {}),
  };
}
