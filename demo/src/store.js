// Where the demo keeps its data in the browser: the index file (a copy of the
// shipped one, or an imported one) and the journal of what it learned (one
// JSON line per thumbs-up/down). The Origin Private File System when the
// browser has it (written through sync access handles: a dedicated Worker
// only), IndexedDB otherwise. Both are private to this origin, kept across
// visits, and work offline.
const DIR = 'neurovec-demo';
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function parseJournal(text) {
  const events = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line));
    } catch {
      // A line cut short by a closed tab: the events before it still count.
    }
  }
  return events;
}

class OpfsStore {
  kind = 'opfs';
  constructor(dir) {
    this.dir = dir;
  }

  async file(name, create = false) {
    try {
      return await this.dir.getFileHandle(name, { create });
    } catch {
      return undefined;
    }
  }

  async read(name) {
    const handle = await this.file(name);
    if (!handle) return undefined;
    const access = await handle.createSyncAccessHandle();
    try {
      const bytes = new Uint8Array(access.getSize());
      let at = 0;
      while (at < bytes.length) {
        const n = access.read(bytes.subarray(at), { at });
        if (n <= 0) break;
        at += n;
      }
      return at === bytes.length ? bytes : undefined;
    } finally {
      access.close();
    }
  }

  async write(name, bytes, { append = false } = {}) {
    const handle = await this.file(name, true);
    const access = await handle.createSyncAccessHandle();
    try {
      let at = append ? access.getSize() : 0;
      if (!append) access.truncate(0);
      for (let done = 0; done < bytes.length;) {
        const n = access.write(bytes.subarray(done), { at: at + done });
        if (n <= 0) throw new Error(`OPFS wrote nothing to ${name}`);
        done += n;
      }
      access.flush();
    } finally {
      access.close();
    }
  }

  /** Writes a stream (a download) into a file as it arrives; `onChunk(bytesSoFar)` after each piece. */
  async writeStream(name, stream, onChunk) {
    const handle = await this.file(name, true);
    const access = await handle.createSyncAccessHandle();
    try {
      access.truncate(0);
      let at = 0;
      const reader = stream.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (let off = 0; off < value.length;) {
          const n = access.write(value.subarray(off), { at: at + off });
          if (n <= 0) throw new Error(`OPFS wrote nothing to ${name}`);
          off += n;
        }
        at += value.length;
        onChunk?.(at);
      }
      access.flush();
      return at;
    } catch (error) {
      access.truncate(0); // never leave half a file that looks like an index
      throw error;
    } finally {
      access.close();
    }
  }

  async size(name) {
    const handle = await this.file(name);
    return handle ? (await handle.getFile()).size : 0;
  }

  async remove(name) {
    await this.dir.removeEntry(name).catch(() => undefined);
  }

  async names() {
    const out = [];
    for await (const [name] of this.dir.entries()) out.push(name);
    return out;
  }
}

class IdbStore {
  kind = 'indexedDB';
  constructor(db) {
    this.db = db;
  }

  tx(mode, work) {
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction('files', mode, { durability: 'strict' });
      let result;
      work(tx.objectStore('files'), (r) => { result = r; });
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  }

  read(name) {
    return this.tx('readonly', (store, done) => {
      const req = store.get(name);
      req.onsuccess = () => done(req.result ? new Uint8Array(req.result) : undefined);
    });
  }

  write(name, bytes, { append = false } = {}) {
    return this.tx('readwrite', (store) => {
      if (!append) {
        store.put(bytes.slice().buffer, name);
        return;
      }
      const req = store.get(name);
      req.onsuccess = () => {
        const old = req.result ? new Uint8Array(req.result) : new Uint8Array(0);
        const joined = new Uint8Array(old.length + bytes.length);
        joined.set(old);
        joined.set(bytes, old.length);
        store.put(joined.buffer, name);
      };
    });
  }

  async size(name) {
    return (await this.read(name))?.length ?? 0;
  }

  remove(name) {
    return this.tx('readwrite', (store) => store.delete(name));
  }

  names() {
    return this.tx('readonly', (store, done) => {
      const req = store.getAllKeys();
      req.onsuccess = () => done(req.result.map(String));
    });
  }
}

async function openOpfs() {
  if (!navigator.storage?.getDirectory) return undefined;
  try {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle(DIR, { create: true });
    const probe = await dir.getFileHandle('.probe', { create: true });
    const ok = typeof probe.createSyncAccessHandle === 'function';
    await dir.removeEntry('.probe').catch(() => undefined);
    return ok ? new OpfsStore(dir) : undefined;
  } catch {
    return undefined;
  }
}

function openIdb() {
  return new Promise((resolve, reject) => {
    if (!globalThis.indexedDB) {
      reject(new Error('this browser offers neither OPFS nor IndexedDB to keep the index in'));
      return;
    }
    const req = indexedDB.open(DIR, 1);
    req.onupgradeneeded = () => req.result.createObjectStore('files');
    req.onsuccess = () => resolve(new IdbStore(req.result));
    req.onerror = () => reject(req.error);
  });
}

/** OPFS when this browser has it (in this Worker), IndexedDB otherwise. */
export async function openStore({ preferIndexedDB = false } = {}) {
  return (!preferIndexedDB && (await openOpfs())) || openIdb();
}

export const DIRECTORY = DIR;

/** The journal of what the index learned, next to the index it belongs to. */
export class Journal {
  constructor(store, name) {
    this.store = store;
    this.name = name;
  }

  async read() {
    const bytes = await this.store.read(this.name);
    return bytes ? parseJournal(fromUtf8.decode(bytes)) : [];
  }

  append(event) {
    return this.store.write(this.name, utf8.encode(`${JSON.stringify(event)}\n`), { append: true });
  }

  clear() {
    return this.store.remove(this.name);
  }
}
