#include "index/click_memory.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "distance/kernels.h"
#include "util/byte_io.h"

namespace neurovec {
namespace {

// 1: events only; 2: the coarse lists follow them.
constexpr uint32_t kStateVersion = 2;
// k-means rounds of a list build: enough to settle on the catalogue's queries
// (the lookup reads whole lists, so centroids need not be exact).
constexpr int kBuildRounds = 8;
// Training events per list at most (the rest are only assigned).
constexpr uint32_t kTrainingPerList = 64;

// Scales v to unit length; false when it has none.
bool Normalise(float* v, uint32_t d) {
  double n = 0;
  for (uint32_t i = 0; i < d; ++i) n += double(v[i]) * v[i];
  if (!(n > 0) || !std::isfinite(n)) return false;
  const float inv = static_cast<float>(1.0 / std::sqrt(n));
  for (uint32_t i = 0; i < d; ++i) v[i] *= inv;
  return true;
}

// A lookup's working arrays, one set per thread, so a search allocates nothing
// once they have grown (malloc and free showed in wasm profiles of the lookup).
struct LookupScratch {
  std::vector<float> query;                       // the unit query
  std::vector<uint32_t> slots;                    // events read, in reading order
  std::vector<const float*> rows;                 // their rows (or the centroids)
  std::vector<float> similarities, selection;     // cosines, and a copy to select from
  std::vector<std::pair<float, uint32_t>> order;  // lists by centroid cosine
  std::vector<uint32_t> tied;                     // ages at the threshold
  std::vector<uint8_t> buckets;                   // each similarity's histogram bucket
  std::vector<uint32_t> counts;                   // the histogram
  std::vector<float> clicked_sum, rejected_sum;
  std::vector<const float*> clicked_rows, rejected_rows;  // the chosen events' rows, in reading order
};

LookupScratch& Scratch() {
  thread_local LookupScratch scratch;
  return scratch;
}

// The m-th largest of values[0, n) (1 <= m < n), the values left in place: a
// histogram over their range finds the bucket that holds it, and only that
// bucket's values are selected exactly. The same value nth_element would give:
// bucket numbers never decrease as values grow (a subtraction and a product by
// a positive number are monotonic in IEEE arithmetic). Why: nth_element over
// the similarities was a third of the lookup's time in wasm.
//
// Also counts the values above it and those equal to it: when every value
// equal to it is needed to make m, no tie has to be broken.
struct MthLargestResult {
  float value;
  size_t above;  // values > value
  size_t equal;  // values == value
};
MthLargestResult MthLargest(const float* values, size_t n, size_t m, LookupScratch& s) {
  constexpr uint32_t kBuckets = 256;
  float lo = values[0], hi = values[0];
  for (size_t j = 1; j < n; ++j) {
    lo = std::min(lo, values[j]);
    hi = std::max(hi, values[j]);
  }
  if (!(hi > lo)) return {hi, 0, n};  // all equal
  const float scale = float(kBuckets - 1) / (hi - lo);
  s.buckets.resize(n);
  s.counts.assign(kBuckets, 0);
  for (size_t j = 0; j < n; ++j) {
    const uint8_t b = static_cast<uint8_t>(std::min<float>(float(kBuckets - 1), (values[j] - lo) * scale));
    s.buckets[j] = b;
    ++s.counts[b];
  }
  // From the top bucket down, until the bucket that holds the m-th largest.
  size_t above = 0;
  uint32_t b = kBuckets - 1;
  while (above + s.counts[b] < m) above += s.counts[b--];
  s.selection.clear();
  for (size_t j = 0; j < n; ++j) {
    if (s.buckets[j] == b) s.selection.push_back(values[j]);
  }
  const size_t rank = m - above - 1;
  std::nth_element(s.selection.begin(), s.selection.begin() + rank, s.selection.end(), std::greater<float>());
  MthLargestResult result{s.selection[rank], above, 0};
  for (float v : s.selection) {
    result.above += v > result.value;
    result.equal += v == result.value;
  }
  return result;
}

// sum += rows[0] + ... + rows[n - 1], four rows per pass over `sum` (their
// pairwise sum added to it): the order of the adds depends on the rows' order
// alone. Four rows per pass read and write `sum` a quarter as often.
void AddRows(const float* const* rows, size_t n, uint32_t d, float* __restrict sum) {
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float *r0 = rows[j], *r1 = rows[j + 1], *r2 = rows[j + 2], *r3 = rows[j + 3];
    for (uint32_t i = 0; i < d; ++i) sum[i] += (r0[i] + r1[i]) + (r2[i] + r3[i]);
  }
  for (; j < n; ++j) {
    const float* r = rows[j];
    for (uint32_t i = 0; i < d; ++i) sum[i] += r[i];
  }
}

// True when any value of the row is not zero.
bool AnyNonZero(const float* row, uint32_t d) {
  for (uint32_t i = 0; i < d; ++i) {
    if (row[i] != 0.0f) return true;
  }
  return false;
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
  bool replaced = false;
  if (count_ < capacity_) {
    at = count_++;
    queries_.resize(size_t(count_) * d);
    clicked_.resize(size_t(count_) * d);
    rejected_.resize(size_t(count_) * d);
    has_rejected_.resize(count_);
  } else {
    at = first_;  // the oldest event leaves
    first_ = (first_ + 1) % capacity_;
    replaced = true;
  }
  std::copy(q.begin(), q.end(), Row(queries_, at));
  mean(clicked, Row(clicked_, at));
  mean(rejected, Row(rejected_, at));
  has_rejected_[at] = AnyNonZero(Row(rejected_, at), d);
  ++recorded_;
  if (list_count_ > 0) {
    if (replaced) {
      std::vector<uint32_t>& old = lists_[list_of_[at]];
      old.erase(std::find(old.begin(), old.end(), at));
    }
    list_of_.resize(count_);
    list_of_[at] = NearestList(Row(queries_, at));
    lists_[list_of_[at]].push_back(at);
  }
  // Rebuilds stop at kMaxBuildEvents: each costs this call about
  // (kBuildRounds x training + events) x lists dot products.
  if (count_ >= kPartitionMinEvents &&
      (list_count_ == 0 || (count_ >= 2 * uint64_t(built_size_) && count_ <= kMaxBuildEvents) ||
       (recorded_ - built_recorded_ >= capacity_ && capacity_ <= kMaxBuildEvents))) {
    BuildLists();
  }
}

uint32_t ClickMemory::NearestList(const float* unit_query) const {
  const distance::DistanceFn dot = distance::BestKernels().dot;
  uint32_t best = 0;
  float best_similarity = -2.0f;
  for (uint32_t l = 0; l < list_count_; ++l) {
    const float s = dot(unit_query, centroids_.data() + size_t(l) * dimensions_, dimensions_);
    if (s > best_similarity) best_similarity = s, best = l;
  }
  return best;
}

void ClickMemory::BuildLists() {
  const uint32_t d = dimensions_;
  const uint32_t lists = std::min<uint32_t>(
      kMaxLists, std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(std::sqrt(double(count_))))));
  // The training events: every stride-th by age, at most kTrainingPerList per list.
  const uint32_t stride = std::max<uint32_t>(1, count_ / (kTrainingPerList * lists));
  std::vector<uint32_t> training;
  for (uint32_t age = 0; age < count_; age += stride) training.push_back((first_ + age) % capacity_);
  // Starting centroids: training events spread evenly over the ages.
  list_count_ = lists;
  centroids_.assign(size_t(lists) * d, 0.0f);
  for (uint32_t l = 0; l < lists; ++l) {
    const float* row = Row(queries_, training[size_t(l) * training.size() / lists]);
    std::copy(row, row + d, centroids_.begin() + size_t(l) * d);
  }
  std::vector<double> sums(size_t(lists) * d);
  std::vector<float> centroid(d);
  for (int round = 0; round < kBuildRounds; ++round) {
    std::fill(sums.begin(), sums.end(), 0.0);
    for (uint32_t slot : training) {
      const float* row = Row(queries_, slot);
      double* sum = sums.data() + size_t(NearestList(row)) * d;
      for (uint32_t i = 0; i < d; ++i) sum[i] += row[i];
    }
    // Each centroid moves to its events' mean direction; one left empty stays.
    for (uint32_t l = 0; l < lists; ++l) {
      for (uint32_t i = 0; i < d; ++i) centroid[i] = static_cast<float>(sums[size_t(l) * d + i]);
      if (Normalise(centroid.data(), d)) std::copy(centroid.begin(), centroid.end(), centroids_.begin() + size_t(l) * d);
    }
  }
  AssignAll();
  built_size_ = count_;
  built_recorded_ = recorded_;
}

