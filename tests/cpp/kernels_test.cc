// Every SIMD kernel table available on this CPU against the scalar table and a
// double-precision reference, on many lengths (tails included) and unaligned
// pointers; bounded kernels against their contract.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "distance/kernels.h"
#include "test_util.h"

namespace {

using neurovec::distance::AvailableKernels;
using neurovec::distance::BestKernels;
using neurovec::distance::KernelTable;
using neurovec::distance::ScalarKernels;
using nvtest::Rng;

std::vector<const KernelTable*> Tables() {
  const KernelTable* tables[8];
  size_t n = AvailableKernels(tables, 8);
  return std::vector<const KernelTable*>(tables, tables + n);
}

enum class Fn { kL2, kDot, kL1 };

// Exact value in double, and the sum of term magnitudes (the scale of the
// float rounding error whatever the summation order).
struct Reference {
  double value;
  double magnitude;
};
Reference Ref(Fn fn, const float* a, const float* b, size_t d) {
  Reference r{0, 0};
  for (size_t i = 0; i < d; ++i) {
    double t = 0;
    switch (fn) {
      case Fn::kL2: t = (double(a[i]) - b[i]) * (double(a[i]) - b[i]); break;
      case Fn::kDot: t = double(a[i]) * b[i]; break;
      case Fn::kL1: t = std::fabs(double(a[i]) - b[i]); break;
    }
    r.value += t;
    r.magnitude += std::fabs(t);
  }
  return r;
}

// Float rounding is relative to the sum of term magnitudes; the tiny floor only
// covers exact zeros.
double Tolerance(const Reference& r) { return 1e-5 * r.magnitude + 1e-30; }

// Vectors with varied scales, so some lengths have large and some small terms.
struct Pair {
  std::vector<float> a, b;
};
Pair RandomPair(Rng& rng, size_t d, size_t offset) {
  Pair p;
  double scale = std::pow(10.0, rng.Uniform(-2, 2));
  p.a.resize(d + offset);
  p.b.resize(d + offset);
  for (size_t i = 0; i < d + offset; ++i) {
    p.a[i] = static_cast<float>(scale * rng.Normal());
    p.b[i] = static_cast<float>(scale * rng.Normal());
  }
  return p;
}

TEST(Kernels, TablesAreListedScalarFirstAndBestIsLast) {
  std::vector<const KernelTable*> tables = Tables();
  ASSERT_GE(tables.size(), 1u);
  EXPECT_EQ(tables.front(), &ScalarKernels());
  EXPECT_EQ(tables.back(), &BestKernels());
  std::set<std::string> names;
  for (const KernelTable* t : tables) {
    ASSERT_NE(t->name, nullptr);
    EXPECT_TRUE(names.insert(t->name).second) << "duplicate table " << t->name;
    EXPECT_NE(t->l2_squared, nullptr);
    EXPECT_NE(t->dot, nullptr);
    EXPECT_NE(t->l1, nullptr);
    EXPECT_NE(t->l2_squared_bounded, nullptr);
    EXPECT_NE(t->l1_bounded, nullptr);
    EXPECT_NE(t->dot_batch, nullptr);
  }
#if defined(__x86_64__)
  __builtin_cpu_init();
  // The machine's SIMD tables must really be exercised when the CPU has them.
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    EXPECT_TRUE(names.count("avx2"));
  }
  if (__builtin_cpu_supports("avx512f")) {
    EXPECT_TRUE(names.count("avx512"));
  }
#endif
  for (const KernelTable* t : tables) std::printf("kernel table: %s\n", t->name);
}

