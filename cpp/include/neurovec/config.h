// Construction parameters of a VectorIndex, with defaults and validation.
#pragma once

#include <cstdint>
#include <string>

#include "neurovec/metric.h"
#include "neurovec/status.h"

namespace neurovec {

// Codec of the quantized traversal (cpp/src/quantization/codec.h has the codecs).
enum class TraversalCodec : uint8_t {
  kNone = 0,         // the graph walks on the f32 rows (the default)
  kF16 = 1,          // IEEE half, 2 bytes per dimension
  kInt8 = 2,         // one [min, max] per dimension, 1 byte per dimension, float ADC
  kInt8Uniform = 3,  // one shared [min, max]; L2 becomes a symmetric integer distance
                     // (exact grid only when the data are integers in range, e.g. 0..255 pixels)
  kPq8 = 4,          // product quantization, dimensions/8 sub-quantizers x 256 centroids
};

// Quantized traversal: every item also gets a compact code, the HNSW walk
// scores codes instead of f32 rows (fewer bytes per hop), and the best
// candidates are re-ranked with exact f32 distances, so results keep exact
// distances. The f32 rows stay: filters' exact scans, re-ranking and get() use them.
struct QuantizedTraversalConfig {
  TraversalCodec codec = TraversalCodec::kNone;
  // Candidates re-ranked exactly: 0 re-ranks all ef candidates of the walk;
  // otherwise the best max(k, rerank) by code distance (the walk's ef is raised
  // to that when smaller). 0 .. IndexConfig::kMaxEf.
  uint32_t rerank = 0;
  // The codec is trained once, when the index first holds this many items
  // (items added before are encoded then); until then searches walk on f32.
  // VectorIndex::RetrainQuantizer trains (again) on demand. 1 .. kMaxTrainItems;
  // at least 256 for kPq8 (256 centroids per sub-quantizer).
  uint32_t train_items = 1024;

  static constexpr uint32_t kMaxTrainItems = 1u << 24;
  bool enabled() const { return codec != TraversalCodec::kNone; }
  Status Validate() const;
};

// "none" | "f16" | "int8" | "int8-uniform" | "pq8".
const char* TraversalCodecName(TraversalCodec codec);
Result<TraversalCodec> ParseTraversalCodec(const std::string& name);

// Compression tiers (issue 4): every item lives in one of five tiers by how
// often searches return it, and each tier stores the item differently:
//   hot     f32 row (exact)            warm     f16 code (2 bytes/dim)
//   cool    PQ8 code (d/4 bytes)       cold     PQ4 code (d/16 bytes + 4 outliers)
//   archive binary code (d/8 bytes)
// Codebooks (PQ8, PQ4, binary thresholds) are trained once from a sample and
// shared by every item of their tier. The graph walk scores each visited item
// with its own tier's codec and re-ranks the best candidates with exact f32
// distances, so results keep exact distances.
//
// Heat. An item is accessed when a search returns it in its top k. Accesses
// decay exponentially: an access `half_life_seconds` ago counts 1/2. The heat
// of an item is log2(1 + c) / log2(1 + c_max) in [0, 1], where c is its decayed
// access count and c_max the largest one in the index (log scale: access
// counts are heavy-tailed, a few hub items are returned by most queries; on a
// linear scale everything but the hubs would look cold). Never-accessed items
// have heat 0. Tier by heat: hot >= thresholds.hot > warm >= thresholds.warm
// > cool >= thresholds.cool > cold >= thresholds.cold > archive.
//
// Hysteresis: an item is promoted only when its heat reaches a boundary
// times (1 + hysteresis), and demoted only when it falls below a boundary
// times (1 - hysteresis), so an item near a boundary does not flap.
//
// Time: by default the wall clock (seconds since the Unix epoch);
// VectorIndex::SetTierClock switches to a caller-driven clock (tests, replays).
//
// New items start hot (their f32 row is in memory anyway); migration moves
// them down once their heat says so.
struct TierThresholds {
  float hot = 0.8f;
  float warm = 0.4f;
  float cool = 0.1f;
  float cold = 0.01f;
};

struct TiersConfig {
  bool enabled = false;
  // Each in (0, 1], strictly decreasing hot > warm > cool > cold.
  TierThresholds thresholds;
  // > 0 and finite.
  double half_life_seconds = 3600.0;
  // Relative margin around each boundary, 0 .. 0.9.
  float hysteresis = 0.2f;
  // Candidates of the walk re-ranked with exact f32 distances: max(k, rerank).
  // 0 re-ranks every ef candidate. 0 .. IndexConfig::kMaxEf.
  uint32_t rerank = 100;
  // Items migrated (at most) per search and per add, so tiers move in small
  // steps while queries stay fast. 0: only VectorIndex::Recompress moves items.
  // 0 .. kMaxMigrationBudget.
  uint32_t migration_budget = 16;
  // Codebooks are trained once the index holds this many items (until then
  // every item is hot); VectorIndex::RetrainCodebooks trains again.
  // 256 .. QuantizedTraversalConfig::kMaxTrainItems (PQ8 has 256 centroids).
  uint32_t train_items = 4096;

