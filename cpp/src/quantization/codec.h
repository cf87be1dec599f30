// Vector codecs: compressed representations of vectors beside the graph (the
// faiss seam: the graph holds links, a store holds vectors, a codec says how a
// store's bytes map to vectors and distances).
//
// Life cycle of a codec:
//   1. Create(params): an untrained codec of one kind, dimension count and metric.
//   2. Train(sample): learns the state shared by every code (codebook, ranges,
//      thresholds) from a sample of vectors. One codebook per index.
//   3. Encode(vector) -> bytes_per_vector() bytes; Decode(code) -> floats.
//   4. PrepareQuery(query) -> a QueryDistance that computes the metric between
//      the query and a code without decoding it (asymmetric distance, ADC).
//   5. Serialize() / Deserialize(): the trained state as little-endian,
//      fixed-width bytes (a future file section). Codes are not part of it.
// Train may be called again (the data drifted): the codec then has a new
// codebook, and codes made with the old one are meaningless under it; the
// caller must re-encode every stored vector (recompression).
//
// Vectors are given in the form the index stores them: for Metric::kCosine they
// must already be unit vectors (VectorStore normalises on insert).
//
// Distances follow neurovec/metric.h with one difference in definition: for a
// code the distance is the metric between the query and the *decoded* vector,
// and for kCosine it is 1 - dot(query, decoded), because a decoded vector is not
// exactly unit any more. kManhattan has no lookup tables: its QueryDistance
// decodes each code and sums |q - x|. Two exceptions to "distance to the
// decoded vector", both ranking estimates meant to be followed by exact
// re-ranking: the binary codec's query distance is the Hamming distance between
// the binarised query and the code (with BinaryThreshold::kRotatedSign: an
// unbiased estimate of the metric from the code), and int8 with Int8Range::kUniform under L2
// rounds the query onto the code grid (symmetric integer distance).
//
// Thread safety: a trained codec is immutable; Encode, Decode, PrepareQuery and
// QueryDistance calls may run concurrently. Train is not thread-safe.
// The core never throws: errors come back as Status / Result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "neurovec/metric.h"
#include "neurovec/status.h"

namespace neurovec::quant {

enum class CodecKind : uint8_t {
  kF32 = 1,     // identity, 4 bytes per dimension (for uniformity)
  kF16 = 2,     // IEEE half, round to nearest even, 2 bytes per dimension
  kInt8 = 3,    // per-dimension min/max scalar quantization, 1 byte per dimension
  kPq8 = 4,     // product quantization, m sub-quantizers x 256 centroids, m bytes
  kPq4 = 5,     // m sub-quantizers x 16 centroids (two per byte) + exact outliers
  kBinary = 6,  // one bit per dimension, Hamming distance
};

const char* CodecKindName(CodecKind kind);
// "f32" | "f16" | "int8" | "pq8" | "pq4" | "binary".
Result<CodecKind> ParseCodecKind(const std::string& name);

enum class BinaryThreshold : uint8_t {
  kMean = 0,  // bit = value >= per-dimension mean of the training sample
  kZero = 1,  // bit = value >= 0 (the sign; natural for cosine/dot)
  // Bit i = sign of coordinate i of the residual (value - mean) after a random
  // orthogonal rotation, padded to a power of two n >= dimensions; the code
  // also keeps two f32 (residual norm, and how well the bits align with the
  // residual): n / 8 + 8 bytes. Its query distance is an unbiased estimate of
  // the metric (RaBitQ's), far better at ranking than per-dimension bits; see
  // binary_codec.cc.
  kRotatedSign = 2,
};

enum class Int8Range : uint8_t {
  // One [min, max] per dimension: the smallest error; query distances are
  // asymmetric float ADC (float query against byte codes).
  kPerDimension = 0,
  // One [min, max] for all dimensions, so every dimension has the same step.
  // L2 query distances are then symmetric and integer: the query is encoded
  // like a vector and step^2 * sum (q_code - code)^2 is returned, about twice
  // as few SIMD operations per dimension as f32. That is the distance to the
  // decoded vector only when the query lies on the grid (e.g. 8-bit pixels);
  // otherwise each query coordinate is off by up to step/2. Meant for
  // quantized traversal followed by exact re-ranking. Dot/cosine stay ADC.
  kUniform = 1,
};

enum class KmeansInit : uint8_t {
  kPlusPlus = 0,  // k-means++ seeding (D^2 sampling)
  kRandom = 1,    // k distinct random sample points
};

struct CodecParams {
  CodecKind kind = CodecKind::kF32;
  uint32_t dimensions = 0;
  Metric metric = Metric::kL2;
  // PQ8/PQ4: number of sub-quantizers m, 1..dimensions (PQ4: at most 256). 0
  // picks dimensions/8 (PQ8) or dimensions/4 (PQ4), at least 1. Dimensions are
  // split into m contiguous runs whose lengths differ by at most one.
  uint32_t subquantizers = 0;
  // PQ4: exact (index, value) pairs kept per vector for the dimensions with the
  // largest reconstruction error; 0..16 (capped at dimensions). 6 bytes each.
  uint32_t outliers = 4;
  // PQ: Lloyd iterations after seeding (0 keeps the seeds: a baseline).
  uint32_t kmeans_iterations = 8;
  KmeansInit kmeans_init = KmeansInit::kPlusPlus;
  uint64_t seed = 42;
  BinaryThreshold binary_threshold = BinaryThreshold::kMean;
  Int8Range int8_range = Int8Range::kPerDimension;

