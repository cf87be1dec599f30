// `neurovec codecs`: per codec, train on a sample of the base, encode every
// base vector, then measure bytes per vector, recall@k of an exhaustive scan
// over the codes alone (ADC) and with exact re-ranking of the top R, and the
// speed of encode, decode and the ADC scan. One thread throughout.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "cli_util.h"
#include "commands.h"
#include "distance/kernels.h"
#include "hnsw/candidate.h"
#include "quantization/codec.h"
#include "quantization/quant_kernels.h"
#include "util/random.h"
#include "vector_files.h"

namespace neurovec::cli {
namespace {


int Fail(const std::string& message) { return FailCommand("codecs", message); }

}  // namespace

// "pq4/m=196/o=4" -> kind pq4, 196 sub-quantizers, 4 outliers. Options: m=,
// o= (outliers), t=mean|zero|rotated (binary threshold), r=dim|uniform (int8 range).
bool ParseCodecSpec(const std::string& spec, quant::CodecParams& params, std::string& error) {
  std::stringstream ss(spec);
  std::string part;
  std::getline(ss, part, '/');
  auto kind = quant::ParseCodecKind(part);
  if (!kind.ok()) {
    error = kind.status().message();
    return false;
  }
  params.kind = kind.value();
  while (std::getline(ss, part, '/')) {
    const size_t eq = part.find('=');
    const std::string key = part.substr(0, eq), value = eq == std::string::npos ? "" : part.substr(eq + 1);
    char* end = nullptr;
    const unsigned long number = std::strtoul(value.c_str(), &end, 10);
    const bool numeric = !value.empty() && *end == '\0';
    if (key == "m" && numeric) {
      params.subquantizers = static_cast<uint32_t>(number);
    } else if (key == "o" && numeric) {
      params.outliers = static_cast<uint32_t>(number);
    } else if (key == "t" && (value == "mean" || value == "zero" || value == "rotated")) {
      params.binary_threshold = value == "mean"   ? quant::BinaryThreshold::kMean
                                : value == "zero" ? quant::BinaryThreshold::kZero
                                                  : quant::BinaryThreshold::kRotatedSign;
    } else if (key == "r" && (value == "dim" || value == "uniform")) {
      params.int8_range = value == "dim" ? quant::Int8Range::kPerDimension : quant::Int8Range::kUniform;
    } else {
      error = "bad codec option '" + part + "' in '" + spec + "' (m=N, o=N, t=mean|zero|rotated, r=dim|uniform)";
      return false;
    }
  }
  return true;
}

namespace {


std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

void NormalizeRows(FloatMatrix& m) {
  for (uint32_t i = 0; i < m.rows; ++i) {
    float* row = m.data.data() + static_cast<size_t>(i) * m.cols;
    double norm = 0;
    for (uint32_t j = 0; j < m.cols; ++j) norm += double(row[j]) * row[j];
    norm = std::sqrt(norm);
    if (norm > 0) {
      for (uint32_t j = 0; j < m.cols; ++j) row[j] = static_cast<float>(row[j] / norm);
    }
  }
}

struct Row {
  std::string spec, name;
  size_t bytes = 0, codebook_bytes = 0;
  double ratio = 0, train_s = 0, encode_per_s = 0, decode_per_s = 0, adc_codes_per_s = 0, adc_ms_per_query = 0;
  double recall_adc = 0;
  std::vector<double> recall_rerank;  // per R
  float approximation = 0;
};

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

int RunCodecs(const Args& args) {
  for (const auto& u : args.Unused({"base", "queries", "truth", "queries-limit", "rerank", "json", "codecs", "k",
                                    "train-sample", "kmeans-iterations", "seed", "metric"})) {
    return Fail("unknown option --" + u);
  }
  if (!args.Has("base") || !args.Has("queries") || !args.Has("truth")) {
    return Fail("--base, --queries and --truth are required");
  }
  std::string error;
  uint64_t limit, k, train_n, iterations, seed;
  if (!args.GetUint("queries-limit", 1000, limit, error) || !args.GetUint("k", 10, k, error) ||
      !args.GetUint("train-sample", 20000, train_n, error) || !args.GetUint("kmeans-iterations", 8, iterations, error) ||
      !args.GetUint("seed", 42, seed, error)) {
    return Fail(error);
  }
  std::vector<uint32_t> reranks;
  if (!ParseUintList(args.Get("rerank", "100"), reranks)) return Fail("--rerank expects a list like 50,100");
  const std::string default_codecs = "f32,f16,int8,pq8/m=98,pq8/m=196,pq4/m=196/o=0,pq4/m=196/o=4,pq4/m=256/o=8,binary,binary/t=rotated";
  const std::vector<std::string> specs = Split(args.Get("codecs", default_codecs));
  for (const std::string& spec : specs) {  // before the (slow) file reads
    quant::CodecParams params;
    if (!ParseCodecSpec(spec, params, error)) return Fail(error);
  }
  if (specs.empty()) return Fail("--codecs expects a list of codec specs");
  auto metric = ParseMetric(args.Get("metric", "l2"));
  if (!metric.ok()) return Fail(metric.status().message());
  if (metric.value() == Metric::kManhattan) return Fail("codecs supports l2, cosine and dot");

  auto files = ReadRecallFiles(args.Get("base"), args.Get("queries"), args.Get("truth"), k);
  if (!files.ok()) return Fail(files.status().message());
  FloatMatrix& base = files.value().base;
  FloatMatrix& queries = files.value().queries;
  const IntMatrix& truth = files.value().truth;
  const uint32_t nq = static_cast<uint32_t>(std::min<uint64_t>(limit == 0 ? queries.rows : limit, queries.rows));
  if (metric.value() == Metric::kCosine) {
    NormalizeRows(base);
    NormalizeRows(queries);
  }
  const uint32_t d = base.cols, n = base.rows;
  const uint32_t max_rerank = *std::max_element(reranks.begin(), reranks.end());

  // Training sample: distinct random rows (partial Fisher-Yates, seeded).
  const size_t sample_n = std::min<size_t>(train_n, n);
  std::vector<float> sample(sample_n * d);
  {
    std::vector<uint32_t> index(n);
    for (uint32_t i = 0; i < n; ++i) index[i] = i;
    Random random(seed);
    for (size_t i = 0; i < sample_n; ++i) {
      std::swap(index[i], index[i + random.NextBelow(n - i)]);
      std::copy(base.row(index[i]), base.row(index[i]) + d, sample.begin() + i * d);
    }
  }
  const distance::KernelTable& kernels = distance::BestKernels();
  auto exact = [&](const float* q, const float* x) {
    return metric.value() == Metric::kL2 ? kernels.l2_squared(q, x, d) : 1.0f - kernels.dot(q, x, d);
  };

  std::fprintf(stderr, "codecs: %u x %u base, %u queries, train sample %zu, kernels %s / %s\n", n, d, nq, sample_n,
               kernels.name, quant::BestQuantKernels().name);
  std::vector<Row> rows;
  for (const std::string& spec : specs) {
    quant::CodecParams params;
    params.dimensions = d;
    params.metric = metric.value();
    params.kmeans_iterations = static_cast<uint32_t>(iterations);
    params.seed = seed;
    if (!ParseCodecSpec(spec, params, error)) return Fail(error);
    auto created = quant::Codec::Create(params);
    if (!created.ok()) return Fail(spec + ": " + created.status().message());
    quant::Codec& codec = *created.value();
    Row row;
    row.spec = spec;
    row.bytes = codec.bytes_per_vector();
    row.ratio = static_cast<double>(row.bytes) / (4.0 * d);

    auto t = Clock::now();
    Status trained = codec.Train(sample.data(), sample_n);
    row.train_s = SecondsSince(t);
    if (!trained.ok()) return Fail(spec + ": " + trained.message());
    row.codebook_bytes = codec.Serialize().size();
    const quant::CodecParams& resolved = codec.params();
    row.name = quant::CodecKindName(resolved.kind);
    if (resolved.subquantizers) row.name += " m=" + std::to_string(resolved.subquantizers);
    if (resolved.kind == quant::CodecKind::kPq4) row.name += " o=" + std::to_string(resolved.outliers);
    if (resolved.int8_range == quant::Int8Range::kUniform) row.name += " uniform";
    if (resolved.kind == quant::CodecKind::kBinary && resolved.binary_threshold == quant::BinaryThreshold::kZero) {
      row.name += " sign";
    }
    if (resolved.kind == quant::CodecKind::kBinary && resolved.binary_threshold == quant::BinaryThreshold::kRotatedSign) {
      row.name += " rotated";
    }

    std::vector<uint8_t> codes(row.bytes * n);
    t = Clock::now();
    codec.EncodeBatch(base.data.data(), n, codes.data());
    row.encode_per_s = n / SecondsSince(t);
    // The scan reads the codec's scan layout (PQ4: blocks of 32 transposed codes).
    std::vector<uint8_t> packed(codec.packed_bytes(n));
    codec.PackCodes(codes.data(), n, packed.data());

    std::vector<float> decoded(d);
    float checksum = 0;  // keeps the decode loop from being optimised away
    t = Clock::now();
    for (uint32_t i = 0; i < n; ++i) {
      codec.Decode(codes.data() + static_cast<size_t>(i) * row.bytes, decoded.data());
      checksum += decoded[i % d];
    }
    row.decode_per_s = n / SecondsSince(t);
    if (!std::isfinite(checksum)) std::fprintf(stderr, "codecs: %s decoded a non-finite value\n", spec.c_str());

    std::vector<float> distances(n);
    std::vector<Candidate> heap;
    double scan_s = 0, query_s = 0, hits_adc = 0;
    std::vector<double> hits_rerank(reranks.size(), 0);
    const size_t keep = std::max<size_t>(k, max_rerank);
    for (uint32_t qi = 0; qi < nq; ++qi) {
      const float* q = queries.row(qi);
      auto q_start = Clock::now();
      auto prepared = codec.PrepareQuery(q);
      auto s_start = Clock::now();
      prepared->DistancesPacked(packed.data(), n, distances.data());
      scan_s += SecondsSince(s_start);
      heap.clear();
      for (uint32_t i = 0; i < n; ++i) KeepClosest(heap, keep, {distances[i], i});
      SortByDistance(heap);
      query_s += SecondsSince(q_start);
      row.approximation = std::max(row.approximation, prepared->approximation_bound());

      const int32_t* truth_row = truth.row(qi);
      auto count_hits = [&](const std::vector<Candidate>& found) {
        size_t hits = 0;
        for (size_t j = 0; j < std::min<size_t>(k, found.size()); ++j) {
          for (uint64_t t2 = 0; t2 < k; ++t2) hits += truth_row[t2] == static_cast<int32_t>(found[j].slot);
        }
        return static_cast<double>(hits) / k;
      };
      hits_adc += count_hits(heap);
      for (size_t r = 0; r < reranks.size(); ++r) {
        std::vector<Candidate> reranked;
        for (size_t j = 0; j < std::min<size_t>(reranks[r], heap.size()); ++j) {
          reranked.push_back({exact(q, base.row(heap[j].slot)), heap[j].slot});
        }
        SortByDistance(reranked);
        hits_rerank[r] += count_hits(reranked);
      }
    }
    row.adc_codes_per_s = static_cast<double>(n) * nq / scan_s;
    row.adc_ms_per_query = 1000.0 * query_s / nq;
    row.recall_adc = hits_adc / nq;
    for (double h : hits_rerank) row.recall_rerank.push_back(h / nq);
    std::fprintf(stderr, "  %-22s %5zu B  train %.1f s  recall %.4f\n", row.name.c_str(), row.bytes, row.train_s,
                 row.recall_adc);
    rows.push_back(row);
  }

  // Markdown table.
  std::printf("| codec | bytes/vector | x raw f32 | codebook bytes | recall@%llu ADC", static_cast<unsigned long long>(k));
  for (uint32_t r : reranks) std::printf(" | recall@%llu re-rank %u", static_cast<unsigned long long>(k), r);
  std::printf(" | train s | encode vec/s | decode vec/s | ADC codes/s | ms/query (scan+top-R) |\n|---|--:|--:|--:|--:");
  for (size_t r = 0; r < reranks.size(); ++r) std::printf("|--:");
  std::printf("|--:|--:|--:|--:|--:|\n");
  for (const Row& row : rows) {
    std::printf("| %s | %zu | %.4f | %zu | %.4f", row.name.c_str(), row.bytes, row.ratio, row.codebook_bytes,
                row.recall_adc);
    for (double r : row.recall_rerank) std::printf(" | %.4f", r);
    std::printf(" | %.2f | %.0f | %.0f | %.3g | %.2f |\n", row.train_s, row.encode_per_s, row.decode_per_s,
                row.adc_codes_per_s, row.adc_ms_per_query);
  }

  if (args.Has("json")) {
    const std::string path = args.Get("json");
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) return Fail("cannot write " + path);
    std::fprintf(f, "{\n  \"base\": \"%s\", \"queries\": \"%s\", \"truth\": \"%s\",\n", JsonEscape(args.Get("base")).c_str(),
                 JsonEscape(args.Get("queries")).c_str(), JsonEscape(args.Get("truth")).c_str());
    std::fprintf(f, "  \"items\": %u, \"dimensions\": %u, \"queries_used\": %u, \"k\": %llu, \"metric\": \"%s\",\n", n, d, nq,
                 static_cast<unsigned long long>(k), MetricName(metric.value()));
    std::fprintf(f, "  \"train_sample\": %zu, \"kmeans_iterations\": %llu, \"seed\": %llu, \"threads\": 1,\n", sample_n,
                 static_cast<unsigned long long>(iterations), static_cast<unsigned long long>(seed));
    std::fprintf(f, "  \"distance_kernels\": \"%s\", \"codec_kernels\": \"%s\",\n  \"codecs\": [\n", kernels.name,
                 quant::BestQuantKernels().name);
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row& row = rows[i];
      std::fprintf(f,
                   "    {\"spec\": \"%s\", \"name\": \"%s\", \"bytes_per_vector\": %zu, \"ratio_to_f32\": %.6f, "
                   "\"codebook_bytes\": %zu, \"train_seconds\": %.3f, \"encode_per_second\": %.1f, "
                   "\"decode_per_second\": %.1f, \"adc_codes_per_second\": %.1f, \"adc_ms_per_query\": %.4f, "
                   "\"adc_approximation_bound\": %.6g, \"recall_adc\": %.4f, \"recall_rerank\": {",
                   JsonEscape(row.spec).c_str(), JsonEscape(row.name).c_str(), row.bytes, row.ratio, row.codebook_bytes,
                   row.train_s, row.encode_per_s, row.decode_per_s, row.adc_codes_per_s, row.adc_ms_per_query,
                   row.approximation, row.recall_adc);
      for (size_t r = 0; r < reranks.size(); ++r) {
        std::fprintf(f, "%s\"%u\": %.4f", r ? ", " : "", reranks[r], row.recall_rerank[r]);
      }
      std::fprintf(f, "}}%s\n", i + 1 < rows.size() ? "," : "");
    }
    std::fprintf(f, "  ]\n}\n");
    std::fclose(f);
  }
  return 0;
}

}  // namespace neurovec::cli
