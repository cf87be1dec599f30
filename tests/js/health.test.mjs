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

test('health(): counts, reachability witnessed by an exhaustive search, tombstones after deletes', async () => {
  const d = 12, n = 1500;
  const random = rng(5);
  const vectors = Float32Array.from({ length: n * d }, () => gaussian(random));
  const index = await VectorIndex.create({ dimensions: d, metric: 'l2', m: 6, efConstruction: 40 });
  index.addBatch(Array.from({ length: n }, (_, i) => i), vectors);
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
