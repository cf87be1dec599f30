// Mini-batch training of a QueryRefiner from feedback examples: AdamW, a
// learning-rate schedule, global-norm clipping, optional EWC, and data-parallel
// gradients over threads.
//
// Reproducibility: with the same seed, model, examples and thread count, the
// parameters after training are bit-identical. Each example's dropout mask is
// seeded from (seed, step, position in batch); example i of a batch goes to
// worker i % threads, and worker gradients are summed in worker order. A
// different thread count changes the summation order (so the last bits).
// The wasm build always uses one thread (it ships without pthreads).
#pragma once

#include <cstdint>
#include <vector>

#include "learning/adam.h"
#include "learning/ewc.h"
#include "learning/lr_schedule.h"
#include "learning/query_refiner.h"

namespace neurovec::learning {

struct FeedbackExample {
  CandidateGraph graph;
  std::vector<uint8_t> positive;  // per candidate; at least one set
};

struct TrainerConfig {
  AdamConfig adam;
  LrSchedule schedule;
  double clip_norm = 1.0;  // global gradient norm cap; 0 disables clipping
  uint32_t threads = 1;
  uint64_t seed = 7;       // dropout masks
};

// The recipe the index and learn-bench both train with: AdamW, a warm-up of
// min(50, steps/10) steps then cosine decay to 5% of `learning_rate` over
// `steps`, and gradient norms clipped at 5.
TrainerConfig StandardTrainerConfig(float learning_rate, float weight_decay, uint64_t steps, uint32_t threads,
                                    uint64_t seed);

class RefinerTrainer {
 public:
  // `model` must outlive the trainer.
  RefinerTrainer(QueryRefiner* model, const TrainerConfig& config);

  // One optimisation step on the mean loss of the batch (examples without a
  // positive are skipped). Returns that mean loss (0 for an empty batch).
  // With `edge_dlogits` (resized to the batch), entry i receives example i's
  // gradient with respect to each edge's logit, already divided by the number
  // of usable examples like the parameters' (empty for a skipped example).
  float TrainBatch(const std::vector<FeedbackExample>& batch,
                   std::vector<std::vector<float>>* edge_dlogits = nullptr);

  // Diagonal Fisher of the current model over `examples` (one gradient per example).
  std::vector<Matrix> EstimateFisher(const std::vector<FeedbackExample>& examples);
  // Adds an EWC penalty anchored at the current parameters from now on.
  void AnchorEwc(std::vector<Matrix> fisher, float lambda);
  const Ewc& ewc() const { return ewc_; }

  uint64_t step() const { return step_; }
  double last_gradient_norm() const { return last_gradient_norm_; }

 private:
  QueryRefiner* model_;
  TrainerConfig config_;
  ParameterSet params_;
  Adam adam_;
  Ewc ewc_;
  uint64_t step_ = 0;
  double last_gradient_norm_ = 0;
};

}  // namespace neurovec::learning
