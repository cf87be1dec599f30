// The index file: round trips, byte-identical re-saves, and damaged or foreign
// bytes, which must be refused with a typed status, never crash or load wrong.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "util/crc32c.h"
#include "neurovec/storage.h"
#include "persistence/index_file.h"
#include "persistence/local_file.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include "index_file_edit.h"
#include "test_util.h"

namespace {

using namespace neurovec;            // NOLINT
using namespace nvtest;              // NOLINT

constexpr uint32_t kDim = 8;

// A small index with metadata, deletions and reused slots, for metric m.
std::unique_ptr<VectorIndex> SmallIndex(Metric metric, uint32_t n = 60) {
  Dataset ds = Clustered(n, kDim, 11);
  auto index = MakeIndex(Config(kDim, metric, 6, 40));
  for (uint32_t i = 0; i < n; ++i) {
    std::string meta = i % 3 == 0 ? "" : "{\"group\":" + std::to_string(i % 5) + ",\"name\":\"item " + std::to_string(i) + "\"}";
    EXPECT_TRUE(index->Add(i % 2 ? ItemKey::Number(i) : ItemKey::String("s" + std::to_string(i)), ds.row(i), meta).ok());
  }
  for (uint32_t i = 0; i < n; i += 7) EXPECT_TRUE(index->Remove(i % 2 ? ItemKey::Number(i) : ItemKey::String("s" + std::to_string(i))).value());
  EXPECT_TRUE(index->Add(ItemKey::Number(100000), ds.row(3)).ok());  // reuses a freed slot
  return index;
}

std::vector<std::vector<SearchHit>> Answers(const VectorIndex& index) {
  Dataset queries = Clustered(20, kDim, 99);
  std::vector<std::vector<SearchHit>> out;
  for (uint32_t q = 0; q < queries.n; ++q) {
    SearchParams p;
    p.k = 5;
    out.push_back(index.Search(queries.row(q), p).value());
    p.filter = "{\"group\": {\"$in\": [1, 3]}}";
    out.push_back(index.Search(queries.row(q), p).value());
  }
  return out;
}

bool SameAnswers(const std::vector<std::vector<SearchHit>>& a, const std::vector<std::vector<SearchHit>>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].size() != b[i].size()) return false;
    for (size_t j = 0; j < a[i].size(); ++j) {
      if (a[i][j].slot != b[i][j].slot || a[i][j].distance != b[i][j].distance) return false;
    }
  }
  return true;
}

