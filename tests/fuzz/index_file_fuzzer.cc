// libFuzzer target for the index file reader: header slots, section table,
// every section and the log replay, through VectorIndex::LoadFromBytes (the
// path of fromBytes() and of every open). Built with clang and
// -fsanitize=fuzzer,address,undefined (tests/fuzz/CMakeLists.txt); any crash,
// leak, out-of-bounds access or undefined behaviour is a finding. A non-Ok
// Status is the expected answer to bad bytes.
#include <cstddef>
#include <cstdint>

#include "neurovec/vector_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto loaded = neurovec::VectorIndex::LoadFromBytes(data, size);
  if (loaded.ok()) {
    // What was accepted must be usable: search it and write it again.
    neurovec::VectorIndex& index = *loaded.value();
    std::vector<float> query(index.config().dimensions, 0.5f);
    neurovec::SearchParams params;
    params.k = 3;
    (void)index.Search(query.data(), params);
    (void)index.SaveToBytes();
  }
  return 0;
}
