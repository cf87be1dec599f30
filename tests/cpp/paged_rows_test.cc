// Paged vectors (OpenOptions::page_cache_bytes, storage/row_pager.h): an index
// opened without reading its rows answers exactly as one read whole, stays
// within its cache bound, detects a damaged block when a search reaches it,
// takes writes, checkpoints and saves the same bytes; and a store attached to
// its file lets rows go and reads them back (VectorStore::Release/Retain).
//
// Paged level-0 lists (the PagedGraph tests, hnsw/hnsw_graph.h PageLevel0):
// the same for the graph's level-0 neighbour lists, plus the checks of each
// block's links, the first write reading them all in, an older file without
// the graph-blocks section, and a cache of a few blocks.
#include <atomic>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "neurovec/storage.h"
#include "neurovec/vector_index.h"
#include "util/crc32c.h"
#include "persistence/index_file.h"
#include "storage/owner_thread_reads.h"
#include "storage/vector_store.h"
#include "no_view_storage.h"
#include "test_util.h"

namespace nvtest {
namespace {

using neurovec::MemoryStorage;
using neurovec::OpenOptions;
using neurovec::Result;
using neurovec::Status;
using neurovec::StatusCode;
using neurovec::Storage;


constexpr uint32_t kDim = 40;  // rows of 48 floats (192 bytes): 21 rows per block

struct Built {
  Dataset data;
  Dataset queries;
  std::string bytes;
};

Built BuildIndex(uint32_t n, Metric metric = Metric::kL2) {
  Built b;
  b.data = Clustered(n, kDim, 11);
  b.queries = Clustered(40, kDim, 12);
  auto index = MakeIndex(Config(kDim, metric, 8, 64));
  EXPECT_TRUE(AddAll(*index, b.data));
  b.bytes = index->SaveToBytes();
  return b;
}

std::unique_ptr<VectorIndex> OpenPaged(std::shared_ptr<std::string> bytes, bool read_only, uint64_t cache,
                                       bool verify = true, NoViewStorage** storage_out = nullptr) {
  auto storage = std::make_unique<NoViewStorage>(std::move(bytes));
  if (storage_out) *storage_out = storage.get();
  OpenOptions options;
  options.read_only = read_only;
  options.verify_checksums = verify;
  options.page_cache_bytes = cache;
  auto opened = VectorIndex::Open(std::move(storage), options);
  EXPECT_TRUE(opened.ok()) << opened.status().message();
  return opened.ok() ? opened.take() : nullptr;
}

std::unique_ptr<VectorIndex> OpenWhole(const std::string& bytes) {
  auto loaded = VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  EXPECT_TRUE(loaded.ok()) << loaded.status().message();
  return loaded.take();
}

// Same ids and distances, in order.
void ExpectSameSearches(const VectorIndex& a, const VectorIndex& b, const Dataset& queries, uint32_t k = 10) {
  for (uint32_t q = 0; q < queries.n; ++q) {
    SearchParams p;
    p.k = k;
    auto ra = a.Search(queries.row(q), p);
    auto rb = b.Search(queries.row(q), p);
    ASSERT_TRUE(ra.ok()) << ra.status().message();
    ASSERT_TRUE(rb.ok()) << rb.status().message();
    ASSERT_EQ(Ids(a, ra.value()), Ids(b, rb.value())) << "query " << q;
    for (size_t i = 0; i < ra.value().size(); ++i) EXPECT_EQ(ra.value()[i].distance, rb.value()[i].distance);
  }
}

// Offset of the vectors section (read from the file's table).
uint64_t VectorsOffset(const std::string& bytes) {
  auto table = neurovec::index_file::ReadSectionTable(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  EXPECT_TRUE(table.ok());
  for (const auto& e : table.value()) {
    if (e.kind == neurovec::index_file::kVectors) return e.offset;
  }
  ADD_FAILURE() << "no vectors section";
  return 0;
}


// The same writes on two indexes of the 2,500 items of BuildIndex: 300 adds
// (new slots), every 9th item deleted, then 100 adds into the freed slots.
void SameWrites(VectorIndex& a, VectorIndex& b) {
  Dataset extra = Clustered(300, kDim, 13);
  for (uint32_t i = 0; i < 300; ++i) {
    ASSERT_TRUE(a.Add(ItemKey::Number(100000 + i), extra.row(i)).ok());
    ASSERT_TRUE(b.Add(ItemKey::Number(100000 + i), extra.row(i)).ok());
  }
  for (int64_t id = 0; id < 2500; id += 9) {
    ASSERT_TRUE(a.Remove(ItemKey::Number(id)).value());
    ASSERT_TRUE(b.Remove(ItemKey::Number(id)).value());
  }
  Dataset reused = Clustered(100, kDim, 14);
  for (uint32_t i = 0; i < 100; ++i) {
    ASSERT_TRUE(a.Add(ItemKey::Number(200000 + i), reused.row(i)).ok());
    ASSERT_TRUE(b.Add(ItemKey::Number(200000 + i), reused.row(i)).ok());
  }
}

TEST(PagedRows, SearchesEqualAWholeReadAndStayWithinTheCache) {
  for (Metric metric : {Metric::kL2, Metric::kCosine}) {
    Built b = BuildIndex(3000, metric);
    auto bytes = std::make_shared<std::string>(b.bytes);
    const uint64_t cache = 64 * 1024;  // 16 blocks of a 576 KB vectors section
    auto paged = OpenPaged(bytes, true, cache);
    ASSERT_NE(paged, nullptr);
    auto whole = OpenWhole(b.bytes);
    neurovec::IndexStats before = paged->Stats();
    EXPECT_TRUE(before.paging.paged);
    EXPECT_EQ(before.paging.block_reads, 0u) << "an open reads no rows";
    ExpectSameSearches(*paged, *whole, b.queries);
    neurovec::IndexStats after = paged->Stats();
    EXPECT_GT(after.paging.block_reads, 0u);
    EXPECT_LE(after.paging.cached_bytes, after.paging.cache_bytes);
    EXPECT_LE(after.paging.cache_bytes, cache);
    EXPECT_LT(after.memory.vectors, whole->Stats().memory.vectors / 4) << "rows stay in the file";
    // Vectors come back exactly, for every item (each read through the cache).
    std::vector<float> got(kDim), want(kDim);
    for (uint32_t slot = 0; slot < 3000; slot += 7) {
      paged->GetVector(slot, got.data());
      whole->GetVector(slot, want.data());
      ASSERT_EQ(got, want) << "slot " << slot;
    }
    EXPECT_EQ(paged->SaveToBytes(), b.bytes) << "save of a paged index gives the same bytes";
  }
}


// A search of a paged index that reaches a damaged block: it fails with
// kCorrupt, its message names where (`where`) and why (`why`, may be empty),
// and, with `retried`, a second search fails too (a bad block is never cached).
void ExpectSearchFailsCorrupt(const VectorIndex& index, const Built& b, const std::string& where,
                              const std::string& why, bool retried) {
  SearchParams p;
  p.k = 5;
  auto r = index.Search(b.queries.row(0), p);
  ASSERT_FALSE(r.ok()) << "never an out-of-range read, never wrong results";
  EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(r.status().message().find(where), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(why), std::string::npos) << r.status().message();
  if (retried) {
    EXPECT_FALSE(index.Search(b.queries.row(1), p).ok()) << "a damaged block is never cached";
  }
}

// The file of `b` (n items) with one value damaged in every vectors block:
// any search then reaches a damaged block.
std::shared_ptr<std::string> WithEveryVectorBlockDamaged(const Built& b, uint32_t n) {
  auto damaged = std::make_shared<std::string>(b.bytes);
  const uint64_t vectors = VectorsOffset(b.bytes);
  const size_t row_bytes = 48 * 4, block_bytes = 21 * row_bytes;
  for (size_t at = vectors + 5; at < vectors + n * row_bytes; at += block_bytes) (*damaged)[at] ^= 0x40;
  return damaged;
}

TEST(PagedRows, ADamagedBlockFailsTheSearchThatReachesItNotTheOpen) {
  Built b = BuildIndex(2000);
  auto damaged = WithEveryVectorBlockDamaged(b, 2000);
  auto paged = OpenPaged(damaged, true, 1 << 20);
  ASSERT_NE(paged, nullptr) << "the open reads no rows, so it cannot see the damage";
  ExpectSearchFailsCorrupt(*paged, b, "vectors section: block", "", true);
  SearchParams p;
  p.k = 5;
  // Without verification the same file answers (a damaged value gives a wrong
  // distance, never a crash); the undamaged file answers with verification.
  auto unverified = OpenPaged(damaged, true, 1 << 20, false);
  ASSERT_NE(unverified, nullptr);
  EXPECT_TRUE(unverified->Search(b.queries.row(0), p).ok());
  auto good = OpenPaged(std::make_shared<std::string>(b.bytes), true, 1 << 20);
  EXPECT_TRUE(good->Search(b.queries.row(0), p).ok());
}

TEST(PagedRows, AReadFailureFailsTheSearchAndALaterSearchRecovers) {
  Built b = BuildIndex(1500);
  NoViewStorage* storage = nullptr;
  auto paged = OpenPaged(std::make_shared<std::string>(b.bytes), true, 1 << 20, true, &storage);
  ASSERT_NE(paged, nullptr);
  auto whole = OpenWhole(b.bytes);
  storage->fail_reads = true;
  SearchParams p;
  p.k = 10;
  auto failed = paged->Search(b.queries.row(0), p);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kIoError);
  storage->fail_reads = false;
  ExpectSameSearches(*paged, *whole, b.queries);
}

TEST(PagedRows, WritesCheckpointsAndCloseGiveWhatAWholeReadGives) {
  Built b = BuildIndex(2500);
  auto file = std::make_shared<std::string>(b.bytes);
  auto paged = OpenPaged(file, false, 32 * 1024);
  ASSERT_NE(paged, nullptr);
  ASSERT_TRUE(paged->Stats().paging.paged);
  auto whole = OpenWhole(b.bytes);
  // The same writes on both: adds (new slots), deletes, adds into freed slots.
  ASSERT_NO_FATAL_FAILURE(SameWrites(*paged, *whole));
  ExpectSameSearches(*paged, *whole, b.queries);
  EXPECT_EQ(paged->SaveToBytes(), whole->SaveToBytes());
  // A checkpoint writes the paged rows into the new image and reads from it after.
  ASSERT_TRUE(paged->Checkpoint().ok());
  EXPECT_TRUE(paged->Stats().paging.paged);
  ExpectSameSearches(*paged, *whole, b.queries);
  ASSERT_TRUE(paged->Sync().ok());
  auto reopened = OpenPaged(file, true, 32 * 1024);
  ASSERT_NE(reopened, nullptr);
  ExpectSameSearches(*reopened, *whole, b.queries);
  // Close reads the rows in, so the index stays usable without its file.
  ASSERT_TRUE(paged->Close().ok());
  EXPECT_FALSE(paged->Stats().paging.paged);
  ExpectSameSearches(*paged, *whole, b.queries);
}

TEST(PagedRows, ReleasedRowsLeaveMemoryAndComeBackFromTheFile) {
  // A store attached to a section of a file it wrote itself.
  neurovec::VectorStore store(kDim, Metric::kL2);
  const uint32_t n = 500;
  ASSERT_TRUE(store.Reserve(n).ok());
  Dataset data = Clustered(n, kDim, 21);
  store.CalibrateDimensionOrder(0, data.data.data(), n);
  for (uint32_t s = 0; s < n; ++s) store.Store(s, data.row(s));
  const uint64_t offset = 4096;
  auto bytes = std::make_shared<std::string>(offset, '\0');
  for (uint32_t s = 0; s < n; ++s) bytes->append(reinterpret_cast<const char*>(store.Row(s)), store.stride() * 4);
  NoViewStorage file(bytes);
  neurovec::RowSection section;
  section.offset = offset;
  section.slots = n;
  section.rows_per_block = neurovec::RowsPerBlock(store.stride() * 4);
  std::vector<float> expected(static_cast<size_t>(n) * store.stride());
  ASSERT_TRUE(store.CopyRows(0, n, expected.data()).ok());

  EXPECT_FALSE(store.Releasable(0)) << "no file yet";
  store.AttachFile(&file, section, false, 8 * 1024);
  const uint64_t full = store.memory_bytes();
  for (uint32_t s = 0; s < n; s += 2) ASSERT_TRUE(store.Release(s));
  EXPECT_TRUE(store.paged());
  EXPECT_LT(store.memory_bytes(), full * 3 / 5) << "half the rows left memory";
  for (uint32_t s = 0; s < n; ++s) {
    ASSERT_EQ(0, std::memcmp(store.Row(s), expected.data() + static_cast<size_t>(s) * store.stride(), store.stride() * 4))
        << "slot " << s;
  }
  // A row written after the file was written is not the file's: not releasable.
  store.Store(1, data.row(2));
  EXPECT_FALSE(store.Releasable(1));
  EXPECT_FALSE(store.Release(1));
  // Retained rows are in memory again: reads no longer touch the file.
  for (uint32_t s = 0; s < n; s += 2) ASSERT_TRUE(store.Retain(s).ok());
  const uint64_t reads = file.reads;
  for (uint32_t s = 0; s < n; s += 2) (void)store.Row(s);
  EXPECT_EQ(file.reads, reads);
  ASSERT_TRUE(store.Materialize().ok());
  EXPECT_FALSE(store.paged());
  EXPECT_EQ(0, std::memcmp(store.Row(4), expected.data() + 4 * store.stride(), store.stride() * 4));
}

TEST(PagedRows, SmallIndexesAreReadWhole) {
  // Under 1024 items the store has not ordered its dimensions yet (it will
  // rewrite every row when it does), so it keeps its rows in memory.
  Built small = BuildIndex(300);
  auto paged = OpenPaged(std::make_shared<std::string>(small.bytes), true, 1 << 20);
  ASSERT_NE(paged, nullptr);
  EXPECT_FALSE(paged->Stats().paging.paged);
  ExpectSameSearches(*paged, *OpenWhole(small.bytes), small.queries);
}

// ---------------------------------------------------------------- PagedGraph

namespace index_file = neurovec::index_file;

constexpr uint32_t kM0 = 16;              // Config(kDim, metric, 8, 64): m = 8
constexpr size_t kListBytes = (kM0 + 1) * 4;  // 68 bytes: 60 lists per 4 KiB block
constexpr uint32_t kListsPerBlock = 4096 / kListBytes;

index_file::SectionEntry Section(const std::string& bytes, uint32_t kind) {
  auto table = index_file::ReadSectionTable(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  EXPECT_TRUE(table.ok());
  for (const auto& e : table.value()) {
    if (e.kind == kind) return e;
  }
  ADD_FAILURE() << "no section of kind " << kind;
  return {};
}

// Offset of slot 0's level-0 list: the graph section's head is 12 bytes,
// then a level and a flag per slot, padded to 4.
uint64_t Level0Offset(const std::string& bytes, uint32_t used) {
  return Section(bytes, index_file::kGraph).offset + 12 + (2 * used + 3) / 4 * 4;
}

uint32_t U32At(const std::string& bytes, uint64_t at) {
  uint32_t v;
  std::memcpy(&v, bytes.data() + at, 4);
  return v;
}
void PutU32(std::string& bytes, uint64_t at, uint32_t v) { std::memcpy(&bytes[at], &v, 4); }

// The same snapshot without the section of `kind`, as a writer before it
// made one would have written it (table, header and length adjusted).
std::string WithoutSection(const std::string& bytes, uint32_t kind) {
  auto header = index_file::ReadHeader(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), nullptr);
  EXPECT_TRUE(header.ok());
  index_file::Header h = header.value();
  std::string table;
  for (uint64_t e = h.table_offset; e < h.table_offset + h.table_length; e += index_file::kTableEntryBytes) {
    if (U32At(bytes, e) != kind) table.append(bytes, e, index_file::kTableEntryBytes);
  }
  EXPECT_EQ(table.size() + index_file::kTableEntryBytes, h.table_length) << "one entry of that kind";
  std::string out = bytes.substr(0, h.table_offset) + table;
  h.table_length = table.size();
  h.table_crc = neurovec::Crc32c(reinterpret_cast<const uint8_t*>(table.data()), table.size());
  h.image_end = out.size();
  const std::string slot = index_file::EncodeHeader(h);
  std::memcpy(&out[0], slot.data(), slot.size());
  std::memcpy(&out[index_file::kPageSize], slot.data(), slot.size());
  return out;
}

TEST(PagedGraph, SearchesEqualAnUnpagedOpenExactlyWithoutReadingLevel0AtOpen) {
  for (Metric metric : {Metric::kL2, Metric::kCosine}) {
    Built b = BuildIndex(3000, metric);
    auto bytes = std::make_shared<std::string>(b.bytes);
    const uint64_t cache = 64 * 1024;
    NoViewStorage* storage = nullptr;
    auto paged = OpenPaged(bytes, true, cache, true, &storage);
    ASSERT_NE(paged, nullptr);
    auto whole = OpenWhole(b.bytes);
    const neurovec::IndexStats before = paged->Stats();
    EXPECT_TRUE(before.paging.graph_paged);
    EXPECT_EQ(before.paging.graph_block_reads, 0u) << "an open reads no level-0 lists";
    // Neither the rows nor the level-0 lists were read (the norms were).
    const uint64_t level0 = 3000ull * kListBytes, rows = 3000ull * 48 * 4;
    EXPECT_LE(storage->bytes_read, b.bytes.size() - level0 - rows);
    EXPECT_LT(before.memory.graph, whole->Stats().memory.graph / 2) << "level 0 stays in the file";
    // One bound for both caches.
    EXPECT_LE(before.paging.cache_bytes + before.paging.graph_cache_bytes, cache);
    EXPECT_GT(before.paging.graph_cache_bytes, 0u);

    ExpectSameSearches(*paged, *whole, b.queries);
    const neurovec::IndexStats after = paged->Stats();
    EXPECT_GT(after.paging.graph_block_reads, 0u);
    EXPECT_EQ(after.paging.graph_bytes_read, after.paging.graph_block_reads * kListsPerBlock * kListBytes)
        << "whole blocks (3000 = 50 x 60 lists)";
    EXPECT_GT(after.paging.graph_hits, 0u);
    EXPECT_LE(after.paging.graph_cached_bytes, after.paging.graph_cache_bytes);
    EXPECT_TRUE(after.paging.graph_paged) << "searches do not read level 0 in";
    EXPECT_EQ(paged->SaveToBytes(), b.bytes) << "save of a paged graph gives the same bytes";
    EXPECT_TRUE(paged->Stats().paging.graph_paged) << "a save reads lists past the cache";
  }
}

TEST(PagedGraph, AFlippedByteInALevel0BlockFailsTheSearchNamingTheGraph) {
  Built b = BuildIndex(3000);
  auto damaged = std::make_shared<std::string>(b.bytes);
  const uint64_t level0 = Level0Offset(b.bytes, 3000);
  // One flipped byte in every block of lists (the high byte of a slot's
  // count, so the lists would also be refused): any search reaches one.
  for (uint64_t at = level0 + 3; at < level0 + 3000 * kListBytes; at += kListsPerBlock * kListBytes) (*damaged)[at] ^= 0x01;
  auto paged = OpenPaged(damaged, true, 1 << 20);
  ASSERT_NE(paged, nullptr) << "the open reads no level-0 lists, so it cannot see the damage";
  EXPECT_TRUE(paged->Stats().paging.graph_paged);
  ExpectSearchFailsCorrupt(*paged, b, "graph section: level-0 block", "fails its checksum", true);
  // A write must read every list: it fails, and leaves the index as it was.
  auto writable = OpenPaged(std::make_shared<std::string>(*damaged), false, 1 << 20);
  ASSERT_NE(writable, nullptr);
  auto added = writable->Add(ItemKey::Number(999999), b.queries.row(0));
  EXPECT_EQ(added.status().code(), StatusCode::kCorrupt) << added.status().message();
  EXPECT_FALSE(writable->Contains(ItemKey::Number(999999)));
  EXPECT_TRUE(writable->Stats().paging.graph_paged);
  // An open that reads the graph whole sees the damage at once.
  auto loaded = VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(damaged->data()), damaged->size());
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorrupt);
  // The undamaged file answers.
  auto good = OpenPaged(std::make_shared<std::string>(b.bytes), true, 1 << 20);
  EXPECT_TRUE(good->Search(b.queries.row(0), SearchParams{}).ok());
}

