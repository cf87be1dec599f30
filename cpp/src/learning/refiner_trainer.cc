#include "learning/refiner_trainer.h"

#include <algorithm>
#include <thread>

#include "learning/gradient_clipping.h"

namespace neurovec::learning {

TrainerConfig StandardTrainerConfig(float learning_rate, float weight_decay, uint64_t steps, uint32_t threads,
                                    uint64_t seed) {
  TrainerConfig config;
  config.schedule.kind = LrSchedule::Kind::kWarmupCosine;
  config.schedule.base = learning_rate;
  config.schedule.min = learning_rate * 0.05f;
  config.schedule.warmup_steps = std::min<uint64_t>(50, steps / 10);
  config.schedule.total_steps = std::max<uint64_t>(steps, config.schedule.warmup_steps + 1);
  config.adam.weight_decay = weight_decay;
  config.clip_norm = 5.0;
  config.threads = threads;
  config.seed = seed;
  return config;
}
namespace {

uint64_t MixSeed(uint64_t seed, uint64_t step, uint64_t index) {
  return seed ^ (step * 0x9e3779b97f4a7c15ull) ^ (index * 0xbf58476d1ce4e5b9ull);
}

bool HasPositive(const FeedbackExample& e) {
  return std::any_of(e.positive.begin(), e.positive.end(), [](uint8_t p) { return p != 0; });
}

}  // namespace

RefinerTrainer::RefinerTrainer(QueryRefiner* model, const TrainerConfig& config)
    : model_(model), config_(config), params_(model->Parameters()), adam_(config.adam) {}

float RefinerTrainer::TrainBatch(const std::vector<FeedbackExample>& batch,
                                 std::vector<std::vector<float>>* edge_dlogits) {
  if (edge_dlogits) edge_dlogits->assign(batch.size(), {});
  std::vector<size_t> usable;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (HasPositive(batch[i])) usable.push_back(i);
  }
  if (usable.empty()) return 0.0f;
  uint32_t threads = std::max<uint32_t>(1, std::min<uint32_t>(config_.threads, static_cast<uint32_t>(usable.size())));
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
  threads = 1;
#endif
  std::vector<QueryRefiner> replicas(threads, *model_);
  std::vector<double> losses(threads, 0.0);
  auto work = [&](uint32_t t) {
    ParameterSet p = replicas[t].Parameters();
    p.ZeroGrad();
    for (size_t u = t; u < usable.size(); u += threads) {
      Random rng(MixSeed(config_.seed, step_, u));
      const FeedbackExample& e = batch[usable[u]];
      losses[t] += replicas[t].AccumulateGradients(e.graph, e.positive, rng,
                                                   edge_dlogits ? &(*edge_dlogits)[usable[u]] : nullptr);
    }
  };
  std::vector<std::thread> pool;
  for (uint32_t t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (std::thread& th : pool) th.join();

  params_.ZeroGrad();
  double loss = 0;
  for (uint32_t t = 0; t < threads; ++t) {
    params_.AddGradsFrom(replicas[t].Parameters());
    loss += losses[t];
  }
  params_.ScaleGrads(1.0f / static_cast<float>(usable.size()));
  if (edge_dlogits) {
    for (std::vector<float>& d : *edge_dlogits) {
      for (float& g : d) g /= static_cast<float>(usable.size());
    }
  }
  if (ewc_.active()) ewc_.AddGradient(params_);
  last_gradient_norm_ = config_.clip_norm > 0 ? ClipGradientsByGlobalNorm(params_, config_.clip_norm) : params_.GradNorm();
  adam_.Step(params_, config_.schedule.At(step_));
  ++step_;
  return static_cast<float>(loss / static_cast<double>(usable.size()));
}

std::vector<Matrix> RefinerTrainer::EstimateFisher(const std::vector<FeedbackExample>& examples) {
  FisherEstimator fisher;
  Random rng(config_.seed);
  for (const FeedbackExample& e : examples) {
    if (!HasPositive(e)) continue;
    params_.ZeroGrad();
    model_->AccumulateGradients(e.graph, e.positive, rng);
    fisher.AddSample(params_);
  }
  params_.ZeroGrad();
  return fisher.Mean();
}

void RefinerTrainer::AnchorEwc(std::vector<Matrix> fisher, float lambda) { ewc_ = Ewc(params_, std::move(fisher), lambda); }

}  // namespace neurovec::learning
