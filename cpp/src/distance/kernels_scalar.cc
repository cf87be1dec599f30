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

const KernelTable kScalar = {"scalar", L2Squared, Dot, L1, BoundedBySegments<L2Squared>, BoundedBySegments<L1>};

}  // namespace

const KernelTable& ScalarKernels() { return kScalar; }

}  // namespace neurovec::distance
