// Index files on a local file system (native build): a durable, atomic
// snapshot write and a whole-file read. The crash-safe log and on-demand paging
// of the persistence issue build on this.
#pragma once

#include <string>

#include "neurovec/status.h"

namespace neurovec {

class VectorIndex;

// Writes `bytes` to `path` so that after a crash the path holds either the old
// file or the complete new one: write a temporary file beside it, fsync it,
// rename it over `path`, then fsync the directory.
Status WriteFileDurably(const std::string& path, const std::string& bytes);

// Saves `index` to `path` the same way, the image streamed into the
// temporary file (VectorIndex::SaveTo) rather than built in memory first.
// Returns the file's size.
Result<uint64_t> SaveIndexFileDurably(const VectorIndex& index, const std::string& path);

// Reads a whole file.
Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace neurovec