TEST(PagedGraph, BadListsInAnUnverifiedOpenAreCaughtByBlockChecks) {
  Built b = BuildIndex(3000);
  const uint64_t level0 = Level0Offset(b.bytes, 3000);
  SearchParams p;
  p.k = 5;
  struct Case {
    const char* what;
    const char* message;
  };
  for (const Case& c : {Case{"link", "links to a slot that does not exist"}, Case{"count", "has too many links"}}) {
    SCOPED_TRACE(c.what);
    auto damaged = std::make_shared<std::string>(b.bytes);
    // In every block, the first list: a link past the used slots, or more
    // links than a list holds. No checksum is checked without verification.
    for (uint32_t slot = 0; slot < 3000; slot += kListsPerBlock) {
      const uint64_t list = level0 + static_cast<uint64_t>(slot) * kListBytes;
      ASSERT_GT(U32At(*damaged, list), 0u);
      if (std::string(c.what) == "link") {
        PutU32(*damaged, list + 4, 3000 + slot);
      } else {
        PutU32(*damaged, list, kM0 + 1);
      }
    }
    auto paged = OpenPaged(damaged, true, 1 << 20, false);
    ASSERT_NE(paged, nullptr);
    EXPECT_TRUE(paged->Stats().paging.graph_paged);
    ExpectSearchFailsCorrupt(*paged, b, "graph section: level-0 block", c.message, false);
    // A save reads the lists too, with the same checks.
    auto saved = paged->ToBytes();
    EXPECT_EQ(saved.status().code(), StatusCode::kCorrupt);
  }
}