void ClickMemory::AssignAll() {
  lists_.assign(list_count_, {});
  list_of_.assign(count_, 0);
  for (uint32_t age = 0; age < count_; ++age) {
    const uint32_t slot = (first_ + age) % capacity_;
    list_of_[slot] = NearestList(Row(queries_, slot));
    lists_[list_of_[slot]].push_back(slot);
  }
}

uint32_t ClickMemory::Expand(const float* query, const ClickMemoryQuery& how, float* out) const {
  const uint32_t d = dimensions_;
  std::copy(query, query + d, out);
  if (count_ == 0 || !(how.strength > 0) || how.neighbours == 0) return 0;
  LookupScratch& s = Scratch();
  s.query.assign(query, query + d);
  if (!Normalise(s.query.data(), d)) return 0;
  const float* q = s.query.data();
  const distance::KernelTable& kernels = distance::BestKernels();
  // The events read, in the order their rows are summed later: by age (oldest
  // first) when all are read, else list by list, nearest centroid first, each
  // list in age order. Neither order depends on the ring's slot numbering, so
  // the chosen set and the bits of the mean survive a save and reopen.
  s.slots.clear();
  const uint64_t want = uint64_t(how.scan) * how.neighbours;
  if (list_count_ == 0 || how.scan == 0 || want >= count_) {
    for (uint32_t age = 0; age < count_; ++age) s.slots.push_back((first_ + age) % capacity_);
  } else {
    s.rows.resize(list_count_);
    for (uint32_t l = 0; l < list_count_; ++l) s.rows[l] = centroids_.data() + size_t(l) * d;
    s.similarities.resize(list_count_);
    kernels.dot_batch(q, s.rows.data(), list_count_, d, s.similarities.data());
    s.order.resize(list_count_);
    for (uint32_t l = 0; l < list_count_; ++l) s.order[l] = {s.similarities[l], l};
    // Ties: the lower list first.
    std::sort(s.order.begin(), s.order.end(),
              [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    for (const auto& [similarity, l] : s.order) {
      s.slots.insert(s.slots.end(), lists_[l].begin(), lists_[l].end());
      if (s.slots.size() >= want) break;
    }
  }
  // Cosine of the query with each past query read (all unit vectors), four rows per kernel call.
  const size_t read = s.slots.size();
  s.rows.resize(read);
  for (size_t j = 0; j < read; ++j) s.rows[j] = Row(queries_, s.slots[j]);
  s.similarities.resize(read);
  kernels.dot_batch(q, s.rows.data(), read, d, s.similarities.data());
  // Those below min_similarity leave (order kept).
  size_t kept = 0;
  for (size_t j = 0; j < read; ++j) {
    if (s.similarities[j] >= how.min_similarity) {
      s.slots[kept] = s.slots[j];
      s.similarities[kept++] = s.similarities[j];
    }
  }
  const size_t m = std::min<size_t>(how.neighbours, kept);
  if (m == 0) return 0;
  // The m nearest (their mean is what counts, not their order): every event
  // above the m-th largest similarity, then those equal to it, the oldest
  // first, so the set never depends on the selection algorithm.
  float threshold = -std::numeric_limits<float>::infinity();
  uint32_t oldest_tied_age_limit = std::numeric_limits<uint32_t>::max();
  if (m < kept) {
    const MthLargestResult mth = MthLargest(s.similarities.data(), kept, m, s);
    threshold = mth.value;
    const size_t wanted = m - mth.above;  // of the events at the threshold
    if (wanted < mth.equal) {
      s.tied.clear();
      for (size_t j = 0; j < kept; ++j) {
        if (s.similarities[j] == threshold) s.tied.push_back(Age(s.slots[j]));
      }
      // The `wanted` oldest tied events are chosen: those up to this age.
      std::nth_element(s.tied.begin(), s.tied.begin() + (wanted - 1), s.tied.end());
      oldest_tied_age_limit = s.tied[wanted - 1];
    }
  }
  // Clicked and rejected rows summed apart, in the order read (AddRows: plain
  // adds, the same bits with or without fused multiply-adds), then combined
  // once. An event with nothing rejected adds nothing to the rejected sum:
  // skipped.
  s.clicked_sum.assign(d, 0.0f);
  s.rejected_sum.assign(d, 0.0f);
  float* clicked_sum = s.clicked_sum.data();
  float* rejected_sum = s.rejected_sum.data();
  const bool rejections = how.reject_weight != 0;
  // With a half-life, event j weighs 2^(-(events recorded after j) / half_life)
  // and the mean is the weighted one: recent users count more.
  double weight_total = 0;
  s.clicked_rows.clear();
  s.rejected_rows.clear();
  for (size_t j = 0; j < kept; ++j) {
    const float similarity = s.similarities[j];
    const uint32_t slot = s.slots[j];
    if (similarity < threshold || (similarity == threshold && Age(slot) > oldest_tied_age_limit)) continue;
    const float* c = Row(clicked_, slot);
    const float* r = rejections && has_rejected_[slot] ? Row(rejected_, slot) : nullptr;
    if (how.half_life > 0) {
      const float w = static_cast<float>(std::exp2(-double(count_ - 1 - Age(slot)) / how.half_life));
      weight_total += w;
      for (uint32_t i = 0; i < d; ++i) clicked_sum[i] += w * c[i];
      if (r != nullptr) {
        for (uint32_t i = 0; i < d; ++i) rejected_sum[i] += w * r[i];
      }
    } else {
      weight_total += 1;
      s.clicked_rows.push_back(c);
      if (r != nullptr) s.rejected_rows.push_back(r);
    }
  }
  AddRows(s.clicked_rows.data(), s.clicked_rows.size(), d, clicked_sum);
  AddRows(s.rejected_rows.data(), s.rejected_rows.size(), d, rejected_sum);
  const double beta = how.strength / weight_total;
  const auto shift = [&](uint32_t i) { return double(clicked_sum[i]) - double(how.reject_weight) * rejected_sum[i]; };
  if (metric_ == Metric::kCosine) {
    for (uint32_t i = 0; i < d; ++i) out[i] = static_cast<float>(q[i] + beta * shift(i));
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
    for (uint32_t i = 0; i < d; ++i) out[i] = static_cast<float>((query[i] + beta * shift(i)) * scale);
  }
  return static_cast<uint32_t>(m);
}

// u32 version, capacity, dimensions, metric, count; u64 recorded; then count
// events, oldest first, each query, clicked mean and rejected mean (d f32 each).
// Version 2 goes on with the lists: u32 list count L (0: none), u32 events at
// the last build, u64 recorded at the last build, L centroids (d f32 each),
// then each event's list (u32), oldest first; nothing more when L is 0.
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
  w.U32(list_count_);
  w.U32(built_size_);
  w.U64(built_recorded_);
  if (list_count_ > 0) {
    w.Bytes(centroids_.data(), sizeof(float) * centroids_.size());
    for (uint32_t i = 0; i < count_; ++i) w.U32(list_of_[(first_ + i) % capacity_]);
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
  if (version < 1 || version > kStateVersion) {
    return Status::UnsupportedVersion("click memory version " + std::to_string(version));
  }
  if (capacity != capacity_ || dimensions != dimensions_ || metric != static_cast<uint32_t>(metric_)) {
    return Status::Corrupt("click memory does not match its index's learning options");
  }
  if (count > capacity || recorded < count) return Status::Corrupt("click memory holds more events than it can");
  const size_t row_bytes = sizeof(float) * size_t(dimensions);
  const size_t events_bytes = size_t(count) * 3 * row_bytes;
  if (version == 1 ? r.remaining() != events_bytes : r.remaining() < events_bytes) {
    return Status::Corrupt("click memory's length does not match its events");
  }
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
  uint32_t lists = 0, built_size = 0;
  uint64_t built_recorded = 0;
  std::vector<float> centroids;
  std::vector<uint32_t> list_of;
  if (version >= 2) {
    if (!r.U32(lists) || !r.U32(built_size) || !r.U64(built_recorded)) return Status::Corrupt("click memory's lists are cut short");
    if (lists > kMaxLists || built_size > count || built_recorded > recorded || (lists > 0 && count == 0)) {
      return Status::Corrupt("click memory's lists do not match its events");
    }
    const size_t lists_bytes = sizeof(float) * size_t(lists) * dimensions + (lists > 0 ? sizeof(uint32_t) * size_t(count) : 0);
    if (r.remaining() != lists_bytes) return Status::Corrupt("click memory's length does not match its lists");
    centroids.resize(size_t(lists) * dimensions);
    if (lists > 0) {
      const uint8_t* bytes = nullptr;
      r.Bytes(sizeof(float) * centroids.size(), bytes);
      std::memcpy(centroids.data(), bytes, sizeof(float) * centroids.size());
      for (float v : centroids) {
        if (!std::isfinite(v)) return Status::Corrupt("click memory holds a centroid that is not finite");
      }
      list_of.resize(count);
      for (uint32_t& l : list_of) {
        r.U32(l);
        if (l >= lists) return Status::Corrupt("click memory puts an event in a list it does not have");
      }
    }
  }
  queries_ = std::move(queries);
  clicked_ = std::move(clicked);
  rejected_ = std::move(rejected);
  has_rejected_.resize(count);
  for (uint32_t e = 0; e < count; ++e) has_rejected_[e] = AnyNonZero(Row(rejected_, e), dimensions);
  first_ = 0;
  count_ = count;
  recorded_ = recorded;
  list_count_ = lists;
  centroids_ = std::move(centroids);
  list_of_ = std::move(list_of);
  built_size_ = built_size;
  built_recorded_ = built_recorded;
  lists_.assign(list_count_, {});
  for (uint32_t slot = 0; slot < list_of_.size(); ++slot) lists_[list_of_[slot]].push_back(slot);
  // A version-1 memory (no lists) of lookup size gets its lists now, as Record would have built them.
  if (list_count_ == 0 && count_ >= kPartitionMinEvents) BuildLists();
  return Status::Ok();
}

}  // namespace neurovec
