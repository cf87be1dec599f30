// Compression tiers of a VectorIndex (IndexConfig::tiers; the policy is
// documented in neurovec/config.h). Not a public header.
//
// State per slot: its tier, its position in that tier's code arena, and its
// decayed access count. Hot items have no code: their f32 row in the
// VectorStore is the representation. Every other tier keeps its codes densely
// packed in one arena (a removed code is replaced by the arena's last one), so
// a tier's memory is exactly count x code size.
//
// Codebooks (PQ8, PQ4, binary thresholds; f16 has none) are trained once on a
// sample of stored-form rows and shared by all items of their tier; retraining
// re-encodes every non-hot item.
//
// Decayed counts without touching every item per unit of time: item i keeps
// v_i such that its count at time t is v_i * 2^-((t - t_ref) / half_life). An
// access at t adds 2^((t - t_ref) / half_life) to v_i. All items decay by the
// same factor, so the largest v is also the largest count. When the exponent
// grows large every v is rescaled and t_ref moves (no overflow).
//
// Threads. Searches (const VectorIndex calls, any number at once) take the
// shared lock for the walk. Migration takes the exclusive lock: writes take it
// (they never overlap searches anyway), a search only *tries* it after its
// walk, and skips the step when another search is walking, so a query never
// waits on migration for more than one small step. Access counts have their
// own mutex.
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "hnsw/hnsw_graph.h"
#include "index/exact_rerank.h"
#include "neurovec/config.h"
#include "neurovec/status.h"
#include "neurovec/vector_index.h"
#include "quantization/codec.h"
#include "storage/vector_store.h"

namespace neurovec {

// Scores one slot of any tier for a query: prepared tables per codec (built
// once per query), plus a per-tier bias that makes estimates of different
// codecs comparable (see TieredStore::bias_).
struct TierQuery {
  const float* query = nullptr;  // stored form, stride floats (hot items: exact)
  std::unique_ptr<quant::QueryDistance> warm, cool, cold;
  std::unique_ptr<quant::QueryDistance> archive;  // rotated-sign archive codes (else the table below)
  std::vector<float> archive_table;  // bytes x 256: summed per-dimension terms of a binary code byte
  float archive_constant = 0;        // metric offset (1 for cosine/dot: distance = 1 - dot)
  std::array<float, kTierCount> bias{};
};

class TieredStore {
 public:
  // Sub-quantizers: PQ8 d/4 (4 dims each, 1 byte), PQ4 d/8 (8 dims, 4 bits)
  // with 4 outliers; both at least 1.
  static constexpr uint32_t kPq4Outliers = 4;
  // Codebooks train on at most this many rows (evenly spaced live items): the
  // k-means cost grows with the sample and 4096 rows give 16 per PQ8 centroid.
  static constexpr size_t kMaxTrainSample = 4096;
  // Rows used to measure each codec's mean reconstruction error (the bias).
  static constexpr size_t kBiasSample = 1024;

  TieredStore(const TiersConfig& config, uint32_t dimensions, Metric metric, VectorStore* store);

  const TiersConfig& config() const { return config_; }
  bool trained() const { return trained_; }

  // Grows the per-slot arrays to `slots`. Not thread-safe (writes).
  Status Reserve(size_t slots);

  // A new item was stored in `slot` (maybe a reused one): it becomes hot with
  // no accesses.
  void OnPlace(uint32_t slot);
  // The item of `slot` was deleted: its accesses are dropped. Its tier and
  // code stay: tombstones still route searches.
  void OnRemove(uint32_t slot);

  // Trains the codebooks on the live slots among [0, used_slots) when not
  // trained yet and at least config().train_items are live.
  Status MaybeTrain(uint32_t used_slots, const std::vector<uint8_t>& live, uint64_t live_count);
  // Trains (again) on the live slots and re-encodes every non-hot slot. On
  // error nothing changes. kFailedPrecondition with fewer than 256 live items.
  Status Train(uint32_t used_slots, const std::vector<uint8_t>& live);
  // The stored rows changed form (dimension reorder): drops codebooks and
  // codes, every slot becomes hot again; training happens again later.
  void Forget(uint32_t used_slots);

  // ---- Access tracking.
  Status SetClock(double now_seconds);
  double Now() const;
  // Records that searches returned these slots (their top k).
  void RecordAccesses(const SearchHit* hits, size_t n);
  double AccessCount(uint32_t slot) const;
  double Heat(uint32_t slot) const;
  Tier tier_of(uint32_t slot) const { return static_cast<Tier>(tier_of_[slot]); }

