// wasm_simd128 codec kernels. WebAssembly has no half-precision instructions
// in this toolchain (clang 14), so halfs widen with integer ops: shift the
// exponent+mantissa into float position and multiply by 2^112, which rebiases
// normals and turns half subnormals into the right float normals in one step.
#if defined(__wasm_simd128__)

#include <wasm_simd128.h>

#include <cstring>

#include "quantization/half.h"
#include "quantization/quant_kernels.h"

namespace neurovec::quant {
namespace {

inline float HorizontalSum(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) +
         wasm_f32x4_extract_lane(v, 3);
}

// Four halfs (in the low 16 bits of u32 lanes) to four floats, exactly.
inline v128_t WidenHalf4(v128_t h32) {
  const v128_t sign = wasm_i32x4_shl(wasm_v128_and(h32, wasm_i32x4_splat(0x8000)), 16);
  const v128_t magnitude = wasm_v128_and(h32, wasm_i32x4_splat(0x7fff));
  v128_t f = wasm_f32x4_mul(wasm_i32x4_shl(magnitude, 13), wasm_i32x4_splat(0x77800000));  // * 2^112
  // Half exponent 31 (inf/NaN) must become float exponent 255.
  const v128_t special = wasm_i32x4_ge(magnitude, wasm_i32x4_splat(0x7c00));
  f = wasm_v128_or(f, wasm_v128_and(special, wasm_i32x4_splat(0x7f800000)));
  return wasm_v128_or(f, sign);
}

// Eight halfs -> two registers of four floats.
inline void LoadHalf8(const uint16_t* h, v128_t& lo, v128_t& hi) {
  v128_t raw = wasm_v128_load(h);
  lo = WidenHalf4(wasm_u32x4_extend_low_u16x8(raw));
  hi = WidenHalf4(wasm_u32x4_extend_high_u16x8(raw));
}

inline uint16_t LoadU16(const uint16_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

void FloatToHalfWasm(const float* in, uint16_t* out, size_t n) {
  // Encoding is not on the query path; the exact scalar rounding is used.
  for (size_t i = 0; i < n; ++i) out[i] = FloatToHalf(ClampToHalfRange(in[i]));
}

void HalfToFloatWasm(const uint16_t* in, float* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v128_t lo, hi;
    LoadHalf8(in + i, lo, hi);
    wasm_v128_store(out + i, lo);
    wasm_v128_store(out + i + 4, hi);
  }
  for (; i < n; ++i) out[i] = HalfToFloat(LoadU16(in + i));
}

float HalfL2SquaredWasm(const float* q, const uint16_t* h, size_t d) {
  v128_t s0 = wasm_f32x4_splat(0), s1 = s0;
  size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    v128_t lo, hi;
    LoadHalf8(h + i, lo, hi);
    v128_t d0 = wasm_f32x4_sub(wasm_v128_load(q + i), lo);
    v128_t d1 = wasm_f32x4_sub(wasm_v128_load(q + i + 4), hi);
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(d0, d0));
    s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(d1, d1));
  }
  float sum = HorizontalSum(wasm_f32x4_add(s0, s1));
  for (; i < d; ++i) {
    float diff = q[i] - HalfToFloat(LoadU16(h + i));
    sum += diff * diff;
  }
  return sum;
}

float HalfDotWasm(const float* q, const uint16_t* h, size_t d) {
  v128_t s0 = wasm_f32x4_splat(0), s1 = s0;
  size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    v128_t lo, hi;
    LoadHalf8(h + i, lo, hi);
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(q + i), lo));
    s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(q + i + 4), hi));
  }
  float sum = HorizontalSum(wasm_f32x4_add(s0, s1));
  for (; i < d; ++i) sum += q[i] * HalfToFloat(LoadU16(h + i));
  return sum;
}

// Eight code bytes -> two registers of four floats.
inline void LoadBytes8(const uint8_t* c, v128_t& lo, v128_t& hi) {
  v128_t w = wasm_u16x8_load8x8(c);
  lo = wasm_f32x4_convert_u32x4(wasm_u32x4_extend_low_u16x8(w));
  hi = wasm_f32x4_convert_u32x4(wasm_u32x4_extend_high_u16x8(w));
}

float U8L2SquaredWasm(const float* a, const float* b, const uint8_t* c, size_t d) {
  v128_t s0 = wasm_f32x4_splat(0), s1 = s0;
  size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    v128_t lo, hi;
    LoadBytes8(c + i, lo, hi);
    v128_t d0 = wasm_f32x4_sub(wasm_v128_load(a + i), wasm_f32x4_mul(wasm_v128_load(b + i), lo));
    v128_t d1 = wasm_f32x4_sub(wasm_v128_load(a + i + 4), wasm_f32x4_mul(wasm_v128_load(b + i + 4), hi));
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(d0, d0));
    s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(d1, d1));
  }
  float sum = HorizontalSum(wasm_f32x4_add(s0, s1));
  for (; i < d; ++i) {
    float diff = a[i] - b[i] * static_cast<float>(c[i]);
    sum += diff * diff;
  }
  return sum;
}

float U8DotWasm(const float* w, const uint8_t* c, size_t d) {
  v128_t s0 = wasm_f32x4_splat(0), s1 = s0;
  size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    v128_t lo, hi;
    LoadBytes8(c + i, lo, hi);
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(w + i), lo));
    s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(w + i + 4), hi));
  }
  float sum = HorizontalSum(wasm_f32x4_add(s0, s1));
  for (; i < d; ++i) sum += w[i] * static_cast<float>(c[i]);
  return sum;
}

