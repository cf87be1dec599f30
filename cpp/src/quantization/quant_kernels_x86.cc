// x86 codec kernels under function-level target attributes (one binary for
// every x86 CPU; dispatch in quant_kernels_scalar.cc checks AVX2, FMA, F16C and
// POPCNT before handing this table out).
#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#include <cstring>

#include "quantization/half.h"
#include "quantization/quant_kernels.h"

// GCC 12's _mm512_reduce_add_ps trips a false -Wuninitialized inside its own header.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace neurovec::quant {
namespace {

#define NV_QAVX2 __attribute__((target("avx2,fma,f16c,popcnt")))

NV_QAVX2 inline float HorizontalSum(__m256 v) {
  __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  __m128 shuf = _mm_movehdup_ps(lo);
  __m128 sums = _mm_add_ps(lo, shuf);
  shuf = _mm_movehl_ps(shuf, sums);
  return _mm_cvtss_f32(_mm_add_ss(sums, shuf));
}

NV_QAVX2 inline __m256 LoadHalf8(const uint16_t* h) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h)));
}

NV_QAVX2 void FloatToHalfAvx2(const float* in, uint16_t* out, size_t n) {
  const __m256 hi = _mm256_set1_ps(kHalfMax), lo = _mm256_set1_ps(-kHalfMax);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_max_ps(_mm256_min_ps(_mm256_loadu_ps(in + i), hi), lo);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
  }
  for (; i < n; ++i) out[i] = FloatToHalf(ClampToHalfRange(in[i]));
}

NV_QAVX2 void HalfToFloatAvx2(const uint16_t* in, float* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, LoadHalf8(in + i));
  for (; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, in + i, 2);
    out[i] = HalfToFloat(h);
  }
}

NV_QAVX2 float HalfL2SquaredAvx2(const float* q, const uint16_t* h, size_t d) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0;
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(q + i), LoadHalf8(h + i));
    __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(q + i + 8), LoadHalf8(h + i + 8));
    s0 = _mm256_fmadd_ps(d0, d0, s0);
    s1 = _mm256_fmadd_ps(d1, d1, s1);
  }
  for (; i + 8 <= d; i += 8) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(q + i), LoadHalf8(h + i));
    s0 = _mm256_fmadd_ps(d0, d0, s0);
  }
  float sum = HorizontalSum(_mm256_add_ps(s0, s1));
  for (; i < d; ++i) {
    uint16_t v;
    std::memcpy(&v, h + i, 2);
    float diff = q[i] - HalfToFloat(v);
    sum += diff * diff;
  }
  return sum;
}

NV_QAVX2 float HalfDotAvx2(const float* q, const uint16_t* h, size_t d) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0;
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), LoadHalf8(h + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), LoadHalf8(h + i + 8), s1);
  }
  for (; i + 8 <= d; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), LoadHalf8(h + i), s0);
  float sum = HorizontalSum(_mm256_add_ps(s0, s1));
  for (; i < d; ++i) {
    uint16_t v;
    std::memcpy(&v, h + i, 2);
    sum += q[i] * HalfToFloat(v);
  }
  return sum;
}

// Eight code bytes widened to eight floats.
NV_QAVX2 inline __m256 LoadBytes8(const uint8_t* c) {
  __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(c));
  return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
}

NV_QAVX2 float U8L2SquaredAvx2(const float* a, const float* b, const uint8_t* c, size_t d) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0;
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    __m256 d0 = _mm256_fnmadd_ps(_mm256_loadu_ps(b + i), LoadBytes8(c + i), _mm256_loadu_ps(a + i));
    __m256 d1 = _mm256_fnmadd_ps(_mm256_loadu_ps(b + i + 8), LoadBytes8(c + i + 8), _mm256_loadu_ps(a + i + 8));
    s0 = _mm256_fmadd_ps(d0, d0, s0);
    s1 = _mm256_fmadd_ps(d1, d1, s1);
  }
  for (; i + 8 <= d; i += 8) {
    __m256 d0 = _mm256_fnmadd_ps(_mm256_loadu_ps(b + i), LoadBytes8(c + i), _mm256_loadu_ps(a + i));
    s0 = _mm256_fmadd_ps(d0, d0, s0);
  }
  float sum = HorizontalSum(_mm256_add_ps(s0, s1));
  for (; i < d; ++i) {
    float diff = a[i] - b[i] * static_cast<float>(c[i]);
    sum += diff * diff;
  }
  return sum;
}

NV_QAVX2 float U8DotAvx2(const float* w, const uint8_t* c, size_t d) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0;
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), LoadBytes8(c + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), LoadBytes8(c + i + 8), s1);
  }
  for (; i + 8 <= d; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), LoadBytes8(c + i), s0);
  float sum = HorizontalSum(_mm256_add_ps(s0, s1));
  for (; i < d; ++i) sum += w[i] * static_cast<float>(c[i]);
  return sum;
}

