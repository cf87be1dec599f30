#include "persistence/local_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "neurovec/storage.h"
#include "neurovec/vector_index.h"

namespace neurovec {
namespace {

Status IoError(const std::string& what, const std::string& path) {
  return Status(StatusCode::kInternal, what + " " + path + ": " + std::strerror(errno));
}

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Makes a rename durable: fsyncs the directory entry.
Status SyncDirectoryOf(const std::string& path) {
  int dir = ::open(DirectoryOf(path).c_str(), O_RDONLY | O_CLOEXEC);
  if (dir >= 0) {
    int rc = ::fsync(dir);
    ::close(dir);
    if (rc != 0) return IoError("cannot fsync the directory of", path);
  }
  return Status::Ok();
}

}  // namespace

Status WriteFileDurably(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp-" + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot create", tmp);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status s = IoError("cannot write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status s = IoError("cannot fsync", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = IoError("cannot rename onto", path);
    ::unlink(tmp.c_str());
    return s;
  }
  // The rename itself is durable only once the directory entry is.
  return SyncDirectoryOf(path);
}

Result<uint64_t> SaveIndexFileDurably(const VectorIndex& index, const std::string& path) {
  const std::string tmp = path + ".tmp-" + std::to_string(getpid());
  ::unlink(tmp.c_str());  // left by an earlier failed save of this process id
  uint64_t size = 0;
  {
    auto storage = OpenFileStorage(tmp, FileMode::kCreate);
    if (!storage.ok()) return storage.status();
    Status saved = index.SaveTo(*storage.value());  // ends with a flush (fdatasync)
    auto written = storage.value()->Size();
    if (saved.ok() && !written.ok()) saved = written.status();
    if (!saved.ok()) {
      storage.value().reset();
      ::unlink(tmp.c_str());
      return saved;
    }
    size = written.value();
  }  // closes the file and releases its writer lock
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = IoError("cannot rename onto", path);
    ::unlink(tmp.c_str());
    return s;
  }
  NV_RETURN_IF_ERROR(SyncDirectoryOf(path));
  return size;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("no such file: " + path);
    return IoError("cannot open", path);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = IoError("cannot stat", path);
    ::close(fd);
    return s;
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(fd, &bytes[done], bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(done);
  return bytes;
}

}  // namespace neurovec
