// Learned routing: the hook leaves the plain walk as it was, the learned walk
// reaches its target recall (against brute force) with fewer distances, the
// fallbacks, bad options, and the trainer's own arithmetic.
#include <cmath>
#include <functional>
#include <limits>

#include <unistd.h>

#include "index_file_edit.h"
#include "neurovec/storage.h"
#include "persistence/router_section.h"
#include "routing/stop_trainer.h"
#include "test_util.h"

namespace {

using namespace nvtest;
using neurovec::RouterOptions;
using neurovec::RouterReport;
using neurovec::RoutingMode;
using neurovec::SearchCounters;
using neurovec::StatusCode;

constexpr uint32_t kDim = 24;

struct IndexAndQueries {
  Workload w;
  std::unique_ptr<VectorIndex> index;
  uint32_t dim = kDim;
};

IndexAndQueries Build(uint32_t n = 4000, uint32_t queries = 300) {
  IndexAndQueries s;
  s.w = ClusteredWorkload(n, queries, kDim, 7, 16, 0.35);
  s.index = MakeIndex(Config(kDim, Metric::kL2, 8, 64));
  EXPECT_TRUE(AddAll(*s.index, s.w.base));
  return s;
}

// Data of low intrinsic dimension, as images and embeddings are: 96-d rows
// that are a fixed linear map of clustered 8-d points, plus a little noise.
// (Isotropic clusters in 24-d leave a projection nothing to find: neighbour
// skipping then never pays, and training rightly picks none.)
IndexAndQueries BuildLowRank(uint32_t n, uint32_t queries) {
  constexpr uint32_t kLatent = 8, kHigh = 96;
  IndexAndQueries s;
  s.dim = kHigh;
  const Workload latent = ClusteredWorkload(n, queries, kLatent, 19, 16, 0.35);
  Rng rng(23);
  std::vector<float> map(kHigh * kLatent);
  for (float& v : map) v = static_cast<float>(rng.Normal());
  auto lift = [&](const Dataset& in) {
    Dataset out;
    out.n = in.n;
    out.dim = kHigh;
    out.data.resize(static_cast<size_t>(in.n) * kHigh);
    for (uint32_t i = 0; i < in.n; ++i) {
      for (uint32_t j = 0; j < kHigh; ++j) {
        double v = 0.02 * rng.Normal();
        for (uint32_t l = 0; l < kLatent; ++l) v += map[j * kLatent + l] * in.row(i)[l];
        out.row(i)[j] = static_cast<float>(v);
      }
    }
    return out;
  };
  s.w.base = lift(latent.base);
  s.w.queries = lift(latent.queries);
  s.index = MakeIndex(Config(kHigh, Metric::kL2, 8, 64));
  EXPECT_TRUE(AddAll(*s.index, s.w.base));
  return s;
}

RouterOptions Options() {
  RouterOptions o;
  o.k = 10;
  o.ef = 64;
  o.items = 800;
  o.seed = 3;
  o.plain_when_faster = false;  // every target on the learned walk, whatever the timing (PlainWalkPerTarget* test that)
  return o;
}

struct Walks {
  std::vector<std::vector<SearchHit>> hits;
  double computations = 0;
};

Walks SearchAll(const VectorIndex& index, const Dataset& queries, const SearchParams& params) {
  Walks r;
  for (uint32_t i = 0; i < queries.n; ++i) {
    SearchCounters c;
    auto found = index.Search(queries.row(i), params, &c);
    EXPECT_TRUE(found.ok()) << found.status().message();
    r.hits.push_back(found.ok() ? found.value() : std::vector<SearchHit>{});
    r.computations += c.distance_computations;
  }
  r.computations /= queries.n;
  return r;
}

void ExpectSameHits(const Walks& a, const Walks& b) {
  ASSERT_EQ(a.hits.size(), b.hits.size());
  for (size_t i = 0; i < a.hits.size(); ++i) {
    ASSERT_EQ(a.hits[i].size(), b.hits[i].size()) << "query " << i;
    for (size_t j = 0; j < a.hits[i].size(); ++j) {
      EXPECT_EQ(a.hits[i][j].slot, b.hits[i][j].slot) << "query " << i << " rank " << j;
      EXPECT_EQ(a.hits[i][j].distance, b.hits[i][j].distance);
    }
  }
}

double MeanRecallAgainstBruteForce(const IndexAndQueries& s, const Walks& run, size_t k) {
  const auto items = AllItems(s.w.base);
  double sum = 0;
  for (uint32_t i = 0; i < s.w.queries.n; ++i) {
    auto exact = BruteForce(Metric::kL2, s.w.queries.row(i), s.dim, items, k);
    sum += Recall(Ids(*s.index, run.hits[i]), exact);
  }
  return sum / s.w.queries.n;
}

TEST(Routing, PlainWalkIsUnchangedByTheHookAndByATrainedRouter) {
  IndexAndQueries s = Build();
  SearchParams plain;
  plain.k = 10;
  plain.ef = 64;
  const Walks before = SearchAll(*s.index, s.w.queries, plain);

  auto report = s.index->TrainRouter(Options());
  ASSERT_TRUE(report.ok()) << report.status().message();
  plain.routing = RoutingMode::kPlain;
  const Walks after = SearchAll(*s.index, s.w.queries, plain);
  ExpectSameHits(before, after);
  EXPECT_EQ(before.computations, after.computations);

  // Target 1: a threshold above every score, so the learned walk never stops
  // early and must be HNSW's walk at the same ef, step for step.
  SearchParams never;
  never.k = 10;
  never.ef = 64;
  never.routing = RoutingMode::kLearned;
  never.target_recall = 1.0f;
  const Walks learned = SearchAll(*s.index, s.w.queries, never);
  ExpectSameHits(before, learned);
  EXPECT_EQ(before.computations, learned.computations);
  const auto stats = s.index->Stats().routing;
  EXPECT_TRUE(stats.trained);
  EXPECT_EQ(stats.learned_searches, s.w.queries.n);
  EXPECT_EQ(stats.early_stops, 0u);
  EXPECT_EQ(stats.fallbacks, 0u);
}

TEST(Routing, LearnedWalkReachesItsTargetWithFewerDistances) {
  IndexAndQueries s = Build();
  SearchParams plain;
  plain.k = 10;
  plain.ef = 64;
  const Walks full = SearchAll(*s.index, s.w.queries, plain);

  auto report = s.index->TrainRouter(Options());
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_GT(report.value().records, 0u);
  EXPECT_LT(report.value().routed_computations, report.value().full_walk_computations);

  SearchParams learned = plain;
  learned.routing = RoutingMode::kLearned;
  learned.target_recall = 0.95f;
  const Walks routed = SearchAll(*s.index, s.w.queries, learned);
  // Queries the router never saw (it learned from stored items): the mean
  // recall lands near the target, for clearly fewer distances than the walk
  // it cuts short.
  const double recall = MeanRecallAgainstBruteForce(s, routed, 10);
  EXPECT_GE(recall, 0.92);
  EXPECT_LT(routed.computations, 0.85 * full.computations);
  EXPECT_GT(s.index->Stats().routing.early_stops, s.w.queries.n / 2);

  // A higher target stops later: recall and distances do not fall.
  learned.target_recall = 0.99f;
  const Walks later = SearchAll(*s.index, s.w.queries, learned);
  EXPECT_GE(MeanRecallAgainstBruteForce(s, later, 10), recall);
  EXPECT_GE(later.computations, routed.computations);
}

// Neighbour skipping: on data a low-rank projection describes, training
// picks skip margins, and the learned walk reaches its target against brute
// force with fewer exact distances than the stopping rule alone.
TEST(Routing, NeighbourSkippingComputesFewerDistancesAtTheTarget) {
  IndexAndQueries s = BuildLowRank(3000, 200);
  SearchParams learned;
  learned.k = 10;
  learned.routing = RoutingMode::kLearned;
  learned.target_recall = 0.95f;

  // A walk that holds its ef results early, so that it has a bound to skip by.
  RouterOptions stop_only = Options();
  stop_only.ef = 24;
  stop_only.skip_rank = 0;
  stop_only.default_target_recall = 0.95f;  // the report's routed figures are for this target
  auto plain_report = s.index->TrainRouter(stop_only);
  ASSERT_TRUE(plain_report.ok()) << plain_report.status().message();
  EXPECT_EQ(plain_report.value().skip_rank, 0u);
  const Walks stopped = SearchAll(*s.index, s.w.queries, learned);
  EXPECT_EQ(s.index->Stats().routing.skipped_neighbours, 0u);

  RouterOptions skipping = stop_only;
  skipping.skip_rank = 16;
  auto report = s.index->TrainRouter(skipping);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report.value().skip_rank, 16u);
  EXPECT_GT(report.value().skip_margins[4], 0.0f);  // the 0.95 target skips
  EXPECT_GT(report.value().routed_estimates, 0.0);
  const auto stats = s.index->Stats().routing;
  EXPECT_EQ(stats.skip_rank, 16u);
  EXPECT_EQ(stats.skip_table_bytes, 3000u * (16 + sizeof(float)));  // a byte per coordinate and the residual
  const Walks skipped = SearchAll(*s.index, s.w.queries, learned);
  EXPECT_GT(s.index->Stats().routing.skipped_neighbours, 0u);
  const double recall_stopped = MeanRecallAgainstBruteForce(s, stopped, 10);
  const double recall_skipped = MeanRecallAgainstBruteForce(s, skipped, 10);
  std::printf("target 0.95: stopping rule %.4f recall, %.1f distances; with skipping (rank 16) %.4f, %.1f\n",
              recall_stopped, stopped.computations, recall_skipped, skipped.computations);
  EXPECT_GE(recall_skipped, 0.92);
  EXPECT_LT(skipped.computations, 0.8 * stopped.computations);

