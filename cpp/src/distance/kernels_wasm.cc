// WebAssembly SIMD128 kernels (build with -msimd128). wasm has no FMA, so each
// step is a multiply and an add; four accumulators hide the add latency.
#if defined(__wasm_simd128__)

#include <wasm_simd128.h>

#include <algorithm>
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

// Four rows at a time, one accumulator each: the query's load serves all four,
// and the four sums leave in one vector (a transpose by shuffles). A last group
// of fewer than four repeats its last row (not stored), so a row's bits never
// depend on where it sits in `rows`.
void DotBatch(const float* q, const float* const* rows, size_t n, size_t d, float* out) {
  for (size_t j = 0; j < n; j += 4) {
    const float *r0 = rows[j], *r1 = rows[std::min(j + 1, n - 1)], *r2 = rows[std::min(j + 2, n - 1)],
                *r3 = rows[std::min(j + 3, n - 1)];
    v128_t s0 = wasm_f32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 4 <= d; i += 4) {
      const v128_t x = Load(q + i);
      s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(x, Load(r0 + i)));
      s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(x, Load(r1 + i)));
      s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(x, Load(r2 + i)));
      s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(x, Load(r3 + i)));
    }
    // (s0[0]+s0[2], s1[0]+s1[2], s0[1]+s0[3], s1[1]+s1[3]) and the same for s2, s3.
    const v128_t u01 = wasm_f32x4_add(wasm_i32x4_shuffle(s0, s1, 0, 4, 1, 5), wasm_i32x4_shuffle(s0, s1, 2, 6, 3, 7));
    const v128_t u23 = wasm_f32x4_add(wasm_i32x4_shuffle(s2, s3, 0, 4, 1, 5), wasm_i32x4_shuffle(s2, s3, 2, 6, 3, 7));
    v128_t sums = wasm_f32x4_add(wasm_i32x4_shuffle(u01, u23, 0, 1, 4, 5), wasm_i32x4_shuffle(u01, u23, 2, 3, 6, 7));
    if (i < d) {
      float tail[4] = {0, 0, 0, 0};
      for (; i < d; ++i) {
        tail[0] += q[i] * r0[i];
        tail[1] += q[i] * r1[i];
        tail[2] += q[i] * r2[i];
        tail[3] += q[i] * r3[i];
      }
      sums = wasm_f32x4_add(sums, wasm_v128_load(tail));
    }
    if (n - j >= 4) {
      wasm_v128_store(out + j, sums);
    } else {
      float last[4];
      wasm_v128_store(last, sums);
      for (size_t k = 0; k < n - j; ++k) out[j + k] = last[k];
    }
  }
}

const KernelTable kWasmSimd = {"wasm_simd128", L2Squared, Dot, L1, BoundedBySegments<L2Squared>,
                               BoundedBySegments<L1>, DotBatch};

}  // namespace

const KernelTable& WasmSimdKernels() { return kWasmSimd; }

}  // namespace neurovec::distance

#endif  // __wasm_simd128__
