// The pthreads build of the module (configureWasm({ threads })), in Node:
// addBatch links items on two threads of the pool, searchBatch answers on them, the graph it builds finds
// what brute force finds as well as a one-thread build of the same items does,
// every live item stays reachable, metadata and filters are unchanged, and a
// durable index built on threads reopens with the same results. The module is
// loaded once per process, so this file configures it before anything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { VectorIndex, configureWasm } from 'neurovec';
import { assertNeurovecError, bruteForce, clusteredData, gaussian, overlap, rng, row } from './helpers.mjs';

const D = 32;
const N = 3000;
const K = 10;

// The module is loaded once per process: each choice in a process of its own.
function buildIn(script) {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
    import { VectorIndex, configureWasm } from 'neurovec';
    ${script}
    const index = await VectorIndex.create({ dimensions: 4 });
    process.stdout.write(JSON.stringify(index.stats().threads));`], { encoding: 'utf8', cwd: fileURLToPath(new URL('.', import.meta.url)) });
  return JSON.parse(out);
}

test('Node loads the threaded build by default (one thread per core, at most 8); threads: 1 the single one', () => {
  const cores = Math.min(availableParallelism(), 8);
  assert.deepEqual(buildIn(''), cores > 1 ? { build: 'pthreads', pool: cores } : { build: 'single', pool: 1 });
  assert.deepEqual(buildIn('configureWasm({ threads: 1 });'), { build: 'single', pool: 1 });
  assert.deepEqual(buildIn("configureWasm({ threads: 'auto' });"), availableParallelism() > 1
    ? { build: 'pthreads', pool: Math.min(availableParallelism(), 64) } : { build: 'single', pool: 1 });
});

test('configureWasm validates its options', () => {
  assertNeurovecError(() => configureWasm({ threads: 0 }), 'INVALID_ARGUMENT', /threads must be an integer from 1 to 64/);
  assertNeurovecError(() => configureWasm({ threads: 2.5 }), 'INVALID_ARGUMENT', /threads/);
  assertNeurovecError(() => configureWasm(null), 'INVALID_ARGUMENT', /must be an object/);
});

test('the threaded build links a batch on two threads into a graph as good as one thread builds', async () => {
  configureWasm({ threads: 2 });
  const { data, queries } = clusteredData({ n: N, d: D, queries: 50, clusters: 20, seed: 5 });
  const ids = Array.from({ length: N }, (_, i) => i);
  const metadata = ids.map((i) => ({ group: i % 3 }));
  const two = await VectorIndex.create({ dimensions: D, metric: 'l2', m: 12, efConstruction: 100 });
  two.addBatch(ids, data, { metadata, chunkSize: 700 });
  const one = await VectorIndex.create({ dimensions: D, metric: 'l2', m: 12, efConstruction: 100 });
  one.addBatch(ids, data, { metadata, chunkSize: 700, threads: 1 });

  assert.deepEqual(two.stats().threads, { build: 'pthreads', pool: 2 });
  // Loaded once: asking again afterwards is refused, not silently ignored.
  assertNeurovecError(() => configureWasm({ threads: 1 }), 'FAILED_PRECONDITION', /before the first index/);
  // Values past the pool are refused by validation, not clamped silently.
  assertNeurovecError(() => two.addBatch(['x'], new Float32Array(D), { threads: 0 }), 'INVALID_ARGUMENT', /threads/);

  assert.equal(two.size, N);
  assert.equal(two.health().unreachable, 0, 'every item reachable after the threaded build');
  const items = ids.map((i) => ({ id: i, vector: row(data, i, D) }));
  let recallTwo = 0;
  let recallOne = 0;
  for (let qi = 0; qi < queries.length / D; qi++) {
    const q = row(queries, qi, D);
    const exact = bruteForce('l2', items, q, K);
    recallTwo += overlap(two.search(q, K, { ef: 64 }), exact);
    recallOne += overlap(one.search(q, K, { ef: 64 }), exact);
  }
  recallTwo /= queries.length / D;
  recallOne /= queries.length / D;
  assert.ok(recallTwo >= 0.95, `recall@10 with two threads ${recallTwo}`);
  assert.ok(recallTwo >= recallOne - 0.02, `two threads ${recallTwo} against one thread ${recallOne}`);
  // searchBatch on the pool: query by query what search() returns.
  const batch = two.searchBatch(queries, K, { ef: 64 });
  for (let qi = 0; qi < queries.length / D; qi++) assert.deepEqual(batch[qi], two.search(row(queries, qi, D), K, { ef: 64 }));
  const filtered = two.searchBatch(queries, K, { filter: { group: 2 }, threads: 2 });
  for (let qi = 0; qi < queries.length / D; qi++) assert.deepEqual(filtered[qi], two.search(row(queries, qi, D), K, { filter: { group: 2 } }));
  // Items keep their metadata, and filters still apply inside the walk.
  assert.deepEqual(two.get(1234).metadata, { group: 1234 % 3 });
  for (const hit of two.search(row(queries, 0, D), K, { filter: { group: 2 } })) assert.equal(hit.id % 3, 2);
  await one.close();
  await two.close();
});

test('searchBatch of an index paged from its file runs on the pool, this thread serving the file reads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurovec-threads-paged-'));
  try {
    const { data, queries } = clusteredData({ n: N, d: D, queries: 60, clusters: 20, seed: 9 });
    const built = await VectorIndex.create({ dimensions: D, metric: 'l2', m: 8, efConstruction: 64 });
    built.addBatch(Array.from({ length: N }, (_, i) => i), data);
    const path = join(dir, 'index.nvx');
    await built.save(path);
    built.dispose();
    const whole = await VectorIndex.open(path, { readOnly: true, pageCacheBytes: 0 });
    // A cache that holds every block (the pool searches, this thread reads
    // for it), and one of a few dozen blocks (reads across threads would cost
    // more than they save: the batch runs on this thread).
    for (const pageCacheBytes of [4 << 20, 96 * 1024]) {
      const paged = await VectorIndex.open(path, { readOnly: true, pageCacheBytes });
      try {
        assert.equal(paged.stats().threads.build, 'pthreads');
        assert.equal(paged.stats().paging.blockReads, 0);
        const batch = paged.searchBatch(queries, K, { ef: 48, threads: 2 });
        for (let qi = 0; qi < queries.length / D; qi++) {
          assert.deepEqual(batch[qi], whole.search(row(queries, qi, D), K, { ef: 48 }), `query ${qi}, cache ${pageCacheBytes}`);
        }
        const { paging } = paged.stats();
        assert.ok(paging.blockReads > 0 && paging.graph.blockReads > 0, 'rows and lists came from the file');
        // Searched again on one thread: the same answers.
        assert.deepEqual(paged.searchBatch(queries, K, { ef: 48, threads: 1 }), batch);
      } finally {
        paged.dispose();
      }
    }
    whole.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a durable index built on threads logs every item and reopens with the same results', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurovec-threads-'));
  try {
    const { data, queries } = clusteredData({ n: 1500, d: D, queries: 10, clusters: 10, seed: 9 });
    const path = join(dir, 'threads.nvx');
    const index = await VectorIndex.create({ dimensions: D, metric: 'l2', m: 12, efConstruction: 100, storage: path });
    index.addBatch(Array.from({ length: 1500 }, (_, i) => `item-${i}`), data, { chunkSize: 400 });
    await index.sync();
    const before = Array.from({ length: 10 }, (_, qi) => index.search(row(queries, qi, D), K).map((h) => h.id));
    await index.close();
    const reopened = await VectorIndex.open(path, { readOnly: true });
    assert.equal(reopened.size, 1500);
    const after = Array.from({ length: 10 }, (_, qi) => reopened.search(row(queries, qi, D), K).map((h) => h.id));
    assert.deepEqual(after, before);
    await reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train({ threads: 2 }) splits each batch over the pool and learns the same model', async () => {
  const random = rng(21);
  const centres = Array.from({ length: 8 }, () => Float32Array.from({ length: D }, () => 1.5 * gaussian(random)));
  const labelled = (count) => {
    const labels = Array.from({ length: count }, () => Math.floor(random() * 8));
    const vectors = new Float32Array(count * D);
    labels.forEach((l, j) => { for (let i = 0; i < D; i++) vectors[j * D + i] = centres[l][i] + 1.2 * gaussian(random); });
    return { labels, vectors };
  };
  const base = labelled(1500);
  const asked = labelled(260);
  const learning = { candidates: 30, hiddenDim: 32, heads: 4, batchSize: 16 };
  const index = await VectorIndex.create({ dimensions: D, metric: 'l2', learning });
  index.addBatch(Array.from({ length: 1500 }, (_, i) => i), base.vectors);
  // Two copies of one graph, given the same feedback.
  const bytes = await index.toBytes();
  const one = await VectorIndex.fromBytes(bytes);
  const two = await VectorIndex.fromBytes(bytes);
  for (const copy of [one, two]) {
    copy.configureLearning(learning);
    for (let i = 0; i < 200; i++) {
      const shown = copy.search(row(asked.vectors, i, D), 30);
      const positive = shown.filter((r) => base.labels[r.id] === asked.labels[i]).map((r) => r.id);
      const negative = shown.filter((r) => base.labels[r.id] !== asked.labels[i]).map((r) => r.id);
      if (positive.length) copy.feedback(row(asked.vectors, i, D), { positive, negative });
    }
  }
  await assert.rejects(one.train({ threads: 0 }), (e) => e.code === 'INVALID_ARGUMENT' && /threads/.test(e.message));
  const a = await one.train({ epochs: 3, threads: 1 });
  const b = await two.train({ epochs: 3, threads: 2 });
  assert.equal(a.threads, 1);
  assert.equal(b.threads, 2, 'the training ran on the pool');
  assert.ok(Number.isFinite(a.loss) && Number.isFinite(b.loss));
  // Each batch's gradients are summed over the threads' shares, so the
  // float sums may differ in their last bits; the model must not.
  let same = 0;
  let worst = 0;
  for (let i = 200; i < 260; i++) {
    const q = row(asked.vectors, i, D);
    const ra = one.search(q, K, { mode: 'neural' });
    const rb = two.search(q, K, { mode: 'neural' });
    same += overlap(ra, rb);
    ra.forEach((r, j) => { if (rb[j]?.id === r.id) worst = Math.max(worst, Math.abs(rb[j].score - r.score)); });
  }
  assert.ok(worst < 1e-3, `scores moved by ${worst}`);
  assert.ok(same / 60 >= 0.95, `neural top-${K} agreement ${same / 60}`);
  for (const x of [index, one, two]) x.dispose();
});

test('trainRouter walks on the pool (the default there) and trains the same router as one thread', async () => {
  const { data, queries } = clusteredData({ n: 2000, d: D, queries: 40, clusters: 20, seed: 9 });
  const index = await VectorIndex.create({ dimensions: D, metric: 'l2', m: 12, efConstruction: 80 });
  index.addBatch(Array.from({ length: 2000 }, (_, i) => i), data);
  const bytes = await index.toBytes();
  const one = await VectorIndex.fromBytes(bytes);
  const pool = await VectorIndex.fromBytes(bytes);
  const options = { ef: 32, items: 300, seed: 3, skipRank: 16, plainWhenFaster: false };  // timing would differ
  const a = await one.trainRouter({ ...options, threads: 1 });
  const b = await pool.trainRouter(options);
  assert.equal(a.threads, 1);
  assert.equal(b.threads, 2, 'the default is the whole pool');
  const { seconds: _sa, threads: _ta, ...reportA } = a;
  const { seconds: _sb, threads: _tb, ...reportB } = b;
  assert.deepEqual(reportB, reportA, 'every walk is recorded on its own: the same router');
  for (let qi = 0; qi < 40; qi++) {
    const q = row(queries, qi, D);
    assert.deepEqual(pool.search(q, K, { routing: 'learned' }), one.search(q, K, { routing: 'learned' }), `query ${qi}`);
  }
  for (const x of [index, one, pool]) x.dispose();
});
