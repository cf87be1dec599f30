// A one-byte lock per graph node. Critical sections are a few hundred
// nanoseconds (copying or rewriting one neighbour list), so spinning beats a
// std::mutex (40 bytes per node) in both memory and latency.
#pragma once

#include <atomic>

namespace neurovec {

class SpinLock {
 public:
  void lock() {
    while (flag_.exchange(true, std::memory_order_acquire)) {
      while (flag_.load(std::memory_order_relaxed)) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      }
    }
  }
  void unlock() { flag_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> flag_{false};
};

}  // namespace neurovec
