// Checksums of the large sections of a verified open, computed on worker
// threads while the open decodes everything else (native builds; wasm has no
// threads here, so it checks them in line). Each section is cut into slices,
// whose CRCs are joined with Crc32cCombine. On the 198 MB Fashion-MNIST
// file the check is memory-bound: in line it doubled a verified open.
// Joins its threads when destroyed, so it must not outlive the bytes it reads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include "neurovec/status.h"
#include "persistence/index_file.h"

namespace neurovec::index_file {

class DeferredChecksums {
 public:
  ~DeferredChecksums() { Join(); }

  // True when the section is worth checking apart (the caller then must not).
  bool Defer(const SectionEntry& entry, const uint8_t* bytes);

  // Starts the threads once every section was handed over.
  void Start();

  // Waits for the checks; kCorrupt naming the first section that fails.
  Status Finish();

 private:
  struct Pending {
    SectionEntry entry;
    const uint8_t* bytes;
    size_t first_slice = 0, slices = 0;
  };
  struct Slice {
    const uint8_t* data;
    size_t size;
    uint32_t crc;
  };
  void Work();
  void Join();
  std::atomic<size_t> next_{0};
  std::vector<Pending> sections_;
  std::vector<Slice> slices_;
  std::vector<std::thread> workers_;
};

}  // namespace neurovec::index_file
