/* Storage the host provides to the core (the duckdb-wasm pattern): in the
 * WebAssembly module these functions are imports implemented in JavaScript
 * (wasm/host_storage_imports.js, which calls the SyncStorage objects of
 * js/src/storage/); natively, tests link a twin over real files
 * (tests/cpp/host_storage_twin.cc), so the code that uses them is tested by
 * CTest too.
 *
 * A storage is a small integer handle the host hands out. Offsets and sizes
 * are doubles (exact up to 2^53; Emscripten 3.1.6 cannot pass int64 to JS
 * without WASM_BIGINT). Return values: >= 0 success; on failure a negative
 * code (NV_HOST_IO_ERROR, NV_HOST_QUOTA, NV_HOST_LOCKED) and the host keeps a
 * message for nv_host_storage_error. */
#ifndef NEUROVEC_HOST_STORAGE_H_
#define NEUROVEC_HOST_STORAGE_H_

#include <stdint.h>

#define NV_HOST_IO_ERROR (-1)
#define NV_HOST_QUOTA (-2)
#define NV_HOST_LOCKED (-3)

#ifdef __cplusplus
extern "C" {
#endif

double nv_host_storage_size(int32_t storage);
int32_t nv_host_storage_read(int32_t storage, double offset, void* out, uint32_t n);
int32_t nv_host_storage_write(int32_t storage, double offset, const void* data, uint32_t n);
int32_t nv_host_storage_flush(int32_t storage);
int32_t nv_host_storage_truncate(int32_t storage, double size);
/* Copies the message of the storage's last failure (NUL-terminated, at most
 * cap bytes with the NUL); returns its length. */
uint32_t nv_host_storage_error(int32_t storage, char* out, uint32_t cap);
/* The core is done with the handle (the index was closed or destroyed). */
void nv_host_storage_release(int32_t storage);

#ifdef __cplusplus
}
#endif

#endif /* NEUROVEC_HOST_STORAGE_H_ */
