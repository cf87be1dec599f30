#include <cmath>

#include "distance/kernels.h"
#include "distance/kernels_internal.h"

namespace neurovec::distance {
namespace {

float L2Squared(const float* a, const float* b, size_t d) {
  float sum = 0;
  for (size_t i = 0; i < d; ++i) {
    float diff = a[i] - b[i];
    sum += diff * diff;
  }
  return sum;
}

float Dot(const float* a, const float* b, size_t d) {
  float sum = 0;
  for (size_t i = 0; i < d; ++i) sum += a[i] * b[i];
  return sum;
}

float L1(const float* a, const float* b, size_t d) {
  float sum = 0;
  for (size_t i = 0; i < d; ++i) sum += std::fabs(a[i] - b[i]);
  return sum;
}

float L2SquaredBounded(const float* a, const float* b, size_t d, float bound) {
  float sum = 0;
  size_t i = 0;
  while (i < d) {
    size_t end = i + kAbandonBlock < d ? i + kAbandonBlock : d;
    for (; i < end; ++i) {
      float diff = a[i] - b[i];
      sum += diff * diff;
    }
    if (sum > bound) return sum;
  }
  return sum;
}

float L1Bounded(const float* a, const float* b, size_t d, float bound) {
  float sum = 0;
  size_t i = 0;
  while (i < d) {
    size_t end = i + kAbandonBlock < d ? i + kAbandonBlock : d;
    for (; i < end; ++i) sum += std::fabs(a[i] - b[i]);
    if (sum > bound) return sum;
  }
  return sum;
}

const KernelTable kScalar = {"scalar", L2Squared, Dot, L1, L2SquaredBounded, L1Bounded};

}  // namespace

const KernelTable& ScalarKernels() { return kScalar; }

}  // namespace neurovec::distance
