// VectorIndex's learning calls (neurovec/learning.h). The "learning" file
// section's codec is persistence/learning_section.cc.
#include "index/learning_hooks.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <numeric>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "index/vector_index_impl.h"
#include "metadata/filter.h"
#include "util/byte_io.h"

namespace neurovec {
namespace {

std::atomic<LearnerFactory> g_factory{nullptr};

constexpr uint32_t kMaxFeedbackItems = 4096;  // per list of one Feedback call

IndexView ViewOf(const IndexState& x) {
  return IndexView{&x.store, &x.graph, &x.live, x.used_slots, x.config.dimensions};
}

// The query the neural modes' candidate walk uses: moved by the click memory
// (index/click_memory.h) when it holds events and the search reads it
// (SearchParams::memory_strength > 0), else the query itself. `params` is
// validated.
const float* WalkQuery(const IndexState& x, const float* query, const SearchParams& params, std::vector<float>* moved) {
  const ClickMemory& memory = x.learning.memory;
  if (memory.size() == 0 || memory.size() < params.memory_min_events || !(params.memory_strength > 0)) return query;
  moved->resize(x.config.dimensions);
  const ClickMemoryQuery how{params.memory_neighbours, params.memory_strength, params.memory_reject_weight,
                             params.memory_min_similarity, params.memory_scan, params.memory_half_life};
  return memory.Expand(query, how, moved->data()) > 0 ? moved->data() : query;
}

// Hits of a walk with a moved query get their distances to the user's query
// (what SearchHit::distance means everywhere), nearest first.
void ToUserDistances(const IndexState& x, const float* query, std::vector<SearchHit>* hits) {
  std::vector<float> encoded(x.store.stride());
  x.store.Encode(query, encoded.data());
  for (SearchHit& h : *hits) h.distance = x.store.Distance(encoded.data(), x.store.Row(h.slot));
  std::stable_sort(hits->begin(), hits->end(), [](const SearchHit& a, const SearchHit& b) { return a.distance < b.distance; });
}

}  // namespace

void SetLearnerFactory(LearnerFactory factory) { g_factory.store(factory); }
LearnerFactory GetLearnerFactory() { return g_factory.load(); }

Result<Learner*> LearningState::Get(uint32_t dimensions) const {
  std::lock_guard<std::mutex> lock(mutex);
  if (learner) return learner.get();
  LearnerFactory factory = GetLearnerFactory();
  if (factory == nullptr) {
    return Status::FailedPrecondition(
        "the learning engine is not linked in: link neurovec_learning and call neurovec::learning::EnableLearning()");
  }
  auto created = factory(config, dimensions);
  if (!created.ok()) return created.status();
  std::unique_ptr<Learner> made = created.take();
  if (!restored_bytes.empty()) {
    NV_RETURN_IF_ERROR(made->Restore(reinterpret_cast<const uint8_t*>(restored_bytes.data()), restored_bytes.size()));
  }
  learner = std::move(made);
  return learner.get();
}

void LearningState::AfterInsert(const std::vector<uint32_t>& slots, const IndexView& view) {
  if (config.insert_steps == 0 || slots.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!learner && restored_bytes.empty()) return;  // nothing learned: nothing to go on learning
  }
  auto got = Get(view.dimensions);
  if (!got.ok()) {
    std::lock_guard<std::mutex> lock(mutex);
    last_insert_error = got.status().message();
    return;
  }
  Status s = got.value()->Inserted(slots, view);
  std::lock_guard<std::mutex> lock(mutex);
  last_insert_error = s.ok() ? std::string() : s.message();
}

// ---- VectorIndex's learning calls ----

Status VectorIndex::ConfigureLearning(const LearningConfig& config) {
  NV_RETURN_IF_ERROR(config.Validate());
  LearningState& l = impl_->learning;
  std::lock_guard<std::mutex> lock(l.mutex);
  const bool used = (l.learner && (l.learner->trained() || l.learner->training() || l.learner->pending_feedback() > 0)) ||
                    l.memory.recorded() > 0;
  if (used || !l.restored_bytes.empty()) {
    return Status::FailedPrecondition("learning options are fixed once feedback was recorded or a model was learned");
  }
  l.learner.reset();  // an unused learner (made by a search) is rebuilt with the new options
  l.config = config;
  l.configured = true;
  l.memory = ClickMemory(config.memory_capacity, impl_->config.dimensions, impl_->config.metric);
  return Status::Ok();
}

