// The demo's dedicated Worker: holds the TextIndex, so searching never blocks
// the page. Its data lives in the Origin Private File System (store.js; OPFS's
// sync access handles exist only in dedicated Workers), IndexedDB where OPFS
// is missing:
//   debian-<hash>.nvx   the index: the first visit copies the shipped file
//                       (fetched once from the site) into it; later visits,
//                       online or not, open it there;
//   learned-<hash>.jsonl what it learned: each thumbs-up/down, appended and
//                       flushed before the page hears back, replayed into the
//                       index when it opens.
// TextIndex.sync() would also make feedback durable, but it checkpoints the
// whole index file (about 48 MB for the full catalogue: 0.2-0.4 s per thumb in Node), so
// the demo journals the events instead. Export writes the index with what it
// learned (TextIndex.toBytes); import replaces the stored index with a file.
// Requests are answered one at a time, in order: { id, op, args } -> { id, ok, value | error }.
import { VectorIndex } from 'neurovec';
import { TextIndex } from 'neurovec/text';
import { DIRECTORY, Journal, openStore } from './store.js';

const phases = {};
// When this worker's module began to run, in ms since the Unix epoch (the page
// turns it into ms since its navigation started: the worker's boot time).
const bootEpochMs = performance.timeOrigin + performance.now();
let index;
let store;
let journal;
let indexName;
let shipped; // { url, file, version, bytes }

const post = (message, transfer = []) => self.postMessage(message, transfer);
const progress = (text) => post({ progress: text });

async function timed(name, work) {
  const t = performance.now();
  try {
    return await work();
  } finally {
    phases[name] = (phases[name] ?? 0) + performance.now() - t;
  }
}

// Loading and compiling the WebAssembly module starts as soon as the worker does.
const warm = timed('wasmMs', () => VectorIndex.create({ dimensions: 4 }).then((i) => i.dispose()));
warm.catch(() => undefined);

const MiB = (n) => (n / 2 ** 20).toFixed(1);

async function fetchIndex() {
  progress(`downloading the index (${MiB(shipped.bytes)} MiB)`);
  // no-store: the copy in OPFS is the one kept; the HTTP cache need not hold it too.
  const response = await fetch(shipped.url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`the index ${shipped.file} could not be downloaded (HTTP ${response.status})`);
  return response;
}

async function download() {
  return new Uint8Array(await (await fetchIndex()).arrayBuffer());
}

/** The shipped index into the store; into OPFS as it downloads. Returns its bytes when it had to hold them. */
async function copyShipped() {
  if (store.kind === 'opfs') {
    const response = await fetchIndex();
    let last = 0;
    await timed('downloadMs', () => store.writeStream(indexName, response.body, (done) => {
      if (done - last >= 4 << 20) {
        last = done;
        progress(`downloading the index into OPFS (${MiB(done)} of ${MiB(shipped.bytes)} MiB)`);
      }
    }));
    return undefined;
  }
  const bytes = await timed('downloadMs', download);
  progress('copying the index into IndexedDB');
  await timed('copyMs', () => store.write(indexName, bytes));
  return bytes;
}

/**
 * Opens the stored index and replays the journal into it. From OPFS the index
 * is opened in place, read-only (the file never changes; what is learned goes
 * to the journal): the open reads ids, metadata, the keyword index and the
 * encoder, and pages vectors and graph lists in as searches reach them, which
 * is faster than decoding the whole file from bytes. From IndexedDB, from the bytes.
 */
async function load(bytes) {
  progress('opening the index');
  const opened = await timed('openMs', async () => {
    if (store.kind === 'opfs') return TextIndex.open({ opfs: `${DIRECTORY}/${indexName}` }, { readOnly: true });
    return TextIndex.fromBytes(bytes ?? (await timed('readMs', () => store.read(indexName))));
  });
  const events = await timed('journalMs', async () => {
    const list = await journal.read();
    for (const e of list) {
      try {
        if (e.clear) opened.clearFeedback(); // a reset, which also forgets what an imported file had learned
        else opened.feedback(e.query, { clicked: e.clicked, rejected: e.rejected, shown: e.shown });
      } catch {
        // An event naming a package this index lacks (after an import): skipped.
      }
    }
    return list.length;
  });
  phases.replayed = events;
  return opened;
}

