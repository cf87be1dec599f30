// neurovec::Storage over the host's storage functions (host_storage.h).
#include "host_storage.h"

#include <algorithm>
#include <memory>
#include <string>

#include "neurovec/storage.h"
#include "storage/owner_thread_reads.h"

namespace neurovec {
namespace {

// Large reads and writes cross to the host in pieces, so no single call asks
// the host for more than it may want to hold at once (OPFS, IndexedDB pages).
constexpr uint32_t kMaxChunk = 64u << 20;

// The host's functions run on the thread that opened the index; a batch
// search's worker threads ask that thread, which serves while it waits.
class HostStorage : public OwnerThreadStorage<Storage> {
 public:
  HostStorage(int32_t handle, std::string name) : handle_(handle), name_(std::move(name)) {}
  ~HostStorage() override { nv_host_storage_release(handle_); }

  Result<uint64_t> Size() override {
    double size = nv_host_storage_size(handle_);
    if (size < 0) return Failure(static_cast<int32_t>(size), "size");
    return static_cast<uint64_t>(size);
  }
  Status Write(uint64_t offset, const void* data, size_t n) override {
    for (size_t done = 0; done < n;) {
      uint32_t part = static_cast<uint32_t>(std::min<size_t>(n - done, kMaxChunk));
      int32_t rc = nv_host_storage_write(handle_, static_cast<double>(offset + done),
                                         static_cast<const char*>(data) + done, part);
      if (rc < 0) return Failure(rc, "write");
      done += part;
    }
    return Status::Ok();
  }
  Status Flush() override {
    int32_t rc = nv_host_storage_flush(handle_);
    return rc < 0 ? Failure(rc, "flush") : Status::Ok();
  }
  Status Truncate(uint64_t size) override {
    int32_t rc = nv_host_storage_truncate(handle_, static_cast<double>(size));
    return rc < 0 ? Failure(rc, "truncate") : Status::Ok();
  }
  std::string Describe() const override { return name_; }

 private:
  Status ReadOnOwnerThread(uint64_t offset, void* out, size_t n) override {
    for (size_t done = 0; done < n;) {
      uint32_t part = static_cast<uint32_t>(std::min<size_t>(n - done, kMaxChunk));
      int32_t rc = nv_host_storage_read(handle_, static_cast<double>(offset + done), static_cast<char*>(out) + done, part);
      if (rc < 0) return Failure(rc, "read");
      done += part;
    }
    return Status::Ok();
  }
  Status Failure(int32_t code, const char* what) {
    char message[512];
    uint32_t len = nv_host_storage_error(handle_, message, sizeof message);
    std::string text = std::string(what) + " failed: " + std::string(message, len < sizeof message ? len : sizeof message - 1);
    if (code == NV_HOST_QUOTA) return Status::QuotaExceeded(text);
    if (code == NV_HOST_LOCKED) return Status::Locked(text);
    return Status::IoError(text);
  }
  int32_t handle_;
  std::string name_;
};

}  // namespace

std::unique_ptr<Storage> MakeHostStorage(int32_t handle, std::string name) {
  return std::make_unique<HostStorage>(handle, std::move(name));
}

}  // namespace neurovec
