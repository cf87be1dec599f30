// Emscripten JS library: the imports of wasm/host_storage.h. Each forwards to
// Module.nvHostStorage, which the TypeScript side installs after instantiating
// the module (js/src/storage/host_storage.ts), so all storage logic lives in
// typed, tested code. Offsets and sizes arrive as doubles.
mergeInto(LibraryManager.library, {
  nv_host_storage_size: function (storage) {
    return Module['nvHostStorage'].size(storage);
  },
  nv_host_storage_read: function (storage, offset, out, n) {
    return Module['nvHostStorage'].read(storage, offset, out, n);
  },
  nv_host_storage_write: function (storage, offset, data, n) {
    return Module['nvHostStorage'].write(storage, offset, data, n);
  },
  nv_host_storage_flush: function (storage) {
    return Module['nvHostStorage'].flush(storage);
  },
  nv_host_storage_truncate: function (storage, size) {
    return Module['nvHostStorage'].truncate(storage, size);
  },
  nv_host_storage_error: function (storage, out, cap) {
    return Module['nvHostStorage'].error(storage, out, cap);
  },
  nv_host_storage_release: function (storage) {
    Module['nvHostStorage'].release(storage);
  },
});