async function init({ index: info, preferIndexedDB = false }) {
  shipped = info;
  const t0 = performance.now();
  store = await openStore({ preferIndexedDB });
  indexName = `debian-${shipped.version}.nvx`;
  journal = new Journal(store, `learned-${shipped.version}.jsonl`);
  let copied = false;
  let bytes;
  if ((await store.size(indexName)) === 0) {
    bytes = await copyShipped();
    copied = true;
  }
  // A new build's index replaces the old one, and what was learned on it.
  for (const name of await store.names()) {
    if (name !== indexName && name !== journal.name && /^(debian-.*\.nvx|learned-.*\.jsonl)$/.test(name)) await store.remove(name);
  }
  await warm;
  try {
    index = await load(bytes);
  } catch (error) {
    if (copied) throw error;
    // A stored copy that no longer opens (cut short, damaged): copy it again.
    bytes = await copyShipped();
    copied = true;
    index = await load(bytes);
  }
  const s = index.stats();
  return {
    ...(await where()), documents: s.documents, feedbackEvents: s.feedbackEvents, encoderLoaded: s.encoderLoaded, copied, phases,
    initMs: performance.now() - t0, bootEpochMs, initStartEpochMs: performance.timeOrigin + t0,
  };
}

async function where() {
  const estimate = (await navigator.storage?.estimate?.().catch(() => undefined)) ?? {};
  return {
    storage: store.kind,
    file: `${DIRECTORY}/${indexName}`,
    fileBytes: await store.size(indexName),
    journalBytes: await store.size(journal.name),
    usage: estimate.usage,
    quota: estimate.quota,
  };
}

function search({ query, k, mode, useFeedback }) {
  if (!/[A-Za-z0-9\u0080-\uffff]/.test(query)) return { results: [], encodeMs: 0, searchMs: 0 };
  const t = performance.now();
  const results = index.search(query, k, { mode, useFeedback });
  const totalMs = performance.now() - t;
  const { encodeMs, searchMs } = index.stats().lastSearch;
  let baseline;
  // Where each result stood before any feedback: the page's rank-change badges.
  if (useFeedback !== false && index.stats().feedbackEvents > 0) {
    baseline = index.search(query, Math.max(k, 50), { mode, useFeedback: false }).map((r) => r.id);
  }
  return {
    results: results.map((r) => ({ id: r.id, score: r.score, keyword: r.keyword, semantic: r.semantic, feedback: r.feedback, metadata: r.metadata })),
    baseline, encodeMs, searchMs, totalMs,
  };
}

async function feedback({ query, clicked, rejected, shown }) {
  index.feedback(query, { clicked, rejected, shown });
  // On disk before the page hears back: a reload right after still has it.
  await journal.append({ query, clicked, rejected, shown, at: Date.now() });
  return { feedbackEvents: index.stats().feedbackEvents };
}

async function clear() {
  index.clearFeedback();
  await journal.clear();
  await journal.append({ clear: true, at: Date.now() });
  return { feedbackEvents: 0 };
}

async function importIndex({ bytes }) {
  // Opened first: a file that is not a text index changes nothing.
  const incoming = await TextIndex.fromBytes(bytes);
  index.dispose(); // releases the stored file
  index = undefined;
  try {
    await store.write(indexName, bytes);
    await journal.clear(); // what it learned is in the imported file
  } finally {
    incoming.dispose();
    index = await load(store.kind === 'opfs' ? undefined : bytes);
  }
  const s = index.stats();
  return { documents: s.documents, feedbackEvents: s.feedbackEvents, ...(await where()) };
}

const ops = {
  init, search, feedback, clear, where,
  export: () => index.toBytes(),
  import: importIndex,
  stats: () => {
    const s = index.stats();
    return { documents: s.documents, feedbackEvents: s.feedbackEvents, terms: s.terms, dimensions: s.dimensions, encoderBytes: s.encoderBytes, keywordBytes: s.keywordBytes };
  },
};

let queue = Promise.resolve();

// A read-only open leaves the encoder's weights (8.5 MiB) in the file, so the
// page is told it can search by keywords first; they are read right after,
// behind any request already waiting, and the page hears { encoderReady }.
// A search by meaning that comes first reads them itself.
function loadEncoderNext() {
  queue = queue.then(() => {
    if (!index) return;
    const t = performance.now();
    let error;
    try {
      if (!index.stats().encoderLoaded) index.loadEncoder();
    } catch (e) {
      error = String(e?.message ?? e);
    }
    post({ encoderReady: !error, encoderMs: performance.now() - t, error });
  });
}

self.onmessage = (event) => {
  const { id, op, args } = event.data;
  queue = queue.then(async () => {
    try {
      if (!ops[op]) throw new Error(`unknown request ${op}`);
      if (op !== 'init' && !index) throw new Error('the index is not open');
      const value = await ops[op](args ?? {});
      post({ id, ok: true, value }, value instanceof Uint8Array ? [value.buffer] : []);
      if (op === 'init' || op === 'import') loadEncoderNext();
    } catch (error) {
      post({ id, ok: false, error: { code: error?.code, message: String(error?.message ?? error) } });
    }
  });
};
