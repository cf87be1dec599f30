// Durable indexes in real Chromium: OPFS through neurovec/worker (the index
// runs in a dedicated Worker), IndexedDB in a page and in a worker. Each file
// is written in one page and reopened in a NEW page, which must give the same
// answers; read-only opens refuse writes; a second writer gets LOCKED.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blankPage, launch, serve } from './harness.mjs';

let server;
// The same files served with COOP/COEP: the page and its Workers are
// cross-origin isolated and run the pthreads build (issue 17).
let isolatedServer;
let browser;
test.before(async () => {
  server = await serve();
  isolatedServer = await serve({ isolated: true });
  browser = await launch();
});
test.after(async () => {
  await browser?.close();
  server?.close();
  isolatedServer?.close();
});

// Each test gets its own browser context (its own OPFS and IndexedDB origin data), closed after.
async function inFreshContext(fn) {
  const context = await browser.newContext();
  try {
    return await fn(context);
  } finally {
    await context.close();
  }
}

function newPage(context, from = server) {
  return blankPage(context, from);
}

// Runs in the page: a fixed workload on any index-like object (VectorIndex or
// WorkerVectorIndex: every call is awaited, which is harmless for sync calls).
const WRITE = async ([kind, target]) => {
  const { vectorOf, D } = await import('/tests/js/fixtures/durable_vectors.mjs');
  const { VectorIndex } = await import('/js/dist/index.browser.js');
  const { WorkerVectorIndex } = await import('/js/dist/worker/client.js');
  const Index = kind === 'worker' ? WorkerVectorIndex : VectorIndex;
  const code = async (promise) => {
    try {
      await promise;
      return 'ok';
    } catch (e) {
      return `${e.name}:${e.code}: ${e.message}`;
    }
  };
  const index = await Index.create({ dimensions: D, metric: 'l2', m: 8, efConstruction: 64, storage: target });
  const n = 300;
  const flat = new Float32Array(n * D);
  for (let i = 0; i < n; i++) flat.set(vectorOf(i), i * D);
  await index.addBatch(Array.from({ length: n }, (_, i) => i), flat, { metadata: Array.from({ length: n }, (_, i) => ({ g: i % 3 })) });
  for (let i = n; i < n + 50; i++) await index.add(`s${i}`, vectorOf(i), { single: true });
  for (let i = 0; i < n; i += 7) await index.delete(i);
  await index.setMetadata(1, { g: 9, note: 'updated' });
  await index.setMetadata(2, undefined);
  await index.sync();
  const queries = Array.from({ length: 10 }, (_, q) => vectorOf(1000 + q));
  const expected = [];
  for (const q of queries) expected.push(await index.search(q, 10, { ef: 200 }));
  // One message for all queries (worker) or one call (page): the same answers.
  const batch = await index.searchBatch(queries, 10, { ef: 200 });
  const secondWriter = await code(Index.open(target));
  const readerWhileWriting = await code(Index.open(target, { readOnly: true }).then((r) => r.close()));
  const copy = { [Object.keys(target)[0]]: `${Object.values(target)[0]}.copy` };
  await index.save(copy);
  // A router trained in the worker or page goes into the file (a checkpoint).
  const routerProgress = [];
  const router = await index.trainRouter({ ef: 32, items: 150, walksPerStep: 25, onProgress: (p) => routerProgress.push([p.walksDone, p.walksTotal]) });
  // Workload settings and entry hints reach the file at the checkpoint.
  await index.setWorkloadSampling(64, { adaptEvery: 1000, hints: 3 });
  const adapted = await index.adaptToWorkload({ queries, minQueries: 5, hints: 3 });
  // More writes after a checkpoint, so the reopened file has an image and a log.
  await index.checkpoint();
  await index.add('late', vectorOf(5000));
  const size = await (kind === 'worker' ? index.size() : index.size);
  const build = (await index.stats()).threads.build;
  await index.close();
  return { expected, batch, secondWriter, readerWhileWriting, size, copy, routerWalks: router.trainingWalks + router.calibrationWalks, routerProgress, build, hints: adapted.hints };
};

