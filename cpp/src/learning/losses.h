// Losses and the similarity they are computed on. Each returns the loss value
// and writes the gradient with respect to its input (never null-checked twice:
// pass nullptr to skip the gradient).
#pragma once

#include <vector>

#include "learning/adjacency.h"
#include "learning/tensor.h"

namespace neurovec::learning {

// Cosine similarity of one anchor row against each row of `others`.
struct CosineCache {
  RowVector anchor_unit;  // anchor / |anchor|
  Matrix others_unit;     // rows / |row|
  float anchor_norm = 0;
  Eigen::VectorXf others_norm;
};
Eigen::VectorXf CosineScores(const RowVector& anchor, const Matrix& others, CosineCache* cache);
// From d(scores) to d(anchor) and d(others) (either may be null).
void CosineScoresBackward(const Eigen::VectorXf& dscores, const CosineCache& cache, RowVector* danchor,
                          Matrix* dothers);

// InfoNCE (van den Oord et al. 2018) with several positives:
//   loss = -log( sum_{p positive} exp(s_p / T) / sum_{all j} exp(s_j / T) ).
// scores: similarities of one anchor to its candidates; positive: 1 for the
// positives. Requires at least one positive and one candidate.
float InfoNce(const Eigen::VectorXf& scores, const std::vector<uint8_t>& positive, float temperature,
              Eigen::VectorXf* dscores);

// Per-positive InfoNCE, averaged over the positives P against the negatives N:
//   loss = 1/|P| sum_{p in P} -log( exp(s_p / T) / (exp(s_p / T) + sum_{n in N} exp(s_n / T)) ).
// Unlike InfoNce, one high positive does not satisfy it: every positive must
// beat the negatives, which is what precision@k rewards. 0 without negatives.
float InfoNcePerPositive(const Eigen::VectorXf& scores, const std::vector<uint8_t>& positive, float temperature,
                         Eigen::VectorXf* dscores);

// Local contrastive loss over a graph: for every node with neighbours, InfoNCE on
// cosine similarity with its graph neighbours as positives and `negatives[i]`
// (non-neighbours sampled by the caller, see SampleNonNeighbors) as negatives;
// averaged over those nodes. embeddings: n x d.
float LocalContrastive(const Matrix& embeddings, const Adjacency& adjacency,
                       const std::vector<std::vector<uint32_t>>& negatives, float temperature, Matrix* dembeddings);

// Up to `count` distinct nodes per node that are neither the node nor one of its
// neighbours, drawn from the seeded generator.
std::vector<std::vector<uint32_t>> SampleNonNeighbors(const Adjacency& adjacency, uint32_t count, Random& rng);

// Binary cross-entropy on logits, mean over entries; targets in [0, 1].
// Computed as max(x,0) - x*y + log(1 + exp(-|x|)) so it never overflows.
float BceWithLogits(const Matrix& logits, const Matrix& targets, Matrix* dlogits);

}  // namespace neurovec::learning
