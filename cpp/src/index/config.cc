// Validate() of every configuration in neurovec/config.h (and of
// LearningConfig, neurovec/learning.h): each limit is a named constant there,
// and JS checks the same limits (js/src/limits.ts, compared with config.h by
// js/test/limits.test.ts).
#include <cmath>
#include <string>

#include "neurovec/config.h"
#include "neurovec/learning.h"
#include "neurovec/status.h"

namespace neurovec {

Status IndexConfig::Validate() const {
  if (dimensions == 0 || dimensions > kMaxDimensions) {
    return Status::InvalidArgument("dimensions must be between 1 and " + std::to_string(kMaxDimensions) + ", got " +
                                   std::to_string(dimensions));
  }
  if (m < 2 || m > kMaxM) {
    return Status::InvalidArgument("m must be between 2 and " + std::to_string(kMaxM) + ", got " + std::to_string(m));
  }
  if (ef_construction < 1 || ef_construction > kMaxEf) {
    return Status::InvalidArgument("efConstruction must be between 1 and " + std::to_string(kMaxEf) + ", got " +
                                   std::to_string(ef_construction));
  }
  if (ef_search < 1 || ef_search > kMaxEf) {
    return Status::InvalidArgument("efSearch must be between 1 and " + std::to_string(kMaxEf) + ", got " +
                                   std::to_string(ef_search));
  }
  NV_RETURN_IF_ERROR(quantized.Validate());
  NV_RETURN_IF_ERROR(tiers.Validate());
  if (tiers.enabled && quantized.enabled()) {
    return Status::InvalidArgument("tiers and quantizedTraversal cannot be combined: both decide how the graph walk "
                                   "scores items; pick one");
  }
  return Status::Ok();
}

Status QuantizedTraversalConfig::Validate() const {
  if (static_cast<uint8_t>(codec) > static_cast<uint8_t>(TraversalCodec::kPq8)) {
    return Status::InvalidArgument("unknown quantized traversal codec code " + std::to_string(static_cast<int>(codec)));
  }
  if (rerank > IndexConfig::kMaxEf) {
    return Status::InvalidArgument("quantized traversal: rerank must be at most " + std::to_string(IndexConfig::kMaxEf) +
                                   ", got " + std::to_string(rerank));
  }
  if (train_items < 1 || train_items > kMaxTrainItems) {
    return Status::InvalidArgument("quantized traversal: trainItems must be between 1 and " +
                                   std::to_string(kMaxTrainItems) + ", got " + std::to_string(train_items));
  }
  if (codec == TraversalCodec::kPq8 && train_items < 256) {
    return Status::InvalidArgument("quantized traversal: pq8 needs trainItems >= 256 (256 centroids per sub-quantizer), got " +
                                   std::to_string(train_items));
  }
  return Status::Ok();
}

Status TiersConfig::Validate() const {
  const TierThresholds& t = thresholds;
  auto in_unit = [](float v) { return std::isfinite(v) && v > 0.0f && v <= 1.0f; };
  if (!in_unit(t.hot) || !in_unit(t.warm) || !in_unit(t.cool) || !in_unit(t.cold)) {
    return Status::InvalidArgument("tiers: thresholds must be in (0, 1], got hot " + std::to_string(t.hot) + ", warm " +
                                   std::to_string(t.warm) + ", cool " + std::to_string(t.cool) + ", cold " +
                                   std::to_string(t.cold));
  }
  if (!(t.hot > t.warm && t.warm > t.cool && t.cool > t.cold)) {
    return Status::InvalidArgument("tiers: thresholds must decrease strictly (hot > warm > cool > cold), got " +
                                   std::to_string(t.hot) + " / " + std::to_string(t.warm) + " / " +
                                   std::to_string(t.cool) + " / " + std::to_string(t.cold));
  }
  if (!std::isfinite(half_life_seconds) || half_life_seconds <= 0) {
    return Status::InvalidArgument("tiers: halfLifeSeconds must be a finite number > 0, got " +
                                   std::to_string(half_life_seconds));
  }
  if (!std::isfinite(hysteresis) || hysteresis < 0.0f || hysteresis > 0.9f) {
    return Status::InvalidArgument("tiers: hysteresis must be between 0 and 0.9, got " + std::to_string(hysteresis));
  }
  if (rerank > IndexConfig::kMaxEf) {
    return Status::InvalidArgument("tiers: rerank must be at most " + std::to_string(IndexConfig::kMaxEf) + ", got " +
                                   std::to_string(rerank));
  }
  if (migration_budget > kMaxMigrationBudget) {
    return Status::InvalidArgument("tiers: migrationBudget must be at most " + std::to_string(kMaxMigrationBudget) +
                                   ", got " + std::to_string(migration_budget));
  }
  if (train_items < kMinTrainItems || train_items > QuantizedTraversalConfig::kMaxTrainItems) {
    return Status::InvalidArgument("tiers: trainItems must be between " + std::to_string(kMinTrainItems) +
                                   " (PQ8 has 256 centroids) and " +
                                   std::to_string(QuantizedTraversalConfig::kMaxTrainItems) + ", got " +
                                   std::to_string(train_items));
  }
  return Status::Ok();
}

Status LearningConfig::Validate() const {
  const auto n = [](uint64_t v) { return std::to_string(v); };
  if (candidates < 2 || candidates > kMaxCandidates) {
    return Status::InvalidArgument("learning candidates must be from 2 to " + n(kMaxCandidates));
  }
  if (heads == 0 || heads > kMaxHeads) return Status::InvalidArgument("learning heads must be from 1 to " + n(kMaxHeads));
  if (hidden_dim == 0 || hidden_dim % heads != 0 || hidden_dim > kMaxHiddenDim) {
    return Status::InvalidArgument("learning hidden_dim must be a positive multiple of heads (at most " +
                                   n(kMaxHiddenDim) + ")");
  }
  if (hops > kMaxHops) return Status::InvalidArgument("learning hops must be from 0 to " + n(kMaxHops));
  if (!(input_scale >= 0) || !std::isfinite(input_scale)) return Status::InvalidArgument("learning input_scale must be >= 0 (0: automatic)");
  if (!(temperature > 0) || !std::isfinite(temperature)) return Status::InvalidArgument("learning temperature must be positive");
  if (!(consistency_weight >= 0) || !std::isfinite(consistency_weight)) {
    return Status::InvalidArgument("learning consistency_weight must be >= 0");
  }
  if (!(dropout >= 0 && dropout < 1)) return Status::InvalidArgument("learning dropout must be in [0, 1)");
  if (!(learning_rate > 0) || !std::isfinite(learning_rate)) return Status::InvalidArgument("learning rate must be positive");
  if (!(weight_decay >= 0) || !std::isfinite(weight_decay)) return Status::InvalidArgument("learning weight_decay must be >= 0");
  if (batch_size < 1 || batch_size > kMaxBatchSize) {
    return Status::InvalidArgument("learning batch_size must be from 1 to " + n(kMaxBatchSize));
  }
  if (feedback_capacity < 1 || feedback_capacity > kMaxFeedbackCapacity) {
    return Status::InvalidArgument("learning feedback_capacity must be from 1 to " + n(kMaxFeedbackCapacity));
  }
  if (replay_capacity > kMaxReplayCapacity) {
    return Status::InvalidArgument("learning replay_capacity must be at most " + n(kMaxReplayCapacity));
  }
  if (replay_per_batch > kMaxReplayPerBatch) {
    return Status::InvalidArgument("learning replay_per_batch must be at most " + n(kMaxReplayPerBatch));
  }
  if (!(ewc_lambda >= 0) || !std::isfinite(ewc_lambda)) return Status::InvalidArgument("learning ewc_lambda must be >= 0");
  if (online_steps > kMaxOnlineSteps) {
    return Status::InvalidArgument("learning online_steps must be from 0 to " + n(kMaxOnlineSteps));
  }
  if (random_negatives > kMaxRandomNegatives) {
    return Status::InvalidArgument("learning random_negatives must be from 0 to " + n(kMaxRandomNegatives));
  }
  if (replay_half_life > kMaxReplayHalfLife) {
    return Status::InvalidArgument("learning replay_half_life must be from 0 to " + n(kMaxReplayHalfLife));
  }
  if (insert_steps > kMaxInsertSteps) {
    return Status::InvalidArgument("learning insert_steps must be from 0 to " + n(kMaxInsertSteps));
  }
  if (!(edge_learning_rate >= 0) || edge_learning_rate > kMaxEdgeLearningRate) {
    return Status::InvalidArgument("learning edge_learning_rate must be from 0 to " + n(static_cast<uint32_t>(kMaxEdgeLearningRate)) +
                                   " (0: off)");
  }
  if (memory_capacity > kMaxMemoryCapacity) {
    return Status::InvalidArgument("learning memory_capacity must be from 0 to " + n(kMaxMemoryCapacity) + " (0: off)");
  }
  return Status::Ok();
}

}  // namespace neurovec
