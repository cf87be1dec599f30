#include "persistence/router_section.h"

#include <cmath>

#include "neurovec/config.h"
#include "persistence/section_version.h"
#include "util/byte_io.h"

namespace neurovec::index_file {
namespace {

// 1: the stopping rule; 2: and neighbour skipping (margins, projection basis);
// 3: and the plain walk per target (its ef, and whether it serves the target).
constexpr uint32_t kSectionVersion = 3;

}  // namespace

// Layout (all little-endian): u32 version (1); u32 k, training ef; u32 feature
// count (9), target count (8); f32 weights; per target: f32 target recall, f32
// threshold (+inf: never stop early for it); f32 calibration ceiling, familiar
// distance (+inf: no bound), default target; u64 changes since training.
// Version 2 goes on: per target, f32 skip margin (0: none); u32 projection
// rank (0: no basis, and nothing more), u32 stride, f32 scale; f32 mean
// (stride), f32 basis (rank x stride, row by row), f32 code offset and code
// step per coordinate (rank each); u32 slots (0: none), then per slot rank
// code bytes, then per slot an f32 residual |r|^2. Version 3 goes on: per
// target, u32 plain ef (0: none); u32 mask of the targets the plain walk
// serves (bit i: target i; only targets with a plain ef). The feature and target
// lists are written out so a reader can tell a model it cannot evaluate from
// damage.
std::string EncodeRouterSection(const RouterSectionState& r) {
  std::string out;
  ByteWriter w(out);
  const routing::StopModel& m = r.model;
  w.U32(kSectionVersion);
  w.U32(m.k);
  w.U32(m.training_ef);
  w.U32(routing::kStopFeatures);
  w.U32(routing::StopModel::kTargets);
  for (float weight : m.weights) w.F32(weight);
  for (int i = 0; i < routing::StopModel::kTargets; ++i) {
    w.F32(routing::StopModel::kTargetRecalls[i]);
    w.F32(m.thresholds[i]);
  }
  w.F32(m.calibration_ceiling);
  w.F32(m.familiar_distance);
  w.F32(r.default_target);
  w.U64(r.changes_since_training);
  for (float margin : m.margins) w.F32(margin);
  const routing::ProjectionBasis& b = r.basis;
  w.U32(b.rank);
  if (b.rank > 0) {
    w.U32(b.stride);
    w.F32(b.scale);
    for (float v : b.mean) w.F32(v);
    for (float v : b.basis) w.F32(v);
    for (float v : b.code_low) w.F32(v);
    for (float v : b.code_step) w.F32(v);
    // The per-item codes (so an open needs no rebuild, and every engine reads
    // the same bytes): u32 slots, then rank bytes and an f32 residual each.
    const bool table = r.table.rank() == b.rank && r.table.slots() > 0;
    w.U32(table ? static_cast<uint32_t>(r.table.slots()) : 0);
    if (table) {
      w.Bytes(r.table.all_codes().data(), r.table.all_codes().size());
      for (float v : r.table.all_residuals()) w.F32(v);
    }
  }
  uint32_t serves = 0;
  for (int i = 0; i < routing::StopModel::kTargets; ++i) {
    w.U32(m.plain_ef[i]);
    if (m.plain_serves[i] && m.plain_ef[i] != 0) serves |= 1u << i;
  }
  w.U32(serves);
  return out;
}

Status DecodeRouterSection(const uint8_t* data, size_t size, RouterSectionState* out) {
  ByteReader r(data, size);
  const auto corrupt = SectionCorruption("router");
  uint32_t version = 0;
  NV_RETURN_IF_ERROR(ReadSectionVersion(r, "router", kSectionVersion, &version));
  RouterSectionState s;
  routing::StopModel& m = s.model;
  uint32_t features = 0, targets = 0;
  if (!r.U32(m.k) || !r.U32(m.training_ef) || !r.U32(features) || !r.U32(targets)) return corrupt("too short");
  if (m.k == 0 || m.k > routing::TopKProgress::kMaxK) return corrupt("k " + std::to_string(m.k) + " out of range");
  if (m.training_ef < m.k || m.training_ef > IndexConfig::kMaxEf) {
    return corrupt("training ef " + std::to_string(m.training_ef) + " out of range");
  }
  if (features != routing::kStopFeatures || targets != routing::StopModel::kTargets) {
    return corrupt(std::to_string(features) + " features and " + std::to_string(targets) + " targets, expected " +
                   std::to_string(routing::kStopFeatures) + " and " + std::to_string(routing::StopModel::kTargets));
  }
  for (float& weight : m.weights) {
    if (!r.F32(weight)) return corrupt("too short");
    if (!std::isfinite(weight)) return corrupt("a weight is not finite");
  }
  for (int i = 0; i < routing::StopModel::kTargets; ++i) {
    float target = 0;
    if (!r.F32(target) || !r.F32(m.thresholds[i])) return corrupt("too short");
    if (target != routing::StopModel::kTargetRecalls[i]) return corrupt("target recalls differ from this build's");
    if (std::isnan(m.thresholds[i]) || m.thresholds[i] == -INFINITY) return corrupt("a threshold is not a number");
  }
  if (!r.F32(m.calibration_ceiling) || !r.F32(m.familiar_distance) || !r.F32(s.default_target) ||
      !r.U64(s.changes_since_training)) {
    return corrupt("too short");
  }
  if (std::isnan(m.familiar_distance)) return corrupt("the familiar distance is not a number");
  if (!(m.calibration_ceiling >= 0 && m.calibration_ceiling <= 1)) return corrupt("calibration ceiling out of range");
  if (!(s.default_target >= 0.5f && s.default_target <= 1)) return corrupt("default target recall out of range");
  if (version >= 2) {
    bool skips = false;
    for (float& margin : m.margins) {
      if (!r.F32(margin)) return corrupt("too short");
      if (!(margin >= 0 && margin <= 4)) return corrupt("a skip margin is out of range");
      skips |= margin > 0;
    }
    routing::ProjectionBasis& b = s.basis;
    if (!r.U32(b.rank)) return corrupt("too short");
    if (b.rank % 16 != 0 || b.rank > routing::ProjectionBasis::kMaxRank) {
      return corrupt("projection rank " + std::to_string(b.rank) + " out of range");
    }
    if (b.rank > 0) {
      if (!r.U32(b.stride) || !r.F32(b.scale)) return corrupt("too short");
      if (b.stride < b.rank || b.stride % 16 != 0 || b.stride > (1u << 20)) {
        return corrupt("projection stride " + std::to_string(b.stride) + " out of range");
      }
      if (!(b.scale == 1.0f || b.scale == 0.5f)) return corrupt("projection scale out of range");
      const size_t floats = static_cast<size_t>(b.stride) * (b.rank + 1) + 2 * b.rank;
      if (r.remaining() < floats * sizeof(float)) return corrupt("too short for its projection basis");
      b.mean.resize(b.stride);
      b.basis.resize(static_cast<size_t>(b.rank) * b.stride);
      for (float& v : b.mean) {
        if (!r.F32(v) || !std::isfinite(v)) return corrupt("a projection mean is not finite");
      }
      for (float& v : b.basis) {
        if (!r.F32(v) || !std::isfinite(v)) return corrupt("a projection basis value is not finite");
      }
      b.code_low.resize(b.rank);
      b.code_step.resize(b.rank);
      for (float& v : b.code_low) {
        if (!r.F32(v) || !std::isfinite(v)) return corrupt("a projection code offset is not finite");
      }
      for (float& v : b.code_step) {
        if (!r.F32(v) || !(v > 0) || !std::isfinite(v)) return corrupt("a projection code step is not positive");
      }
      uint32_t slots = 0;
      if (!r.U32(slots)) return corrupt("too short");
      if (slots > 0) {
        const size_t code_bytes = static_cast<size_t>(slots) * b.rank;
        if (r.remaining() < code_bytes + static_cast<size_t>(slots) * sizeof(float)) {
          return corrupt("too short for its " + std::to_string(slots) + " projection codes");
        }
        const uint8_t* codes = nullptr;
        if (!r.Bytes(code_bytes, codes)) return corrupt("too short");
        std::vector<float> residuals(slots);
        for (float& v : residuals) {
          if (!r.F32(v) || !(v >= 0) || !std::isfinite(v)) {
            return corrupt("a projection residual is not a finite non-negative number");
          }
        }
        s.table.Restore(b.rank, std::vector<uint8_t>(codes, codes + code_bytes), std::move(residuals));
      }
    } else if (skips) {
      return corrupt("skip margins without a projection basis");
    }
  }
  if (version >= 3) {
    for (uint32_t& ef : m.plain_ef) {
      if (!r.U32(ef)) return corrupt("too short");
      if (ef != 0 && (ef < m.k || ef > m.training_ef)) {
        return corrupt("plain ef " + std::to_string(ef) + " out of range (k to the training ef)");
      }
    }
    uint32_t serves = 0;
    if (!r.U32(serves)) return corrupt("too short");
    for (int i = 0; i < routing::StopModel::kTargets; ++i) {
      m.plain_serves[i] = (serves >> i) & 1u;
      if (m.plain_serves[i] && m.plain_ef[i] == 0) return corrupt("the plain walk serves a target it has no ef for");
    }
    if (serves >> routing::StopModel::kTargets) return corrupt("the plain walk serves targets past the list");
  }
  if (r.remaining() != 0) return corrupt(std::to_string(r.remaining()) + " bytes past the end");
  *out = std::move(s);
  return Status::Ok();
}

}  // namespace neurovec::index_file
