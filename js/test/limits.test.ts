// The JS limits and defaults (js/src/limits.ts) agree with the core's
// (cpp/include/neurovec/config.h), and js/src has no import cycle.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, LIMITS } from '../src/limits.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const configH = readFileSync(join(ROOT, 'cpp/include/neurovec/config.h'), 'utf8');
const learningH = readFileSync(join(ROOT, 'cpp/include/neurovec/learning.h'), 'utf8');

/** The body of `struct Name { ... };` in config.h (or another header's text). */
function structBody(name: string, header = configH): string {
  const start = header.indexOf(`struct ${name} {`);
  expect(start, `struct ${name} in the header`).toBeGreaterThanOrEqual(0);
  return header.slice(start, header.indexOf('\n};', start));
}

/** The value of `NAME = <number | 1u << n | <number>f>;` in a struct body. */
function valueOf(body: string, name: string): number {
  const m = body.match(new RegExp(`\\b${name}\\s*=\\s*([^;]+);`));
  expect(m, `${name} in config.h`).not.toBeNull();
  const text = m![1].trim();
  const shift = text.match(/^(\d+)u?\s*<<\s*(\d+)$/);
  if (shift) return Number(shift[1]) * 2 ** Number(shift[2]);
  return Number(text.replace(/[uf]$/, '').replace(/\.0$/, ''));
}

