// The quantized traversal of a VectorIndex (IndexConfig::quantized): a codec
// and one code per slot (quant::QuantizedStore) kept in step with the f32
// VectorStore, and the search that walks the graph on codes and re-ranks its
// best candidates exactly. Not a public header.
//
// Life cycle: enabled at creation, untrained; trained once when the index
// first holds config.train_items items (MaybeTrain, at the moment the store
// calibrates its dimension order, so codes are made in the final stored
// form), or on VectorIndex::RetrainQuantizer. Training encodes every used slot
// (tombstones too: they still route searches); afterwards every stored row is
// encoded as it is placed (VectorIndex::Impl::Place), including reused slots.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hnsw/hnsw_graph.h"
#include "index/exact_rerank.h"
#include "neurovec/config.h"
#include "neurovec/status.h"
#include "quantization/codec.h"
#include "quantization/quantized_store.h"
#include "storage/vector_store.h"

namespace neurovec {

// The codec parameters a traversal codec stands for (dimensions and metric of the index).
quant::CodecParams TraversalCodecParams(TraversalCodec codec, uint32_t dimensions, Metric metric);

class QuantizedTier {
 public:
  QuantizedTier(const QuantizedTraversalConfig& config, uint32_t dimensions, Metric metric)
      : config_(config), dimensions_(dimensions), metric_(metric) {}

  const QuantizedTraversalConfig& config() const { return config_; }
  bool trained() const { return codes_ != nullptr; }
  // Requires trained().
  const quant::QuantizedStore& codes() const { return *codes_; }
  uint64_t memory_bytes() const { return codes_ ? codes_->memory_bytes() : 0; }

  // Training samples at most this many rows (evenly spaced): int8/f16 need
  // only ranges, and PQ8's k-means cost grows with the sample.
  static constexpr size_t kMaxTrainSample = 16384;

  // Trains when the index reaches config().train_items with `incoming_n` user
  // vectors about to be added (not stored yet: encoded by `store` for the
  // sample). Does nothing once trained. `capacity`: slots allocated.
  Status MaybeTrain(const VectorStore& store, uint32_t used_slots, const float* incoming, size_t incoming_n,
                    size_t capacity);
  // Trains a new codec on the rows of the slots `live` marks among [0,
  // used_slots) and re-encodes every used slot. On error nothing changes.
  Status Train(const VectorStore& store, uint32_t used_slots, const std::vector<uint8_t>& live, size_t capacity);

  // Drops the codec and codes (the stored rows changed form); the next
  // MaybeTrain trains again. Searches walk on f32 meanwhile.
  void Forget() { codes_.reset(); }

  Status Reserve(size_t slots) { return codes_ ? codes_->Reserve(slots) : Status::Ok(); }
  // Encodes the stored-form row of a slot (no-op until trained).
  void Store(uint32_t slot, const float* stored_row) {
    if (codes_) codes_->Store(slot, stored_row);
  }

  // Walks the graph on codes with a candidate list of max(ef, re-ranked), then
  // replaces ctx.results by the re-ranked candidates with exact f32 distances
  // (unsorted). Returns how many candidates the walk found (before keeping the
  // re-ranked ones): the caller's "the walk ran out of nodes" check needs it.
  template <typename Accept>
  size_t Search(const HnswGraph& graph, const VectorStore& store, const float* query, uint32_t ef, uint32_t k,
                const Accept& accept, bool everything_accepted, SearchContext& ctx, TraversalCounters& counters) const {
    const uint32_t keep = RerankDepth(config_.rerank, ef, k);
    const uint32_t walk_ef = std::max(ef, keep);
    std::unique_ptr<quant::QueryDistance> prepared = codes_->codec().PrepareQuery(query);
    graph.Search(static_cast<const quant::QueryDistance*>(prepared.get()), walk_ef, *codes_, accept,
                 everything_accepted, ctx, counters);
    return KeepAndRescoreExactly(store, query, keep, ctx.results, counters);
  }

  // Replaces the state (file reader): a trained codec and its codes for
  // [0, used) slots, `capacity` allocated.
  Status Restore(std::unique_ptr<quant::Codec> codec, const uint8_t* codes, uint32_t used, size_t capacity);

 private:
  Status TrainOn(const float* sample, size_t n, const VectorStore& store, uint32_t used_slots, size_t capacity);

  QuantizedTraversalConfig config_;
  uint32_t dimensions_;
  Metric metric_;
  std::unique_ptr<quant::QuantizedStore> codes_;  // null until trained
};

}  // namespace neurovec
