// Index files in the Origin Private File System through
// FileSystemSyncAccessHandle: the only synchronous file API of the web, and
// the core calls storage synchronously. Sync handles exist only in dedicated
// Workers, and a file has at most one (read-write) handle at a time, which is
// the writer lock: a second opener gets NoModificationAllowedError, mapped to
// LOCKED. `flush()` of the handle is the durability point. Read-only opens
// work anywhere: where no handle can be had (a page, or a writer holds the
// file) they read a copy of the file through getFile().
import { NeurovecError } from '../errors.js';
import type { OpenMode, StorageTarget, SyncStorage } from './sync_storage.js';

// The parts of the File System API used here. TypeScript's DOM lib lacks the
// worker-only members (createSyncAccessHandle), so they are declared locally.
interface SyncAccessHandle {
  read(buffer: Uint8Array, options?: { at?: number }): number;
  write(buffer: Uint8Array, options?: { at?: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}
interface OpfsFileHandle {
  getFile(): Promise<Blob>;
  createSyncAccessHandle?(options?: { mode?: 'readwrite' | 'read-only' | 'readwrite-unsafe' }): Promise<SyncAccessHandle>;
}
interface OpfsDirectoryHandle {
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<OpfsDirectoryHandle>;
  getFileHandle(name: string, options?: { create?: boolean }): Promise<OpfsFileHandle>;
}

const WHERE = "OPFS index files ({ opfs: 'name' }) need a dedicated Worker, the only place browsers offer " +
  "synchronous file access: run the index in a Worker, or use WorkerVectorIndex from 'neurovec/worker' " +
  "(the same API, run in a Worker for you), or use { indexedDB: 'name' }, which works in pages too";

function inDedicatedWorker(): boolean {
  const g = globalThis as { DedicatedWorkerGlobalScope?: new () => unknown };
  return typeof g.DedicatedWorkerGlobalScope === 'function' && globalThis instanceof g.DedicatedWorkerGlobalScope;
}

function splitPath(name: string): string[] {
  const parts = name.split('/');
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..') {
      throw new NeurovecError('INVALID_ARGUMENT',
        `invalid OPFS path ${JSON.stringify(name)}: expected a file name, or names separated by "/" ` +
        '(no empty parts, no "." or "..")');
    }
  }
  return parts;
}

function domName(error: unknown): string {
  return (error as { name?: string })?.name ?? '';
}

/** Maps File System API errors to NeurovecErrors; quota errors pass through
 * unchanged (host_storage.ts recognises QuotaExceededError by name). */
function fsError(what: string, name: string, error: unknown): Error {
  const kind = domName(error);
  const reason = (error as Error)?.message ?? String(error);
  if (error instanceof NeurovecError || kind === 'QuotaExceededError') return error as Error;
  if (kind === 'NotFoundError') return new NeurovecError('NOT_FOUND', `no such OPFS index file: ${name}`);
  if (kind === 'TypeMismatchError') {
    return new NeurovecError('INVALID_ARGUMENT', `OPFS path ${name} names a directory where a file (or the reverse) was expected`);
  }
  if (kind === 'NoModificationAllowedError' || kind === 'InvalidStateError') {
    return new NeurovecError('LOCKED',
      `OPFS index file ${name} is open elsewhere (another Worker or tab holds its access handle); ` +
      `close it there first (${reason})`);
  }
  return new NeurovecError('IO_ERROR', `cannot ${what} OPFS file ${name}: ${kind ? `${kind}: ` : ''}${reason}`);
}

export class OpfsStorage implements SyncStorage {
  private handle: SyncAccessHandle | undefined;

  private constructor(readonly name: string, handle: SyncAccessHandle, private readonly readOnly: boolean) {
    this.handle = handle;
  }

