// A VectorIndex kept in one file on a Storage, crash-safe: the file holds an
// image (header + sections, docs/file-format.md) and a log of the writes made
// since that image. Writes are applied in memory and appended to the log;
// Sync() writes the log and flushes it, which is when they are acknowledged;
// a checkpoint folds the log into a new image.
//
// Order of a write: validate -> apply in memory -> append the record to the
// log buffer -> (Sync) write and flush -> acknowledge. A write is visible to
// searches at once and durable when Sync() returns Ok. If a write or flush of
// the storage fails, the handle refuses every later write (kFailedPrecondition)
// until the file is reopened: what reached the disk is then recovered, and
// nothing acknowledged is lost.
//
// Checkpoint (LMDB style, one file): encode the index as a new image, write it
// into space the current image and log do not use (before the current image
// if it fits there, else at the end of the file), flush, then write the header
// slot that does not hold the current header, with the next generation, and
// flush. A crash at any point leaves one valid header whose image and log are
// intact. A checkpoint that reused the front of the file then truncates what
// follows its (empty) log, so the file stays within about twice the image.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "neurovec/item_key.h"
#include "neurovec/status.h"
#include "neurovec/storage.h"
#include "neurovec/vector_index.h"
#include "persistence/index_file.h"

namespace neurovec {

class DurableFile {
 public:
  // A new index file holding `index` (normally empty). Flushed when it returns.
  static Result<std::unique_ptr<DurableFile>> Create(std::unique_ptr<Storage> storage, VectorIndex& index);

  // Reads the newest valid header, its image and the log, and returns the index
  // with the log applied, and the file it is to keep (VectorIndex::Open
  // attaches it; a read-only file refuses writes). A torn last group of the
  // log is trimmed (on writable opens also from the file, before any new
  // write); damage followed by later records is kCorrupt.
  struct Opened {
    std::unique_ptr<VectorIndex> index;
    std::unique_ptr<DurableFile> file;
  };
  static Result<Opened> Open(std::unique_ptr<Storage> storage, const OpenOptions& options);

  // The index stored in `storage` (bytes of a file), log applied, nothing attached.
  static Result<std::unique_ptr<VectorIndex>> Load(Storage& storage);

  // Called before an index write: Ok, or why this handle cannot write now. Also
  // writes out (without flushing) a large log buffer, so memory stays bounded.
  Status BeforeWrite();

  // Log records of writes already applied to the index.
  void LogAdd(const ItemKey* keys, size_t n, const float* vectors, uint32_t dimensions,
              const std::string* metadata_json);  // metadata_json: n entries or nullptr
  void LogDelete(const ItemKey& key);
  void LogSetMetadata(const ItemKey& key, const std::string& metadata_json);

  // Writes and flushes the log (or checkpoints when it has grown past the image).
  // Both may checkpoint, after which the index's rows are the new image's
  // (index_file::AttachImageRows).
  Status Sync(VectorIndex& index);
  Status Checkpoint(VectorIndex& index);
  // Sync, then release the storage (and the writer lock). Idempotent.
  Status Close(VectorIndex& index);

  bool read_only() const { return read_only_; }
  bool closed() const { return closed_; }
  FileStats stats() const {
    FileStats s = stats_;
    s.pending_bytes = pending_.size();
    return s;
  }
  std::string Describe() const { return description_; }

 private:
  DurableFile(std::unique_ptr<Storage> storage, bool read_only);
  Status Fail(Status s);                 // remembers the first storage failure
  Status WritePending();                 // log buffer -> storage, no flush
  void Append(uint8_t type, const std::string& payload);

  std::unique_ptr<Storage> storage_;
  std::string description_;
  bool read_only_;
  Status failed_;                        // set once a storage write or flush failed
  index_file::Header header_;
  uint64_t log_end_ = 0;                 // absolute end of the log bytes written to storage
  uint64_t next_seq_ = 1;
  uint64_t group_first_seq_ = 1;
  std::string pending_;                  // records appended, not yet written
  bool dirty_ = false;                   // records appended since the last flush
  bool needs_log_ = false;
  bool closed_ = false;               // a snapshot opened for writing, no log yet
  FileStats stats_;
};

}  // namespace neurovec