TEST(Kernels, AllTablesMatchReferenceOnEveryLength) {
  Rng rng(1234);
  for (const KernelTable* t : Tables()) {
    SCOPED_TRACE(t->name);
    for (size_t d = 1; d <= 300; ++d) {
      for (size_t offset : {0u, 1u, 3u}) {  // unaligned starts
        Pair p = RandomPair(rng, d, offset);
        const float* a = p.a.data() + offset;
        const float* b = p.b.data() + offset;
        Reference l2 = Ref(Fn::kL2, a, b, d);
        Reference dot = Ref(Fn::kDot, a, b, d);
        Reference l1 = Ref(Fn::kL1, a, b, d);
        const float inf = std::numeric_limits<float>::infinity();
        ASSERT_NEAR(t->l2_squared(a, b, d), l2.value, Tolerance(l2)) << "l2_squared d=" << d << " offset=" << offset;
        ASSERT_NEAR(t->dot(a, b, d), dot.value, Tolerance(dot)) << "dot d=" << d << " offset=" << offset;
        ASSERT_NEAR(t->l1(a, b, d), l1.value, Tolerance(l1)) << "l1 d=" << d << " offset=" << offset;
        ASSERT_NEAR(t->l2_squared_bounded(a, b, d, inf), l2.value, Tolerance(l2))
            << "l2_squared_bounded(inf) d=" << d;
        ASSERT_NEAR(t->l1_bounded(a, b, d, inf), l1.value, Tolerance(l1)) << "l1_bounded(inf) d=" << d;
        // And against the scalar table itself.
        const KernelTable& sc = ScalarKernels();
        ASSERT_NEAR(t->l2_squared(a, b, d), sc.l2_squared(a, b, d), 2 * Tolerance(l2)) << "vs scalar, d=" << d;
        ASSERT_NEAR(t->dot(a, b, d), sc.dot(a, b, d), 2 * Tolerance(dot)) << "vs scalar, d=" << d;
        ASSERT_NEAR(t->l1(a, b, d), sc.l1(a, b, d), 2 * Tolerance(l1)) << "vs scalar, d=" << d;
      }
    }
  }
}

// One query against many rows: each result as accurate as `dot`, and the same
// bits wherever a row sits in the batch (the click memory relies on it: an
// event's similarity must not depend on which events were read with it).
TEST(Kernels, DotBatchMatchesReferenceWhereverARowSits) {
  Rng rng(77);
  for (const KernelTable* t : Tables()) {
    SCOPED_TRACE(t->name);
    for (size_t d : {1u, 3u, 4u, 7u, 8u, 15u, 16u, 17u, 31u, 64u, 100u, 300u}) {
      for (size_t n : {1u, 2u, 3u, 4u, 5u, 7u, 8u, 9u, 13u}) {
        std::vector<float> storage((n + 1) * (d + 1));
        for (float& x : storage) x = static_cast<float>(rng.Normal());
        const float* q = storage.data() + 1;  // unaligned
        std::vector<const float*> rows(n);
        for (size_t j = 0; j < n; ++j) rows[j] = storage.data() + (j + 1) * (d + 1);
        std::vector<float> out(n + 1, -7.0f);
        t->dot_batch(q, rows.data(), n, d, out.data());
        EXPECT_EQ(out[n], -7.0f) << "wrote past the end, n=" << n << " d=" << d;
        for (size_t j = 0; j < n; ++j) {
          const Reference r = Ref(Fn::kDot, q, rows[j], d);
          ASSERT_NEAR(out[j], r.value, Tolerance(r)) << "row " << j << " of " << n << ", d=" << d;
        }
        // The rows rotated by one: every row's value keeps its bits.
        std::vector<const float*> rotated(rows.begin() + 1, rows.end());
        rotated.push_back(rows[0]);
        std::vector<float> again(n);
        t->dot_batch(q, rotated.data(), n, d, again.data());
        for (size_t j = 0; j < n; ++j) {
          ASSERT_EQ(again[j], out[(j + 1) % n]) << "row " << (j + 1) % n << " moved to " << j << ", n=" << n << " d=" << d;
        }
      }
    }
  }
}

