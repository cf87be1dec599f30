// The demo's dedicated Worker: holds the TextIndex. The index file lives in the
// Origin Private File System (OPFS: writable only from a dedicated Worker, so it
// runs here), or in IndexedDB where OPFS is missing. The first visit copies the
// shipped index (debian-<hash>.nvx, from the service worker's cache) into it;
// later visits open it in place, so what feedback taught survives reloads.
// Requests are answered one at a time, in order: { id, op, args } -> { id, ok, value | error }.
import { TextIndex } from 'neurovec/text';

const DIR = 'neurovec-demo';
let index;
let place; // { kind: 'opfs' | 'indexedDB', target, file }
let readOnly = false;
let shipped; // { url, file, version, bytes }

const post = (message, transfer = []) => self.postMessage(message, transfer);
const progress = (text) => post({ progress: text });

async function opfsDir() {
  if (!navigator.storage?.getDirectory) return undefined;
  try {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle(DIR, { create: true });
    // createSyncAccessHandle is what the index's OPFS storage needs.
    const probe = await dir.getFileHandle('.probe', { create: true });
    const ok = typeof probe.createSyncAccessHandle === 'function';
    await dir.removeEntry('.probe').catch(() => undefined);
    return ok ? dir : undefined;
  } catch {
    return undefined;
  }
}

