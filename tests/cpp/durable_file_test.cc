// The durable index file: create/sync/reopen, checkpoints, read-only and
// locked opens, log truncation at every offset, corruption in the middle of
// the log, and power loss and I/O failures injected by FaultStorage.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fault_storage.h"
#include "neurovec/storage.h"
#include "neurovec/vector_index.h"
#include "test_util.h"

#if !defined(__EMSCRIPTEN__)
#include <stdlib.h>
#include <unistd.h>
#endif

namespace nvtest {
namespace {

using neurovec::MemoryStorage;
using neurovec::OpenOptions;
using neurovec::Status;
using neurovec::StatusCode;
using neurovec::Storage;

constexpr uint32_t kDim = 8;

IndexConfig SmallConfig() {
  IndexConfig c;
  c.dimensions = kDim;
  c.metric = Metric::kL2;
  c.m = 8;
  c.ef_construction = 32;
  return c;
}

// What the index should hold: id -> (vector, metadata).
struct Item {
  std::vector<float> vector;
  std::string metadata;
  bool operator==(const Item& o) const { return vector == o.vector && metadata == o.metadata; }
};
using Model = std::map<int64_t, Item>;

std::vector<float> VectorFor(int64_t id) {
  Rng rng(1000 + static_cast<uint64_t>(id));
  std::vector<float> v(kDim);
  for (float& x : v) x = static_cast<float>(rng.Uniform(-1, 1));
  return v;
}

// Whether the index holds exactly the model (ids, vectors bit for bit, metadata).
bool Holds(const VectorIndex& index, const Model& model, std::string* why = nullptr) {
  if (index.size() != model.size()) {
    if (why) *why = "size " + std::to_string(index.size()) + " != " + std::to_string(model.size());
    return false;
  }
  std::vector<float> got(kDim);
  for (const auto& [id, item] : model) {
    auto slot = index.SlotOf(ItemKey::Number(id));
    if (!slot.ok()) {
      if (why) *why = "id " + std::to_string(id) + " missing";
      return false;
    }
    index.GetVector(slot.value(), got.data());
    if (got != item.vector || index.Metadata(slot.value()) != item.metadata) {
      if (why) *why = "id " + std::to_string(id) + " differs";
      return false;
    }
  }
  return true;
}

// One write, applied to the index and (when it succeeds) to the model.
struct Op {
  enum Kind { kAdd, kDelete, kMeta } kind;
  int64_t id;
  std::string metadata;
};

Status Apply(VectorIndex& index, const Op& op) {
  switch (op.kind) {
    case Op::kAdd: {
      std::vector<float> v = VectorFor(op.id);
      auto r = index.Add(ItemKey::Number(op.id), v.data(), op.metadata);
      return r.ok() ? Status::Ok() : r.status();
    }
    case Op::kDelete: {
      auto r = index.Remove(ItemKey::Number(op.id));
      return r.ok() ? Status::Ok() : r.status();
    }
    case Op::kMeta:
      return index.SetMetadata(ItemKey::Number(op.id), op.metadata);
  }
  return Status::Ok();
}

void Apply(Model& model, const Op& op) {
  switch (op.kind) {
    case Op::kAdd: model[op.id] = {VectorFor(op.id), op.metadata}; break;
    case Op::kDelete: model.erase(op.id); break;
    case Op::kMeta: model[op.id].metadata = op.metadata; break;
  }
}

// A random next write for the model: mostly adds, some deletes and updates.
Op RandomOp(Rng& rng, const Model& model, int64_t& next_id) {
  uint64_t r = rng.Next() % 10;
  if (model.empty() || r < 6) {
    int64_t id = next_id++;
    return {Op::kAdd, id, (id % 3 == 0) ? "{\"n\":" + std::to_string(id) + "}" : ""};
  }
  auto it = model.begin();
  std::advance(it, static_cast<long>(rng.Next() % model.size()));
  if (r < 8) return {Op::kDelete, it->first, ""};
  return {Op::kMeta, it->first, "{\"tag\":\"t" + std::to_string(rng.Next() % 100) + "\"}"};
}

std::unique_ptr<Storage> On(const std::shared_ptr<SimulatedDisk>& disk) { return std::make_unique<FaultStorage>(disk); }

TEST(DurableFile, CreateSyncReopenKeepsEverything) {
  auto disk = std::make_shared<SimulatedDisk>();
  Model model;
  {
    auto created = VectorIndex::Create(SmallConfig(), On(disk));
    ASSERT_TRUE(created.ok()) << created.status().message();
    auto& index = *created.value();
    EXPECT_TRUE(index.durable());
    for (int64_t id = 0; id < 300; ++id) {
      Op op{Op::kAdd, id, id % 2 ? "{\"odd\":true}" : ""};
      ASSERT_TRUE(Apply(index, op).ok());
      Apply(model, op);
    }
    for (int64_t id = 0; id < 300; id += 7) {
      ASSERT_TRUE(Apply(index, {Op::kDelete, id, ""}).ok());
      Apply(model, {Op::kDelete, id, ""});
    }
    ASSERT_TRUE(Apply(index, {Op::kMeta, 1, "{\"x\":1}"}).ok());
    Apply(model, {Op::kMeta, 1, "{\"x\":1}"});
    ASSERT_TRUE(index.Sync().ok());
    EXPECT_GT(index.Stats().file.log_bytes, 0u);
    ASSERT_TRUE(index.Close().ok());
    // Closed: readable in memory, writes refused.
    EXPECT_TRUE(Holds(index, model));
    EXPECT_EQ(Apply(index, {Op::kAdd, 5000, ""}).code(), StatusCode::kFailedPrecondition);
  }
  auto opened = VectorIndex::Open(On(disk));
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  std::string why;
  EXPECT_TRUE(Holds(*opened.value(), model, &why)) << why;
  EXPECT_GT(opened.value()->Stats().file.replayed_records, 300u);
  EXPECT_FALSE(opened.value()->Stats().file.trimmed_torn_tail);
  // Searches find every live item as its own nearest neighbour.
  SearchParams params;
  params.k = 1;
  for (const auto& [id, item] : model) {
    auto hits = opened.value()->Search(item.vector.data(), params);
    ASSERT_TRUE(hits.ok());
    EXPECT_EQ(opened.value()->KeyOf(hits.value()[0].slot), ItemKey::Number(id));
  }
}

TEST(DurableFile, CheckpointsFoldTheLogAndKeepTheFileBounded) {
  auto disk = std::make_shared<SimulatedDisk>();
  Model model;
  Rng rng(7);
  int64_t next_id = 0;
  auto created = VectorIndex::Create(SmallConfig(), On(disk));
  ASSERT_TRUE(created.ok());
  auto& index = *created.value();
  uint64_t largest = 0;
  for (int round = 0; round < 12; ++round) {
    for (int i = 0; i < 150; ++i) {
      Op op = RandomOp(rng, model, next_id);
      ASSERT_TRUE(Apply(index, op).ok());
      Apply(model, op);
    }
    ASSERT_TRUE(index.Checkpoint().ok());
    auto stats = index.Stats().file;
    EXPECT_EQ(stats.log_bytes, 0u);
    EXPECT_EQ(stats.generation, 2u + round);
    largest = std::max<uint64_t>(largest, disk->current.size());
    // Two images and the headers at most, whichever end of the file they use.
    EXPECT_LE(disk->current.size(), 3 * stats.image_bytes + 4 * 8192) << "round " << round;
    auto reopened = VectorIndex::Open(std::make_unique<MemoryStorage>(disk->current), OpenOptions{true});
    ASSERT_TRUE(reopened.ok()) << reopened.status().message();
    EXPECT_EQ(reopened.value()->Stats().file.replayed_records, 0u);
    std::string why;
    EXPECT_TRUE(Holds(*reopened.value(), model, &why)) << why;
  }
  std::printf("largest file %llu bytes; final image %llu bytes\n", static_cast<unsigned long long>(largest),
              static_cast<unsigned long long>(index.Stats().file.image_bytes));
}

TEST(DurableFile, SnapshotBytesOpenForWritingAndFromBytesReplaysTheLog) {
  auto plain = VectorIndex::Create(SmallConfig());
  ASSERT_TRUE(plain.ok());
  Model model;
  for (int64_t id = 0; id < 50; ++id) {
    ASSERT_TRUE(Apply(*plain.value(), {Op::kAdd, id, ""}).ok());
    Apply(model, {Op::kAdd, id, ""});
  }
  auto disk = std::make_shared<SimulatedDisk>();
  disk->durable = disk->current = plain.value()->SaveToBytes();
  {
    auto opened = VectorIndex::Open(On(disk));
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    ASSERT_TRUE(Apply(*opened.value(), {Op::kAdd, 77, "{\"a\":1}"}).ok());
    Apply(model, {Op::kAdd, 77, "{\"a\":1}"});
    ASSERT_TRUE(opened.value()->Sync().ok());
  }
  // The file now has a log; loading its bytes replays it.
  auto loaded = VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(disk->current.data()), disk->current.size());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_FALSE(loaded.value()->durable());
  std::string why;
  EXPECT_TRUE(Holds(*loaded.value(), model, &why)) << why;
}

TEST(DurableFile, ReadOnlyOpensRefuseWrites) {
  auto disk = std::make_shared<SimulatedDisk>();
  {
    auto created = VectorIndex::Create(SmallConfig(), On(disk));
    ASSERT_TRUE(created.ok());
    ASSERT_TRUE(Apply(*created.value(), {Op::kAdd, 1, ""}).ok());
    ASSERT_TRUE(created.value()->Sync().ok());
  }
  const std::string before = disk->current;
  auto opened = VectorIndex::Open(On(disk), OpenOptions{true});
  ASSERT_TRUE(opened.ok());
  auto& index = *opened.value();
  EXPECT_EQ(Apply(index, {Op::kAdd, 2, ""}).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Apply(index, {Op::kDelete, 1, ""}).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Apply(index, {Op::kMeta, 1, "{}"}).code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(index.Contains(ItemKey::Number(1)));
  EXPECT_TRUE(index.Sync().ok());
  EXPECT_TRUE(index.Close().ok());
  EXPECT_EQ(disk->current, before) << "a read-only open must not write";
}

// Every synced group survives any cut of the file after it; a cut inside the
// last group loses only that group (never acknowledged if the cut is a crash).
TEST(DurableFile, EveryTruncationOfTheLogRecoversTheSyncedPrefix) {
  auto disk = std::make_shared<SimulatedDisk>();
  std::vector<Model> at_sync;      // model after each sync
  std::vector<uint64_t> sync_end;  // file size after each sync
  std::vector<std::vector<Op>> group_ops(1);  // writes of the group after each sync
  Model model;
  Rng rng(11);
  int64_t next_id = 0;
  {
    auto created = VectorIndex::Create(SmallConfig(), On(disk));
    ASSERT_TRUE(created.ok());
    at_sync.push_back(model);
    sync_end.push_back(disk->current.size());
    for (int group = 0; group < 6; ++group) {
      for (int i = 0; i < 3; ++i) {
        Op op = RandomOp(rng, model, next_id);
        ASSERT_TRUE(Apply(*created.value(), op).ok());
        Apply(model, op);
        group_ops.back().push_back(op);
      }
      ASSERT_TRUE(created.value()->Sync().ok());
      at_sync.push_back(model);
      sync_end.push_back(disk->current.size());
      group_ops.emplace_back();
    }
  }
  const std::string file = disk->current;
  int opened_count = 0;
  for (uint64_t cut = sync_end[0]; cut <= file.size(); ++cut) {
    auto opened = VectorIndex::Open(std::make_unique<MemoryStorage>(file.substr(0, cut)), OpenOptions{true});
    ASSERT_TRUE(opened.ok()) << "cut at " << cut << ": " << opened.status().message();
    size_t g = 0;
    while (g + 1 < sync_end.size() && sync_end[g + 1] <= cut) ++g;
    // The synced groups, plus whole records of the cut group (never a part of one).
    Model candidate = at_sync[g];
    bool matched = Holds(*opened.value(), candidate);
    for (size_t j = 0; j < group_ops[g].size() && !matched; ++j) {
      Apply(candidate, group_ops[g][j]);
      matched = Holds(*opened.value(), candidate);
    }
    EXPECT_TRUE(matched) << "cut at " << cut;
    if (cut == sync_end[g]) {
      EXPECT_FALSE(opened.value()->Stats().file.trimmed_torn_tail);
    }
    ++opened_count;
  }
  EXPECT_GT(opened_count, 100);
}

TEST(DurableFile, DamageBeforeALaterGroupIsReportedNotSkipped) {
  auto disk = std::make_shared<SimulatedDisk>();
  uint64_t first_group_end = 0, log_start = 0;
  {
    auto created = VectorIndex::Create(SmallConfig(), On(disk));
    ASSERT_TRUE(created.ok());
    log_start = disk->current.size();
    for (int64_t id = 0; id < 3; ++id) ASSERT_TRUE(Apply(*created.value(), {Op::kAdd, id, ""}).ok());
    ASSERT_TRUE(created.value()->Sync().ok());
    first_group_end = disk->current.size();
    for (int64_t id = 3; id < 6; ++id) ASSERT_TRUE(Apply(*created.value(), {Op::kAdd, id, ""}).ok());
    ASSERT_TRUE(created.value()->Sync().ok());
  }
  // A flipped byte in every position of the first group: the second group was
  // written after the first was flushed, so this is corruption, not a crash.
  int reported = 0;
  for (uint64_t at = log_start; at < first_group_end; at += 3) {
    std::string bad = disk->current;
    bad[at] ^= 0x40;
    auto opened = VectorIndex::Open(std::make_unique<MemoryStorage>(bad), OpenOptions{true});
    ASSERT_FALSE(opened.ok()) << "damage at " << at << " was not reported";
    EXPECT_EQ(opened.status().code(), StatusCode::kCorrupt) << opened.status().message();
    ++reported;
  }
  EXPECT_GT(reported, 20);
  // The same damage in the last group is a torn tail: the first group survives.
  std::string bad = disk->current;
  bad[first_group_end + 10] ^= 0x40;
  auto opened = VectorIndex::Open(std::make_unique<MemoryStorage>(bad), OpenOptions{true});
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  EXPECT_EQ(opened.value()->size(), 3u);
  EXPECT_TRUE(opened.value()->Stats().file.trimmed_torn_tail);
}

// Power loss at random moments (during any write, flush or truncate of a sync
// or checkpoint), then each unsynced change dropped, kept or garbled: every
// acknowledged write survives, and what comes back is the synced state plus a
// prefix of the later writes (nothing half-applied, nothing out of order).
// Recovery replays the log on top of the last checkpoint with the level
// generator as that checkpoint saved it, so the recovered index is the one
// the process had built: the same bytes, not just the same items.
TEST(DurableFile, RecoveryRebuildsTheSameIndex) {
  auto disk = std::make_shared<SimulatedDisk>();
  std::string before_crash;
  {
    auto created = VectorIndex::Create(SmallConfig(), On(disk));
    ASSERT_TRUE(created.ok());
    auto& index = *created.value();
    Model model;
    Rng rng(77);
    int64_t next_id = 0;
    for (int i = 0; i < 600; ++i) {
      Op op = RandomOp(rng, model, next_id);
      ASSERT_TRUE(Apply(index, op).ok());
      Apply(model, op);
      if (i == 299) {
        ASSERT_TRUE(index.Checkpoint().ok());
      }
      if (i % 50 == 49) {
        ASSERT_TRUE(index.Sync().ok());
      }
    }
    ASSERT_TRUE(index.Sync().ok());
    auto bytes = index.ToBytes();
    ASSERT_TRUE(bytes.ok());
    before_crash = bytes.take();
  }  // no checkpoint: the last 300 writes live only in the log
  auto reopened = VectorIndex::Open(On(disk));
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  EXPECT_GT(reopened.value()->Stats().file.replayed_records, 0u);
  auto after = reopened.value()->ToBytes();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after.value() == before_crash) << "the replayed index differs from the one that was written";
}

struct PowerLossTally {
  int runs = 0, crashes_with_damage = 0;
  uint64_t acknowledged = 0, recovered_beyond = 0;
};

// Runs of: create, `preload` adds and a checkpoint (synced), then random
// writes with syncs and checkpoints until the power fails at a random change;
// Crash(); reopen with `reopen` and compare against the model.
void PowerLossRuns(Rng& rng, int runs, int preload, const OpenOptions& reopen, PowerLossTally& tally) {
  for (int run = 0; run < runs; ++run) {
    auto disk = std::make_shared<SimulatedDisk>();
    Model acked;                 // state at the last successful sync
    std::vector<Op> since_ack;   // writes made after it
    int64_t next_id = 0;
    {
      auto created = VectorIndex::Create(SmallConfig(), On(disk));
      ASSERT_TRUE(created.ok());
      auto& index = *created.value();
      Model model;
      for (int i = 0; i < preload; ++i) {
        const Op op{Op::kAdd, next_id++, ""};
        ASSERT_TRUE(Apply(index, op).ok());
        Apply(model, op);
      }
      if (preload > 0) {
        ASSERT_TRUE(index.Checkpoint().ok());
        acked = model;
        tally.acknowledged += preload;
      }
      disk->die_at = 1 + rng.Next() % 120;
      for (int i = 0; i < 400 && !disk->dead; ++i) {
        Op op = RandomOp(rng, model, next_id);
        Status applied = Apply(index, op);
        if (!applied.ok()) break;  // the handle refuses writes after the failure
        Apply(model, op);
        since_ack.push_back(op);
        uint64_t r = rng.Next() % 10;
        Status synced = Status::Ok();
        if (r < 3) synced = index.Sync();
        if (r == 3) synced = index.Checkpoint();
        if (r <= 3 && synced.ok()) {
          acked = model;
          tally.acknowledged += since_ack.size();
          since_ack.clear();
        }
      }
      // The index goes away without another sync: the process died.
    }
    tally.crashes_with_damage += disk->Crash(rng) > 0;
    ++tally.runs;
    auto opened = VectorIndex::Open(On(disk), reopen);
    ASSERT_TRUE(opened.ok()) << "run " << run << ": " << opened.status().message();
    Model candidate = acked;
    bool matched = Holds(*opened.value(), candidate);
    size_t prefix = 0;
    for (size_t j = 0; j < since_ack.size() && !matched; ++j) {
      Apply(candidate, since_ack[j]);
      matched = Holds(*opened.value(), candidate);
      prefix = j + 1;
    }
    ASSERT_TRUE(matched) << "run " << run << ": recovered state is not the synced state plus a prefix of later writes";
    tally.recovered_beyond += prefix;
    // The recovered file takes new writes and survives another reopen.
    ASSERT_TRUE(Apply(*opened.value(), {Op::kAdd, 1000000, ""}).ok());
    ASSERT_TRUE(opened.value()->Sync().ok());
    opened.value().reset();
    auto again = VectorIndex::Open(On(disk), reopen);
    ASSERT_TRUE(again.ok()) << again.status().message();
    EXPECT_TRUE(again.value()->Contains(ItemKey::Number(1000000)));
  }
}

void PrintTally(const char* what, const PowerLossTally& t) {
  std::printf("%s: %d runs, %d with unsynced changes dropped or garbled, %llu acknowledged writes, 0 lost; "
              "%llu unacknowledged writes recovered too\n",
              what, t.runs, t.crashes_with_damage, static_cast<unsigned long long>(t.acknowledged),
              static_cast<unsigned long long>(t.recovered_beyond));
}

TEST(DurableFile, PowerLossLoopKeepsEverySyncedWrite) {
  Rng rng(2024);
  PowerLossTally tally;
  PowerLossRuns(rng, 300, 0, OpenOptions{}, tally);
  PrintTally("power loss", tally);
  EXPECT_GT(tally.crashes_with_damage, tally.runs / 3);
}

// The same with the vectors paged in on demand after the reopen (a 1,100-item
// checkpoint first: paging needs a calibrated store, which takes 1,024 items),
// through a cache of two blocks, checksums verified block by block.
TEST(DurableFile, PowerLossLoopKeepsEverySyncedWriteWhenReopenedPaged) {
  Rng rng(2025);
  OpenOptions paged;
  paged.page_cache_bytes = 8192;
  {
    // The reopen below really pages: checked once, outside the loop.
    auto disk = std::make_shared<SimulatedDisk>();
    auto created = VectorIndex::Create(SmallConfig(), On(disk));
    ASSERT_TRUE(created.ok());
    for (int64_t id = 0; id < 1100; ++id) ASSERT_TRUE(Apply(*created.value(), {Op::kAdd, id, ""}).ok());
    ASSERT_TRUE(created.value()->Checkpoint().ok());
    created.value().reset();
    auto opened = VectorIndex::Open(On(disk), paged);
    ASSERT_TRUE(opened.ok());
    EXPECT_TRUE(opened.value()->Stats().paging.paged);
  }
  PowerLossTally tally;
  PowerLossRuns(rng, 40, 1100, paged, tally);
  PrintTally("power loss, reopened paged", tally);
  EXPECT_GT(tally.crashes_with_damage, tally.runs / 3);
}

// The N-th write or flush fails: the call reports it, later writes are
// refused, and reopening recovers every write synced before the failure.
TEST(DurableFile, FailedWritesAndFlushesAreStickyAndLoseNothingSynced) {
  int failures_seen = 0;
  for (int kind = 0; kind < 2; ++kind) {
    for (uint64_t n = 1; n <= 30; ++n) {
      auto disk = std::make_shared<SimulatedDisk>();
      Model acked;
      Model model;
      {
        auto created = VectorIndex::Create(SmallConfig(), On(disk));
        ASSERT_TRUE(created.ok());
        auto& index = *created.value();
        (kind == 0 ? disk->fail_write_at : disk->fail_flush_at) = disk->writes + disk->flushes + n;
        bool failed = false;
        for (int64_t id = 0; id < 60 && !failed; ++id) {
          Op op{Op::kAdd, id, ""};
          Status s = Apply(index, op);
          if (!s.ok()) {
            failed = true;
            break;
          }
          Apply(model, op);
          Status synced = (id % 10 == 9) ? index.Checkpoint() : index.Sync();
          if (synced.ok()) {
            acked = model;
          } else {
            EXPECT_EQ(synced.code(), StatusCode::kIoError) << synced.message();
            failed = true;
          }
        }
        if (failed) {
          ++failures_seen;
          EXPECT_EQ(Apply(index, {Op::kAdd, 999, ""}).code(), StatusCode::kFailedPrecondition);
          EXPECT_FALSE(index.Sync().ok());
        }
      }
      Rng rng(n * 31 + kind);
      disk->Crash(rng);
      disk->fail_write_at = disk->fail_flush_at = 0;
      auto opened = VectorIndex::Open(On(disk));
      ASSERT_TRUE(opened.ok()) << opened.status().message();
      // Everything acknowledged is there; at most the failed write's item more.
      for (const auto& [id, item] : acked) EXPECT_TRUE(opened.value()->Contains(ItemKey::Number(id))) << id;
      EXPECT_LE(opened.value()->size(), model.size());
    }
  }
  EXPECT_GT(failures_seen, 40);
}

// Power lost at each step of an Optimize (its repairs reach the file only by
// the checkpoint that ends it): the reopened index holds every synced item,
// its graph is either the old one or the repaired one, and it can be
// optimized again.
TEST(DurableFile, PowerLossDuringOptimizeKeepsAConsistentIndex) {
  int repaired_on_disk = 0, old_on_disk = 0;
  for (uint64_t step = 1; step <= 14; ++step) {
    SCOPED_TRACE(step);
    auto disk = std::make_shared<SimulatedDisk>();
    Model model;
    {
      auto created = VectorIndex::Create(SmallConfig(), On(disk));
      ASSERT_TRUE(created.ok());
      VectorIndex& index = *created.value();
      for (int64_t id = 0; id < 400; ++id) {
        Op op{Op::kAdd, id, id % 4 == 0 ? "{\"k\":1}" : ""};
        ASSERT_TRUE(Apply(index, op).ok());
        Apply(model, op);
      }
      for (int64_t id = 0; id < 400; id += 3) {
        ASSERT_TRUE(Apply(index, {Op::kDelete, id, ""}).ok());
        Apply(model, {Op::kDelete, id, ""});
      }
      ASSERT_TRUE(index.Sync().ok());
      ASSERT_GT(index.Health().value().links_to_tombstones, 0u);
      disk->die_at = disk->changes + step;
      (void)index.Optimize();  // may fail once the power is gone
    }
    Rng rng(step * 7 + 1);
    disk->Crash(rng);
    disk->die_at = 0;
    auto opened = VectorIndex::Open(On(disk));
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    std::string why;
    EXPECT_TRUE(Holds(*opened.value(), model, &why)) << why;
    auto health = opened.value()->Health();
    ASSERT_TRUE(health.ok());
    EXPECT_EQ(health.value().live, model.size());
    (health.value().links_to_tombstones == 0 ? repaired_on_disk : old_on_disk)++;
    auto again = opened.value()->Optimize();
    ASSERT_TRUE(again.ok()) << again.status().message();
    EXPECT_EQ(again.value().unreachable_after, 0u);
    EXPECT_TRUE(Holds(*opened.value(), model, &why)) << why;
  }
  std::printf("power loss during optimize: %d reopened with the repaired graph, %d with the old one\n",
              repaired_on_disk, old_on_disk);
  EXPECT_GT(repaired_on_disk, 0);
  EXPECT_GT(old_on_disk, 0);
}

// Storages without views (the JS host's, FaultStorage) get the vectors read
// straight into the store; their checksum is still checked there.
TEST(DurableFile, VectorsReadInPlaceAreChecksummed) {
  auto built = VectorIndex::Create(SmallConfig());
  ASSERT_TRUE(built.ok());
  for (int64_t id = 0; id < 200; ++id) ASSERT_TRUE(Apply(*built.value(), {Op::kAdd, id, ""}).ok());
  const std::string bytes = built.value()->SaveToBytes();
  auto disk = std::make_shared<SimulatedDisk>();
  disk->durable = disk->current = bytes;
  auto good = VectorIndex::Open(On(disk), OpenOptions{true});
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_EQ(good.value()->SaveToBytes(), bytes);
  // Flip a byte inside the vectors section (kind 4, found through the table).
  auto u64_at = [&](size_t o) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[o + i])) << (8 * i);
    return v;
  };
  size_t at = 0;
  for (uint64_t e = u64_at(32); e < u64_at(32) + u64_at(40); e += 32) {
    if (static_cast<uint8_t>(bytes[e]) == 4) at = static_cast<size_t>(u64_at(e + 8) + 100);
  }
  ASSERT_GT(at, 0u);
  disk->current[at] ^= 0x08;
  auto bad = VectorIndex::Open(On(disk), OpenOptions{true});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(bad.status().message().find("vectors"), std::string::npos) << bad.status().message();
  OpenOptions unchecked;
  unchecked.read_only = true;
  unchecked.verify_checksums = false;
  EXPECT_TRUE(VectorIndex::Open(On(disk), unchecked).ok());
}

