// Paged vectors (OpenOptions::page_cache_bytes, storage/row_pager.h): an index
// opened without reading its rows answers exactly as one read whole, stays
// within its cache bound, detects a damaged block when a search reaches it,
// takes writes, checkpoints and saves the same bytes; and a store attached to
// its file lets rows go and reads them back (VectorStore::Release/Retain).
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "neurovec/storage.h"
#include "neurovec/vector_index.h"
#include "persistence/index_file.h"
#include "storage/vector_store.h"
#include "test_util.h"

namespace nvtest {
namespace {

using neurovec::MemoryStorage;
using neurovec::OpenOptions;
using neurovec::Result;
using neurovec::Status;
using neurovec::StatusCode;
using neurovec::Storage;

// Bytes in memory without views, like the wasm host storage and writable
// native files: what makes an open page its rows. Reads can be made to fail.
class NoViewStorage : public Storage {
 public:
  explicit NoViewStorage(std::shared_ptr<std::string> bytes) : bytes_(std::move(bytes)) {}
  Result<uint64_t> Size() override { return static_cast<uint64_t>(bytes_->size()); }
  Status Read(uint64_t offset, void* out, size_t n) override {
    ++reads;
    if (fail_reads) return Status::IoError("simulated read failure");
    if (offset > bytes_->size() || n > bytes_->size() - offset) return Status::Corrupt("read past the end");
    std::memcpy(out, bytes_->data() + offset, n);
    return Status::Ok();
  }
  Status Write(uint64_t offset, const void* data, size_t n) override {
    if (bytes_->size() < offset + n) bytes_->resize(offset + n, '\0');
    std::memcpy(&(*bytes_)[offset], data, n);
    return Status::Ok();
  }
  Status Flush() override { return Status::Ok(); }
  Status Truncate(uint64_t size) override {
    bytes_->resize(size, '\0');
    return Status::Ok();
  }
  std::string Describe() const override { return "no-view memory"; }

  bool fail_reads = false;
  uint64_t reads = 0;

 private:
  std::shared_ptr<std::string> bytes_;
};

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

TEST(PagedRows, ADamagedBlockFailsTheSearchThatReachesItNotTheOpen) {
  Built b = BuildIndex(2000);
  auto damaged = std::make_shared<std::string>(b.bytes);
  const uint64_t vectors = VectorsOffset(b.bytes);
  // Damage one value in every block: any search then reaches a damaged block.
  const size_t row_bytes = 48 * 4, block_bytes = 21 * row_bytes;
  for (size_t at = vectors + 5; at < vectors + 2000 * row_bytes; at += block_bytes) (*damaged)[at] ^= 0x40;
  auto paged = OpenPaged(damaged, true, 1 << 20);
  ASSERT_NE(paged, nullptr) << "the open reads no rows, so it cannot see the damage";
  SearchParams p;
  p.k = 5;
  auto r = paged->Search(b.queries.row(0), p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(r.status().message().find("vectors section: block"), std::string::npos) << r.status().message();
  auto again = paged->Search(b.queries.row(1), p);
  EXPECT_FALSE(again.ok()) << "a damaged block is never cached";
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
  Dataset extra = Clustered(300, kDim, 13);
  for (uint32_t i = 0; i < 300; ++i) {
    ASSERT_TRUE(paged->Add(ItemKey::Number(100000 + i), extra.row(i)).ok());
    ASSERT_TRUE(whole->Add(ItemKey::Number(100000 + i), extra.row(i)).ok());
  }
  for (int64_t id = 0; id < 2500; id += 9) {
    ASSERT_TRUE(paged->Remove(ItemKey::Number(id)).value());
    ASSERT_TRUE(whole->Remove(ItemKey::Number(id)).value());
  }
  Dataset reused = Clustered(100, kDim, 14);
  for (uint32_t i = 0; i < 100; ++i) {
    ASSERT_TRUE(paged->Add(ItemKey::Number(200000 + i), reused.row(i)).ok());
    ASSERT_TRUE(whole->Add(ItemKey::Number(200000 + i), reused.row(i)).ok());
  }
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

}  // namespace
}  // namespace nvtest
