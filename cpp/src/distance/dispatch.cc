#include "distance/kernels.h"
#include "distance/kernels_internal.h"

namespace neurovec::distance {

size_t AvailableKernels(const KernelTable** out, size_t max) {
  size_t n = 0;
  auto push = [&](const KernelTable& t) {
    if (n < max) out[n++] = &t;
  };
  push(ScalarKernels());
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) push(Avx2Kernels());
  if (__builtin_cpu_supports("avx512f")) push(Avx512Kernels());
#endif
#if defined(__wasm_simd128__)
  push(WasmSimdKernels());
#endif
  return n;
}

const KernelTable& BestKernels() {
  // Resolved once; the tables are immutable.
  static const KernelTable* best = [] {
    const KernelTable* tables[4];
    size_t n = AvailableKernels(tables, 4);
    return tables[n - 1];
  }();
  return *best;
}

}  // namespace neurovec::distance