// Bytes widen to i16, differences square and pair up in one pmaddwd; lanes
// stay far from i32 overflow (a lane adds 2 * 255^2 per 16 dimensions).
NV_QAVX2 uint32_t U8SymmetricL2Avx2(const uint8_t* a, const uint8_t* b, size_t d) {
  __m256i s0 = _mm256_setzero_si256(), s1 = s0;
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    __m256i a0 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    __m256i b0 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    __m256i a1 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i + 16)));
    __m256i b1 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i + 16)));
    __m256i d0 = _mm256_sub_epi16(a0, b0), d1 = _mm256_sub_epi16(a1, b1);
    s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(d0, d0));
    s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(d1, d1));
  }
  for (; i + 16 <= d; i += 16) {
    __m256i a0 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    __m256i b0 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    __m256i d0 = _mm256_sub_epi16(a0, b0);
    s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(d0, d0));
  }
  alignas(32) uint32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), _mm256_add_epi32(s0, s1));
  uint32_t sum = 0;
  for (uint32_t v : lanes) sum += v;
  for (; i < d; ++i) {
    const int diff = static_cast<int>(a[i]) - static_cast<int>(b[i]);
    sum += static_cast<uint32_t>(diff * diff);
  }
  return sum;
}

// Hardware POPCNT on 64-bit words: for codes of ~100 bytes this beats an AVX2
// nibble-table popcount, whose horizontal reduction costs as much as the work.
NV_QAVX2 uint32_t HammingPopcnt(const uint8_t* a, const uint8_t* b, size_t bytes) {
  uint64_t c0 = 0, c1 = 0;
  size_t i = 0;
  for (; i + 16 <= bytes; i += 16) {
    uint64_t x0, y0, x1, y1;
    std::memcpy(&x0, a + i, 8);
    std::memcpy(&y0, b + i, 8);
    std::memcpy(&x1, a + i + 8, 8);
    std::memcpy(&y1, b + i + 8, 8);
    c0 += static_cast<uint64_t>(_mm_popcnt_u64(x0 ^ y0));
    c1 += static_cast<uint64_t>(_mm_popcnt_u64(x1 ^ y1));
  }
  for (; i + 8 <= bytes; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    c0 += static_cast<uint64_t>(_mm_popcnt_u64(x ^ y));
  }
  for (; i < bytes; ++i) c1 += static_cast<uint64_t>(_mm_popcnt_u32(static_cast<unsigned>(a[i] ^ b[i])));
  return static_cast<uint32_t>(c0 + c1);
}

// One pshufb per 16-entry table looks up the same sub-quantizer for all 32
// codes of the block; sums widen to u16 so no precision is lost.
NV_QAVX2 void Pq4ScanBlockAvx2(const uint8_t* lut, const uint8_t* block, size_t columns, uint16_t* out) {
  const __m256i low_mask = _mm256_set1_epi8(0x0f);
  __m256i acc_lo = _mm256_setzero_si256(), acc_hi = acc_lo;  // codes 0-15 and 16-31
  for (size_t j = 0; j < columns; ++j) {
    __m256i codes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + j * kPq4BlockSize));
    __m256i lo = _mm256_and_si256(codes, low_mask);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(codes, 4), low_mask);
    __m256i table_lo = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(lut + 32 * j)));
    __m256i table_hi = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(lut + 32 * j + 16)));
    __m256i v0 = _mm256_shuffle_epi8(table_lo, lo);
    __m256i v1 = _mm256_shuffle_epi8(table_hi, hi);
    acc_lo = _mm256_add_epi16(acc_lo, _mm256_cvtepu8_epi16(_mm256_castsi256_si128(v0)));
    acc_hi = _mm256_add_epi16(acc_hi, _mm256_cvtepu8_epi16(_mm256_extracti128_si256(v0, 1)));
    acc_lo = _mm256_add_epi16(acc_lo, _mm256_cvtepu8_epi16(_mm256_castsi256_si128(v1)));
    acc_hi = _mm256_add_epi16(acc_hi, _mm256_cvtepu8_epi16(_mm256_extracti128_si256(v1, 1)));
  }
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), acc_lo);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 16), acc_hi);
}

const QuantKernelTable kAvx2 = {"avx2+f16c",     FloatToHalfAvx2, HalfToFloatAvx2,   HalfL2SquaredAvx2, HalfDotAvx2,
                                U8L2SquaredAvx2, U8DotAvx2,       U8SymmetricL2Avx2, HammingPopcnt,     Pq4ScanBlockAvx2};

// ---- AVX-512F + BW: the query-path kernels 16 float / 32 word lanes wide;
// conversions, Hamming and the PQ4 scan stay on the AVX2 versions (not on the
// traversal path). ----

#define NV_QAVX512 __attribute__((target("avx512f,avx2,fma,f16c,popcnt")))