TEST(PagedGraph, WritesCheckpointsAndReopensGiveWhatAnUnpagedIndexGives) {
  Built b = BuildIndex(2500);
  auto file = std::make_shared<std::string>(b.bytes);
  auto paged = OpenPaged(file, false, 32 * 1024);
  ASSERT_NE(paged, nullptr);
  auto whole = OpenWhole(b.bytes);
  ASSERT_TRUE(paged->Stats().paging.graph_paged);
  // A checkpoint with no write yet keeps level 0 paged, reading from the new
  // image: the old one is free space now, garbled here to prove it.
  const uint64_t old_level0 = Level0Offset(b.bytes, 2500);
  ASSERT_TRUE(paged->Checkpoint().ok());
  EXPECT_TRUE(paged->Stats().paging.graph_paged);
  ASSERT_GT(file->size(), b.bytes.size()) << "the new image went after the old one";
  std::memset(&(*file)[old_level0], 0xFF, 2500 * kListBytes);
  ExpectSameSearches(*paged, *whole, b.queries);
  // The next one goes back to the front and cuts the rest off.
  ASSERT_TRUE(paged->Checkpoint().ok());
  EXPECT_TRUE(paged->Stats().paging.graph_paged);
  ExpectSameSearches(*paged, *whole, b.queries);

  ASSERT_NO_FATAL_FAILURE(SameWrites(*paged, *whole));
  EXPECT_FALSE(paged->Stats().paging.graph_paged) << "the first write read level 0 in";
  ExpectSameSearches(*paged, *whole, b.queries);
  const std::string expected = whole->SaveToBytes();
  EXPECT_EQ(paged->SaveToBytes(), expected);
  ASSERT_TRUE(paged->Checkpoint().ok());
  ExpectSameSearches(*paged, *whole, b.queries);
  // Reopened paged, the checkpointed file pages level 0 again.
  auto reopened = OpenPaged(file, true, 32 * 1024);
  ASSERT_NE(reopened, nullptr);
  EXPECT_TRUE(reopened->Stats().paging.graph_paged);
  ExpectSameSearches(*reopened, *whole, b.queries);
  EXPECT_EQ(reopened->SaveToBytes(), expected);

  // A delete alone also reads level 0 in first.
  auto again = OpenPaged(file, false, 32 * 1024);
  ASSERT_NE(again, nullptr);
  ASSERT_TRUE(again->Stats().paging.graph_paged);
  ASSERT_TRUE(again->Remove(ItemKey::Number(100000)).value());
  ASSERT_TRUE(whole->Remove(ItemKey::Number(100000)).value());
  EXPECT_FALSE(again->Stats().paging.graph_paged);
  ExpectSameSearches(*again, *whole, b.queries);
  // Close of a writable paged index reads everything in: still usable.
  ASSERT_TRUE(again->Close().ok());
  ExpectSameSearches(*again, *whole, b.queries);
}

