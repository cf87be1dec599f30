/* neurovec's C ABI: the boundary the WebAssembly module exports to JavaScript
 * (and that native code may use too). Plain C types only: pointers are heap
 * offsets in wasm32, sizes are uint32.
 *
 * Errors: functions that can fail return -1 (or NULL) and leave a message in
 * nv_last_error() and a code (neurovec::StatusCode) in nv_last_error_code().
 * Nothing is thrown across this boundary.
 *
 * Ids cross as their compact encoding: 'n' + 8 little-endian bytes of an int64,
 * or 's' + UTF-8 text. Metadata and filters cross as UTF-8 JSON text.
 */
#ifndef NEUROVEC_C_H_
#define NEUROVEC_C_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nv_index nv_index;

/* metric: 0 l2, 1 cosine, 2 dot, 3 manhattan. Returns NULL on error. */
nv_index* nv_create(uint32_t dimensions, int32_t metric, uint32_t m, uint32_t ef_construction,
                    uint32_t ef_search, double seed, uint32_t initial_capacity);
void nv_destroy(nv_index* index);

/* Quantized traversal (neurovec::QuantizedTraversalConfig), set right after
 * nv_create / nv_create_durable on an index that never held an item. codec: 0
 * none, 1 f16, 2 int8, 3 int8-uniform, 4 pq8; rerank 0: all ef candidates;
 * train_items: items at which the codec is trained. 0, or -1. */
int32_t nv_enable_quantized(nv_index* index, int32_t codec, uint32_t rerank, uint32_t train_items);
/* Trains the codec again on the live items and re-encodes every slot. 0, or -1. */
int32_t nv_retrain_quantizer(nv_index* index);
/* Fills out[0..NV_QUANTIZED_INFO_COUNT) with: codec (as above), rerank,
 * train_items, trained (0/1). */
#define NV_QUANTIZED_INFO_COUNT 4
void nv_quantized_info(nv_index* index, double* out);
/* Fills out[0..NV_MEMORY_STATS_COUNT) with bytes of: vectors, codes, graph,
 * other (ids, metadata, flags), total, raw f32 (live items x dimensions x 4). */
#define NV_MEMORY_STATS_COUNT 6
void nv_memory_stats(nv_index* index, double* out);
/* Fills out[0..NV_PAGING_STATS_COUNT) with, for the vectors: paged (0/1),
 * cache bound, cached bytes, block reads, bytes read, hits, misses; then the
 * same seven for the graph's level-0 lists. */
#define NV_PAGING_STATS_COUNT 14
void nv_paging_stats(nv_index* index, double* out);

/* Compression tiers (neurovec::TiersConfig), set right after nv_create /
 * nv_create_durable on an index that never held an item. 0, or -1. */
int32_t nv_enable_tiers(nv_index* index, double hot, double warm, double cool, double cold, double half_life_seconds,
                        double hysteresis, uint32_t rerank, uint32_t migration_budget, uint32_t train_items);
/* Migrates every item to its tier now; out[0..5) receives the items moved into
 * hot, warm, cool, cold, archive. 0, or -1. */
int32_t nv_recompress(nv_index* index, double* out);
/* Trains the shared codebooks again and re-encodes every non-hot item. 0, or -1. */
int32_t nv_retrain_codebooks(nv_index* index);
/* Switches the access clock to caller-driven time (seconds). 0, or -1. */
int32_t nv_set_tier_clock(nv_index* index, double now_seconds);
/* Fills out[0..NV_TIER_INFO_COUNT) with: enabled (0/1), codebooks trained
 * (0/1), thresholds hot, warm, cool, cold, half-life seconds, hysteresis,
 * rerank, migration budget, train items, then live items in hot, warm, cool,
 * cold, archive. */
#define NV_TIER_INFO_COUNT 16
void nv_tier_info(nv_index* index, double* out);
/* Fills out[0..NV_TIER_MEMORY_COUNT) with bytes of: hot, warm, cool, cold,
 * archive (vector bytes per tier), codebooks, and the projected vector memory
 * once non-hot rows are released (hot rows + codes + codebooks). */
#define NV_TIER_MEMORY_COUNT 7
void nv_tier_memory(nv_index* index, double* out);

const char* nv_last_error(void);
int32_t nv_last_error_code(void);

/* Returns the slot, or -1. */
int32_t nv_add(nv_index* index, const char* key, uint32_t key_len, const float* vector, const char* metadata,
               uint32_t metadata_len);

/* Threads nv_add_batch and nv_search_batch may use; returns the number in effect: 1 in the
 * single-thread build, min(threads, 64) in the threaded build
 * (neurovec-threads.wasm). The caller must not allow more threads than the
 * module's pool of Workers (Module.nvThreadPool): a thread started past the
 * pool waits for a Worker that cannot load while the caller blocks. */
uint32_t nv_set_threads(uint32_t threads);

