#include "learning/index_learner.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <queue>
#include <thread>
#include <unordered_set>

#include "hnsw/hnsw_graph.h"
#include "learning/adjacency.h"
#include "learning/parameter_serialization.h"
#include "util/byte_io.h"
#include "storage/vector_store.h"

namespace neurovec::learning {
namespace {

// Version 2 adds the per-link edge weights; a learner without any writes version 1.
constexpr uint32_t kStateVersion = 2;
constexpr size_t kFisherExamples = 256;

}  // namespace

struct IndexLearner::Session {
  QueryRefiner backup;  // the model before this training, restored on cancel
  EdgeMemory edges_backup;  // and the per-link weights
  std::unique_ptr<RefinerTrainer> trainer;
  std::vector<FeedbackRecord> records;
  std::vector<uint32_t> order;
  Random shuffle{0};
  uint32_t batch = 32;
  uint64_t batches_per_epoch = 0;
  size_t position = 0;  // in `order`, within the current epoch
  double epoch_loss = 0;
  uint64_t epoch_batches = 0;
  uint32_t threads = 1;
  TrainProgress progress;
};

void EnableLearning() { SetLearnerFactory(&IndexLearner::Create); }

IndexLearner::IndexLearner(const LearningConfig& config, uint32_t dimensions)
    : config_(config),
      dimensions_(dimensions),
      edges_(EdgeMemoryConfig{config.edge_learning_rate, config.replay_half_life}),
      fresh_(config.feedback_capacity, config.seed ^ 0x5eedf00dull),
      replay_(config.replay_capacity, config.seed ^ 0x7e91a1ull, config.replay_half_life) {}

IndexLearner::~IndexLearner() = default;

Result<std::unique_ptr<Learner>> IndexLearner::Create(const LearningConfig& config, uint32_t dimensions) {
  NV_RETURN_IF_ERROR(config.Validate());
  return std::unique_ptr<Learner>(new IndexLearner(config, dimensions));
}

QueryRefinerConfig IndexLearner::RefinerConfig(float input_scale) const {
  QueryRefinerConfig c;
  c.input_dim = static_cast<int>(dimensions_);
  c.hidden_dim = static_cast<int>(config_.hidden_dim);
  c.heads = static_cast<int>(config_.heads);
  c.hops = static_cast<int>(config_.hops);
  c.input_scale = input_scale;
  c.temperature = config_.temperature;
  c.consistency_weight = config_.consistency_weight;
  c.dropout = config_.dropout;
  c.seed = config_.seed;
  return c;
}

Status IndexLearner::Feedback(const float* query, const std::vector<uint32_t>& positives,
                              const std::vector<uint32_t>& negatives, const IndexView& view) {
  if (session_) return Status::FailedPrecondition("feedback cannot be recorded while a training is in progress");
  FeedbackRecord r;
  r.query.assign(query, query + dimensions_);
  r.positives = positives;
  r.negatives = negatives;
  if (config_.online_steps > 0) return LearnOnline(r, view);
  fresh_.Add(r);
  return Status::Ok();
}

Status IndexLearner::EnsureModel(const std::vector<FeedbackRecord>& queries) {
  if (input_scale_ != 0.0f) return Status::Ok();
  // Automatic scale: 1 / max |x| of the queries (1/255 for 8-bit pixels), so
  // the projection starts in its linear range whatever the data's units.
  float scale = config_.input_scale;
  if (scale == 0.0f) {
    float max_abs = 0.0f;
    for (const FeedbackRecord& r : queries) {
      for (float v : r.query) max_abs = std::max(max_abs, std::fabs(v));
    }
    scale = max_abs > 0 ? 1.0f / max_abs : 1.0f;
  }
  auto model = QueryRefiner::Create(RefinerConfig(scale));
  if (!model.ok()) return model.status();
  model_ = model.take();
  online_.reset();
  ParametersChanged();
  input_scale_ = scale;
  return Status::Ok();
}

Status IndexLearner::LearnOnline(const FeedbackRecord& record, const IndexView& view) {
  // Every positive gone already: nothing to learn, and nothing worth replaying.
  const bool any_live = std::any_of(record.positives.begin(), record.positives.end(), [&](uint32_t s) {
    return s < view.used_slots && (*view.live)[s];
  });
  if (!any_live) return Status::Ok();
  NV_RETURN_IF_ERROR(EnsureModel({record}));
  EnsureOnlineTrainer();
  // Random negatives are drawn anew for every step, from a stream seeded by the step count.
  Random negatives_rng(config_.seed ^ (0x9e3779b97f4a7c15ull * (online_steps_done_ + 1)));
  const QueryRefiner before = model_;
  FeedbackExample event;  // the event's own example of the last step, for EWC
  bool have_event = false;
  for (uint32_t step = 0; step < config_.online_steps; ++step) {
    std::vector<const FeedbackRecord*> records = {&record};
    std::vector<FeedbackRecord> replayed;
    if (config_.replay_per_batch > 0 && replay_.size() > 0) replayed = replay_.Sample(config_.replay_per_batch);
    for (const FeedbackRecord& r : replayed) records.push_back(&r);
    std::vector<FeedbackExample> batch;
    for (const FeedbackRecord* r : records) {
      const std::vector<uint32_t> extra = RandomNegatives(*r, view, negatives_rng);
      FeedbackExample e;
      if (MakeExample(*r, view, &e, &extra)) batch.push_back(std::move(e));
    }
    have_event = !batch.empty();  // the record is first and has a live positive
    if (have_event && config_.ewc_lambda > 0 && step + 1 == config_.online_steps) event = batch.front();
    const float loss = TrainBatchWithEdges(*online_, batch, step == 0 ? 1 : 0);
    ParametersChanged();
    if (!std::isfinite(loss)) {
      model_ = before;
      online_.reset();
      return Status::Internal("online learning diverged (non-finite loss); the model is as before this feedback");
    }
    ++online_steps_done_;
  }
  if (have_event && config_.ewc_lambda > 0) TrackOnlineEwc(event);
  replay_.Add(record);
  trained_ = true;
  return Status::Ok();
}

void IndexLearner::EnsureOnlineTrainer() {
  if (online_) return;
  // A constant rate: a stream has no end for a schedule to decay towards.
  TrainerConfig tc = StandardTrainerConfig(config_.learning_rate, config_.weight_decay, 1, 1,
                                           config_.seed ^ 0x0471e5ull);
  tc.schedule.kind = LrSchedule::Kind::kConstant;
  tc.schedule.base = config_.learning_rate;
  tc.schedule.warmup_steps = 0;
  online_ = std::make_unique<RefinerTrainer>(&model_, tc);
  // A new optimiser starts without an anchor: the next interval builds one.
  online_fisher_ = FisherEstimator();
  online_anchor_fisher_.clear();
}

Status IndexLearner::Inserted(const std::vector<uint32_t>& slots, const IndexView& view) {
  // Only a model that exists goes on learning; a training under way owns the
  // parameters (its items are learned from by nobody: they were added while
  // the model was being replaced).
  if (config_.insert_steps == 0 || !trained_ || session_) return Status::Ok();
  const size_t batch = std::max<uint32_t>(1, config_.batch_size);
  for (uint32_t s : slots) {
    inserted_pending_.push_back(s);
    if (inserted_pending_.size() < batch) continue;
    std::vector<uint32_t> taken;
    taken.swap(inserted_pending_);
    NV_RETURN_IF_ERROR(LearnFromInserted(taken, view));
  }
  return Status::Ok();
}

Status IndexLearner::LearnFromInserted(const std::vector<uint32_t>& slots, const IndexView& view) {
  auto live = [&](uint32_t s) { return s < view.used_slots && (*view.live)[s]; };
  // Each item's example: the item as the query, its first live level-0
  // neighbours as positives, random live items as negatives. The graph chose
  // those neighbours as the item's nearest (by the index's metric), so the
  // model learns to keep the local structure of new regions of the data,
  // which the feedback it learned from may never have covered.
  std::vector<FeedbackRecord> records;
  records.reserve(slots.size());
  for (uint32_t slot : slots) {
    if (!live(slot)) continue;  // deleted again since it was queued
    FeedbackRecord r;
    const uint32_t* links = view.graph->LinksOf(slot, 0);
    for (uint32_t i = 1; i <= links[0] && r.positives.size() < kInsertPositives; ++i) {
      if (live(links[i]) && links[i] != slot) r.positives.push_back(links[i]);
    }
    if (r.positives.empty()) continue;  // an isolated item teaches nothing
    r.query.resize(dimensions_);
    view.store->Decode(slot, r.query.data());
    r.negatives.push_back(slot);  // keeps the item itself out of the random draws below (then removed)
    records.push_back(std::move(r));
  }
  if (records.empty()) return Status::Ok();
  EnsureOnlineTrainer();
  Random negatives_rng(config_.seed ^ (0x2545f4914f6cdd1dull * (insert_steps_done_ + 1)));
  if (config_.ewc_lambda > 0 && !online_->ewc().active()) {
    // EWC against what feedback taught: anchored at the model as feedback
    // left it, with the Fisher of replayed feedback events (their gradients,
    // not the insert examples'), before the first step on inserted items.
    // Online learning from feedback re-anchors later at its own interval.
    std::vector<FeedbackExample> judged;
    for (const FeedbackRecord& r : replay_.Sample(std::min(kInsertFisherEvents, replay_.size()))) {
      const std::vector<uint32_t> extra = RandomNegatives(r, view, negatives_rng);
      FeedbackExample e;
      if (MakeExample(r, view, &e, &extra)) judged.push_back(std::move(e));
    }
    if (!judged.empty()) {
      online_->AnchorEwc(online_->EstimateFisher(judged), config_.ewc_lambda);
      ++online_ewc_anchors_;
    }
  }
  const uint32_t negatives = std::max(config_.random_negatives, kInsertNegatives);
  std::vector<FeedbackExample> examples;
  for (FeedbackRecord& r : records) {
    const std::vector<uint32_t> extra = RandomNegatives(r, view, negatives_rng, negatives);
    r.negatives.clear();
    FeedbackExample e;
    if (MakeExample(r, view, &e, &extra)) examples.push_back(std::move(e));
  }
  if (examples.empty()) return Status::Ok();
  const QueryRefiner before = model_;
  for (uint32_t step = 0; step < config_.insert_steps; ++step) {
    std::vector<FeedbackExample> batch = examples;
    if (config_.replay_per_batch > 0 && replay_.size() > 0) {
      for (const FeedbackRecord& r : replay_.Sample(config_.replay_per_batch)) {
        const std::vector<uint32_t> extra = RandomNegatives(r, view, negatives_rng);
        FeedbackExample e;
        if (MakeExample(r, view, &e, &extra)) batch.push_back(std::move(e));
      }
    }
    const float loss = TrainBatchWithEdges(*online_, batch, 0);
    ParametersChanged();
    if (!std::isfinite(loss)) {
      model_ = before;
      online_.reset();
      ParametersChanged();
      return Status::Internal("learning on insert diverged (non-finite loss); the model is as before these items");
    }
    ++insert_steps_done_;
  }
  inserted_examples_ += examples.size();
  return Status::Ok();
}

void IndexLearner::TrackOnlineEwc(const FeedbackExample& event) {
  // EstimateFisher of one example: its squared gradient, at the parameters after this event's steps.
  const std::vector<Matrix> squared = online_->EstimateFisher({event});
  if (squared.empty()) return;
  online_fisher_.AddSquared(squared);
  if (online_fisher_.samples() < kOnlineEwcInterval) return;
  std::vector<Matrix> fresh = online_fisher_.Mean();
  if (online_anchor_fisher_.size() == fresh.size()) {
    for (size_t i = 0; i < fresh.size(); ++i) fresh[i] = 0.5f * (fresh[i] + online_anchor_fisher_[i]);
  }
  online_anchor_fisher_ = fresh;
  online_->AnchorEwc(std::move(fresh), config_.ewc_lambda);
  online_fisher_ = FisherEstimator();
  ++online_ewc_anchors_;
}

CandidateGraph IndexLearner::Graph(const float* query, const std::vector<uint32_t>& slots, const IndexView& view,
                                   bool with_edges) const {
  // Decoded (user-order) vectors: the store keeps a permuted / normalised form.
  std::vector<float> rows(static_cast<size_t>(slots.size()) * dimensions_);
  std::vector<const float*> pointers(slots.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    view.store->Decode(slots[i], rows.data() + i * dimensions_);
    pointers[i] = rows.data() + i * dimensions_;
  }
  if (!with_edges) {
    // No message passing reads the edges: the vectors and an edgeless graph
    // (the links, cosines and Jaccard overlaps cost more than the model).
    CandidateGraph g;
    g.vectors.resize(static_cast<Eigen::Index>(slots.size()) + 1, dimensions_);
    g.vectors.row(0) = Eigen::Map<const RowVector>(query, dimensions_);
    for (size_t i = 0; i < slots.size(); ++i) {
      g.vectors.row(static_cast<Eigen::Index>(i) + 1) = Eigen::Map<const RowVector>(pointers[i], dimensions_);
    }
    g.adjacency.offsets.assign(slots.size() + 2, 0);
    return g;
  }
  CandidateGraph g =
      BuildCandidateGraph(query, pointers, static_cast<int>(dimensions_), AdjacencyFromHnswLevel(*view.graph, 0, slots));
  Adjacency& a = g.adjacency;
  a.node_ids.resize(slots.size() + 1);
  a.node_ids[0] = kQueryNode;
  std::copy(slots.begin(), slots.end(), a.node_ids.begin() + 1);
  if (edges_.size() > 0) {
    // Query links are new with every query: only links between stored items have learned offsets.
    g.features.offset.assign(a.num_edges(), 0.0f);
    for (uint32_t u = 1; u < a.num_nodes(); ++u) {
      for (uint32_t e = a.begin(u); e < a.end(u); ++e) {
        const uint32_t v = a.neighbors[e];
        if (v != 0) g.features.offset[e] = edges_.Offset(a.node_ids[u], a.node_ids[v], g.features.similarity[e]);
      }
    }
  }
  return g;
}

void IndexLearner::LinkOffsets(const std::vector<uint32_t>& slots, const float* vectors,
                               const std::vector<uint8_t>& adjacency, std::vector<float>* out) const {
  const size_t k = slots.size();
  out->assign(k * k, 0.0f);
  if (edges_.size() == 0) return;
  // The endpoints' cosine as EdgeCosine computes it for the built-in graph.
  const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> rows(
      vectors, static_cast<Eigen::Index>(k), dimensions_);
  const Eigen::VectorXf norms = rows.rowwise().norm();
  for (size_t i = 0; i < k; ++i) {
    for (size_t j = 0; j < k; ++j) {
      if (!adjacency[i * k + j]) continue;
      const float denom = norms(i) * norms(j);
      const float similarity = denom > 0 ? rows.row(i).dot(rows.row(j)) / denom : 0.0f;
      (*out)[i * k + j] = edges_.Offset(slots[i], slots[j], similarity);
    }
  }
}

float IndexLearner::TrainBatchWithEdges(RefinerTrainer& trainer, const std::vector<FeedbackExample>& batch,
                                        uint64_t events) {
  if (!edges_.enabled() || config_.hops == 0) return trainer.TrainBatch(batch);
  std::vector<std::vector<float>> dlogits;
  const float loss = trainer.TrainBatch(batch, &dlogits);
  if (std::isfinite(loss)) LearnEdges(batch, dlogits, events);
  return loss;
}

void IndexLearner::LearnEdges(const std::vector<FeedbackExample>& batch, const std::vector<std::vector<float>>& dlogits,
                              uint64_t events) {
  std::vector<EdgeMemory::LinkGradient> gradients;
  for (size_t i = 0; i < batch.size(); ++i) {
    const Adjacency& a = batch[i].graph.adjacency;
    const std::vector<float>& d = dlogits[i];
    if (d.size() != a.num_edges() || a.node_ids.size() != a.num_nodes()) continue;  // skipped, or built without edges
    for (uint32_t u = 1; u < a.num_nodes(); ++u) {
      for (uint32_t e = a.begin(u); e < a.end(u); ++e) {
        const uint32_t v = a.neighbors[e];
        if (v != 0) gradients.push_back({a.node_ids[u], a.node_ids[v], batch[i].graph.features.similarity[e], d[e]});
      }
    }
  }
  edges_.Apply(gradients);
  edges_.Tick(events);
}

std::vector<uint32_t> IndexLearner::RandomNegatives(const FeedbackRecord& record, const IndexView& view,
                                                    Random& rng) const {
  return RandomNegatives(record, view, rng, config_.random_negatives);
}

std::vector<uint32_t> IndexLearner::RandomNegatives(const FeedbackRecord& record, const IndexView& view, Random& rng,
                                                    uint32_t count) const {
  std::vector<uint32_t> out;
  if (count == 0 || view.used_slots == 0) return out;
  auto listed = [&](uint32_t s) {
    return std::find(record.positives.begin(), record.positives.end(), s) != record.positives.end() ||
           std::find(record.negatives.begin(), record.negatives.end(), s) != record.negatives.end() ||
           std::find(out.begin(), out.end(), s) != out.end();
  };
  // A bounded number of draws: an index of few live items gives fewer.
  for (uint32_t tries = 0; out.size() < count && tries < 4 * count; ++tries) {
    const uint32_t s = static_cast<uint32_t>(rng.NextBelow(view.used_slots));
    if ((*view.live)[s] && !listed(s)) out.push_back(s);
  }
  return out;
}

bool IndexLearner::MakeExample(const FeedbackRecord& record, const IndexView& view, FeedbackExample* out,
                               const std::vector<uint32_t>* extra_negatives) const {
  std::vector<uint32_t> slots;
  auto live = [&](uint32_t s) { return s < view.used_slots && (*view.live)[s]; };
  for (uint32_t s : record.positives) {
    if (live(s)) slots.push_back(s);
  }
  const size_t positives = slots.size();
  if (positives == 0) return false;
  for (uint32_t s : record.negatives) {
    if (live(s)) slots.push_back(s);
  }
  if (extra_negatives != nullptr) {
    for (uint32_t s : *extra_negatives) {
      if (live(s)) slots.push_back(s);
    }
  }
  out->graph = Graph(record.query.data(), slots, view, config_.hops > 0);
  out->positive.assign(slots.size(), 0);
  std::fill(out->positive.begin(), out->positive.begin() + static_cast<std::ptrdiff_t>(positives), 1);
  return true;
}

Status IndexLearner::BeginTraining(const TrainOptions& options, const IndexView& view) {
  if (session_) return Status::FailedPrecondition("a training is already in progress on this index");
  auto session = std::make_unique<Session>();
  // New feedback if any; otherwise train again on what replay kept.
  session->records = fresh_.size() > 0 ? fresh_.items() : replay_.items();
  if (session->records.empty()) {
    return Status::FailedPrecondition("no feedback to train on: record feedback (query, positives, negatives) first");
  }
  NV_RETURN_IF_ERROR(EnsureModel(session->records));
  // The batch trainer takes over model_; the online optimiser's moments would be stale after it.
  online_.reset();
  session->backup = model_;
  session->edges_backup = edges_;
  session->batch = config_.batch_size;
  session->order.resize(session->records.size());
  for (uint32_t i = 0; i < session->order.size(); ++i) session->order[i] = i;
  session->shuffle = Random(config_.seed + 1000003ull * trainings_);
  session->batches_per_epoch = (session->records.size() + session->batch - 1) / session->batch;
  session->progress.epochs = options.epochs;
  session->progress.batches_total = session->batches_per_epoch * options.epochs;

  // One thread (the default) keeps the summation order of wasm, which has no
  // threads; more split each batch's gradients over workers (refiner_trainer.h).
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
  session->threads = 1;
#else
  // A paged store's or graph's block cache is not shared between threads
  // (examples read candidate vectors and level-0 lists on the training's threads).
  session->threads = view.store->paged() || view.graph->level0_paged() ? 1 : std::max<uint32_t>(1, options.threads);
#endif
  session->progress.threads = session->threads;
  const uint64_t steps = session->progress.batches_total;
  const TrainerConfig tc = StandardTrainerConfig(config_.learning_rate, config_.weight_decay, steps, session->threads,
                                                 config_.seed + trainings_);
  session->trainer = std::make_unique<RefinerTrainer>(&model_, tc);
  if (config_.ewc_lambda > 0 && trained_ && replay_.size() > 0 && fresh_.size() > 0) {
    // Anchor at what the earlier feedback taught, weighted by its Fisher information.
    std::vector<FeedbackExample> fisher;
    for (const FeedbackRecord& r : replay_.Sample(std::min(kFisherExamples, replay_.size()))) {
      FeedbackExample e;
      if (MakeExample(r, view, &e)) fisher.push_back(std::move(e));
    }
    session->trainer->AnchorEwc(session->trainer->EstimateFisher(fisher), config_.ewc_lambda);
  }
  session_ = std::move(session);
  return Status::Ok();
}

Result<TrainProgress> IndexLearner::TrainStep(uint32_t max_batches, const IndexView& view) {
  if (!session_) return Status::FailedPrecondition("no training in progress");
  Session& s = *session_;
  const bool replaying = fresh_.size() > 0;  // replay joins only a training on new feedback
  for (uint32_t b = 0; b < max_batches && !s.progress.done; ++b) {
    if (s.position == 0) {
      for (size_t i = s.order.size(); i > 1; --i) std::swap(s.order[i - 1], s.order[s.shuffle.NextBelow(i)]);
    }
    const size_t end = std::min(s.order.size(), s.position + s.batch);
    std::vector<const FeedbackRecord*> records;
    for (size_t i = s.position; i < end; ++i) records.push_back(&s.records[s.order[i]]);
    std::vector<FeedbackRecord> replayed;
    if (replaying && config_.replay_per_batch > 0) replayed = replay_.Sample(config_.replay_per_batch);
    for (const FeedbackRecord& r : replayed) records.push_back(&r);
    // Building the candidate graphs (decode, cosine, Jaccard) is a fair share
    // of a step: it runs on the training's threads too. Slot i of `made` gets
    // record i whatever the thread, so the batch's order is the same.
    // Random negatives are drawn here, in batch order, so any thread count gives the same examples.
    std::vector<std::vector<uint32_t>> extra(records.size());
    if (config_.random_negatives > 0) {
      Random rng(config_.seed ^ (0x2545f4914f6cdd1dull * (s.progress.batches_done + 1) + trainings_));
      for (size_t i = 0; i < records.size(); ++i) extra[i] = RandomNegatives(*records[i], view, rng);
    }
    std::vector<FeedbackExample> made(records.size());
    std::vector<uint8_t> usable(records.size(), 0);
    auto build = [&](size_t t) {
      for (size_t i = t; i < records.size(); i += s.threads) usable[i] = MakeExample(*records[i], view, &made[i], &extra[i]);
    };
    std::vector<std::thread> pool;
    for (uint32_t t = 1; t < s.threads && t < records.size(); ++t) pool.emplace_back(build, t);
    build(0);
    for (std::thread& th : pool) th.join();
    std::vector<FeedbackExample> batch;
    batch.reserve(records.size());
    for (size_t i = 0; i < made.size(); ++i) {
      if (usable[i]) batch.push_back(std::move(made[i]));
    }
    const float loss = TrainBatchWithEdges(*s.trainer, batch, end - s.position);
    ParametersChanged();
    if (!std::isfinite(loss)) {
      CancelTraining();
      return Status::Internal("training diverged (non-finite loss); the model is unchanged");
    }
    s.epoch_loss += loss;
    ++s.epoch_batches;
    s.progress.examples_done += batch.size();
    ++s.progress.batches_done;
    s.progress.loss = static_cast<float>(s.epoch_loss / static_cast<double>(s.epoch_batches));
    s.position = end;
    if (s.position >= s.order.size()) {
      s.position = 0;
      ++s.progress.epoch;
      s.epoch_loss = 0;
      s.epoch_batches = 0;
      if (s.progress.epoch >= s.progress.epochs) s.progress.done = true;
    }
  }
  TrainProgress progress = s.progress;
  if (progress.done) {
    // The new feedback has been learned: it moves to the replay reservoir.
    if (fresh_.size() > 0) {
      for (const FeedbackRecord& r : fresh_.items()) replay_.Add(r);
      fresh_ = ReservoirBuffer<FeedbackRecord>(config_.feedback_capacity, config_.seed ^ (0x5eedf00dull + trainings_ + 1));
    }
    trained_ = true;
    ++trainings_;
    session_.reset();
  }
  return progress;
}

void IndexLearner::CancelTraining() {
  if (!session_) return;
  model_ = session_->backup;
  edges_ = std::move(session_->edges_backup);
  online_.reset();
  ParametersChanged();
  session_.reset();
}

namespace {

// A 64-bit tag of a row's bits for the projection cache (never stored). Four
// independent multiply-xor lanes over pairs of floats: one FNV chain over 784
// floats was a serial multiply chain, about a third of a warm hops-0 re-rank's
// extra cost in wasm.
uint64_t HashRow(const float* row, size_t n) {
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ull;
  uint64_t lane[4] = {0x243f6a8885a308d3ull, 0x13198a2e03707344ull, 0xa4093822299f31d0ull, 0x082efa98ec4e6c89ull};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int l = 0; l < 4; ++l) {
      uint64_t word;
      std::memcpy(&word, row + i + 2 * l, 8);
      lane[l] = (lane[l] ^ word) * kMul;
      lane[l] ^= lane[l] >> 29;
    }
  }
  uint64_t h = static_cast<uint64_t>(n);
  for (; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, row + i, 4);
    h = (h ^ bits) * kMul;
  }
  for (int l = 0; l < 4; ++l) h = (h ^ lane[l] ^ (lane[l] >> 31)) * kMul;
  return h ^ (h >> 32);
}

}  // namespace

