// The native twin of the JS host storage (wasm/host_storage.h): the same
// import functions the WebAssembly module gets from JavaScript, implemented
// over real files with pread/pwrite/fdatasync, so the C ABI's durable paths
// (and HostStorage) run under CTest. Tests open files with TwinOpen.
#include "host_storage_twin.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <thread>

#include "host_storage.h"

namespace {

struct TwinFile {
  int fd;
  std::string error;
  uint64_t flushes = 0;
  std::thread::id owner;  // the JS host's storage lives on one thread
};
std::atomic<uint64_t> g_reads_off_owner{0};
std::map<int32_t, TwinFile>& Files() {
  static std::map<int32_t, TwinFile> files;
  return files;
}
int32_t g_next = 1;

int32_t Failed(TwinFile& f, const char* what) {
  int err = errno;
  f.error = std::string(what) + ": " + std::strerror(err);
  return err == ENOSPC ? NV_HOST_QUOTA : NV_HOST_IO_ERROR;
}

}  // namespace

int32_t TwinOpen(const std::string& path, bool create) {
  int fd = ::open(path.c_str(), create ? (O_RDWR | O_CREAT | O_TRUNC) : O_RDWR, 0644);
  if (fd < 0) return -1;
  Files()[g_next] = TwinFile{fd, "", 0, std::this_thread::get_id()};
  return g_next++;
}

uint64_t TwinReadsOffOwnerThread() { return g_reads_off_owner.load(); }

bool TwinIsOpen(int32_t handle) { return Files().count(handle) != 0; }
uint64_t TwinFlushes(int32_t handle) { return TwinIsOpen(handle) ? Files()[handle].flushes : 0; }

extern "C" {

double nv_host_storage_size(int32_t storage) {
  TwinFile& f = Files().at(storage);
  struct stat st;
  if (::fstat(f.fd, &st) != 0) return Failed(f, "fstat");
  return static_cast<double>(st.st_size);
}

int32_t nv_host_storage_read(int32_t storage, double offset, void* out, uint32_t n) {
  TwinFile& f = Files().at(storage);
  if (std::this_thread::get_id() != f.owner) g_reads_off_owner.fetch_add(1);
  ssize_t r = ::pread(f.fd, out, n, static_cast<off_t>(offset));
  if (r < 0) return Failed(f, "pread");
  if (static_cast<uint32_t>(r) != n) {
    f.error = "short read (the file is shorter)";
    return NV_HOST_IO_ERROR;
  }
  return 0;
}

int32_t nv_host_storage_write(int32_t storage, double offset, const void* data, uint32_t n) {
  TwinFile& f = Files().at(storage);
  ssize_t w = ::pwrite(f.fd, data, n, static_cast<off_t>(offset));
  if (w < 0 || static_cast<uint32_t>(w) != n) return Failed(f, "pwrite");
  return 0;
}

int32_t nv_host_storage_flush(int32_t storage) {
  TwinFile& f = Files().at(storage);
  if (::fdatasync(f.fd) != 0) return Failed(f, "fdatasync");
  ++f.flushes;
  return 0;
}

int32_t nv_host_storage_truncate(int32_t storage, double size) {
  TwinFile& f = Files().at(storage);
  if (::ftruncate(f.fd, static_cast<off_t>(size)) != 0) return Failed(f, "ftruncate");
  return 0;
}

uint32_t nv_host_storage_error(int32_t storage, char* out, uint32_t cap) {
  const std::string& e = Files().at(storage).error;
  uint32_t n = static_cast<uint32_t>(std::min<size_t>(e.size(), cap ? cap - 1 : 0));
  std::memcpy(out, e.data(), n);
  if (cap) out[n] = '\0';
  return n;
}

void nv_host_storage_release(int32_t storage) {
  auto it = Files().find(storage);
  if (it == Files().end()) return;
  ::close(it->second.fd);
  Files().erase(it);
}

}  // extern "C"
