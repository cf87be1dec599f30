// Compression tiers in the JS API (IndexConfig::tiers in the core): option
// checks, and the calls that enable them and read their state and memory.
// Kept apart from vector_index.ts, like quantized.ts.
import { invalid } from './errors.js';
import { DEFAULTS, LIMITS } from './limits.js';
import type { TierCounts, TierMemoryStats, TiersOptions } from './types.js';
import { readDoubles, type NeurovecWasmModule } from './wasm_module.js';
import { describeValue } from './validation.js';

// Tier options are often booleans: they show as their value.
const describe = (value: unknown): string => (typeof value === 'boolean' ? String(value) : describeValue(value));

const TIER_NAMES = ['hot', 'warm', 'cool', 'cold', 'archive'] as const;
const OPTION_NAMES = ['enabled', 'thresholds', 'halfLifeSeconds', 'hysteresis', 'rerank', 'migrationBudget', 'trainItems'];

export interface ResolvedTiers {
  thresholds: { hot: number; warm: number; cool: number; cold: number };
  halfLifeSeconds: number;
  hysteresis: number;
  rerank: number;
  migrationBudget: number;
  trainItems: number;
}

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`tiers.${name} must be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

/** Checks `tiers` of CreateOptions; undefined when absent or disabled. */
export function resolveTiers(value: unknown): ResolvedTiers | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(`tiers must be an object like { enabled: true }, got ${describe(value)}`);
  }
  const t = value as Partial<TiersOptions> & Record<string, unknown>;
  for (const key of Object.keys(t)) {
    if (!OPTION_NAMES.includes(key)) throw invalid(`unknown tiers option "${key}"; expected one of ${OPTION_NAMES.join(', ')}`);
  }
  if (typeof t.enabled !== 'boolean') throw invalid(`tiers.enabled must be true or false, got ${describe(t.enabled)}`);
  if (!t.enabled) return undefined;
  const given = (t.thresholds ?? {}) as Record<string, unknown>;
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw invalid(`tiers.thresholds must be an object like { hot: 0.8, warm: 0.4, cool: 0.1, cold: 0.01 }, got ${describe(given)}`);
  }
  for (const key of Object.keys(given)) {
    if (!['hot', 'warm', 'cool', 'cold'].includes(key)) {
      throw invalid(`unknown tiers.thresholds key "${key}"; expected hot, warm, cool or cold`);
    }
  }
  const thresholds: ResolvedTiers['thresholds'] = { ...DEFAULTS.tiers.thresholds };
  for (const key of ['hot', 'warm', 'cool', 'cold'] as const) {
    const v = given[key] ?? thresholds[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 1) {
      throw invalid(`tiers.thresholds.${key} must be a number in (0, 1], got ${describe(v)}`);
    }
    thresholds[key] = v;
  }
  if (!(thresholds.hot > thresholds.warm && thresholds.warm > thresholds.cool && thresholds.cool > thresholds.cold)) {
    throw invalid(`tiers.thresholds must decrease strictly (hot > warm > cool > cold), got ` +
      `${thresholds.hot} / ${thresholds.warm} / ${thresholds.cool} / ${thresholds.cold}`);
  }
  const halfLifeSeconds = t.halfLifeSeconds ?? DEFAULTS.tiers.halfLifeSeconds;
  if (typeof halfLifeSeconds !== 'number' || !Number.isFinite(halfLifeSeconds) || halfLifeSeconds <= 0) {
    throw invalid(`tiers.halfLifeSeconds must be a finite number > 0, got ${describe(halfLifeSeconds)}`);
  }
  const hysteresis = t.hysteresis ?? DEFAULTS.tiers.hysteresis;
  if (typeof hysteresis !== 'number' || !Number.isFinite(hysteresis) || hysteresis < 0 || hysteresis > 0.9) {
    throw invalid(`tiers.hysteresis must be a number from 0 to 0.9, got ${describe(hysteresis)}`);
  }
  return {
    thresholds,
    halfLifeSeconds,
    hysteresis,
    rerank: integer('rerank', t.rerank ?? DEFAULTS.tiers.rerank, 0, LIMITS.maxEf),
    migrationBudget: integer('migrationBudget', t.migrationBudget ?? DEFAULTS.tiers.migrationBudget, 0, LIMITS.maxMigrationBudget),
    trainItems: integer('trainItems', t.trainItems ?? DEFAULTS.tiers.trainItems, LIMITS.minTierTrainItems, LIMITS.maxTrainItems),
  };
}

/** Turns tiers on for a fresh index; returns the core's rc (0, or -1 with the error set). */
export function enableTiers(mod: NeurovecWasmModule, handle: number, t: ResolvedTiers): number {
  const th = t.thresholds;
  return mod._nv_enable_tiers(handle, th.hot, th.warm, th.cool, th.cold, t.halfLifeSeconds, t.hysteresis, t.rerank,
    t.migrationBudget, t.trainItems);
}

function counts(values: Float64Array, from: number): TierCounts {
  return { hot: values[from], warm: values[from + 1], cool: values[from + 2], cold: values[from + 3], archive: values[from + 4] };
}

/** The configuration, codebook state and items per tier; undefined without tiers. */
export function tierInfo(mod: NeurovecWasmModule, handle: number):
  (ResolvedTiers & { trained: boolean; counts: TierCounts }) | undefined {
  const v = readDoubles(mod, 16, (ptr) => mod._nv_tier_info(handle, ptr));
  if (v[0] === 0) return undefined;
  return {
    trained: v[1] === 1,
    // The core keeps thresholds and hysteresis as float32: round back to what was given.
    thresholds: { hot: Math.fround(v[2]), warm: Math.fround(v[3]), cool: Math.fround(v[4]), cold: Math.fround(v[5]) },
    halfLifeSeconds: v[6], hysteresis: Math.fround(v[7]), rerank: v[8], migrationBudget: v[9], trainItems: v[10],
    counts: counts(v, 11),
  };
}

export function tierMemory(mod: NeurovecWasmModule, handle: number): TierMemoryStats {
  const v = readDoubles(mod, 7, (ptr) => mod._nv_tier_memory(handle, ptr));
  return { tiers: counts(v, 0), codebooks: v[5], vectorsIfReleased: v[6] };
}

/** Runs nv_recompress; null when the core refused (its error is set). */
export function recompress(mod: NeurovecWasmModule, handle: number): TierCounts | null {
  const ptr = mod._malloc(5 * 8);
  try {
    if (mod._nv_recompress(handle, ptr) < 0) return null;
    return counts(mod.HEAPF64.slice(ptr >>> 3, (ptr >>> 3) + 5), 0);
  } finally {
    mod._free(ptr);
  }
}

export { TIER_NAMES };