/* n items: keys concatenated in key_blob with key_offsets[0..n] (n+1 entries);
 * metadata likewise or meta_offsets == NULL for none. The slot of item i goes to
 * out_slots[i] (may be NULL). Returns 0, or -1 with nothing added. */
int32_t nv_add_batch(nv_index* index, uint32_t n, const char* key_blob, const uint32_t* key_offsets,
                     const float* vectors, const char* meta_blob, const uint32_t* meta_offsets,
                     uint32_t* out_slots);

/* Writes up to k results; returns their count, or -1. ef 0: the default. */
int32_t nv_search(nv_index* index, const float* query, uint32_t k, uint32_t ef, const char* filter,
                  uint32_t filter_len, uint32_t* out_slots, float* out_distances);

/* nv_search with learned routing (neurovec::SearchParams::routing and
 * target_recall): routing 0 auto, 1 plain, 2 learned; target_recall 0: the
 * router's default, else in (0, 1]. */
int32_t nv_search_routed(nv_index* index, const float* query, uint32_t k, uint32_t ef, const char* filter,
                         uint32_t filter_len, int32_t routing, float target_recall, uint32_t* out_slots,
                         float* out_distances);

/* n queries (n * dimensions floats, row after row) searched with the same
 * arguments as nv_search_routed, on the threads nv_set_threads allows: query
 * i's hits go to out_slots / out_distances [i*k, i*k + out_counts[i]).
 * Returns 0, or -1 with the error of the first failing query ("query i: ..."). */
int32_t nv_search_batch(nv_index* index, uint32_t n, const float* queries, uint32_t k, uint32_t ef,
                        const char* filter, uint32_t filter_len, int32_t routing, float target_recall,
                        uint32_t* out_slots, float* out_distances, uint32_t* out_counts);

/* Router training in slices (VectorIndex::BeginRouterTraining, routing_bindings.cc).
 * queries: query_count rows of dimensions floats (copied), or NULL to sample
 * stored items. 0, or -1 with the error set. */
int32_t nv_router_train_begin(nv_index* index, uint32_t k, uint32_t ef, uint32_t items, double calibration_share,
                              double default_target_recall, double seed, const float* queries, uint32_t query_count,
                              uint32_t skip_rank, int32_t plain_when_faster);
/* Records up to max_walks walks; out[0..NV_ROUTER_PROGRESS_COUNT) = walks done,
 * walks total, then once done the report: training walks, calibration walks,
 * records, seconds, full-walk recall, full-walk distance computations, routed
 * recall, routed distance computations, model bytes, routed neighbour-filter
 * tests, skip rank (0: no neighbour skipping), threads the walks ran on; then
 * per target recall (0.80 .. 0.99, 8 each): plain ef, plain walk serves (0/1),
 * learned walk's and plain walk's microseconds per query. Returns 1 when the router
 * is trained (and installed; a durable index checkpointed), 0 when more steps
 * are needed, -1 on error (the training is over). */
#define NV_ROUTER_PROGRESS_COUNT 46
int32_t nv_router_train_step(nv_index* index, uint32_t max_walks, double* out);
void nv_router_train_cancel(nv_index* index);
/* Forgets the router. 0, or -1 with the error set. */
int32_t nv_drop_router(nv_index* index);
/* out[0..NV_ROUTING_STATS_COUNT) = trained (0/1), k, training ef, learned
 * searches, early stops, fallbacks, items added or deleted since training,
 * unfamiliar searches, skipped neighbours, skip rank, projection table bytes,
 * searches the router sent to the plain walk. */
#define NV_ROUTING_STATS_COUNT 12
void nv_routing_stats(nv_index* index, double* out);

/* Workload adaptation (VectorIndex::SetWorkloadSampling, AdaptToWorkload).
 * The sample of recent queries (capacity 0: off) and automatic re-adaptation
 * (WorkloadSamplingOptions: adapt_every 0: off; the adapt options as for
 * nv_adapt_to_workload). 0, or -1 with the error set. */
int32_t nv_set_workload_sampling(nv_index* index, uint32_t capacity, uint32_t adapt_every, uint32_t hints,
                                 double coverage, uint32_t min_queries, double seed);
/* VectorIndex::AdaptWorkloadIfDue: 1 if it adapted, 0 if not due, -1 with the error set. */
int32_t nv_adapt_workload_if_due(nv_index* index);
/* 1 when WorkloadStats::adaptation_due (cheap: no stats are gathered). */
int32_t nv_workload_adaptation_due(nv_index* index);
/* Entry hints from the sample (queries NULL) or from query_count given rows:
 * out[0..4) = hints, bound, queries clustered, seconds. 0, or -1 with the error set. */
int32_t nv_adapt_to_workload(nv_index* index, uint32_t hints, double coverage, uint32_t min_queries, double seed,
                             const float* queries, uint32_t query_count, double* out);
void nv_drop_workload_adaptation(nv_index* index);
/* out[0..NV_WORKLOAD_STATS_COUNT) = sample capacity, sampled, recorded, recorded
 * since the last adaptation, hints, bound, hinted searches, unhinted searches,
 * adapt every, adaptation due (0/1), adaptations. */
