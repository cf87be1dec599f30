#include "persistence/write_ahead_log.h"

#include "util/byte_io.h"
#include "util/crc32c.h"

namespace neurovec::wal {
namespace {

constexpr uint32_t kMaskDelta = 0xa282ead8u;

struct Parsed {
  uint32_t length;
  uint64_t epoch, seq, group_first_seq;
  uint8_t type;
};

// A record at `at` that is complete, checksummed and of this epoch.
bool ParseAt(const uint8_t* log, uint64_t size, uint64_t at, uint64_t epoch, Parsed& p) {
  if (size - at < kRecordHeaderBytes) return false;
  ByteReader r(log + at, kRecordHeaderBytes);
  uint32_t masked;
  r.U32(masked);
  r.U32(p.length);
  r.U64(p.epoch);
  if (p.epoch != epoch) return false;  // cheapest test first: the scan for later records runs it at every byte
  r.U64(p.seq);
  r.U64(p.group_first_seq);
  r.U8(p.type);
  if (p.length > kMaxPayloadBytes || p.length > size - at - kRecordHeaderBytes) return false;
  if (p.type < kAdd || p.type > kSetMetadata || p.group_first_seq > p.seq) return false;
  return Crc32c(log + at + 4, kRecordHeaderBytes - 4 + p.length) == UnmaskCrc(masked);
}

}  // namespace

uint32_t MaskCrc(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
uint32_t UnmaskCrc(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

void AppendRecord(std::string& out, uint64_t epoch, uint64_t seq, uint64_t group_first_seq, RecordType type,
                  const std::string& payload) {
  const size_t start = out.size();
  ByteWriter w(out);
  w.U32(0);  // the CRC, filled below
  w.U32(static_cast<uint32_t>(payload.size()));
  w.U64(epoch);
  w.U64(seq);
  w.U64(group_first_seq);
  w.U8(type);
  w.Zeros(3);
  w.Bytes(payload.data(), payload.size());
  uint32_t crc = Crc32c(reinterpret_cast<const uint8_t*>(out.data()) + start + 4, out.size() - start - 4);
  uint32_t masked = MaskCrc(crc);
  for (int i = 0; i < 4; ++i) out[start + i] = static_cast<char>((masked >> (8 * i)) & 0xFF);
}

Result<ScanResult> Scan(const uint8_t* log, uint64_t size, uint64_t epoch, uint64_t first_seq) {
  ScanResult result;
  uint64_t at = 0;
  uint64_t expected = first_seq;
  Parsed p;
  while (at < size && ParseAt(log, size, at, epoch, p) && p.seq == expected) {
    Record rec;
    rec.offset = at;
    rec.seq = p.seq;
    rec.group_first_seq = p.group_first_seq;
    rec.type = static_cast<RecordType>(p.type);
    rec.payload = log + at + kRecordHeaderBytes;
    rec.payload_size = p.length;
    result.records.push_back(rec);
    at += kRecordHeaderBytes + p.length;
    ++expected;
  }
  result.valid_end = at;
  if (at == size) return result;

  // Damage (or stale bytes) at `at`. Look for a later valid record of this
  // epoch; the first one found tells which group the damage belongs to.
  for (uint64_t q = at + 1; q + kRecordHeaderBytes <= size; ++q) {
    if (!ParseAt(log, size, q, epoch, p) || p.seq < expected) continue;
    // Every group not yet seen begins at or after the damage. If this
    // record's group began after the first missing record, that record lay in
    // an earlier group, which was flushed before this one was written.
    bool later_group = p.group_first_seq > expected;
    // Otherwise the damage is inside this record's group; it is a torn tail
    // only if no later group follows.
    for (uint64_t r = q; !later_group;) {
      Parsed next;
      if (!ParseAt(log, size, r, epoch, next)) break;
      if (next.group_first_seq > p.group_first_seq) later_group = true;
      r += kRecordHeaderBytes + next.length;
    }
    if (later_group) {
      return Status::Corrupt("index file is corrupt: log record " + std::to_string(expected) + " at log offset " +
                             std::to_string(at) + " is damaged, and later records (from " + std::to_string(p.seq) +
                             ") were written after it was flushed");
    }
    break;
  }
  result.torn_tail = true;
  return result;
}

}  // namespace neurovec::wal