  static constexpr uint32_t kMaxDimensions = 65536;
  static constexpr uint32_t kMaxOutliers = 16;
  static constexpr uint32_t kMaxPq4Subquantizers = 256;  // u16 fast-scan sums: 256 * 255 < 65536
};

// Distances from one prepared query to codes. Built by Codec::PrepareQuery;
// holds the query-specific tables, so it costs some setup once per query and
// little per code. Valid while the codec that made it lives and is not retrained.
class QueryDistance {
 public:
  virtual ~QueryDistance() = default;
  // Distance to one code (bytes_per_vector bytes).
  virtual float Distance(const uint8_t* code) const = 0;
  // Distances to n codes stored back to back. May be faster per code than
  // Distance (PQ4 uses SIMD fast scan here, see pq4_codec.cc), and may then be
  // approximate within the bound approximation_bound() reports.
  virtual void Distances(const uint8_t* codes, size_t n, float* out) const;
  // Distances to n codes in the codec's scan layout (Codec::PackCodes), in the
  // same order and with the same results as Distances on the unpacked codes.
  virtual void DistancesPacked(const uint8_t* packed, size_t n, float* out) const { Distances(packed, n, out); }
  // Largest |Distances() - Distance()| for one code (0 when Distances is exact).
  virtual float approximation_bound() const { return 0; }

 protected:
  explicit QueryDistance(size_t code_bytes) : code_bytes_(code_bytes) {}
  size_t code_bytes_;
};

class Codec {
 public:
  virtual ~Codec() = default;

  // Checks params and returns an untrained codec.
  static Result<std::unique_ptr<Codec>> Create(const CodecParams& params);

  const CodecParams& params() const { return params_; }
  CodecKind kind() const { return params_.kind; }
  uint32_t dimensions() const { return params_.dimensions; }
  Metric metric() const { return params_.metric; }
  bool trained() const { return trained_; }

  virtual size_t bytes_per_vector() const = 0;

  // Learns the shared state from n vectors (row-major, dimensions() floats
  // each, finite). Replaces any previous state: re-encode every code after.
  // Codecs without state (f32, f16) accept any n, even 0.
  virtual Status Train(const float* sample, size_t n) = 0;

  // Requires trained(). `code` receives bytes_per_vector() bytes.
  virtual void Encode(const float* vector, uint8_t* code) const = 0;
  // Requires trained(). Any bytes decode without crashing (codes from Encode
  // decode to finite floats).
  virtual void Decode(const uint8_t* code, float* out) const = 0;
  // Requires trained().
  virtual std::unique_ptr<QueryDistance> PrepareQuery(const float* query) const = 0;

  // n vectors back to back into n codes back to back.
  void EncodeBatch(const float* vectors, size_t n, uint8_t* codes) const;

  // Scan layout: exhaustive scans may keep codes rearranged so that
  // QueryDistance::DistancesPacked reads them faster. PQ4 packs blocks of 32
  // codes with their nibble bytes transposed (SIMD table lookups need one
  // register per sub-quantizer across codes, not per code). Every other codec
  // keeps codes as they are. packed_bytes(n) bytes hold n packed codes.
  virtual size_t packed_bytes(size_t n) const { return n * bytes_per_vector(); }
  virtual void PackCodes(const uint8_t* codes, size_t n, uint8_t* packed) const;

  // The trained state, little-endian and fixed-width:
  //   "NVQC" | u32 version (1) | u8 kind | u8 metric | u8 trained | u8 0
  //   | u32 dimensions | u32 subquantizers | u32 outliers | u8 binary threshold
  //   | u8 int8 range | 2 x u8 0
  //   | u64 body bytes | body (kind-specific f32 arrays, see each codec)
  // Training knobs (iterations, init, seed) are not saved: they do not change
  // what a code means.
  std::string Serialize() const;
  // Rebuilds a codec from Serialize() output. Every length and value is checked
  // before use; any inconsistency (truncation, unknown kind, non-finite
  // codebook entries, trailing bytes...) gives StatusCode::kCorrupt.
  static Result<std::unique_ptr<Codec>> Deserialize(const uint8_t* data, size_t size);

 protected:
  explicit Codec(const CodecParams& params) : params_(params) {}
  // Kind-specific body of the serialized state, and its reader, which must
  // consume exactly `size` bytes and validate them.
  virtual void SerializeBody(std::string& out) const = 0;
  virtual Status DeserializeBody(const uint8_t* data, size_t size) = 0;

  CodecParams params_;
  bool trained_ = false;
};

// A QueryDistance for metrics without tables (kManhattan): decodes, then sums.
std::unique_ptr<QueryDistance> MakeDecodingQueryDistance(const Codec& codec, const float* query);

}  // namespace neurovec::quant
