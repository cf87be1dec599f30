// The C ABI exported to JavaScript (wasm/neurovec_c.h), compiled natively.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "distance/kernels.h"
#include "host_storage_twin.h"
#include "neurovec/storage.h"
#include "neurovec/vector_index.h"
#include "neurovec_c.h"
#include "test_util.h"

namespace neurovec {
std::unique_ptr<Storage> MakeHostStorage(int32_t handle, std::string name);  // wasm/host_storage.cc
}  // namespace neurovec

namespace {

using nvtest::Clustered;
using nvtest::Dataset;

std::string NumKey(int64_t v) {
  std::string k(9, '\0');
  k[0] = 'n';
  uint64_t bits = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) k[1 + i] = static_cast<char>((bits >> (8 * i)) & 0xFF);
  return k;
}
std::string StrKey(const std::string& s) { return "s" + s; }

enum StatsField { kSize, kDeleted, kCapacity, kDimensions, kMetric, kMaxLevel, kSearches, kDistances, kHops,
                  kLastDistances, kLastHops, kLastExact, kMemory };

std::vector<double> Stats(nv_index* index) {
  std::vector<double> s(NV_STATS_COUNT + 1, -12345.0);  // one guard value past the end
  nv_stats(index, s.data());
  EXPECT_EQ(s[NV_STATS_COUNT], -12345.0) << "nv_stats wrote past NV_STATS_COUNT";
  s.pop_back();
  return s;
}

void ExpectError(int32_t code, const char* what) {
  EXPECT_GT(std::strlen(nv_last_error()), 0u) << what << ": empty nv_last_error()";
  EXPECT_EQ(nv_last_error_code(), code) << what << ": " << nv_last_error();
}

void ExpectNoError(const char* what) {
  EXPECT_STREQ(nv_last_error(), "") << what;
  EXPECT_EQ(nv_last_error_code(), 0) << what;
}

class CApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    index_ = nv_create(kDim, /*l2*/ 0, 16, 100, 50, 42, 0);
    ASSERT_NE(index_, nullptr) << nv_last_error();
    data_ = Clustered(500, kDim, 1111);
  }
  void TearDown() override { nv_destroy(index_); }

  int32_t Add(const std::string& key, const float* v, const std::string& meta = "") {
    return nv_add(index_, key.data(), static_cast<uint32_t>(key.size()), v, meta.empty() ? nullptr : meta.data(),
                  static_cast<uint32_t>(meta.size()));
  }

  static constexpr uint32_t kDim = 12;
  nv_index* index_ = nullptr;
  Dataset data_;
};

