// Compression tiers: codebooks, access decay, the tier policy with
// hysteresis, migration. The VectorIndex calls that act on tiers are in
// index/tier_hooks.cc.
#include "index/tiered_store.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>

#include "index/vector_index_impl.h"

namespace neurovec {

const char* TierName(Tier tier) {
  switch (tier) {
    case Tier::kHot: return "hot";
    case Tier::kWarm: return "warm";
    case Tier::kCool: return "cool";
    case Tier::kCold: return "cold";
    case Tier::kArchive: return "archive";
  }
  return "unknown";
}

TieredStore::TieredStore(const TiersConfig& config, uint32_t dimensions, Metric metric, VectorStore* store)
    : config_(config), dimensions_(dimensions), metric_(metric), store_(store) {}

Status TieredStore::Reserve(size_t slots) {
  if (slots <= tier_of_.size()) return Status::Ok();
  tier_of_.resize(slots, static_cast<uint8_t>(Tier::kHot));
  pos_of_.resize(slots, 0);
  access_.resize(slots, 0.0);
  return Status::Ok();
}

void TieredStore::OnPlace(uint32_t slot) {
  const uint8_t old = tier_of_[slot];
  if (old != static_cast<uint8_t>(Tier::kHot)) RemoveCode(old, pos_of_[slot]);
  tier_of_[slot] = static_cast<uint8_t>(Tier::kHot);
  Status kept = store_->Retain(slot);  // a placed row is written in memory anyway
  (void)kept;
  std::lock_guard<std::mutex> lock(access_mutex_);
  access_[slot] = 0;
}

void TieredStore::OnRemove(uint32_t slot) {
  std::lock_guard<std::mutex> lock(access_mutex_);
  access_[slot] = 0;
}

// ---------------------------------------------------------------- codebooks

Status TieredStore::TrainCodecs(const float* sample, size_t n, std::array<std::unique_ptr<quant::Codec>, kTierCount>& out,
                                std::array<float, kTierCount>& bias) const {
  const uint32_t d = dimensions_;
  for (int t = 1; t < kTierCount; ++t) {
    quant::CodecParams p;
    p.dimensions = d;
    p.metric = metric_;
    switch (static_cast<Tier>(t)) {
      case Tier::kWarm: p.kind = quant::CodecKind::kF16; break;
      case Tier::kCool:
        p.kind = quant::CodecKind::kPq8;
        p.subquantizers = std::max<uint32_t>(1, d / 4);
        break;
      case Tier::kCold:
        p.kind = quant::CodecKind::kPq4;
        p.subquantizers = std::clamp<uint32_t>(d / 8, 1, quant::CodecParams::kMaxPq4Subquantizers);
        p.outliers = std::min<uint32_t>(kPq4Outliers, d);
        break;
      case Tier::kArchive:
        // Rotated signs estimate the metric itself (binary_codec.cc); Manhattan
        // has no such estimate and keeps per-dimension bits with decoded tables.
        p.kind = quant::CodecKind::kBinary;
        p.binary_threshold = metric_ == Metric::kManhattan ? quant::BinaryThreshold::kMean
                                                           : quant::BinaryThreshold::kRotatedSign;
        break;
      case Tier::kHot: break;
    }
    auto codec = quant::Codec::Create(p);
    if (!codec.ok()) return codec.status();
    NV_RETURN_IF_ERROR(codec.value()->Train(sample, n));
    out[t] = codec.take();
  }
  // Mean squared reconstruction error per tier on part of the sample (L2 only).
  bias.fill(0.0f);
  if (metric_ == Metric::kL2) {
    const size_t m = std::min(n, kBiasSample);
    std::vector<uint8_t> code;
    std::vector<float> decoded(d);
    for (int t = 1; t < kTierCount; ++t) {
      if (RotatedArchive(*out[t])) continue;  // its estimate is unbiased already
      code.resize(out[t]->bytes_per_vector());
      double sum = 0;
      for (size_t i = 0; i < m; ++i) {
        const float* x = sample + (i * n / m) * d;
        out[t]->Encode(x, code.data());
        out[t]->Decode(code.data(), decoded.data());
        for (uint32_t j = 0; j < d; ++j) sum += static_cast<double>(x[j] - decoded[j]) * (x[j] - decoded[j]);
      }
      bias[t] = m == 0 ? 0.0f : static_cast<float>(sum / m);
    }
  }
  return Status::Ok();
}

void TieredStore::ComputeArchiveValues() {
  const quant::Codec& binary = *codecs_[static_cast<int>(Tier::kArchive)];
  archive_bytes_ = binary.bytes_per_vector();
  archive_rotated_ = RotatedArchive(binary);
  archive_low_.clear();
  archive_high_.clear();
  if (!archive_rotated_) {
    std::vector<uint8_t> zeros(archive_bytes_, 0), ones(archive_bytes_, 0xFF);
    archive_low_.assign(dimensions_, 0.0f);
    archive_high_.assign(dimensions_, 0.0f);
    binary.Decode(zeros.data(), archive_low_.data());
    binary.Decode(ones.data(), archive_high_.data());
  }
  codebook_bytes_ = 0;
  for (int t = 1; t < kTierCount; ++t) codebook_bytes_ += codecs_[t]->Serialize().size();
}

Status TieredStore::MaybeTrain(uint32_t used_slots, const std::vector<uint8_t>& live, uint64_t live_count) {
  if (trained_ || live_count < config_.train_items) return Status::Ok();
  return Train(used_slots, live);
}

Status TieredStore::Train(uint32_t used_slots, const std::vector<uint8_t>& live) {
  std::vector<uint32_t> slots;
  for (uint32_t s = 0; s < used_slots; ++s) {
    if (live[s]) slots.push_back(s);
  }
  if (slots.size() < 256) {
    return Status::FailedPrecondition("tiers: too few items to train the codebooks (" + std::to_string(slots.size()) +
                                      " live; PQ8 needs at least 256)");
  }
  const size_t n = std::min(slots.size(), kMaxTrainSample);
  const uint32_t d = dimensions_;
  std::vector<float> sample(n * d);
  std::vector<float> scratch(store_->stride());
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(sample.data() + i * d, store_->StableRow(slots[i * slots.size() / n], scratch.data()), d * sizeof(float));
  }
  std::array<std::unique_ptr<quant::Codec>, kTierCount> fresh;
  std::array<float, kTierCount> bias{};
  NV_RETURN_IF_ERROR(TrainCodecs(sample.data(), n, fresh, bias));  // on error: nothing changed

