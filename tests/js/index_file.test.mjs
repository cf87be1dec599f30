// One index file for the native build and the wasm build: toBytes/fromBytes
// round trips, typed errors for bad bytes, and the same file read and written
// by the native CLI with identical search results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VectorIndex, NeurovecError } from 'neurovec';
import { gaussian, rng } from './helpers.mjs';

const CLI = fileURLToPath(new URL('../../build/native/neurovec', import.meta.url));

function data(n, d, seed) {
  const random = rng(seed);
  return Float32Array.from({ length: n * d }, () => gaussian(random));
}

function writeFvecs(path, vectors, d) {
  const n = vectors.length / d;
  const out = Buffer.alloc(n * (4 + 4 * d));
  for (let i = 0; i < n; i++) {
    out.writeInt32LE(d, i * (4 + 4 * d));
    for (let j = 0; j < d; j++) out.writeFloatLE(vectors[i * d + j], i * (4 + 4 * d) + 4 + 4 * j);
  }
  writeFileSync(path, out);
}

function searchAll(index, queries, d, k, ef) {
  const out = [];
  for (let q = 0; q < queries.length / d; q++) out.push(index.search(queries.subarray(q * d, (q + 1) * d), k, { ef }));
  return out;
}

test('toBytes -> fromBytes keeps ids, metadata, deletions and answers; re-saving gives the same bytes', async () => {
  const d = 12;
  const n = 400;
  const vectors = data(n, d, 1);
  const index = await VectorIndex.create({ dimensions: d, metric: 'cosine', m: 8, efConstruction: 64 });
  const ids = Array.from({ length: n }, (_, i) => (i % 2 ? i : `doc-${i}`));
  index.addBatch(ids, vectors, { metadata: ids.map((_, i) => (i % 3 ? { tag: `t${i % 4}`, rank: i } : undefined)) });
  for (let i = 0; i < n; i += 9) assert.equal(index.delete(ids[i]), true);
  const queries = data(30, d, 2);
  const before = searchAll(index, queries, d, 8, 32);
  const filtered = index.search(queries.subarray(0, d), 5, { filter: { tag: 't1' } });

  const bytes = await index.toBytes();
  assert.ok(bytes instanceof Uint8Array && bytes.length > 8192);
  const copy = await VectorIndex.fromBytes(bytes);
  assert.equal(copy.size, index.size);
  assert.equal(copy.metric, 'cosine');
  assert.equal(copy.dimensions, d);
  assert.deepEqual(searchAll(copy, queries, d, 8, 32), before);
  assert.deepEqual(copy.search(queries.subarray(0, d), 5, { filter: { tag: 't1' } }), filtered);
  assert.deepEqual(copy.get('doc-2'), index.get('doc-2'));
  assert.equal(copy.has(ids[9]), false);
  assert.deepEqual(await copy.toBytes(), bytes);
  copy.add('new', vectors.subarray(0, d));
  assert.equal(copy.size, index.size + 1);
  index.dispose();
  copy.dispose();
});

test('bad bytes are refused with typed errors', async () => {
  const index = await VectorIndex.create({ dimensions: 4, metric: 'l2' });
  index.addBatch([1, 2, 3], new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]));
  const bytes = await index.toBytes();
  index.dispose();
  const expectCode = async (input, code) => {
    await assert.rejects(VectorIndex.fromBytes(input), (e) => e instanceof NeurovecError && e.code === code && e.message.length > 10);
  };
  await expectCode(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]), 'NOT_AN_INDEX_FILE');
  await expectCode(new Uint8Array(10000), 'NOT_AN_INDEX_FILE');
  await expectCode(bytes.subarray(0, bytes.length - 1), 'CORRUPT');
  const flipped = bytes.slice();
  flipped[8192 + 3] ^= 0x10; // inside the first section
  await expectCode(flipped, 'CORRUPT');
  await assert.rejects(VectorIndex.fromBytes('not bytes'), (e) => e.code === 'INVALID_ARGUMENT');
});