TEST(PagedGraph, ACacheOfAFewBlocksStillGivesExactResults) {
  Built b = BuildIndex(3000);
  auto paged = OpenPaged(std::make_shared<std::string>(b.bytes), true, 4 * 4096);
  ASSERT_NE(paged, nullptr);
  auto whole = OpenWhole(b.bytes);
  ExpectSameSearches(*paged, *whole, b.queries, 20);
  const neurovec::IndexStats st = paged->Stats();
  ASSERT_TRUE(st.paging.graph_paged);
  EXPECT_EQ(st.paging.graph_cache_bytes, 4 * kListsPerBlock * kListBytes) << "the floor: four frames";
  EXPECT_LE(st.paging.graph_cached_bytes, st.paging.graph_cache_bytes);
  const uint32_t blocks = (3000 + kListsPerBlock - 1) / kListsPerBlock;
  EXPECT_GT(st.paging.graph_block_reads, blocks) << "blocks were evicted and read again";
}

TEST(PagedGraph, AFileWithoutTheGraphBlocksSectionOpens) {
  Built b = BuildIndex(3000);
  const std::string old = WithoutSection(b.bytes, index_file::kGraphBlocks);
  auto whole = OpenWhole(b.bytes);
  ExpectSameSearches(*OpenWhole(old), *whole, b.queries);
  // Verified: level 0 cannot be checked block by block, so it is read whole
  // (the vectors are still paged).
  auto verified = OpenPaged(std::make_shared<std::string>(old), true, 1 << 20, true);
  ASSERT_NE(verified, nullptr);
  EXPECT_FALSE(verified->Stats().paging.graph_paged);
  EXPECT_TRUE(verified->Stats().paging.paged);
  ExpectSameSearches(*verified, *whole, b.queries);
  // Unverified: paged, each block's links checked.
  auto unverified = OpenPaged(std::make_shared<std::string>(old), true, 1 << 20, false);
  ASSERT_NE(unverified, nullptr);
  EXPECT_TRUE(unverified->Stats().paging.graph_paged);
  ExpectSameSearches(*unverified, *whole, b.queries);
  // Either writes the section again.
  EXPECT_EQ(verified->SaveToBytes(), b.bytes);
  EXPECT_EQ(unverified->SaveToBytes(), b.bytes);
}

