// Contrastive training of the text encoder (text_encoder.h): symmetric
// in-batch InfoNCE over (query, document) text pairs, row-wise Adagrad on the
// embedding table, feature dropout, threads natively. Seeded: the same pairs,
// options and thread count give the same weights.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "neurovec/status.h"
#include "text/text_encoder.h"
#include "text/text_features.h"

namespace neurovec::text {

struct EncoderTrainOptions {
  FeatureConfig features;
  uint32_t dimensions = 64;
  uint32_t epochs = 5;
  uint32_t batch = 256;           // pairs per step; the other pairs of a batch are the negatives
  float temperature = 0.05f;      // of the softmax over cosine similarities
  float learning_rate = 0.1f;     // row-wise Adagrad
  float init_scale = 0.1f;        // rows start uniform in [-init_scale, init_scale]
  float feature_dropout = 0.0f;   // each feature occurrence dropped with this probability while training
  // Hard batches: pairs of one group (TextPair::group, e.g. a Debian section)
  // are kept together in each epoch's order, so a batch's negatives are
  // mostly documents of the same kind.
  bool group_batches = false;
  uint32_t threads = 1;
  uint64_t seed = 42;
  Status Validate() const;
};

struct EncoderTrainProgress {
  uint32_t epoch = 0;     // 1-based, of the step just done
  uint64_t step = 0;      // steps done in all
  uint64_t steps = 0;     // steps in all epochs
  double loss = 0;        // mean InfoNCE loss over the epoch so far
};

// Called after each step; return false to stop (kAborted).
using EncoderTrainCallback = std::function<bool(const EncoderTrainProgress&)>;

// A pair is (query text index, document text index) into `texts`.
struct TextPair {
  uint32_t query;
  uint32_t document;
  uint32_t group = 0;  // for EncoderTrainOptions::group_batches
};

class EncoderTrainer {
 public:
  // Featurises every text once; pairs index into texts.
  static Result<EncoderTrainer> Create(const EncoderTrainOptions& options, const std::vector<std::string>& texts,
                                       std::vector<TextPair> pairs);
  // Runs the epochs (resumable: a second call continues from where it stopped).
  Result<EncoderTrainProgress> Train(const EncoderTrainCallback& progress = nullptr);
  // The current weights, quantised to int8.
  Result<TextEncoder> Encoder() const;

  // One step's loss and, when grad is given, its gradient with respect to the
  // rows (dense, buckets x dim) for a fixed batch without dropout: the finite
  // difference tests' entry point.
  double LossAndGradient(const std::vector<TextPair>& batch, std::vector<float>* grad) const;
  std::vector<float>& rows() { return rows_; }

 private:
  EncoderTrainOptions options_;
  std::vector<std::vector<uint32_t>> features_;  // per text
  std::vector<TextPair> pairs_;
  std::vector<float> rows_;       // buckets x dim
  std::vector<float> adagrad_;    // one accumulator per row
  uint64_t step_ = 0;
  uint64_t rng_ = 0;
};

}  // namespace neurovec::text