TEST(Kernels, IdenticalVectorsGiveZero) {
  Rng rng(7);
  for (const KernelTable* t : Tables()) {
    for (size_t d : {1u, 7u, 16u, 31u, 64u, 65u, 130u, 257u}) {
      Pair p = RandomPair(rng, d, 0);
      EXPECT_EQ(t->l2_squared(p.a.data(), p.a.data(), d), 0.0f) << t->name << " d=" << d;
      EXPECT_EQ(t->l1(p.a.data(), p.a.data(), d), 0.0f) << t->name << " d=" << d;
      EXPECT_EQ(t->l2_squared_bounded(p.a.data(), p.a.data(), d, 0.0f), 0.0f) << t->name << " d=" << d;
      EXPECT_EQ(t->l1_bounded(p.a.data(), p.a.data(), d, 0.0f), 0.0f) << t->name << " d=" << d;
    }
  }
}

// Bounded kernels: exact when the distance is within the bound; otherwise some
// value above the bound, and (being a partial sum of non-negative terms) not
// above the full distance.
TEST(Kernels, BoundedKernelsHonourTheirContract) {
  Rng rng(99);
  const double factors[] = {0.0, 0.05, 0.3, 0.6, 0.9, 0.98, 1.02, 1.1, 2.0, 100.0};
  for (const KernelTable* t : Tables()) {
    SCOPED_TRACE(t->name);
    for (size_t d = 1; d <= 300; d += (d < 140 ? 1 : 7)) {
      Pair p = RandomPair(rng, d, d % 3);
      const float* a = p.a.data() + d % 3;
      const float* b = p.b.data() + d % 3;
      struct Case {
        const char* name;
        Reference ref;
        neurovec::distance::BoundedDistanceFn fn;
      } cases[] = {{"l2_squared_bounded", Ref(Fn::kL2, a, b, d), t->l2_squared_bounded},
                   {"l1_bounded", Ref(Fn::kL1, a, b, d), t->l1_bounded}};
      for (const Case& c : cases) {
        for (double f : factors) {
          const float bound = static_cast<float>(c.ref.value * f);
          const float got = c.fn(a, b, d, bound);
          if (f > 1.0) {
            ASSERT_NEAR(got, c.ref.value, Tolerance(c.ref))
                << c.name << " d=" << d << ": distance " << c.ref.value << " <= bound " << bound
                << " must be returned exactly";
          } else {
            ASSERT_GT(got, bound) << c.name << " d=" << d << ": distance " << c.ref.value << " > bound " << bound;
            ASSERT_LE(got, c.ref.value + Tolerance(c.ref)) << c.name << " d=" << d << ": partial sum above the total";
          }
        }
        // A negative bound: anything non-negative is above it.
        ASSERT_GT(c.fn(a, b, d, -1.0f), -1.0f) << c.name;
      }
    }
  }
}

TEST(Kernels, LargeAndSmallMagnitudesStayAccurate) {
  Rng rng(5);
  for (const KernelTable* t : Tables()) {
    for (double scale : {1e-15, 1e-6, 1e6, 1e15}) {
      const size_t d = 97;
      std::vector<float> a(d), b(d);
      for (size_t i = 0; i < d; ++i) {
        a[i] = static_cast<float>(scale * rng.Normal());
        b[i] = static_cast<float>(scale * rng.Normal());
      }
      Reference l2 = Ref(Fn::kL2, a.data(), b.data(), d);
      Reference l1 = Ref(Fn::kL1, a.data(), b.data(), d);
      Reference dot = Ref(Fn::kDot, a.data(), b.data(), d);
      EXPECT_NEAR(t->l2_squared(a.data(), b.data(), d), l2.value, 1e-5 * l2.magnitude) << t->name << " " << scale;
      EXPECT_NEAR(t->l1(a.data(), b.data(), d), l1.value, 1e-5 * l1.magnitude) << t->name << " " << scale;
      EXPECT_NEAR(t->dot(a.data(), b.data(), d), dot.value, 1e-5 * dot.magnitude) << t->name << " " << scale;
    }
  }
}

}  // namespace