TEST_F(CApiTest, RoundTrip) {
  // Single adds: numbers and strings, with and without metadata.
  for (uint32_t i = 0; i < 200; ++i) {
    std::string key = i % 2 ? NumKey(i) : StrKey("doc-" + std::to_string(i));
    std::string meta = i % 3 ? "{\"i\": " + std::to_string(i) + "}" : "";
    int32_t slot = Add(key, data_.row(i), meta);
    ASSERT_GE(slot, 0) << nv_last_error();
    ExpectNoError("nv_add");
    EXPECT_EQ(nv_slot_of(index_, key.data(), static_cast<uint32_t>(key.size())), slot);
    uint32_t len = 0;
    const char* k = nv_key_of(index_, static_cast<uint32_t>(slot), &len);
    EXPECT_EQ(std::string(k, len), key);
    const char* m = nv_metadata_of(index_, static_cast<uint32_t>(slot), &len);
    EXPECT_EQ(std::string(m, len), meta);
    std::vector<float> out(kDim);
    nv_get_vector(index_, static_cast<uint32_t>(slot), out.data());
    EXPECT_EQ(out, std::vector<float>(data_.row(i), data_.row(i) + kDim));
  }

  // A batch with metadata and out_slots.
  const uint32_t n = 300;
  std::string key_blob, meta_blob;
  std::vector<uint32_t> key_offsets{0}, meta_offsets{0};
  for (uint32_t i = 200; i < 200 + n; ++i) {
    key_blob += NumKey(i);
    key_offsets.push_back(static_cast<uint32_t>(key_blob.size()));
    meta_blob += "{\"i\": " + std::to_string(i) + "}";
    meta_offsets.push_back(static_cast<uint32_t>(meta_blob.size()));
  }
  std::vector<uint32_t> slots(n, 0xFFFFFFFFu);
  ASSERT_EQ(nv_add_batch(index_, n, key_blob.data(), key_offsets.data(), data_.row(200), meta_blob.data(),
                         meta_offsets.data(), slots.data()),
            0)
      << nv_last_error();
  ExpectNoError("nv_add_batch");
  for (uint32_t j = 0; j < n; ++j) {
    std::string key = NumKey(200 + j);
    EXPECT_EQ(nv_slot_of(index_, key.data(), 9), static_cast<int32_t>(slots[j]));
    uint32_t len = 0;
    const char* m = nv_metadata_of(index_, slots[j], &len);
    EXPECT_EQ(std::string(m, len), "{\"i\": " + std::to_string(200 + j) + "}");
  }

  std::vector<double> s = Stats(index_);
  EXPECT_EQ(s[kSize], 500);
  EXPECT_EQ(s[kDeleted], 0);
  EXPECT_GE(s[kCapacity], 500);
  EXPECT_EQ(s[kDimensions], kDim);
  EXPECT_EQ(s[kMetric], 0);
  EXPECT_EQ(s[kSearches], 0);
  EXPECT_GT(s[kMemory], 500.0 * kDim * 4);

  // Search: a stored vector finds itself first; results ascending.
  std::vector<uint32_t> out_slots(20);
  std::vector<float> out_dist(20);
  int32_t count = nv_search(index_, data_.row(321), 20, 0, nullptr, 0, out_slots.data(), out_dist.data());
  ASSERT_EQ(count, 20) << nv_last_error();
  ExpectNoError("nv_search");
  uint32_t len = 0;
  EXPECT_EQ(std::string(nv_key_of(index_, out_slots[0], &len), 9), NumKey(321));
  EXPECT_FLOAT_EQ(out_dist[0], 0.0f);
  for (int i = 1; i < count; ++i) EXPECT_LE(out_dist[i - 1], out_dist[i]);
  s = Stats(index_);
  EXPECT_EQ(s[kSearches], 1);
  EXPECT_GT(s[kLastDistances], 0);
  EXPECT_EQ(s[kLastExact], 0);

  // Filtered search through the ABI: only i in [250, 255).
  const std::string filter = R"({"i": {"$gte": 250, "$lt": 255}})";
  count = nv_search(index_, data_.row(0), 20, 0, filter.data(), static_cast<uint32_t>(filter.size()), out_slots.data(),
                    out_dist.data());
  ASSERT_EQ(count, 5) << nv_last_error();
  for (int i = 0; i < count; ++i) {
    const char* m = nv_metadata_of(index_, out_slots[i], &len);
    std::string meta(m, len);
    int value = std::stoi(meta.substr(meta.find(':') + 1));
    EXPECT_GE(value, 250);
    EXPECT_LT(value, 255);
  }
  EXPECT_EQ(Stats(index_)[kLastExact], 1);  // 5 matches: scanned exactly

  // Remove: 1, then 0; slot_of gives -1 without an error.
  std::string key = StrKey("doc-10");
  EXPECT_EQ(nv_remove(index_, key.data(), static_cast<uint32_t>(key.size())), 1);
  EXPECT_EQ(nv_remove(index_, key.data(), static_cast<uint32_t>(key.size())), 0);
  ExpectNoError("nv_remove of an unknown id");
  EXPECT_EQ(nv_slot_of(index_, key.data(), static_cast<uint32_t>(key.size())), -1);
  ExpectNoError("nv_slot_of of an unknown id");
  s = Stats(index_);
  EXPECT_EQ(s[kSize], 499);
  EXPECT_EQ(s[kDeleted], 1);
  count = nv_search(index_, data_.row(10), 5, 0, nullptr, 0, out_slots.data(), out_dist.data());
  ASSERT_EQ(count, 5);
  for (int i = 0; i < count; ++i) EXPECT_NE(std::string(nv_key_of(index_, out_slots[i], &len), len), key);
  // Re-adding the id reuses the freed slot.
  ASSERT_GE(Add(key, data_.row(10)), 0);
  EXPECT_EQ(Stats(index_)[kDeleted], 0);

  EXPECT_STREQ(nv_kernel_name(), neurovec::distance::BestKernels().name);
}