const CHECK = async ([kind, target, copy]) => {
  const { vectorOf, D } = await import('/tests/js/fixtures/durable_vectors.mjs');
  const { VectorIndex } = await import('/js/dist/index.browser.js');
  const { WorkerVectorIndex } = await import('/js/dist/worker/client.js');
  const Index = kind === 'worker' ? WorkerVectorIndex : VectorIndex;
  const code = async (promise) => {
    try {
      await promise;
      return 'ok';
    } catch (e) {
      return `${e.name}:${e.code}: ${e.message}`;
    }
  };
  const size = (index) => (kind === 'worker' ? index.size() : index.size);
  const queries = Array.from({ length: 10 }, (_, q) => vectorOf(1000 + q));
  const reader = await Index.open(target, { readOnly: true });
  const results = [];
  // Plain walks compare with what the writer found before it trained its router.
  for (const q of queries) results.push(await reader.search(q, 10, { ef: 200, routing: 'plain' }));
  const { routing, workload } = await reader.stats();
  const learned = await reader.search(queries[0], 10, { routing: 'learned' });
  const got1 = await reader.get(1);
  const out = {
    results,
    routerTrained: routing.trained && routing.k === 10 && routing.ef === 32,
    workload: [workload.sampleCapacity, workload.adaptEvery, workload.hints],
    learnedHits: learned.length,
    size: await size(reader),
    meta1: got1.metadata,
    vector1Equal: Array.from(got1.vector).every((x, i) => x === vectorOf(1)[i]),
    meta2: (await reader.get(2)).metadata ?? null,
    has7: await reader.has(7),
    late: await reader.has('late'),
    replayed: (await reader.stats()).file.replayedRecords,
    readOnlyAdd: await code(Promise.resolve().then(() => reader.add('x', vectorOf(1)))),
  };
  // A second reader alongside the first.
  out.secondReader = await code(Index.open(target, { readOnly: true }).then((r) => r.close()));
  await reader.close();
  const copyIndex = await Index.open(copy, { readOnly: true });
  out.copyResults = [];
  for (const q of queries) out.copyResults.push(await copyIndex.search(q, 10, { ef: 200 }));
  await copyIndex.close();
  out.createExisting = await code(Index.create({ dimensions: D, storage: target }));
  out.openMissing = await code(Index.open({ [Object.keys(target)[0]]: 'missing' }));
  // Writable again after the writer closed.
  const writer = await Index.open(target);
  await writer.add('again', vectorOf(6000));
  await writer.close();
  out.afterReopen = await size(await Index.open(target, { readOnly: true }));
  return out;
};

async function roundTrip(kind, target, { isolated = false } = {}) {
  const from = isolated ? isolatedServer : server;
  return inFreshContext(async (context) => {
    const first = await newPage(context, from);
    const written = await first.page.evaluate(WRITE, [kind, target]);
    await first.page.close();
    assert.match(written.secondWriter, /^NeurovecError:LOCKED: /, 'a second writer is refused');
    const second = await newPage(context, from);
    // Reading needs no Worker: in the page itself (OPFS: a read-only copy of the file).
    const inPage = await second.page.evaluate(async ([target]) => {
      const { VectorIndex } = await import('/js/dist/index.browser.js');
      const { vectorOf } = await import('/tests/js/fixtures/durable_vectors.mjs');
      const reader = await VectorIndex.open(target, { readOnly: true });
      const results = Array.from({ length: 10 }, (_, q) => reader.search(vectorOf(1000 + q), 10, { ef: 200, routing: 'plain' }));
      await reader.close();
      return results;
    }, [target]);
    const read = await second.page.evaluate(CHECK, [kind, target, written.copy]);
    assert.deepEqual(written.batch, written.expected, 'searchBatch answers like search, query by query');
    assert.deepEqual(read.results, written.expected, 'the reopened file answers like the index that wrote it');
    assert.deepEqual(read.copyResults, written.expected, 'save() wrote a complete copy');
    assert.deepEqual(inPage, written.expected, 'a page reads the file without a Worker');
    assert.equal(read.size, written.size);
    assert.equal(written.routerWalks, 150);
    // 150 walks, then the 105 held out (the default calibration share, 0.7) again per
    // neighbour-skipping margin: the last report is the total.
    const [done, total] = written.routerProgress.at(-1);
    assert.ok(written.routerProgress.length >= 2 && done === total && total === 150 + 5 * 105, `${written.routerProgress}`);
    assert.equal(read.routerTrained, true, 'the router trained before the checkpoint is in the file');
    assert.ok(written.hints >= 1 && written.hints <= 3, `hints ${written.hints}`);
    assert.deepEqual(read.workload, [64, 1000, written.hints], 'workload settings and hints are in the file');
    assert.equal(read.learnedHits, 10);
    assert.deepEqual(read.meta1, { g: 9, note: 'updated' });
    assert.equal(read.vector1Equal, true);
    assert.equal(read.meta2, null);
    assert.equal(read.has7, false, 'a deleted id stays deleted');
    assert.equal(read.late, true, 'writes after the checkpoint are in the log');
    assert.ok(read.replayed > 0, 'the log was replayed');
    assert.match(read.readOnlyAdd, /^NeurovecError:FAILED_PRECONDITION: .*read-only/);
    assert.match(read.createExisting, /^NeurovecError:ALREADY_EXISTS: /);
    assert.match(read.openMissing, /^NeurovecError:NOT_FOUND: /);
    assert.equal(read.afterReopen, written.size + 1);
    assert.deepEqual([...first.errors, ...second.errors], []);
    assert.equal(written.build, isolated ? 'pthreads' : 'single', 'the build the writer ran');
    return { ...read, readerWhileWriting: written.readerWhileWriting };
  });
}

