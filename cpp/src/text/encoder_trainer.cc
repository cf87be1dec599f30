#include "text/encoder_trainer.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <thread>

namespace neurovec::text {
namespace {

uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double Uniform(uint64_t& state) { return (SplitMix(state) >> 11) * (1.0 / 9007199254740992.0); }

// Per text in a batch: the features used (after dropout), the unit vector and
// the norm of the summed rows.
struct Encoded {
  std::vector<uint32_t> used;
  std::vector<float> unit;
  double norm = 0;
};

void EncodeOne(const std::vector<float>& rows, uint32_t dim, const std::vector<uint32_t>& features, float dropout,
               uint64_t seed, Encoded* e) {
  e->used.clear();
  uint64_t rng = seed;
  for (uint32_t f : features) {
    if (dropout > 0 && Uniform(rng) < dropout) continue;
    e->used.push_back(f);
  }
  if (e->used.empty() && !features.empty()) e->used.push_back(features[SplitMix(rng) % features.size()]);
  e->unit.assign(dim, 0.0f);
  for (uint32_t f : e->used) {
    const float* row = rows.data() + static_cast<size_t>(f) * dim;
    for (uint32_t j = 0; j < dim; ++j) e->unit[j] += row[j];
  }
  double n = 0;
  for (float v : e->unit) n += static_cast<double>(v) * v;
  e->norm = std::sqrt(n);
  if (e->norm > 0) {
    for (float& v : e->unit) v = static_cast<float>(v / e->norm);
  }
}

// Symmetric InfoNCE over the batch: returns the loss, writes dL/du for the
// queries (gq) and documents (gd), B x dim each.
double InfoNce(const std::vector<Encoded>& q, const std::vector<Encoded>& d, uint32_t dim, float temperature,
               std::vector<float>* gq, std::vector<float>* gd) {
  const size_t b = q.size();
  std::vector<double> s(b * b);
  for (size_t i = 0; i < b; ++i) {
    for (size_t j = 0; j < b; ++j) {
      double dot = 0;
      for (uint32_t k = 0; k < dim; ++k) dot += static_cast<double>(q[i].unit[k]) * d[j].unit[k];
      s[i * b + j] = dot / temperature;
    }
  }
  std::vector<double> ds(b * b, 0.0);
  double loss = 0;
  // Rows: each query against every document; columns: each document against every query.
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < b; ++i) {
      auto at = [&](size_t j) -> double& { return pass == 0 ? s[i * b + j] : s[j * b + i]; };
      auto dat = [&](size_t j) -> double& { return pass == 0 ? ds[i * b + j] : ds[j * b + i]; };
      double mx = -1e300;
      for (size_t j = 0; j < b; ++j) mx = std::max(mx, at(j));
      double z = 0;
      for (size_t j = 0; j < b; ++j) z += std::exp(at(j) - mx);
      loss += -(at(i) - mx - std::log(z));
      for (size_t j = 0; j < b; ++j) {
        const double p = std::exp(at(j) - mx) / z;
        dat(j) += (p - (i == j ? 1.0 : 0.0)) / (2.0 * b);
      }
    }
  }
  gq->assign(b * dim, 0.0f);
  gd->assign(b * dim, 0.0f);
  for (size_t i = 0; i < b; ++i) {
    for (size_t j = 0; j < b; ++j) {
      const float g = static_cast<float>(ds[i * b + j] / temperature);
      if (g == 0) continue;
      for (uint32_t k = 0; k < dim; ++k) {
        (*gq)[i * dim + k] += g * d[j].unit[k];
        (*gd)[j * dim + k] += g * q[i].unit[k];
      }
    }
  }
  return loss / (2.0 * b);
}

// dL/d(summed rows) from dL/du: (g - u (u.g)) / |s|.
void ThroughNormalisation(const Encoded& e, const float* g, uint32_t dim, std::vector<float>* out) {
  out->assign(dim, 0.0f);
  if (!(e.norm > 0)) return;
  double ug = 0;
  for (uint32_t k = 0; k < dim; ++k) ug += static_cast<double>(e.unit[k]) * g[k];
  for (uint32_t k = 0; k < dim; ++k) (*out)[k] = static_cast<float>((g[k] - e.unit[k] * ug) / e.norm);
}

}  // namespace