TEST_F(CApiTest, KLargerThanSize) {
  for (uint32_t i = 0; i < 3; ++i) ASSERT_GE(Add(NumKey(i), data_.row(i)), 0);
  std::vector<uint32_t> slots(10);
  std::vector<float> dist(10);
  EXPECT_EQ(nv_search(index_, data_.row(0), 10, 0, nullptr, 0, slots.data(), dist.data()), 3);
}

TEST_F(CApiTest, ErrorsReturnMinusOneWithAMessage) {
  ASSERT_GE(Add(NumKey(1), data_.row(1)), 0);
  // Duplicate id.
  EXPECT_EQ(Add(NumKey(1), data_.row(2)), -1);
  ExpectError(static_cast<int32_t>(neurovec::StatusCode::kAlreadyExists), "duplicate");
  // A successful call clears the error.
  ASSERT_GE(Add(NumKey(2), data_.row(2)), 0);
  ExpectNoError("after success");
  // Malformed ids.
  const std::string bad_keys[] = {"", "x123", std::string("n\0\0", 3), "n12345678X"};
  for (const std::string& k : bad_keys) {
    EXPECT_EQ(nv_add(index_, k.empty() ? nullptr : k.data(), static_cast<uint32_t>(k.size()), data_.row(3), nullptr, 0), -1);
    ExpectError(static_cast<int32_t>(neurovec::StatusCode::kInvalidArgument), "bad key");
    EXPECT_EQ(nv_remove(index_, k.data(), static_cast<uint32_t>(k.size())), -1);
    EXPECT_EQ(nv_slot_of(index_, k.data(), static_cast<uint32_t>(k.size())), -1);
    ExpectError(static_cast<int32_t>(neurovec::StatusCode::kInvalidArgument), "bad key in slot_of");
  }
  // NaN vector.
  std::vector<float> nan(kDim, 1.0f);
  nan[4] = std::nanf("");
  EXPECT_EQ(Add(NumKey(3), nan.data()), -1);
  ExpectError(static_cast<int32_t>(neurovec::StatusCode::kInvalidArgument), "NaN");
  // Bad metadata.
  EXPECT_EQ(Add(NumKey(3), data_.row(3), "[1]"), -1);
  ExpectError(static_cast<int32_t>(neurovec::StatusCode::kInvalidArgument), "metadata");
  // Search errors.
  std::vector<uint32_t> slots(10);
  std::vector<float> dist(10);
  EXPECT_EQ(nv_search(index_, data_.row(0), 0, 0, nullptr, 0, slots.data(), dist.data()), -1);
  ExpectError(static_cast<int32_t>(neurovec::StatusCode::kInvalidArgument), "k=0");
  const std::string filter = R"({"a": {"$bogus": 1}})";
  EXPECT_EQ(nv_search(index_, data_.row(0), 5, 0, filter.data(), static_cast<uint32_t>(filter.size()), slots.data(),
                      dist.data()),
            -1);
  ExpectError(static_cast<int32_t>(neurovec::StatusCode::kInvalidArgument), "bad filter");
  EXPECT_NE(std::string(nv_last_error()).find("$bogus"), std::string::npos);
  EXPECT_EQ(nv_search(index_, nan.data(), 5, 0, nullptr, 0, slots.data(), dist.data()), -1);
  ExpectError(static_cast<int32_t>(neurovec::StatusCode::kInvalidArgument), "NaN query");
  EXPECT_EQ(Stats(index_)[kSize], 2);
}

