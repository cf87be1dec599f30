// The JS side of the core's storage imports (wasm/host_storage.h and
// wasm/host_storage_imports.js): a table of SyncStorage objects by handle,
// installed on the module as `nvHostStorage`. Every call is synchronous, and
// none allocates in the wasm heap, so heap views taken here stay valid.
import { NeurovecError } from '../errors.js';
import type { NeurovecWasmModule } from '../wasm_module.js';
import { encodeTextInto } from '../validation.js';
import type { SyncStorage } from './sync_storage.js';

const IO_ERROR = -1;
const QUOTA = -2;
const LOCKED = -3;

interface Entry {
  storage: SyncStorage;
  error: string;
}

function failureCode(error: unknown): number {
  const e = error as { code?: string; name?: string };
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT' || e?.name === 'QuotaExceededError') return QUOTA;
  if (error instanceof NeurovecError && error.code === 'LOCKED') return LOCKED;
  if (error instanceof NeurovecError && error.code === 'QUOTA_EXCEEDED') return QUOTA;
  return IO_ERROR;
}

export class HostStorageTable {
  private readonly entries = new Map<number, Entry>();
  private next = 1;

  constructor(private readonly mod: NeurovecWasmModule) {}

  register(storage: SyncStorage): number {
    const handle = this.next++;
    this.entries.set(handle, { storage, error: '' });
    return handle;
  }

  has(handle: number): boolean {
    return this.entries.has(handle);
  }

  private call(handle: number, fn: (s: SyncStorage) => number): number {
    const entry = this.entries.get(handle);
    if (!entry) return IO_ERROR;
    try {
      return fn(entry.storage);
    } catch (error) {
      entry.error = `${entry.storage.name}: ${(error as Error)?.message ?? String(error)}`;
      return failureCode(error);
    }
  }

  // ---- the imports ----
  size(handle: number): number {
    return this.call(handle, (s) => s.size());
  }
  read(handle: number, offset: number, ptr: number, n: number): number {
    return this.call(handle, (s) => {
      s.read(offset, this.mod.HEAPU8.subarray(ptr, ptr + n));
      return 0;
    });
  }
  write(handle: number, offset: number, ptr: number, n: number): number {
    return this.call(handle, (s) => {
      s.write(offset, this.mod.HEAPU8.subarray(ptr, ptr + n));
      return 0;
    });
  }
  flush(handle: number): number {
    return this.call(handle, (s) => {
      s.flush();
      return 0;
    });
  }
  truncate(handle: number, size: number): number {
    return this.call(handle, (s) => {
      s.truncate(size);
      return 0;
    });
  }
  error(handle: number, ptr: number, cap: number): number {
    const message = this.entries.get(handle)?.error ?? 'unknown storage';
    if (cap === 0) return 0;
    const written = encodeTextInto(message, this.mod.HEAPU8.subarray(ptr, ptr + cap - 1));
    this.mod.HEAPU8[ptr + written] = 0;
    return written;
  }
  release(handle: number): void {
    const entry = this.entries.get(handle);
    this.entries.delete(handle);
    try {
      entry?.storage.close();
    } catch {
      // Closing after a failure may fail again; the handle is gone either way.
    }
  }
}

/** The module's table, created on first use. */
export function hostStorage(mod: NeurovecWasmModule): HostStorageTable {
  const m = mod as NeurovecWasmModule & { nvHostStorage?: HostStorageTable };
  if (!m.nvHostStorage) m.nvHostStorage = new HostStorageTable(mod);
  return m.nvHostStorage;
}
