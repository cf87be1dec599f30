#include "learning/edge_memory.h"

#include <algorithm>
#include <cmath>

#include "util/byte_io.h"

namespace neurovec::learning {
namespace {

// Endpoints whose cosine moved more than this are taken for other items.
// Decoding the same stored vector twice gives the same bits, and a tier
// migration (f32 -> f16 -> PQ) moves a cosine by far less than two unrelated
// items differ.
constexpr float kSameEndpointsTolerance = 0.02f;
// A decayed offset below this is the global model alone, near enough to drop.
constexpr float kNegligibleOffset = 1e-3f;
constexpr float kAdagradEpsilon = 1e-8f;
// Entry bytes: u32 u, u32 v, f32 offset, f32 squared_sum, f32 similarity, u64 stamp.
constexpr size_t kEntryBytes = 28;

}  // namespace

bool EdgeMemory::SameEndpoints(const Entry& e, float similarity) {
  return std::fabs(e.similarity - similarity) <= kSameEndpointsTolerance;
}

float EdgeMemory::Decayed(const Entry& e) const {
  if (config_.half_life == 0 || clock_ <= e.stamp) return e.offset;
  const double age = static_cast<double>(clock_ - e.stamp);
  return static_cast<float>(e.offset * std::exp2(-age / config_.half_life));
}

float EdgeMemory::Offset(uint32_t u, uint32_t v, float similarity) const {
  if (entries_.empty()) return 0.0f;
  const auto it = entries_.find(Key(u, v));
  if (it == entries_.end() || !SameEndpoints(it->second, similarity)) return 0.0f;
  return Decayed(it->second);
}

bool EdgeMemory::MakeRoom() {
  const size_t before = entries_.size();
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (std::fabs(Decayed(it->second)) < kNegligibleOffset) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  return entries_.size() < before;
}

void EdgeMemory::Apply(const std::vector<LinkGradient>& gradients) {
  if (!enabled()) return;
  // Both directions of a link, and a link in several examples of one batch,
  // make one step on the summed gradient.
  std::vector<std::pair<uint64_t, LinkGradient>> sorted;
  sorted.reserve(gradients.size());
  for (const LinkGradient& g : gradients) {
    if (g.u == g.v || !std::isfinite(g.gradient) || g.gradient == 0.0f) continue;
    sorted.push_back({Key(g.u, g.v), g});
  }
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < sorted.size();) {
    const uint64_t key = sorted[i].first;
    const float similarity = sorted[i].second.similarity;
    double sum = 0;
    for (; i < sorted.size() && sorted[i].first == key; ++i) sum += sorted[i].second.gradient;
    const float g = static_cast<float>(sum);
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      if (entries_.size() >= config_.capacity && !MakeRoom()) continue;
      it = entries_.emplace(key, Entry{}).first;
      it->second.similarity = similarity;
    } else if (!SameEndpoints(it->second, similarity)) {
      it->second = Entry{};  // another item in a slot: what was learned is not about this link
      it->second.similarity = similarity;
    }
    Entry& e = it->second;
    e.offset = Decayed(e);
    e.stamp = clock_;
    e.squared_sum += g * g;
    e.offset -= config_.learning_rate * g / (std::sqrt(e.squared_sum) + kAdagradEpsilon);
  }
}

std::string EdgeMemory::Serialize() const {
  // Sorted by link, so the same memory gives the same bytes on every platform.
  std::vector<uint64_t> keys;
  keys.reserve(entries_.size());
  for (const auto& [key, entry] : entries_) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  std::string out;
  ByteWriter w(out);
  w.U64(clock_);
  w.U64(keys.size());
  for (uint64_t key : keys) {
    const Entry& e = entries_.at(key);
    w.U32(static_cast<uint32_t>(key >> 32));
    w.U32(static_cast<uint32_t>(key));
    w.F32(e.offset);
    w.F32(e.squared_sum);
    w.F32(e.similarity);
    w.U64(e.stamp);
  }
  return out;
}

Status EdgeMemory::Restore(const uint8_t* data, size_t size) {
  ByteReader r(data, size);
  uint64_t clock = 0, count = 0;
  if (!r.U64(clock) || !r.U64(count)) return Status::Corrupt("per-edge weights are cut short");
  if (count > r.remaining() / kEntryBytes || r.remaining() != count * kEntryBytes) {
    return Status::Corrupt("per-edge weights: " + std::to_string(count) + " entries do not fill " +
                           std::to_string(r.remaining()) + " bytes");
  }
  std::unordered_map<uint64_t, Entry> entries;
  entries.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t u = 0, v = 0;
    Entry e;
    r.U32(u);
    r.U32(v);
    r.F32(e.offset);
    r.F32(e.squared_sum);
    r.F32(e.similarity);
    r.U64(e.stamp);
    if (u >= v || !std::isfinite(e.offset) || !(e.squared_sum >= 0) || !std::isfinite(e.similarity) ||
        e.stamp > clock) {
      return Status::Corrupt("per-edge weights: entry " + std::to_string(i) + " is invalid");
    }
    if (!entries.emplace(Key(u, v), e).second) {
      return Status::Corrupt("per-edge weights: link " + std::to_string(u) + "-" + std::to_string(v) + " twice");
    }
  }
  entries_ = std::move(entries);
  clock_ = clock;
  return Status::Ok();
}

}  // namespace neurovec::learning
