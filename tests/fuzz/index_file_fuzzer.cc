// libFuzzer target for the index file reader: header slots, section table,
// every section and the log replay, through VectorIndex::LoadFromBytes (the
// path of fromBytes() and of every open), and the paged open (vectors read on
// demand, block checksums), through a storage that cannot show its bytes in
// place, as in wasm. Built with clang and -fsanitize=fuzzer,address,undefined
// (tests/fuzz/CMakeLists.txt); any crash, leak, out-of-bounds access or
// undefined behaviour is a finding. A non-Ok Status is the expected answer to
// bad bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "neurovec/storage.h"
#include "neurovec/vector_index.h"

namespace {

// The input's bytes with no View(): opens read sections, and page vectors.
class NoViewStorage : public neurovec::Storage {
 public:
  NoViewStorage(const uint8_t* data, size_t size) : bytes_(reinterpret_cast<const char*>(data), size) {}
  neurovec::Result<uint64_t> Size() override { return static_cast<uint64_t>(bytes_.size()); }
  neurovec::Status Read(uint64_t offset, void* out, size_t n) override {
    if (offset > bytes_.size() || n > bytes_.size() - offset) return neurovec::Status::IoError("read past the end");
    std::memcpy(out, bytes_.data() + offset, n);
    return neurovec::Status::Ok();
  }
  neurovec::Status Write(uint64_t, const void*, size_t) override { return neurovec::Status::IoError("read-only"); }
  neurovec::Status Flush() override { return neurovec::Status::Ok(); }
  neurovec::Status Truncate(uint64_t) override { return neurovec::Status::IoError("read-only"); }
  std::string Describe() const override { return "fuzz input"; }

 private:
  std::string bytes_;
};

// What was accepted must be usable: search it and write it again.
void Exercise(neurovec::VectorIndex& index) {
  std::vector<float> query(index.config().dimensions, 0.5f);
  neurovec::SearchParams params;
  params.k = 3;
  (void)index.Search(query.data(), params);
  (void)index.ToBytes();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto loaded = neurovec::VectorIndex::LoadFromBytes(data, size);
  if (loaded.ok()) Exercise(*loaded.value());
  for (bool verify : {true, false}) {
    neurovec::OpenOptions options;
    options.read_only = true;
    options.verify_checksums = verify;
    options.page_cache_bytes = 16 * 1024;
    auto opened = neurovec::VectorIndex::Open(std::make_unique<NoViewStorage>(data, size), options);
    if (opened.ok()) Exercise(*opened.value());
  }
  return 0;
}