Status EncoderTrainOptions::Validate() const {
  NV_RETURN_IF_ERROR(features.Validate());
  if (dimensions == 0 || dimensions > kMaxEncoderDim) return Status::InvalidArgument("encoder dimensions must be in [1, 1024]");
  if (batch < 2 || batch > 8192) return Status::InvalidArgument("batch must be in [2, 8192]");
  if (!(temperature > 0 && temperature <= 10)) return Status::InvalidArgument("temperature must be in (0, 10]");
  if (!(learning_rate > 0 && learning_rate <= 100)) return Status::InvalidArgument("learning rate must be in (0, 100]");
  if (!(init_scale >= 0 && init_scale <= 10)) return Status::InvalidArgument("init scale must be in [0, 10]");
  if (!(feature_dropout >= 0 && feature_dropout < 1)) return Status::InvalidArgument("feature dropout must be in [0, 1)");
  if (threads == 0 || threads > 256) return Status::InvalidArgument("threads must be in [1, 256]");
  return Status::Ok();
}

Result<EncoderTrainer> EncoderTrainer::Create(const EncoderTrainOptions& options, const std::vector<std::string>& texts,
                                              std::vector<TextPair> pairs) {
  NV_RETURN_IF_ERROR(options.Validate());
  for (const TextPair& p : pairs) {
    if (p.query >= texts.size() || p.document >= texts.size()) return Status::InvalidArgument("pair refers to no text");
  }
  if (pairs.size() < 2) return Status::InvalidArgument("training needs at least 2 pairs");
  EncoderTrainer t;
  t.options_ = options;
  t.features_.resize(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) TextFeatures(options.features, texts[i], &t.features_[i]);
  t.pairs_ = std::move(pairs);
  const uint64_t buckets = uint64_t{1} << options.features.log2_buckets;
  t.rows_.resize(buckets * options.dimensions);
  t.rng_ = options.seed;
  for (float& w : t.rows_) w = static_cast<float>((Uniform(t.rng_) * 2 - 1) * options.init_scale);
  t.adagrad_.assign(buckets, 0.0f);
  return t;
}

double EncoderTrainer::LossAndGradient(const std::vector<TextPair>& batch, std::vector<float>* grad) const {
  const uint32_t dim = options_.dimensions;
  std::vector<Encoded> q(batch.size()), d(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    EncodeOne(rows_, dim, features_[batch[i].query], 0, 0, &q[i]);
    EncodeOne(rows_, dim, features_[batch[i].document], 0, 0, &d[i]);
  }
  std::vector<float> gq, gd, gs;
  const double loss = InfoNce(q, d, dim, options_.temperature, &gq, &gd);
  if (grad) {
    grad->assign(rows_.size(), 0.0f);
    for (int side = 0; side < 2; ++side) {
      const auto& enc = side == 0 ? q : d;
      const auto& g = side == 0 ? gq : gd;
      for (size_t i = 0; i < batch.size(); ++i) {
        ThroughNormalisation(enc[i], g.data() + i * dim, dim, &gs);
        for (uint32_t f : enc[i].used) {
          for (uint32_t k = 0; k < dim; ++k) (*grad)[static_cast<size_t>(f) * dim + k] += gs[k];
        }
      }
    }
  }
  return loss;
}