Result<std::unique_ptr<VectorIndex>> Load(const std::string& bytes) {
  return VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

bool IsFileError(StatusCode code) {
  return code == StatusCode::kCorrupt || code == StatusCode::kNotAnIndexFile || code == StatusCode::kUnsupportedVersion;
}

TEST(IndexFile, RoundTripKeepsEverythingAndResavesIdentically) {
  for (Metric metric : AllMetrics()) {
    SCOPED_TRACE(MetricName(metric));
    auto index = SmallIndex(metric);
    std::string bytes = index->SaveToBytes();
    auto loaded = Load(bytes);
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    VectorIndex& copy = *loaded.value();
    EXPECT_EQ(copy.size(), index->size());
    EXPECT_EQ(copy.Stats().deleted, index->Stats().deleted);
    EXPECT_TRUE(SameAnswers(Answers(*index), Answers(copy)));
    for (uint32_t i = 1; i < 60; i += 2) {
      ItemKey key = ItemKey::Number(i);
      ASSERT_EQ(copy.Contains(key), index->Contains(key));
      if (!index->Contains(key)) continue;
      uint32_t a = index->SlotOf(key).value(), b = copy.SlotOf(key).value();
      std::vector<float> va(kDim), vb(kDim);
      index->GetVector(a, va.data());
      copy.GetVector(b, vb.data());
      EXPECT_EQ(va, vb);
      EXPECT_EQ(index->Metadata(a), copy.Metadata(b));
    }
    EXPECT_EQ(copy.SaveToBytes(), bytes) << "save -> open -> save must give the same bytes";
    // The loaded index keeps working: adds reuse slots, deletes repair.
    Dataset more = Clustered(10, kDim, 5);
    for (uint32_t i = 0; i < 10; ++i) EXPECT_TRUE(copy.Add(ItemKey::Number(200000 + i), more.row(i)).ok());
    EXPECT_TRUE(copy.Remove(ItemKey::Number(1)).value());
    EXPECT_EQ(copy.size(), index->size() + 9);
  }
}

// The level generator's state is saved (section 12): adding the same items to
// the original and to a reloaded copy draws the same levels and builds the
// same graph, byte for byte. Without the section the copy would restart the
// generator from the seed and draw other levels.
TEST(IndexFile, ReloadedIndexContinuesTheSameLevelSequence) {
  auto index = SmallIndex(Metric::kL2);
  auto loaded = Load(index->SaveToBytes());
  ASSERT_TRUE(loaded.ok());
  Dataset more = Clustered(300, kDim, 9);
  for (uint32_t i = 0; i < 300; ++i) {
    ASSERT_TRUE(index->Add(ItemKey::Number(300000 + i), more.row(i)).ok());
    ASSERT_TRUE(loaded.value()->Add(ItemKey::Number(300000 + i), more.row(i)).ok());
  }
  EXPECT_TRUE(loaded.value()->SaveToBytes() == index->SaveToBytes());
  // An all-zero state (which the generator never reaches) is refused.
  std::string bytes = index->SaveToBytes();
  bool found = false;
  for (const nvtest::SectionRef& sec : nvtest::Sections(bytes)) {
    if (sec.kind != index_file::kLevelGenerator) continue;
    found = true;
    ASSERT_EQ(sec.length, 32u);
    std::memset(&bytes[sec.offset], 0, 32);
    nvtest::Reseal(bytes, sec);
  }
  ASSERT_TRUE(found);
  auto zero = Load(bytes);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(zero.status().message().find("level generator"), std::string::npos) << zero.status().message();
}

TEST(IndexFile, EmptyIndexRoundTrips) {
  auto index = MakeIndex(Config(kDim, Metric::kL2));
  std::string bytes = index->SaveToBytes();
  auto loaded = Load(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded.value()->size(), 0u);
  EXPECT_EQ(loaded.value()->SaveToBytes(), bytes);
}

TEST(IndexFile, EveryTruncationIsRefused) {
  std::string bytes = SmallIndex(Metric::kL2, 30)->SaveToBytes();
  for (size_t len = 0; len < bytes.size(); ++len) {
    auto loaded = VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(bytes.data()), len);
    ASSERT_FALSE(loaded.ok()) << "a file cut to " << len << " of " << bytes.size() << " bytes loaded";
    ASSERT_TRUE(IsFileError(loaded.status().code())) << len << ": " << loaded.status().message();
  }
}

TEST(IndexFile, ByteFlipsAreRefusedOrHarmless) {
  auto index = SmallIndex(Metric::kCosine, 40);
  const std::string bytes = index->SaveToBytes();
  const auto expected = Answers(*index);
  Rng rng(2024);
  int refused = 0, loaded_same = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string damaged = bytes;
    size_t pos = rng.Below(damaged.size());
    damaged[pos] = static_cast<char>(damaged[pos] ^ static_cast<char>(1 + rng.Below(255)));
    auto loaded = Load(damaged);
    if (!loaded.ok()) {
      ASSERT_TRUE(IsFileError(loaded.status().code())) << pos << ": " << loaded.status().message();
      ++refused;
      continue;
    }
    // Only bytes no checksum covers (padding, the unused rest of a header slot,
    // one of the two header copies) may change without a refusal; the data must
    // then be exactly the original.
    ASSERT_TRUE(SameAnswers(expected, Answers(*loaded.value()))) << "flip at " << pos << " changed the answers";
    ++loaded_same;
  }
  EXPECT_GT(refused, 0);
  std::printf("byte flips: %d refused, %d loaded unchanged\n", refused, loaded_same);
}

TEST(IndexFile, ForeignBytesAreNotIndexFiles) {
  const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
  std::string zeros(16384, '\0');
  std::string random(20000, '\0');
  Rng rng(7);
  for (char& c : random) c = static_cast<char>(rng.Below(256));
  for (const std::string& bytes : {std::string(reinterpret_cast<const char*>(png), sizeof png), zeros, random,
                                   std::string("NEURO"), std::string()}) {
    auto loaded = Load(bytes);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), StatusCode::kNotAnIndexFile) << loaded.status().message();
  }
}

