#include <cstring>

#include "quantization/half.h"
#include "quantization/quant_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace neurovec::quant {
namespace {

void FloatToHalfN(const float* in, uint16_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = FloatToHalf(ClampToHalfRange(in[i]));
}

void HalfToFloatN(const uint16_t* in, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = HalfToFloat(in[i]);
}

inline uint16_t LoadU16(const uint16_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

float HalfL2Squared(const float* q, const uint16_t* h, size_t d) {
  float sum = 0;
  for (size_t i = 0; i < d; ++i) {
    float diff = q[i] - HalfToFloat(LoadU16(h + i));
    sum += diff * diff;
  }
  return sum;
}

float HalfDot(const float* q, const uint16_t* h, size_t d) {
  float sum = 0;
  for (size_t i = 0; i < d; ++i) sum += q[i] * HalfToFloat(LoadU16(h + i));
  return sum;
}

float U8L2Squared(const float* a, const float* b, const uint8_t* c, size_t d) {
  float sum = 0;
  for (size_t i = 0; i < d; ++i) {
    float diff = a[i] - b[i] * static_cast<float>(c[i]);
    sum += diff * diff;
  }
  return sum;
}

float U8Dot(const float* w, const uint8_t* c, size_t d) {
  float sum = 0;
  for (size_t i = 0; i < d; ++i) sum += w[i] * static_cast<float>(c[i]);
  return sum;
}

uint32_t U8SymmetricL2(const uint8_t* a, const uint8_t* b, size_t d) {
  uint32_t sum = 0;
  for (size_t i = 0; i < d; ++i) {
    const int diff = static_cast<int>(a[i]) - static_cast<int>(b[i]);
    sum += static_cast<uint32_t>(diff * diff);
  }
  return sum;
}

uint32_t Hamming(const uint8_t* a, const uint8_t* b, size_t bytes) {
  uint32_t count = 0;
  size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    count += static_cast<uint32_t>(__builtin_popcountll(x ^ y));
  }
  for (; i < bytes; ++i) count += static_cast<uint32_t>(__builtin_popcount(static_cast<unsigned>(a[i] ^ b[i])));
  return count;
}

void Pq4ScanBlock(const uint8_t* lut, const uint8_t* block, size_t columns, uint16_t* out) {
  for (size_t i = 0; i < kPq4BlockSize; ++i) {
    uint32_t sum = 0;
    for (size_t j = 0; j < columns; ++j) {
      const uint8_t byte = block[j * kPq4BlockSize + i];
      sum += lut[(2 * j) * 16 + (byte & 15)] + lut[(2 * j + 1) * 16 + (byte >> 4)];
    }
    out[i] = static_cast<uint16_t>(sum);
  }
}

const QuantKernelTable kScalar = {"scalar", FloatToHalfN, HalfToFloatN,  HalfL2Squared, HalfDot,     U8L2Squared,
                                  U8Dot,    U8SymmetricL2, Hamming,     Pq4ScanBlock};

}  // namespace

const QuantKernelTable& ScalarQuantKernels() { return kScalar; }

#if defined(__x86_64__) || defined(__i386__)
// CPUID leaf 1, ECX bit 29. Asked directly: clang 14 (the fuzz build) does
// not know "f16c" in __builtin_cpu_supports, GCC does.
static bool HasF16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 29)) != 0;
}
#endif

size_t AvailableQuantKernels(const QuantKernelTable** out, size_t max) {
  size_t n = 0;
  auto push = [&](const QuantKernelTable& t) {
    if (n < max) out[n++] = &t;
  };
  push(ScalarQuantKernels());
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && HasF16c() &&
      __builtin_cpu_supports("popcnt")) {
    push(Avx2QuantKernels());
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) push(Avx512QuantKernels());
  }
#endif
#if defined(__wasm_simd128__)
  push(WasmSimdQuantKernels());
#endif
  return n;
}

const QuantKernelTable& BestQuantKernels() {
  static const QuantKernelTable* best = [] {
    const QuantKernelTable* tables[4];
    size_t n = AvailableQuantKernels(tables, 4);
    return tables[n - 1];
  }();
  return *best;
}

}  // namespace neurovec::quant
