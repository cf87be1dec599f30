// A growable, 64-byte aligned array of trivially copyable elements. Growth
// copies; callers grow only while no other thread reads.
//
// It may also borrow read-only memory it does not own (a mapped index file):
// reads go there directly, and the first mutable access or growth copies it
// into owned memory, so nothing is ever written through the borrowed pointer.
#pragma once

#include <cstdlib>
#include <cstring>
#include <utility>

namespace neurovec {

template <typename T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  ~AlignedBuffer() {
    if (!borrowed_) std::free(data_);
  }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  // Grows to hold n elements, zero-filling the new part. Returns false if the
  // allocation failed (the buffer is then unchanged).
  bool Resize(size_t n) {
    if (n <= size_) return true;
    return Reallocate(n);
  }

  // Points at n elements of someone else's memory, which must stay valid and
  // unchanged while borrowed. Drops what the buffer held.
  void Borrow(const T* external, size_t n) {
    if (!borrowed_) std::free(data_);
    data_ = const_cast<T*>(external);
    size_ = n;
    borrowed_ = true;
  }
  bool borrowed() const { return borrowed_; }

  // Back to empty, freeing owned memory.
  void Reset() {
    if (!borrowed_) std::free(data_);
    data_ = nullptr;
    size_ = 0;
    borrowed_ = false;
  }

  // Mutable access: owned memory (a borrowed buffer is copied first; on an
  // allocation failure the data stays borrowed and nullptr is returned).
  T* data() {
    if (borrowed_ && !Reallocate(size_)) return nullptr;
    return data_;
  }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  const T& operator[](size_t i) const { return data_[i]; }

 private:
  bool Reallocate(size_t n) {
    size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
    void* fresh = std::aligned_alloc(64, bytes);
    if (fresh == nullptr) return false;
    if (size_) std::memcpy(fresh, data_, size_ * sizeof(T));
    std::memset(static_cast<char*>(fresh) + size_ * sizeof(T), 0, bytes - size_ * sizeof(T));
    if (!borrowed_) std::free(data_);
    data_ = static_cast<T*>(fresh);
    size_ = n;
    borrowed_ = false;
    return true;
  }

  T* data_ = nullptr;
  size_t size_ = 0;
  bool borrowed_ = false;
};

}  // namespace neurovec
