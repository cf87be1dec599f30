// The limits and defaults of the core's configuration (cpp/include/neurovec/
// config.h), in one table for the JS checks. A leaf: it imports nothing.
// js/test/limits.test.ts reads config.h and fails when the two disagree.

/** Upper and lower bounds the core's Validate() enforces. */
export const LIMITS = Object.freeze({
  /** IndexConfig::kMaxDimensions */
  maxDimensions: 65536,
  /** IndexConfig::kMaxM */
  maxM: 256,
  /** IndexConfig::kMaxEf (also the largest k, rerank) */
  maxEf: 1 << 20,
  /** QuantizedTraversalConfig::kMaxTrainItems (also the tiers' trainItems) */
  maxTrainItems: 1 << 24,
  /** TiersConfig::kMaxMigrationBudget */
  maxMigrationBudget: 1 << 20,
  /** TiersConfig::kMinTrainItems (PQ8 has 256 centroids; also pq8's quantized traversal) */
  minTierTrainItems: 256,
  /** ItemKey: ids are at most this many bytes of UTF-8 */
  maxIdBytes: 65536,
  /** LearningConfig::kMax* (neurovec/learning.h) */
  learning: Object.freeze({
    maxCandidates: 4096,
    maxHiddenDim: 4096,
    maxHeads: 64,
    maxHops: 8,
    maxBatchSize: 4096,
    maxFeedbackCapacity: 1 << 20,
    maxReplayCapacity: 1 << 20,
    maxReplayPerBatch: 4096,
    maxOnlineSteps: 64,
    maxRandomNegatives: 1024,
    maxReplayHalfLife: 1 << 24,
    maxInsertSteps: 64,
    maxEdgeLearningRate: 10,
    maxMemoryCapacity: 1 << 20,
  }),
  /** SearchParams::kMaxMemory* (config.h): the search option `memory` */
  memory: Object.freeze({
    maxNeighbours: 65536,
    maxStrength: 1e6,
    maxRejectWeight: 100,
    maxScan: 1024,
  }),
});

/** Defaults of the options (the member initialisers of config.h). */
export const DEFAULTS = Object.freeze({
  metric: 'cosine' as const,
  m: 16,
  efConstruction: 200,
  efSearch: 64,
  seed: 42,
  initialCapacity: 0,
  quantizedTraversal: Object.freeze({ rerank: 0, trainItems: 1024 }),
  tiers: Object.freeze({
    thresholds: Object.freeze({ hot: 0.8, warm: 0.4, cool: 0.1, cold: 0.01 }),
    halfLifeSeconds: 3600,
    hysteresis: 0.2,
    rerank: 100,
    migrationBudget: 16,
    trainItems: 4096,
  }),
  /** LearningConfig's member initialisers (neurovec/learning.h) */
  learning: Object.freeze({
    candidates: 50,
    hiddenDim: 64,
    heads: 4,
    hops: 2,
    inputScale: 0,
    temperature: 0.2,
    consistencyWeight: 2,
    dropout: 0.1,
    learningRate: 0.002,
    weightDecay: 1e-4,
    batchSize: 32,
    feedbackCapacity: 8192,
    replayCapacity: 1024,
    replayPerBatch: 8,
    seed: 42,
    onlineSteps: 0,
    randomNegatives: 0,
    replayHalfLife: 0,
    insertSteps: 0,
    edgeLearningRate: 0,
    memoryCapacity: 0,
  }),
  /** SearchParams' memory_* initialisers (config.h) */
  memory: Object.freeze({ neighbours: 200, strength: 64, rejectWeight: 1, minSimilarity: 0, minEvents: 500, scan: 4, halfLife: 0 }),
});