test('OPFS: neurovec/worker round trip into a new page, read-only, LOCKED', { timeout: 60_000 }, async () => {
  const read = await roundTrip('worker', { opfs: 'dir/sub/index.nvx' });
  console.log(`OPFS worker round trip: ${read.size} items, ${read.replayed} log records replayed, second reader: ${read.secondReader}; ` +
    `reader while a writer is open: ${read.readerWhileWriting}`);
  // OPFS read-only handles cannot coexist with the writer's handle: the reader gets a copy.
  assert.equal(read.readerWhileWriting, 'ok');
});

test('IndexedDB: round trip in a page', { timeout: 60_000 }, async () => {
  const read = await roundTrip('page', { indexedDB: 'page-index' });
  assert.equal(read.secondReader, 'ok', 'readers need no lock');
  assert.equal(read.readerWhileWriting, 'ok', 'a reader sees the last commit while a writer works');
});

test('IndexedDB: round trip through neurovec/worker', { timeout: 60_000 }, async () => {
  const read = await roundTrip('worker', { indexedDB: 'worker-index' });
  assert.equal(read.secondReader, 'ok');
});

// The pthreads build's heap is shared memory: OPFS reads and writes go
// through views of it, IndexedDB copies pages out of it.
test('OPFS and IndexedDB through neurovec/worker in a cross-origin-isolated page (pthreads build)', { timeout: 90_000 }, async () => {
  const opfs = await roundTrip('worker', { opfs: 'threads/index.nvx' }, { isolated: true });
  assert.equal(opfs.readerWhileWriting, 'ok');
  const idb = await roundTrip('page', { indexedDB: 'threads-index' }, { isolated: true });
  assert.equal(idb.secondReader, 'ok');
});

test('OPFS in a page is refused with a message that names the way out; bad targets too', { timeout: 30_000 }, async () => {
  await inFreshContext(async (context) => {
    const { page } = await newPage(context);
    const out = await page.evaluate(async () => {
      const { VectorIndex } = await import('/js/dist/index.browser.js');
      const { WorkerVectorIndex } = await import('/js/dist/worker/client.js');
      const code = async (promise) => {
        try {
          await promise;
          return 'ok';
        } catch (e) {
          return `${e.name}:${e.code}: ${e.message}`;
        }
      };
      return {
        page: await code(VectorIndex.create({ dimensions: 4, storage: { opfs: 'x' } })),
        badPath: await code(WorkerVectorIndex.create({ dimensions: 4, storage: { opfs: 'a//b' } })),
        emptyIdb: await code(VectorIndex.open({ indexedDB: '' })),
        badDims: await code(WorkerVectorIndex.create({ dimensions: 0 })),
        path: await code(VectorIndex.open('/tmp/x.nvx')),
      };
    });
    assert.match(out.page, /^NeurovecError:FAILED_PRECONDITION: .*dedicated Worker.*neurovec\/worker/);
    assert.match(out.badPath, /^NeurovecError:INVALID_ARGUMENT: invalid OPFS path "a\/\/b"/);
    assert.match(out.emptyIdb, /^NeurovecError:INVALID_ARGUMENT: /);
    assert.match(out.badDims, /^NeurovecError:INVALID_ARGUMENT: /);
    assert.match(out.path, /^NeurovecError:INVALID_ARGUMENT: /);
  });
});

