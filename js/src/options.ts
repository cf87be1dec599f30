// Resolution of VectorIndex.create's options: every option checked (with the
// leaf checks of validation.ts) and every default filled in from limits.ts.
import { invalid } from './errors.js';
import { DEFAULTS } from './limits.js';
import { resolveQuantized, type ResolvedQuantized } from './quantized.js';
import { resolveTiers, type ResolvedTiers } from './tiers.js';
import type { CreateOptions, Metric } from './types.js';
import { checkInteger, describeValue, MAX_DIMENSIONS, MAX_EF, MAX_M, METRICS } from './validation.js';

export interface ResolvedOptions {
  dimensions: number;
  metric: Metric;
  m: number;
  efConstruction: number;
  efSearch: number;
  seed: number;
  initialCapacity: number;
  quantizedTraversal?: ResolvedQuantized;
  tiers?: ResolvedTiers;
}

export function resolveCreateOptions(options: CreateOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw invalid(`VectorIndex.create expects an options object like { dimensions: 384 }, got ${describeValue(options)}`);
  }
  const known = new Set(['dimensions', 'metric', 'm', 'efConstruction', 'efSearch', 'seed', 'initialCapacity', 'storage',
    'quantizedTraversal', 'tiers', 'learning']);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw invalid(`unknown option "${key}"; expected one of ${[...known].join(', ')}`);
  }
  if (options.dimensions === undefined) throw invalid('dimensions is required (the length of every vector)');
  const metric = options.metric ?? DEFAULTS.metric;
  if (!METRICS.includes(metric)) {
    throw invalid(`unknown metric ${describeValue(metric)}; expected one of ${METRICS.map((m) => `"${m}"`).join(', ')}`);
  }
  return {
    dimensions: checkInteger('dimensions', options.dimensions, 1, MAX_DIMENSIONS),
    metric,
    m: checkInteger('m', options.m ?? DEFAULTS.m, 2, MAX_M),
    efConstruction: checkInteger('efConstruction', options.efConstruction ?? DEFAULTS.efConstruction, 1, MAX_EF),
    efSearch: checkInteger('efSearch', options.efSearch ?? DEFAULTS.efSearch, 1, MAX_EF),
    seed: checkInteger('seed', options.seed ?? DEFAULTS.seed, 0, Number.MAX_SAFE_INTEGER),
    initialCapacity: checkInteger('initialCapacity', options.initialCapacity ?? DEFAULTS.initialCapacity, 0, 2 ** 31),
    ...(options.quantizedTraversal === undefined ? {} : { quantizedTraversal: resolveQuantized(options.quantizedTraversal) }),
    ...tiersOption(options),
  };
}

function tiersOption(options: CreateOptions): { tiers?: ResolvedTiers } {
  const tiers = resolveTiers(options.tiers);
  if (tiers && options.quantizedTraversal !== undefined) {
    throw invalid('tiers and quantizedTraversal cannot be combined: both decide how the graph walk scores items; pick one');
  }
  return tiers ? { tiers } : {};
}