TEST(IndexFile, DamagedFirstHeaderSlotFallsBackToTheSecond) {
  auto index = SmallIndex(Metric::kL2, 30);
  std::string bytes = index->SaveToBytes();
  bytes[20] ^= 0x40;  // inside slot 0's checksummed header
  auto loaded = Load(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_TRUE(SameAnswers(Answers(*index), Answers(*loaded.value())));
  bytes[index_file::kPageSize + 20] ^= 0x40;  // and slot 1: nothing valid is left
  auto both = Load(bytes);
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.status().code(), StatusCode::kCorrupt);
}

TEST(IndexFile, NewerFormatVersionIsUnsupported) {
  std::string bytes = SmallIndex(Metric::kL2, 20)->SaveToBytes();
  for (size_t slot : {size_t{0}, size_t{index_file::kPageSize}}) {
    bytes[slot + 8] = 2;  // version field, then a correct checksum
    uint32_t crc = Crc32c(reinterpret_cast<const uint8_t*>(bytes.data()) + slot, index_file::kHeaderCrcOffset);
    for (int i = 0; i < 4; ++i) bytes[slot + index_file::kHeaderCrcOffset + i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
  }
  auto loaded = Load(bytes);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kUnsupportedVersion) << loaded.status().message();
}

TEST(IndexFile, Crc32cMatchesTheStandardCheckValue) {
  const char* text = "123456789";
  EXPECT_EQ(Crc32c(reinterpret_cast<const uint8_t*>(text), 9), 0xE3069283u);
  EXPECT_EQ(Crc32cPortable(reinterpret_cast<const uint8_t*>(text), 9), 0xE3069283u);
}

// The hardware path (where the CPU has one) equals the table on every length,
// alignment and starting value.
TEST(IndexFile, Crc32cFastPathEqualsTable) {
  std::vector<uint8_t> bytes(3 * 4096 + 200);
  Rng rng(3);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng.Below(256));
  for (size_t offset = 0; offset < 9; ++offset) {
    // Lengths from 3 x 4096 on take the three-stream path (joined by Crc32cCombine).
    for (size_t len : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{63}, size_t{1000}, size_t{4096},
                       size_t{3 * 4096}, size_t{3 * 4096 + 1}, size_t{3 * 4096 + 23}, size_t{3 * 4096 + 191}}) {
      for (uint32_t seed : {0u, 0xDEADBEEFu}) {
        ASSERT_EQ(Crc32c(bytes.data() + offset, len, seed), Crc32cPortable(bytes.data() + offset, len, seed))
            << "offset " << offset << " length " << len;
      }
    }
  }
}

// Sections of 8 MiB and more are checked on worker threads while the open
// goes on (natively): a damaged byte in any slice of them still fails the open,
// naming the section, and an intact file opens.
TEST(IndexFile, LargeSectionsCheckedInParallelStillCatchDamage) {
  const uint32_t dim = 1024, n = 2200;  // vectors section: 2200 x 4 KiB = 8.6 MiB
  Dataset ds = Clustered(n, dim, 21);
  IndexConfig c = Config(dim, Metric::kL2, 8, 40);
  auto index = MakeIndex(c);
  std::vector<ItemKey> keys;
  for (uint32_t i = 0; i < n; ++i) keys.push_back(ItemKey::Number(i));
  ASSERT_TRUE(index->AddBatch(keys, ds.data.data(), {}, {}).ok());
  const std::string good = index->SaveToBytes();
  ASSERT_TRUE(Load(good).ok());
  uint64_t offset = 0, length = 0;
  for (const nvtest::SectionRef& sec : nvtest::Sections(good)) {
    if (sec.kind == index_file::kVectors) offset = sec.offset, length = sec.length;
  }
  ASSERT_GE(length, uint64_t{8} << 20);
  for (double at : {0.0, 0.3, 0.5, 0.77, 0.999}) {
    std::string bad = good;
    bad[offset + static_cast<uint64_t>(at * (length - 1))] ^= 0x10;
    auto loaded = Load(bad);
    ASSERT_FALSE(loaded.ok()) << at;
    EXPECT_EQ(loaded.status().code(), StatusCode::kCorrupt);
    EXPECT_NE(loaded.status().message().find("vectors section"), std::string::npos) << loaded.status().message();
  }
}

