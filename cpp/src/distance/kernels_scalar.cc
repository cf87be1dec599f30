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

void DotBatch(const float* q, const float* const* rows, size_t n, size_t d, float* out) {
  for (size_t j = 0; j < n; ++j) out[j] = Dot(q, rows[j], d);
}

const KernelTable kScalar = {"scalar", L2Squared, Dot, L1, BoundedBySegments<L2Squared>, BoundedBySegments<L1>,
                             DotBatch};

}  // namespace

const KernelTable& ScalarKernels() { return kScalar; }

}  // namespace neurovec::distance