test('IndexedDB storage: bytes across pages, truncate then grow reads zeros, one commit per persist, reload', { timeout: 30_000 }, async () => {
  await inFreshContext(async (context) => {
    const { page } = await newPage(context);
    const out = await page.evaluate(async () => {
      const { IndexedDbStorage } = await import('/js/dist/storage/indexeddb_storage.js');
      const PAGE = 64 * 1024;
      const pattern = (n, seed) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);
      const s = await IndexedDbStorage.open('unit', 'create');
      s.write(PAGE - 10, pattern(3 * PAGE, 1)); // spans four pages
      s.flush();
      await s.persist();
      const sizeAfterWrite = s.size();
      // Shrink into page 1, then grow past the old end before the next flush:
      // pages 2..3 must read as zeros, in memory and after a reload.
      s.truncate(PAGE + 100);
      s.write(5 * PAGE, pattern(10, 2));
      s.flush();
      await s.persist();
      const memZeros = new Uint8Array(4 * PAGE - 100);
      s.read(PAGE + 100, memZeros);
      s.close();
      await s.persist();
      const r = await IndexedDbStorage.open('unit', 'readonly');
      const head = new Uint8Array(PAGE + 110);
      r.read(PAGE - 10, head.subarray(0, 110));
      const zeros = new Uint8Array(4 * PAGE - 100);
      r.read(PAGE + 100, zeros);
      const tail = new Uint8Array(10);
      r.read(5 * PAGE, tail);
      let pastEnd = '';
      try {
        r.read(5 * PAGE + 5, new Uint8Array(10));
      } catch (e) {
        pastEnd = `${e.code}`;
      }
      let readOnlyWrite = '';
      try {
        r.write(0, new Uint8Array(1));
      } catch (e) {
        readOnlyWrite = `${e.code}`;
      }
      return {
        sizeAfterWrite,
        size: r.size(),
        headOk: head.subarray(0, 110).every((x, i) => x === pattern(110, 1)[i]),
        memZeros: memZeros.every((x) => x === 0),
        zeros: zeros.every((x) => x === 0),
        tailOk: tail.every((x, i) => x === pattern(10, 2)[i]),
        pastEnd,
        readOnlyWrite,
      };
    });
    assert.deepEqual(out, {
      sizeAfterWrite: 4 * 65536 - 10, size: 5 * 65536 + 10, headOk: true, memZeros: true, zeros: true, tailOk: true,
      pastEnd: 'CORRUPT', readOnlyWrite: 'FAILED_PRECONDITION',
    });
  });
});

test('neurovec/worker: progress, transfer, typed results, bytes both ways, errors with codes, closed = DISPOSED', { timeout: 30_000 }, async () => {
  await inFreshContext(async (context) => {
    const { page, errors } = await newPage(context);
    const out = await page.evaluate(async () => {
      const { WorkerVectorIndex, NeurovecError } = await import('/js/dist/worker/client.js');
      const code = async (promise) => {
        try {
          await promise;
          return 'ok';
        } catch (e) {
          return e instanceof NeurovecError ? `${e.code}: ${e.message}` : `not a NeurovecError: ${e}`;
        }
      };
      const d = 8;
      const index = await WorkerVectorIndex.create({ dimensions: d, metric: 'cosine', seed: 3 });
      const n = 250;
      const flat = Float32Array.from({ length: n * d }, (_, i) => Math.sin(i * 0.37) + 0.1);
      const progress = [];
      await index.addBatch(Array.from({ length: n }, (_, i) => `v${i}`), flat,
        { chunkSize: 100, onProgress: (p) => progress.push(p.done), transfer: true });
      const query = Float32Array.from({ length: d }, (_, i) => Math.cos(i));
      const results = await index.search(query, 5);
      const got = await index.get('v3');
      const bytes = await index.toBytes();
      const copy = await WorkerVectorIndex.fromBytes(bytes);
      const copyResults = await copy.search(query, 5);
      await copy.close();
      const out = {
        progress,
        detached: flat.length,
        dims: [index.dimensions, index.metric],
        results: results.length,
        sameAfterBytes: JSON.stringify(copyResults) === JSON.stringify(results),
        vectorIsTyped: got.vector instanceof Float32Array && got.vector.length === d,
        bytesIsTyped: bytes instanceof Uint8Array && bytes.length > 0,
        size: await index.size(),
        nan: await code(index.add('bad', new Float32Array(d).fill(NaN))),
        duplicate: await code(index.add('v1', query)),
        uncloneable: await code(index.add('f', query, { f: () => 1 })),
        kind: (await index.stats()).kernel,
      };
      await index.close();
      out.afterClose = await code(index.search(query, 1));
      return out;
    });
    assert.deepEqual(out.progress, [100, 200, 250]);
    assert.equal(out.detached, 0, 'transfer: true hands the buffer over');
    assert.deepEqual(out.dims, [8, 'cosine']);
    assert.equal(out.results, 5);
    assert.equal(out.sameAfterBytes, true);
    assert.equal(out.vectorIsTyped, true);
    assert.equal(out.bytesIsTyped, true);
    assert.equal(out.size, 250);
    assert.match(out.nan, /^INVALID_ARGUMENT: vector\[0\] is NaN/);
    assert.match(out.duplicate, /^ALREADY_EXISTS: /);
    assert.match(out.uncloneable, /^INVALID_ARGUMENT: add: the arguments cannot be sent to the worker/);
    assert.equal(out.kind, 'wasm_simd128');
    assert.match(out.afterClose, /^DISPOSED: /);
    assert.deepEqual(errors, []);
  });
});

