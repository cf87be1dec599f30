// In-memory storages: MemoryStorage (a growable byte image) and ByteViewStorage
// (a read-only window on the caller's bytes).
#include <cstring>
#include <string>

#include "neurovec/storage.h"

namespace neurovec {
namespace {

Status PastEnd(uint64_t offset, size_t n, uint64_t size) {
  return Status::Corrupt("read of " + std::to_string(n) + " bytes at offset " + std::to_string(offset) +
                         " runs past the end of the data (" + std::to_string(size) + " bytes): truncated");
}

bool InRange(uint64_t offset, uint64_t n, uint64_t size) { return offset <= size && n <= size - offset; }

}  // namespace

Status MemoryStorage::Read(uint64_t offset, void* out, size_t n) {
  if (!InRange(offset, n, bytes_.size())) return PastEnd(offset, n, bytes_.size());
  if (n) std::memcpy(out, bytes_.data() + offset, n);
  return Status::Ok();
}

Status MemoryStorage::Write(uint64_t offset, const void* data, size_t n) {
  if (offset > (uint64_t{1} << 40) || static_cast<uint64_t>(n) > (uint64_t{1} << 40)) return Status::OutOfRange("write beyond 1 TiB");
  if (offset + n > bytes_.size()) bytes_.resize(offset + n, '\0');
  if (n) std::memcpy(&bytes_[offset], data, n);
  return Status::Ok();
}

Status MemoryStorage::Truncate(uint64_t size) {
  if (size > (uint64_t{1} << 40)) return Status::OutOfRange("size beyond 1 TiB");
  bytes_.resize(size, '\0');
  return Status::Ok();
}

const uint8_t* MemoryStorage::View(uint64_t offset, uint64_t n) {
  if (!InRange(offset, n, bytes_.size())) return nullptr;
  return reinterpret_cast<const uint8_t*>(bytes_.data()) + offset;
}

Status ByteViewStorage::Read(uint64_t offset, void* out, size_t n) {
  if (!InRange(offset, n, size_)) return PastEnd(offset, n, size_);
  if (n) std::memcpy(out, data_ + offset, n);
  return Status::Ok();
}

Status ByteViewStorage::Write(uint64_t, const void*, size_t) {
  return Status::FailedPrecondition("this index was opened from bytes, which are read-only");
}

Status ByteViewStorage::Truncate(uint64_t) {
  return Status::FailedPrecondition("this index was opened from bytes, which are read-only");
}

const uint8_t* ByteViewStorage::View(uint64_t offset, uint64_t n) {
  return InRange(offset, n, size_) ? data_ + offset : nullptr;
}

}  // namespace neurovec
