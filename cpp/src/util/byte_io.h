// Little-endian, fixed-width encoding, independent of the host (the same bytes
// on x86-64 and wasm32): index file sections, log records, codec and learned
// state. Readers check every length against the bytes left before touching or
// allocating anything. A leaf: it includes nothing of the project.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace neurovec {

// Where a streaming ByteWriter's buffer goes once it holds `bound` bytes or
// more: Spill takes bytes off the buffer's front (at least enough to bring it
// under the bound), so a writer of any amount holds about `bound` bytes.
class ByteSpill {
 public:
  explicit ByteSpill(size_t bound) : bound_(bound) {}
  virtual ~ByteSpill() = default;
  virtual void Spill(std::string& buffer) = 0;
  size_t bound() const { return bound_; }

 private:
  size_t bound_;
};

// Appends to `out`; with a spill, hands the buffer over whenever it reaches
// the spill's bound (large Bytes/Zeros calls go in pieces).
class ByteWriter {
 public:
  explicit ByteWriter(std::string& out, ByteSpill* spill = nullptr) : out_(out), spill_(spill) {}
  void U8(uint8_t v) {
    out_.push_back(static_cast<char>(v));
    MaybeSpill();
  }
  void U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    MaybeSpill();
  }
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    MaybeSpill();
  }
  void F32(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    U32(bits);
  }
  void Bytes(const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      const size_t take = Room(n);
      out_.append(p, take);
      p += take;
      n -= take;
      MaybeSpill();
    }
  }
  void Zeros(size_t n) {
    while (n > 0) {
      const size_t take = Room(n);
      out_.append(take, '\0');
      n -= take;
      MaybeSpill();
    }
  }
  // Pads to a multiple of `alignment` counted from the buffer's start (a
  // spill takes whole multiples of it, so the count stays right).
  void PadTo(size_t alignment) { Zeros((alignment - out_.size() % alignment) % alignment); }
  size_t size() const { return out_.size(); }

 private:
  // How much of n to append before the buffer reaches the spill's bound.
  size_t Room(size_t n) const {
    if (!spill_) return n;
    const size_t room = out_.size() < spill_->bound() ? spill_->bound() - out_.size() : 1;
    return n < room ? n : room;
  }
  void MaybeSpill() {
    if (spill_ && out_.size() >= spill_->bound()) spill_->Spill(out_);
  }

  std::string& out_;
  ByteSpill* spill_;
};

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t remaining() const { return size_ - pos_; }
  size_t position() const { return pos_; }
  bool U8(uint8_t& v) {
    if (remaining() < 1) return false;
    v = data_[pos_++];
    return true;
  }
  bool U32(uint32_t& v) {
    if (remaining() < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(data_[pos_ + i]) << (8 * i);
    pos_ += 4;
    return true;
  }
  bool U64(uint64_t& v) {
    if (remaining() < 8) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
    pos_ += 8;
    return true;
  }
  bool F32(float& v) {
    uint32_t bits;
    if (!U32(bits)) return false;
    std::memcpy(&v, &bits, 4);
    return true;
  }
  // A view of the next n bytes (valid while the underlying buffer lives).
  bool Bytes(size_t n, const uint8_t*& out) {
    if (remaining() < n) return false;
    out = data_ + pos_;
    pos_ += n;
    return true;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace neurovec
