#include "index/paging_gate.h"

#include <utility>

namespace neurovec {
namespace {
// The gates this thread holds (a search of a text index's vector index
// inside another index's training: rarely more than two).
constexpr int kMaxHeldGates = 8;
thread_local const PagingGate* t_held[kMaxHeldGates];
thread_local int t_held_count = 0;
}  // namespace

bool PagingGate::HeldByThisThread() const {
  for (int i = 0; i < t_held_count; ++i) {
    if (t_held[i] == this) return true;
  }
  return false;
}

PagingGate::Hold PagingGate::Shared() const {
  Hold hold;
  if (HeldByThisThread() || t_held_count == kMaxHeldGates) return hold;
  mutex_.lock_shared();
  uint32_t reader;
  {
    std::unique_lock<std::mutex> lock(ids_mutex_);
    id_freed_.wait(lock, [this] { return ~ids_taken_ != 0; });
    reader = static_cast<uint32_t>(__builtin_ctzll(~ids_taken_));
    ids_taken_ |= uint64_t{1} << reader;
  }
  static_assert(kMaxPagingReaders == 64, "ids_taken_ is a 64-bit mask");
  hold.gate_ = this;
  hold.shared_ = true;
  hold.reader_ = reader;
  hold.previous_reader_ = CurrentPagingReader();
  t_held[t_held_count++] = this;
  SetPagingReader(reader);
  return hold;
}

PagingGate::Hold PagingGate::Exclusive() const {
  Hold hold;
  if (HeldByThisThread() || t_held_count == kMaxHeldGates) return hold;
  mutex_.lock();
  hold.gate_ = this;
  hold.shared_ = false;
  hold.reader_ = 0;
  hold.previous_reader_ = CurrentPagingReader();
  t_held[t_held_count++] = this;
  SetPagingReader(0);
  return hold;
}

PagingGate::Hold& PagingGate::Hold::operator=(Hold&& other) noexcept {
  if (this != &other) {
    Release();
    gate_ = std::exchange(other.gate_, nullptr);
    shared_ = other.shared_;
    reader_ = other.reader_;
    previous_reader_ = other.previous_reader_;
  }
  return *this;
}

void PagingGate::Hold::Release() {
  if (gate_ == nullptr) return;
  const PagingGate* gate = std::exchange(gate_, nullptr);
  // Holds are scoped, so this gate is the last one this thread took.
  for (int i = t_held_count; i-- > 0;) {
    if (t_held[i] == gate) {
      for (int j = i; j + 1 < t_held_count; ++j) t_held[j] = t_held[j + 1];
      --t_held_count;
      break;
    }
  }
  SetPagingReader(previous_reader_);
  if (shared_) {
    gate->end_reader_(reader_);
    {
      std::lock_guard<std::mutex> lock(gate->ids_mutex_);
      gate->ids_taken_ &= ~(uint64_t{1} << reader_);
    }
    gate->id_freed_.notify_one();
    gate->mutex_.unlock_shared();
  } else {
    gate->mutex_.unlock();
  }
}

}  // namespace neurovec