async function fetchShipped() {
  progress(`downloading the index (${(shipped.bytes / 2 ** 20).toFixed(1)} MiB)`);
  const response = await fetch(shipped.url);
  if (!response.ok) throw new Error(`the index ${shipped.file} could not be downloaded (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

async function writeOpfs(dir, name, bytes) {
  const handle = await dir.getFileHandle(name, { create: true });
  const access = await handle.createSyncAccessHandle();
  try {
    access.truncate(0);
    let at = 0;
    while (at < bytes.length) at += access.write(bytes.subarray(at), { at });
    access.flush();
  } finally {
    access.close();
  }
}

/** Removes the copies of older shipped indexes. */
async function removeOthers(dir, keep) {
  for await (const [name] of dir.entries()) {
    if (name !== keep && name.endsWith('.nvx')) await dir.removeEntry(name).catch(() => undefined);
  }
}

async function opfsFileSize(dir, name) {
  try {
    return (await (await dir.getFileHandle(name)).getFile()).size;
  } catch {
    return 0;
  }
}

async function openIndex(target) {
  try {
    return { index: await TextIndex.open(target), readOnly: false };
  } catch (error) {
    // Another tab holds the file: open a read-only copy (searches work, learning does not).
    if (/open elsewhere|LOCKED|locked/i.test(String(error?.message ?? error)) || error?.code === 'LOCKED') {
      return { index: await TextIndex.open(target, { readOnly: true }), readOnly: true };
    }
    throw error;
  }
}

async function init({ index: info }) {
  shipped = info;
  const t0 = performance.now();
  const name = `debian-${shipped.version}.nvx`;
  let copied = false;
  const dir = await opfsDir();
  if (dir) {
    place = { kind: 'opfs', target: { opfs: `${DIR}/${name}` }, dir, name };
    if ((await opfsFileSize(dir, name)) === 0) {
      const bytes = await fetchShipped();
      progress('copying the index into OPFS');
      await writeOpfs(dir, name, bytes);
      copied = true;
    }
    await removeOthers(dir, name);
  } else {
    place = { kind: 'indexedDB', target: { indexedDB: `${DIR}/${name}` }, name };
  }
  progress('opening the index');
  let opened;
  try {
    opened = await openIndex(place.target);
  } catch (error) {
    if (copied || !(place.kind === 'indexedDB' || /CORRUPT|NOT_FOUND|truncated|no such/i.test(`${error?.code} ${error?.message}`))) throw error;
    // IndexedDB's first visit, or a copy cut short by a closed tab: copy again.
    const bytes = await fetchShipped();
    progress(`copying the index into ${place.kind === 'opfs' ? 'OPFS' : 'IndexedDB'}`);
    if (place.kind === 'opfs') {
      await writeOpfs(place.dir, place.name, bytes);
    } else {
      const fresh = await TextIndex.fromBytes(bytes);
      try {
        await fresh.save(place.target);
      } finally {
        fresh.dispose();
      }
    }
    copied = true;
    opened = await openIndex(place.target);
  }
  index = opened.index;
  readOnly = opened.readOnly;
  const s = index.stats();
  return { ...(await where()), documents: s.documents, feedbackEvents: s.feedbackEvents, copied, readOnly, openMs: performance.now() - t0 };
}

async function where() {
  const estimate = (await navigator.storage?.estimate?.().catch(() => undefined)) ?? {};
  const fileBytes = place.kind === 'opfs' ? await opfsFileSize(place.dir, place.name) : undefined;
  return { storage: place.kind, file: `${DIR}/${place.name}`, fileBytes, usage: estimate.usage, quota: estimate.quota };
}

function search({ query, k, mode, useFeedback }) {
  if (!/[A-Za-z0-9\u0080-\uffff]/.test(query)) return { results: [], encodeMs: 0, searchMs: 0 };
  const results = index.search(query, k, { mode, useFeedback });
  const { encodeMs, searchMs } = index.stats().lastSearch;
  let baseline;
  // Where each result stood before any feedback: the page's rank-change badges.
  if (index.stats().feedbackEvents > 0) {
    baseline = index.search(query, Math.max(k, 50), { mode, useFeedback: false }).map((r) => r.id);
  }
  return {
    results: results.map((r) => ({ id: r.id, score: r.score, keyword: r.keyword, semantic: r.semantic, feedback: r.feedback, metadata: r.metadata })),
    baseline, encodeMs, searchMs,
  };
}

async function feedback({ query, clicked, rejected, shown }) {
  if (readOnly) throw new Error('this tab opened a read-only copy (the demo is open in another tab): learning is off here');
  index.feedback(query, { clicked, rejected, shown });
  await index.sync(); // a checkpoint: the event is in the file before the page hears back
  return { feedbackEvents: index.stats().feedbackEvents };
}

async function clear() {
  if (readOnly) throw new Error('this tab opened a read-only copy: nothing to reset here');
  index.clearFeedback();
  await index.sync();
  return { feedbackEvents: 0 };
}

async function exportIndex() {
  const bytes = await index.toBytes();
  return bytes;
}

async function importIndex({ bytes }) {
  // Check it first: a file that is not a text index changes nothing.
  const incoming = await TextIndex.fromBytes(bytes);
  const documents = incoming.stats().documents;
  incoming.dispose();
  await index.close();
  index = undefined;
  if (place.kind === 'opfs') {
    await writeOpfs(place.dir, place.name, bytes);
  } else {
    const fresh = await TextIndex.fromBytes(bytes);
    try {
      await fresh.save(place.target);
    } finally {
      fresh.dispose();
    }
  }
  const opened = await openIndex(place.target);
  index = opened.index;
  readOnly = opened.readOnly;
  return { documents, feedbackEvents: index.stats().feedbackEvents, ...(await where()) };
}

const ops = {
  init, search, feedback, clear, where,
  export: exportIndex,
  import: importIndex,
  stats: () => {
    const s = index.stats();
    return { documents: s.documents, feedbackEvents: s.feedbackEvents, terms: s.terms, dimensions: s.dimensions, encoderBytes: s.encoderBytes, keywordBytes: s.keywordBytes };
  },
};

let queue = Promise.resolve();
self.onmessage = (event) => {
  const { id, op, args } = event.data;
  queue = queue.then(async () => {
    try {
      if (!ops[op]) throw new Error(`unknown request ${op}`);
      if (op !== 'init' && !index) throw new Error('the index is not open');
      const value = await ops[op](args ?? {});
      post({ id, ok: true, value }, value instanceof Uint8Array ? [value.buffer] : []);
    } catch (error) {
      post({ id, ok: false, error: { code: error?.code, message: String(error?.message ?? error) } });
    }
  });
};