test('IndexedDB: a failed commit (quota) rejects sync with QUOTA_EXCEEDED, is sticky, and leaves the last commit whole', { timeout: 30_000 }, async () => {
  await inFreshContext(async (context) => {
    const { page } = await newPage(context);
    const out = await page.evaluate(async () => {
      const { VectorIndex } = await import('/js/dist/index.browser.js');
      const { vectorOf, D } = await import('/tests/js/fixtures/durable_vectors.mjs');
      const code = async (fn) => {
        try {
          await fn();
          return 'ok';
        } catch (e) {
          return `${e.code}: ${e.message}`;
        }
      };
      const target = { indexedDB: 'quota' };
      const index = await VectorIndex.create({ dimensions: D, metric: 'l2', storage: target });
      for (let i = 0; i < 10; i++) index.add(i, vectorOf(i));
      await index.sync();
      // The next commit fails on its second request, after a page was put:
      // the way a full origin fails, mid-transaction.
      const put = IDBObjectStore.prototype.put;
      let calls = 0;
      IDBObjectStore.prototype.put = function (...args) {
        if (++calls === 2) throw new DOMException('the origin is out of quota (injected)', 'QuotaExceededError');
        return put.apply(this, args);
      };
      for (let i = 10; i < 20; i++) index.add(i, vectorOf(i));
      const failedSync = await code(() => index.sync());
      IDBObjectStore.prototype.put = put;
      const laterAdd = await code(async () => {
        index.add(100, vectorOf(100));
        await index.sync();
      });
      const close = await code(() => index.close());
      const reader = await VectorIndex.open(target, { readOnly: true });
      const result = {
        failedSync, laterAdd, close, size: reader.size, has9: reader.has(9), has10: reader.has(10), has100: reader.has(100),
      };
      await reader.close();
      return result;
    });
    console.log(`IndexedDB injected quota failure: sync -> ${out.failedSync.slice(0, 120)}; later write -> ${out.laterAdd.slice(0, 120)}`);
    assert.match(out.failedSync, /^QUOTA_EXCEEDED: /);
    assert.notEqual(out.laterAdd, 'ok', 'after a failed commit the index refuses writes until reopened');
    assert.deepEqual({ size: out.size, has9: out.has9, has10: out.has10, has100: out.has100 },
      { size: 10, has9: true, has10: false, has100: false }, 'the file holds the last whole commit');
  });
});

// optimize({ budgetMs }) in the worker runs beside its request queue: a search
// sent after it is answered between its slices, before the repair ends.
test('WorkerVectorIndex.optimize({ budgetMs }) lets later searches through, then repairs everything', async () => {
  await inFreshContext(async (context) => {
    const { page, errors } = await newPage(context);
    const out = await page.evaluate(async () => {
      const { WorkerVectorIndex } = await import('/js/dist/worker/client.js');
      const index = await WorkerVectorIndex.create({ dimensions: 16, metric: 'l2', m: 6, efConstruction: 40 });
      const n = 4000;
      let seed = 7;
      const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
      const vectors = Float32Array.from({ length: n * 16 }, random);
      await index.addBatch(Array.from({ length: n }, (_, i) => i), vectors);
      for (let i = 0; i < n; i += 3) await index.delete(i);
      const order = [];
      const progress = [];
      const repair = index.optimize({ budgetMs: 0.2, onProgress: (p) => progress.push(p) }).then((r) => { order.push('optimize'); return r; });
      const search = index.search(vectors.subarray(16, 32), 1).then((r) => { order.push('search'); return r; });
      const [report, hits] = await Promise.all([repair, search]);
      const health = await index.health();
      await index.dispose();
      return { order, report, first: hits[0].id, health, progress };
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(out.order, ['search', 'optimize'], 'the search was answered before the repair ended');
    assert.equal(out.first, 1);
    assert.ok(out.report.slices > 1, `${out.report.slices} slices`);
    assert.equal(out.report.unreachableAfter, 0);
    assert.equal(out.health.linksToTombstones, 0);
    assert.equal(out.progress.at(-1), 1);
  });
});
