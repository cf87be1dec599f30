#include "persistence/learning_section.h"

#include <mutex>

#include "persistence/section_version.h"
#include "util/byte_io.h"

namespace neurovec::index_file {
namespace {

// Version 2 appends online_steps and random_negatives, version 3
// replay_half_life, version 4 insert_steps, version 5 edge_learning_rate,
// version 6 memory_capacity and the click memory's events. A config that leaves the newer fields at 0 is written with
// the oldest version that holds it, so files that do not use them open in
// older builds.
constexpr uint32_t kSectionVersion = 6;

}  // namespace

// Layout (all little-endian): u32 version (1 to 6); config: u32 candidates,
// hidden_dim, heads, hops; f32 input_scale, temperature, consistency_weight,
// dropout, learning_rate, weight_decay; u32 batch_size, feedback_capacity,
// replay_capacity, replay_per_batch; f32 ewc_lambda; u64 seed; version 2 and
// later: u32 online_steps, random_negatives; version 3 and later: u32
// replay_half_life; version 4 and later: u32 insert_steps; version 5: f32
// edge_learning_rate; version 6: u32 memory_capacity;
// then u32 length + the learner's bytes (0 when nothing was learned yet);
// version 6: u32 length + the click memory's bytes (index/click_memory.cc).
std::string EncodeLearningSection(const LearningState& l) {
  std::lock_guard<std::mutex> lock(l.mutex);
  if (!l.configured && !l.learner && l.restored_bytes.empty()) return {};
  std::string out;
  ByteWriter w(out);
  const LearningConfig& c = l.config;
  const uint32_t version = c.memory_capacity > 0                            ? 6
                           : c.edge_learning_rate > 0                         ? 5
                           : c.insert_steps > 0                               ? 4
                           : c.replay_half_life > 0                           ? 3
                           : c.online_steps > 0 || c.random_negatives > 0 ? 2
                                                                          : 1;
  w.U32(version);
  w.U32(c.candidates);
  w.U32(c.hidden_dim);
  w.U32(c.heads);
  w.U32(c.hops);
  w.F32(c.input_scale);
  w.F32(c.temperature);
  w.F32(c.consistency_weight);
  w.F32(c.dropout);
  w.F32(c.learning_rate);
  w.F32(c.weight_decay);
  w.U32(c.batch_size);
  w.U32(c.feedback_capacity);
  w.U32(c.replay_capacity);
  w.U32(c.replay_per_batch);
  w.F32(c.ewc_lambda);
  w.U64(c.seed);
  if (version >= 2) {
    w.U32(c.online_steps);
    w.U32(c.random_negatives);
  }
  if (version >= 3) w.U32(c.replay_half_life);
  if (version >= 4) w.U32(c.insert_steps);
  if (version >= 5) w.F32(c.edge_learning_rate);
  if (version >= 6) w.U32(c.memory_capacity);
  // Only a trained model's parameters are worth keeping; otherwise the bytes
  // read from the file (if any) go back unchanged.
  const std::string state = l.learner && l.learner->trained() ? l.learner->Serialize() : l.restored_bytes;
  w.U32(static_cast<uint32_t>(state.size()));
  w.Bytes(state.data(), state.size());
  if (version >= 6) {
    const std::string memory = l.memory.Serialize();
    w.U32(static_cast<uint32_t>(memory.size()));
    w.Bytes(memory.data(), memory.size());
  }
  return out;
}

Status DecodeLearningSection(const uint8_t* data, size_t size, uint32_t dimensions, Metric metric, LearningState* l) {
  ByteReader r(data, size);
  const auto corrupt = SectionCorruption("learning");
  uint32_t version = 0;
  NV_RETURN_IF_ERROR(ReadSectionVersion(r, "learning", kSectionVersion, &version));
  LearningConfig c;
  uint32_t state_len = 0;
  if (!r.U32(c.candidates) || !r.U32(c.hidden_dim) || !r.U32(c.heads) || !r.U32(c.hops) || !r.F32(c.input_scale) ||
      !r.F32(c.temperature) || !r.F32(c.consistency_weight) || !r.F32(c.dropout) || !r.F32(c.learning_rate) ||
      !r.F32(c.weight_decay) || !r.U32(c.batch_size) || !r.U32(c.feedback_capacity) || !r.U32(c.replay_capacity) ||
      !r.U32(c.replay_per_batch) || !r.F32(c.ewc_lambda) || !r.U64(c.seed) ||
      (version >= 2 && (!r.U32(c.online_steps) || !r.U32(c.random_negatives))) ||
      (version >= 3 && !r.U32(c.replay_half_life)) || (version >= 4 && !r.U32(c.insert_steps)) ||
      (version >= 5 && !r.F32(c.edge_learning_rate)) || (version >= 6 && !r.U32(c.memory_capacity)) ||
      !r.U32(state_len)) {
    return corrupt("too short");
  }
  Status valid = c.Validate();
  if (!valid.ok()) return corrupt(valid.message());
  const uint8_t* state = nullptr;
  if (!r.Bytes(state_len, state)) return corrupt("state length does not match the section");
  ClickMemory memory(c.memory_capacity, dimensions, metric);
  if (version >= 6) {
    uint32_t memory_len = 0;
    const uint8_t* memory_bytes = nullptr;
    if (!r.U32(memory_len) || !r.Bytes(memory_len, memory_bytes)) return corrupt("click memory length exceeds the section");
    Status restored = memory.Restore(memory_bytes, memory_len);
    if (!restored.ok()) return corrupt(restored.message());
  }
  if (r.remaining() != 0) return corrupt("state length does not match the section");
  std::lock_guard<std::mutex> lock(l->mutex);
  l->config = c;
  l->configured = true;
  l->learner.reset();
  l->restored_bytes.assign(reinterpret_cast<const char*>(state), state_len);
  l->memory = std::move(memory);
  return Status::Ok();
}

}  // namespace neurovec::index_file
