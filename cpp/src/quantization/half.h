// IEEE 754 binary16 ("half") conversion by bit manipulation: the portable
// reference that the SIMD conversions (F16C on x86, wasm_simd128) are tested
// against, and the path used where no SIMD conversion exists.
#pragma once

#include <cstdint>
#include <cstring>

namespace neurovec::quant {

// Largest finite half. Encoders clamp to +-kHalfMax instead of producing
// infinity: a code must always decode to a finite vector, or every distance to
// it would be inf/NaN and it could never be found again.
constexpr float kHalfMax = 65504.0f;

inline uint32_t FloatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float BitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// float -> half, round to nearest, ties to even (as F16C with
// _MM_FROUND_TO_NEAREST_INT). Infinities and NaN map to half inf/NaN; callers
// that need finite codes clamp first (ClampToHalfRange).
inline uint16_t FloatToHalf(float value) {
  uint32_t f = FloatBits(value);
  const uint32_t sign = (f >> 16) & 0x8000u;
  f &= 0x7fffffffu;
  if (f >= 0x7f800000u) return static_cast<uint16_t>(sign | (f > 0x7f800000u ? 0x7e00u : 0x7c00u));
  if (f >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520: inf
  if (f < 0x38800000u) {
    // Result is subnormal (or zero): align the mantissa (with its implicit 1)
    // to the half subnormal grid of 2^-24 and round to nearest even.
    if (f < 0x33000000u) return static_cast<uint16_t>(sign);  // < 2^-25: rounds to 0
    const uint32_t exponent = f >> 23;
    const uint32_t mantissa = (f & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - exponent;  // 14 .. 24
    uint32_t half = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1u))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  // Normal: rebias the exponent, round the 13 dropped mantissa bits to even. A
  // carry out of the mantissa correctly bumps the exponent.
  uint32_t half = ((f - 0x38000000u) >> 13);
  const uint32_t rest = f & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;
  return static_cast<uint16_t>(sign | half);
}

// half -> float, exact (every half is a float).
inline float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1f) return BitsFloat(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    if (mantissa == 0) return BitsFloat(sign);
    // Subnormal: value = mantissa * 2^-24, exact in float.
    float v = static_cast<float>(mantissa) * 5.9604644775390625e-08f;
    return sign ? -v : v;
  }
  return BitsFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

inline float ClampToHalfRange(float v) { return v > kHalfMax ? kHalfMax : (v < -kHalfMax ? -kHalfMax : v); }

}  // namespace neurovec::quant