void IndexLearner::ProjectCandidates(const CandidateGraph& graph, const std::vector<uint32_t>& slots, uint32_t used_slots,
                                     Matrix* h0) const {
  const Eigen::Index n = graph.vectors.rows();
  h0->resize(n, model_.config().hidden_dim);
  // Each row on its own, cached or not, so a row's values never depend on
  // which other rows were projected with it.
  h0->row(0) = model_.Project(graph.vectors.topRows(1));
  // The graph's matrix is column-major: a row-major copy gives each row contiguous.
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const RowMajor candidates = graph.vectors.bottomRows(n - 1);
  std::vector<const float*> rows(slots.size());
  for (size_t i = 0; i < slots.size(); ++i) rows[i] = candidates.data() + i * static_cast<size_t>(candidates.cols());
  ProjectStored(rows, slots, used_slots, h0, 1);
}

void IndexLearner::ProjectStored(const std::vector<const float*>& rows, const std::vector<uint32_t>& slots,
                                 uint32_t used_slots, Matrix* out, Eigen::Index first_out) const {
  const int hidden = model_.config().hidden_dim;
  ProjectionCache& c = projections_;
  std::lock_guard<std::mutex> lock(c.mutex);
  // As many rows as the index has slots, up to the bound.
  const size_t capacity = std::max<size_t>(1, std::min<size_t>(kProjectionCacheRows, used_slots));
  if (c.model_version != model_version_ || c.hidden != static_cast<uint32_t>(hidden) || c.slots.size() < capacity) {
    c.model_version = model_version_;
    c.hidden = static_cast<uint32_t>(hidden);
    c.rows.assign(capacity * hidden, 0.0f);
    c.tags.assign(capacity, 0);
    c.slots.assign(capacity, 0);
  }
  const size_t d = dimensions_;
  for (size_t i = 0; i < slots.size(); ++i) {
    const uint32_t slot = slots[i];
    const size_t at = slot % c.slots.size();
    const uint64_t tag = HashRow(rows[i], d);
    float* cached = c.rows.data() + at * hidden;
    if (c.slots[at] != slot + 1 || c.tags[at] != tag) {
      const Matrix projected = model_.Project(Eigen::Map<const RowVector>(rows[i], static_cast<Eigen::Index>(d)));
      for (int j = 0; j < hidden; ++j) cached[j] = projected(0, j);
      c.slots[at] = slot + 1;
      c.tags[at] = tag;
    }
    for (int j = 0; j < hidden; ++j) (*out)(first_out + static_cast<Eigen::Index>(i), j) = cached[j];
  }
}