  // Items added after training get projections: they are found.
  const Dataset extra = [&] {
    Dataset d = s.w.queries;  // query points as new items
    return d;
  }();
  for (uint32_t i = 0; i < 50; ++i) ASSERT_TRUE(s.index->Add(ItemKey::Number(100000 + i), extra.row(i)).ok());
  EXPECT_EQ(s.index->Stats().routing.skip_table_bytes, 3050u * (16 + sizeof(float)));
  uint32_t self_found = 0;
  for (uint32_t i = 0; i < 50; ++i) {
    auto hits = s.index->Search(extra.row(i), learned);
    ASSERT_TRUE(hits.ok());
    for (const SearchHit& h : hits.value()) self_found += IdOf(*s.index, h.slot) == 100000 + static_cast<int64_t>(i);
  }
  EXPECT_GE(self_found, 48u);
}

TEST(Routing, FallsBackToThePlainWalkWhereTheRouterCannotRun) {
  IndexAndQueries s = Build(2000, 20);
  for (uint32_t i = 0; i < s.w.base.n; ++i) {
    ASSERT_TRUE(s.index->SetMetadata(ItemKey::Number(i), i % 2 ? R"({"odd":true})" : R"({"odd":false})").ok());
  }
  SearchParams asked;
  asked.k = 5;  // the router is for k = 10
  asked.routing = RoutingMode::kLearned;
  SearchParams plain = asked;
  plain.routing = RoutingMode::kPlain;

  // No router: kLearned walks plainly and says so; kAuto does not count.
  ExpectSameHits(SearchAll(*s.index, s.w.queries, asked), SearchAll(*s.index, s.w.queries, plain));
  EXPECT_EQ(s.index->Stats().routing.fallbacks, s.w.queries.n);
  SearchParams automatic = asked;
  automatic.routing = RoutingMode::kAuto;
  SearchAll(*s.index, s.w.queries, automatic);
  EXPECT_EQ(s.index->Stats().routing.fallbacks, s.w.queries.n);

  ASSERT_TRUE(s.index->TrainRouter(Options()).ok());
  ExpectSameHits(SearchAll(*s.index, s.w.queries, asked), SearchAll(*s.index, s.w.queries, plain));  // k differs
  EXPECT_EQ(s.index->Stats().routing.fallbacks, 2u * s.w.queries.n);
  asked.k = 10;
  asked.filter = R"({"odd": true})";
  plain.k = 10;
  plain.filter = asked.filter;
  ExpectSameHits(SearchAll(*s.index, s.w.queries, asked), SearchAll(*s.index, s.w.queries, plain));  // filtered
  EXPECT_EQ(s.index->Stats().routing.fallbacks, 3u * s.w.queries.n);
  EXPECT_EQ(s.index->Stats().routing.learned_searches, 0u);

  // Writes after training are counted (the router may need retraining).
  ASSERT_TRUE(s.index->Remove(ItemKey::Number(3)).ok());
  EXPECT_EQ(s.index->Stats().routing.changes_since_training, 1u);
  ASSERT_TRUE(s.index->DropRouter().ok());
  EXPECT_FALSE(s.index->Stats().routing.trained);
}

