// Distance kernels over float vectors. One table per instruction set; the index
// picks the best table the CPU supports once, at creation.
//
// The *Bounded kernels may stop early: they return the exact distance when it is
// <= bound, and otherwise some partial sum that is already > bound. Search only
// needs to know "not closer than the current worst result", so abandoning saves
// work; this is exact, not an approximation. Tables where it does not pay (x86,
// see kernels_internal.h) ignore the bound and always return the full distance.
#pragma once

#include <cstddef>

namespace neurovec::distance {

using DistanceFn = float (*)(const float* a, const float* b, size_t d);
using BoundedDistanceFn = float (*)(const float* a, const float* b, size_t d, float bound);
// out[j] = dot(q, rows[j]) for j < n: one query against many rows, the query's
// loads shared between rows (the click memory's scan of past queries).
using DotBatchFn = void (*)(const float* q, const float* const* rows, size_t n, size_t d, float* out);

struct KernelTable {
  const char* name;
  DistanceFn l2_squared;           // sum (a-b)^2
  DistanceFn dot;                  // sum a*b
  DistanceFn l1;                   // sum |a-b|
  BoundedDistanceFn l2_squared_bounded;
  BoundedDistanceFn l1_bounded;
  DotBatchFn dot_batch;
};

// Plain loops: the reference every SIMD table is tested against.
const KernelTable& ScalarKernels();
// The fastest table this CPU/build supports.
const KernelTable& BestKernels();
// Every table usable on this machine (for tests and benchmarks), scalar first.
size_t AvailableKernels(const KernelTable** out, size_t max);

}  // namespace neurovec::distance
