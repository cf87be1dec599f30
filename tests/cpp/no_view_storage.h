// A Storage over bytes in memory with no View(), like the wasm host storage
// and writable native files: an open reads its sections through Read, a paged
// open pages rows and lists, and a read-only paged open leaves the attached
// sections in the file. For the unit tests and the file fuzzer. Reads can be
// made to fail and are counted.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "neurovec/storage.h"

namespace nvtest {

class NoViewStorage : public neurovec::Storage {
 public:
  // The bytes may be shared with the test, which can then see writes.
  explicit NoViewStorage(std::shared_ptr<std::string> bytes) : bytes_(std::move(bytes)) {}
  explicit NoViewStorage(std::string bytes) : bytes_(std::make_shared<std::string>(std::move(bytes))) {}

  neurovec::Result<uint64_t> Size() override { return static_cast<uint64_t>(bytes_->size()); }
  neurovec::Status Read(uint64_t offset, void* out, size_t n) override {
    ++reads;
    bytes_read += n;
    if (fail_reads) return neurovec::Status::IoError("simulated read failure");
    if (offset > bytes_->size() || n > bytes_->size() - offset) return neurovec::Status::Corrupt("read past the end");
    std::memcpy(out, bytes_->data() + offset, n);
    return neurovec::Status::Ok();
  }
  neurovec::Status Write(uint64_t offset, const void* data, size_t n) override {
    if (bytes_->size() < offset + n) bytes_->resize(offset + n, '\0');
    std::memcpy(&(*bytes_)[offset], data, n);
    return neurovec::Status::Ok();
  }
  neurovec::Status Flush() override { return neurovec::Status::Ok(); }
  neurovec::Status Truncate(uint64_t size) override {
    bytes_->resize(size, '\0');
    return neurovec::Status::Ok();
  }
  std::string Describe() const override { return "no-view memory"; }

  bool fail_reads = false;
  // Atomic: searches on several threads read a paged index at once.
  std::atomic<uint64_t> reads{0};
  std::atomic<uint64_t> bytes_read{0};

 private:
  std::shared_ptr<std::string> bytes_;
};

}  // namespace nvtest