const LearningConfig& VectorIndex::learning_config() const { return impl_->learning.config; }

VectorIndex::LearningStats VectorIndex::learning_stats() const {
  LearningStats s;
  const LearningState& l = impl_->learning;
  bool exists = false;
  {
    std::lock_guard<std::mutex> lock(l.mutex);
    s.configured = l.configured;
    exists = l.learner != nullptr || !l.restored_bytes.empty();
  }
  s.memory_events = l.memory.size();
  if (!exists) return s;
  auto learner = l.Get(impl_->config.dimensions);
  if (!learner.ok()) return s;  // the engine is not linked in: nothing more to say
  s.active = true;
  s.trained = learner.value()->trained();
  s.training = learner.value()->training();
  s.pending_feedback = learner.value()->pending_feedback();
  s.online_steps = learner.value()->online_steps_done();
  s.online_ewc_anchors = learner.value()->online_ewc_anchors();
  s.insert_steps = learner.value()->insert_steps_done();
  s.inserted_examples = learner.value()->inserted_examples();
  s.learned_links = learner.value()->learned_links();
  {
    std::lock_guard<std::mutex> lock(l.mutex);
    s.last_insert_error = l.last_insert_error;
  }
  return s;
}

Status VectorIndex::Feedback(const float* query, const std::vector<ItemKey>& positives,
                             const std::vector<ItemKey>& negatives, uint32_t implicit_negatives) {
  std::vector<uint32_t> pos, neg;
  for (const auto* list : {&positives, &negatives}) {
    for (const ItemKey& key : *list) {
      auto slot = SlotOf(key);
      if (!slot.ok()) return Status::NotFound("feedback names id " + key.ToDisplay() + ", which is not in the index");
      (list == &positives ? pos : neg).push_back(slot.value());
    }
  }
  return FeedbackSlots(query, pos, neg, implicit_negatives);
}

Status VectorIndex::FeedbackSlots(const float* query, const std::vector<uint32_t>& positives,
                                  const std::vector<uint32_t>& negatives, uint32_t implicit_negatives) {
  Impl& x = *impl_;
  Status valid = x.store.Validate(query);
  if (!valid.ok()) return Status::InvalidArgument("feedback query: " + valid.message());
  if (positives.empty()) return Status::InvalidArgument("feedback needs at least one positive item");
  if (positives.size() > kMaxFeedbackItems || negatives.size() > kMaxFeedbackItems) {
    return Status::InvalidArgument("feedback takes at most " + std::to_string(kMaxFeedbackItems) + " positives and negatives");
  }
  if (implicit_negatives > negatives.size()) {
    return Status::InvalidArgument("feedback names " + std::to_string(implicit_negatives) +
                                   " implicit negatives but only " + std::to_string(negatives.size()) + " negatives");
  }
  const size_t explicit_end = negatives.size() - implicit_negatives;  // negatives[0, explicit_end) were rejected
  std::vector<uint32_t> pos, neg;
  std::unordered_set<uint32_t> seen_pos;
  for (uint32_t s : positives) {
    if (s >= x.used_slots || !x.live[s]) return Status::NotFound("feedback names slot " + std::to_string(s) + ", which holds no item");
    if (seen_pos.insert(s).second) pos.push_back(s);
  }
  std::unordered_set<uint32_t> seen_neg;
  std::vector<uint32_t> rejected;
  for (size_t i = 0; i < negatives.size(); ++i) {
    const uint32_t s = negatives[i];
    if (s >= x.used_slots || !x.live[s]) return Status::NotFound("feedback names slot " + std::to_string(s) + ", which holds no item");
    if (seen_pos.count(s)) {
      return Status::InvalidArgument("feedback lists id " + x.keys.KeyOf(s).ToDisplay() + " as both positive and negative");
    }
    if (seen_neg.insert(s).second) {
      neg.push_back(s);
      if (i < explicit_end) rejected.push_back(s);
    }
  }
  auto learner = x.learning.Get(x.config.dimensions);
  if (!learner.ok()) return learner.status();
  NV_RETURN_IF_ERROR(learner.value()->Feedback(query, pos, neg, ViewOf(x)));
  if (x.learning.memory.enabled()) {
    auto paging = x.LockIfPaged();
    const uint32_t d = x.config.dimensions;
    std::vector<float> rows((pos.size() + rejected.size()) * d);
    std::vector<const float*> clicked_rows, rejected_rows;
    size_t at = 0;
    for (const auto* list : {&pos, &rejected}) {
      for (uint32_t s : *list) {
        x.store.Decode(s, rows.data() + at * d);
        (list == &pos ? clicked_rows : rejected_rows).push_back(rows.data() + at * d);
        ++at;
      }
    }
    NV_RETURN_IF_ERROR(x.TakePagingErrors());  // a block that failed to page in gave zeros: not worth keeping
    x.learning.memory.Record(query, clicked_rows, rejected_rows);
  }
  return Status::Ok();
}