TEST(PagedGraph, TheGraphBlocksSectionIsChecked) {
  Built b = BuildIndex(3000);
  // A graph-blocks section for another slot count, with a valid checksum.
  std::string bad = b.bytes;
  const index_file::SectionEntry blocks = Section(b.bytes, index_file::kGraphBlocks);
  PutU32(bad, blocks.offset + 4, U32At(bad, blocks.offset + 4) + 1);
  // Fix the entry's CRC so that only the content is wrong.
  auto header = index_file::ReadHeader(reinterpret_cast<const uint8_t*>(bad.data()), bad.size(), nullptr);
  ASSERT_TRUE(header.ok());
  index_file::Header h = header.value();
  for (uint64_t e = h.table_offset; e < h.table_offset + h.table_length; e += index_file::kTableEntryBytes) {
    if (U32At(bad, e) == index_file::kGraphBlocks) {
      PutU32(bad, e + 24, neurovec::Crc32c(reinterpret_cast<const uint8_t*>(bad.data()) + blocks.offset, blocks.length));
    }
  }
  h.table_crc = neurovec::Crc32c(reinterpret_cast<const uint8_t*>(bad.data()) + h.table_offset, h.table_length);
  const std::string slot = index_file::EncodeHeader(h);
  std::memcpy(&bad[0], slot.data(), slot.size());
  std::memcpy(&bad[index_file::kPageSize], slot.data(), slot.size());
  auto storage = std::make_unique<NoViewStorage>(std::make_shared<std::string>(bad));
  OpenOptions options;
  options.read_only = true;
  options.page_cache_bytes = 1 << 20;
  auto opened = VectorIndex::Open(std::move(storage), options);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(opened.status().message().find("graph blocks section"), std::string::npos) << opened.status().message();
  // The levels and upper lists are covered by its checksum: a flipped byte
  // in an unused entry of an upper list (which no other check sees) fails a
  // verified paged open, not an unverified one.
  std::string flipped = b.bytes;
  const uint64_t upper = Level0Offset(b.bytes, 3000) + 3000ull * kListBytes;
  const uint64_t graph_end = Section(b.bytes, index_file::kGraph).offset + Section(b.bytes, index_file::kGraph).length;
  const uint64_t upper_list_bytes = (8 + 1) * 4;
  bool flipped_one = false;
  for (uint64_t list = upper; list < graph_end && !flipped_one; list += upper_list_bytes) {
    if (U32At(flipped, list) < 8) {
      flipped[list + 8 * 4] ^= 0x01;  // the last entry, past the count
      flipped_one = true;
    }
  }
  ASSERT_TRUE(flipped_one);
  auto opened2 = VectorIndex::Open(std::make_unique<NoViewStorage>(std::make_shared<std::string>(flipped)), options);
  ASSERT_FALSE(opened2.ok());
  EXPECT_EQ(opened2.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(opened2.status().message().find("upper lists fail their checksum"), std::string::npos)
      << opened2.status().message();
  options.verify_checksums = false;
  auto opened3 = VectorIndex::Open(std::make_unique<NoViewStorage>(std::make_shared<std::string>(flipped)), options);
  EXPECT_TRUE(opened3.ok()) << opened3.status().message();
}


// Searches of one paged index on several threads at once (reader ids in
// storage/row_pager.h, index/paging_gate.h).

// A search's ids and distances, as one comparable list.
using Answer = std::vector<std::pair<std::string, float>>;
Answer AnswerOf(const VectorIndex& index, const std::vector<neurovec::SearchHit>& hits) {
  Answer a;
  for (const auto& h : hits) a.emplace_back(index.KeyOf(h.slot).ToDisplay(), h.distance);
  return a;
}

// What a whole read answers to each query (k 10).
std::vector<Answer> AnswersOf(const VectorIndex& index, const Dataset& queries) {
  SearchParams p;
  p.k = 10;
  std::vector<Answer> answers;
  for (uint32_t q = 0; q < queries.n; ++q) answers.push_back(AnswerOf(index, index.Search(queries.row(q), p).value()));
  return answers;
}

// `threads` threads each search every query `passes` times, each thread in
// its own order; returns how many answers differed from `expected` (and
// counts failed searches in `failures`).
int SearchFromThreads(const VectorIndex& index, const Dataset& queries, const std::vector<Answer>& expected,
                      int threads, int passes, std::atomic<int>* failures) {
  std::atomic<int> wrong{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      SearchParams p;
      p.k = 10;
      for (int pass = 0; pass < passes; ++pass) {
        for (uint32_t i = 0; i < queries.n; ++i) {
          const uint32_t q = (i * (2 * t + 1) + 7 * t + pass) % queries.n;
          auto r = index.Search(queries.row(q), p);
          if (!r.ok()) {
            failures->fetch_add(1);
            continue;
          }
          if (AnswerOf(index, r.value()) != expected[q]) wrong.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : pool) t.join();
  return wrong.load();
}

TEST(PagedConcurrency, ThreadsSearchingOneCacheGetWhatAWholeReadGives) {
  NV_SKIP_WITHOUT_THREADS();
  Built b = BuildIndex(3000);
  Dataset queries = Clustered(120, kDim, 21);
  const std::vector<Answer> expected = AnswersOf(*OpenWhole(b.bytes), queries);
  SearchParams p;
  p.k = 10;
  // The floor (four frames for vectors, four for lists: every search evicts
  // blocks the others are reading, and pins outnumber frames) and a cache
  // that holds everything.
  for (uint64_t cache : {uint64_t{4 * 4096}, uint64_t{8} << 20}) {
    SCOPED_TRACE("cache " + std::to_string(cache));
    auto paged = OpenPaged(std::make_shared<std::string>(b.bytes), true, cache);
    ASSERT_NE(paged, nullptr);
    ASSERT_TRUE(paged->Stats().paging.paged);
    ASSERT_TRUE(paged->Stats().paging.graph_paged);
    std::atomic<int> failures{0};
    EXPECT_EQ(SearchFromThreads(*paged, queries, expected, 4, 3, &failures), 0);
    EXPECT_EQ(failures.load(), 0);
    std::vector<std::vector<neurovec::SearchHit>> batch;
    ASSERT_TRUE(paged->SearchBatch(queries.data.data(), queries.n, p, 4, &batch).ok());
    for (uint32_t q = 0; q < queries.n; ++q) EXPECT_EQ(AnswerOf(*paged, batch[q]), expected[q]) << "query " << q;
    const neurovec::IndexStats st = paged->Stats();
    EXPECT_GT(st.paging.hits, 0u);
    if (cache < (1u << 20)) {
      EXPECT_GT(st.paging.block_reads, (3000u + 20) / 21) << "blocks were evicted and read again";
      // Past the bound only while every frame was pinned: at most two per reader.
      EXPECT_LE(st.paging.cached_bytes, st.paging.cache_bytes + 2 * 5 * 21 * 48 * 4);
    }
  }
}

TEST(PagedConcurrency, ADamagedBlockFailsEverySearchThatReachesItOnEveryThread) {
  NV_SKIP_WITHOUT_THREADS();
  Built b = BuildIndex(2000);
  auto damaged = WithEveryVectorBlockDamaged(b, 2000);
  auto paged = OpenPaged(damaged, true, 1 << 20);
  ASSERT_NE(paged, nullptr);
  // Each thread's searches fail on their own (a failure is kept per reader):
  // none answers, none takes another's error and answers wrongly.
  std::atomic<int> failures{0};
  std::vector<Answer> none(b.queries.n);
  const int wrong = SearchFromThreads(*paged, b.queries, none, 3, 2, &failures);
  EXPECT_EQ(failures.load(), 3 * 2 * static_cast<int>(b.queries.n));
  EXPECT_EQ(wrong, 0);
  SearchParams p;
  p.k = 5;
  std::vector<std::vector<neurovec::SearchHit>> batch;
  Status s = paged->SearchBatch(b.queries.data.data(), b.queries.n, p, 3, &batch);
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_NE(s.message().find("vectors section: block"), std::string::npos) << s.message();
}

// A storage that only its own thread may read, like the wasm host's.
class OwnerOnlyStorage : public neurovec::OwnerThreadStorage<NoViewStorage> {
 public:
  using OwnerThreadStorage::OwnerThreadStorage;
  std::atomic<int> off_owner{0};  // reads that ran on another thread: must stay 0

 private:
  Status ReadOnOwnerThread(uint64_t offset, void* out, size_t n) override {
    if (!owner_reads().OnOwnerThread()) off_owner.fetch_add(1);
    return NoViewStorage::Read(offset, out, n);
  }
};

TEST(PagedConcurrency, AStorageThatReadsOnItsOwnThreadServesTheBatchThreads) {
  NV_SKIP_WITHOUT_THREADS();
  Built b = BuildIndex(3000);
  Dataset queries = Clustered(100, kDim, 22);
  auto whole = OpenWhole(b.bytes);
  auto storage = std::make_unique<OwnerOnlyStorage>(std::make_shared<std::string>(b.bytes));
  OwnerOnlyStorage* file = storage.get();
  OpenOptions options;
  options.read_only = true;
  // Room for every block: each is read once, by whichever thread needs it
  // first (evictions under concurrent readers are the first test's).
  options.page_cache_bytes = 1 << 20;
  auto opened = VectorIndex::Open(std::move(storage), options);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  auto paged = opened.take();
  SearchParams p;
  p.k = 10;
  std::vector<std::vector<neurovec::SearchHit>> batch;
  ASSERT_TRUE(paged->SearchBatch(queries.data.data(), queries.n, p, 3, &batch).ok());
  for (uint32_t q = 0; q < queries.n; ++q) {
    EXPECT_EQ(AnswerOf(*paged, batch[q]), AnswerOf(*whole, whole->Search(queries.row(q), p).value())) << q;
  }
  EXPECT_EQ(file->off_owner.load(), 0);
  EXPECT_GT(file->owner_reads().served(), 0u) << "the batch threads' reads were served by the calling thread";

  // A cache that cannot hold every block: reads would keep crossing threads,
  // so the batch runs on the calling thread alone (same answers, nothing served).
  auto small_storage = std::make_unique<OwnerOnlyStorage>(std::make_shared<std::string>(b.bytes));
  OwnerOnlyStorage* small_file = small_storage.get();
  options.page_cache_bytes = 64 * 1024;
  auto small = VectorIndex::Open(std::move(small_storage), options);
  ASSERT_TRUE(small.ok()) << small.status().message();
  std::vector<std::vector<neurovec::SearchHit>> small_batch;
  ASSERT_TRUE(small.value()->SearchBatch(queries.data.data(), queries.n, p, 3, &small_batch).ok());
  for (uint32_t q = 0; q < queries.n; ++q) EXPECT_EQ(AnswerOf(*small.value(), small_batch[q]), AnswerOf(*paged, batch[q]));
  EXPECT_EQ(small_file->owner_reads().served(), 0u);
  EXPECT_GT(small_file->reads.load(), 0u);
  // Outside a batch, a read from another thread is refused, not left waiting.
  Status refused = Status::Ok();
  std::thread([&] {
    char byte;
    refused = file->Read(0, &byte, 1);
  }).join();
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace nvtest
