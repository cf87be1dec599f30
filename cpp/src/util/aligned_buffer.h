// A growable, 64-byte aligned array of trivially copyable elements. Growth
// copies; callers grow only while no other thread reads.
#pragma once

#include <cstdlib>
#include <cstring>
#include <utility>

namespace neurovec {

template <typename T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  ~AlignedBuffer() { std::free(data_); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  // Grows to hold n elements, zero-filling the new part. Returns false if the
  // allocation failed (the buffer is then unchanged).
  bool Resize(size_t n) {
    if (n <= size_) return true;
    size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
    void* fresh = std::aligned_alloc(64, bytes);
    if (fresh == nullptr) return false;
    if (size_) std::memcpy(fresh, data_, size_ * sizeof(T));
    std::memset(static_cast<char*>(fresh) + size_ * sizeof(T), 0, bytes - size_ * sizeof(T));
    std::free(data_);
    data_ = static_cast<T*>(fresh);
    size_ = n;
    return true;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace neurovec