  // ---- Migration.
  // Moves every slot in [0, used_slots) that its heat says should move.
  // Counts moves into each tier into `moved`.
  void MigrateAll(uint32_t used_slots, TierCounts* moved);
  // One small step: examines at most 16 x config().migration_budget slots from
  // a rotating cursor and moves at most config().migration_budget. Writes call
  // it with the lock free; searches with try_only (skipped when busy).
  // A search's step (try_only) changes codes only; which f32 rows stay in
  // memory follows at the next write (ApplyDeferredResidency), since
  // concurrent searches read the store.
  void MigrateStep(uint32_t used_slots, bool try_only);
  // Brings f32 residency in line with the tiers moved by searches. Writes call
  // it (they do not overlap searches).
  void ApplyDeferredResidency();

  // ---- Search: walk on each slot's own tier, re-rank exactly (see
  // QuantizedTier::Search for the contract of the return value).
  template <typename Accept>
  size_t Search(const HnswGraph& graph, const VectorStore& store, const float* query, uint32_t ef, uint32_t k,
                const Accept& accept, bool everything_accepted, SearchContext& ctx, TraversalCounters& counters) const;

  // The distance-source calls of HnswGraph::Search. A "row" is the slot's
  // entry in the position array: a stable address from which the slot follows.
  const uint32_t* Row(uint32_t slot) const { return pos_of_.data() + slot; }
  float Distance(const TierQuery* q, const uint32_t* row) const {
    const uint32_t slot = static_cast<uint32_t>(row - pos_of_.data());
    const uint8_t tier = tier_of_[slot];
    switch (static_cast<Tier>(tier)) {
      case Tier::kHot: return store_->Distance(q->query, store_->Row(slot));
      case Tier::kWarm: return q->warm->Distance(Code(tier, *row)) + q->bias[tier];
      case Tier::kCool: return q->cool->Distance(Code(tier, *row)) + q->bias[tier];
      case Tier::kCold: return q->cold->Distance(Code(tier, *row)) + q->bias[tier];
      case Tier::kArchive: {
        const uint8_t* code = Code(tier, *row);
        if (q->archive) return q->archive->Distance(code);  // an unbiased estimate: no bias term
        const float* table = q->archive_table.data();
        float sum = q->archive_constant;
        for (size_t j = 0; j < archive_bytes_; ++j) sum += table[j * 256 + code[j]];
        // Binary is coarse enough that its reconstruction error varies a lot
        // from item to item: each archive code carries its own (4 bytes after
        // the bits), which ranks archive items much better than the tier mean.
        float own_error;
        std::memcpy(&own_error, code + archive_bytes_, sizeof own_error);
        return sum + own_error;
      }
    }
    return 0;
  }
  float DistanceBounded(const TierQuery* q, const uint32_t* row, float) const { return Distance(q, row); }

  // ---- Accounting.
  // Live items per tier (`live` marks them).
  TierCounts Counts(uint32_t used_slots, const std::vector<uint8_t>& live) const;
  // Vector bytes per tier: hot = hot slots' f32 rows; others = their codes.
  std::array<uint64_t, kTierCount> TierBytes(uint32_t used_slots) const;
  uint64_t codes_bytes() const;
  uint64_t codebook_bytes() const { return codebook_bytes_; }
  // Per-slot bookkeeping (tier, position, access count).
  uint64_t bookkeeping_bytes() const {
    return tier_of_.size() + pos_of_.size() * sizeof(uint32_t) + access_.size() * sizeof(double);
  }

  // ---- Persistence (persistence/tier_sections.cc).
  struct ClockState {
    bool manual = false;
    double manual_now = 0;
    double reference = 0;  // t_ref
  };
  ClockState clock_state() const;
  const quant::Codec* codec(Tier tier) const { return codecs_[static_cast<int>(tier)].get(); }
  // Bytes stored per code of a tier: the codec's, plus for an archive of
  // per-dimension bits the item's f32 squared reconstruction error (see
  // Distance).
  size_t StoredCodeBytes(Tier tier) const { return StoredCodeBytes(tier, *codecs_[static_cast<int>(tier)]); }
  static size_t StoredCodeBytes(Tier tier, const quant::Codec& codec) {
    return codec.bytes_per_vector() + (tier == Tier::kArchive && !RotatedArchive(codec) ? sizeof(float) : 0);
  }
  // Archive codecs with kRotatedSign carry their own estimator.
  static bool RotatedArchive(const quant::Codec& codec) {
    return codec.kind() == quant::CodecKind::kBinary &&
           codec.params().binary_threshold == quant::BinaryThreshold::kRotatedSign;
  }
  // Code bytes of a slot's tier (non-hot slots).
  const uint8_t* CodeOf(uint32_t slot) const { return Code(tier_of_[slot], pos_of_[slot]); }
  size_t code_bytes(Tier tier) const { return arenas_[static_cast<int>(tier)].bytes; }
  double access_value(uint32_t slot) const { return access_[slot]; }
  // Restores the whole state: codecs (warm..archive, trained) or none, a tier
  // and (non-hot) code per slot, access values. Callers validated sizes.
  const std::array<float, kTierCount>& bias() const { return bias_; }
  Status Restore(std::array<std::unique_ptr<quant::Codec>, kTierCount> codecs, const std::array<float, kTierCount>& bias,
                 const ClockState& clock,
                 const uint8_t* tiers, const std::array<const uint8_t*, kTierCount>& codes_in_slot_order,
                 const double* access, uint32_t used_slots);