TEST(Routing, BadOptionsQueriesAndSmallIndexesAreRefused) {
  IndexAndQueries s = Build(600, 5);
  std::vector<float> queries(30 * kDim, 0.5f);
  queries[7 * kDim + 3] = std::numeric_limits<float>::quiet_NaN();
  // Each case changes one option of a valid set; every one must be refused.
  const std::vector<std::pair<const char*, std::function<void(RouterOptions&)>>> cases = {
      {"k 0", [](RouterOptions& o) { o.k = 0; }},
      {"ef below k", [](RouterOptions& o) { o.ef = 5; }},
      {"5 items", [](RouterOptions& o) { o.items = 5; }},
      {"calibration share 0.95", [](RouterOptions& o) { o.calibration_share = 0.95; }},
      {"default target 0.2", [](RouterOptions& o) { o.default_target_recall = 0.2f; }},
      {"0 threads", [](RouterOptions& o) { o.threads = 0; }},
      {"query count without queries", [](RouterOptions& o) { o.query_count = 30; }},
      {"a NaN in query 7",
       [&](RouterOptions& o) {
         o.queries = queries.data();
         o.query_count = 30;
       }},
  };
  for (const auto& [name, change] : cases) {
    RouterOptions o = Options();
    change(o);
    auto r = s.index->TrainRouter(o);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << name << ": " << r.status().message();
  }
  EXPECT_FALSE(s.index->Stats().routing.trained);

  SearchParams p;
  p.target_recall = 1.5f;
  auto r = s.index->Search(s.w.queries.row(0), p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);

  auto small = MakeIndex(Config(kDim, Metric::kL2));
  Dataset few = Clustered(50, kDim, 1);
  ASSERT_TRUE(AddAll(*small, few));
  auto refused = small->TrainRouter(Options());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
}