  static async open(path: string, mode: OpenMode): Promise<SyncStorage> {
    const name = `opfs:${path}`;
    if (typeof path !== 'string' || path.length === 0) {
      throw new NeurovecError('INVALID_ARGUMENT', "an OPFS target must be { opfs: 'name' } with a non-empty name");
    }
    const parts = splitPath(path);
    const storage = (globalThis as unknown as { navigator?: { storage?: { getDirectory?: () => Promise<OpfsDirectoryHandle> } } })
      .navigator?.storage;
    if (typeof storage?.getDirectory !== 'function') {
      throw new NeurovecError('FAILED_PRECONDITION', `cannot open ${name}: this browser has no Origin Private File System ` +
        "(navigator.storage.getDirectory); use { indexedDB: 'name' }");
    }
    const worker = inDedicatedWorker();
    if (!worker && mode !== 'readonly') {
      throw new NeurovecError('FAILED_PRECONDITION', `cannot open ${name} for writing here: ${WHERE}`);
    }
    let file: OpfsFileHandle;
    try {
      let dir = await storage.getDirectory();
      // Directories are created for new files only; opening never creates anything.
      for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part, { create: mode === 'create' });
      const leaf = parts[parts.length - 1];
      if (mode === 'create') {
        let exists = true;
        try {
          await dir.getFileHandle(leaf);
        } catch (error) {
          if (domName(error) !== 'NotFoundError') throw error;
          exists = false;
        }
        if (exists) throw new NeurovecError('ALREADY_EXISTS', `OPFS index file ${path} already exists; open it, or remove it first`);
        file = await dir.getFileHandle(leaf, { create: true });
      } else {
        file = await dir.getFileHandle(leaf);
      }
    } catch (error) {
      throw fsError('open', path, error);
    }
    if (mode === 'readonly' && (!worker || typeof file.createSyncAccessHandle !== 'function')) {
      // Pages have no sync handles, but reading needs none: a copy of the file.
      return OpfsStorage.snapshot(name, path, file);
    }
    if (typeof file.createSyncAccessHandle !== 'function') {
      throw new NeurovecError('FAILED_PRECONDITION', `cannot open ${name}: this browser has no createSyncAccessHandle; ${WHERE}`);
    }
    let handle: SyncAccessHandle;
    try {
      // Read-only handles (Chromium 121+) may be shared by several readers;
      // where the mode is unknown the option is ignored and a normal
      // (exclusive) handle is returned, which works the same for reading.
      handle = mode === 'readonly'
        ? await file.createSyncAccessHandle({ mode: 'read-only' })
        : await file.createSyncAccessHandle();
    } catch (error) {
      // A writer holds the file: a reader can still open a copy of it, as
      // readers can beside a writer in Node and IndexedDB.
      if (mode === 'readonly' && domName(error) === 'NoModificationAllowedError') return OpfsStorage.snapshot(name, path, file);
      throw fsError('open', path, error);
    }
    return new OpfsStorage(name, handle, mode === 'readonly');
  }

  /**
   * A read-only copy of the file's bytes now. A writer may be writing while
   * the copy is read; what it had flushed (every acknowledged write) is in the
   * copy, and an unflushed tail is what recovery trims after a crash too.
   */
  private static async snapshot(name: string, path: string, file: OpfsFileHandle): Promise<SyncStorage> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await (await file.getFile()).arrayBuffer());
    } catch (error) {
      throw fsError('read', path, error);
    }
    return new BytesSnapshot(`${name} (a read-only copy)`, bytes);
  }

  size(): number {
    return this.live().getSize();
  }

  read(offset: number, into: Uint8Array): void {
    const handle = this.live();
    let done = 0;
    while (done < into.length) {
      const n = handle.read(into.subarray(done), { at: offset + done });
      if (n <= 0) {
        throw new NeurovecError('CORRUPT', `index file ${this.name} is truncated: a read at offset ${offset + done} found its end`);
      }
      done += n;
    }
  }

  write(offset: number, data: Uint8Array): void {
    const handle = this.writable();
    let done = 0;
    // write() may write less than asked (reliability notes): loop on the count.
    while (done < data.length) {
      const n = handle.write(data.subarray(done), { at: offset + done });
      if (n <= 0) {
        throw new NeurovecError('IO_ERROR', `OPFS write to ${this.name} at offset ${offset + done} wrote nothing ` +
          `(${data.length - done} bytes left); the disk or the origin's quota may be full`);
      }
      done += n;
    }
  }

  flush(): void {
    if (!this.readOnly) this.live().flush();
  }

  truncate(size: number): void {
    this.writable().truncate(size);
  }

  close(): void {
    const handle = this.handle;
    if (!handle) return;
    this.handle = undefined;
    handle.close();
  }

  private live(): SyncAccessHandle {
    if (!this.handle) throw new NeurovecError('FAILED_PRECONDITION', `${this.name} was closed`);
    return this.handle;
  }

  private writable(): SyncAccessHandle {
    if (this.readOnly) throw new NeurovecError('FAILED_PRECONDITION', `${this.name} was opened read-only`);
    return this.live();
  }
}

/** Read-only bytes in memory (an OPFS file read where no sync handle can be had). */
class BytesSnapshot implements SyncStorage {
  private closed = false;
  constructor(readonly name: string, private readonly bytes: Uint8Array) {}
  size(): number {
    this.live();
    return this.bytes.length;
  }
  read(offset: number, into: Uint8Array): void {
    this.live();
    if (offset + into.length > this.bytes.length) {
      throw new NeurovecError('CORRUPT', `index file ${this.name} is truncated: a read of ${into.length} bytes at offset ` +
        `${offset} passes its end (${this.bytes.length} bytes)`);
    }
    into.set(this.bytes.subarray(offset, offset + into.length));
  }
  write(): void {
    throw new NeurovecError('FAILED_PRECONDITION', `${this.name} was opened read-only`);
  }
  truncate(): void {
    throw new NeurovecError('FAILED_PRECONDITION', `${this.name} was opened read-only`);
  }
  flush(): void {
    this.live();
  }
  close(): void {
    this.closed = true;
  }
  private live(): void {
    if (this.closed) throw new NeurovecError('FAILED_PRECONDITION', `${this.name} was closed`);
  }
}

/** The OPFS opener: `{ opfs: 'name' }` targets. */
export function openOpfsStorage(target: StorageTarget, mode: OpenMode): Promise<SyncStorage> | undefined {
  if (typeof target !== 'object' || target === null || !('opfs' in target)) return undefined;
  return OpfsStorage.open((target as { opfs: string }).opfs, mode);
}
