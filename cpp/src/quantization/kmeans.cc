#include "quantization/kmeans.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "util/random.h"

namespace neurovec::quant {

void TransposeCentroids(const float* centroids, size_t dim, size_t k, float* transposed, float* norms) {
  for (size_t c = 0; c < k; ++c) {
    float norm = 0;
    for (size_t j = 0; j < dim; ++j) {
      const float v = centroids[c * dim + j];
      transposed[j * k + c] = v;
      norm += v * v;
    }
    norms[c] = norm;
  }
}

// The hot loop of PQ training and encoding. On x86 GCC builds it is compiled
// for AVX-512F, AVX2 and the baseline, and the loader picks one (ifunc), like
// the distance kernels' run-time dispatch: the loop over centroids is then 16 or
// 8 floats wide instead of 4. Elsewhere (wasm: -msimd128) it is compiled once,
// and under ThreadSanitizer too (an instrumented ifunc resolver runs before
// the sanitizer's runtime is up and crashes the program at load).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__) && !defined(__SANITIZE_THREAD__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
uint32_t NearestCentroid(const float* x, const float* transposed, const float* norms, size_t dim, size_t k,
                         float* scratch) {
  for (size_t c = 0; c < k; ++c) scratch[c] = norms[c];
  for (size_t j = 0; j < dim; ++j) {
    const float minus_two_x = -2.0f * x[j];
    const float* row = transposed + j * k;
    for (size_t c = 0; c < k; ++c) scratch[c] += minus_two_x * row[c];
  }
  uint32_t best = 0;
  float best_distance = scratch[0];
  for (size_t c = 1; c < k; ++c) {
    if (scratch[c] < best_distance) {
      best_distance = scratch[c];
      best = static_cast<uint32_t>(c);
    }
  }
  return best;
}

namespace {

float SquaredDistance(const float* a, const float* b, size_t dim) {
  float sum = 0;
  for (size_t j = 0; j < dim; ++j) {
    const float diff = a[j] - b[j];
    sum += diff * diff;
  }
  return sum;
}

// k-means++: each next seed is a point drawn with probability proportional to
// its squared distance to the nearest seed so far.
void SeedPlusPlus(const float* points, size_t n, size_t dim, size_t k, Random& random, float* centroids) {
  std::vector<double> nearest(n);
  size_t first = random.NextBelow(n);
  std::memcpy(centroids, points + first * dim, dim * sizeof(float));
  double total = 0;
  for (size_t i = 0; i < n; ++i) total += nearest[i] = SquaredDistance(points + i * dim, centroids, dim);
  for (size_t c = 1; c < k; ++c) {
    size_t chosen = random.NextBelow(n);
    if (total > 0) {
      double target = random.NextUnit() * total;
      for (size_t i = 0; i < n; ++i) {
        target -= nearest[i];
        if (target <= 0) {
          chosen = i;
          break;
        }
      }
    }
    float* seed = centroids + c * dim;
    std::memcpy(seed, points + chosen * dim, dim * sizeof(float));
    total = 0;
    for (size_t i = 0; i < n; ++i) {
      nearest[i] = std::min<double>(nearest[i], SquaredDistance(points + i * dim, seed, dim));
      total += nearest[i];
    }
  }
}

void SeedRandom(const float* points, size_t n, size_t dim, size_t k, Random& random, float* centroids) {
  // Partial Fisher-Yates over indices: k distinct points.
  std::vector<uint32_t> index(n);
  for (size_t i = 0; i < n; ++i) index[i] = static_cast<uint32_t>(i);
  for (size_t c = 0; c < k; ++c) {
    std::swap(index[c], index[c + random.NextBelow(n - c)]);
    std::memcpy(centroids + c * dim, points + static_cast<size_t>(index[c]) * dim, dim * sizeof(float));
  }
}

}  // namespace

void Kmeans(const float* points, size_t n, size_t dim, size_t k, uint32_t iterations, KmeansInit init,
            uint64_t seed, float* centroids) {
  if (n == 0) {
    std::fill(centroids, centroids + k * dim, 0.0f);
    return;
  }
  if (n <= k) {
    for (size_t c = 0; c < k; ++c) std::memcpy(centroids + c * dim, points + (c % n) * dim, dim * sizeof(float));
    return;
  }
  Random random(seed);
  if (init == KmeansInit::kPlusPlus) {
    SeedPlusPlus(points, n, dim, k, random, centroids);
  } else {
    SeedRandom(points, n, dim, k, random, centroids);
  }

  std::vector<float> transposed(dim * k), norms(k), scratch(k);
  std::vector<uint32_t> assignment(n);
  std::vector<double> sums(k * dim);
  std::vector<uint32_t> counts(k);
  for (uint32_t iteration = 0; iteration < iterations; ++iteration) {
    TransposeCentroids(centroids, dim, k, transposed.data(), norms.data());
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(counts.begin(), counts.end(), 0u);
    for (size_t i = 0; i < n; ++i) {
      const float* x = points + i * dim;
      const uint32_t c = NearestCentroid(x, transposed.data(), norms.data(), dim, k, scratch.data());
      assignment[i] = c;
      ++counts[c];
      for (size_t j = 0; j < dim; ++j) sums[c * dim + j] += x[j];
    }
    for (size_t c = 0; c < k; ++c) {
      if (counts[c] == 0) continue;
      for (size_t j = 0; j < dim; ++j) centroids[c * dim + j] = static_cast<float>(sums[c * dim + j] / counts[c]);
    }
    // Empty clusters waste codes: move each onto a random member of the
    // largest cluster (slightly perturbed so the two split apart next step).
    for (size_t c = 0; c < k; ++c) {
      if (counts[c] != 0) continue;
      const size_t largest = static_cast<size_t>(std::max_element(counts.begin(), counts.end()) - counts.begin());
      if (counts[largest] < 2) break;
      size_t pick = random.NextBelow(counts[largest]);
      for (size_t i = 0; i < n; ++i) {
        if (assignment[i] == largest && pick-- == 0) {
          for (size_t j = 0; j < dim; ++j) {
            const float v = points[i * dim + j];
            centroids[c * dim + j] = v + 1e-4f * (v == 0 ? 1.0f : v);
          }
          assignment[i] = static_cast<uint32_t>(c);
          --counts[largest];
          counts[c] = 1;
          break;
        }
      }
    }
  }
}

}  // namespace neurovec::quant
