// Who may read an index's paged rows and lists (storage/row_pager.h) at once.
//
// Searches take the gate shared, each with its own reader id, so a batch of
// searches over an index paged from its file runs on every thread as it does
// in memory. Everything else that reads through the pagers (a checkpoint's
// encode, health, training the router, workload adaptation) takes it
// exclusively and reads as reader 0, as before the pagers could be shared.
//
// Re-entrant per thread: a learned search runs a vector search inside, a
// training pass runs searches; a thread that holds the gate (either way)
// passes through again without waiting and keeps its reader id. Unpaged
// indexes never touch the gate (VectorIndex::Impl::LockIfPaged).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <shared_mutex>

#include "storage/row_pager.h"

namespace neurovec {

class PagingGate {
 public:
  // Called with a reader id when its search ends, before the id is reused:
  // the pagers drop that reader's pins (RowPager::EndReader).
  explicit PagingGate(std::function<void(uint32_t)> end_reader) : end_reader_(std::move(end_reader)) {}
  PagingGate(const PagingGate&) = delete;
  PagingGate& operator=(const PagingGate&) = delete;

  class Hold {
   public:
    Hold() = default;
    Hold(Hold&& other) noexcept { *this = std::move(other); }
    Hold& operator=(Hold&& other) noexcept;
    ~Hold() { Release(); }

   private:
    friend class PagingGate;
    void Release();
    const PagingGate* gate_ = nullptr;  // null: nothing to release (re-entered, or unpaged)
    bool shared_ = false;
    uint32_t reader_ = 0;
    uint32_t previous_reader_ = 0;
  };

  // For a search: shared, with a reader id of its own (waits while all
  // kMaxPagingReaders - 1 ids are taken).
  Hold Shared() const;
  // For everything else that reads pages: alone, as reader 0.
  Hold Exclusive() const;

 private:
  bool HeldByThisThread() const;

  std::function<void(uint32_t)> end_reader_;
  mutable std::shared_mutex mutex_;
  mutable std::mutex ids_mutex_;
  mutable std::condition_variable id_freed_;
  mutable uint64_t ids_taken_ = 1;  // bit r: reader id r in use (0 is the exclusive holders')
};

}  // namespace neurovec