describe('limits.ts against config.h', () => {
  const index = structBody('IndexConfig');
  const quantized = structBody('QuantizedTraversalConfig');
  const tiers = structBody('TiersConfig');
  const thresholds = structBody('TierThresholds');
  const learning = structBody('LearningConfig', learningH);

  it('has the limits of the core', () => {
    expect(LIMITS.maxDimensions).toBe(valueOf(index, 'kMaxDimensions'));
    expect(LIMITS.maxM).toBe(valueOf(index, 'kMaxM'));
    expect(LIMITS.maxEf).toBe(valueOf(index, 'kMaxEf'));
    expect(LIMITS.maxTrainItems).toBe(valueOf(quantized, 'kMaxTrainItems'));
    expect(LIMITS.maxMigrationBudget).toBe(valueOf(tiers, 'kMaxMigrationBudget'));
    expect(LIMITS.minTierTrainItems).toBe(valueOf(tiers, 'kMinTrainItems'));
    // Ids: cpp/src/ids/item_key.cc refuses longer ones.
    const itemKey = readFileSync(join(ROOT, 'cpp/src/ids/item_key.cc'), 'utf8');
    expect(itemKey).toContain(`at most ${LIMITS.maxIdBytes} bytes`);
    // LIMITS.learning.maxFooBar is LearningConfig::kMaxFooBar, for every key.
    for (const [key, value] of Object.entries(LIMITS.learning)) {
      expect(value, key).toBe(valueOf(learning, `k${key[0].toUpperCase()}${key.slice(1)}`));
    }
    expect(Object.keys(LIMITS.learning).length).toBe((learning.match(/\bkMax\w+\s*=/g) ?? []).length);
  });

  it('has the learning defaults of the core', () => {
    const D = DEFAULTS.learning;
    const fields: Array<[keyof typeof D, string]> = [
      ['candidates', 'candidates'], ['hiddenDim', 'hidden_dim'], ['heads', 'heads'], ['hops', 'hops'],
      ['inputScale', 'input_scale'], ['temperature', 'temperature'], ['consistencyWeight', 'consistency_weight'],
      ['dropout', 'dropout'], ['learningRate', 'learning_rate'], ['weightDecay', 'weight_decay'],
      ['batchSize', 'batch_size'], ['feedbackCapacity', 'feedback_capacity'], ['replayCapacity', 'replay_capacity'],
      ['replayPerBatch', 'replay_per_batch'], ['seed', 'seed'], ['onlineSteps', 'online_steps'], ['randomNegatives', 'random_negatives'],
      ['replayHalfLife', 'replay_half_life'], ['insertSteps', 'insert_steps'], ['edgeLearningRate', 'edge_learning_rate'],
      ['memoryCapacity', 'memory_capacity'],
    ];
    for (const [js, cpp] of fields) expect(D[js], cpp).toBe(valueOf(learning, cpp));
  });

  it('has the click memory search defaults and limits of the core', () => {
    const search = structBody('SearchParams');
    expect(DEFAULTS.memory.neighbours).toBe(valueOf(search, 'memory_neighbours'));
    expect(DEFAULTS.memory.strength).toBe(valueOf(search, 'memory_strength'));
    expect(DEFAULTS.memory.rejectWeight).toBe(valueOf(search, 'memory_reject_weight'));
    expect(DEFAULTS.memory.minSimilarity).toBe(valueOf(search, 'memory_min_similarity'));
    expect(DEFAULTS.memory.minEvents).toBe(valueOf(search, 'memory_min_events'));
    expect(DEFAULTS.memory.scan).toBe(valueOf(search, 'memory_scan'));
    expect(DEFAULTS.memory.halfLife).toBe(valueOf(search, 'memory_half_life'));
    expect(LIMITS.memory.maxNeighbours).toBe(valueOf(search, 'kMaxMemoryNeighbours'));
    expect(LIMITS.memory.maxStrength).toBe(valueOf(search, 'kMaxMemoryStrength'));
    expect(LIMITS.memory.maxRejectWeight).toBe(valueOf(search, 'kMaxMemoryRejectWeight'));
    expect(LIMITS.memory.maxScan).toBe(valueOf(search, 'kMaxMemoryScan'));
  });

  it('has the defaults of the core', () => {
    expect(DEFAULTS.m).toBe(valueOf(index, 'm'));
    expect(DEFAULTS.efConstruction).toBe(valueOf(index, 'ef_construction'));
    expect(DEFAULTS.efSearch).toBe(valueOf(index, 'ef_search'));
    expect(DEFAULTS.seed).toBe(valueOf(index, 'seed'));
    expect(DEFAULTS.initialCapacity).toBe(valueOf(index, 'initial_capacity'));
    expect(index).toMatch(new RegExp(`Metric metric = Metric::k${DEFAULTS.metric[0].toUpperCase()}${DEFAULTS.metric.slice(1)};`));
    expect(DEFAULTS.quantizedTraversal.rerank).toBe(valueOf(quantized, 'rerank'));
    expect(DEFAULTS.quantizedTraversal.trainItems).toBe(valueOf(quantized, 'train_items'));
    for (const key of ['hot', 'warm', 'cool', 'cold'] as const) {
      expect(DEFAULTS.tiers.thresholds[key]).toBe(valueOf(thresholds, key));
    }
    expect(DEFAULTS.tiers.halfLifeSeconds).toBe(valueOf(tiers, 'half_life_seconds'));
    expect(DEFAULTS.tiers.hysteresis).toBe(valueOf(tiers, 'hysteresis'));
    expect(DEFAULTS.tiers.rerank).toBe(valueOf(tiers, 'rerank'));
    expect(DEFAULTS.tiers.migrationBudget).toBe(valueOf(tiers, 'migration_budget'));
    expect(DEFAULTS.tiers.trainItems).toBe(valueOf(tiers, 'train_items'));
  });
});

describe('js/src imports', () => {
  const SRC = join(ROOT, 'js/src');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) files.push(path);
    }
  };
  walk(SRC);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const deps = [...text.matchAll(/(?:import|export)[^'"]*?from\s+'(\.{1,2}\/[^']+)\.js'/g)]
      .map(([, rel]) => join(file, '..', `${rel}.ts`));
    graph.set(file, deps);
  }

  it('form no cycle', () => {
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => f.slice(SRC.length + 1)).join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const dep of graph.get(file) ?? []) visit(dep, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('keep the leaves leaves', () => {
    const rel = (f: string) => f.slice(SRC.length + 1);
    const depsOf = (name: string) => (graph.get(join(SRC, name)) ?? []).map(rel);
    expect(depsOf('limits.ts')).toEqual([]);
    expect(depsOf('errors.ts')).toEqual([]);
    expect(depsOf('types.ts').every((d) => d.startsWith('storage/sync_storage'))).toBe(true);
    expect(depsOf('validation.ts').sort()).toEqual(['errors.ts', 'limits.ts', 'types.ts']);
  });
});
