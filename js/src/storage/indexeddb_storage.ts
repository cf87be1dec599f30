// Index files in IndexedDB. IndexedDB is asynchronous and the core calls
// storage synchronously, so the file lives in memory as 64 KiB pages, loaded
// whole when it is opened. `flush()` (synchronous, called by the core) stages
// copies of the pages written since the last flush plus the file size;
// `persist()` (awaited by VectorIndex after sync/checkpoint/close/create/open)
// writes everything staged in ONE readwrite transaction opened with
// `durability: 'strict'` (Chrome's default is relaxed: acknowledged before the
// data reaches the disk) and resolves on `complete`. A transaction is all or
// nothing, so a crash mid-commit leaves the previous commit, and commits run
// one after the other, so every crash state is a prefix of the flushes: the
// ordering the core's log and checkpoints rely on.
//
// Layout: database `neurovec`, store `files` (key: name, value: { size,
// pageSize }) and store `pages` (key: [name, page number], value: ArrayBuffer).
// Writers hold the Web Lock `neurovec:indexeddb:<name>` (across tabs and
// workers of the origin; released by the browser if the tab dies) until close.
import { NeurovecError } from '../errors.js';
import type { OpenMode, StorageTarget, SyncStorage } from './sync_storage.js';

const DB_NAME = 'neurovec';
const DB_VERSION = 1;
const FILES = 'files';
const PAGES = 'pages';
const PAGE = 64 * 1024;

interface FileRecord {
  size: number;
  pageSize: number;
}

interface Staged {
  pages: Map<number, ArrayBuffer | null>; // null: delete the page
  size: number;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new DOMException('the transaction was aborted', 'AbortError'));
  });
}

function idbError(what: string, name: string, error: unknown): NeurovecError {
  if (error instanceof NeurovecError) return error;
  const e = error as { name?: string; message?: string } | null;
  const reason = `${e?.name ? `${e.name}: ` : ''}${e?.message ?? String(error)}`;
  if (e?.name === 'QuotaExceededError') {
    return new NeurovecError('QUOTA_EXCEEDED', `cannot ${what} IndexedDB index file ${name}: the origin's storage quota is full (${reason})`);
  }
  return new NeurovecError('IO_ERROR', `cannot ${what} IndexedDB index file ${name}: ${reason}`);
}

/** Waits before each new try of an open that failed with UnknownError. */
const OPEN_RETRY_DELAYS_MS = [50, 200, 800];

/** Opens (creating if missing) the origin's neurovec database; `created` says
 * whether it did not exist before this call. Chromium may fail an open with
 * UnknownError ("Internal error opening backing store") for a moment after
 * the browser was killed and restarted (seen in 2 of 96 SIGKILL restarts in
 * tests/browser/crash.test.mjs; a later open of the same profile succeeds),
 * so that error is tried again a few times before it is reported. */
async function openDatabase(): Promise<{ db: IDBDatabase; created: boolean }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await openDatabaseOnce();
    } catch (e) {
      if ((e as { name?: string } | null)?.name !== 'UnknownError' || attempt >= OPEN_RETRY_DELAYS_MS.length) throw e;
      await new Promise((r) => setTimeout(r, OPEN_RETRY_DELAYS_MS[attempt]));
    }
  }
}

function openDatabaseOnce(): Promise<{ db: IDBDatabase; created: boolean }> {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory) {
    return Promise.reject(new NeurovecError('FAILED_PRECONDITION',
      'IndexedDB is not available here (expected a browser page or worker); use a file path in Node'));
  }
  return new Promise((resolve, reject) => {
    const req = factory.open(DB_NAME, DB_VERSION);
    let created = false;
    req.onupgradeneeded = (event) => {
      created = event.oldVersion === 0;
      const db = req.result;
      if (!db.objectStoreNames.contains(FILES)) db.createObjectStore(FILES);
      if (!db.objectStoreNames.contains(PAGES)) db.createObjectStore(PAGES);
    };
    req.onsuccess = () => resolve({ db: req.result, created });
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new DOMException('the neurovec database is being upgraded in another tab', 'InvalidStateError'));
  });
}

interface LockManagerLike {
  request(name: string, options: { ifAvailable: boolean }, callback: (lock: unknown) => Promise<void> | void): Promise<unknown>;
}

/** Takes the writer lock if it is free; resolves to its release function, or
 * undefined when another writer holds it. */
function tryLock(lockName: string): Promise<(() => void) | undefined> {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  if (!locks) {
    return Promise.reject(new NeurovecError('FAILED_PRECONDITION',
      'writing an IndexedDB index needs the Web Locks API (navigator.locks, secure contexts: https or localhost) ' +
      'to keep a second tab from writing the same file; open it with { readOnly: true }, or serve the page securely'));
  }
  return new Promise((resolve, reject) => {
    locks.request(lockName, { ifAvailable: true }, (lock) => {
      if (!lock) {
        resolve(undefined);
        return;
      }
      // The lock is held until this promise settles, i.e. until close().
      return new Promise<void>((release) => resolve(release));
    }).catch(reject);
  });
}

