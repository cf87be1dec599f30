// A Storage for tests that simulates a disk losing power (after SQLite's
// test6.c and LevelDB's fault_injection_test): writes and truncates since the
// last flush are "unsynced"; Crash() rebuilds the disk from the flushed image
// with each unsynced change dropped, kept or (for writes) garbled in part, and
// the N-th write or flush can be made to fail. The disk is shared, so a test
// keeps it after handing a FaultStorage to an index, and opens a new
// FaultStorage on it after the "crash".
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "neurovec/storage.h"
#include "test_util.h"

namespace nvtest {

struct SimulatedDisk {
  std::string durable;  // what survives a crash for sure
  std::string current;  // what reads see
  struct Change {
    bool truncate;
    uint64_t offset;     // write offset, or the new size
    std::string bytes;   // written bytes
  };
  std::vector<Change> unsynced;
  uint64_t writes = 0, flushes = 0;
  uint64_t fail_write_at = 0, fail_flush_at = 0;  // 1-based; 0: never
  // Power loss during the N-th write, flush or truncate (1-based; 0: never):
  // that change stays unsynced and every later call fails, as if the process
  // had died there. Crash() then decides what reached the disk.
  uint64_t die_at = 0;
  uint64_t changes = 0;
  bool dead = false;
  bool Dies() {
    if (dead) return true;
    if (die_at != 0 && ++changes >= die_at) dead = true;
    return false;
  }

  // Power loss: each unsynced change is dropped, kept, or (a write) kept with a
  // random stretch of it garbled. Returns how many changes were lost or garbled.
  int Crash(Rng& rng) {
    std::string image = durable;
    int damaged = 0;
    for (const Change& c : unsynced) {
      const uint64_t choice = rng.Next() % 3;
      if (choice == 0) {
        ++damaged;
        continue;  // dropped
      }
      if (c.truncate) {
        image.resize(c.offset, '\0');
        continue;
      }
      std::string bytes = c.bytes;
      if (choice == 2 && !bytes.empty()) {
        ++damaged;
        size_t from = rng.Next() % bytes.size();
        size_t len = 1 + rng.Next() % std::min<size_t>(bytes.size() - from, 512);
        for (size_t i = from; i < from + len; ++i) bytes[i] = static_cast<char>(rng.Next());
      }
      if (image.size() < c.offset + bytes.size()) image.resize(c.offset + bytes.size(), '\0');
      std::memcpy(&image[c.offset], bytes.data(), bytes.size());
    }
    durable = current = image;
    unsynced.clear();
    dead = false;
    die_at = changes = 0;
    return damaged;
  }
};

class FaultStorage : public neurovec::Storage {
 public:
  explicit FaultStorage(std::shared_ptr<SimulatedDisk> disk) : disk_(std::move(disk)) {}

  neurovec::Result<uint64_t> Size() override { return static_cast<uint64_t>(disk_->current.size()); }

  neurovec::Status Read(uint64_t offset, void* out, size_t n) override {
    if (offset > disk_->current.size() || n > disk_->current.size() - offset) {
      return neurovec::Status::Corrupt("read past the end (truncated)");
    }
    std::memcpy(out, disk_->current.data() + offset, n);
    return neurovec::Status::Ok();
  }

  neurovec::Status Write(uint64_t offset, const void* data, size_t n) override {
    SimulatedDisk& d = *disk_;
    if (d.Dies()) return neurovec::Status::IoError("power lost");
    if (++d.writes == d.fail_write_at) {
      // A failed write may still have put part of its bytes down (unsynced).
      size_t part = n / 2;
      Apply(offset, data, part);
      return neurovec::Status::IoError("injected failure of write " + std::to_string(d.writes));
    }
    Apply(offset, data, n);
    return neurovec::Status::Ok();
  }

  neurovec::Status Flush() override {
    SimulatedDisk& d = *disk_;
    if (d.Dies() || d.dead) return neurovec::Status::IoError("power lost");
    if (++d.flushes == d.fail_flush_at) return neurovec::Status::IoError("injected failure of flush " + std::to_string(d.flushes));
    d.durable = d.current;
    d.unsynced.clear();
    return neurovec::Status::Ok();
  }

  neurovec::Status Truncate(uint64_t size) override {
    if (disk_->Dies()) return neurovec::Status::IoError("power lost");
    disk_->current.resize(size, '\0');
    disk_->unsynced.push_back({true, size, {}});
    return neurovec::Status::Ok();
  }

  std::string Describe() const override { return "simulated disk"; }

 private:
  void Apply(uint64_t offset, const void* data, size_t n) {
    SimulatedDisk& d = *disk_;
    if (d.current.size() < offset + n) d.current.resize(offset + n, '\0');
    std::memcpy(&d.current[offset], data, n);
    d.unsynced.push_back({false, offset, std::string(static_cast<const char*>(data), n)});
  }
  std::shared_ptr<SimulatedDisk> disk_;
};

}  // namespace nvtest