#define NV_WORKLOAD_STATS_COUNT 11
void nv_workload_stats(nv_index* index, double* out);

/* 1 if removed, 0 if the id was unknown. */
int32_t nv_remove(nv_index* index, const char* key, uint32_t key_len);
/* Slot of a live id, or -1 (not an error). */
int32_t nv_slot_of(nv_index* index, const char* key, uint32_t key_len);
/* Copies the vector of a live slot into out (dimensions floats). */
void nv_get_vector(nv_index* index, uint32_t slot, float* out);
/* Pointers into the index, valid until the next write; length in *out_len. */
const char* nv_key_of(nv_index* index, uint32_t slot, uint32_t* out_len);
const char* nv_metadata_of(nv_index* index, uint32_t slot, uint32_t* out_len);

/* Fills out[0..NV_STATS_COUNT) with: size, deleted, capacity, dimensions, metric,
 * max_level, searches, distance_computations, hops, last distance_computations,
 * last hops, last exact_scan (0/1), memory_bytes; then maintenance: budget ms per
 * write, trigger fraction, passes, lists relinked, reconnected, changes since the
 * last pass, pass active (0/1), progress, milliseconds, unreachable after the last pass. */
#define NV_STATS_COUNT 23
/* Number of live items: what nv_stats reports first, without the rest (O(1)). */
uint32_t nv_size(nv_index* index);
void nv_stats(nv_index* index, double* out);

/* Graph health (VectorIndex::Health): out[0..7) = live, tombstones, unreachable,
 * unreachable through tombstones, links to tombstones, mean out-degree, histogram
 * length h; then out[7..7+h) the out-degree histogram. 0, or -1 with the error set. */
int32_t nv_health(nv_index* index, double* out);

/* One call of VectorIndex::Optimize with budget_ms (0: the whole pass):
 * out[0..6) = lists relinked, reconnected, unreachable before, unreachable after,
 * done (0/1), progress. 0, or -1 with the error set. */
int32_t nv_optimize(nv_index* index, double budget_ms, double* out);

/* Automatic repair while writing (MaintenanceOptions). 0, or -1 with the error set. */
int32_t nv_set_maintenance(nv_index* index, double budget_ms_per_write, double trigger_fraction);

/* The index as one file image (docs/file-format.md): a malloc'd buffer the
 * caller releases with free(); its length in *out_len. NULL if out of memory. */
uint8_t* nv_save(nv_index* index, uint32_t* out_len);
/* An index read from a file image, or NULL (codes 7 data loss, 8 unsupported
 * version, 9 not an index file). The bytes are copied; the caller keeps them. */
nv_index* nv_load(const uint8_t* data, uint32_t len);
/* Reads the configuration of an index: dimensions, metric, m, ef_construction,
 * ef_search, seed (as doubles, 6 entries). */
void nv_config(nv_index* index, double* out);

/* Durable indexes (host_storage.h): the index file lives in a storage the
 * host handed out as `storage` (named `name` in messages). The core releases
 * the handle (nv_host_storage_release) when the index is closed or destroyed,
 * and also when these calls fail. */
nv_index* nv_create_durable(uint32_t dimensions, int32_t metric, uint32_t m, uint32_t ef_construction,
                            uint32_t ef_search, double seed, uint32_t initial_capacity, int32_t storage,
                            const char* name, uint32_t name_len);
/* verify_checksums 0 skips the checksums of the vectors and graph sections;
 * page_cache_bytes > 0 reads vectors on demand through a cache of that bound
 * (OpenOptions). */
nv_index* nv_open_durable(int32_t storage, const char* name, uint32_t name_len, int32_t read_only,
                          int32_t verify_checksums, double page_cache_bytes);
/* 0, or -1. In-memory indexes: nothing to do, 0. */
int32_t nv_sync(nv_index* index);
int32_t nv_checkpoint(nv_index* index);
/* Syncs and releases the file; the index must be destroyed next (a paged
 * index does not read its vectors in first). */
int32_t nv_close(nv_index* index);
/* Replaces the metadata of a live id (len 0: none). 0, or -1 (NOT_FOUND for an unknown id). */
int32_t nv_set_metadata(nv_index* index, const char* key, uint32_t key_len, const char* metadata,
                        uint32_t metadata_len);
/* Fills out[0..NV_FILE_STATS_COUNT): durable (0/1), generation, image bytes,
 * log bytes, pending bytes, replayed records, trimmed torn tail (0/1),
 * checkpoints, syncs. */
#define NV_FILE_STATS_COUNT 9
void nv_file_stats(nv_index* index, double* out);

/* Name of the distance kernel in use ("wasm_simd128", "avx2", ...). */
const char* nv_kernel_name(void);

#ifdef __cplusplus
}
#endif

#endif /* NEUROVEC_C_H_ */
