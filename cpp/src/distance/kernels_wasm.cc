// WebAssembly SIMD128 kernels (build with -msimd128). wasm has no FMA, so each
// step is a multiply and an add; four accumulators hide the add latency.
#if defined(__wasm_simd128__)

#include <wasm_simd128.h>

#include <cmath>

#include "distance/kernels_internal.h"

namespace neurovec::distance {
namespace {

inline float HorizontalSum(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) +
         wasm_f32x4_extract_lane(v, 3);
}

inline v128_t Load(const float* p) { return wasm_v128_load(p); }

float L2Squared(const float* a, const float* b, size_t d) {
  v128_t s0 = wasm_f32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    v128_t d0 = wasm_f32x4_sub(Load(a + i), Load(b + i));
    v128_t d1 = wasm_f32x4_sub(Load(a + i + 4), Load(b + i + 4));
    v128_t d2 = wasm_f32x4_sub(Load(a + i + 8), Load(b + i + 8));
    v128_t d3 = wasm_f32x4_sub(Load(a + i + 12), Load(b + i + 12));
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(d0, d0));
    s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(d1, d1));
    s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(d2, d2));
    s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(d3, d3));
  }
  for (; i + 4 <= d; i += 4) {
    v128_t d0 = wasm_f32x4_sub(Load(a + i), Load(b + i));
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(d0, d0));
  }
  float sum = HorizontalSum(wasm_f32x4_add(wasm_f32x4_add(s0, s1), wasm_f32x4_add(s2, s3)));
  for (; i < d; ++i) {
    float diff = a[i] - b[i];
    sum += diff * diff;
  }
  return sum;
}

float Dot(const float* a, const float* b, size_t d) {
  v128_t s0 = wasm_f32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(Load(a + i), Load(b + i)));
    s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(Load(a + i + 4), Load(b + i + 4)));
    s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(Load(a + i + 8), Load(b + i + 8)));
    s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(Load(a + i + 12), Load(b + i + 12)));
  }
  for (; i + 4 <= d; i += 4) s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(Load(a + i), Load(b + i)));
  float sum = HorizontalSum(wasm_f32x4_add(wasm_f32x4_add(s0, s1), wasm_f32x4_add(s2, s3)));
  for (; i < d; ++i) sum += a[i] * b[i];
  return sum;
}

float L1(const float* a, const float* b, size_t d) {
  v128_t s0 = wasm_f32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    s0 = wasm_f32x4_add(s0, wasm_f32x4_abs(wasm_f32x4_sub(Load(a + i), Load(b + i))));
    s1 = wasm_f32x4_add(s1, wasm_f32x4_abs(wasm_f32x4_sub(Load(a + i + 4), Load(b + i + 4))));
    s2 = wasm_f32x4_add(s2, wasm_f32x4_abs(wasm_f32x4_sub(Load(a + i + 8), Load(b + i + 8))));
    s3 = wasm_f32x4_add(s3, wasm_f32x4_abs(wasm_f32x4_sub(Load(a + i + 12), Load(b + i + 12))));
  }
  for (; i + 4 <= d; i += 4) s0 = wasm_f32x4_add(s0, wasm_f32x4_abs(wasm_f32x4_sub(Load(a + i), Load(b + i))));
  float sum = HorizontalSum(wasm_f32x4_add(wasm_f32x4_add(s0, s1), wasm_f32x4_add(s2, s3)));
  for (; i < d; ++i) sum += std::fabs(a[i] - b[i]);
  return sum;
}

const KernelTable kWasmSimd = {"wasm_simd128", L2Squared, Dot, L1, BoundedBySegments<L2Squared>,
                               BoundedBySegments<L1>};

}  // namespace

const KernelTable& WasmSimdKernels() { return kWasmSimd; }

}  // namespace neurovec::distance

#endif  // __wasm_simd128__
