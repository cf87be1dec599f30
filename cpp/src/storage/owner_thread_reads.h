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
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "neurovec/status.h"

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

}  // namespace neurovec
