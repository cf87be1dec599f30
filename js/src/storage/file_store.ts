/** Where index files are read and written by path. The Node entry point installs
 * a store backed by node:fs; browsers have none (OPFS and IndexedDB targets come
 * with the persistence work that adds them). */
export interface FileStore {
  /** The whole file; rejects with a NeurovecError (NOT_FOUND, IO_ERROR). */
  read(path: string): Promise<Uint8Array>;
  /** Replaces the file so that after a crash it holds the old or the complete new bytes. */
  writeDurably(path: string, bytes: Uint8Array): Promise<void>;
  /** Renames `from` (written and fsynced) over `to`, then makes the rename durable. */
  replace(from: string, to: string): Promise<void>;
  /** Removes a file if it exists (a temporary one left by a failed write). */
  remove(path: string): Promise<void>;
}

let store: FileStore | undefined;

export function setFileStore(s: FileStore): void {
  store = s;
}

export function getFileStore(): FileStore | undefined {
  return store;
}