  std::unique_lock<std::shared_mutex> lock(walk_mutex_);
  for (int t = 1; t < kTierCount; ++t) {
    codecs_[t] = std::move(fresh[t]);
    arenas_[t].bytes = StoredCodeBytes(static_cast<Tier>(t));
  }
  ComputeArchiveValues();  // EncodeInto's archive error decodes with the new state
  for (int t = 1; t < kTierCount; ++t) {
    // Old codes mean nothing under the new codebooks: re-encode every member.
    std::vector<uint8_t>& codes = arenas_[t].codes;
    codes.assign(arenas_[t].owner.size() * arenas_[t].bytes, 0);
    for (size_t pos = 0; pos < arenas_[t].owner.size(); ++pos) {
      EncodeInto(static_cast<uint8_t>(t), store_->StableRow(arenas_[t].owner[pos], scratch.data()),
                 codes.data() + pos * arenas_[t].bytes);
    }
  }
  bias_ = bias;
  trained_ = true;
  return Status::Ok();
}

void TieredStore::Forget(uint32_t used_slots) {
  std::unique_lock<std::shared_mutex> lock(walk_mutex_);
  for (uint32_t s = 0; s < used_slots && s < tier_of_.size(); ++s) {
    if (tier_of_[s] != static_cast<uint8_t>(Tier::kHot)) {
      Status kept = store_->Retain(s);
      (void)kept;
    }
    tier_of_[s] = static_cast<uint8_t>(Tier::kHot);
  }
  for (int t = 0; t < kTierCount; ++t) {
    codecs_[t].reset();
    arenas_[t] = Arena();
  }
  trained_ = false;
  codebook_bytes_ = 0;
}

