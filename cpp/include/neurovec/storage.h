// Where a durable index keeps its file: one byte-addressed file behind a small
// interface, so the same file format, log and recovery code run over native
// files, Node's fs, OPFS and IndexedDB (the wasm build implements Storage with
// functions the JS host provides; see wasm/imported_storage.h).
//
// Contract for implementations
// - Read returns exactly n bytes, or an error (reading past the end is an error).
// - Write may extend the file; bytes between the old end and `offset` read as zeros.
// - Flush is the durability point: when it returns Ok, every earlier Write and
//   Truncate survives a crash (process kill, power loss). Before it, any of them
//   may be lost, kept or, for the bytes they touched, garbled.
// - Errors use kIoError (with the system's reason), kQuotaExceeded (out of
//   space) or kLocked; after a failed Write or Flush the caller stops writing.
// - Calls come from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <functional>
#include <string>

#include "neurovec/status.h"

namespace neurovec {

class Storage {
 public:
  virtual ~Storage() = default;

  virtual Result<uint64_t> Size() = 0;
  virtual Status Read(uint64_t offset, void* out, size_t n) = 0;
  virtual Status Write(uint64_t offset, const void* data, size_t n) = 0;
  virtual Status Flush() = 0;
  virtual Status Truncate(uint64_t size) = 0;

  // The bytes [offset, offset + n) in place, when the backend can give them
  // without copying (memory, or a read-only map of a native file); nullptr
  // otherwise. Valid until the next Write, Truncate or the Storage's end.
  virtual const uint8_t* View(uint64_t offset, uint64_t n) { return nullptr; }
  // True when views stay valid for the Storage's whole life (a read-only map
  // of a file that is never written through this Storage), so an index may
  // use them in place.
  virtual bool views_are_stable() const { return false; }

  // For messages: a path or a name.
  virtual std::string Describe() const = 0;

  // Most storages read on any thread (pread, memcpy). The wasm host's
  // storage reads through JavaScript objects that live on one thread: it
  // says so here, and a read from another thread waits until that thread
  // serves it in ServeReadsWhile (VectorIndex::SearchBatch over a paged
  // index does: the calling thread serves while the others search).
  virtual bool reads_need_owner_thread() const { return false; }
  // On the owner thread: calls `start` (which starts the threads that will
  // read), then serves their reads until `busy()` returns false (checked
  // after each round of reads, and at least every millisecond). Storages
  // that read anywhere just call `start`.
  virtual void ServeReadsWhile(const std::function<void()>& start, const std::function<bool()>& busy) {
    (void)busy;
    start();
  }
};

// How a native file is opened.
enum class FileMode {
  kCreate,    // a new file; kAlreadyExists if the path exists
  kReadWrite, // an existing file, for writing (takes the writer lock)
  kReadOnly,  // an existing file, never written (no lock)
};

// A file on the local file system (native build): pread/pwrite, fdatasync as the
// flush. Writers take `path + ".lock"` (created exclusively, holding the
// process id; a lock whose process is gone is taken over), so a second writer,
// native or Node, gets kLocked. Read-only files are also mapped read-only, so
// View() is zero-copy.
Result<std::unique_ptr<Storage>> OpenFileStorage(const std::string& path, FileMode mode);

// Bytes in memory. `View` always works. Used by toBytes/fromBytes, tests and
// the IndexedDB backend's image.
class MemoryStorage : public Storage {
 public:
  MemoryStorage() = default;
  explicit MemoryStorage(std::string bytes) : bytes_(std::move(bytes)) {}

  Result<uint64_t> Size() override { return static_cast<uint64_t>(bytes_.size()); }
  Status Read(uint64_t offset, void* out, size_t n) override;
  Status Write(uint64_t offset, const void* data, size_t n) override;
  Status Flush() override { return Status::Ok(); }
  Status Truncate(uint64_t size) override;
  const uint8_t* View(uint64_t offset, uint64_t n) override;
  std::string Describe() const override { return "memory"; }

  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

// A read-only window on bytes owned by the caller (no copy): opening an index
// from a buffer. Writes fail with kFailedPrecondition.
class ByteViewStorage : public Storage {
 public:
  ByteViewStorage(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  Result<uint64_t> Size() override { return static_cast<uint64_t>(size_); }
  Status Read(uint64_t offset, void* out, size_t n) override;
  Status Write(uint64_t, const void*, size_t) override;
  Status Flush() override { return Status::Ok(); }
  Status Truncate(uint64_t) override;
  const uint8_t* View(uint64_t offset, uint64_t n) override;
  std::string Describe() const override { return "bytes"; }

 private:
  const uint8_t* data_;
  size_t size_;
};

}  // namespace neurovec