TEST_F(CApiTest, BadBatchAddsNothing) {
  ASSERT_GE(Add(NumKey(0), data_.row(0)), 0);
  const uint32_t n = 10;
  std::string key_blob;
  std::vector<uint32_t> key_offsets{0};
  for (uint32_t i = 100; i < 100 + n; ++i) {
    key_blob += NumKey(i);
    key_offsets.push_back(static_cast<uint32_t>(key_blob.size()));
  }
  // Duplicate of an existing id at position 7.
  {
    std::string blob = key_blob;
    blob.replace(7 * 9, 9, NumKey(0));
    EXPECT_EQ(nv_add_batch(index_, n, blob.data(), key_offsets.data(), data_.row(1), nullptr, nullptr, nullptr), -1);
    ExpectError(static_cast<int32_t>(neurovec::StatusCode::kAlreadyExists), "batch duplicate");
    EXPECT_EQ(Stats(index_)[kSize], 1);
  }
  // A malformed key at position 4 (wrong length for a number).
  {
    std::vector<uint32_t> offsets = key_offsets;
    offsets[5] -= 1;  // key 4 is 8 bytes, key 5 starts one byte early
    EXPECT_EQ(nv_add_batch(index_, n, key_blob.data(), offsets.data(), data_.row(1), nullptr, nullptr, nullptr), -1);
    ExpectError(static_cast<int32_t>(neurovec::StatusCode::kInvalidArgument), "batch bad key");
    EXPECT_NE(std::string(nv_last_error()).find("item 4"), std::string::npos) << nv_last_error();
    EXPECT_EQ(Stats(index_)[kSize], 1);
  }
  // Decreasing offsets.
  {
    std::vector<uint32_t> offsets = key_offsets;
    std::swap(offsets[2], offsets[3]);
    EXPECT_EQ(nv_add_batch(index_, n, key_blob.data(), offsets.data(), data_.row(1), nullptr, nullptr, nullptr), -1);
    ExpectError(static_cast<int32_t>(neurovec::StatusCode::kInvalidArgument), "batch offsets");
    EXPECT_EQ(Stats(index_)[kSize], 1);
  }
  // Bad metadata in the middle.
  {
    std::string meta_blob;
    std::vector<uint32_t> meta_offsets{0};
    for (uint32_t i = 0; i < n; ++i) {
      meta_blob += i == 6 ? "{oops" : "{}";
      meta_offsets.push_back(static_cast<uint32_t>(meta_blob.size()));
    }
    std::vector<uint32_t> slots(n, 77);
    EXPECT_EQ(nv_add_batch(index_, n, key_blob.data(), key_offsets.data(), data_.row(1), meta_blob.data(),
                           meta_offsets.data(), slots.data()),
              -1);
    ExpectError(static_cast<int32_t>(neurovec::StatusCode::kInvalidArgument), "batch metadata");
    EXPECT_EQ(Stats(index_)[kSize], 1);
  }
  // The good batch then works, without out_slots.
  ASSERT_EQ(nv_add_batch(index_, n, key_blob.data(), key_offsets.data(), data_.row(1), nullptr, nullptr, nullptr), 0)
      << nv_last_error();
  EXPECT_EQ(Stats(index_)[kSize], 1 + n);
}

