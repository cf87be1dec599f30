// Paged vectors in Node (OpenOptions.pageCacheBytes): an opened index reads
// its vectors from the file as searches reach them. Results equal those of an
// index read whole; memory stays within the cache; a damaged block fails the
// search that reaches it (CORRUPT, naming the block), not the open; writes and
// reopening work on a paged index.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { NeurovecError, VectorIndex } from 'neurovec';
import { clusteredData, row } from './helpers.mjs';

const d = 40;  // rows of 48 floats: 21 rows per 4 KiB block

async function withIndexFile(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'neurovec-paging-'));
  try {
    const { data, queries } = clusteredData({ n: 3000, d, queries: 30, seed: 8 });
    const index = await VectorIndex.create({ dimensions: d, metric: 'l2', m: 8, efConstruction: 64 });
    index.addBatch(Array.from({ length: 3000 }, (_, i) => i), data);
    const path = join(dir, 'index.nvx');
    await index.save(path);
    index.dispose();
    await fn({ dir, path, data, queries });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sameResults(a, b, queries, k = 10) {
  for (let q = 0; q < queries.length / d; q++) {
    const ra = a.search(row(queries, q, d), k);
    const rb = b.search(row(queries, q, d), k);
    assert.deepEqual(ra.map((r) => r.id), rb.map((r) => r.id), `query ${q}`);
    assert.deepEqual(ra.map((r) => r.distance), rb.map((r) => r.distance), `query ${q}`);
  }
}

// Offset of the vectors section (kind 4), from the newer header slot's section table.
function vectorsOffset(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slot = view.getBigUint64(4096 + 16, true) > view.getBigUint64(16, true) ? 4096 : 0;
  const table = Number(view.getBigUint64(slot + 32, true));
  const length = Number(view.getBigUint64(slot + 40, true));
  for (let e = table; e < table + length; e += 32) {
    if (view.getUint32(e, true) === 4) return Number(view.getBigUint64(e + 8, true));
  }
  throw new Error('no vectors section');
}

test('a paged open answers exactly as a whole read, within its cache bound', async () => {
  await withIndexFile(async ({ path, queries }) => {
    const paged = await VectorIndex.open(path, { readOnly: true, pageCacheBytes: 64 * 1024 });
    const whole = await VectorIndex.open(path, { readOnly: true, pageCacheBytes: 0 });
    try {
      assert.equal(whole.stats().paging, undefined, 'pageCacheBytes 0 reads every vector at open');
      const before = paged.stats().paging;
      assert.ok(before, 'stats().paging is there while vectors are paged');
      assert.equal(before.blockReads, 0, 'the open reads no vectors');
      sameResults(paged, whole, queries);
      const after = paged.stats();
      assert.ok(after.paging.blockReads > 0);
      assert.ok(after.paging.cachedBytes <= after.paging.cacheBytes && after.paging.cacheBytes <= 64 * 1024);
      assert.ok(after.memory.vectors < whole.stats().memory.vectors / 4, 'vectors stay in the file');
      for (let i = 0; i < 3000; i += 97) assert.deepEqual(paged.get(i).vector, whole.get(i).vector);
      // A snapshot of a paged index is the same file.
      assert.deepEqual(await paged.toBytes(), new Uint8Array(readFileSync(path)));
    } finally {
      paged.dispose();
      whole.dispose();
    }
  });
});

test('a damaged vector block fails the search that reaches it, not the open', async () => {
  await withIndexFile(async ({ dir, path, queries }) => {
    const bytes = new Uint8Array(readFileSync(path));
    const start = vectorsOffset(bytes);
    const rowBytes = 48 * 4;
    for (let at = start + 5; at < start + 3000 * rowBytes; at += 21 * rowBytes) bytes[at] ^= 0x40;
    const damaged = join(dir, 'damaged.nvx');
    writeFileSync(damaged, bytes);
    const index = await VectorIndex.open(damaged, { readOnly: true });
    try {
      assert.throws(() => index.search(row(queries, 0, d), 5),
        (e) => e instanceof NeurovecError && e.code === 'CORRUPT' && /vectors section: block \d+/.test(e.message));
    } finally {
      index.dispose();
    }
    const unverified = await VectorIndex.open(damaged, { readOnly: true, verifyChecksums: false });
    assert.equal(unverified.search(row(queries, 0, d), 5).length, 5, 'unchecked: answers, never crashes');
    unverified.dispose();
  });
});

test('writes on a paged index, then close and reopen, give what a whole read gives', async () => {
  await withIndexFile(async ({ path, queries }) => {
    const extra = clusteredData({ n: 200, d, seed: 9 }).data;
    const paged = await VectorIndex.open(path, { pageCacheBytes: 32 * 1024 });
    const whole = await VectorIndex.open(path, { readOnly: true, pageCacheBytes: 0 });
    // The read-only copy cannot take writes: replay the same ones on an in-memory copy of it.
    const reference = await VectorIndex.fromBytes(await whole.toBytes());
    whole.dispose();
    try {
      assert.ok(paged.stats().paging);
      for (const index of [paged, reference]) {
        for (let i = 0; i < 200; i++) index.add(10000 + i, row(extra, i, d));
        for (let i = 0; i < 3000; i += 11) index.delete(i);
      }
      sameResults(paged, reference, queries);
      await paged.close();
      const reopened = await VectorIndex.open(path, { readOnly: true });
      sameResults(reopened, reference, queries);
      reopened.dispose();
    } finally {
      paged.dispose();
      reference.dispose();
    }
  });
});

test('pageCacheBytes must be a non-negative integer', async () => {
  await withIndexFile(async ({ path }) => {
    for (const bad of [-1, 1.5, '64', Number.NaN]) {
      await assert.rejects(VectorIndex.open(path, { readOnly: true, pageCacheBytes: bad }),
        (e) => e instanceof NeurovecError && e.code === 'INVALID_ARGUMENT' && /pageCacheBytes/.test(e.message));
    }
  });
});
