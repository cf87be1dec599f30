// Index files through node:fs with real fsync (Emscripten's own file systems
// make fsync a no-op, so durability lives here, in JS).
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { NeurovecError } from '../errors.js';
import type { FileStore } from './file_store.js';

function ioError(what: string, path: string, error: unknown): NeurovecError {
  const e = error as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT' && what === 'read') return new NeurovecError('NOT_FOUND', `no such file: ${path}`);
  return new NeurovecError('IO_ERROR', `cannot ${what} ${path}: ${e?.message ?? String(error)}`);
}

export const nodeFileStore: FileStore = {
  async read(path) {
    try {
      const handle = await open(path, 'r');
      try {
        return new Uint8Array(await handle.readFile());
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw ioError('read', path, error);
    }
  },

  async writeDurably(path, bytes) {
    const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
    try {
      const handle = await open(tmp, 'w');
      try {
        await handle.writeFile(bytes);
        await handle.sync(); // fsync: the bytes are on disk before the rename
      } finally {
        await handle.close();
      }
    } catch (error) {
      await unlink(tmp).catch(() => {});
      throw ioError('write', path, error);
    }
    await nodeFileStore.replace(tmp, path);
  },

  async replace(from, to) {
    try {
      await rename(from, to);
    } catch (error) {
      await unlink(from).catch(() => {});
      throw ioError('write', to, error);
    }
    try {
      // The rename is durable once the directory entry is.
      const dir = await open(dirname(to), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch (error) {
      throw ioError('sync the directory of', to, error);
    }
  },

  async remove(path) {
    await unlink(path).catch(() => {});
  },
};