export class IndexedDbStorage implements SyncStorage {
  readonly name: string;
  private pages = new Map<number, Uint8Array>();
  private fileSize: number;
  private dirty = new Set<number>();
  private staged: Staged | undefined;
  // Commits run one after the other on this chain.
  private chain: Promise<void> = Promise.resolve();
  private failure: NeurovecError | undefined;
  private closed = false;

  private constructor(private readonly file: string, private readonly db: IDBDatabase, record: FileRecord,
    pages: Map<number, Uint8Array>, private readonly readOnly: boolean, private release: (() => void) | undefined) {
    this.name = `indexedDB:${file}`;
    this.fileSize = record.size;
    this.pages = pages;
  }

  static async open(file: string, mode: OpenMode): Promise<IndexedDbStorage> {
    if (typeof file !== 'string' || file.length === 0) {
      throw new NeurovecError('INVALID_ARGUMENT', "an IndexedDB target must be { indexedDB: 'name' } with a non-empty name");
    }
    let release: (() => void) | undefined;
    if (mode !== 'readonly') {
      release = await tryLock(`neurovec:indexeddb:${file}`);
      if (!release) {
        throw new NeurovecError('LOCKED', `IndexedDB index file ${file} is open for writing in another tab or worker ` +
          '(it holds the Web Lock neurovec:indexeddb:' + file + '); close it there, or open it with { readOnly: true }');
      }
    }
    let db: IDBDatabase | undefined;
    try {
      const opened = await openDatabase();
      db = opened.db;
      const tx = db.transaction([FILES, PAGES], 'readonly');
      const range = IDBKeyRange.bound([file, 0], [file, Number.MAX_SAFE_INTEGER]);
      const [record, keys, values] = await Promise.all([
        request(tx.objectStore(FILES).get(file) as IDBRequest<FileRecord | undefined>),
        request(tx.objectStore(PAGES).getAllKeys(range)),
        request(tx.objectStore(PAGES).getAll(range) as IDBRequest<ArrayBuffer[]>),
      ]);
      if (mode === 'create' && record) {
        throw new NeurovecError('ALREADY_EXISTS', `IndexedDB index file ${file} already exists; open it, or remove it first`);
      }
      if (mode !== 'create' && !record) {
        // A database that did not exist cannot have held the file: either no
        // index was ever created on this origin, or the browser threw the
        // origin's IndexedDB away (site data cleared, storage evicted, or, in
        // Chromium, a database found damaged when the browser restarts after
        // a crash is deleted and recreated empty: seen in tests/browser/crash.test.mjs).
        const why = opened.created
          ? ': this origin has no neurovec IndexedDB database at all, so no index was created here, or the browser ' +
            'discarded the origin\'s IndexedDB (cleared site data, evicted storage, or a database Chromium found damaged ' +
            'after a crash; OPFS kept every acknowledged write in the same crash tests)'
          : '';
        throw new NeurovecError('NOT_FOUND', `no such IndexedDB index file: ${file}${why}`);
      }
      const meta = record ?? { size: 0, pageSize: PAGE };
      if (meta.pageSize !== PAGE || !Number.isSafeInteger(meta.size) || meta.size < 0) {
        throw new NeurovecError('CORRUPT', `IndexedDB index file ${file} has an unexpected record ${JSON.stringify(meta)} ` +
          `(expected { size >= 0, pageSize: ${PAGE} })`);
      }
      const pages = new Map<number, Uint8Array>();
      for (let i = 0; i < keys.length; i++) {
        const page = (keys[i] as [string, number])[1];
        if (page * PAGE < meta.size) pages.set(page, new Uint8Array(values[i]));
      }
      const storage = new IndexedDbStorage(file, db, meta, pages, mode === 'readonly', release);
      if (mode === 'readonly') {
        // Everything is in memory: the connection is not needed any more.
        db.close();
      }
      return storage;
    } catch (error) {
      db?.close();
      release?.();
      throw idbError('open', file, error);
    }
  }

  size(): number {
    this.live();
    return this.fileSize;
  }

  read(offset: number, into: Uint8Array): void {
    this.live();
    if (offset + into.length > this.fileSize) {
      throw new NeurovecError('CORRUPT', `index file ${this.name} is truncated: a read of ${into.length} bytes at offset ` +
        `${offset} passes its end (${this.fileSize} bytes)`);
    }
    let done = 0;
    while (done < into.length) {
      const at = offset + done;
      const page = Math.floor(at / PAGE);
      const start = at - page * PAGE;
      const n = Math.min(PAGE - start, into.length - done);
      const bytes = this.pages.get(page);
      if (bytes) into.set(bytes.subarray(start, start + n), done);
      else into.fill(0, done, done + n); // never written: zeros
      done += n;
    }
  }

