// Reads that only one thread may do, asked for by others: the wasm host's
// storage reads through JavaScript objects that live on the thread that
// opened the index (wasm/host_storage.cc), while a batch search reads pages
// from its worker threads (VectorIndex::SearchBatch). A worker queues its
// read and waits; the owner thread, waiting for the batch in ServeWhile,
// runs the reads as they come. Portable C++ (mutex and condition variable),
// so the native twin of a host storage in the tests exercises the same code.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "neurovec/status.h"
#include "neurovec/storage.h"

namespace neurovec {

class OwnerThreadReads {
 public:
  // The calling thread is the owner.
  OwnerThreadReads() : owner_(std::this_thread::get_id()) {}

  bool OnOwnerThread() const { return std::this_thread::get_id() == owner_; }

  // From another thread: runs `read` on the owner thread and returns its
  // status. kFailedPrecondition, without running it, when the owner is not
  // serving (it would never run: better an error than a hang).
  Status RunOnOwner(const std::function<Status()>& read);

  // On the owner thread: starts serving, calls `start` (which starts the
  // threads that will read), then runs queued reads until `busy()` returns
  // false (checked after each round, and at least every millisecond).
  void ServeWhile(const std::function<void()>& start, const std::function<bool()>& busy);

  uint64_t served() const { return served_; }  // reads run for other threads (owner thread only)

 private:
  struct Request {
    const std::function<Status()>* read;
    Status result = Status::Ok();
    std::atomic<bool> done{false};
  };
  std::thread::id owner_;
  std::mutex mutex_;
  std::condition_variable queued_, done_;
  std::vector<Request*> queue_;
  std::atomic<uint32_t> queued_count_{0};  // queue_.size(), readable without the mutex
  bool serving_ = false;
  uint64_t served_ = 0;
};

// A storage whose reads run on the thread that created it, on top of `Base`
// (Storage, or a storage to extend): a Read from another thread is queued for
// that thread, which serves it in ServeReadsWhile. Subclasses implement
// ReadOnOwnerThread. Used by the wasm host's storage and its test twins.
template <typename Base>
class OwnerThreadStorage : public Base {
 public:
  using Base::Base;

  Status Read(uint64_t offset, void* out, size_t n) final {
    if (!reads_.OnOwnerThread()) return reads_.RunOnOwner([&] { return ReadOnOwnerThread(offset, out, n); });
    return ReadOnOwnerThread(offset, out, n);
  }
  bool reads_need_owner_thread() const final { return true; }
  void ServeReadsWhile(const std::function<void()>& start, const std::function<bool()>& busy) final {
    reads_.ServeWhile(start, busy);
  }
  const OwnerThreadReads& owner_reads() const { return reads_; }

 protected:
  virtual Status ReadOnOwnerThread(uint64_t offset, void* out, size_t n) = 0;

 private:
  OwnerThreadReads reads_;  // created with the storage: its thread is the owner
};

}  // namespace neurovec