test('a file written natively opens in wasm, and the reverse, with identical results', { skip: !existsSync(CLI) && 'native CLI not built' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurovec-file-'));
  try {
    const d = 16;
    const n = 600;
    const base = data(n, d, 3);
    const queries = data(40, d, 4);
    writeFvecs(join(dir, 'base.fvecs'), base, d);
    writeFvecs(join(dir, 'queries.fvecs'), queries, d);
    const nativeQuery = (file) => execFileSync(CLI, ['query', '--index', file, '--queries', join(dir, 'queries.fvecs'),
      '--k', '10', '--ef', '40', '--json'], { encoding: 'utf8' }).trim().split('\n').map((l) => JSON.parse(l));
    const close = (a, b) => Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(a));

    // native -> wasm
    execFileSync(CLI, ['build', '--base', join(dir, 'base.fvecs'), '--out', join(dir, 'native.nvx'), '--m', '8',
      '--ef-construction', '64'], { stdio: 'ignore' });
    const fromNative = await VectorIndex.fromBytes(new Uint8Array(readFileSync(join(dir, 'native.nvx'))));
    const expected = nativeQuery(join(dir, 'native.nvx'));
    const got = searchAll(fromNative, queries, d, 10, 40);
    for (let q = 0; q < expected.length; q++) {
      assert.deepEqual(got[q].map((r) => r.id), expected[q].ids, `query ${q}`);
      got[q].forEach((r, i) => assert.ok(close(r.distance, expected[q].distances[i]), `query ${q} rank ${i}`));
    }

    // wasm -> native
    const wasmIndex = await VectorIndex.create({ dimensions: d, metric: 'l2', m: 8, efConstruction: 64 });
    wasmIndex.addBatch(Array.from({ length: n }, (_, i) => i), base);
    writeFileSync(join(dir, 'wasm.nvx'), await wasmIndex.toBytes());
    const fromWasm = nativeQuery(join(dir, 'wasm.nvx'));
    const wasmResults = searchAll(wasmIndex, queries, d, 10, 40);
    for (let q = 0; q < fromWasm.length; q++) {
      assert.deepEqual(fromWasm[q].ids, wasmResults[q].map((r) => r.id), `query ${q}`);
    }
    fromNative.dispose();
    wasmIndex.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('save(path) and open(path) through node:fs: durable replace, typed errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurovec-save-'));
  try {
    const d = 6;
    const vectors = data(200, d, 9);
    const index = await VectorIndex.create({ dimensions: d, metric: 'manhattan' });
    index.addBatch(Array.from({ length: 200 }, (_, i) => `v${i}`), vectors, { metadata: Array.from({ length: 200 }, (_, i) => ({ i })) });
    const path = join(dir, 'index.nvx');
    await index.save(path);
    index.delete('v0');
    await index.save(path); // replaces the first file
    const opened = await VectorIndex.open(path, { readOnly: true });
    assert.equal(opened.size, 199);
    assert.equal(opened.has('v0'), false);
    const q = vectors.subarray(5 * d, 6 * d);
    assert.deepEqual(opened.search(q, 5), index.search(q, 5));
    assert.deepEqual(new Uint8Array(readFileSync(path)), await index.toBytes());
    assert.deepEqual(readdirSync(dir), ['index.nvx'], 'no temporary file is left behind');

    await assert.rejects(VectorIndex.open(join(dir, 'absent.nvx')), (e) => e instanceof NeurovecError && e.code === 'NOT_FOUND');
    writeFileSync(join(dir, 'image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]));
    await assert.rejects(VectorIndex.open(join(dir, 'image.png')), (e) => e.code === 'NOT_AN_INDEX_FILE');
    await assert.rejects(index.save(join(dir, 'no', 'such', 'dir', 'x.nvx')), (e) => e.code === 'IO_ERROR' && /ENOENT/.test(e.message));
    await assert.rejects(index.save(''), (e) => e.code === 'INVALID_ARGUMENT');
    index.dispose();
    opened.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an hnswlib index file is refused as NOT_AN_INDEX_FILE (no magic there), by path and as bytes', async () => {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  let HierarchicalNSW;
  try {
    ({ HierarchicalNSW } = require('hnswlib-node'));
  } catch {
    assert.fail('hnswlib-node (a devDependency, the benchmark peer) is needed for this test');
  }
  const dir = mkdtempSync(join(tmpdir(), 'neurovec-hnswlib-'));
  try {
    const path = join(dir, 'hnswlib.bin');
    const peer = new HierarchicalNSW('l2', 16);
    peer.initIndex(100);
    for (let i = 0; i < 50; i++) peer.addPoint(Array.from({ length: 16 }, (_, j) => Math.sin(i + j)), i);
    peer.writeIndexSync(path);
    await assert.rejects(VectorIndex.open(path, { readOnly: true }), (e) => e instanceof NeurovecError && e.code === 'NOT_AN_INDEX_FILE');
    await assert.rejects(VectorIndex.open(path), (e) => e.code === 'NOT_AN_INDEX_FILE');
    await assert.rejects(VectorIndex.fromBytes(new Uint8Array(readFileSync(path))), (e) => e.code === 'NOT_AN_INDEX_FILE');
    assert.deepEqual(readdirSync(dir), ['hnswlib.bin'], 'a refused open leaves no lock file behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