TEST(CApi, CreateRejectsBadArguments) {
  struct Case {
    uint32_t dim;
    int32_t metric;
    uint32_t m, efc, efs;
    double seed;
  } cases[] = {
      {0, 0, 16, 100, 50, 1},        // dimensions 0
      {70000, 0, 16, 100, 50, 1},    // too many dimensions
      {8, 4, 16, 100, 50, 1},        // unknown metric
      {8, -1, 16, 100, 50, 1},       // unknown metric
      {8, 0, 1, 100, 50, 1},         // m 1
      {8, 0, 16, 0, 50, 1},          // ef_construction 0
      {8, 0, 16, 100, 0, 1},         // ef_search 0
      {8, 0, 16, 100, 50, -1},       // negative seed
      {8, 0, 16, 100, 50, 1.5},      // fractional seed
      {8, 0, 16, 100, 50, 1e30},     // seed beyond uint64
      {8, 0, 16, 100, 50, std::nan("")},
  };
  for (const Case& c : cases) {
    nv_index* index = nv_create(c.dim, c.metric, c.m, c.efc, c.efs, c.seed, 0);
    EXPECT_EQ(index, nullptr) << c.dim << " " << c.metric << " " << c.m << " " << c.seed;
    ExpectError(static_cast<int32_t>(neurovec::StatusCode::kInvalidArgument), "nv_create");
    nv_destroy(index);  // deleting NULL is allowed
  }
  nv_index* ok = nv_create(8, 3, 16, 100, 50, 9007199254740991.0, 0);
  ASSERT_NE(ok, nullptr) << nv_last_error();
  ExpectNoError("nv_create");
  EXPECT_EQ(Stats(ok)[kMetric], 3);
  EXPECT_EQ(Stats(ok)[kDimensions], 8);
  nv_destroy(ok);
}

// Cosine through the ABI: vectors come back within float rounding.
TEST(CApi, CosineGetVector) {
  nv_index* index = nv_create(6, 1, 8, 50, 20, 3, 16);
  ASSERT_NE(index, nullptr);
  float v[6] = {3, -4, 0.5f, 12, 0, -7};
  std::string key = NumKey(5);
  int32_t slot = nv_add(index, key.data(), 9, v, nullptr, 0);
  ASSERT_GE(slot, 0);
  float out[6];
  nv_get_vector(index, static_cast<uint32_t>(slot), out);
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(out[i], v[i], 1e-5 * 15);
  float zero[6] = {0, 0, 0, 0, 0, 0};
  std::string key2 = NumKey(6);
  EXPECT_EQ(nv_add(index, key2.data(), 9, zero, nullptr, 0), -1);
  ExpectError(static_cast<int32_t>(neurovec::StatusCode::kInvalidArgument), "zero vector");
  nv_destroy(index);
}