 private:
  struct Arena {
    size_t bytes = 0;               // per code
    std::vector<uint8_t> codes;     // count x bytes, dense
    std::vector<uint32_t> owner;    // slot of each code
  };

  const uint8_t* Code(uint8_t tier, uint32_t pos) const { return arenas_[tier].codes.data() + pos * arenas_[tier].bytes; }
  // Appends slot's code to tier's arena (encoding its f32 row) / removes it.
  void AddCode(uint8_t tier, uint32_t slot);
  void EncodeInto(uint8_t tier, const float* row, uint8_t* out) const;
  void RemoveCode(uint8_t tier, uint32_t pos);
  void Move(uint32_t slot, Tier to);
  // Keeps a slot's f32 row in memory exactly when it is hot (and the file
  // holds it otherwise).
  void UpdateResidency(uint32_t slot);
  // The tier a slot should move to now (its own when it stays).
  Tier TargetTier(uint32_t slot, double log_max) const;
  double LogMax() const;  // log2(1 + c_max) at Now(), 0 when nothing was accessed
  void MigrateRange(uint32_t used_slots, size_t max_examined, size_t max_moves, TierCounts* moved);
  void PrepareQuery(const float* query, TierQuery& q) const;
  Status TrainCodecs(const float* sample, size_t n, std::array<std::unique_ptr<quant::Codec>, kTierCount>& out,
                     std::array<float, kTierCount>& bias) const;
  void ComputeArchiveValues();

  TiersConfig config_;
  uint32_t dimensions_;
  Metric metric_;
  VectorStore* store_;  // the index's own store (outlives this)

  bool trained_ = false;
  std::array<std::unique_ptr<quant::Codec>, kTierCount> codecs_;  // [hot] stays null
  std::array<Arena, kTierCount> arenas_;                         // [hot] stays empty
  // Mean squared reconstruction error per tier (L2 only, else 0): decoded
  // distances underestimate |q - x|^2 by about |x - x_decoded|^2 on average,
  // more for coarser codecs; adding it puts every tier's estimate on the
  // exact scale, so the walk does not favour (or skip) coarse tiers.
  std::array<float, kTierCount> bias_{};
  // Archive codes are rotated signs with their own estimator (the default), or
  // per-dimension bits scored through these decode values (bit 0 / bit 1).
  bool archive_rotated_ = false;
  std::vector<float> archive_low_, archive_high_;
  size_t archive_bytes_ = 0;
  uint64_t codebook_bytes_ = 0;

  std::vector<uint8_t> tier_of_;
  std::vector<uint32_t> pos_of_;
  std::vector<double> access_;
  uint32_t cursor_ = 0;  // MigrateStep resumes here
  bool defer_residency_ = false;             // set during a search's migration step
  std::vector<uint32_t> residency_pending_;  // slots that crossed hot during one
  std::vector<float> row_scratch_;  // StableRow copies (migration holds the exclusive lock)

  mutable std::mutex access_mutex_;  // access_, max_access_, reference_time_, clock
  double max_access_ = 0;            // largest access_ (an upper bound after deletions)
  double reference_time_ = 0;        // t_ref
  bool manual_clock_ = false;
  double manual_now_ = 0;
  bool reference_set_ = false;       // t_ref is set at the first access

  mutable std::shared_mutex walk_mutex_;
};

template <typename Accept>
size_t TieredStore::Search(const HnswGraph& graph, const VectorStore& store, const float* query, uint32_t ef,
                           uint32_t k, const Accept& accept, bool everything_accepted, SearchContext& ctx,
                           TraversalCounters& counters) const {
  std::shared_lock<std::shared_mutex> lock(walk_mutex_);
  const uint32_t keep = RerankDepth(config_.rerank, ef, k);
  const uint32_t walk_ef = std::max(ef, keep);
  TierQuery prepared;
  PrepareQuery(query, prepared);
  graph.Search(static_cast<const TierQuery*>(&prepared), walk_ef, *this, accept, everything_accepted, ctx, counters);
  // Exact re-ranking with the full f32 row (paged in for a released row).
  return KeepAndRescoreExactly(store, query, keep, ctx.results, counters);
}

}  // namespace neurovec