// CRC(A || B) from CRC(A), CRC(B) and |B|, for every split of random buffers.
TEST(IndexFile, Crc32cCombineJoinsPieces) {
  Rng rng(4);
  for (size_t size : {size_t{1}, size_t{2}, size_t{17}, size_t{300}}) {
    std::vector<uint8_t> bytes(size);
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng.Below(256));
    for (uint32_t seed : {0u, 0x12345678u}) {
      const uint32_t whole = Crc32cPortable(bytes.data(), size, seed);
      for (size_t cut = 0; cut <= size; ++cut) {
        const uint32_t a = Crc32cPortable(bytes.data(), cut, seed);
        const uint32_t b = Crc32cPortable(bytes.data() + cut, size - cut);
        ASSERT_EQ(Crc32cCombine(a, b, size - cut), whole) << size << " " << cut;
      }
    }
  }
}

}  // namespace

namespace {

TEST(LocalFile, DurableWriteReplacesAtomicallyAndReadsBack) {
  using neurovec::ReadWholeFile;
  using neurovec::WriteFileDurably;
  char dir_template[] = "/tmp/neurovec-file-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/index.nvx";
  auto index = SmallIndex(neurovec::Metric::kL2, 25);
  const std::string first = index->SaveToBytes();
  ASSERT_TRUE(WriteFileDurably(path, first).ok());
  ASSERT_TRUE(index->Remove(neurovec::ItemKey::Number(1)).value());
  const std::string second = index->SaveToBytes();
  ASSERT_NE(first, second);
  ASSERT_TRUE(WriteFileDurably(path, second).ok());  // replaces the first
  auto read = ReadWholeFile(path);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read.value(), second);
  auto loaded = Load(read.value());
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded.value()->size(), index->size());
  auto missing = ReadWholeFile(path + ".absent");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), neurovec::StatusCode::kNotFound);
  auto unwritable = WriteFileDurably(std::string(dir_template) + "/no/such/dir/index.nvx", first);
  EXPECT_FALSE(unwritable.ok());
  std::remove(path.c_str());
  rmdir(dir_template);
}

#if !defined(__EMSCRIPTEN__)
// The streamed native save: the bytes of SaveToBytes at the path, an older
// file replaced, no temporary or lock file left; a path it cannot write
// leaves nothing behind.
TEST(LocalFile, SaveIndexFileDurablyStreamsTheSnapshot) {
  char dir_template[] = "/tmp/neurovec-save-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string path = dir + "/index.nvx";
  auto index = SmallIndex(neurovec::Metric::kCosine, 300);
  ASSERT_TRUE(neurovec::WriteFileDurably(path, "an older file").ok());
  auto saved = neurovec::SaveIndexFileDurably(*index, path);
  ASSERT_TRUE(saved.ok()) << saved.status().message();
  const std::string expected = index->SaveToBytes();
  EXPECT_EQ(saved.value(), expected.size());
  auto read = neurovec::ReadWholeFile(path);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read.value() == expected);
  auto failed = neurovec::SaveIndexFileDurably(*index, dir + "/no/such/dir/index.nvx");
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(std::remove(path.c_str()), 0);
  EXPECT_EQ(rmdir(dir_template), 0) << "the save left a temporary or lock file behind";
}
#endif

#ifdef NEUROVEC_FIXTURE_DIR
// Files written by an earlier build (before the codec was split by section):
// they open, and saving what was read gives the same bytes.
TEST(IndexFile, FixtureFilesFromAnEarlierBuildRoundTripByteIdentically) {
  for (const char* name : {"v1_small.nvx", "v1_quantized.nvx", "v1_tiers.nvx"}) {
    SCOPED_TRACE(name);
    auto bytes = ReadWholeFile(std::string(NEUROVEC_FIXTURE_DIR) + "/" + name);
    ASSERT_TRUE(bytes.ok()) << bytes.status().message();
    const std::string& file = bytes.value();
    auto index = VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(file.data()), file.size());
    ASSERT_TRUE(index.ok()) << index.status().message();
    EXPECT_GT(index.value()->size(), 0u);
    const std::string saved = index.value()->SaveToBytes();
    EXPECT_EQ(saved.size(), file.size());
    EXPECT_TRUE(saved == file);
  }
}

