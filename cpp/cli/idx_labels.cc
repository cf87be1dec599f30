// ReadIdxLabels (vector_files.h), apart from vector_files.cc: it needs zlib,
// which the native CLI links and the wasm build of the CLI does not.
#include <zlib.h>

#include "vector_files.h"

namespace neurovec::cli {

// IDX label file (magic 0x00000801, big-endian count, one byte per label),
// gzip-compressed or plain (gzread reads both).
Result<std::vector<uint8_t>> ReadIdxLabels(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return Status::NotFound("cannot open " + path);
  uint8_t header[8];
  std::vector<uint8_t> labels;
  bool ok = gzread(f, header, 8) == 8;
  const uint32_t magic = (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) | (uint32_t{header[2]} << 8) | header[3];
  const uint32_t count = (uint32_t{header[4]} << 24) | (uint32_t{header[5]} << 16) | (uint32_t{header[6]} << 8) | header[7];
  ok = ok && magic == 0x00000801 && count <= (1u << 26);
  if (ok) {
    labels.resize(count);
    ok = gzread(f, labels.data(), count) == static_cast<int>(count);
  }
  gzclose(f);
  if (!ok) return Status::Corrupt(path + " is not an IDX label file (magic 0x00000801)");
  return labels;
}

}  // namespace neurovec::cli