  static constexpr uint32_t kMaxMigrationBudget = 1u << 20;
  static constexpr uint32_t kMinTrainItems = 256;  // PQ8 has 256 centroids
  Status Validate() const;
};

enum class Tier : uint8_t { kHot = 0, kWarm = 1, kCool = 2, kCold = 3, kArchive = 4 };
constexpr int kTierCount = 5;
// "hot" | "warm" | "cool" | "cold" | "archive".
const char* TierName(Tier tier);

struct IndexConfig {
  // Length of every vector. 1 .. kMaxDimensions.
  uint32_t dimensions = 0;

  Metric metric = Metric::kCosine;

  // Links per node on the upper levels; level 0 keeps 2*m. Called M in the HNSW
  // paper and in hnswlib (default 16 there too). 2 .. 256.
  uint32_t m = 16;

  // Candidate-list size while inserting ("efConstruction", 200 in hnswlib).
  // Larger builds a better graph, more slowly. Must be >= 1 (raised to m internally).
  uint32_t ef_construction = 200;

  // Default candidate-list size while searching ("ef"); a query may override it.
  // Raised to k for a query that asks for more results. >= 1.
  uint32_t ef_search = 64;

  // Seed for level assignment. Single-threaded builds with the same seed, data
  // and order produce the same graph.
  uint64_t seed = 42;

  // Slots to allocate up front. Capacity grows by itself; this only avoids the
  // reallocations of a large build.
  uint32_t initial_capacity = 0;

  // Optional quantized traversal (off by default); see QuantizedTraversalConfig.
  QuantizedTraversalConfig quantized;

  // Optional compression tiers (off by default); see TiersConfig. Exclusive
  // with the quantized traversal (both decide how the walk scores items).
  TiersConfig tiers;

  static constexpr uint32_t kMaxDimensions = 65536;
  static constexpr uint32_t kMaxM = 256;
  static constexpr uint32_t kMaxEf = 1u << 20;

