#include "storage/owner_thread_reads.h"

#include <chrono>

namespace neurovec {
namespace {
// Each side spins this long before it sleeps. A read served across threads
// otherwise costs two wake-ups of sleeping threads (tens of microseconds each
// on a VM, in Node's workers as natively), against a few microseconds for
// the read itself; a batch that misses its cache asks for reads back to back.
constexpr auto kSpin = std::chrono::microseconds(40);

template <typename Ready>
bool SpinUntil(Ready ready) {
  const auto until = std::chrono::steady_clock::now() + kSpin;
  do {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
    }
  } while (std::chrono::steady_clock::now() < until);
  return ready();
}
}  // namespace

Status OwnerThreadReads::RunOnOwner(const std::function<Status()>& read) {
  Request request;
  request.read = &read;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!serving_) {
      return Status::FailedPrecondition(
          "a read from a worker thread of a storage that only its own thread reads, while that thread is not "
          "serving reads");
    }
    queue_.push_back(&request);
    queued_count_.store(static_cast<uint32_t>(queue_.size()), std::memory_order_release);
  }
  queued_.notify_one();
  if (!SpinUntil([&] { return request.done.load(std::memory_order_acquire); })) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return request.done.load(std::memory_order_acquire); });
  }
  // The owner is done with `request` once `done` is set under its mutex:
  // take the mutex once so it has also left notify_all.
  std::lock_guard<std::mutex> lock(mutex_);
  return request.result;
}

void OwnerThreadReads::ServeWhile(const std::function<void()>& start, const std::function<bool()>& busy) {
  std::unique_lock<std::mutex> lock(mutex_);
  serving_ = true;
  lock.unlock();
  start();
  lock.lock();
  bool served_some = false;
  for (;;) {
    served_some = !queue_.empty();
    while (!queue_.empty()) {
      std::vector<Request*> round;
      round.swap(queue_);
      queued_count_.store(0, std::memory_order_relaxed);
      lock.unlock();
      for (Request* r : round) r->result = (*r->read)();
      lock.lock();
      for (Request* r : round) r->done.store(true, std::memory_order_release);
      served_ += round.size();
      done_.notify_all();
    }
    // `busy` turns false only when the workers are done, and done workers
    // queue nothing: checked with the queue empty, that ends the serving.
    lock.unlock();
    const bool more = busy();
    // Reads come in runs (a cold cache): after serving, wait for the next
    // one awake; when none came, sleep (a warm batch asks for none).
    if (more && served_some) SpinUntil([&] { return queued_count_.load(std::memory_order_acquire) > 0; });
    lock.lock();
    if (!more && queue_.empty()) break;
    queued_.wait_for(lock, std::chrono::milliseconds(1), [&] { return !queue_.empty(); });
  }
  serving_ = false;
}

}  // namespace neurovec