TEST(Routing, TrainingFromGivenQueriesAndCancelling) {
  IndexAndQueries s = Build(3000, 400);
  RouterOptions o = Options();
  o.queries = s.w.queries.data.data();
  o.query_count = s.w.queries.n;
  int calls = 0;
  o.on_progress = [&](double) { return ++calls < 3; };
  auto cancelled = s.index->TrainRouter(o);
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.status().code(), StatusCode::kAborted);
  EXPECT_FALSE(s.index->Stats().routing.trained);

  double last = -1;
  o.on_progress = [&](double f) {
    EXPECT_GE(f, last);
    last = f;
    return true;
  };
  auto trained = s.index->TrainRouter(o);
  ASSERT_TRUE(trained.ok()) << trained.status().message();
  EXPECT_EQ(last, 1.0);
  EXPECT_EQ(trained.value().training_walks + trained.value().calibration_walks, s.w.queries.n);
  EXPECT_TRUE(s.index->Stats().routing.trained);
}

// A query far from everything the router learned from (its k-th distance past
// the familiar bound) never stops early: it walks as the plain walk does.
TEST(Routing, QueriesUnlikeTheTrainingOnesWalkToHnswsRule) {
  IndexAndQueries s = Build(3000, 200);
  ASSERT_TRUE(s.index->TrainRouter(Options()).ok());
  SearchParams learned;
  learned.k = 10;
  learned.ef = 64;
  learned.routing = RoutingMode::kLearned;
  learned.target_recall = 0.8f;
  SearchParams plain = learned;
  plain.routing = RoutingMode::kPlain;

  SearchAll(*s.index, s.w.queries, learned);
  const auto familiar = s.index->Stats().routing;
  EXPECT_GT(familiar.early_stops, s.w.queries.n / 2);
  EXPECT_LT(familiar.unfamiliar, s.w.queries.n / 20);  // about 1% of training walks lie past the bound

  Dataset far = s.w.queries;
  for (float& v : far.data) v = 6.0f - 2.0f * v;  // reflected and moved away from the clusters
  ExpectSameHits(SearchAll(*s.index, far, learned), SearchAll(*s.index, far, plain));
  const auto after = s.index->Stats().routing;
  EXPECT_EQ(after.early_stops, familiar.early_stops);
  EXPECT_EQ(after.unfamiliar - familiar.unfamiliar, far.n);
}

