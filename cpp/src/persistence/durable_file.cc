#include "persistence/durable_file.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "util/byte_io.h"
#include "util/crc32c.h"
#include "persistence/write_ahead_log.h"

namespace neurovec {

using index_file::Header;
using index_file::kPageSize;

namespace {

constexpr uint64_t kImageBase = 2 * kPageSize;      // first byte after the two header slots
constexpr size_t kWriteOutBytes = 8u << 20;         // log buffer written out (unflushed) beyond this
constexpr uint64_t kMinCheckpointLogBytes = 64u << 20;

uint64_t AlignUp(uint64_t v) { return (v + kPageSize - 1) / kPageSize * kPageSize; }

Status CorruptRecord(uint64_t seq, const std::string& what) {
  return Status::Corrupt("index file is corrupt: log record " + std::to_string(seq) + ": " + what);
}

Status WriteHeaderSlot(Storage& storage, const Header& header) {
  std::string bytes = index_file::EncodeHeader(header);
  return storage.Write((header.generation % 2) * kPageSize, bytes.data(), bytes.size());
}

// Applies one log record to an index that has no file attached.
Status ApplyRecord(VectorIndex& index, const wal::Record& rec) {
  ByteReader r(rec.payload, rec.payload_size);
  const uint32_t d = index.config().dimensions;
  auto read_key = [&](ItemKey& key) -> Status {
    uint32_t len;
    const uint8_t* bytes;
    if (!r.U32(len) || !r.Bytes(len, bytes)) return CorruptRecord(rec.seq, "an id is cut short");
    auto decoded = ItemKey::Decode(reinterpret_cast<const char*>(bytes), len);
    if (!decoded.ok()) return CorruptRecord(rec.seq, decoded.status().message());
    key = decoded.take();
    return Status::Ok();
  };
  auto read_json = [&](std::string& json) -> Status {
    uint32_t len;
    const uint8_t* bytes;
    if (!r.U32(len) || !r.Bytes(len, bytes)) return CorruptRecord(rec.seq, "metadata is cut short");
    json.assign(reinterpret_cast<const char*>(bytes), len);
    return Status::Ok();
  };
  switch (rec.type) {
    case wal::kAdd: {
      uint32_t n;
      if (!r.U32(n) || n == 0 || n > rec.payload_size / 12) return CorruptRecord(rec.seq, "bad item count");
      std::vector<ItemKey> keys(n);
      std::vector<std::string> metadata(n);
      std::vector<float> vectors(static_cast<size_t>(n) * d);
      bool any_metadata = false;
      for (uint32_t i = 0; i < n; ++i) {
        NV_RETURN_IF_ERROR(read_key(keys[i]));
        NV_RETURN_IF_ERROR(read_json(metadata[i]));
        any_metadata |= !metadata[i].empty();
        const uint8_t* bytes;
        if (!r.Bytes(static_cast<size_t>(d) * 4, bytes)) return CorruptRecord(rec.seq, "a vector is cut short");
        std::memcpy(&vectors[static_cast<size_t>(i) * d], bytes, static_cast<size_t>(d) * 4);
      }
      if (r.remaining() != 0) return CorruptRecord(rec.seq, "trailing bytes");
      if (!any_metadata) metadata.clear();
      Status s = index.AddBatch(keys, vectors.data(), metadata, BatchOptions{});
      if (!s.ok()) return CorruptRecord(rec.seq, "cannot replay an add: " + s.message());
      return Status::Ok();
    }
    case wal::kDelete: {
      uint32_t n;
      if (!r.U32(n) || n == 0 || n > rec.payload_size / 4) return CorruptRecord(rec.seq, "bad item count");
      for (uint32_t i = 0; i < n; ++i) {
        ItemKey key;
        NV_RETURN_IF_ERROR(read_key(key));
        auto removed = index.Remove(key);
        if (!removed.ok() || !removed.value()) return CorruptRecord(rec.seq, "deletes id " + key.ToDisplay() + ", which is not in the index");
      }
      if (r.remaining() != 0) return CorruptRecord(rec.seq, "trailing bytes");
      return Status::Ok();
    }
    case wal::kSetMetadata: {
      ItemKey key;
      std::string json;
      NV_RETURN_IF_ERROR(read_key(key));
      NV_RETURN_IF_ERROR(read_json(json));
      if (r.remaining() != 0) return CorruptRecord(rec.seq, "trailing bytes");
      Status s = index.SetMetadata(key, json);
      if (!s.ok()) return CorruptRecord(rec.seq, "cannot replay a metadata update: " + s.message());
      return Status::Ok();
    }
  }
  return CorruptRecord(rec.seq, "unknown record type");
}

struct Loaded {
  std::unique_ptr<VectorIndex> index;
  Header header;
  int slot = 0;
  uint64_t size = 0;
  wal::ScanResult log;
};

// Header, image and log of a file; the log applied to the image.
Result<Loaded> LoadFile(Storage& storage, bool borrow_views, bool verify_checksums, uint64_t page_cache_bytes = 0,
                        bool attach_rows = false) {
  Loaded out;
  auto size = storage.Size();
  if (!size.ok()) return size.status();
  out.size = size.value();
  std::string head(static_cast<size_t>(std::min<uint64_t>(out.size, kImageBase)), '\0');
  NV_RETURN_IF_ERROR(storage.Read(0, &head[0], head.size()));
  auto header = index_file::ReadHeader(reinterpret_cast<const uint8_t*>(head.data()), head.size(), &out.slot);
  if (!header.ok()) return header.status();
  out.header = header.value();
  auto index = index_file::DecodeImage(storage, out.header, out.size, borrow_views, verify_checksums, page_cache_bytes,
                                       attach_rows);
  if (!index.ok()) return index.status();
  out.index = index.take();
  if (out.header.log_offset == 0) return out;

  const uint64_t log_size = out.size - out.header.log_offset;
  std::string buffer;
  const uint8_t* log = storage.View(out.header.log_offset, log_size);
  if (!log) {
    if (log_size > (uint64_t{1} << 40)) return Status::Corrupt("index file is corrupt: log over 1 TiB");
    buffer.resize(static_cast<size_t>(log_size));
    NV_RETURN_IF_ERROR(storage.Read(out.header.log_offset, &buffer[0], buffer.size()));
    log = reinterpret_cast<const uint8_t*>(buffer.data());
  }
  auto scan = wal::Scan(log, log_size, out.header.log_epoch, out.header.log_first_seq);
  if (!scan.ok()) return scan.status();
  out.log = scan.take();
  for (const wal::Record& rec : out.log.records) NV_RETURN_IF_ERROR(ApplyRecord(*out.index, rec));
  // Record views point into `buffer`: drop them before it goes.
  for (wal::Record& rec : out.log.records) rec.payload = nullptr;
  return out;
}

}  // namespace

DurableFile::DurableFile(std::unique_ptr<Storage> storage, bool read_only)
    : storage_(std::move(storage)), description_(storage_->Describe()), read_only_(read_only) {}

Result<std::unique_ptr<DurableFile>> DurableFile::Create(std::unique_ptr<Storage> storage, VectorIndex& index) {
  std::unique_ptr<DurableFile> file(new DurableFile(std::move(storage), false));
  Storage& s = *file->storage_;
  NV_RETURN_IF_ERROR(s.Truncate(0));
  // The image streams to the file; the header slots follow it, and one flush
  // makes the whole file durable.
  Header h;
  h.generation = 1;
  index_file::ImageRows rows;
  index_file::ImageOutcome outcome;
  NV_RETURN_IF_ERROR(
      index_file::WriteImage(index, s, kImageBase, 0, index_file::kImageChunkBytes, &h, &rows, &outcome));
  h.log_offset = h.image_end;
  h.log_epoch = h.generation;
  h.log_first_seq = 1;
  // Both slots hold generation 1; checkpoint g writes slot g % 2.
  std::string header = index_file::EncodeHeader(h);
  header.resize(kPageSize, '\0');
  NV_RETURN_IF_ERROR(s.Write(0, header.data(), header.size()));
  NV_RETURN_IF_ERROR(s.Write(kPageSize, header.data(), header.size()));
  NV_RETURN_IF_ERROR(s.Flush());
  file->header_ = h;
  file->log_end_ = h.log_offset;
  file->stats_.generation = h.generation;
  file->stats_.image_bytes = h.image_end - h.image_start;
  NV_RETURN_IF_ERROR(index_file::AttachImageRows(index, s, std::move(rows)));
  return file;
}

Result<std::unique_ptr<VectorIndex>> DurableFile::Load(Storage& storage) {
  auto loaded = LoadFile(storage, false, true);
  if (!loaded.ok()) return loaded.status();
  return std::move(loaded.value().index);
}

Result<DurableFile::Opened> DurableFile::Open(std::unique_ptr<Storage> storage, const OpenOptions& options) {
  const bool read_only = options.read_only;
  // A read-only mapped file is used in place; it stays mapped while the index
  // lives. Otherwise rows may be paged from it, or read and then let go (tiers):
  // the storage lives in the DurableFile as long as the index.
  auto loaded = LoadFile(*storage, read_only, options.verify_checksums, options.page_cache_bytes, true);
  if (!loaded.ok()) return loaded.status();
  Loaded& l = loaded.value();
  std::unique_ptr<DurableFile> file(new DurableFile(std::move(storage), read_only));
  file->header_ = l.header;
  file->stats_.generation = l.header.generation;
  file->stats_.image_bytes = l.header.image_end - l.header.image_start;
  file->stats_.replayed_records = l.log.records.size();
  file->stats_.trimmed_torn_tail = l.log.torn_tail;
  file->next_seq_ = l.header.log_first_seq + l.log.records.size();
  file->group_first_seq_ = file->next_seq_;
  file->log_end_ = l.header.log_offset + l.log.valid_end;
  file->stats_.log_bytes = l.log.valid_end;
  if (!read_only) {
    Storage& s = *file->storage_;
    if (l.header.log_offset == 0) {
      // A snapshot (save(), toBytes()): it gets a log through a new header at
      // its first write (BeforeWrite), so opening alone never changes the file.
      file->needs_log_ = true;
    } else if (l.size > file->log_end_) {
      // A torn tail (or stale bytes): cut it off and make that durable before
      // any new record could be written over part of it.
      NV_RETURN_IF_ERROR(s.Truncate(file->log_end_));
      NV_RETURN_IF_ERROR(s.Flush());
    }
  }
  return Opened{std::move(l.index), std::move(file)};
}

Status DurableFile::Fail(Status s) {
  if (failed_.ok()) failed_ = s;
  return s;
}

Status DurableFile::BeforeWrite() {
  if (closed_ || !storage_) return Status::FailedPrecondition("the index file " + description_ + " was closed");
  if (read_only_) return Status::FailedPrecondition("the index file " + description_ + " was opened read-only");
  if (!failed_.ok()) {
    return Status::FailedPrecondition("an earlier write to " + description_ + " failed (" + failed_.message() +
                                      "); writes are refused until the index is reopened");
  }
  if (needs_log_) {
    // Give the snapshot a log after its image; the image stays where it is.
    Header h = header_;
    h.generation += 1;
    h.log_offset = h.image_end;
    h.log_epoch = h.generation;
    h.log_first_seq = 1;
    Status s = WriteHeaderSlot(*storage_, h);
    if (s.ok()) s = storage_->Flush();
    if (!s.ok()) return Fail(s);
    header_ = h;
    stats_.generation = h.generation;
    next_seq_ = group_first_seq_ = 1;
    log_end_ = h.log_offset;
    needs_log_ = false;
  }
  if (pending_.size() >= kWriteOutBytes) return WritePending();
  return Status::Ok();
}

Status DurableFile::WritePending() {
  if (pending_.empty()) return Status::Ok();
  Status s = storage_->Write(log_end_, pending_.data(), pending_.size());
  if (!s.ok()) return Fail(s);
  log_end_ += pending_.size();
  stats_.log_bytes += pending_.size();
  pending_.clear();
  return Status::Ok();
}

void DurableFile::Append(uint8_t type, const std::string& payload) {
  dirty_ = true;
  wal::AppendRecord(pending_, header_.log_epoch, next_seq_++, group_first_seq_, static_cast<wal::RecordType>(type),
                    payload);
}

void DurableFile::LogAdd(const ItemKey* keys, size_t n, const float* vectors, uint32_t dimensions,
                         const std::string* metadata_json) {
  std::string payload;
  uint32_t count = 0;
  auto flush_record = [&]() {
    if (count == 0) return;
    for (int i = 0; i < 4; ++i) payload[i] = static_cast<char>((count >> (8 * i)) & 0xFF);
    Append(wal::kAdd, payload);
    payload.clear();
    count = 0;
  };
  for (size_t i = 0; i < n; ++i) {
    const std::string& key = keys[i].encoded();
    const size_t meta = metadata_json ? metadata_json[i].size() : 0;
    const size_t item = 8 + key.size() + meta + static_cast<size_t>(dimensions) * 4;
    if (count > 0 && payload.size() + item > wal::kMaxPayloadBytes) flush_record();
    ByteWriter w(payload);
    if (count == 0) w.U32(0);  // the count, patched in flush_record
    w.U32(static_cast<uint32_t>(key.size()));
    w.Bytes(key.data(), key.size());
    w.U32(static_cast<uint32_t>(meta));
    if (meta) w.Bytes(metadata_json[i].data(), meta);
    w.Bytes(vectors + i * dimensions, static_cast<size_t>(dimensions) * 4);
    ++count;
  }
  flush_record();
}

void DurableFile::LogDelete(const ItemKey& key) {
  std::string payload;
  ByteWriter w(payload);
  w.U32(1);
  w.U32(static_cast<uint32_t>(key.encoded().size()));
  w.Bytes(key.encoded().data(), key.encoded().size());
  Append(wal::kDelete, payload);
}

void DurableFile::LogSetMetadata(const ItemKey& key, const std::string& metadata_json) {
  std::string payload;
  ByteWriter w(payload);
  w.U32(static_cast<uint32_t>(key.encoded().size()));
  w.Bytes(key.encoded().data(), key.encoded().size());
  w.U32(static_cast<uint32_t>(metadata_json.size()));
  w.Bytes(metadata_json.data(), metadata_json.size());
  Append(wal::kSetMetadata, payload);
}

Status DurableFile::Sync(VectorIndex& index) {
  if (closed_ || read_only_) return Status::Ok();  // nothing of ours to make durable
  if (!dirty_ && failed_.ok()) return Status::Ok();  // nothing appended since the last flush
  NV_RETURN_IF_ERROR(BeforeWrite());
  const uint64_t image_bytes = header_.image_end - header_.image_start;
  if (stats_.log_bytes + pending_.size() > std::max<uint64_t>(kMinCheckpointLogBytes, image_bytes)) {
    return Checkpoint(index);
  }
  NV_RETURN_IF_ERROR(WritePending());
  Status s = storage_->Flush();
  if (!s.ok()) return Fail(s);
  group_first_seq_ = next_seq_;
  dirty_ = false;
  ++stats_.syncs;
  return Status::Ok();
}

Status DurableFile::Checkpoint(VectorIndex& index) {
  NV_RETURN_IF_ERROR(BeforeWrite());
  Storage& s = *storage_;
  Header h;
  h.generation = header_.generation + 1;
  // The image streams to free space: before the current image when it fits
  // there, else after everything written so far. Nothing at or past the
  // current image's start is touched, so a failure (a paged index whose rows
  // cannot be read back, a full disk) leaves the file as it was.
  index_file::ImageRows rows;
  index_file::ImageOutcome outcome;
  Status st = index_file::WriteImage(index, s, kImageBase, header_.image_start, index_file::kImageChunkBytes, &h, &rows,
                                     &outcome);
  if (st.ok() && outcome.overflowed) {
    auto size = s.Size();
    if (!size.ok()) return Fail(size.status());
    rows = index_file::ImageRows();
    st = index_file::WriteImage(index, s, AlignUp(std::max(size.value(), log_end_)), 0, index_file::kImageChunkBytes,
                                &h, &rows, &outcome);
  }
  // Rows that cannot be read back fail the checkpoint, not the file (the
  // current image and log are untouched); a storage error fails the file.
  if (!st.ok()) return outcome.storage_failed ? Fail(st) : st;
  h.log_offset = h.image_end;
  h.log_epoch = h.generation;
  h.log_first_seq = next_seq_;
  st = s.Flush();
  if (st.ok()) st = WriteHeaderSlot(s, h);
  if (st.ok()) st = s.Flush();
  if (!st.ok()) return Fail(st);
  // The new image is in use. Anything after its log is the old image and log.
  auto size = s.Size();
  if (!size.ok()) return Fail(size.status());
  if (size.value() > h.log_offset) {
    st = s.Truncate(h.log_offset);
    if (st.ok()) st = s.Flush();
    if (!st.ok()) return Fail(st);
  }
  header_ = h;
  log_end_ = h.log_offset;
  pending_.clear();  // the image holds every write made so far
  dirty_ = false;
  group_first_seq_ = next_seq_;
  stats_.generation = h.generation;
  stats_.image_bytes = h.image_end - h.image_start;
  stats_.log_bytes = 0;
  ++stats_.checkpoints;
  // The rows now lie in the new image (the old one may have been cut off).
  return index_file::AttachImageRows(index, s, std::move(rows));
}

Status DurableFile::Close(VectorIndex& index) {
  if (closed_) return Status::Ok();
  Status s = Status::Ok();
  if (!read_only_ && failed_.ok()) s = Sync(index);
  closed_ = true;
  // Closes the file and releases the writer lock. A read-only file stays open
  // (mapped) while the index lives: its vectors may be used in place.
  if (!read_only_) storage_.reset();
  return s;
}

}  // namespace neurovec
