// The C ABI of the learning calls (neurovec_learning_c.h). A file of its own
// so the core's C ABI (bindings.cc) still builds without the learning engine.
#include "neurovec_learning_c.h"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "neurovec/learning.h"
#include "nv_index.h"

namespace {

// Extra outputs of the last nv_search_learned (the module is single-threaded;
// thread_local keeps native callers apart too).
thread_local std::vector<float> g_edges;
thread_local std::vector<uint32_t> g_candidates;
thread_local std::vector<float> g_attention;
thread_local std::vector<float> g_soft;
// The last nv_refiner_inputs (same lifetime rule as above).
thread_local neurovec::RefinerCandidates g_inputs;

bool ToU32(double v, uint32_t* out) {
  if (!(v >= 0 && v <= 4294967295.0) || std::floor(v) != v) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

// The 7 floats of a search's `memory` argument (null: the defaults) into params.
neurovec::Status ReadMemoryParams(const float* memory, neurovec::SearchParams* params) {
  if (memory == nullptr) return neurovec::Status::Ok();
  const auto whole = [](float v, float least) { return v >= least && v <= 4294967295.0f && std::floor(v) == v; };
  if (!whole(memory[0], 1)) return neurovec::Status::InvalidArgument("memory neighbours must be a positive integer");
  if (!whole(memory[4], 0)) return neurovec::Status::InvalidArgument("memory min events must be an integer >= 0");
  if (!whole(memory[5], 0)) return neurovec::Status::InvalidArgument("memory scan must be an integer >= 0");
  params->memory_neighbours = static_cast<uint32_t>(memory[0]);
  params->memory_strength = memory[1];
  params->memory_reject_weight = memory[2];
  params->memory_min_similarity = memory[3];
  params->memory_min_events = static_cast<uint32_t>(memory[4]);
  params->memory_scan = static_cast<uint32_t>(memory[5]);
  params->memory_half_life = memory[6];
  return neurovec::Status::Ok();  // the ranges: SearchLearned / RefinerInputs validate them
}

}  // namespace

extern "C" {

int32_t nv_learning_configure(nv_index* index, const double* v, uint32_t count) {
  nv_internal_clear_error();
  neurovec::learning::EnableLearning();
  if (count != NV_LEARNING_OPTION_COUNT) {
    return nv_internal_fail(neurovec::Status::InvalidArgument("expected " + std::to_string(NV_LEARNING_OPTION_COUNT) +
                                                              " learning options"));
  }
  neurovec::LearningConfig c;
  const bool ints = ToU32(v[0], &c.candidates) && ToU32(v[1], &c.hidden_dim) && ToU32(v[2], &c.heads) &&
                    ToU32(v[3], &c.hops) && ToU32(v[10], &c.batch_size) && ToU32(v[11], &c.feedback_capacity) &&
                    ToU32(v[12], &c.replay_capacity) && ToU32(v[13], &c.replay_per_batch) &&
                    ToU32(v[16], &c.online_steps) && ToU32(v[17], &c.random_negatives) &&
                    ToU32(v[18], &c.replay_half_life) && ToU32(v[19], &c.insert_steps) &&
                    ToU32(v[21], &c.memory_capacity);
  if (!ints || !(v[15] >= 0 && v[15] <= 9007199254740991.0) || std::floor(v[15]) != v[15]) {
    return nv_internal_fail(neurovec::Status::InvalidArgument("learning options: integers expected"));
  }
  c.input_scale = static_cast<float>(v[4]);
  c.temperature = static_cast<float>(v[5]);
  c.consistency_weight = static_cast<float>(v[6]);
  c.dropout = static_cast<float>(v[7]);
  c.learning_rate = static_cast<float>(v[8]);
  c.weight_decay = static_cast<float>(v[9]);
  c.ewc_lambda = static_cast<float>(v[14]);
  c.seed = static_cast<uint64_t>(v[15]);
  c.edge_learning_rate = static_cast<float>(v[20]);
  neurovec::Status s = index->index->ConfigureLearning(c);
  return s.ok() ? 0 : nv_internal_fail(s);
}

void nv_learning_config(nv_index* index, double* out) {
  const neurovec::LearningConfig& c = index->index->learning_config();
  const double values[NV_LEARNING_OPTION_COUNT] = {
      double(c.candidates),   double(c.hidden_dim),         double(c.heads),       double(c.hops),
      double(c.input_scale),  double(c.temperature),        double(c.consistency_weight), double(c.dropout),
      double(c.learning_rate), double(c.weight_decay),      double(c.batch_size),  double(c.feedback_capacity),
      double(c.replay_capacity), double(c.replay_per_batch), double(c.ewc_lambda), double(c.seed),
      double(c.online_steps), double(c.random_negatives), double(c.replay_half_life), double(c.insert_steps),
      double(c.edge_learning_rate), double(c.memory_capacity)};
  std::memcpy(out, values, sizeof values);
}

void nv_learning_stats(nv_index* index, double* out) {
  neurovec::learning::EnableLearning();
  const neurovec::VectorIndex::LearningStats s = index->index->learning_stats();
  const double values[NV_LEARNING_STATS_COUNT] = {s.configured ? 1.0 : 0.0, s.active ? 1.0 : 0.0,
                                                  s.trained ? 1.0 : 0.0,    s.training ? 1.0 : 0.0,
                                                  double(s.pending_feedback), double(s.online_steps),
                                                  double(s.online_ewc_anchors), double(s.insert_steps),
                                                  double(s.inserted_examples), double(s.learned_links),
                                                  double(s.memory_events)};
  std::memcpy(out, values, sizeof values);
}

int32_t nv_feedback(nv_index* index, const float* query, const uint32_t* positives, uint32_t positive_count,
                    const uint32_t* negatives, uint32_t negative_count, uint32_t implicit_count) {
  nv_internal_clear_error();
  neurovec::learning::EnableLearning();
  std::vector<uint32_t> pos(positives, positives + positive_count);
  std::vector<uint32_t> neg(negatives, negatives + negative_count);
  neurovec::Status s = index->index->FeedbackSlots(query, pos, neg, implicit_count);
  return s.ok() ? 0 : nv_internal_fail(s);
}

int32_t nv_train_begin(nv_index* index, uint32_t epochs) {
  nv_internal_clear_error();
  neurovec::learning::EnableLearning();
  neurovec::TrainOptions o;
  o.epochs = epochs;
  o.threads = g_batch_threads;
  neurovec::Status s = index->index->BeginTraining(o);
  return s.ok() ? 0 : nv_internal_fail(s);
}

int32_t nv_train_step(nv_index* index, uint32_t max_batches, double* out) {
  nv_internal_clear_error();
  auto step = index->index->TrainStep(max_batches);
  if (!step.ok()) {
    index->index->CancelTraining();
    return nv_internal_fail(step.status());
  }
  const neurovec::TrainProgress& p = step.value();
  const double values[NV_TRAIN_PROGRESS_COUNT] = {double(p.epoch),         double(p.epochs),        double(p.batches_done),
                                                  double(p.batches_total), double(p.examples_done), double(p.loss),
                                                  p.done ? 1.0 : 0.0,         double(p.threads)};
  std::memcpy(out, values, sizeof values);
  return p.done ? 1 : 0;
}

void nv_train_cancel(nv_index* index) { index->index->CancelTraining(); }

int32_t nv_search_learned(nv_index* index, const float* query, uint32_t k, uint32_t ef, const char* filter,
                          uint32_t filter_len, int32_t mode, float temperature, uint32_t expand, const float* memory,
                          uint32_t* out_slots, float* out_distances, float* out_scores) {
  nv_internal_clear_error();
  neurovec::learning::EnableLearning();
  g_edges.clear();
  g_candidates.clear();
  g_attention.clear();
  g_soft.clear();
  if (mode < 0 || mode > 3) return nv_internal_fail(neurovec::Status::InvalidArgument("unknown search mode"));
  neurovec::SearchParams params;
  params.k = k;
  params.ef = ef;
  params.expand = expand;
  neurovec::Status memory_read = ReadMemoryParams(memory, &params);
  if (!memory_read.ok()) return nv_internal_fail(memory_read);
  if (filter != nullptr && filter_len > 0) params.filter.assign(filter, filter_len);
  auto found = index->index->SearchLearned(query, params, static_cast<neurovec::SearchMode>(mode), temperature);
  if (!found.ok()) return nv_internal_fail(found.status());
  const neurovec::LearnedSearchResult& r = found.value();
  for (size_t i = 0; i < r.hits.size(); ++i) {
    out_slots[i] = r.hits[i].slot;
    out_distances[i] = r.hits[i].distance;
    out_scores[i] = r.hits[i].score;
  }
  for (const neurovec::LearnedEdge& e : r.edges) {
    g_edges.push_back(static_cast<float>(e.from));
    g_edges.push_back(static_cast<float>(e.to));
    g_edges.push_back(e.weight);
  }
  g_candidates = r.candidate_slots;
  g_attention = r.attention;
  g_soft = r.soft_vector;
  return static_cast<int32_t>(r.hits.size());
}

const float* nv_learned_edges(uint32_t* out_count) {
  *out_count = static_cast<uint32_t>(g_edges.size() / 3);
  return g_edges.data();
}

const uint32_t* nv_learned_candidates(uint32_t* out_count) {
  *out_count = static_cast<uint32_t>(g_candidates.size());
  return g_candidates.data();
}

const float* nv_learned_attention(void) { return g_attention.data(); }

const float* nv_learned_soft_vector(uint32_t* out_len) {
  *out_len = static_cast<uint32_t>(g_soft.size());
  return g_soft.data();
}

int32_t nv_refiner_inputs(nv_index* index, const float* query, uint32_t k, uint32_t ef, const char* filter,
                          uint32_t filter_len, const float* memory) {
  nv_internal_clear_error();
  neurovec::learning::EnableLearning();  // the link offsets come from the learner
  g_inputs = neurovec::RefinerCandidates();
  neurovec::SearchParams params;
  params.k = k;
  params.ef = ef;
  neurovec::Status memory_read = ReadMemoryParams(memory, &params);
  if (!memory_read.ok()) return nv_internal_fail(memory_read);
  if (filter != nullptr && filter_len > 0) params.filter.assign(filter, filter_len);
  auto got = index->index->RefinerInputs(query, params);
  if (!got.ok()) return nv_internal_fail(got.status());
  g_inputs = got.take();
  return static_cast<int32_t>(g_inputs.slots.size());
}

const uint32_t* nv_refiner_input_slots(void) { return g_inputs.slots.data(); }
const float* nv_refiner_input_distances(void) { return g_inputs.distances.data(); }
const float* nv_refiner_input_vectors(void) { return g_inputs.vectors.data(); }
const uint8_t* nv_refiner_input_adjacency(void) { return g_inputs.adjacency.data(); }
const float* nv_refiner_input_link_offsets(void) { return g_inputs.link_offsets.data(); }
const float* nv_refiner_input_query(void) { return g_inputs.query.data(); }

}  // extern "C"