// Trained in slices (what the wasm module does between events) or in one
// call: the same walks, the same router. A write between slices ends it.
TEST(Routing, TrainingInStepsEqualsOneCallAndAWriteBetweenStepsEndsIt) {
  IndexAndQueries s = Build(3000, 200);
  SearchParams learned;
  learned.k = 10;
  learned.routing = RoutingMode::kLearned;
  ASSERT_TRUE(s.index->TrainRouter(Options()).ok());
  const Walks whole = SearchAll(*s.index, s.w.queries, learned);
  ASSERT_TRUE(s.index->DropRouter().ok());

  auto refused = s.index->RouterTrainingStep(10);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);

  ASSERT_TRUE(s.index->BeginRouterTraining(Options()).ok());
  uint64_t steps = 0, last_done = 0;
  // Every item walks, then (neighbour skipping) the held-out ones again once
  // per skip margin: 5 x 560 more (the calibration share, 0.7 of 800).
  const uint64_t held_out = static_cast<uint64_t>(std::lround(Options().items * Options().calibration_share));
  const uint64_t total = Options().items + 5 * held_out;
  ASSERT_EQ(held_out, 560u);
  while (true) {
    auto step = s.index->RouterTrainingStep(97);
    ASSERT_TRUE(step.ok()) << step.status().message();
    ++steps;
    EXPECT_GT(step.value().walks_done, last_done);
    last_done = step.value().walks_done;
    EXPECT_EQ(step.value().walks_total, total);
    if (step.value().done) {
      EXPECT_GT(step.value().report.routed_recall, 0.5);
      break;
    }
    EXPECT_FALSE(s.index->Stats().routing.trained);  // nothing changes until the last step
  }
  // A step ends where the first walks end (the basis is fitted between).
  EXPECT_EQ(steps, (Options().items + 96) / 97 + (total - Options().items + 96) / 97);
  ExpectSameHits(SearchAll(*s.index, s.w.queries, learned), whole);

  ASSERT_TRUE(s.index->BeginRouterTraining(Options()).ok());
  ASSERT_TRUE(s.index->RouterTrainingStep(50).ok());
  ASSERT_TRUE(s.index->Remove(ItemKey::Number(5)).ok());
  auto ended = s.index->RouterTrainingStep(50);
  ASSERT_FALSE(ended.ok());
  EXPECT_EQ(ended.status().code(), StatusCode::kFailedPrecondition) << ended.status().message();
  EXPECT_FALSE(s.index->RouterTrainingStep(50).ok());  // ended for good
  ExpectSameHits(SearchAll(*s.index, s.w.queries, learned), SearchAll(*s.index, s.w.queries, learned));
  EXPECT_TRUE(s.index->Stats().routing.trained);  // the earlier router stays
}