  write(offset: number, data: Uint8Array): void {
    this.writable();
    let done = 0;
    while (done < data.length) {
      const at = offset + done;
      const page = Math.floor(at / PAGE);
      const start = at - page * PAGE;
      const n = Math.min(PAGE - start, data.length - done);
      let bytes = this.pages.get(page);
      if (!bytes) {
        bytes = new Uint8Array(PAGE);
        this.pages.set(page, bytes);
      }
      bytes.set(data.subarray(done, done + n), start);
      this.dirty.add(page);
      done += n;
    }
    this.fileSize = Math.max(this.fileSize, offset + data.length);
  }

  truncate(size: number): void {
    this.writable();
    if (size < this.fileSize) {
      // Bytes past the new end must read as zeros if the file grows again, in
      // memory and after a reload: removed pages are marked dirty, and a dirty
      // page that is not in memory is deleted by the next commit.
      const keep = Math.ceil(size / PAGE);
      for (let page = keep; page < Math.ceil(this.fileSize / PAGE); page++) {
        this.pages.delete(page);
        this.dirty.add(page);
      }
      const tail = this.pages.get(keep - 1);
      if (tail && size % PAGE !== 0) {
        tail.fill(0, size % PAGE);
        this.dirty.add(keep - 1);
      }
    }
    this.fileSize = size;
  }

  /** Stages copies of the pages written since the last flush; persist() makes them durable. */
  flush(): void {
    this.live();
    if (this.readOnly) return;
    if (this.failure) throw this.failure;
    const staged = this.staged ?? { pages: new Map<number, ArrayBuffer | null>(), size: 0 };
    for (const page of this.dirty) staged.pages.set(page, this.pages.get(page)?.slice().buffer ?? null);
    staged.size = this.fileSize;
    this.staged = staged;
    this.dirty.clear();
  }

  /** Resolves once everything flushed before the call is committed durably. */
  persist(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    this.enqueueCommit();
    return this.chain;
  }

  /** Commits what was flushed, then releases the connection and the writer
   * lock (after the commits: a next writer must see them). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.readOnly) return;
    this.enqueueCommit();
    const finish = () => {
      this.db.close();
      this.release?.();
      this.release = undefined;
      this.pages = new Map();
    };
    this.chain.then(finish, finish);
  }

  private enqueueCommit(): void {
    const staged = this.staged;
    if (!staged || this.readOnly) return;
    this.staged = undefined;
    this.chain = this.chain.then(() => this.commit(staged)).catch((error) => {
      // Sticky: after a failed commit the file on disk is behind what the core
      // believes durable, so nothing more is written until it is reopened.
      this.failure ??= idbError('commit to', this.file, error);
      throw this.failure;
    });
  }

  private async commit(staged: Staged): Promise<void> {
    if (this.failure) throw this.failure;
    const tx = this.db.transaction([FILES, PAGES], 'readwrite', { durability: 'strict' });
    const completed = done(tx);
    try {
      const pages = tx.objectStore(PAGES);
      for (const [page, bytes] of staged.pages) {
        if (bytes && page * PAGE < staged.size) pages.put(bytes, [this.file, page]);
        else pages.delete([this.file, page]);
      }
      // Pages past the end (after a truncate) go in the same transaction.
      const firstUnused = Math.ceil(staged.size / PAGE);
      pages.delete(IDBKeyRange.bound([this.file, firstUnused], [this.file, Number.MAX_SAFE_INTEGER]));
      const record: FileRecord = { size: staged.size, pageSize: PAGE };
      tx.objectStore(FILES).put(record, this.file);
    } catch (error) {
      // A request that throws must not leave the others to commit on their
      // own: half a commit is exactly what the transaction is there to prevent.
      completed.catch(() => {});
      try {
        tx.abort();
      } catch {
        // Already finished or aborted.
      }
      throw error;
    }
    await completed;
  }

  private live(): void {
    if (this.closed) throw new NeurovecError('FAILED_PRECONDITION', `${this.name} was closed`);
  }

  private writable(): void {
    this.live();
    if (this.readOnly) throw new NeurovecError('FAILED_PRECONDITION', `${this.name} was opened read-only`);
    if (this.failure) throw this.failure;
  }
}

/** The IndexedDB opener: `{ indexedDB: 'name' }` targets. */
export function openIndexedDbStorage(target: StorageTarget, mode: OpenMode): Promise<SyncStorage> | undefined {
  if (typeof target !== 'object' || target === null || !('indexedDB' in target)) return undefined;
  return IndexedDbStorage.open((target as { indexedDB: string }).indexedDB, mode);
}
