// libFuzzer target for the log reader: a valid small index image whose header
// says a log follows, then the fuzzer's bytes as that log. Exercises record
// parsing, epochs, sequence numbers, the torn-tail / corruption decision and
// the replay of adds, deletes and metadata updates. Seed inputs are real logs
// (make_seed_corpus writes them).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "neurovec/storage.h"
#include "neurovec/vector_index.h"

namespace {

// A durable file with 3 items in its image and a log of a few writes.
std::string MakeFile() {
  auto storage = std::make_unique<neurovec::MemoryStorage>();
  neurovec::MemoryStorage* raw = storage.get();
  neurovec::IndexConfig config;
  config.dimensions = 4;
  config.metric = neurovec::Metric::kL2;
  config.m = 4;
  config.ef_construction = 8;
  auto index = neurovec::VectorIndex::Create(config, std::move(storage));
  float v[4] = {1, 2, 3, 4};
  for (int i = 0; i < 3; ++i) {
    v[0] = static_cast<float>(i);
    (void)index.value()->Add(neurovec::ItemKey::Number(i), v);
  }
  (void)index.value()->Checkpoint();
  for (int i = 3; i < 6; ++i) {
    v[1] = static_cast<float>(i);
    (void)index.value()->Add(neurovec::ItemKey::Number(i), v, "{\"i\":1}");
  }
  (void)index.value()->Remove(neurovec::ItemKey::Number(1));
  (void)index.value()->SetMetadata(neurovec::ItemKey::Number(2), "{\"x\":true}");
  (void)index.value()->Sync();
  return raw->bytes();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string file = MakeFile();
  static const size_t image_end = [] {
    uint64_t v = 0;  // header field "file length" (the image end) at byte 24
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(file[24 + i])) << (8 * i);
    return static_cast<size_t>(v);
  }();
  std::string bytes = file.substr(0, image_end);
  bytes.append(reinterpret_cast<const char*>(data), size);
  auto opened = neurovec::VectorIndex::Open(std::make_unique<neurovec::MemoryStorage>(bytes), neurovec::OpenOptions{true});
  if (opened.ok()) {
    std::vector<float> query(4, 1.0f);
    neurovec::SearchParams params;
    params.k = 10;
    (void)opened.value()->Search(query.data(), params);
  }
  return 0;
}

// With NEUROVEC_FUZZ_WRITE_SEED=path, writes the real log of MakeFile() there
// and the whole file to path.nvx (seeds for both targets), then exits.
__attribute__((constructor)) static void WriteSeed() {
  const char* path = std::getenv("NEUROVEC_FUZZ_WRITE_SEED");
  if (!path) return;
  std::string file = MakeFile();
  uint64_t end = 0;
  for (int i = 0; i < 8; ++i) end |= static_cast<uint64_t>(static_cast<uint8_t>(file[24 + i])) << (8 * i);
  FILE* f = std::fopen(path, "wb");
  if (f) {
    std::fwrite(file.data() + end, 1, file.size() - end, f);
    std::fclose(f);
  }
  f = std::fopen((std::string(path) + ".nvx").c_str(), "wb");
  if (f) {
    std::fwrite(file.data(), 1, file.size(), f);
    std::fclose(f);
  }
  std::exit(0);
}