Status VectorIndex::BeginTraining(const TrainOptions& options) {
  if (options.epochs < 1 || options.epochs > 100000) return Status::InvalidArgument("epochs must be from 1 to 100000");
  if (options.threads < 1 || options.threads > 256) return Status::InvalidArgument("training threads must be from 1 to 256");
  auto learner = impl_->learning.Get(impl_->config.dimensions);
  if (!learner.ok()) return learner.status();
  return learner.value()->BeginTraining(options, ViewOf(*impl_));
}

Result<TrainProgress> VectorIndex::TrainStep(uint32_t max_batches) {
  auto learner = impl_->learning.Get(impl_->config.dimensions);
  if (!learner.ok()) return learner.status();
  return learner.value()->TrainStep(std::max<uint32_t>(1, max_batches), ViewOf(*impl_));
}

void VectorIndex::CancelTraining() {
  auto learner = impl_->learning.Get(impl_->config.dimensions);
  if (learner.ok()) learner.value()->CancelTraining();
}

Result<TrainProgress> VectorIndex::Train(const TrainOptions& options, const TrainCallback& progress) {
  NV_RETURN_IF_ERROR(BeginTraining(options));
  for (;;) {
    auto step = TrainStep(1);
    if (!step.ok()) {
      CancelTraining();
      return step.status();
    }
    if (progress && !progress(step.value())) {
      CancelTraining();
      return Status::Aborted("training stopped by the progress callback; the model is unchanged");
    }
    if (step.value().done) return step;
  }
}

Result<RefinerCandidates> VectorIndex::RefinerInputs(const float* query, const SearchParams& params) const {
  const Impl& x = *impl_;
  auto paging = x.LockIfPaged();
  // The same candidate search as SearchLearned, so an external runtime scores
  // exactly the set the built-in refiner would.
  NV_RETURN_IF_ERROR(x.ValidateQuery(query, params));
  SearchParams candidate_params = params;
  candidate_params.k = std::max(params.k, x.learning.config.candidates);
  std::vector<float> moved;
  const float* walk = WalkQuery(x, query, params, &moved);
  auto found = Search(walk, candidate_params);
  if (!found.ok()) return found.status();
  std::vector<SearchHit>& c = found.value();
  if (walk != query) ToUserDistances(x, query, &c);
  const uint32_t d = x.config.dimensions;
  const size_t k = c.size();
  RefinerCandidates out;
  out.query.assign(walk, walk + d);
  out.slots.resize(k);
  out.distances.resize(k);
  out.vectors.resize(k * d);
  out.adjacency.assign(k * k, 0);
  std::unordered_map<uint32_t, uint32_t> local;
  for (size_t i = 0; i < k; ++i) {
    out.slots[i] = c[i].slot;
    out.distances[i] = c[i].distance;
    x.store.Decode(c[i].slot, out.vectors.data() + i * d);
    local.emplace(c[i].slot, static_cast<uint32_t>(i));
  }
  // Level-0 links among the candidates, as learning/adjacency.cc's
  // AdjacencyFromHnswLevel induces them for the built-in refiner.
  for (size_t i = 0; i < k; ++i) {
    const uint32_t* list = x.graph.LinksOf(out.slots[i], 0);
    if (list == nullptr) continue;
    for (uint32_t j = 1; j <= list[0]; ++j) {
      auto it = local.find(list[j]);
      if (it != local.end()) out.adjacency[i * k + it->second] = 1;
    }
  }
  NV_RETURN_IF_ERROR(x.TakePagingErrors());  // a block of vectors or lists that failed gave zeros
  out.link_offsets.assign(k * k, 0.0f);
  if (x.learning.configured && GetLearnerFactory() != nullptr) {
    auto learner = x.learning.Get(d);
    if (!learner.ok()) return learner.status();
    learner.value()->LinkOffsets(out.slots, out.vectors.data(), out.adjacency, &out.link_offsets);
  }
  return out;
}