// The durable C ABI over the host-storage imports (natively: the file twin).
TEST(CApi, DurableCreateSyncCloseReopen) {
  char dir_template[] = "/tmp/neurovec-capi-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/index.nvx";
  const std::string name = "test file";
  Dataset data = Clustered(200, 8, 77);
  int32_t handle = TwinOpen(path, true);
  ASSERT_GE(handle, 0);
  nv_index* index = nv_create_durable(8, 0, 8, 32, 32, 1, 0, handle, name.data(), static_cast<uint32_t>(name.size()));
  ASSERT_NE(index, nullptr) << nv_last_error();
  for (int64_t i = 0; i < 200; ++i) {
    std::string key = NumKey(i);
    ASSERT_GE(nv_add(index, key.data(), 9, data.row(static_cast<uint32_t>(i)), nullptr, 0), 0) << nv_last_error();
  }
  std::string key5 = NumKey(5);
  const std::string meta = "{\"color\":\"red\"}";
  ASSERT_EQ(nv_set_metadata(index, key5.data(), 9, meta.data(), static_cast<uint32_t>(meta.size())), 0);
  std::string unknown = NumKey(12345);
  EXPECT_EQ(nv_set_metadata(index, unknown.data(), 9, meta.data(), static_cast<uint32_t>(meta.size())), -1);
  EXPECT_EQ(nv_last_error_code(), static_cast<int32_t>(neurovec::StatusCode::kNotFound));
  ASSERT_EQ(nv_remove(index, NumKey(7).data(), 9), 1);
  const uint64_t flushes_before = TwinFlushes(handle);
  ASSERT_EQ(nv_sync(index), 0) << nv_last_error();
  EXPECT_EQ(TwinFlushes(handle), flushes_before + 1) << "sync must flush the host storage";
  double file[NV_FILE_STATS_COUNT];
  nv_file_stats(index, file);
  EXPECT_EQ(file[0], 1.0);
  EXPECT_EQ(file[1], 1.0);  // generation
  EXPECT_GT(file[3], 0.0);  // log bytes
  ASSERT_EQ(nv_close(index), 0);
  EXPECT_FALSE(TwinIsOpen(handle)) << "close releases the storage";
  nv_destroy(index);

  int32_t again = TwinOpen(path, false);
  nv_index* opened = nv_open_durable(again, name.data(), static_cast<uint32_t>(name.size()), 1, 1, 1 << 20);
  ASSERT_NE(opened, nullptr) << nv_last_error();
  double stats[NV_STATS_COUNT];
  nv_stats(opened, stats);
  EXPECT_EQ(stats[0], 199.0);
  uint32_t len = 0;
  const char* got = nv_metadata_of(opened, static_cast<uint32_t>(nv_slot_of(opened, key5.data(), 9)), &len);
  EXPECT_EQ(std::string(got, len), meta);
  EXPECT_EQ(nv_slot_of(opened, NumKey(7).data(), 9), -1);
  // Read-only: writes are refused with a message naming the storage.
  std::string key = NumKey(999);
  EXPECT_EQ(nv_add(opened, key.data(), 9, data.row(0), nullptr, 0), -1);
  EXPECT_EQ(nv_last_error_code(), static_cast<int32_t>(neurovec::StatusCode::kFailedPrecondition));
  EXPECT_NE(std::string(nv_last_error()).find(name), std::string::npos) << nv_last_error();
  nv_destroy(opened);
  EXPECT_FALSE(TwinIsOpen(again)) << "destroy releases the storage";

  // Not an index file: a clear error, and the handle is released.
  FILE* f = std::fopen((path + ".txt").c_str(), "w");
  std::fputs("hello", f);
  std::fclose(f);
  int32_t text = TwinOpen(path + ".txt", false);
  EXPECT_EQ(nv_open_durable(text, "t", 1, 0, 1, 0), nullptr);
  EXPECT_EQ(nv_last_error_code(), static_cast<int32_t>(neurovec::StatusCode::kNotAnIndexFile));
  EXPECT_FALSE(TwinIsOpen(text));
  std::remove((path + ".txt").c_str());
  std::remove(path.c_str());
  std::remove(dir_template);
}

}  // namespace

// Quantized traversal through the C ABI: enable on an empty index only, info
// and memory arrays filled exactly, and the state kept by nv_save/nv_load.
namespace {

// The host's storage (wasm/host_storage.cc) reads only on the thread that
// opened it: a batch search of an index paged from it runs on worker threads
// whose reads that thread serves (natively the twin, which counts reads made
// off that thread).
TEST(CApi, PagedHostStorageServesTheReadsOfABatchSearch) {
  NV_SKIP_WITHOUT_THREADS();
  char dir_template[] = "/tmp/neurovec-capi-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/paged.nvx";
  Dataset data = Clustered(3000, 40, 78);
  Dataset queries = Clustered(60, 40, 79);
  auto index = nvtest::MakeIndex(nvtest::Config(40, neurovec::Metric::kL2, 8, 64));
  ASSERT_TRUE(nvtest::AddAll(*index, data));
  {
    const std::string bytes = index->SaveToBytes();
    FILE* out = std::fopen(path.c_str(), "wb");
    ASSERT_NE(out, nullptr);
    ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), out), bytes.size());
    std::fclose(out);
  }
  neurovec::OpenOptions options;
  options.read_only = true;
  options.page_cache_bytes = 1 << 20;  // every block fits (evictions: paged_rows_test)
  auto opened = neurovec::VectorIndex::Open(neurovec::MakeHostStorage(TwinOpen(path, false), "paged"), options);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  auto paged = opened.take();
  ASSERT_TRUE(paged->Stats().paging.paged);
  neurovec::SearchParams p;
  p.k = 10;
  std::vector<std::vector<neurovec::SearchHit>> batch;
  const uint64_t off_before = TwinReadsOffOwnerThread();
  ASSERT_TRUE(paged->SearchBatch(queries.data.data(), queries.n, p, 3, &batch).ok());
  EXPECT_EQ(TwinReadsOffOwnerThread(), off_before);
  for (uint32_t q = 0; q < queries.n; ++q) {
    auto expected = index->Search(queries.row(q), p);
    ASSERT_TRUE(expected.ok());
    ASSERT_EQ(batch[q].size(), expected.value().size());
    for (size_t i = 0; i < batch[q].size(); ++i) {
      EXPECT_EQ(paged->KeyOf(batch[q][i].slot), index->KeyOf(expected.value()[i].slot)) << q;
      EXPECT_EQ(batch[q][i].distance, expected.value()[i].distance);
    }
  }
}

