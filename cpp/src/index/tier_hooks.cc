// VectorIndex's compression-tier calls (neurovec/vector_index.h: EnableTiers,
// Recompress, RetrainCodebooks, the tier clock and per-slot inspection). The
// tiers themselves are index/tiered_store.cc; their file sections
// persistence/tier_sections.cc.
#include <memory>
#include <string>

#include "index/tiered_store.h"
#include "index/vector_index_impl.h"

namespace neurovec {

Status VectorIndex::EnableTiers(const TiersConfig& config) {
  Impl& x = *impl_;
  NV_RETURN_IF_ERROR(x.BeforeWrite());
  IndexConfig next = x.config;
  next.tiers = config;
  NV_RETURN_IF_ERROR(next.Validate());
  if (x.used_slots != 0) {
    return Status::FailedPrecondition("tiers can only be enabled on an empty index (create it with the option)");
  }
  x.config.tiers = config;
  x.tiers = config.enabled ? std::make_unique<TieredStore>(config, x.config.dimensions, x.config.metric, &x.store) : nullptr;
  if (x.tiers) NV_RETURN_IF_ERROR(x.tiers->Reserve(x.live.size()));
  return x.durable ? Checkpoint() : Status::Ok();
}

Result<TierCounts> VectorIndex::Recompress() {
  Impl& x = *impl_;
  NV_RETURN_IF_ERROR(x.BeforeWrite());
  if (!x.tiers) return Status::FailedPrecondition("this index has no compression tiers (IndexConfig::tiers)");
  if (!x.tiers->trained()) NV_RETURN_IF_ERROR(x.tiers->Train(x.used_slots, x.live));
  TierCounts moved;
  x.tiers->MigrateAll(x.used_slots, &moved);
  return moved;
}

Status VectorIndex::RetrainCodebooks() {
  Impl& x = *impl_;
  NV_RETURN_IF_ERROR(x.BeforeWrite());
  if (!x.tiers) return Status::FailedPrecondition("this index has no compression tiers (IndexConfig::tiers)");
  NV_RETURN_IF_ERROR(x.tiers->Train(x.used_slots, x.live));
  // No log record holds codebooks: a checkpoint puts them in the file.
  return x.durable ? Checkpoint() : Status::Ok();
}

bool VectorIndex::tier_codebooks_trained() const { return impl_->tiers && impl_->tiers->trained(); }

Status VectorIndex::SetTierClock(double now_seconds) {
  if (!impl_->tiers) return Status::FailedPrecondition("this index has no compression tiers (IndexConfig::tiers)");
  return impl_->tiers->SetClock(now_seconds);
}

namespace {
Status CheckTierSlot(const IndexState& x, uint32_t slot) {
  if (!x.tiers) return Status::FailedPrecondition("this index has no compression tiers (IndexConfig::tiers)");
  if (slot >= x.used_slots) {
    return Status::OutOfRange("slot " + std::to_string(slot) + " is not in use (used slots: " +
                              std::to_string(x.used_slots) + ")");
  }
  return Status::Ok();
}
}  // namespace

Result<Tier> VectorIndex::TierOfSlot(uint32_t slot) const {
  NV_RETURN_IF_ERROR(CheckTierSlot(*impl_, slot));
  return impl_->tiers->tier_of(slot);
}

Result<double> VectorIndex::AccessCountOfSlot(uint32_t slot) const {
  NV_RETURN_IF_ERROR(CheckTierSlot(*impl_, slot));
  return impl_->tiers->AccessCount(slot);
}

Result<double> VectorIndex::HeatOfSlot(uint32_t slot) const {
  NV_RETURN_IF_ERROR(CheckTierSlot(*impl_, slot));
  return impl_->tiers->Heat(slot);
}

}  // namespace neurovec