// Bytes widen to i16; i32x4.dot_i16x8_s squares the differences and adds
// neighbouring pairs in one instruction.
uint32_t U8SymmetricL2Wasm(const uint8_t* a, const uint8_t* b, size_t d) {
  v128_t s0 = wasm_i32x4_splat(0), s1 = s0;
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    const v128_t x = wasm_v128_load(a + i), y = wasm_v128_load(b + i);
    const v128_t lo = wasm_i16x8_sub(wasm_u16x8_extend_low_u8x16(x), wasm_u16x8_extend_low_u8x16(y));
    const v128_t hi = wasm_i16x8_sub(wasm_u16x8_extend_high_u8x16(x), wasm_u16x8_extend_high_u8x16(y));
    s0 = wasm_i32x4_add(s0, wasm_i32x4_dot_i16x8(lo, lo));
    s1 = wasm_i32x4_add(s1, wasm_i32x4_dot_i16x8(hi, hi));
  }
  const v128_t s = wasm_i32x4_add(s0, s1);
  uint32_t sum = wasm_u32x4_extract_lane(s, 0) + wasm_u32x4_extract_lane(s, 1) + wasm_u32x4_extract_lane(s, 2) +
                 wasm_u32x4_extract_lane(s, 3);
  for (; i < d; ++i) {
    const int diff = static_cast<int>(a[i]) - static_cast<int>(b[i]);
    sum += static_cast<uint32_t>(diff * diff);
  }
  return sum;
}

// i8x16.popcnt per byte, widened pairwise into u16 lanes. A lane gains at most
// 16 per 16-byte step; flushing to u32 every 256 steps keeps it below 4097.
uint32_t HammingWasm(const uint8_t* a, const uint8_t* b, size_t bytes) {
  uint32_t total = 0;
  size_t i = 0;
  while (i + 16 <= bytes) {
    v128_t acc = wasm_i16x8_splat(0);
    for (size_t steps = 0; steps < 256 && i + 16 <= bytes; ++steps, i += 16) {
      v128_t x = wasm_v128_xor(wasm_v128_load(a + i), wasm_v128_load(b + i));
      acc = wasm_i16x8_add(acc, wasm_u16x8_extadd_pairwise_u8x16(wasm_i8x16_popcnt(x)));
    }
    v128_t s = wasm_u32x4_extadd_pairwise_u16x8(acc);
    total += wasm_u32x4_extract_lane(s, 0) + wasm_u32x4_extract_lane(s, 1) + wasm_u32x4_extract_lane(s, 2) +
             wasm_u32x4_extract_lane(s, 3);
  }
  for (; i < bytes; ++i) total += static_cast<uint32_t>(__builtin_popcount(static_cast<unsigned>(a[i] ^ b[i])));
  return total;
}

// i8x16.swizzle is pshufb for indices < 16: one lookup of the same
// sub-quantizer for 16 codes at once; two registers cover the 32-code block.
void Pq4ScanBlockWasm(const uint8_t* lut, const uint8_t* block, size_t columns, uint16_t* out) {
  const v128_t low_mask = wasm_i8x16_splat(0x0f);
  v128_t acc0 = wasm_i16x8_splat(0), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  for (size_t j = 0; j < columns; ++j) {
    const v128_t table_lo = wasm_v128_load(lut + 32 * j);
    const v128_t table_hi = wasm_v128_load(lut + 32 * j + 16);
    const v128_t c0 = wasm_v128_load(block + j * kPq4BlockSize);
    const v128_t c1 = wasm_v128_load(block + j * kPq4BlockSize + 16);
    const v128_t a0 = wasm_i8x16_swizzle(table_lo, wasm_v128_and(c0, low_mask));
    const v128_t b0 = wasm_i8x16_swizzle(table_hi, wasm_u8x16_shr(c0, 4));
    const v128_t a1 = wasm_i8x16_swizzle(table_lo, wasm_v128_and(c1, low_mask));
    const v128_t b1 = wasm_i8x16_swizzle(table_hi, wasm_u8x16_shr(c1, 4));
    acc0 = wasm_i16x8_add(acc0, wasm_i16x8_add(wasm_u16x8_extend_low_u8x16(a0), wasm_u16x8_extend_low_u8x16(b0)));
    acc1 = wasm_i16x8_add(acc1, wasm_i16x8_add(wasm_u16x8_extend_high_u8x16(a0), wasm_u16x8_extend_high_u8x16(b0)));
    acc2 = wasm_i16x8_add(acc2, wasm_i16x8_add(wasm_u16x8_extend_low_u8x16(a1), wasm_u16x8_extend_low_u8x16(b1)));
    acc3 = wasm_i16x8_add(acc3, wasm_i16x8_add(wasm_u16x8_extend_high_u8x16(a1), wasm_u16x8_extend_high_u8x16(b1)));
  }
  wasm_v128_store(out, acc0);
  wasm_v128_store(out + 8, acc1);
  wasm_v128_store(out + 16, acc2);
  wasm_v128_store(out + 24, acc3);
}

const QuantKernelTable kWasmSimd = {"wasm_simd128",  FloatToHalfWasm,   HalfToFloatWasm, HalfL2SquaredWasm,
                                    HalfDotWasm,     U8L2SquaredWasm,   U8DotWasm,       U8SymmetricL2Wasm,
                                    HammingWasm,     Pq4ScanBlockWasm};

}  // namespace

const QuantKernelTable& WasmSimdQuantKernels() { return kWasmSimd; }

}  // namespace neurovec::quant

#endif  // __wasm_simd128__