// The router is a section of the file: a saved and loaded index routes as the
// one that trained it, and knows how many writes came after training.
TEST(Routing, TheRouterTravelsInTheFileAndDamageIsRefused) {
  IndexAndQueries s = BuildLowRank(3000, 200);
  RouterOptions options = Options();
  options.skip_rank = 16;
  ASSERT_TRUE(s.index->TrainRouter(options).ok());
  ASSERT_TRUE(s.index->Remove(ItemKey::Number(8)).ok());
  SearchParams learned;
  learned.k = 10;
  learned.routing = RoutingMode::kLearned;
  learned.target_recall = 0.9f;
  const Walks before = SearchAll(*s.index, s.w.queries, learned);
  EXPECT_EQ(s.index->Stats().routing.fallbacks, 0u);

  const std::string bytes = s.index->SaveToBytes();
  auto loaded = VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const auto routing = loaded.value()->Stats().routing;
  EXPECT_TRUE(routing.trained);
  EXPECT_EQ(routing.k, 10u);
  EXPECT_EQ(routing.ef, 64u);
  EXPECT_EQ(routing.changes_since_training, 1u);
  EXPECT_GT(routing.skip_rank, 0u);  // neighbour skipping travels too (its basis; the table is rebuilt)
  ExpectSameHits(SearchAll(*loaded.value(), s.w.queries, learned), before);
  EXPECT_GT(loaded.value()->Stats().routing.early_stops, 0u);
  EXPECT_EQ(loaded.value()->SaveToBytes(), bytes);  // save -> load -> save: the same bytes

  // Damage inside the section, checksums re-sealed: the reader's own checks.
  const SectionRef router = FindSection(bytes, neurovec::index_file::kRouter);
  ASSERT_EQ(router.kind, neurovec::index_file::kRouter);
  EXPECT_EQ(router.flags, 0u);  // optional: a reader without routing opens the index
  ExpectDamageRefused(bytes, router,
                      {{"k 0", PutU32At(4, 0)},
                       {"ef below k", PutU32At(8, 3)},
                       {"7 features", PutU32At(12, 7)},
                       {"a NaN weight", PutU32At(20, 0x7fc00000u)},
                       {"cut short",
                        [](std::string& f, SectionRef& s) {
                          s.length -= 8;
                          PutU32(f, s.table_pos + 16, static_cast<uint32_t>(s.length));
                        }},
                       // Version 2's part: skip margins from byte 140, the projection from 172 (rank, stride, scale, mean...).
                       {"a skip margin of 100", PutU32At(140, 0x42c80000u)},
                       {"rank 17", PutU32At(172, 17)},
                       {"a NaN in the mean", PutU32At(184, 0x7fc00000u)},
                       // Version 3's part ends the section: 8 plain efs, then the mask of targets they serve.
                       {"a plain ef past the training ef",
                        [](std::string& f, SectionRef& s) { PutU32(f, s.offset + s.length - 36, 65); }},
                       {"a target served plainly without an ef",
                        [](std::string& f, SectionRef& s) {
                          PutU32(f, s.offset + s.length - 36, 0);
                          PutU32(f, s.offset + s.length - 4, 1);
                        }},
                       {"a served target past the list", [](std::string& f, SectionRef& s) { PutU32(f, s.offset + s.length - 4, 1u << 8); }}},
                      "router");
  ExpectNewerVersionRefused(bytes, router, 4);

  // Dropped: the next save has no router section.
  ASSERT_TRUE(loaded.value()->DropRouter().ok());
  for (const SectionRef& r : Sections(loaded.value()->SaveToBytes())) EXPECT_NE(r.kind, neurovec::index_file::kRouter);
}

// The plain walk per target: training finds the smallest ef whose plain walks
// of the held-out items reach each target, and `routing: plain` with a recall
// walks there. Which walk serves a target is timed (not asserted here), but
// where the plain walk serves, a learned search is exactly that plain walk.
TEST(Routing, PlainWalkPerTargetIsCalibratedAndServesWhereChosen) {
  IndexAndQueries s = BuildLowRank(3000, 200);
  auto report = s.index->TrainRouter(Options());
  ASSERT_TRUE(report.ok()) << report.status().message();
  const RouterReport& r = report.value();
  uint32_t previous = 0;
  for (int i = 0; i < 8; ++i) {
    EXPECT_FALSE(r.plain_serves[i]);  // plain_when_faster off
    EXPECT_EQ(r.learned_us[i], 0.0);  // and nothing timed
    if (r.plain_ef[i] == 0) continue;
    EXPECT_GE(r.plain_ef[i], previous) << "target " << i;  // higher targets need no smaller ef
    EXPECT_GE(r.plain_ef[i], 10u);
    EXPECT_LE(r.plain_ef[i], 64u);
    previous = r.plain_ef[i];
  }
  const uint32_t ef90 = r.plain_ef[2];  // target 0.90
  ASSERT_GT(ef90, 0u);

  // routing plain + recall 0.9 (no ef): the plain walk at the calibrated ef, which
  // reaches the target on queries the router never saw (it learned from items).
  SearchParams asked;
  asked.k = 10;
  asked.routing = RoutingMode::kPlain;
  asked.target_recall = 0.9f;
  SearchParams at_ef = asked;
  at_ef.target_recall = 0;
  at_ef.ef = ef90;
  const Walks plain90 = SearchAll(*s.index, s.w.queries, at_ef);
  ExpectSameHits(SearchAll(*s.index, s.w.queries, asked), plain90);
  EXPECT_GE(MeanRecallAgainstBruteForce(s, plain90, 10), 0.87);
  EXPECT_EQ(s.index->Stats().routing.learned_searches, 0u);

  // The plain walk made to serve 0.90 in the file (the mask after the 8 efs at
  // the section's end): learned searches for 0.90 are that plain walk, counted;
  // 0.99 still takes the learned walk.
  std::string bytes = s.index->SaveToBytes();
  const SectionRef router = FindSection(bytes, neurovec::index_file::kRouter);
  PutU32(bytes, router.offset + router.length - 4, 1u << 2);
  Reseal(bytes, router);
  auto served = OpenImage(bytes);
  ASSERT_TRUE(served.ok()) << served.status().message();
  SearchParams learned;
  learned.k = 10;
  learned.routing = RoutingMode::kLearned;
  learned.target_recall = 0.9f;
  ExpectSameHits(SearchAll(*served.value(), s.w.queries, learned), plain90);
  auto stats = served.value()->Stats().routing;
  EXPECT_EQ(stats.plain_served, s.w.queries.n);
  EXPECT_EQ(stats.learned_searches, 0u);
  learned.target_recall = 0.99f;
  SearchAll(*served.value(), s.w.queries, learned);
  stats = served.value()->Stats().routing;
  EXPECT_EQ(stats.plain_served, s.w.queries.n);
  EXPECT_EQ(stats.learned_searches, s.w.queries.n);
  EXPECT_EQ(served.value()->SaveToBytes(), bytes);  // the choice travels in the file

  // Timed (the default): each target with a plain ef is timed both ways, and the faster serves it.
  RouterOptions timed = Options();
  timed.plain_when_faster = true;
  auto retimed = s.index->TrainRouter(timed);
  ASSERT_TRUE(retimed.ok()) << retimed.status().message();
  for (int i = 0; i < 8; ++i) {
    const RouterReport& t = retimed.value();
    EXPECT_EQ(t.plain_ef[i], r.plain_ef[i]) << "target " << i;  // the same walks calibrate the same efs
    if (t.plain_ef[i] == 0) continue;
    EXPECT_GT(t.learned_us[i], 0.0);
    EXPECT_GT(t.plain_us[i], 0.0);
    EXPECT_EQ(t.plain_serves[i], t.plain_us[i] < t.learned_us[i]);
  }
}

