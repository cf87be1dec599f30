// Index files through node:fs, synchronously (the core calls storage
// synchronously): positional reads and writes, fdatasync as the flush (a real
// one; Emscripten's own file systems make fsync a no-op), and the writer lock
// file shared with the native build (cpp/src/persistence/file_storage.cc):
// `path.lock`, created exclusively, holding the owner's pid; a lock whose
// process is gone is taken over.
import {
  closeSync, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, readSync, statSync, unlinkSync,
  writeFileSync, writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { NeurovecError } from '../errors.js';
import type { OpenMode, StorageTarget, SyncStorage } from './sync_storage.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function acquireLock(path: string): string {
  const lock = `${path}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      return lock;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new NeurovecError('IO_ERROR', `cannot create the lock file ${lock}: ${(error as Error).message}`);
      }
    }
    let owner = NaN;
    try {
      owner = Number.parseInt(readFileSync(lock, 'utf8'), 10);
    } catch {
      // Vanished meanwhile: try again.
    }
    if (owner > 0 && alive(owner)) {
      throw new NeurovecError('LOCKED',
        `index file ${path} is open for writing by process ${owner} (lock file ${lock}); close it there, or open it read-only`);
    }
    try {
      unlinkSync(lock); // stale: its process is gone
    } catch {
      // Someone else took it over first; the next attempt tells.
    }
  }
  throw new NeurovecError('LOCKED', `index file ${path} is locked by ${path}.lock, which could not be taken over`);
}

function ioError(what: string, path: string, error: unknown): Error {
  const e = error as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return new NeurovecError('NOT_FOUND', `no such index file: ${path}`);
  if (e?.code === 'EEXIST') return new NeurovecError('ALREADY_EXISTS', `index file ${path} already exists; open it, or remove it first`);
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT') return new NeurovecError('QUOTA_EXCEEDED', `cannot ${what} ${path}: ${e.message}`);
  return new NeurovecError('IO_ERROR', `cannot ${what} ${path}: ${e?.message ?? String(error)}`);
}

export class NodeFileStorage implements SyncStorage {
  private fd: number;
  private lock: string | undefined;

  private constructor(readonly name: string, fd: number, lock: string | undefined, private readonly readOnly: boolean) {
    this.fd = fd;
    this.lock = lock;
  }

  static open(path: string, mode: OpenMode): NodeFileStorage {
    const lock = mode === 'readonly' ? undefined : acquireLock(path);
    let fd: number;
    try {
      fd = openSync(path, mode === 'create' ? 'wx+' : mode === 'readwrite' ? 'r+' : 'r');
    } catch (error) {
      // A crash between creating the file and flushing its first image leaves
      // it empty: creating over an empty file loses nothing (we hold the lock).
      let empty = false;
      try {
        empty = mode === 'create' && (error as NodeJS.ErrnoException).code === 'EEXIST' && statSync(path).isFile() &&
          statSync(path).size === 0;
      } catch {
        empty = false;
      }
      if (!empty) {
        if (lock) unlinkSync(lock);
        throw ioError('open', path, error);
      }
      fd = openSync(path, 'r+');
    }
    if (mode === 'create') {
      // The new directory entry must be durable too.
      try {
        const dir = openSync(dirname(path), 'r');
        try {
          fsyncSync(dir);
        } finally {
          closeSync(dir);
        }
      } catch (error) {
        closeSync(fd);
        if (lock) unlinkSync(lock);
        throw ioError('fsync the directory of', path, error);
      }
    }
    return new NodeFileStorage(path, fd, lock, mode === 'readonly');
  }

  size(): number {
    return fstatSync(this.handle()).size;
  }

  read(offset: number, into: Uint8Array): void {
    let done = 0;
    while (done < into.length) {
      const n = readSync(this.handle(), into, done, into.length - done, offset + done);
      if (n === 0) throw new NeurovecError('CORRUPT', `index file ${this.name} is truncated: a read at offset ${offset + done} found its end`);
      done += n;
    }
  }

  write(offset: number, data: Uint8Array): void {
    if (this.readOnly) throw new NeurovecError('FAILED_PRECONDITION', `${this.name} was opened read-only`);
    let done = 0;
    while (done < data.length) done += writeSync(this.handle(), data, done, data.length - done, offset + done);
  }

  flush(): void {
    if (!this.readOnly) fdatasyncSync(this.handle());
  }

  truncate(size: number): void {
    if (this.readOnly) throw new NeurovecError('FAILED_PRECONDITION', `${this.name} was opened read-only`);
    ftruncateSync(this.handle(), size);
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
    if (this.lock) {
      try {
        unlinkSync(this.lock);
      } catch {
        // Already gone (removed by hand): nothing to release.
      }
      this.lock = undefined;
    }
  }

  private handle(): number {
    if (this.fd < 0) throw new NeurovecError('FAILED_PRECONDITION', `${this.name} was closed`);
    return this.fd;
  }
}

/** The Node opener: string targets are file paths. */
export function openNodeStorage(target: StorageTarget, mode: OpenMode): Promise<SyncStorage> | undefined {
  if (typeof target !== 'string') return undefined;
  if (target.length === 0) return Promise.reject(new NeurovecError('INVALID_ARGUMENT', 'an index file path must be a non-empty string'));
  try {
    return Promise.resolve(NodeFileStorage.open(target, mode));
  } catch (error) {
    return Promise.reject(error);
  }
}
