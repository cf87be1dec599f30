// x86 kernels compiled with function-level target attributes, so one binary runs
// everywhere and uses AVX2/FMA or AVX-512 only where the CPU has them.
#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "distance/kernels_internal.h"

// GCC 12's _mm512_reduce_add_ps trips a false -Wuninitialized inside its own header.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace neurovec::distance {
namespace {

#define NV_AVX2 __attribute__((target("avx2,fma")))
#define NV_AVX512 __attribute__((target("avx512f,avx2,fma")))

NV_AVX2 inline float HorizontalSum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  __m128 shuf = _mm_movehdup_ps(lo);
  __m128 sums = _mm_add_ps(lo, shuf);
  shuf = _mm_movehl_ps(shuf, sums);
  sums = _mm_add_ss(sums, shuf);
  return _mm_cvtss_f32(sums);
}

// ---- AVX2 + FMA: 32 floats per step in four accumulators ----

NV_AVX2 float L2SquaredAvx2(const float* a, const float* b, size_t d) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
    __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
    __m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
    s0 = _mm256_fmadd_ps(d0, d0, s0);
    s1 = _mm256_fmadd_ps(d1, d1, s1);
    s2 = _mm256_fmadd_ps(d2, d2, s2);
    s3 = _mm256_fmadd_ps(d3, d3, s3);
  }
  for (; i + 8 <= d; i += 8) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    s0 = _mm256_fmadd_ps(d0, d0, s0);
  }
  float sum = HorizontalSum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  for (; i < d; ++i) {
    float diff = a[i] - b[i];
    sum += diff * diff;
  }
  return sum;
}

NV_AVX2 float DotAvx2(const float* a, const float* b, size_t d) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
  }
  for (; i + 8 <= d; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  float sum = HorizontalSum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  for (; i < d; ++i) sum += a[i] * b[i];
  return sum;
}

NV_AVX2 inline __m256 Abs(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

NV_AVX2 float L1Avx2(const float* a, const float* b, size_t d) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    s0 = _mm256_add_ps(s0, Abs(_mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i))));
    s1 = _mm256_add_ps(s1, Abs(_mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8))));
    s2 = _mm256_add_ps(s2, Abs(_mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16))));
    s3 = _mm256_add_ps(s3, Abs(_mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24))));
  }
  for (; i + 8 <= d; i += 8) s0 = _mm256_add_ps(s0, Abs(_mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i))));
  float sum = HorizontalSum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  for (; i < d; ++i) sum += std::fabs(a[i] - b[i]);
  return sum;
}

// ---- AVX-512: 64 floats per step; tails through AVX2 ----

NV_AVX512 float L2SquaredAvx512(const float* a, const float* b, size_t d) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 64 <= d; i += 64) {
    __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
    __m512 d2 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32));
    __m512 d3 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48));
    s0 = _mm512_fmadd_ps(d0, d0, s0);
    s1 = _mm512_fmadd_ps(d1, d1, s1);
    s2 = _mm512_fmadd_ps(d2, d2, s2);
    s3 = _mm512_fmadd_ps(d3, d3, s3);
  }
  for (; i + 16 <= d; i += 16) {
    __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    s0 = _mm512_fmadd_ps(d0, d0, s0);
  }
  float sum = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
  if (i < d) sum += L2SquaredAvx2(a + i, b + i, d - i);
  return sum;
}

NV_AVX512 float DotAvx512(const float* a, const float* b, size_t d) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 64 <= d; i += 64) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), s2);
    s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), s3);
  }
  for (; i + 16 <= d; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
  float sum = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
  if (i < d) sum += DotAvx2(a + i, b + i, d - i);
  return sum;
}

NV_AVX512 float L1Avx512(const float* a, const float* b, size_t d) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0;
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    s0 = _mm512_add_ps(s0, _mm512_abs_ps(_mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i))));
    s1 = _mm512_add_ps(s1, _mm512_abs_ps(_mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16))));
  }
  float sum = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
  if (i < d) sum += L1Avx2(a + i, b + i, d - i);
  return sum;
}

// Four rows at a time, one accumulator each: the query's load serves all four.
// The AVX-512 table uses it too: an AVX-512 twin of it (16 lanes) was no faster,
// 1000 rows in 2.7 against 2.6 us at d 64 and 40.2 against 41.7 us at d 768 (one
// thread, best of 200; the rows come from memory faster than either computes).
// A last group of fewer than four repeats its last row (not stored), so a row's
// bits never depend on where it sits in `rows`.
inline void StoreBatch(float t0, float t1, float t2, float t3, float* out, size_t left) {
  out[0] = t0;
  if (left > 1) out[1] = t1;
  if (left > 2) out[2] = t2;
  if (left > 3) out[3] = t3;
}

NV_AVX2 void DotBatchAvx2(const float* q, const float* const* rows, size_t n, size_t d, float* out) {
  for (size_t j = 0; j < n; j += 4) {
    const float *r0 = rows[j], *r1 = rows[std::min(j + 1, n - 1)], *r2 = rows[std::min(j + 2, n - 1)],
                *r3 = rows[std::min(j + 3, n - 1)];
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 8 <= d; i += 8) {
      const __m256 x = _mm256_loadu_ps(q + i);
      s0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r0 + i), s0);
      s1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r1 + i), s1);
      s2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r2 + i), s2);
      s3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r3 + i), s3);
    }
    float t0 = HorizontalSum(s0), t1 = HorizontalSum(s1), t2 = HorizontalSum(s2), t3 = HorizontalSum(s3);
    for (; i < d; ++i) {
      t0 += q[i] * r0[i];
      t1 += q[i] * r1[i];
      t2 += q[i] * r2[i];
      t3 += q[i] * r3[i];
    }
    StoreBatch(t0, t1, t2, t3, out + j, n - j);
  }
}

const KernelTable kAvx2 = {"avx2", L2SquaredAvx2, DotAvx2, L1Avx2, IgnoreBound<L2SquaredAvx2>,
                           IgnoreBound<L1Avx2>, DotBatchAvx2};
const KernelTable kAvx512 = {"avx512", L2SquaredAvx512, DotAvx512, L1Avx512, IgnoreBound<L2SquaredAvx512>,
                             IgnoreBound<L1Avx512>, DotBatchAvx2};

}  // namespace

const KernelTable& Avx2Kernels() { return kAvx2; }
const KernelTable& Avx512Kernels() { return kAvx512; }

}  // namespace neurovec::distance

#endif  // x86