#if !defined(__EMSCRIPTEN__)
TEST(FileStorage, RealFileRoundTripLockAndReadOnly) {
  char dir_template[] = "/tmp/neurovec-durable-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/index.nvx";
  Model model;
  {
    auto storage = neurovec::OpenFileStorage(path, neurovec::FileMode::kCreate);
    ASSERT_TRUE(storage.ok()) << storage.status().message();
    auto created = VectorIndex::Create(SmallConfig(), storage.take());
    ASSERT_TRUE(created.ok()) << created.status().message();
    for (int64_t id = 0; id < 100; ++id) {
      ASSERT_TRUE(Apply(*created.value(), {Op::kAdd, id, ""}).ok());
      Apply(model, {Op::kAdd, id, ""});
    }
    ASSERT_TRUE(created.value()->Sync().ok());
    // A second writer is refused while this one holds the file.
    auto second = neurovec::OpenFileStorage(path, neurovec::FileMode::kReadWrite);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.status().code(), StatusCode::kLocked) << second.status().message();
    auto again = neurovec::OpenFileStorage(path, neurovec::FileMode::kCreate);
    EXPECT_FALSE(again.ok());
    // A reader may open it meanwhile (mapped, read-only).
    auto reader = neurovec::OpenFileStorage(path, neurovec::FileMode::kReadOnly);
    ASSERT_TRUE(reader.ok());
    auto read_index = VectorIndex::Open(reader.take(), OpenOptions{true});
    ASSERT_TRUE(read_index.ok()) << read_index.status().message();
    EXPECT_TRUE(Holds(*read_index.value(), model));
    ASSERT_TRUE(created.value()->Close().ok());
  }
  // A lock left by a process that is gone is taken over.
  {
    FILE* f = std::fopen((path + ".lock").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fprintf(f, "999999999\n");
    std::fclose(f);
  }
  auto storage = neurovec::OpenFileStorage(path, neurovec::FileMode::kReadWrite);
  ASSERT_TRUE(storage.ok()) << storage.status().message();
  auto opened = VectorIndex::Open(storage.take());
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  EXPECT_TRUE(Holds(*opened.value(), model));
  ASSERT_TRUE(opened.value()->Checkpoint().ok());
  opened.value().reset();
  auto missing = neurovec::OpenFileStorage(path + ".absent", neurovec::FileMode::kReadOnly);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  // An empty file (a crash right after creating it) can be created over; a
  // non-empty one cannot.
  const std::string empty = path + ".empty";
  std::fclose(std::fopen(empty.c_str(), "w"));
  auto over = neurovec::OpenFileStorage(empty, neurovec::FileMode::kCreate);
  ASSERT_TRUE(over.ok()) << over.status().message();
  auto fresh = VectorIndex::Create(SmallConfig(), over.take());
  ASSERT_TRUE(fresh.ok()) << fresh.status().message();
  fresh.value().reset();
  EXPECT_EQ(neurovec::OpenFileStorage(empty, neurovec::FileMode::kCreate).status().code(), StatusCode::kAlreadyExists);
  std::remove(empty.c_str());
  std::remove(path.c_str());
  std::remove(dir_template);
}

