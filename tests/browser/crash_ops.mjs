// The crash tests' writer, shared by pages and crash_worker.mjs. The DRIVER
// (the page, or Node through an exposed function) chooses every operation and
// records a delete's intent before the operation starts, because a killed
// writer's last messages may never arrive while its applied delete may
// already be on disk. Ids only grow, so an unacknowledged id is never reused.
// A write is acknowledged only after sync() resolved.
import { VectorIndex } from '/js/dist/index.browser.js';
import { D, vectorOf } from '/tests/js/fixtures/durable_vectors.mjs';

export const WORKER_URL = '/tests/browser/crash_worker.mjs';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Driver state: { next, live: Set, deleted: Set, acknowledged }. */
export function newState() {
  return { next: 0, live: new Set(), deleted: new Set(), acknowledged: 0 };
}

/** The next operation; a delete leaves `live` at once (its intent). */
export function nextOp(state, random) {
  const r = random();
  // Now and then a checkpoint: the image is rewritten and the log emptied
  // (file truncation included), so kills also land in the middle of one.
  if (r > 0.96) return { type: 'checkpoint', ids: [] };
  if (r < 0.15 && state.live.size > 0) {
    const ids = [...state.live];
    const id = ids[Math.floor(random() * ids.length)];
    state.live.delete(id);
    return { type: 'delete', id };
  }
  const count = r < 0.3 ? 8 : 1;
  const ids = Array.from({ length: count }, () => state.next++);
  return { type: 'add', ids };
}

export function record(state, ack) {
  if (ack.op === 'checkpoint') state.checkpoints = (state.checkpoints ?? 0) + 1;
  else if (ack.op === 'add') for (const id of ack.ids) state.live.add(id);
  else state.deleted.add(ack.ids[0]);
  state.acknowledged += ack.ids.length;
}

/** Opens the file for writing; a writer that was just killed may still hold
 * the OPFS handle or the Web Lock for a moment, so LOCKED is retried briefly. */
export async function openWriter(target, readOnly = false) {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      return await VectorIndex.open(target, { readOnly });
    } catch (error) {
      if (error.code !== 'LOCKED' || Date.now() > deadline) throw error;
      await sleep(20);
    }
  }
}

export function createIndex(target) {
  return VectorIndex.create({ dimensions: D, metric: 'l2', m: 8, efConstruction: 32, storage: target });
}

/** Applies one operation durably; returns its acknowledgement. */
export async function apply(index, op) {
  if (op.type === 'checkpoint') {
    await index.checkpoint();
    return { type: 'ack', op: 'checkpoint', ids: [] };
  }
  if (op.type === 'delete') {
    index.delete(op.id);
    await index.sync();
    return { type: 'ack', op: 'delete', ids: [op.id] };
  }
  if (op.ids.length === 1) {
    index.add(op.ids[0], vectorOf(op.ids[0]));
  } else {
    const flat = new Float32Array(op.ids.length * D);
    op.ids.forEach((id, i) => flat.set(vectorOf(id), i * D));
    index.addBatch(op.ids, flat);
  }
  await index.sync();
  return { type: 'ack', op: 'add', ids: op.ids };
}

/** The origin's IndexedDB database names. Right after a SIGKILLed browser
 * restarts, Chromium may fail this call with UnknownError ("Internal error
 * opening backing store") for a moment, as it may fail indexedDB.open (which
 * the library tries again: js/src/storage/indexeddb_storage.ts); CI saw this
 * call fail so once. It is tried again the same way, for longer. */
async function databaseNames() {
  const delays = [50, 200, 800, 2000];
  for (let attempt = 0; ; attempt++) {
    try {
      return (await indexedDB.databases()).map((d) => d.name);
    } catch (e) {
      if (e?.name !== 'UnknownError' || attempt >= delays.length) throw e;
      await new Promise((r) => setTimeout(r, delays[attempt]));
    }
  }
}

/** Checks a file against the driver's state: every acknowledged live id with its vector, no acknowledged delete. */
export async function verify(target, live, deleted) {
  // Chromium deletes an origin's whole IndexedDB when, restarting after a
  // SIGKILL, it finds the LevelDB behind it damaged (seen about once in 30
  // kills on a loaded 2-core VM; the database then reappears empty). That is
  // the browser discarding storage, not a lost commit: it is reported apart.
  // Our code never deletes the database, so its absence is the evidence.
  if (target.indexedDB && !(await databaseNames()).includes('neurovec')) return { discarded: true };
  const index = await openWriter(target, true);
  try {
    const missing = [];
    const wrong = [];
    for (const id of live) {
      const got = index.get(id);
      if (!got) missing.push(id);
      else if (got.vector.some((x, i) => x !== vectorOf(id)[i])) wrong.push(id);
    }
    const resurrected = deleted.filter((id) => index.has(id));
    return { missing, wrong, resurrected, size: index.size, file: index.stats().file };
  } finally {
    await index.close();
  }
}

/** Runs a crash worker on `target` until it is terminated (or killed with its
 * browser): each operation is reported (awaited) before it is sent, each ack
 * after it arrives. `onReady` is called once the worker has the file open. */
export function driveWorker(target, state, random, report, onReady) {
  const worker = new Worker(WORKER_URL, { type: 'module' });
  let stopped = false;
  const failed = new Promise((_, reject) => {
    const send = async () => {
      const op = nextOp(state, random);
      await report({ type: 'intent', op });
      if (!stopped) worker.postMessage(op);
    };
    worker.onmessage = async (event) => {
      const m = event.data;
      if (stopped) return;
      if (m.type === 'ready') {
        onReady?.();
        await send();
      } else if (m.type === 'ack') {
        record(state, m);
        await report(m);
        await send();
      } else if (m.type === 'error') {
        reject(new Error(`crash worker: ${m.message}`));
      }
    };
    worker.onerror = (e) => reject(new Error(`crash worker: ${e.message}`));
    worker.postMessage({ type: 'open', target });
  });
  return {
    failed,
    terminate() {
      stopped = true;
      worker.terminate();
    },
  };
}

/** The same writer running in the page itself (IndexedDB works in pages). */
export async function drivePage(target, state, random, report, onReady) {
  const index = await openWriter(target);
  onReady?.();
  for (;;) {
    const op = nextOp(state, random);
    await report({ type: 'intent', op });
    const ack = await apply(index, op);
    record(state, ack);
    await report(ack);
  }
}

/** Verification in a fresh worker (OPFS files can only be read there). */
export function verifyInWorker(target, state) {
  const worker = new Worker(WORKER_URL, { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (event) => {
      worker.terminate();
      if (event.data.type === 'error') reject(new Error(`verify: ${event.data.message}`));
      else resolve(event.data);
    };
    worker.onerror = (e) => reject(new Error(`verify worker: ${e.message}`));
    worker.postMessage({ type: 'verify', target, live: [...state.live], deleted: [...state.deleted] });
  });
}

/** Creates the file (and closes it) in a worker, before any crash. */
export function createInWorker(target) {
  const worker = new Worker(WORKER_URL, { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (event) => {
      worker.terminate();
      if (event.data.type === 'error') reject(new Error(`create: ${event.data.message}`));
      else resolve();
    };
    worker.postMessage({ type: 'create', target });
  });
}
