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
#include "../cpp/no_view_storage.h"

namespace {

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
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (bool verify : {true, false}) {
    neurovec::OpenOptions options;
    options.read_only = true;
    options.verify_checksums = verify;
    options.page_cache_bytes = 16 * 1024;
    auto opened = neurovec::VectorIndex::Open(std::make_unique<nvtest::NoViewStorage>(bytes), options);
    if (opened.ok()) Exercise(*opened.value());
  }
  return 0;
}
