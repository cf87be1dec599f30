#include "persistence/deferred_checksums.h"

#include <algorithm>
#include <string>

#include "util/crc32c.h"

namespace neurovec::index_file {

bool DeferredChecksums::Defer(const SectionEntry& entry, const uint8_t* bytes) {
#if defined(__EMSCRIPTEN__)
  (void)entry;
  (void)bytes;
  return false;
#else
  if (entry.length < (uint64_t{8} << 20)) return false;
  sections_.push_back({entry, bytes});
  return true;
#endif
}

void DeferredChecksums::Start() {
  if (sections_.empty()) return;
  // Slices of 4 MiB taken from a shared counter: the threads, and the
  // opening thread once it has decoded the rest (Finish), take the next one.
  constexpr uint64_t kSlice = uint64_t{4} << 20;
  for (Pending& p : sections_) {
    p.first_slice = slices_.size();
    for (uint64_t at = 0; at < p.entry.length; at += kSlice) {
      slices_.push_back({p.bytes + at, static_cast<size_t>(std::min(kSlice, p.entry.length - at)), 0});
    }
    p.slices = slices_.size() - p.first_slice;
  }
  const unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  for (unsigned t = 0; t < threads && t < slices_.size(); ++t) workers_.emplace_back([this] { Work(); });
}

Status DeferredChecksums::Finish() {
  Work();
  Join();
  for (const Pending& p : sections_) {
    uint32_t crc = 0;
    for (size_t i = 0; i < p.slices; ++i) {
      const Slice& slice = slices_[p.first_slice + i];
      crc = i == 0 ? slice.crc : Crc32cCombine(crc, slice.crc, slice.size);
    }
    if (crc != p.entry.crc) {
      return Status::Corrupt("index file is corrupt: " + std::string(SectionName(p.entry.kind)) + " section (offset " +
                             std::to_string(p.entry.offset) + ") fails its checksum");
    }
  }
  return Status::Ok();
}

void DeferredChecksums::Work() {
  for (size_t i; (i = next_.fetch_add(1)) < slices_.size();) slices_[i].crc = Crc32c(slices_[i].data, slices_[i].size);
}

void DeferredChecksums::Join() {
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

}  // namespace neurovec::index_file