Result<std::string> VectorIndex::LearnedState() const {
  const Impl& x = *impl_;
  {
    std::lock_guard<std::mutex> lock(x.learning.mutex);
    // Read from a file and not used since: the bytes are the state, no engine needed.
    if (!x.learning.learner && !x.learning.restored_bytes.empty()) return x.learning.restored_bytes;
  }
  auto got = x.learning.Get(x.config.dimensions);
  if (!got.ok()) return got.status();
  if (!got.value()->trained()) {
    return Status::FailedPrecondition("this index has no trained refiner: record feedback, then train");
  }
  return got.value()->Serialize();
}

namespace {

// SearchParams::expand: the learner's walk from the scored candidates; the
// best `k` items it reached that pass the filter join the candidates (with
// their distances to the query), to be ranked with them.
Status ExpandCandidates(const IndexState& x, const Learner& learner, const float* query, const SearchParams& params,
                        const IndexView& view, std::vector<SearchHit>* candidates, std::vector<uint32_t>* slots,
                        const RerankOutput* scored) {
  std::optional<Filter> filter;
  if (!params.filter.empty()) {
    Result<Filter> compiled = Filter::Compile(params.filter, x.attributes);
    if (!compiled.ok()) return compiled.status();
    filter.emplace(compiled.take());
  }
  const uint8_t* live = x.live.data();
  const std::function<bool(uint32_t)> accept = [live, &filter](uint32_t s) {
    return live[s] != 0 && (!filter || filter->Matches(s));
  };
  std::vector<uint32_t> found;
  NV_RETURN_IF_ERROR(learner.Expand(*slots, *scored, params.expand, params.k, accept, view, &found));
  NV_RETURN_IF_ERROR(x.TakePagingErrors());
  if (found.empty()) return Status::Ok();
  std::vector<float> encoded(x.store.stride());
  x.store.Encode(query, encoded.data());
  for (uint32_t s : found) {
    candidates->push_back({s, x.store.Distance(encoded.data(), x.store.Row(s))});
    slots->push_back(s);
  }
  return Status::Ok();
}

}  // namespace

