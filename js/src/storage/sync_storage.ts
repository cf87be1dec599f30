/**
 * Where a durable index keeps its file: a byte-addressed file with synchronous
 * calls, because the WebAssembly core calls it synchronously (wasm/host_storage.h).
 * Backends: Node's fs (node_storage.ts), OPFS sync access handles in a
 * dedicated Worker, and IndexedDB (an in-memory image made durable by `persist`).
 *
 * Contract (the same as the C++ Storage, cpp/include/neurovec/storage.h):
 * - `read` fills `into` completely or throws (reading past the end throws);
 * - `write` may extend the file;
 * - `flush` is the durability point: once it returns (and, for backends with
 *   `persist`, once the promise `persist()` gives resolves), every earlier
 *   write and truncate survives a crash;
 * - errors are thrown; an error with `code` ENOSPC/EDQUOT or `name`
 *   QuotaExceededError means out of space; a NeurovecError LOCKED, locked.
 */
export interface SyncStorage {
  /** For messages: a path or a name. */
  readonly name: string;
  size(): number;
  read(offset: number, into: Uint8Array): void;
  write(offset: number, data: Uint8Array): void;
  flush(): void;
  truncate(size: number): void;
  /** Releases the file (and its writer lock). Idempotent. */
  close(): void;
  /** Backends whose `flush` only stages data (IndexedDB): resolves when what
   * was flushed is durable. */
  persist?(): Promise<void>;
}

/** Where an index file lives: a path (Node), `{ opfs: name }` (browser, in a
 * dedicated Worker) or `{ indexedDB: name }` (browser, anywhere). */
export type StorageTarget = string | { opfs: string } | { indexedDB: string };

/** How a target is opened: a new file, an existing one for writing, or read-only. */
export type OpenMode = 'create' | 'readwrite' | 'readonly';

/** Opens targets of the kinds it knows; returns undefined for other kinds. */
export type StorageOpener = (target: StorageTarget, mode: OpenMode) => Promise<SyncStorage> | undefined;

const openers: StorageOpener[] = [];

/** Installed by the environment entry points (Node: paths; browsers: OPFS, IndexedDB). */
export function addStorageOpener(opener: StorageOpener): void {
  openers.push(opener);
}

export function getStorageOpeners(): readonly StorageOpener[] {
  return openers;
}

/** Describes a target for messages. */
export function describeTarget(target: unknown): string {
  if (typeof target === 'string') return target;
  try {
    return JSON.stringify(target) ?? String(target);
  } catch {
    return String(target);
  }
}