Status IndexLearner::Expand(const std::vector<uint32_t>& candidates, const RerankOutput& scored, uint32_t budget,
                            uint32_t keep, const std::function<bool(uint32_t)>& accept, const IndexView& view,
                            std::vector<uint32_t>* found) const {
  found->clear();
  if (!trained_) return Status::FailedPrecondition("the query refiner is not trained yet");
  const int hidden = model_.config().hidden_dim;
  if (scored.scores.size() != candidates.size() || scored.refined_query.size() != static_cast<size_t>(hidden)) {
    return Status::InvalidArgument("Expand needs the Rerank output of the same candidates");
  }
  if (budget == 0 || keep == 0 || candidates.empty()) return Status::Ok();
  const Eigen::Map<const RowVector> refined(scored.refined_query.data(), hidden);
  const float refined_norm = std::max(refined.norm(), 1e-12f);

  // Best-first by learned score. An item reached is scored as an isolated
  // node: cos(refined query, its projection H0). That is exactly the score a
  // rerank gives it when hops is 0 (E = 2 H0) and an estimate otherwise (no
  // messages); the caller re-ranks the best of them with the candidates.
  using Scored = std::pair<float, uint32_t>;
  std::priority_queue<Scored> frontier;  // highest score first
  std::unordered_set<uint32_t> seen(candidates.begin(), candidates.end());
  for (size_t i = 0; i < candidates.size(); ++i) frontier.push({scored.scores[i], candidates[i]});
  // The `keep` best new items (a min-heap on score), and the score of the
  // worst one once it is full: a node scoring below it is not walked through.
  std::priority_queue<Scored, std::vector<Scored>, std::greater<Scored>> best;
  std::vector<uint32_t> fresh;
  std::vector<float> decoded;
  std::vector<const float*> pointers;
  Matrix projected;
  uint32_t evaluated = 0;
  while (!frontier.empty() && evaluated < budget) {
    const Scored top = frontier.top();
    frontier.pop();
    if (best.size() == keep && top.first < best.top().first) break;
    const uint32_t slot = top.second;
    if (slot >= view.graph->capacity()) continue;
    const uint32_t* list = view.graph->LinksOf(slot, 0);
    if (list == nullptr) continue;
    fresh.clear();
    for (uint32_t j = 1; j <= list[0] && evaluated + fresh.size() < budget; ++j) {
      const uint32_t next = list[j];
      if (next >= view.used_slots || !seen.insert(next).second || !accept(next)) continue;
      fresh.push_back(next);
    }
    if (fresh.empty()) continue;
    evaluated += static_cast<uint32_t>(fresh.size());
    decoded.resize(fresh.size() * dimensions_);
    pointers.resize(fresh.size());
    for (size_t i = 0; i < fresh.size(); ++i) {
      pointers[i] = decoded.data() + i * dimensions_;
      view.store->Decode(fresh[i], decoded.data() + i * dimensions_);
    }
    projected.resize(static_cast<Eigen::Index>(fresh.size()), hidden);
    ProjectStored(pointers, fresh, view.used_slots, &projected, 0);
    for (size_t i = 0; i < fresh.size(); ++i) {
      const auto h = projected.row(static_cast<Eigen::Index>(i));
      const float score = refined.dot(h) / (refined_norm * std::max(h.norm(), 1e-12f));
      frontier.push({score, fresh[i]});
      if (best.size() < keep) {
        best.push({score, fresh[i]});
      } else if (score > best.top().first) {
        best.pop();
        best.push({score, fresh[i]});
      }
    }
  }
  found->resize(best.size());
  for (size_t i = best.size(); i-- > 0;) {
    (*found)[i] = best.top().second;
    best.pop();
  }
  return Status::Ok();
}

