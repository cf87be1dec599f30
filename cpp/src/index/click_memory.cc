#include "index/click_memory.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "distance/kernels.h"
#include "util/byte_io.h"

namespace neurovec {
namespace {

constexpr uint32_t kStateVersion = 1;

// Scales v to unit length; false when it has none.
bool Normalise(float* v, uint32_t d) {
  double n = 0;
  for (uint32_t i = 0; i < d; ++i) n += double(v[i]) * v[i];
  if (!(n > 0) || !std::isfinite(n)) return false;
  const float inv = static_cast<float>(1.0 / std::sqrt(n));
  for (uint32_t i = 0; i < d; ++i) v[i] *= inv;
  return true;
}

}  // namespace

ClickMemory::ClickMemory(uint32_t capacity, uint32_t dimensions, Metric metric)
    : capacity_(capacity), dimensions_(dimensions), metric_(metric) {}

void ClickMemory::Record(const float* query, const std::vector<const float*>& clicked,
                         const std::vector<const float*>& rejected) {
  if (!enabled() || clicked.empty()) return;
  const uint32_t d = dimensions_;
  std::vector<float> q(query, query + d);
  if (!Normalise(q.data(), d)) return;
  // The mean of `rows`, each row made unit length first when the metric is cosine.
  const bool cosine = metric_ == Metric::kCosine;
  const auto mean = [&](const std::vector<const float*>& rows, float* out) {
    std::fill(out, out + d, 0.0f);
    std::vector<float> row(d);
    uint32_t used = 0;
    for (const float* r : rows) {
      row.assign(r, r + d);
      if (cosine && !Normalise(row.data(), d)) continue;
      for (uint32_t i = 0; i < d; ++i) out[i] += row[i];
      ++used;
    }
    if (used > 0) {
      for (uint32_t i = 0; i < d; ++i) out[i] /= static_cast<float>(used);
    }
  };
  uint32_t at;
  if (count_ < capacity_) {
    at = count_++;
    queries_.resize(size_t(count_) * d);
    clicked_.resize(size_t(count_) * d);
    rejected_.resize(size_t(count_) * d);
  } else {
    at = first_;  // the oldest event leaves
    first_ = (first_ + 1) % capacity_;
  }
  std::copy(q.begin(), q.end(), Row(queries_, at));
  mean(clicked, Row(clicked_, at));
  mean(rejected, Row(rejected_, at));
  ++recorded_;
}

uint32_t ClickMemory::Expand(const float* query, const ClickMemoryQuery& how, float* out) const {
  const uint32_t d = dimensions_;
  std::copy(query, query + d, out);
  if (count_ == 0 || !(how.strength > 0) || how.neighbours == 0) return 0;
  std::vector<float> q(query, query + d);
  if (!Normalise(q.data(), d)) return 0;
  // Cosine of the query with every past query (all unit vectors).
  const distance::DistanceFn dot = distance::BestKernels().dot;
  std::vector<std::pair<float, uint32_t>> nearest;
  nearest.reserve(count_);
  for (uint32_t e = 0; e < count_; ++e) {
    const float s = dot(q.data(), Row(queries_, e), d);
    if (s >= how.min_similarity) nearest.emplace_back(s, e);
  }
  const size_t m = std::min<size_t>(how.neighbours, nearest.size());
  if (m == 0) return 0;
  // The m nearest, in no particular order (their mean is what counts); ties
  // go to the lower storage index, so the set never depends on the algorithm.
  // Summed in storage order, so the bits do not either.
  if (m < nearest.size()) {
    std::nth_element(nearest.begin(), nearest.begin() + (m - 1), nearest.end(), [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    nearest.resize(m);
  }
  std::sort(nearest.begin(), nearest.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  std::vector<double> shift(d, 0.0);
  for (size_t j = 0; j < m; ++j) {
    const float* c = Row(clicked_, nearest[j].second);
    const float* r = Row(rejected_, nearest[j].second);
    for (uint32_t i = 0; i < d; ++i) shift[i] += double(c[i]) - double(how.reject_weight) * r[i];
  }
  const double beta = how.strength / static_cast<double>(m);
  if (metric_ == Metric::kCosine) {
    for (uint32_t i = 0; i < d; ++i) out[i] = static_cast<float>(q[i] + beta * shift[i]);
    // A shift that cancels the query exactly leaves no direction: keep the query.
    double n = 0;
    for (uint32_t i = 0; i < d; ++i) n += double(out[i]) * out[i];
    if (!(n > 1e-20)) {
      std::copy(query, query + d, out);
      return 0;
    }
    // Unit length, as every query is for cosine: the refiner reads its scale.
    const float inv = static_cast<float>(1.0 / std::sqrt(n));
    for (uint32_t i = 0; i < d; ++i) out[i] *= inv;
  } else {
    const double scale = 1.0 / (1.0 + how.strength);
    for (uint32_t i = 0; i < d; ++i) out[i] = static_cast<float>((query[i] + beta * shift[i]) * scale);
  }
  return static_cast<uint32_t>(m);
}

// u32 version, capacity, dimensions, metric, count; u64 recorded; then count
// events, oldest first, each query, clicked mean and rejected mean (d f32 each).
std::string ClickMemory::Serialize() const {
  std::string out;
  ByteWriter w(out);
  w.U32(kStateVersion);
  w.U32(capacity_);
  w.U32(dimensions_);
  w.U32(static_cast<uint32_t>(metric_));
  w.U32(count_);
  w.U64(recorded_);
  for (uint32_t i = 0; i < count_; ++i) {
    const uint32_t e = (first_ + i) % capacity_;
    for (const std::vector<float>* rows : {&queries_, &clicked_, &rejected_}) {
      w.Bytes(Row(*rows, e), sizeof(float) * dimensions_);  // little-endian hosts only (the build checks)
    }
  }
  return out;
}

Status ClickMemory::Restore(const uint8_t* data, size_t size) {
  ByteReader r(data, size);
  uint32_t version = 0, capacity = 0, dimensions = 0, metric = 0, count = 0;
  uint64_t recorded = 0;
  if (!r.U32(version) || !r.U32(capacity) || !r.U32(dimensions) || !r.U32(metric) || !r.U32(count) ||
      !r.U64(recorded)) {
    return Status::Corrupt("click memory is cut short");
  }
  if (version != kStateVersion) return Status::UnsupportedVersion("click memory version " + std::to_string(version));
  if (capacity != capacity_ || dimensions != dimensions_ || metric != static_cast<uint32_t>(metric_)) {
    return Status::Corrupt("click memory does not match its index's learning options");
  }
  if (count > capacity || recorded < count) return Status::Corrupt("click memory holds more events than it can");
  const size_t row_bytes = sizeof(float) * size_t(dimensions);
  if (r.remaining() != size_t(count) * 3 * row_bytes) return Status::Corrupt("click memory's length does not match its events");
  std::vector<float> queries(size_t(count) * dimensions), clicked(queries.size()), rejected(queries.size());
  for (uint32_t e = 0; e < count; ++e) {
    for (std::vector<float>* rows : {&queries, &clicked, &rejected}) {
      const uint8_t* bytes = nullptr;
      r.Bytes(row_bytes, bytes);
      std::memcpy(rows->data() + size_t(e) * dimensions, bytes, row_bytes);
    }
  }
  for (const std::vector<float>* rows : {&queries, &clicked, &rejected}) {
    for (float v : *rows) {
      if (!std::isfinite(v)) return Status::Corrupt("click memory holds a value that is not finite");
    }
  }
  queries_ = std::move(queries);
  clicked_ = std::move(clicked);
  rejected_ = std::move(rejected);
  first_ = 0;
  count_ = count;
  recorded_ = recorded;
  return Status::Ok();
}

}  // namespace neurovec
