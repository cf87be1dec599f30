// Paged vectors and level-0 lists in Node (OpenOptions.pageCacheBytes): an
// opened index reads its vectors and the graph's level-0 neighbour lists from
// the file as searches reach them. Results equal those of an index read whole;
// memory stays within the caches (stats().paging, paging.graph); a damaged
// block fails the search that reaches it (CORRUPT, naming the block), not the
// open; writes and reopening work on a paged index.
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

// Offset of a section (4: vectors, 5: graph), from the newer header slot's section table.
function sectionOffset(bytes, kind) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slot = view.getBigUint64(4096 + 16, true) > view.getBigUint64(16, true) ? 4096 : 0;
  const table = Number(view.getBigUint64(slot + 32, true));
  const length = Number(view.getBigUint64(slot + 40, true));
  for (let e = table; e < table + length; e += 32) {
    if (view.getUint32(e, true) === kind) return Number(view.getBigUint64(e + 8, true));
  }
  throw new Error(`no section of kind ${kind}`);
}
const vectorsOffset = (bytes) => sectionOffset(bytes, 4);
// Level-0 lists (m = 8: 17 u32 each) start after the graph section's head:
// 12 bytes, then a level and a flag per slot (3000 slots: 6000 bytes).
const level0Offset = (bytes) => sectionOffset(bytes, 5) + 12 + 6000;
const listBytes = 17 * 4;
const listsPerBlock = Math.floor(4096 / listBytes);

test('a paged open answers exactly as a whole read, within its cache bound', async () => {
  await withIndexFile(async ({ path, queries }) => {
    const paged = await VectorIndex.open(path, { readOnly: true, pageCacheBytes: 64 * 1024 });
    const whole = await VectorIndex.open(path, { readOnly: true, pageCacheBytes: 0 });
    try {
      assert.equal(whole.stats().paging, undefined, 'pageCacheBytes 0 reads every vector at open');
      const before = paged.stats().paging;
      assert.ok(before, 'stats().paging is there while vectors are paged');
      assert.equal(before.blockReads, 0, 'the open reads no vectors');
      assert.ok(before.graph, 'paging.graph is there while level-0 lists are paged');
      assert.equal(before.graph.blockReads, 0, 'the open reads no level-0 lists');
      assert.equal(before.graph.bytesRead, 0);
      assert.ok(before.graph.cacheBytes > 0 && before.cacheBytes + before.graph.cacheBytes <= 64 * 1024,
        'one bound for both caches');
      assert.ok(paged.stats().memory.graph < whole.stats().memory.graph / 2, 'level-0 lists stay in the file');
      sameResults(paged, whole, queries);
      const after = paged.stats();
      assert.ok(after.paging.blockReads > 0);
      assert.ok(after.paging.cachedBytes <= after.paging.cacheBytes && after.paging.cacheBytes <= 64 * 1024);
      assert.ok(after.memory.vectors < whole.stats().memory.vectors / 4, 'vectors stay in the file');
      const graph = after.paging.graph;
      assert.ok(graph.blockReads > 0 && graph.misses >= graph.blockReads && graph.hits > 0);
      assert.equal(graph.bytesRead, graph.blockReads * listsPerBlock * listBytes, 'whole blocks (3000 = 50 x 60 lists)');
      assert.ok(graph.cachedBytes > 0 && graph.cachedBytes <= graph.cacheBytes);
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

test('a damaged block of level-0 lists fails the search that reaches it, not the open', async () => {
  await withIndexFile(async ({ dir, path, queries }) => {
    const bytes = new Uint8Array(readFileSync(path));
    const start = level0Offset(bytes);
    // A flipped byte in every block: caught by the block's checksum.
    const flipped = bytes.slice();
    for (let at = start + 3; at < start + 3000 * listBytes; at += listsPerBlock * listBytes) flipped[at] ^= 0x01;
    writeFileSync(join(dir, 'flipped.nvx'), flipped);
    const index = await VectorIndex.open(join(dir, 'flipped.nvx'), { readOnly: true });
    try {
      assert.ok(index.stats().paging.graph);
      assert.throws(() => index.search(row(queries, 0, d), 5),
        (e) => e instanceof NeurovecError && e.code === 'CORRUPT' &&
          /graph section: level-0 block \d+ \(offset \d+\) fails its checksum/.test(e.message));
    } finally {
      index.dispose();
    }
    // A link past the last slot in every block, unverified: caught by the block's link check.
    const badLink = bytes.slice();
    const view = new DataView(badLink.buffer);
    for (let slot = 0; slot < 3000; slot += listsPerBlock) view.setUint32(start + slot * listBytes + 4, 5000 + slot, true);
    writeFileSync(join(dir, 'bad-link.nvx'), badLink);
    const unverified = await VectorIndex.open(join(dir, 'bad-link.nvx'), { readOnly: true, verifyChecksums: false });
    try {
      assert.throws(() => unverified.search(row(queries, 0, d), 5),
        (e) => e instanceof NeurovecError && e.code === 'CORRUPT' && /level-0 block .* does not exist/.test(e.message));
    } finally {
      unverified.dispose();
    }
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
      assert.ok(paged.stats().paging.graph);
      for (const index of [paged, reference]) {
        for (let i = 0; i < 200; i++) index.add(10000 + i, row(extra, i, d));
        for (let i = 0; i < 3000; i += 11) index.delete(i);
      }
      assert.ok(paged.stats().paging, 'vectors stay paged');
      assert.equal(paged.stats().paging.graph, undefined, 'the first add read the level-0 lists in');
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