Status IndexLearner::Rerank(const float* query, const std::vector<uint32_t>& candidates, const IndexView& view,
                            bool want_edges, RerankOutput* out) const {
  if (!trained_) return Status::FailedPrecondition("the query refiner is not trained yet");
  if (config_.hops == 0 && !want_edges) {
    RerankProjectionOnly(query, candidates, view, out);
    return Status::Ok();
  }
  // Subgraph mode reports the learned weights of the links: it needs them whatever the hops.
  const CandidateGraph g = Graph(query, candidates, view, config_.hops > 0 || want_edges);
  Matrix h0;
  ProjectCandidates(g, candidates, view.used_slots, &h0);
  const RefinerOutput r = model_.RefineProjected(g, h0);
  out->scores.assign(r.scores.data(), r.scores.data() + r.scores.size());
  out->refined_query.assign(r.refined_query.data(), r.refined_query.data() + r.refined_query.size());
  out->edges.clear();
  if (want_edges) {
    const std::vector<float> w = model_.EdgeWeights(g);
    const Adjacency& a = g.adjacency;
    // Node 0 is the query; candidate i is node i + 1.
    for (uint32_t u = 1; u < a.num_nodes(); ++u) {
      for (uint32_t e = a.begin(u); e < a.end(u); ++e) {
        if (a.neighbors[e] != 0) out->edges.push_back({u - 1, a.neighbors[e] - 1, w[e]});
      }
    }
  }
  return Status::Ok();
}