#if !defined(__EMSCRIPTEN__)
// A durable index checkpoints when a router is trained or dropped (the log has
// no record for it), so a crash right after leaves it in the file.
TEST(Routing, ADurableIndexKeepsItsRouterAcrossReopen) {
  char dir_template[] = "/tmp/neurovec-routing-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/index.nvx";
  IndexAndQueries s = Build(2000, 100);
  SearchParams learned;
  learned.k = 10;
  learned.routing = RoutingMode::kLearned;
  Walks before;
  {
    auto storage = neurovec::OpenFileStorage(path, neurovec::FileMode::kCreate);
    ASSERT_TRUE(storage.ok());
    auto created = VectorIndex::Create(Config(kDim, Metric::kL2, 8, 64), storage.take());
    ASSERT_TRUE(created.ok()) << created.status().message();
    ASSERT_TRUE(AddAll(*created.value(), s.w.base));
    ASSERT_TRUE(created.value()->TrainRouter(Options()).ok());
    before = SearchAll(*created.value(), s.w.queries, learned);
    // No Sync or Close: what TrainRouter wrote must already be in the file.
  }
  {
    auto reader = neurovec::OpenFileStorage(path, neurovec::FileMode::kReadOnly);
    ASSERT_TRUE(reader.ok());
    auto opened = VectorIndex::Open(reader.take(), neurovec::OpenOptions{true});
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    EXPECT_TRUE(opened.value()->Stats().routing.trained);
    ExpectSameHits(SearchAll(*opened.value(), s.w.queries, learned), before);
    // Read-only: training and dropping are writes.
    auto refused = opened.value()->TrainRouter(Options());
    ASSERT_FALSE(refused.ok());
    EXPECT_FALSE(opened.value()->DropRouter().ok());
  }
  {
    auto writer = neurovec::OpenFileStorage(path, neurovec::FileMode::kReadWrite);
    ASSERT_TRUE(writer.ok());
    auto opened = VectorIndex::Open(writer.take());
    ASSERT_TRUE(opened.ok());
    ASSERT_TRUE(opened.value()->DropRouter().ok());
  }
  auto reader = neurovec::OpenFileStorage(path, neurovec::FileMode::kReadOnly);
  auto opened = VectorIndex::Open(reader.take(), neurovec::OpenOptions{true});
  ASSERT_TRUE(opened.ok());
  EXPECT_FALSE(opened.value()->Stats().routing.trained);
  unlink(path.c_str());
  unlink((path + ".lock").c_str());
  rmdir(dir_template);
}
#endif

