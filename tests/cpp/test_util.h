// Shared helpers for the neurovec C++ tests: a seeded generator, synthetic
// clustered data, an independent brute-force oracle (double precision, written
// here rather than taken from the index) and recall bookkeeping.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

// First line of a test that starts threads: the single-thread wasm build has
// none, so the test is skipped there (it runs natively and in the threaded
// wasm build).
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define NV_SKIP_WITHOUT_THREADS() GTEST_SKIP() << "the single-thread wasm build has no threads"
#else
#define NV_SKIP_WITHOUT_THREADS() static_cast<void>(0)
#endif

#include "neurovec/vector_index.h"

namespace nvtest {

using neurovec::IndexConfig;
using neurovec::ItemKey;
using neurovec::Metric;
using neurovec::SearchHit;
using neurovec::SearchParams;
using neurovec::VectorIndex;

// splitmix64: tiny, deterministic on every platform (std:: distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  uint64_t Below(uint64_t n) { return Next() % n; }
  // Standard normal (Box-Muller).
  double Normal() {
    double u1 = Uniform();
    double u2 = Uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  uint64_t state_;
};

// n points of `dim` floats, row-major.
struct Dataset {
  uint32_t n = 0;
  uint32_t dim = 0;
  std::vector<float> data;
  const float* row(size_t i) const { return data.data() + i * dim; }
  float* row(size_t i) { return data.data() + i * dim; }
};

// Gaussian clusters: `clusters` centres uniform in [-1, 1]^dim, points spread
// around them with standard deviation `spread`. Queries are drawn from the same
// distribution with another seed, so they are near data but never on it.
inline Dataset Clustered(uint32_t n, uint32_t dim, uint64_t seed, uint32_t clusters = 16, double spread = 0.25) {
  Rng rng(seed);
  std::vector<double> centres(static_cast<size_t>(clusters) * dim);
  for (double& c : centres) c = rng.Uniform(-1.0, 1.0);
  Dataset ds;
  ds.n = n;
  ds.dim = dim;
  ds.data.resize(static_cast<size_t>(n) * dim);
  for (uint32_t i = 0; i < n; ++i) {
    const double* centre = centres.data() + rng.Below(clusters) * dim;
    for (uint32_t j = 0; j < dim; ++j) ds.row(i)[j] = static_cast<float>(centre[j] + spread * rng.Normal());
  }
  return ds;
}

// Clustered data and queries from one set of centres.
struct Workload {
  Dataset base;
  Dataset queries;
};
inline Workload ClusteredWorkload(uint32_t n, uint32_t nq, uint32_t dim, uint64_t seed, uint32_t clusters = 16,
                                  double spread = 0.25) {
  Dataset all = Clustered(n + nq, dim, seed, clusters, spread);
  Workload w;
  w.base.n = n;
  w.base.dim = dim;
  w.base.data.assign(all.data.begin(), all.data.begin() + static_cast<size_t>(n) * dim);
  w.queries.n = nq;
  w.queries.dim = dim;
  w.queries.data.assign(all.data.begin() + static_cast<size_t>(n) * dim, all.data.end());
  return w;
}

// The metric's distance in double precision, from the definitions in metric.h.
inline double RefDistance(Metric metric, const float* a, const float* b, size_t d) {
  double sum = 0, na = 0, nb = 0;
  switch (metric) {
    case Metric::kL2:
      for (size_t i = 0; i < d; ++i) sum += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
      return sum;
    case Metric::kManhattan:
      for (size_t i = 0; i < d; ++i) sum += std::fabs(double(a[i]) - b[i]);
      return sum;
    case Metric::kDot:
      for (size_t i = 0; i < d; ++i) sum += double(a[i]) * b[i];
      return 1.0 - sum;
    case Metric::kCosine:
      for (size_t i = 0; i < d; ++i) {
        sum += double(a[i]) * b[i];
        na += double(a[i]) * a[i];
        nb += double(b[i]) * b[i];
      }
      return 1.0 - sum / std::sqrt(na * nb);
  }
  return 0;
}

// Tolerance for comparing an index distance (float kernels, stored form) with
// RefDistance: absolute part for distances near 0, relative part otherwise.
inline double DistanceTolerance(double reference) { return 2e-5 + 2e-5 * std::fabs(reference); }

struct Neighbor {
  double distance;
  int64_t id;
};

// Brute-force k nearest among (id, vector) candidates; ties broken by id.
inline std::vector<Neighbor> BruteForce(Metric metric, const float* query, size_t d,
                                        const std::vector<std::pair<int64_t, const float*>>& items, size_t k) {
  std::vector<Neighbor> all;
  all.reserve(items.size());
  for (const auto& [id, v] : items) all.push_back({RefDistance(metric, query, v, d), id});
  size_t kk = std::min(k, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(kk), all.end(),
                    [](const Neighbor& a, const Neighbor& b) {
                      return a.distance < b.distance || (a.distance == b.distance && a.id < b.id);
                    });
  all.resize(kk);
  return all;
}

inline std::vector<std::pair<int64_t, const float*>> AllItems(const Dataset& ds) {
  std::vector<std::pair<int64_t, const float*>> items;
  items.reserve(ds.n);
  for (uint32_t i = 0; i < ds.n; ++i) items.emplace_back(i, ds.row(i));
  return items;
}

// Fraction of the exact top-k ids present in the returned ids.
inline double Recall(const std::vector<int64_t>& got, const std::vector<Neighbor>& exact) {
  if (exact.empty()) return 1.0;
  std::set<int64_t> truth;
  for (const Neighbor& nb : exact) truth.insert(nb.id);
  size_t hit = 0;
  for (int64_t id : got) hit += truth.count(id);
  return static_cast<double>(hit) / static_cast<double>(exact.size());
}

inline std::unique_ptr<VectorIndex> MakeIndex(const IndexConfig& config) {
  auto created = VectorIndex::Create(config);
  EXPECT_TRUE(created.ok()) << created.status().message();
  if (!created.ok()) return nullptr;
  return created.take();
}

inline IndexConfig Config(uint32_t dim, Metric metric, uint32_t m = 16, uint32_t ef_construction = 200,
                          uint32_t ef_search = 64, uint64_t seed = 42) {
  IndexConfig c;
  c.dimensions = dim;
  c.metric = metric;
  c.m = m;
  c.ef_construction = ef_construction;
  c.ef_search = ef_search;
  c.seed = seed;
  return c;
}

// Adds rows [0, n) with ids 0..n-1 one at a time; returns false on the first failure.
inline ::testing::AssertionResult AddAll(VectorIndex& index, const Dataset& ds, int64_t id_offset = 0) {
  for (uint32_t i = 0; i < ds.n; ++i) {
    auto r = index.Add(ItemKey::Number(id_offset + i), ds.row(i));
    if (!r.ok()) return ::testing::AssertionFailure() << "Add(" << i << "): " << r.status().message();
  }
  return ::testing::AssertionSuccess();
}

inline int64_t IdOf(const VectorIndex& index, uint32_t slot) { return index.KeyOf(slot).number(); }

inline std::vector<int64_t> Ids(const VectorIndex& index, const std::vector<SearchHit>& hits) {
  std::vector<int64_t> ids;
  ids.reserve(hits.size());
  for (const SearchHit& h : hits) ids.push_back(IdOf(index, h.slot));
  return ids;
}

inline const std::vector<Metric>& AllMetrics() {
  static const std::vector<Metric> metrics = {Metric::kL2, Metric::kCosine, Metric::kDot, Metric::kManhattan};
  return metrics;
}

// Checks the invariants every result list must satisfy: ascending distances, no
// slot twice, every slot a live item (its key maps back to the slot).
inline ::testing::AssertionResult WellFormed(const VectorIndex& index, const std::vector<SearchHit>& hits) {
  std::set<uint32_t> seen;
  for (size_t i = 0; i < hits.size(); ++i) {
    if (i > 0 && hits[i].distance < hits[i - 1].distance) {
      return ::testing::AssertionFailure() << "distances not ascending at " << i << ": " << hits[i - 1].distance
                                           << " then " << hits[i].distance;
    }
    if (!seen.insert(hits[i].slot).second) {
      return ::testing::AssertionFailure() << "slot " << hits[i].slot << " returned twice";
    }
    auto slot = index.SlotOf(index.KeyOf(hits[i].slot));
    if (!slot.ok() || slot.value() != hits[i].slot) {
      return ::testing::AssertionFailure() << "slot " << hits[i].slot << " (id " << index.KeyOf(hits[i].slot).ToDisplay()
                                           << ") is not a live item";
    }
    if (!std::isfinite(hits[i].distance)) {
      return ::testing::AssertionFailure() << "non-finite distance at " << i;
    }
  }
  return ::testing::AssertionSuccess();
}

using Items = std::vector<std::pair<int64_t, const float*>>;

// The rows of `ds` (id = row) not in `deleted`: what brute force searches
// after deletes.
inline Items LiveItems(const Dataset& ds, const std::set<int64_t>& deleted) {
  Items items;
  for (uint32_t i = 0; i < ds.n; ++i)
    if (!deleted.count(i)) items.emplace_back(i, ds.row(i));
  return items;
}

// Mean recall@10 of the index's answers (at `ef`) to `queries`, against brute
// force over `items`; every answer is checked (ok, well formed).
inline double MeanRecall(const VectorIndex& index, const Dataset& queries, Metric metric, const Items& items,
                         uint32_t ef) {
  double sum = 0;
  for (uint32_t q = 0; q < queries.n; ++q) {
    SearchParams params;
    params.ef = ef;
    auto hits = index.Search(queries.row(q), params);
    EXPECT_TRUE(hits.ok()) << hits.status().message();
    if (!hits.ok()) continue;
    EXPECT_TRUE(WellFormed(index, hits.value()));
    sum += Recall(Ids(index, hits.value()), BruteForce(metric, queries.row(q), queries.dim, items, 10));
  }
  return queries.n == 0 ? 1.0 : sum / queries.n;
}

}  // namespace nvtest
