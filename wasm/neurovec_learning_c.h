/* The C ABI of the index's learning calls (issue 5; neurovec/learning.h).
 * Same conventions as neurovec_c.h: -1 (or NULL) on error with
 * nv_last_error(); items are named by slot (nv_slot_of). */
#ifndef NEUROVEC_LEARNING_C_H_
#define NEUROVEC_LEARNING_C_H_

#include <stdint.h>

#include "neurovec_c.h"

#ifdef __cplusplus
extern "C" {
#endif

/* values[0..NV_LEARNING_OPTION_COUNT), in LearningConfig's order: candidates,
 * hidden_dim, heads, hops, input_scale, temperature, consistency_weight,
 * dropout, learning_rate, weight_decay, batch_size, feedback_capacity,
 * replay_capacity, replay_per_batch, ewc_lambda, seed, online_steps,
 * random_negatives, replay_half_life, insert_steps, edge_learning_rate,
 * memory_capacity. 0 or -1. */
#define NV_LEARNING_OPTION_COUNT 22
int32_t nv_learning_configure(nv_index* index, const double* values, uint32_t count);
/* Writes the options in use (same order) to out. */
void nv_learning_config(nv_index* index, double* out);

/* out[0..NV_LEARNING_STATS_COUNT): configured, active, trained, training
   (0/1), feedback events waiting for a training, online steps run, online EWC anchors,
   steps run on inserted items, inserted items learned from, links with a learned
   per-link weight, events in the click memory (VectorIndex::LearningStats). */
#define NV_LEARNING_STATS_COUNT 11
void nv_learning_stats(nv_index* index, double* out);

/* Records feedback for `query`: positive and negative slots; the last
 * implicit_count negatives were shown and skipped, not rejected (the click
 * memory ignores them). 0 or -1. */
int32_t nv_feedback(nv_index* index, const float* query, const uint32_t* positives, uint32_t positive_count,
                    const uint32_t* negatives, uint32_t negative_count, uint32_t implicit_count);

/* Stepwise training so JS can yield between steps. The training runs on
   nv_set_threads' count at the time of nv_train_begin (1 in the single-thread
   build; 1 keeps the summation order, so bit-identical parameters). */
int32_t nv_train_begin(nv_index* index, uint32_t epochs);
/* Up to max_batches batches. Fills out[0..NV_TRAIN_PROGRESS_COUNT): epoch,
 * epochs, batches done, batches total, examples done, loss, done (0/1), threads.
 * Returns 1 when training finished, 0 when more remains, -1 on error. */
#define NV_TRAIN_PROGRESS_COUNT 8
int32_t nv_train_step(nv_index* index, uint32_t max_batches, double* out);
/* Ends a training begun; the parameters are as before it. */
void nv_train_cancel(nv_index* index);

/* mode: 1 neural, 2 subgraph, 3 differentiable (0 vector); expand: items the
 * learned walk may evaluate beyond the candidates (SearchParams::expand, 0:
 * none); memory: null for the defaults, or 7 floats, how the click memory is
 * read (SearchParams::memory_neighbours, memory_strength,
 * memory_reject_weight, memory_min_similarity, memory_min_events,
 * memory_scan, memory_half_life). Writes up to k hits (slot, distance, score); returns their count, or
 * -1. The extra outputs stay readable until the next call of
 * nv_search_learned in this thread: */
int32_t nv_search_learned(nv_index* index, const float* query, uint32_t k, uint32_t ef, const char* filter,
                          uint32_t filter_len, int32_t mode, float temperature, uint32_t expand, const float* memory,
                          uint32_t* out_slots, float* out_distances, float* out_scores);
/* Subgraph edges: *out_count triples (from, to, weight) as floats (from/to are result indices). */
const float* nv_learned_edges(uint32_t* out_count);
/* Differentiable: the candidates' slots, their attention weights (same count), the soft vector (dimensions). */
const uint32_t* nv_learned_candidates(uint32_t* out_count);
const float* nv_learned_attention(void);
const float* nv_learned_soft_vector(uint32_t* out_len);

/* The inputs of an external refiner (an exported ONNX model) for `query`:
 * the k' = max(k, learning candidates) candidates the neural modes re-rank.
 * Returns their count n, or -1. Readable until the next call in this thread:
 * slots (n), distances (n), vectors (n x dimensions, row-major), adjacency
 * (n x n bytes, 1 where candidate i links to j at HNSW level 0), link offsets
 * (n x n floats, each link's learned logit offset; 0 where none), the query
 * the refiner scores against. memory: as nv_search_learned's. */
int32_t nv_refiner_inputs(nv_index* index, const float* query, uint32_t k, uint32_t ef, const char* filter,
                          uint32_t filter_len, const float* memory);
const uint32_t* nv_refiner_input_slots(void);
const float* nv_refiner_input_distances(void);
const float* nv_refiner_input_vectors(void);
const uint8_t* nv_refiner_input_adjacency(void);
/* count x count floats: each link's learned logit offset (0: none). */
const float* nv_refiner_input_link_offsets(void);
/* The query the refiner scores against (dimensions floats): the caller's, or the
 * one the click memory moved (LearningConfig::memory_capacity). */
const float* nv_refiner_input_query(void);

#ifdef __cplusplus
}
#endif

#endif /* NEUROVEC_LEARNING_C_H_ */