// The streaming writer (checkpoints) puts down the bytes the in-memory one
// (ToBytes) makes: the files an earlier build wrote, streamed in chunks of two
// pages (so rows, blocks and sections are cut at every kind of boundary) and
// of the default size.
TEST(IndexFile, StreamedImagesEqualFilesFromAnEarlierBuild) {
  for (const char* name : {"v1_small.nvx", "v1_quantized.nvx", "v1_tiers.nvx"}) {
    auto bytes = ReadWholeFile(std::string(NEUROVEC_FIXTURE_DIR) + "/" + name);
    ASSERT_TRUE(bytes.ok()) << bytes.status().message();
    const std::string& file = bytes.value();
    auto index = VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(file.data()), file.size());
    ASSERT_TRUE(index.ok()) << index.status().message();
    for (size_t chunk : {size_t{8192}, size_t{12288}, index_file::kImageChunkBytes}) {
      SCOPED_TRACE(std::string(name) + ", chunk " + std::to_string(chunk));
      MemoryStorage out;
      index_file::Header h;
      index_file::ImageRows rows;
      index_file::ImageOutcome outcome;
      ASSERT_TRUE(index_file::WriteImage(*index.value(), out, 8192, 0, chunk, &h, &rows, &outcome).ok());
      EXPECT_FALSE(outcome.overflowed);
      ASSERT_EQ(out.bytes().size(), file.size());
      EXPECT_TRUE(out.bytes().compare(8192, std::string::npos, file, 8192, std::string::npos) == 0);
      EXPECT_EQ(h.image_end, file.size());
      auto table = index_file::ReadSectionTable(reinterpret_cast<const uint8_t*>(file.data()), file.size());
      ASSERT_TRUE(table.ok());
      const auto recorded = index_file::ReadHeader(reinterpret_cast<const uint8_t*>(file.data()), file.size(), nullptr);
      EXPECT_EQ(h.table_offset, recorded.value().table_offset);
      EXPECT_EQ(h.table_crc, recorded.value().table_crc);
      EXPECT_FALSE(rows.vectors.block_crcs.empty());
    }
  }
}

#endif

// SaveTo streams the bytes ToBytes returns into a storage, replacing what
// it held.
TEST(IndexFile, SaveToWritesTheBytesOfToBytes) {
  for (Metric metric : AllMetrics()) {
    SCOPED_TRACE(MetricName(metric));
    auto index = SmallIndex(metric, 400);
    MemoryStorage out(std::string(100000, 'x'));
    ASSERT_TRUE(index->SaveTo(out).ok());
    EXPECT_TRUE(out.bytes() == index->SaveToBytes());
  }
}

// An index with many blocks of rows that do not fill a page (100 dimensions
// are stored padded, and a block holds the rows that fit in 4096 bytes),
// streamed in small chunks, equals its in-memory image; a limit below the
// image's end is reported and never written past.
TEST(IndexFile, StreamedImageChecksBlocksAcrossChunksAndRespectsItsLimit) {
  constexpr uint32_t kDims = 100, kItems = 2000;
  Dataset ds = Clustered(kItems, kDims, 5);
  auto index = MakeIndex(Config(kDims, Metric::kL2, 8, 40));
  for (uint32_t i = 0; i < kItems; ++i) ASSERT_TRUE(index->Add(ItemKey::Number(i), ds.row(i), "{\"i\":1}").ok());
  index_file::Header expected_header;
  std::string expected;
  ASSERT_TRUE(index_file::EncodeImage(*index, 8192, &expected_header, &expected).ok());
  for (size_t chunk : {size_t{8192}, size_t{20480}}) {
    SCOPED_TRACE(chunk);
    MemoryStorage out;
    index_file::Header h;
    index_file::ImageRows rows;
    index_file::ImageOutcome outcome;
    ASSERT_TRUE(index_file::WriteImage(*index, out, 8192, 0, chunk, &h, &rows, &outcome).ok());
    EXPECT_TRUE(out.bytes().compare(8192, std::string::npos, expected) == 0);
    EXPECT_EQ(h.table_crc, expected_header.table_crc);
    EXPECT_GT(rows.vectors.block_crcs.size(), 100u);
    EXPECT_GT(rows.level0.block_crcs.size(), 1u);
  }
  // The image does not fit below `limit`: nothing at or past it is written.
  const uint64_t limit = 8192 + expected.size() / 2 / 4096 * 4096;
  MemoryStorage out;
  index_file::Header h;
  index_file::ImageRows rows;
  index_file::ImageOutcome outcome;
  ASSERT_TRUE(index_file::WriteImage(*index, out, 8192, limit, 8192, &h, &rows, &outcome).ok());
  EXPECT_TRUE(outcome.overflowed);
  EXPECT_LE(out.bytes().size(), limit);
}

}  // namespace