TEST(CApiQuantized, EnableInfoMemoryAndSaveLoad) {
  constexpr uint32_t kD = 16;
  nv_index* index = nv_create(kD, /*l2*/ 0, 16, 100, 50, 42, 0);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(nv_enable_quantized(index, 7, 0, 10), -1);
  ExpectError(static_cast<int32_t>(neurovec::StatusCode::kInvalidArgument), "unknown codec code");
  EXPECT_EQ(nv_enable_quantized(index, /*pq8*/ 4, 0, 10), -1);  // pq8 needs trainItems >= 256
  ExpectError(static_cast<int32_t>(neurovec::StatusCode::kInvalidArgument), "pq8 train items");
  ASSERT_EQ(nv_enable_quantized(index, /*int8-uniform*/ 3, 12, 100), 0) << nv_last_error();

  std::vector<double> info(NV_QUANTIZED_INFO_COUNT + 1, -1.0);
  nv_quantized_info(index, info.data());
  EXPECT_EQ(info, (std::vector<double>{3, 12, 100, 0, -1.0}));  // untrained; guard untouched
  const Dataset ds = Clustered(300, kD, 5);
  for (uint32_t i = 0; i < ds.n; ++i) {
    const std::string key = NumKey(i);
    ASSERT_GE(nv_add(index, key.data(), 9, ds.row(i), nullptr, 0), 0) << nv_last_error();
  }
  EXPECT_EQ(nv_enable_quantized(index, 2, 0, 10), -1);  // no longer empty
  ExpectError(static_cast<int32_t>(neurovec::StatusCode::kFailedPrecondition), "enable on a filled index");
  nv_quantized_info(index, info.data());
  EXPECT_EQ(info[3], 1.0) << "trained after 100 items";

  std::vector<double> memory(NV_MEMORY_STATS_COUNT + 1, -1.0);
  nv_memory_stats(index, memory.data());
  EXPECT_EQ(memory[NV_MEMORY_STATS_COUNT], -1.0);
  EXPECT_EQ(memory[5], 300.0 * kD * 4);                                   // raw f32
  EXPECT_EQ(memory[4], memory[0] + memory[1] + memory[2] + memory[3]);  // total
  EXPECT_GE(memory[1], 300.0 * kD);                                       // one byte per dimension

  uint32_t len = 0;
  uint8_t* bytes = nv_save(index, &len);
  ASSERT_NE(bytes, nullptr);
  nv_index* loaded = nv_load(bytes, len);
  std::free(bytes);
  ASSERT_NE(loaded, nullptr) << nv_last_error();
  std::vector<double> loaded_info(NV_QUANTIZED_INFO_COUNT, -1.0);
  nv_quantized_info(loaded, loaded_info.data());
  EXPECT_EQ(loaded_info, (std::vector<double>{3, 12, 100, 1}));
  EXPECT_EQ(nv_retrain_quantizer(loaded), 0) << nv_last_error();
  nv_destroy(loaded);
  nv_destroy(index);
}

}  // namespace
