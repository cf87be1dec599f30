#include "storage/owner_thread_reads.h"

#include <chrono>

namespace neurovec {

Status OwnerThreadReads::RunOnOwner(const std::function<Status()>& read) {
  Request request;
  request.read = &read;
  std::unique_lock<std::mutex> lock(mutex_);
  if (!serving_) {
    return Status::FailedPrecondition(
        "a read from a worker thread of a storage that only its own thread reads, while that thread is not "
        "serving reads");
  }
  queue_.push_back(&request);
  queued_.notify_one();
  done_.wait(lock, [&] { return request.done; });
  return request.result;
}

void OwnerThreadReads::ServeWhile(const std::function<void()>& start, const std::function<bool()>& busy) {
  std::unique_lock<std::mutex> lock(mutex_);
  serving_ = true;
  lock.unlock();
  start();
  lock.lock();
  for (;;) {
    while (!queue_.empty()) {
      std::vector<Request*> round;
      round.swap(queue_);
      lock.unlock();
      for (Request* r : round) r->result = (*r->read)();
      lock.lock();
      for (Request* r : round) r->done = true;
      served_ += round.size();
      done_.notify_all();
    }
    // `busy` turns false only when the workers are done, and done workers
    // queue nothing: checked with the queue empty, that ends the serving.
    lock.unlock();
    const bool more = busy();
    lock.lock();
    if (!more && queue_.empty()) break;
    queued_.wait_for(lock, std::chrono::milliseconds(1), [&] { return !queue_.empty(); });
  }
  serving_ = false;
}

}  // namespace neurovec
