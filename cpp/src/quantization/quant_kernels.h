// SIMD kernels of the codecs, in tables per instruction set like
// distance/kernels.h: scalar (the reference every other table is tested
// against), AVX2+FMA+F16C and AVX-512F/BW (x86, chosen at run time) and
// wasm_simd128.
//
// Codes are byte arrays with no alignment guarantee: every kernel loads
// unaligned. Floats and halfs inside codes are little-endian (the only byte
// order neurovec runs on).
#pragma once

#include <cstddef>
#include <cstdint>

namespace neurovec::quant {

// PQ4 fast scan works on blocks of this many codes at once (one AVX2 register
// of bytes): column j of a block holds byte j of each of the 32 codes.
constexpr size_t kPq4BlockSize = 32;

struct QuantKernelTable {
  const char* name;
  // float -> half with round-to-nearest-even after clamping to +-65504.
  void (*float_to_half)(const float* in, uint16_t* out, size_t n);
  void (*half_to_float)(const uint16_t* in, float* out, size_t n);
  // sum (q_i - h_i)^2 and sum q_i * h_i with h converted on the fly.
  float (*half_l2_squared)(const float* q, const uint16_t* h, size_t d);
  float (*half_dot)(const float* q, const uint16_t* h, size_t d);
  // Scalar quantization, asymmetric: sum (a_i - b_i * c_i)^2 and sum w_i * c_i
  // for float a, b, w (prepared from the query) and byte codes c.
  float (*u8_l2_squared)(const float* a, const float* b, const uint8_t* c, size_t d);
  float (*u8_dot)(const float* w, const uint8_t* c, size_t d);
  // Symmetric: sum (a_i - b_i)^2 over two byte codes, exact in integers
  // (d <= 65536 keeps it below 2^32).
  uint32_t (*u8_symmetric_l2)(const uint8_t* a, const uint8_t* b, size_t d);
  // Number of differing bits between two byte strings.
  uint32_t (*hamming)(const uint8_t* a, const uint8_t* b, size_t bytes);
  // PQ4 fast scan of one block: out[i] = sum over columns j of
  // lut[(2j)*16 + lo(block[j*32+i])] + lut[(2j+1)*16 + hi(block[j*32+i])],
  // for i < 32. lut holds 2*columns tables of 16 bytes. Exact integer sums, so
  // every table must give identical results; columns * 2 * 255 must fit u16.
  void (*pq4_scan_block)(const uint8_t* lut, const uint8_t* block, size_t columns, uint16_t* out);
};

const QuantKernelTable& ScalarQuantKernels();
// The fastest table this CPU/build supports.
const QuantKernelTable& BestQuantKernels();
// Every table usable here, scalar first (for tests and benchmarks).
size_t AvailableQuantKernels(const QuantKernelTable** out, size_t max);

#if defined(__x86_64__) || defined(__i386__)
const QuantKernelTable& Avx2QuantKernels();    // needs AVX2, FMA, F16C, POPCNT at run time
const QuantKernelTable& Avx512QuantKernels();  // the above and AVX-512F, AVX-512BW
#endif
#if defined(__wasm_simd128__)
const QuantKernelTable& WasmSimdQuantKernels();
#endif

}  // namespace neurovec::quant