void IndexLearner::RerankProjectionOnly(const float* query, const std::vector<uint32_t>& candidates,
                                        const IndexView& view, RerankOutput* out) const {
  const size_t k = candidates.size();
  std::vector<float> decoded(k * dimensions_);
  std::vector<const float*> rows(k);
  for (size_t i = 0; i < k; ++i) {
    rows[i] = decoded.data() + i * dimensions_;
    view.store->Decode(candidates[i], decoded.data() + i * dimensions_);
  }
  Matrix h0(static_cast<Eigen::Index>(k) + 1, model_.config().hidden_dim);
  h0.row(0) = model_.Project(Eigen::Map<const RowVector>(query, dimensions_));
  ProjectStored(rows, candidates, view.used_slots, &h0, 1);
  // The edgeless graph Graph() builds without edges: no message passing reads it.
  CandidateGraph g;
  g.adjacency.offsets.assign(k + 2, 0);
  const RefinerOutput r = model_.RefineProjected(g, h0);
  out->scores.assign(r.scores.data(), r.scores.data() + r.scores.size());
  out->refined_query.assign(r.refined_query.data(), r.refined_query.data() + r.refined_query.size());
  out->edges.clear();
}

Result<QueryRefiner> RefinerFromState(const LearningConfig& config, uint32_t dimensions, const uint8_t* data,
                                      size_t size) {
  NV_RETURN_IF_ERROR(config.Validate());
  auto made = IndexLearner::Create(config, dimensions);
  if (!made.ok()) return made.status();
  IndexLearner* learner = static_cast<IndexLearner*>(made.value().get());
  if (size == 0) return Status::FailedPrecondition("the learned state is empty: nothing was trained");
  NV_RETURN_IF_ERROR(learner->Restore(data, size));
  return learner->model();
}