  // Says what is wrong, if anything.
  Status Validate() const;
};

// How a search walks the graph (SearchParams::routing).
enum class RoutingMode {
  // With a router (VectorIndex::TrainRouter) trained for this k, and the walk
  // on f32 rows without a filter: the learned walk; else the plain one.
  kAuto = 0,
  kPlain = 1,    // HNSW's own walk, always
  kLearned = 2,  // the learned walk where it can run (else plain, counted as a fallback)
};

// Per-query parameters.
struct SearchParams {
  uint32_t k = 10;        // results wanted; >= 1
  // 0: the index default (IndexConfig::ef_search). A learned walk walks at the
  // router's training ef (RouterOptions::ef), where its stops and skips were
  // calibrated, or at this ef when that is larger.
  uint32_t ef = 0;
  std::string filter;     // JSON filter on metadata (see metadata/filter.h); empty: none
  RoutingMode routing = RoutingMode::kAuto;
  // A learned walk stops once its top-k is likely final; the mean recall@k to
  // aim for sets how sure it must be (0: the router's default_target_recall;
  // else in (0, 1], calibrated at 0.80 .. 0.99; above what the router can
  // reach, the walk does not stop early). Where training timed the plain walk
  // as the faster for the target (RouterReport::plain_serves), the plain walk
  // at the target's calibrated ef serves it. With kPlain and ef 0, the plain
  // walk walks at that calibrated ef where the router has one.
  float target_recall = 0;
  // Neural search modes (VectorIndex::SearchLearned) only: after the model
  // scores the vector search's candidates, walk the level-0 links outward
  // from them, best learned score first, evaluating up to this many items
  // that are not candidates; the best of them join the candidates before the
  // final ranking, so a relevant item the vector order ranked past the
  // candidates can still be returned. 0: re-rank the candidates only.
  uint32_t expand = 0;
  static constexpr uint32_t kMaxExpand = 4096;
  // Neural search modes only, with a click memory (LearningConfig::memory_capacity)
  // that holds events: the walk's query is moved towards the mean of
  // (clicked - memory_reject_weight x rejected) items of the memory_neighbours
  // past queries nearest to it (cosine of the queries at least
  // memory_min_similarity), by memory_strength (index/click_memory.h has the
  // formula). The defaults are the choice of the catalogue's tuning split
  // (bench/results/learning-click-memory.md). memory_strength 0: the memory
  // is not read. Until the memory holds memory_min_events events it is not
  // read either: a small memory's nearest past queries are mostly unrelated,
  // and on the catalogue's tuning split every strength from 16 up lost to the
  // plain walk at ~420 events and won from ~840 on (bench/results/
  // learning-click-memory.md). memory_min_similarity leaves queries unlike
  // any past one as they are. memory_scan: how much of a large memory (from
  // ClickMemory::kPartitionMinEvents events, split into coarse lists of
  // similar past queries) a lookup reads: whole lists, nearest first, until
  // memory_scan x memory_neighbours events; the nearest of those are the
  // neighbours. 0: every event (the exact nearest past queries). Reading less
  // is faster, and on the catalogue's tuning split also more precise:
  // neighbours from the query's own lists are more often on its topic
  // (bench/results/learning-click-memory.md). memory_half_life: an event
  // recorded n events ago weighs 2^(-n / memory_half_life) in the mean, so
  // that the memory follows users whose intent changes (0: every event weighs
  // the same). On the catalogue's drift stream no decay was best: the memory
  // followed the change without it, and half-lives of 250 and 1,000 events
  // lowered the unchanged sections by 0.23 and 0.04-0.06 at strength 64
  // (bench/results/learning-drift.md).
  uint32_t memory_neighbours = 200;     // 1 .. kMaxMemoryNeighbours
  uint32_t memory_min_events = 500;     // 0 .. LearningConfig::kMaxMemoryCapacity
  float memory_strength = 64.0f;        // 0 .. kMaxMemoryStrength
  float memory_reject_weight = 1.0f;    // 0 .. kMaxMemoryRejectWeight
  float memory_min_similarity = 0.0f;   // -1 .. 1
  uint32_t memory_scan = 4;             // 0 .. kMaxMemoryScan
  float memory_half_life = 0.0f;        // 0 .. LearningConfig::kMaxMemoryCapacity (events)
  static constexpr uint32_t kMaxMemoryNeighbours = 65536;
  static constexpr float kMaxMemoryStrength = 1e6f;
  static constexpr float kMaxMemoryRejectWeight = 100.0f;
  static constexpr uint32_t kMaxMemoryScan = 1024;
};

}  // namespace neurovec
