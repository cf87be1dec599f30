#include "vector_files.h"

#include <cstdio>
#include <cstring>
#include <memory>

namespace neurovec::cli {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { if (f) std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

// Reads rows of (int32 dim, dim * 4-byte values); every row must have the same dim.
template <typename T>
Status ReadRows(const std::string& path, uint32_t& rows, uint32_t& cols, std::vector<T>& data) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) return Status::NotFound("cannot open " + path);
  std::fseek(f.get(), 0, SEEK_END);
  long size = std::ftell(f.get());
  std::fseek(f.get(), 0, SEEK_SET);
  int32_t dim = 0;
  if (size < 4 || std::fread(&dim, 4, 1, f.get()) != 1) return Status::InvalidArgument(path + ": empty or unreadable");
  if (dim <= 0 || dim > 1 << 20) return Status::InvalidArgument(path + ": bad dimension " + std::to_string(dim));
  const long row_bytes = 4 + 4L * dim;
  if (size % row_bytes != 0) {
    return Status::InvalidArgument(path + ": size " + std::to_string(size) + " is not a multiple of the row size " +
                                   std::to_string(row_bytes) + " (not a .fvecs/.ivecs file?)");
  }
  rows = static_cast<uint32_t>(size / row_bytes);
  cols = static_cast<uint32_t>(dim);
  data.resize(static_cast<size_t>(rows) * cols);
  std::fseek(f.get(), 0, SEEK_SET);
  for (uint32_t r = 0; r < rows; ++r) {
    int32_t d = 0;
    if (std::fread(&d, 4, 1, f.get()) != 1 || d != dim) {
      return Status::InvalidArgument(path + ": row " + std::to_string(r) + " has a different dimension");
    }
    if (std::fread(data.data() + static_cast<size_t>(r) * cols, 4, cols, f.get()) != cols) {
      return Status::InvalidArgument(path + ": truncated at row " + std::to_string(r));
    }
  }
  return Status::Ok();
}

template <typename T>
Status WriteRows(const std::string& path, uint32_t rows, uint32_t cols, const std::vector<T>& data) {
  File f(std::fopen(path.c_str(), "wb"));
  if (!f) return Status::NotFound("cannot create " + path);
  int32_t dim = static_cast<int32_t>(cols);
  for (uint32_t r = 0; r < rows; ++r) {
    if (std::fwrite(&dim, 4, 1, f.get()) != 1 ||
        std::fwrite(data.data() + static_cast<size_t>(r) * cols, 4, cols, f.get()) != cols) {
      return Status::Internal("write failed: " + path);
    }
  }
  if (std::fflush(f.get()) != 0) return Status::Internal("write failed: " + path);
  return Status::Ok();
}

}  // namespace

Result<FloatMatrix> ReadFvecs(const std::string& path) {
  FloatMatrix m;
  NV_RETURN_IF_ERROR(ReadRows(path, m.rows, m.cols, m.data));
  return m;
}

Result<IntMatrix> ReadIvecs(const std::string& path) {
  IntMatrix m;
  NV_RETURN_IF_ERROR(ReadRows(path, m.rows, m.cols, m.data));
  return m;
}

Status WriteIvecs(const std::string& path, const IntMatrix& m) { return WriteRows(path, m.rows, m.cols, m.data); }
Status WriteFvecs(const std::string& path, const FloatMatrix& m) { return WriteRows(path, m.rows, m.cols, m.data); }

Result<RecallFiles> ReadRecallFiles(const std::string& base, const std::string& queries, const std::string& truth,
                                    uint64_t k) {
  RecallFiles files;
  auto b = ReadFvecs(base);
  if (!b.ok()) return b.status();
  auto q = ReadFvecs(queries);
  if (!q.ok()) return q.status();
  auto t = ReadIvecs(truth);
  if (!t.ok()) return t.status();
  files.base = b.take();
  files.queries = q.take();
  files.truth = t.take();
  if (files.queries.cols != files.base.cols) {
    return Status::InvalidArgument("queries have " + std::to_string(files.queries.cols) + " dimensions, base has " +
                                   std::to_string(files.base.cols));
  }
  if (files.truth.rows < files.queries.rows) return Status::InvalidArgument("truth has fewer rows than there are queries");
  if (k == 0 || files.truth.cols < k) {
    return Status::InvalidArgument("--k must be between 1 and the truth's " + std::to_string(files.truth.cols) +
                                   " neighbours per query");
  }
  return files;
}

}  // namespace neurovec::cli