// A read-only mapped file is used in place (rows and level-0 lists borrowed):
// the same answers as a full copy, writes refused, and verify_checksums decides
// whether damage in the vectors section is caught at open.
TEST(FileStorage, MappedReadOnlyOpenUsesTheFileInPlace) {
  char dir_template[] = "/tmp/neurovec-mapped-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/index.nvx";
  Dataset data = Clustered(3000, 24, 99);
  IndexConfig config;
  config.dimensions = 24;
  config.metric = Metric::kL2;
  config.m = 8;
  config.ef_construction = 40;
  auto built = VectorIndex::Create(config);
  ASSERT_TRUE(built.ok());
  for (uint32_t i = 0; i < 3000; ++i) ASSERT_TRUE(built.value()->Add(ItemKey::Number(i), data.row(i)).ok());
  for (int64_t id = 0; id < 3000; id += 17) ASSERT_TRUE(built.value()->Remove(ItemKey::Number(id)).value());
  std::string bytes = built.value()->SaveToBytes();
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
    std::fclose(f);
  }
  for (bool verify : {true, false}) {
    auto storage = neurovec::OpenFileStorage(path, neurovec::FileMode::kReadOnly);
    ASSERT_TRUE(storage.ok());
    OpenOptions options;
    options.read_only = true;
    options.verify_checksums = verify;
    auto mapped = VectorIndex::Open(storage.take(), options);
    ASSERT_TRUE(mapped.ok()) << mapped.status().message();
    EXPECT_EQ(mapped.value()->SaveToBytes(), bytes) << "in-place data must be the file's";
    SearchParams params;
    params.k = 10;
    for (uint32_t q = 0; q < 3000; q += 97) {
      auto a = mapped.value()->Search(data.row(q), params);
      auto b = built.value()->Search(data.row(q), params);
      ASSERT_TRUE(a.ok() && b.ok());
      ASSERT_EQ(a.value().size(), b.value().size());
      for (size_t i = 0; i < a.value().size(); ++i) {
        EXPECT_EQ(a.value()[i].slot, b.value()[i].slot);
        EXPECT_EQ(a.value()[i].distance, b.value()[i].distance);
      }
    }
    EXPECT_EQ(mapped.value()->Add(ItemKey::Number(99999), data.row(0)).status().code(), StatusCode::kFailedPrecondition);
    EXPECT_TRUE(mapped.value()->Close().ok());
    // Still readable after close: the mapping lives as long as the index.
    EXPECT_TRUE(mapped.value()->Search(data.row(5), params).ok());
  }
  // Damage one byte in the middle of the vectors section (kind 4), found
  // through the section table (header: u64 table offset at byte 32).
  auto u64_at = [&](size_t o) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[o + i])) << (8 * i);
    return v;
  };
  const uint64_t table = u64_at(32), table_length = u64_at(40);
  size_t at = std::string::npos;
  for (uint64_t e = table; e < table + table_length; e += 32) {
    if (static_cast<uint8_t>(bytes[e]) == 4) at = static_cast<size_t>(u64_at(e + 8) + u64_at(e + 16) / 2);
  }
  ASSERT_NE(at, std::string::npos);
  std::string bad = bytes;
  bad[at + 1] ^= 0x10;
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_EQ(std::fwrite(bad.data(), 1, bad.size(), f), bad.size());
    std::fclose(f);
  }
  for (bool verify : {true, false}) {
    auto storage = neurovec::OpenFileStorage(path, neurovec::FileMode::kReadOnly);
    OpenOptions options;
    options.read_only = true;
    options.verify_checksums = verify;
    auto opened = VectorIndex::Open(storage.take(), options);
    if (verify) {
      ASSERT_FALSE(opened.ok());
      EXPECT_EQ(opened.status().code(), StatusCode::kCorrupt);
      EXPECT_NE(opened.status().message().find("vectors"), std::string::npos) << opened.status().message();
    } else {
      EXPECT_TRUE(opened.ok()) << "unverified opens do not read the vectors";
    }
  }
  std::remove(path.c_str());
  std::remove(dir_template);
}
#endif

}  // namespace
}  // namespace nvtest
