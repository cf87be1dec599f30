#include "learning/losses.h"

#include <algorithm>

namespace neurovec::learning {
namespace {
constexpr float kTinyNorm = 1e-12f;
}

Eigen::VectorXf CosineScores(const RowVector& anchor, const Matrix& others, CosineCache* cache) {
  CosineCache local;
  CosineCache& c = cache ? *cache : local;
  c.anchor_norm = std::max(anchor.norm(), kTinyNorm);
  c.anchor_unit = anchor / c.anchor_norm;
  c.others_norm = others.rowwise().norm().cwiseMax(kTinyNorm);
  c.others_unit = c.others_norm.cwiseInverse().asDiagonal() * others;
  return c.others_unit * c.anchor_unit.transpose();
}

void CosineScoresBackward(const Eigen::VectorXf& dscores, const CosineCache& c, RowVector* danchor,
                          Matrix* dothers) {
  const Eigen::VectorXf scores = c.others_unit * c.anchor_unit.transpose();
  if (danchor) {
    // d(u.v)/da for u = a/|a|: (v - (u.v) u) / |a|.
    const RowVector g = dscores.transpose() * c.others_unit;
    *danchor = (g - g.dot(c.anchor_unit) * c.anchor_unit) / c.anchor_norm;
  }
  if (dothers) {
    Matrix d = dscores * c.anchor_unit;  // m x d
    d -= (dscores.cwiseProduct(scores)).asDiagonal() * c.others_unit;
    *dothers = c.others_norm.cwiseInverse().asDiagonal() * d;
  }
}

float InfoNce(const Eigen::VectorXf& scores, const std::vector<uint8_t>& positive, float temperature,
              Eigen::VectorXf* dscores) {
  const Eigen::Index m = scores.size();
  const Eigen::VectorXf logits = scores / temperature;
  const float max_logit = logits.maxCoeff();
  const Eigen::VectorXf e = (logits.array() - max_logit).exp();
  double all = 0, pos = 0;
  for (Eigen::Index j = 0; j < m; ++j) {
    all += e(j);
    if (positive[j]) pos += e(j);
  }
  if (dscores) {
    dscores->resize(m);
    // dL/dlogit_j = softmax_all(j) - [positive] softmax_pos(j).
    for (Eigen::Index j = 0; j < m; ++j) {
      double g = e(j) / all - (positive[j] ? e(j) / pos : 0.0);
      (*dscores)(j) = static_cast<float>(g / temperature);
    }
  }
  return static_cast<float>(std::log(all) - std::log(pos));
}

float InfoNcePerPositive(const Eigen::VectorXf& scores, const std::vector<uint8_t>& positive, float temperature,
                         Eigen::VectorXf* dscores) {
  const Eigen::Index m = scores.size();
  const Eigen::VectorXf logits = scores / temperature;
  const float max_logit = logits.maxCoeff();
  const Eigen::VectorXf e = (logits.array() - max_logit).exp();
  double negatives = 0;
  Eigen::Index positives = 0;
  for (Eigen::Index j = 0; j < m; ++j) {
    if (positive[j]) {
      ++positives;
    } else {
      negatives += e(j);
    }
  }
  if (dscores) dscores->setZero(m);
  if (positives == 0 || negatives == 0) return 0.0f;
  double loss = 0;
  double negative_weight = 0;  // sum over p of 1 / (e_p + N)
  for (Eigen::Index p = 0; p < m; ++p) {
    if (!positive[p]) continue;
    const double denom = e(p) + negatives;
    loss += std::log(denom) - std::log(static_cast<double>(e(p)));
    negative_weight += 1.0 / denom;
    if (dscores) (*dscores)(p) = static_cast<float>(-(negatives / denom) / (temperature * positives));
  }
  if (dscores) {
    for (Eigen::Index n = 0; n < m; ++n) {
      if (!positive[n]) (*dscores)(n) = static_cast<float>(e(n) * negative_weight / (temperature * positives));
    }
  }
  return static_cast<float>(loss / positives);
}

float LocalContrastive(const Matrix& embeddings, const Adjacency& adj,
                       const std::vector<std::vector<uint32_t>>& negatives, float temperature, Matrix* dembeddings) {
  const uint32_t n = adj.num_nodes();
  if (dembeddings) *dembeddings = Matrix::Zero(embeddings.rows(), embeddings.cols());
  double total = 0;
  uint32_t counted = 0;
  std::vector<uint32_t> candidates;
  std::vector<uint8_t> positive;
  for (uint32_t i = 0; i < n; ++i) {
    if (adj.degree(i) == 0) continue;
    candidates.assign(adj.neighbors.begin() + adj.begin(i), adj.neighbors.begin() + adj.end(i));
    positive.assign(candidates.size(), 1);
    for (uint32_t v : negatives[i]) {
      candidates.push_back(v);
      positive.push_back(0);
    }
    ++counted;
    Matrix others(candidates.size(), embeddings.cols());
    for (size_t j = 0; j < candidates.size(); ++j) others.row(j) = embeddings.row(candidates[j]);
    CosineCache cc;
    Eigen::VectorXf scores = CosineScores(embeddings.row(i), others, &cc);
    Eigen::VectorXf ds;
    total += InfoNce(scores, positive, temperature, dembeddings ? &ds : nullptr);
    if (dembeddings) {
      RowVector da;
      Matrix dothers;
      CosineScoresBackward(ds, cc, &da, &dothers);
      dembeddings->row(i) += da;
      for (size_t j = 0; j < candidates.size(); ++j) dembeddings->row(candidates[j]) += dothers.row(j);
    }
  }
  if (counted == 0) return 0.0f;
  if (dembeddings) *dembeddings /= static_cast<float>(counted);
  return static_cast<float>(total / counted);
}

std::vector<std::vector<uint32_t>> SampleNonNeighbors(const Adjacency& adj, uint32_t count, Random& rng) {
  const uint32_t n = adj.num_nodes();
  std::vector<std::vector<uint32_t>> out(n);
  std::vector<uint8_t> excluded(n, 0);
  for (uint32_t i = 0; i < n; ++i) {
    for (uint32_t e = adj.begin(i); e < adj.end(i); ++e) excluded[adj.neighbors[e]] = 1;
    excluded[i] = 1;
    uint32_t available = 0;
    for (uint32_t v = 0; v < n; ++v) available += excluded[v] == 0;
    const uint32_t want = std::min(count, available);
    // Rejection sampling; the pool has at least `want` free nodes, so it ends.
    while (out[i].size() < want) {
      uint32_t v = static_cast<uint32_t>(rng.NextBelow(n));
      if (!excluded[v]) {
        excluded[v] = 2;
        out[i].push_back(v);
      }
    }
    for (uint32_t v : out[i]) excluded[v] = 0;
    for (uint32_t e = adj.begin(i); e < adj.end(i); ++e) excluded[adj.neighbors[e]] = 0;
    excluded[i] = 0;
  }
  return out;
}

float BceWithLogits(const Matrix& logits, const Matrix& targets, Matrix* dlogits) {
  const float count = static_cast<float>(logits.size());
  double total = 0;
  if (dlogits) dlogits->resize(logits.rows(), logits.cols());
  for (Eigen::Index i = 0; i < logits.size(); ++i) {
    const float x = logits.data()[i];
    const float y = targets.data()[i];
    total += std::max(x, 0.0f) - x * y + std::log1p(std::exp(-std::fabs(x)));
    if (dlogits) dlogits->data()[i] = (Sigmoid(x) - y) / count;
  }
  return static_cast<float>(total / count);
}

}  // namespace neurovec::learning
