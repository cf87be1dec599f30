// The log of a durable index file: records of adds, deletes and metadata
// updates appended after the image, from header.log_offset to the end of the
// file (layout in docs/file-format.md).
//
// Record: u32 masked CRC-32C of everything after it | u32 payload length |
//         u64 epoch | u64 seq | u64 group_first_seq | u8 type | 3 zero bytes |
//         payload.
// - The epoch is the header's: bytes left from an earlier log (space reused by
//   a checkpoint) fail it even when their checksum holds.
// - Sequence numbers are consecutive from header.log_first_seq.
// - A "group" is what one flush made durable: group_first_seq is the seq of its
//   first record. A group is written only after the previous group's flush
//   returned, so a valid record of a later group proves every earlier group
//   reached the disk. Recovery uses that to tell a torn tail (damage inside the
//   last group: trimmed, none of it was acknowledged) from corruption in the
//   middle (damage followed by a later group: reported, never skipped).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "neurovec/status.h"

namespace neurovec::wal {

constexpr uint32_t kRecordHeaderBytes = 36;
constexpr uint32_t kMaxPayloadBytes = 64u << 20;  // larger batches are split

enum RecordType : uint8_t {
  kAdd = 1,          // u32 count; per item: u32 key length, key, u32 metadata length, JSON, dimensions x f32
  kDelete = 2,       // u32 count; per item: u32 key length, key
  kSetMetadata = 3,  // u32 key length, key, u32 metadata length, JSON (0: none)
};

// LevelDB's masking: a CRC stored inside data it covers is rotated and offset,
// so CRCs of CRCs do not look valid by accident.
uint32_t MaskCrc(uint32_t crc);
uint32_t UnmaskCrc(uint32_t masked);

// Appends one record to `out`.
void AppendRecord(std::string& out, uint64_t epoch, uint64_t seq, uint64_t group_first_seq, RecordType type,
                  const std::string& payload);

struct Record {
  uint64_t offset = 0;  // from the start of the log
  uint64_t seq = 0;
  uint64_t group_first_seq = 0;
  RecordType type = kAdd;
  const uint8_t* payload = nullptr;
  uint32_t payload_size = 0;
};

struct ScanResult {
  std::vector<Record> records;  // the valid prefix, in order
  uint64_t valid_end = 0;       // bytes of log they cover
  bool torn_tail = false;       // bytes after valid_end were ignored (a torn last group)
};

// Reads the log bytes [log, log + size): the longest valid prefix, or kCorrupt
// when damage is followed by a record of a later group (see above).
Result<ScanResult> Scan(const uint8_t* log, uint64_t size, uint64_t epoch, uint64_t first_seq);

}  // namespace neurovec::wal