// ---------------------------------------------------------------- access clock

double TieredStore::Now() const {
  if (manual_clock_) return manual_now_;
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

Status TieredStore::SetClock(double now_seconds) {
  std::lock_guard<std::mutex> lock(access_mutex_);
  if (!std::isfinite(now_seconds)) return Status::InvalidArgument("tier clock: time must be finite");
  if (manual_clock_ && now_seconds < manual_now_) {
    return Status::InvalidArgument("tier clock: time must not go backwards (now " + std::to_string(manual_now_) +
                                   ", got " + std::to_string(now_seconds) + ")");
  }
  if (!manual_clock_ && reference_set_) {
    // Switching from the wall clock: keep counts continuous by rebasing t_ref.
    const double scale = std::exp2(-(Now() - reference_time_) / config_.half_life_seconds);
    for (double& v : access_) v *= scale;
    max_access_ *= scale;
    reference_time_ = now_seconds;
  }
  manual_clock_ = true;
  manual_now_ = now_seconds;
  return Status::Ok();
}

void TieredStore::RecordAccesses(const SearchHit* hits, size_t n) {
  if (n == 0) return;
  std::lock_guard<std::mutex> lock(access_mutex_);
  const double now = Now();
  if (!reference_set_) {
    reference_time_ = now;
    reference_set_ = true;
  }
  double exponent = (now - reference_time_) / config_.half_life_seconds;
  // 2^512 leaves room below DBL_MAX for any sum of increments: rescale first.
  if (exponent > 512) {
    const double scale = std::exp2(-exponent);
    for (double& v : access_) v *= scale;
    max_access_ *= scale;
    reference_time_ = now;
    exponent = 0;
  }
  const double increment = std::exp2(exponent);
  for (size_t i = 0; i < n; ++i) {
    double& v = access_[hits[i].slot];
    v += increment;
    max_access_ = std::max(max_access_, v);
  }
}

double TieredStore::AccessCount(uint32_t slot) const {
  std::lock_guard<std::mutex> lock(access_mutex_);
  if (!reference_set_) return 0;
  return access_[slot] * std::exp2(-(Now() - reference_time_) / config_.half_life_seconds);
}

double TieredStore::LogMax() const {
  if (!reference_set_) return 0;
  return std::log2(1.0 + max_access_ * std::exp2(-(Now() - reference_time_) / config_.half_life_seconds));
}

double TieredStore::Heat(uint32_t slot) const {
  std::lock_guard<std::mutex> lock(access_mutex_);
  const double log_max = LogMax();
  if (!(log_max > 0)) return 0;
  const double c = access_[slot] * std::exp2(-(Now() - reference_time_) / config_.half_life_seconds);
  return std::min(1.0, std::log2(1.0 + c) / log_max);
}

TieredStore::ClockState TieredStore::clock_state() const {
  std::lock_guard<std::mutex> lock(access_mutex_);
  return {manual_clock_, manual_now_, reference_set_ ? reference_time_ : 0.0};
}

// ---------------------------------------------------------------- policy

namespace {

// The tier whose band holds `heat` when every boundary is scaled by `factor`.
Tier TierForHeat(double heat, const TierThresholds& t, double factor) {
  if (heat >= t.hot * factor) return Tier::kHot;
  if (heat >= t.warm * factor) return Tier::kWarm;
  if (heat >= t.cool * factor) return Tier::kCool;
  if (heat >= t.cold * factor) return Tier::kCold;
  return Tier::kArchive;
}

}  // namespace

Tier TieredStore::TargetTier(uint32_t slot, double log_max) const {
  double heat = 0;
  if (log_max > 0) {
    const double c = access_[slot] * std::exp2(-(Now() - reference_time_) / config_.half_life_seconds);
    heat = std::min(1.0, std::log2(1.0 + c) / log_max);
  }
  const Tier current = tier_of(slot);
  // Lower boundaries for demotion, raised ones for promotion: between them
  // (the hysteresis band) an item stays where it is.
  const Tier demoted = TierForHeat(heat, config_.thresholds, 1.0 - config_.hysteresis);
  const Tier promoted = TierForHeat(heat, config_.thresholds, 1.0 + config_.hysteresis);
  if (current < demoted) return demoted;    // hotter than even the lowered bands allow
  if (current > promoted) return promoted;  // colder than the raised bands allow
  return current;
}

void TieredStore::EncodeInto(uint8_t tier, const float* row, uint8_t* out) const {
  codecs_[tier]->Encode(row, out);
  if (tier != static_cast<uint8_t>(Tier::kArchive) || archive_rotated_) return;
  // The item's own squared reconstruction error (L2; 0 for other metrics),
  // after the bits: see archive in TieredStore::Distance.
  float error = 0;
  if (metric_ == Metric::kL2) {
    for (uint32_t j = 0; j < dimensions_; ++j) {
      const float decoded = (out[j >> 3] >> (j & 7)) & 1 ? archive_high_[j] : archive_low_[j];
      error += (row[j] - decoded) * (row[j] - decoded);
    }
  }
  std::memcpy(out + archive_bytes_, &error, sizeof error);
}

void TieredStore::AddCode(uint8_t tier, uint32_t slot) {
  Arena& a = arenas_[tier];
  const size_t pos = a.owner.size();
  a.owner.push_back(slot);
  a.codes.resize((pos + 1) * a.bytes);
  row_scratch_.resize(store_->stride());
  EncodeInto(tier, store_->StableRow(slot, row_scratch_.data()), a.codes.data() + pos * a.bytes);
  pos_of_[slot] = static_cast<uint32_t>(pos);
}

void TieredStore::RemoveCode(uint8_t tier, uint32_t pos) {
  Arena& a = arenas_[tier];
  const size_t last = a.owner.size() - 1;
  if (pos != last) {
    std::memcpy(a.codes.data() + pos * a.bytes, a.codes.data() + last * a.bytes, a.bytes);
    a.owner[pos] = a.owner[last];
    pos_of_[a.owner[pos]] = static_cast<uint32_t>(pos);
  }
  a.owner.pop_back();
  a.codes.resize(last * a.bytes);
}

void TieredStore::Move(uint32_t slot, Tier to) {
  const uint8_t from = tier_of_[slot];
  const uint8_t target = static_cast<uint8_t>(to);
  if (from == target) return;
  const uint32_t old_pos = pos_of_[slot];
  // Encode first (a row leaving hot is still retained), then drop the old
  // representation.
  if (target != static_cast<uint8_t>(Tier::kHot)) {
    AddCode(target, slot);  // sets pos_of_[slot] to the new position
    if (from != static_cast<uint8_t>(Tier::kHot)) RemoveCode(from, old_pos);
  } else {
    RemoveCode(from, old_pos);
  }
  tier_of_[slot] = target;
  // Leaving hot: the f32 row may leave memory (the file holds it; re-ranking
  // pages it in). Entering hot: it comes back. A search's migration step must
  // not change the store under concurrent searches, so it only notes the slot.
  if ((from == static_cast<uint8_t>(Tier::kHot)) != (target == static_cast<uint8_t>(Tier::kHot))) {
    if (defer_residency_) {
      residency_pending_.push_back(slot);
    } else {
      UpdateResidency(slot);
    }
  }
}

void TieredStore::UpdateResidency(uint32_t slot) {
  if (tier_of_[slot] == static_cast<uint8_t>(Tier::kHot)) {
    // A failed read leaves the row paged: still correct, only slower.
    Status kept = store_->Retain(slot);
    (void)kept;
  } else if (store_->Releasable(slot)) {
    store_->Release(slot);
  }
}

void TieredStore::ApplyDeferredResidency() {
  std::vector<uint32_t> pending;
  {
    std::unique_lock<std::shared_mutex> lock(walk_mutex_);
    pending.swap(residency_pending_);
  }
  for (uint32_t slot : pending) {
    if (slot < tier_of_.size()) UpdateResidency(slot);
  }
}

void TieredStore::MigrateRange(uint32_t used_slots, size_t max_examined, size_t max_moves, TierCounts* moved) {
  if (!trained_ || used_slots == 0) return;
  // Searches may record accesses while a migration step runs (the step holds
  // only the walk lock): hold the access lock while reading counts.
  std::lock_guard<std::mutex> access_lock(access_mutex_);
  const double log_max = LogMax();
  size_t moves = 0;
  for (size_t examined = 0; examined < max_examined && moves < max_moves; ++examined) {
    if (cursor_ >= used_slots) cursor_ = 0;
    const uint32_t slot = cursor_++;
    const Tier to = TargetTier(slot, log_max);
    if (to == tier_of(slot)) continue;
    Move(slot, to);
    ++moves;
    if (moved) ++moved->count[static_cast<int>(to)];
  }
}

void TieredStore::MigrateAll(uint32_t used_slots, TierCounts* moved) {
  std::unique_lock<std::shared_mutex> lock(walk_mutex_);
  {
    // Deletions leave max_access_ as an upper bound: recompute it exactly.
    std::lock_guard<std::mutex> access_lock(access_mutex_);
    max_access_ = 0;
    for (uint32_t s = 0; s < used_slots; ++s) max_access_ = std::max(max_access_, access_[s]);
  }
  cursor_ = 0;
  MigrateRange(used_slots, used_slots, used_slots, moved);
  cursor_ = 0;
  // Rows that stayed out of hot but were not in the file when they left it
  // (written since the last checkpoint) may leave memory now.
  for (uint32_t s = 0; s < used_slots; ++s) {
    if (tier_of_[s] != static_cast<uint8_t>(Tier::kHot) && store_->Releasable(s)) store_->Release(s);
  }
}

void TieredStore::MigrateStep(uint32_t used_slots, bool try_only) {
  if (config_.migration_budget == 0 || !trained_) return;
  std::unique_lock<std::shared_mutex> lock(walk_mutex_, std::defer_lock);
  if (try_only) {
    if (!lock.try_lock()) return;  // another search is walking: its successor migrates
  } else {
    lock.lock();
  }
  defer_residency_ = try_only;
  MigrateRange(used_slots, static_cast<size_t>(config_.migration_budget) * 16, config_.migration_budget, nullptr);
  defer_residency_ = false;
}

// ---------------------------------------------------------------- search

void TieredStore::PrepareQuery(const float* query, TierQuery& q) const {
  q.query = query;
  q.bias = bias_;
  q.warm = codecs_[static_cast<int>(Tier::kWarm)]->PrepareQuery(query);
  q.cool = codecs_[static_cast<int>(Tier::kCool)]->PrepareQuery(query);
  q.cold = codecs_[static_cast<int>(Tier::kCold)]->PrepareQuery(query);
  if (archive_rotated_) {
    q.archive = codecs_[static_cast<int>(Tier::kArchive)]->PrepareQuery(query);
    return;
  }
  // Archive with per-dimension bits (Manhattan, and files written before the
  // rotated codes): the binary codec's own query distance is a Hamming count
  // (not on the metric's scale). Instead score the decoded vector (each bit
  // decodes to its side's mean) with one table per code byte: table[j][b] sums
  // the metric's per-dimension terms of the 8 dimensions byte j covers when its
  // bits are b.
  const uint32_t d = dimensions_;
  q.archive_table.assign(archive_bytes_ * 256, 0.0f);
  q.archive_constant = (metric_ == Metric::kCosine || metric_ == Metric::kDot) ? 1.0f : 0.0f;
  auto term = [&](float x, float v) {
    switch (metric_) {
      case Metric::kL2: return (x - v) * (x - v);
      case Metric::kManhattan: return std::fabs(x - v);
      case Metric::kCosine:
      case Metric::kDot: return -x * v;
    }
    return 0.0f;
  };
  for (size_t j = 0; j < archive_bytes_; ++j) {
    float* table = q.archive_table.data() + j * 256;
    float off[8] = {}, delta[8] = {};
    float base = 0;
    for (uint32_t b = 0; b < 8; ++b) {
      const uint32_t dim = static_cast<uint32_t>(j * 8 + b);
      if (dim >= d) break;
      off[b] = term(query[dim], archive_low_[dim]);
      delta[b] = term(query[dim], archive_high_[dim]) - off[b];
      base += off[b];
    }
    table[0] = base;
    for (uint32_t v = 1; v < 256; ++v) {
      const uint32_t low_bit = static_cast<uint32_t>(__builtin_ctz(v));
      table[v] = table[v & (v - 1)] + delta[low_bit];
    }
  }
}

// ---------------------------------------------------------------- accounting

TierCounts TieredStore::Counts(uint32_t used_slots, const std::vector<uint8_t>& live) const {
  TierCounts c;
  for (uint32_t s = 0; s < used_slots; ++s) {
    if (live[s]) ++c.count[tier_of_[s]];
  }
  return c;
}

std::array<uint64_t, kTierCount> TieredStore::TierBytes(uint32_t used_slots) const {
  std::array<uint64_t, kTierCount> bytes{};
  uint64_t coded = 0;
  for (int t = 1; t < kTierCount; ++t) {
    bytes[t] = arenas_[t].codes.size();
    coded += arenas_[t].owner.size();
  }
  // Hot: every slot in use without a code (tombstones included, like the arenas).
  bytes[0] = (used_slots - coded) * store_->stride() * sizeof(float);
  return bytes;
}

uint64_t TieredStore::codes_bytes() const {
  uint64_t total = 0;
  for (int t = 1; t < kTierCount; ++t) total += arenas_[t].codes.size();
  return total;
}

Status TieredStore::Restore(std::array<std::unique_ptr<quant::Codec>, kTierCount> codecs,
                            const std::array<float, kTierCount>& bias, const ClockState& clock,
                            const uint8_t* tiers, const std::array<const uint8_t*, kTierCount>& codes_in_slot_order,
                            const double* access, uint32_t used_slots) {
  NV_RETURN_IF_ERROR(Reserve(used_slots));
  trained_ = codecs[1] != nullptr;
  for (int t = 0; t < kTierCount; ++t) {
    codecs_[t] = std::move(codecs[t]);
    arenas_[t] = Arena();
    if (codecs_[t]) arenas_[t].bytes = StoredCodeBytes(static_cast<Tier>(t));
  }
  for (uint32_t s = 0; s < used_slots; ++s) {
    const uint8_t t = tiers[s];
    tier_of_[s] = t;
    access_[s] = access[s];
    max_access_ = std::max(max_access_, access[s]);
    if (t == static_cast<uint8_t>(Tier::kHot)) continue;
    Arena& a = arenas_[t];
    const size_t pos = a.owner.size();
    a.owner.push_back(s);
    a.codes.insert(a.codes.end(), codes_in_slot_order[t] + pos * a.bytes, codes_in_slot_order[t] + (pos + 1) * a.bytes);
    pos_of_[s] = static_cast<uint32_t>(pos);
    if (store_->Releasable(s)) store_->Release(s);
  }
  manual_clock_ = clock.manual;
  manual_now_ = clock.manual_now;
  reference_time_ = clock.reference;
  reference_set_ = max_access_ > 0;
  bias_ = bias;  // saved, not re-measured: the same file gives the same walks
  if (trained_) ComputeArchiveValues();
  return Status::Ok();
}

}  // namespace neurovec
