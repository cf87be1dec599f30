// Per-instruction-set tables, defined in their own translation units.
#pragma once

#include "distance/kernels.h"

namespace neurovec::distance {

#if defined(__x86_64__) || defined(__i386__)
const KernelTable& Avx2Kernels();    // requires AVX2 + FMA at run time
const KernelTable& Avx512Kernels();  // requires AVX-512F at run time
#endif
#if defined(__wasm_simd128__)
const KernelTable& WasmSimdKernels();
#endif

}  // namespace neurovec::distance