// State: u32 version, f32 input_scale, then
//   version 1: SerializeParameters' bytes (to the end);
//   version 2: u64 length + SerializeParameters' bytes, then EdgeMemory's bytes (to the end).
std::string IndexLearner::Serialize() const {
  if (!trained_) return {};
  std::string out;
  ByteWriter w(out);
  const bool with_edges = edges_.size() > 0;
  w.U32(with_edges ? kStateVersion : 1);
  w.F32(input_scale_);
  // Parameters() hands out pointers for training; serialising only reads them.
  const std::string parameters = SerializeParameters(const_cast<QueryRefiner&>(model_).Parameters());
  if (!with_edges) return out + parameters;
  w.U64(parameters.size());
  out += parameters;
  out += edges_.Serialize();
  return out;
}

Status IndexLearner::Restore(const uint8_t* data, size_t size) {
  if (size == 0) return Status::Ok();  // configured, never trained
  ByteReader r(data, size);
  uint32_t version = 0;
  float scale = 0;
  if (!r.U32(version) || !r.F32(scale)) return Status::Corrupt("learned state is cut short");
  if (version < 1 || version > kStateVersion) {
    return Status::UnsupportedVersion("learned state version " + std::to_string(version));
  }
  if (!(scale > 0) || !std::isfinite(scale)) return Status::Corrupt("learned state has a bad input scale");
  uint64_t parameters_size = r.remaining();
  if (version >= 2 && (!r.U64(parameters_size) || parameters_size > r.remaining())) {
    return Status::Corrupt("learned state: the parameters' length exceeds the state");
  }
  const uint8_t* parameters = data + r.position();
  auto model = QueryRefiner::Create(RefinerConfig(scale));
  if (!model.ok()) return model.status();
  QueryRefiner loaded = model.take();
  NV_RETURN_IF_ERROR(LoadParameters(parameters, parameters_size, loaded.Parameters()));
  EdgeMemory edges(EdgeMemoryConfig{config_.edge_learning_rate, config_.replay_half_life});
  if (version >= 2) {
    const size_t at = r.position() + parameters_size;
    NV_RETURN_IF_ERROR(edges.Restore(data + at, size - at));
  }
  model_ = std::move(loaded);
  edges_ = std::move(edges);
  online_.reset();
  ParametersChanged();
  input_scale_ = scale;
  trained_ = true;
  return Status::Ok();
}

}  // namespace neurovec::learning