Result<EncoderTrainProgress> EncoderTrainer::Train(const EncoderTrainCallback& progress) {
  const uint32_t dim = options_.dimensions;
  const size_t b = std::min<size_t>(options_.batch, pairs_.size());
  const uint64_t per_epoch = pairs_.size() / b;
  const uint64_t total = per_epoch * options_.epochs;
  const uint32_t threads = std::max<uint32_t>(1, std::min<uint32_t>(options_.threads, static_cast<uint32_t>(b)));
  std::vector<uint32_t> order(pairs_.size());
  std::vector<Encoded> q(b), d(b);
  std::vector<float> gq, gd;
  // Per thread: a dense gradient buffer over the rows touched, and the list of
  // rows it touched (the table is large; only these are visited).
  const size_t row_count = rows_.size() / dim;
  std::vector<std::vector<float>> grad(threads, std::vector<float>());
  std::vector<std::vector<uint32_t>> touched(threads);
  std::vector<uint8_t> mark(row_count, 0);
  std::vector<uint32_t> all_touched;
  EncoderTrainProgress p;
  p.steps = total;
  double epoch_loss = 0;
  uint64_t epoch_steps = 0;
  while (step_ < total) {
    const uint64_t epoch = step_ / per_epoch;
    const uint64_t in_epoch = step_ % per_epoch;
    if (in_epoch == 0) {
      std::iota(order.begin(), order.end(), 0u);
      uint64_t shuffle = options_.seed ^ (0x5bd1e995ull * (epoch + 1));
      for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[SplitMix(shuffle) % i]);
      if (options_.group_batches) {
        // Groups in a fresh random order each epoch, pairs shuffled within them.
        const uint64_t salt = SplitMix(shuffle);
        auto key = [&](uint32_t pair) {
          uint64_t s = salt ^ (pairs_[pair].group * 0x9e3779b97f4a7c15ull);
          return SplitMix(s);
        };
        std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return key(a) < key(b); });
      }
      epoch_loss = 0;
      epoch_steps = 0;
    }
    // Forward, in parallel over the batch.
    auto encode = [&](uint32_t t) {
      for (size_t i = t; i < b; i += threads) {
        const TextPair& pr = pairs_[order[in_epoch * b + i]];
        const uint64_t s = options_.seed ^ (step_ * 0x9e3779b97f4a7c15ull) ^ (i * 0xc2b2ae3d27d4eb4full);
        EncodeOne(rows_, dim, features_[pr.query], options_.feature_dropout, s, &q[i]);
        EncodeOne(rows_, dim, features_[pr.document], options_.feature_dropout, s ^ 1, &d[i]);
      }
    };
    auto run = [&](const std::function<void(uint32_t)>& fn) {
      std::vector<std::thread> pool;
      for (uint32_t t = 1; t < threads; ++t) pool.emplace_back(fn, t);
      fn(0);
      for (auto& th : pool) th.join();
    };
    run(encode);
    const double loss = InfoNce(q, d, dim, options_.temperature, &gq, &gd);
    // Backward into per-thread sparse gradients.
    auto backward = [&](uint32_t t) {
      std::vector<float>& g = grad[t];
      if (g.empty()) g.assign(rows_.size(), 0.0f);
      std::vector<float> gs;
      for (size_t i = t; i < b; i += threads) {
        for (int side = 0; side < 2; ++side) {
          const Encoded& e = side == 0 ? q[i] : d[i];
          ThroughNormalisation(e, (side == 0 ? gq : gd).data() + i * dim, dim, &gs);
          for (uint32_t f : e.used) {
            float* row = g.data() + static_cast<size_t>(f) * dim;
            bool fresh = true;
            for (uint32_t k = 0; k < dim && fresh; ++k) fresh = row[k] == 0.0f;
            if (fresh) touched[t].push_back(f);
            for (uint32_t k = 0; k < dim; ++k) row[k] += gs[k];
          }
        }
      }
    };
    run(backward);
    // Row-wise Adagrad over the union of touched rows.
    all_touched.clear();
    for (auto& list : touched) {
      for (uint32_t f : list) {
        if (!mark[f]) {
          mark[f] = 1;
          all_touched.push_back(f);
        }
      }
      list.clear();
    }
    std::sort(all_touched.begin(), all_touched.end());
    auto apply = [&](uint32_t t) {
      std::vector<float> sum(dim);
      for (size_t idx = t; idx < all_touched.size(); idx += threads) {
        const uint32_t f = all_touched[idx];
        std::fill(sum.begin(), sum.end(), 0.0f);
        for (auto& g : grad) {
          float* row = g.data() + static_cast<size_t>(f) * dim;
          for (uint32_t k = 0; k < dim; ++k) {
            sum[k] += row[k];
            row[k] = 0.0f;
          }
        }
        double sq = 0;
        for (float v : sum) sq += static_cast<double>(v) * v;
        adagrad_[f] += static_cast<float>(sq / dim);
        const float step = options_.learning_rate / std::sqrt(adagrad_[f] + 1e-10f);
        float* w = rows_.data() + static_cast<size_t>(f) * dim;
        for (uint32_t k = 0; k < dim; ++k) w[k] -= step * sum[k];
        mark[f] = 0;
      }
    };
    run(apply);
    ++step_;
    epoch_loss += loss;
    ++epoch_steps;
    p.epoch = static_cast<uint32_t>(epoch + 1);
    p.step = step_;
    p.loss = epoch_loss / epoch_steps;
    if (progress && !progress(p)) return Status::Aborted("encoder training stopped by its progress callback");
  }
  return p;
}

Result<TextEncoder> EncoderTrainer::Encoder() const {
  return TextEncoder::FromFloatRows(options_.features, options_.dimensions, rows_.data());
}

}  // namespace neurovec::text