NV_QAVX512 inline __m512 LoadHalf16(const uint16_t* h) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(h)));
}

NV_QAVX512 inline __m512 LoadBytes16(const uint8_t* c) {
  return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c))));
}

NV_QAVX512 float HalfL2SquaredAvx512(const float* q, const uint16_t* h, size_t d) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0;
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(q + i), LoadHalf16(h + i));
    __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(q + i + 16), LoadHalf16(h + i + 16));
    s0 = _mm512_fmadd_ps(d0, d0, s0);
    s1 = _mm512_fmadd_ps(d1, d1, s1);
  }
  for (; i + 16 <= d; i += 16) {
    __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(q + i), LoadHalf16(h + i));
    s0 = _mm512_fmadd_ps(d0, d0, s0);
  }
  float sum = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
  if (i < d) sum += HalfL2SquaredAvx2(q + i, h + i, d - i);
  return sum;
}

NV_QAVX512 float HalfDotAvx512(const float* q, const uint16_t* h, size_t d) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0;
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), LoadHalf16(h + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 16), LoadHalf16(h + i + 16), s1);
  }
  for (; i + 16 <= d; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), LoadHalf16(h + i), s0);
  float sum = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
  if (i < d) sum += HalfDotAvx2(q + i, h + i, d - i);
  return sum;
}

NV_QAVX512 float U8L2SquaredAvx512(const float* a, const float* b, const uint8_t* c, size_t d) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0;
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    __m512 d0 = _mm512_fnmadd_ps(_mm512_loadu_ps(b + i), LoadBytes16(c + i), _mm512_loadu_ps(a + i));
    __m512 d1 = _mm512_fnmadd_ps(_mm512_loadu_ps(b + i + 16), LoadBytes16(c + i + 16), _mm512_loadu_ps(a + i + 16));
    s0 = _mm512_fmadd_ps(d0, d0, s0);
    s1 = _mm512_fmadd_ps(d1, d1, s1);
  }
  for (; i + 16 <= d; i += 16) {
    __m512 d0 = _mm512_fnmadd_ps(_mm512_loadu_ps(b + i), LoadBytes16(c + i), _mm512_loadu_ps(a + i));
    s0 = _mm512_fmadd_ps(d0, d0, s0);
  }
  float sum = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
  if (i < d) sum += U8L2SquaredAvx2(a + i, b + i, c + i, d - i);
  return sum;
}

NV_QAVX512 float U8DotAvx512(const float* w, const uint8_t* c, size_t d) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0;
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), LoadBytes16(c + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 16), LoadBytes16(c + i + 16), s1);
  }
  for (; i + 16 <= d; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), LoadBytes16(c + i), s0);
  float sum = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
  if (i < d) sum += U8DotAvx2(w + i, c + i, d - i);
  return sum;
}

// Needs AVX-512BW (byte/word ops on zmm): 32 dimensions per step.
#define NV_QAVX512BW __attribute__((target("avx512f,avx512bw,avx2,fma,f16c,popcnt")))

NV_QAVX512BW uint32_t U8SymmetricL2Avx512(const uint8_t* a, const uint8_t* b, size_t d) {
  __m512i s0 = _mm512_setzero_si512(), s1 = s0;
  size_t i = 0;
  for (; i + 64 <= d; i += 64) {
    __m512i a0 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i)));
    __m512i b0 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i)));
    __m512i a1 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i + 32)));
    __m512i b1 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i + 32)));
    __m512i d0 = _mm512_sub_epi16(a0, b0), d1 = _mm512_sub_epi16(a1, b1);
    s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(d0, d0));
    s1 = _mm512_add_epi32(s1, _mm512_madd_epi16(d1, d1));
  }
  for (; i + 32 <= d; i += 32) {
    __m512i a0 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i)));
    __m512i b0 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i)));
    __m512i d0 = _mm512_sub_epi16(a0, b0);
    s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(d0, d0));
  }
  // Each lane fits i32, their total may not (up to 65536 * 255^2): sum as u32.
  alignas(64) uint32_t lanes[16];
  _mm512_store_si512(lanes, _mm512_add_epi32(s0, s1));
  uint32_t sum = 0;
  for (uint32_t v : lanes) sum += v;
  if (i < d) sum += U8SymmetricL2Avx2(a + i, b + i, d - i);
  return sum;
}

const QuantKernelTable kAvx512 = {"avx512+f16c",     FloatToHalfAvx2, HalfToFloatAvx2,   HalfL2SquaredAvx512,
                                  HalfDotAvx512,     U8L2SquaredAvx512, U8DotAvx512,     U8SymmetricL2Avx512,
                                  HammingPopcnt,     Pq4ScanBlockAvx2};

}  // namespace

const QuantKernelTable& Avx2QuantKernels() { return kAvx2; }
const QuantKernelTable& Avx512QuantKernels() { return kAvx512; }

}  // namespace neurovec::quant

#endif  // x86
