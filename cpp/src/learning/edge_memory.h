// Per-edge learned weights (issue 14, "edges that matter"): one logit offset
// per HNSW link between two stored items, learned from feedback and kept in the
// index file, on top of the global edge model of edge_weights.h:
//   w(u, v) = sigmoid(alpha * sim + beta * structural + offset(u, v)) * decay
// The offset of a link starts at 0 (the global model alone) and moves with the
// gradient of the refiner's loss with respect to that edge's logit each time a
// training example's candidate graph contains the link; links no example
// touched keep offset 0. Links are undirected here: u -> v and v -> u share
// one offset.
//
// Updates are sparse Adagrad (each entry keeps its own sum of squared
// gradients), so a link seen in many examples takes smaller steps than a link
// seen once, and the step size does not depend on the scale of the attention
// gradients.
//
// Time: every entry carries the clock (examples learned so far) of its last
// update; with half_life > 0 its offset counts as offset * 2^(-age / half_life)
// when read, so links feedback stopped confirming fade back to the global model.
//
// Slots are reused after deletes, and the learner hears of no delete: each entry
// keeps the cosine of its endpoints' vectors from when it was learned, and an
// entry whose endpoints' cosine now differs (another item in a slot) is ignored
// and forgotten at its next update.
//
// Bounded: at most `capacity` entries; when full, entries whose decayed offset
// is negligible are dropped, and failing that new links are not learned.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "neurovec/status.h"

namespace neurovec::learning {

struct EdgeMemoryConfig {
  float learning_rate = 0.0f;  // Adagrad step size; 0: off (no entry is ever made)
  uint32_t half_life = 0;      // in learned examples; 0: offsets never fade
  size_t capacity = 1u << 20;  // entries at most
};

class EdgeMemory {
 public:
  EdgeMemory() = default;
  explicit EdgeMemory(const EdgeMemoryConfig& config) : config_(config) {}

  bool enabled() const { return config_.learning_rate > 0; }
  size_t size() const { return entries_.size(); }
  uint64_t clock() const { return clock_; }

  // The offset of link (u, v) whose endpoints now have cosine `similarity`: 0
  // when unknown or stale.
  float Offset(uint32_t u, uint32_t v, float similarity) const;

  // One optimiser step from the gradients of the loss with respect to the
  // logit of each link a batch read (d(loss)/d(offset(u, v)), each with the
  // link's current cosine). A link listed more than once (both directions,
  // several examples) steps once, on the sum.
  struct LinkGradient {
    uint32_t u, v;
    float similarity;
    float gradient;
  };
  void Apply(const std::vector<LinkGradient>& gradients);
  // Advances the clock by `examples` learned examples.
  void Tick(uint64_t examples) { clock_ += examples; }

  // Bytes for the learned state (little-endian, fixed width), and back; Restore
  // reads exactly `size` bytes or fails with kCorrupt and leaves this unchanged.
  std::string Serialize() const;
  Status Restore(const uint8_t* data, size_t size);

 private:
  struct Entry {
    float offset = 0;
    float squared_sum = 0;  // Adagrad accumulator
    float similarity = 0;   // endpoints' cosine when learned
    uint64_t stamp = 0;     // clock_ at the last update
  };
  static uint64_t Key(uint32_t u, uint32_t v) {
    return u < v ? (uint64_t{u} << 32) | v : (uint64_t{v} << 32) | u;
  }
  static bool SameEndpoints(const Entry& e, float similarity);
  float Decayed(const Entry& e) const;
  // Drops entries whose decayed offset is negligible; true when room was made.
  bool MakeRoom();

  EdgeMemoryConfig config_;
  std::unordered_map<uint64_t, Entry> entries_;
  uint64_t clock_ = 0;
};

}  // namespace neurovec::learning