// ---- The trainer's arithmetic, on made-up records.

using neurovec::routing::kStopFeatures;
using neurovec::routing::RecordedWalk;
using neurovec::routing::StopModel;
using neurovec::routing::WalkRecord;

TEST(StopTrainer, LogisticFitReachesAStationaryPointNearTheTrueWeights) {
  Rng rng(11);
  const double truth[kStopFeatures] = {-0.5, 1.5, -1.0, 0.8, 0.0, 0.3, -0.2, 0.4, 0.0};
  std::vector<RecordedWalk> walks(20000);
  for (RecordedWalk& w : walks) {
    WalkRecord r{};
    double z = 0;
    for (int i = 0; i < kStopFeatures; ++i) {
      r.features[i] = i == 0 ? 1.0f : static_cast<float>(rng.Normal());
      z += truth[i] * r.features[i];
    }
    r.found = rng.Uniform() < 1.0 / (1.0 + std::exp(-z)) ? 1 : 0;
    w.records.push_back(r);
    w.final_found = 1;
  }
  float fitted[kStopFeatures];
  ASSERT_TRUE(neurovec::routing::FitStopWeights(walks, fitted));
  double gradient[kStopFeatures] = {};
  for (const RecordedWalk& w : walks) {
    const WalkRecord& r = w.records[0];
    double z = 0;
    for (int i = 0; i < kStopFeatures; ++i) z += fitted[i] * r.features[i];
    const double p = 1.0 / (1.0 + std::exp(-z));
    for (int i = 0; i < kStopFeatures; ++i) gradient[i] += (p - r.found) * r.features[i] / walks.size();
  }
  for (int i = 0; i < kStopFeatures; ++i) {
    EXPECT_NEAR(gradient[i], 0.0, 1e-3) << "feature " << i;     // the ridge is 1e-4 |w|
    EXPECT_NEAR(fitted[i], truth[i], 0.12) << "feature " << i;  // 20000 samples
  }

  // One class only: nothing to learn.
  for (RecordedWalk& w : walks) w.records[0].found = 1;
  EXPECT_FALSE(neurovec::routing::FitStopWeights(walks, fitted));
}

TEST(StopTrainer, CalibratedThresholdsReachTheirTargetsOnReplay) {
  Rng rng(5);
  StopModel model;
  model.k = 10;
  model.weights[1] = 1.0f;  // the score is feature 1, which grows along a walk
  std::vector<RecordedWalk> walks(500);
  for (RecordedWalk& w : walks) {
    uint16_t found = static_cast<uint16_t>(rng.Below(6));
    float score = static_cast<float>(rng.Normal());
    const int steps = 5 + static_cast<int>(rng.Below(20));
    for (int s = 0; s < steps; ++s) {
      WalkRecord r{};
      score += static_cast<float>(rng.Uniform());
      if (found < 10 && rng.Uniform() < 0.4) ++found;
      r.features[1] = score;
      r.found = found;
      r.computations = 10u * (s + 1);
      w.records.push_back(r);
    }
    w.final_found = found;
    w.final_computations = 10u * (steps + 1);
  }
  neurovec::routing::CalibrateThresholds(walks, model);
  const double ceiling = neurovec::routing::ReplayWithThreshold(walks, model, INFINITY).recall;
  EXPECT_FLOAT_EQ(model.calibration_ceiling, static_cast<float>(ceiling));
  float previous = -INFINITY;
  for (int t = 0; t < StopModel::kTargets; ++t) {
    const float target = StopModel::kTargetRecalls[t];
    const float threshold = model.thresholds[t];
    EXPECT_GE(threshold, previous) << "target " << target;
    previous = threshold;
    if (target > ceiling) {
      EXPECT_TRUE(std::isinf(threshold)) << "target " << target << " is past what full walks reach";
      continue;
    }
    const auto at = neurovec::routing::ReplayWithThreshold(walks, model, threshold);
    EXPECT_GE(at.recall, target);
    // Slightly earlier stops fall short: the threshold is the smallest that reaches the target.
    const auto below = neurovec::routing::ReplayWithThreshold(walks, model, threshold - 1e-3f);
    EXPECT_LT(below.recall, target) << "target " << target;
  }
}

}  // namespace