Result<LearnedSearchResult> VectorIndex::SearchLearned(const float* query, const SearchParams& params, SearchMode mode,
                                                       float temperature) const {
  const Impl& x = *impl_;
  auto paging = x.LockIfPaged();
  LearnedSearchResult result;
  if (mode == SearchMode::kVector) {
    auto hits = Search(query, params);
    if (!hits.ok()) return hits.status();
    for (const SearchHit& h : hits.value()) result.hits.push_back({h.slot, h.distance, -h.distance});
    return result;
  }
  if (static_cast<uint32_t>(mode) > static_cast<uint32_t>(SearchMode::kDifferentiable)) {
    return Status::InvalidArgument("unknown search mode " + std::to_string(static_cast<uint32_t>(mode)));
  }
  if (mode == SearchMode::kDifferentiable && !(temperature > 0 && std::isfinite(temperature))) {
    return Status::InvalidArgument("temperature must be a positive number");
  }
  NV_RETURN_IF_ERROR(x.ValidateQuery(query, params));
  auto got = x.learning.Get(x.config.dimensions);
  if (!got.ok()) return got.status();
  const Learner* learner = got.value();
  // The click memory moves the walk's query; the refiner (when trained) then
  // ranks what that walk found against the moved query too, as an external
  // runtime does with RefinerInputs (its `query`).
  std::vector<float> moved;
  const float* walk = WalkQuery(x, query, params, &moved);
  // With the click memory on, neural mode needs no model: a query the memory
  // does not move (no past query near it yet) gets the plain walk's answer.
  const bool memory_serves = x.learning.memory.enabled() && mode == SearchMode::kNeural;
  if (!learner->trained() && !memory_serves) {
    return Status::FailedPrecondition(
        "the neural search modes need a trained model: record feedback, then train (or, for neural mode, "
        "turn on the click memory, LearningConfig::memory_capacity)");
  }
  // Candidates: the vector search's k' nearest (at least k), filter included.
  SearchParams candidate_params = params;
  // The memory alone ranks by the walk itself: k results are all it needs.
  if (learner->trained()) candidate_params.k = std::max(params.k, x.learning.config.candidates);
  auto candidates = Search(walk, candidate_params);
  if (!candidates.ok()) return candidates.status();
  std::vector<SearchHit>& c = candidates.value();
  if (c.empty()) return result;
  if (!learner->trained()) {
    // The memory alone: the walk's order (nearest to the moved query first),
    // distances to the user's query.
    for (size_t i = 0; i < std::min<size_t>(params.k, c.size()); ++i) {
      result.hits.push_back({c[i].slot, c[i].distance, -c[i].distance});  // score: minus the distance to the moved query
    }
    if (walk != query) {
      std::vector<float> user(x.store.stride());
      x.store.Encode(query, user.data());
      for (LearnedHit& h : result.hits) h.distance = x.store.Distance(user.data(), x.store.Row(h.slot));
    }
    NV_RETURN_IF_ERROR(x.TakePagingErrors());
    return result;
  }
  if (walk != query) ToUserDistances(x, query, &c);
  std::vector<uint32_t> slots(c.size());
  for (size_t i = 0; i < c.size(); ++i) slots[i] = c[i].slot;
  RerankOutput r;
  const IndexView view = ViewOf(x);
  NV_RETURN_IF_ERROR(learner->Rerank(walk, slots, view, mode == SearchMode::kSubgraph && params.expand == 0, &r));
  NV_RETURN_IF_ERROR(x.TakePagingErrors());  // a block of vectors or lists that failed gave zeros
  if (params.expand > 0) {
    NV_RETURN_IF_ERROR(ExpandCandidates(x, *learner, query, params, view, &c, &slots, &r));
    NV_RETURN_IF_ERROR(learner->Rerank(walk, slots, view, mode == SearchMode::kSubgraph, &r));
    NV_RETURN_IF_ERROR(x.TakePagingErrors());
  }

  // Best score first; ties keep the vector order (stable), so results are deterministic.
  std::vector<uint32_t> order(c.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return r.scores[a] > r.scores[b]; });
  const size_t k = std::min<size_t>(params.k, order.size());
  std::vector<int32_t> rank_of(c.size(), -1);
  for (size_t i = 0; i < k; ++i) {
    const uint32_t j = order[i];
    rank_of[j] = static_cast<int32_t>(i);
    result.hits.push_back({c[j].slot, c[j].distance, r.scores[j]});
  }
  if (mode == SearchMode::kSubgraph) {
    for (const LearnedEdge& e : r.edges) {
      if (rank_of[e.from] >= 0 && rank_of[e.to] >= 0) {
        result.edges.push_back({static_cast<uint32_t>(rank_of[e.from]), static_cast<uint32_t>(rank_of[e.to]), e.weight});
      }
    }
  }
  if (mode == SearchMode::kDifferentiable) {
    // softmax(score / temperature) over all k' candidates, computed in double
    // after subtracting the maximum (no overflow for small temperatures).
    const double top = r.scores[order[0]];
    std::vector<double> w(c.size());
    double sum = 0;
    for (size_t j = 0; j < c.size(); ++j) sum += w[j] = std::exp((r.scores[j] - top) / temperature);
    const uint32_t d = x.config.dimensions;
    std::vector<double> soft(d, 0.0);
    std::vector<float> v(d);
    for (size_t j = 0; j < c.size(); ++j) {
      const double a = w[j] / sum;
      result.candidate_slots.push_back(c[j].slot);
      result.attention.push_back(static_cast<float>(a));
      x.store.Decode(c[j].slot, v.data());
      for (uint32_t i = 0; i < d; ++i) soft[i] += a * v[i];
    }
    result.soft_vector.assign(soft.begin(), soft.end());
  }
  return result;
}

}  // namespace neurovec
