// Native files behind the Storage interface: pread/pwrite, fdatasync as the
// durability point, a read-only mmap for View() on read-only opens, and the
// writer lock file shared with the Node backend (js/src/storage/node_storage.ts).
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "neurovec/storage.h"

#if !defined(__EMSCRIPTEN__)
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace neurovec {

#if defined(__EMSCRIPTEN__)

// Emscripten's file systems make fsync a no-op, so the wasm build takes its
// storage from the JS host instead (wasm/imported_storage.h).
Result<std::unique_ptr<Storage>> OpenFileStorage(const std::string& path, FileMode) {
  return Status::FailedPrecondition("native files are not available in the WebAssembly build (" + path +
                                    "); the JS API opens files through Node's fs");
}

#else

namespace {

Status ErrnoStatus(const std::string& what, const std::string& path, int err) {
  std::string message = what + " " + path + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return Status::QuotaExceeded(message);
  return Status::IoError(message);
}

// The writer lock: `path.lock`, created exclusively, holding the owner's pid.
// A lock left by a process that no longer exists (killed) is taken over.
class WriterLock {
 public:
  static Result<std::unique_ptr<WriterLock>> Acquire(const std::string& path) {
    const std::string lock_path = path + ".lock";
    for (int attempt = 0; attempt < 2; ++attempt) {
      int fd = ::open(lock_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd >= 0) {
        std::string pid = std::to_string(getpid()) + "\n";
        ssize_t w = ::write(fd, pid.data(), pid.size());
        ::close(fd);
        if (w != static_cast<ssize_t>(pid.size())) {
          ::unlink(lock_path.c_str());
          return ErrnoStatus("cannot write the lock file", lock_path, errno);
        }
        return std::unique_ptr<WriterLock>(new WriterLock(lock_path));
      }
      if (errno != EEXIST) return ErrnoStatus("cannot create the lock file", lock_path, errno);
      long owner = ReadOwner(lock_path);
      if (owner > 0 && (::kill(static_cast<pid_t>(owner), 0) == 0 || errno == EPERM)) {
        return Status::Locked("index file " + path + " is open for writing by process " + std::to_string(owner) +
                              " (lock file " + lock_path + "); close it there, or open it read-only");
      }
      ::unlink(lock_path.c_str());  // stale: its process is gone
    }
    return Status::Locked("index file " + path + " is locked by " + lock_path + ", which could not be taken over");
  }
  ~WriterLock() { ::unlink(path_.c_str()); }

 private:
  explicit WriterLock(std::string path) : path_(std::move(path)) {}
  static long ReadOwner(const std::string& lock_path) {
    int fd = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char buf[32] = {};
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return -1;
    return std::strtol(buf, nullptr, 10);
  }
  std::string path_;
};

class FileStorage : public Storage {
 public:
  FileStorage(std::string path, int fd, bool read_only, std::unique_ptr<WriterLock> lock)
      : path_(std::move(path)), fd_(fd), read_only_(read_only), lock_(std::move(lock)) {}
  ~FileStorage() override {
    Unmap();
    ::close(fd_);
  }

  Result<uint64_t> Size() override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return ErrnoStatus("cannot stat", path_, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Status Read(uint64_t offset, void* out, size_t n) override {
    char* p = static_cast<char*>(out);
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, p + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return ErrnoStatus("cannot read", path_, errno);
      if (r == 0) {
        return Status::Corrupt("index file " + path_ + " is truncated: a read at offset " +
                               std::to_string(offset + done) + " found its end");
      }
      done += static_cast<size_t>(r);
    }
    return Status::Ok();
  }

  Status Write(uint64_t offset, const void* data, size_t n) override {
    if (read_only_) return Status::FailedPrecondition(path_ + " was opened read-only");
    Unmap();
    const char* p = static_cast<const char*>(data);
    size_t done = 0;
    while (done < n) {
      ssize_t w = ::pwrite(fd_, p + done, n - done, static_cast<off_t>(offset + done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return ErrnoStatus("cannot write", path_, errno);
      done += static_cast<size_t>(w);
    }
    return Status::Ok();
  }

  Status Flush() override {
    if (read_only_) return Status::Ok();
    // fdatasync also makes a changed file size durable (it is needed to read the data).
    while (::fdatasync(fd_) != 0) {
      if (errno != EINTR) return ErrnoStatus("cannot flush (fdatasync)", path_, errno);
    }
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    if (read_only_) return Status::FailedPrecondition(path_ + " was opened read-only");
    Unmap();
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return ErrnoStatus("cannot truncate", path_, errno);
    return Status::Ok();
  }

  // Read-only files are mapped once, whole and read-only: writes through a
  // mapping (SIGBUS on a full disk) are never made; writers use pwrite.
  const uint8_t* View(uint64_t offset, uint64_t n) override {
    if (!read_only_) return nullptr;
    if (!map_) {
      auto size = Size();
      if (!size.ok() || size.value() == 0) return nullptr;
      void* p = ::mmap(nullptr, size.value(), PROT_READ, MAP_SHARED, fd_, 0);
      if (p == MAP_FAILED) return nullptr;
      // Searches touch scattered rows: ask the kernel not to read ahead
      // around each fault on a cold cache.
      ::madvise(p, size.value(), MADV_RANDOM);
      map_ = static_cast<const uint8_t*>(p);
      map_size_ = size.value();
    }
    if (offset > map_size_ || n > map_size_ - offset) return nullptr;
    return map_ + offset;
  }

  std::string Describe() const override { return path_; }
  bool views_are_stable() const override { return read_only_; }

 private:
  void Unmap() {
    if (map_) ::munmap(const_cast<uint8_t*>(map_), map_size_);
    map_ = nullptr;
    map_size_ = 0;
  }

  std::string path_;
  int fd_;
  bool read_only_;
  std::unique_ptr<WriterLock> lock_;
  const uint8_t* map_ = nullptr;
  uint64_t map_size_ = 0;
};

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

Result<std::unique_ptr<Storage>> OpenFileStorage(const std::string& path, FileMode mode) {
  if (path.empty()) return Status::InvalidArgument("a file path is expected, got an empty string");
  std::unique_ptr<WriterLock> lock;
  if (mode != FileMode::kReadOnly) {
    auto acquired = WriterLock::Acquire(path);
    if (!acquired.ok()) return acquired.status();
    lock = acquired.take();
  }
  int flags = O_CLOEXEC;
  switch (mode) {
    case FileMode::kCreate: flags |= O_RDWR | O_CREAT | O_EXCL; break;
    case FileMode::kReadWrite: flags |= O_RDWR; break;
    case FileMode::kReadOnly: flags |= O_RDONLY; break;
  }
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0 && errno == EEXIST) {
    // A crash between creating the file and flushing its first image leaves
    // it empty. Nothing can be lost by taking it (we hold the writer lock).
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) {
      fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    } else {
      errno = EEXIST;
    }
  }
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound("no such index file: " + path);
    if (err == EEXIST) return Status::AlreadyExists("index file " + path + " already exists; open it, or remove it first");
    return ErrnoStatus("cannot open", path, err);
  }
  if (mode == FileMode::kCreate) {
    // The new directory entry must be durable too, or a crash could lose the file.
    int dir = ::open(DirectoryOf(path).c_str(), O_RDONLY | O_CLOEXEC);
    if (dir >= 0) {
      int rc = ::fsync(dir);
      int err = errno;
      ::close(dir);
      if (rc != 0) {
        ::close(fd);
        return ErrnoStatus("cannot fsync the directory of", path, err);
      }
    }
  }
  return std::unique_ptr<Storage>(new FileStorage(path, fd, mode == FileMode::kReadOnly, std::move(lock)));
}

#endif

}  // namespace neurovec
