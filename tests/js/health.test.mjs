// VectorIndex.health(): the graph's soundness, in wasm as natively
// (`neurovec health` on the same file gives the same figures).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VectorIndex, NeurovecError } from 'neurovec';
import { gaussian, rng } from './helpers.mjs';

const CLI = fileURLToPath(new URL('../../build/native/neurovec', import.meta.url));

// A random index of n Gaussian vectors (ids 0..n-1), and the vectors.
async function randomIndex(d, n, seed, options = {}) {
  const random = rng(seed);
  const vectors = Float32Array.from({ length: n * d }, () => gaussian(random));
  const index = await VectorIndex.create({ dimensions: d, metric: 'l2', m: 6, efConstruction: 40, ...options });
  index.addBatch(Array.from({ length: n }, (_, i) => i), vectors);
  return { index, vectors };
}

test('health(): counts, reachability witnessed by an exhaustive search, tombstones after deletes', async () => {
  const d = 12, n = 1500;
  const { index, vectors } = await randomIndex(d, n, 5);
  const fresh = index.health();
  assert.equal(fresh.live, n);
  assert.equal(fresh.tombstones, 0);
  assert.equal(fresh.linksToTombstones, 0);
  assert.equal(fresh.degreeHistogram.length, 2 * 6 + 1);
  assert.equal(fresh.degreeHistogram.reduce((a, b) => a + b, 0), n);
  const links = fresh.degreeHistogram.reduce((a, c, deg) => a + c * deg, 0);
  assert.ok(Math.abs(fresh.meanOutDegree - links / n) < 1e-9);
  // A search with ef = k = n walks all it can reach; it scans exactly when that was not everything.
  index.search(vectors.subarray(0, d), n, { ef: n });
  assert.equal(index.stats().lastSearch.exactScan, fresh.unreachableThroughTombstones > 0);

  for (let i = 0; i < n; i += 2) index.delete(i);
  const after = index.health();
  assert.equal(after.live, index.size);
  assert.equal(after.tombstones, index.stats().deleted);
  assert.ok(after.unreachableThroughTombstones <= after.unreachable);
  index.search(vectors.subarray(d, 2 * d), n, { ef: n });
  assert.equal(index.stats().lastSearch.exactScan, after.unreachableThroughTombstones > 0);

  if (existsSync(CLI)) {
    const dir = mkdtempSync(join(tmpdir(), 'neurovec-health-'));
    try {
      const path = join(dir, 'index.nvx');
      await index.save(path);
      const native = JSON.parse(execFileSync(CLI, ['health', '--index', path, '--json'], { encoding: 'utf8' }));
      const opened = await VectorIndex.open(path, { readOnly: true }); // paged: lists read from the file
      for (const h of [native, opened.health()]) {
        assert.deepEqual({ ...h, meanOutDegree: h.meanOutDegree.toFixed(6) }, { ...after, meanOutDegree: after.meanOutDegree.toFixed(6) });
      }
      await opened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  index.dispose();
  assert.throws(() => index.health(), (e) => e instanceof NeurovecError);
});

test('optimize(): a durable index repaired, checkpointed, and reopened repaired (natively too)', async () => {
  const d = 10, n = 1200;
  const random = rng(8);
  const vectors = Float32Array.from({ length: n * d }, () => gaussian(random));
  const dir = mkdtempSync(join(tmpdir(), 'neurovec-optimize-'));
  try {
    const path = join(dir, 'index.nvx');
    const index = await VectorIndex.create({ dimensions: d, metric: 'cosine', m: 5, efConstruction: 30, storage: path });
    index.addBatch(Array.from({ length: n }, (_, i) => `v${i}`), vectors, { metadata: Array.from({ length: n }, (_, i) => ({ i })) });
    for (let i = 0; i < n; i += 3) index.delete(`v${i}`);
    await index.sync();
    const before = index.health();
    assert.ok(before.linksToTombstones > 0);
    const q = vectors.subarray(7 * d, 8 * d);
    const report = await index.optimize();
    assert.equal(report.unreachableBefore, before.unreachable);
    assert.equal(report.unreachableAfter, 0);
    assert.ok(report.listsRelinked > 0);
    const after = index.health();
    assert.equal(after.unreachable, 0);
    assert.equal(after.linksToTombstones, 0);
    assert.equal(after.live, before.live);
    assert.deepEqual(index.get('v7')?.metadata, { i: 7 });
    const hits = index.search(q, 5);
    assert.equal(hits[0].id, 'v7');
    await index.close();
    const reopened = await VectorIndex.open(path, { readOnly: true });
    assert.deepEqual(reopened.health(), after);
    assert.deepEqual(reopened.search(q, 5), hits);
    await reopened.close();
    if (existsSync(CLI)) {
      const native = JSON.parse(execFileSync(CLI, ['health', '--index', path, '--json'], { encoding: 'utf8' }));
      assert.equal(native.unreachable, 0);
      assert.equal(native.linksToTombstones, 0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('optimize({ budgetMs }): the same repair in slices, with searches running between them; bad options and abort', async () => {
  const d = 16, n = 3000;
  const { index: base, vectors } = await randomIndex(d, n, 12);
  for (let i = 0; i < n; i += 3) base.delete(i);
  const bytes = await base.toBytes();
  const whole = await VectorIndex.fromBytes(bytes);
  const sliced = await VectorIndex.fromBytes(bytes);

  const one = await whole.optimize();
  assert.equal(one.slices, 1);
  const progress = [];
  let searchesBetween = 0;
  let done = false;
  const running = sliced.optimize({ budgetMs: 0.05, onProgress: (p) => progress.push(p) }).finally(() => { done = true; });
  // A search loop beside it: each turn waits for the event loop, as a page's handlers would.
  while (!done) {
    await new Promise((resolve) => setImmediate(resolve));
    if (done) break;
    assert.equal(sliced.search(vectors.subarray(d, 2 * d), 1)[0].id, 1);
    searchesBetween++;
  }
  const report = await running;
  assert.ok(report.slices > 5, `${report.slices} slices`);
  assert.ok(searchesBetween > 0, 'searches ran between the slices');
  assert.ok(report.longestSliceMs >= 0);
  assert.deepEqual({ ...report, slices: 0, longestSliceMs: 0 }, { ...one, slices: 0, longestSliceMs: 0 });
  assert.deepEqual(Buffer.from(await sliced.toBytes()), Buffer.from(await whole.toBytes()));
  assert.deepEqual(progress, [...progress].sort((a, b) => a - b));
  assert.equal(progress.at(-1), 1);

  for (const budgetMs of [-1, Number.NaN, '5', 4e6]) {
    await assert.rejects(sliced.optimize({ budgetMs }), (e) => e instanceof NeurovecError && e.code === 'INVALID_ARGUMENT' && /budgetMs/.test(e.message));
  }
  await assert.rejects(sliced.optimize({ onProgress: 3 }), (e) => e.code === 'INVALID_ARGUMENT');
  // Aborted after its first slice: what was repaired stays, and the next call finishes the pass.
  for (let i = 1; i < n; i += 3) sliced.delete(i);
  const controller = new AbortController();
  await assert.rejects(sliced.optimize({ budgetMs: 0.05, signal: controller.signal, onProgress: () => controller.abort() }),
    (e) => e instanceof NeurovecError && e.code === 'ABORTED');
  const rest = await sliced.optimize();
  assert.equal(rest.unreachableAfter, 0);
  assert.equal(sliced.health().linksToTombstones, 0);
  for (const x of [base, whole, sliced]) x.dispose();
});

test('setMaintenance(): repairs while writing, counted in stats().maintenance; bad options refused', async () => {
  const d = 12, n = 2000;
  const { index, vectors } = await randomIndex(d, n, 21);
  assert.deepEqual(index.stats().maintenance, {
    budgetMsPerWrite: 0, triggerFraction: 0.05, passes: 0, listsRelinked: 0, reconnected: 0, changesSincePass: n,
    passActive: false, progress: 0, milliseconds: 0, unreachableAfterLastPass: 0,
  });
  for (const bad of [{ budgetMsPerWrite: -1 }, { triggerFraction: 0 }, { triggerFraction: 2 }, { budget: 1 }, null]) {
    assert.throws(() => index.setMaintenance(bad), (e) => e instanceof NeurovecError && e.code === 'INVALID_ARGUMENT');
  }
  const twin = await VectorIndex.fromBytes(await index.toBytes());
  index.setMaintenance({ budgetMsPerWrite: 1 });
  assert.equal(index.stats().maintenance.budgetMsPerWrite, 1);
  const remove = (i) => {
    index.delete(i);
    twin.delete(i);
  };
  for (let i = 0; i < n; i += 3) remove(i);
  // Deletes go on until the pass under way is over.
  for (let i = 1; i < n && index.stats().maintenance.passActive; i += 3) remove(i);
  const m = index.stats().maintenance;
  assert.ok(m.passes >= 1, `${m.passes} passes`);
  assert.equal(m.passActive, false);
  assert.ok(m.listsRelinked > 0 && m.milliseconds > 0);
  assert.equal(twin.stats().maintenance.passes, 0);
  // Deletes after the last pass started may leave links to tombstones; far fewer than without it.
  const left = index.health().linksToTombstones, without = twin.health().linksToTombstones;
  assert.ok(left * 4 < without, `${left} links to tombstones left, ${without} without maintenance`);
  twin.dispose();
  index.setMaintenance({ budgetMsPerWrite: 0 });
  assert.equal(index.stats().maintenance.triggerFraction, 0.05);
  index.dispose();
});
