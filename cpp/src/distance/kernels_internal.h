// Per-instruction-set tables, defined in their own translation units.
#pragma once

#include "distance/kernels.h"

namespace neurovec::distance {

// Early abandoning built from a full kernel: the distance is summed over three
// segments, [0, d/4), [d/4, d/2), [d/2, d), with a check after each of the first
// two. Checking rarely keeps each segment a fast multi-accumulator loop; the
// index orders dimensions by variance (storage/vector_store.h), so the first
// quarter carries most of the distance and decides most rejections.
inline size_t AbandonCheckpoint(size_t d, int which) {
  size_t c = (which == 0 ? d / 4 : d / 2) & ~size_t{15};
  return c;
}

template <DistanceFn kFull>
float BoundedBySegments(const float* a, const float* b, size_t d, float bound) {
  const size_t c1 = AbandonCheckpoint(d, 0);
  const size_t c2 = AbandonCheckpoint(d, 1);
  if (c1 == 0 || c1 == c2) return kFull(a, b, d);
  float sum = kFull(a, b, c1);
  if (sum > bound) return sum;
  sum += kFull(a + c1, b + c1, c2 - c1);
  if (sum > bound) return sum;
  return sum + kFull(a + c2, b + c2, d - c2);
}

// For tables where abandoning does not pay: the bound is ignored. Measured on
// Fashion-MNIST (784-d) with AVX-512, interleaved in one process: abandoning at
// d/4 and d/2 made searches 12-18% slower than the plain kernel, which streams a
// row with four independent accumulators; in wasm it made them 6-10% faster.
template <DistanceFn kFull>
float IgnoreBound(const float* a, const float* b, size_t d, float) {
  return kFull(a, b, d);
}

#if defined(__x86_64__) || defined(__i386__)
const KernelTable& Avx2Kernels();    // requires AVX2 + FMA at run time
const KernelTable& Avx512Kernels();  // requires AVX-512F at run time
#endif
#if defined(__wasm_simd128__)
const KernelTable& WasmSimdKernels();
#endif

}  // namespace neurovec::distance
