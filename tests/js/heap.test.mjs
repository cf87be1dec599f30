// The WebAssembly memory grows while an index fills up, which detaches every
// typed-array view of the old memory. Data written or read across growths must
// stay correct: vectors from get(), search results, other indexes.
//
// White-box: the memory size is read from the module instance the package
// uses (js/dist/wasm_module.js), only to prove that growths did happen.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { VectorIndex } from 'neurovec';
import { getModule } from '../../js/dist/wasm_module.js';
import { bruteForce, gaussian, rng, row } from './helpers.mjs';

function lowRankData(n, q, d, rank, seed) {
  const random = rng(seed);
  const basis = Array.from({ length: rank }, () => Float64Array.from({ length: d }, () => gaussian(random)));
  const make = (count) => {
    const out = new Float32Array(count * d);
    const z = new Float64Array(rank);
    for (let j = 0; j < count; j++) {
      for (let r = 0; r < rank; r++) z[r] = gaussian(random);
      for (let i = 0; i < d; i++) {
        let x = 0.01 * gaussian(random);
        for (let r = 0; r < rank; r++) x += z[r] * basis[r][i];
        out[j * d + i] = x;
      }
    }
    return out;
  };
  return { data: make(n), queries: make(q) };
}

describe('heap growth', () => {
  test('30000 x 256 vectors: memory grows several times, get() and search() stay exact', async (t) => {
    const N = 30000;
    const D = 256;
    // Points on a random 12-dimensional subspace (plus a little noise): a graph
    // search is near exact there even with a cheap build, so misses mean damage.
    const { data, queries } = lowRankData(N, 20, D, 12, 55);
    const mod = await getModule();
    const memory = () => mod.HEAPU8.buffer.byteLength;

    // An index created before the growths, checked after them.
    const early = await VectorIndex.create({ dimensions: 3, metric: 'manhattan' });
    early.add('e1', [1, 2, 3], { early: true });
    early.add('e2', [-1, -2, -3]);

    const sizes = new Set([memory()]);
    const index = await VectorIndex.create({ dimensions: D, metric: 'l2', m: 8, efConstruction: 24 });
    const random = rng(8);
    const checkSome = (count) => {
      for (let c = 0; c < 5; c++) {
        const i = Math.floor(random() * count);
        const got = index.get(i);
        assert.ok(got, `get(${i}) with ${count} items`);
        assert.deepEqual(got.vector, row(data, i, D), `get(${i}).vector after growth to ${memory()} bytes`);
        assert.deepEqual(got.metadata, { i });
        // Through the exact-scan path (a filter matching one item) ...
        const [self] = index.search(row(data, i, D), 1, { filter: { i } });
        assert.deepEqual(self, { id: i, distance: 0, metadata: { i } }, `search for stored vector ${i}`);
        // ... and through the graph: each distance is the true one of that id.
        const res = index.search(row(data, i, D), 5, { ef: 64 });
        assert.equal(res.length, 5);
        for (const r of res) {
          const truth = bruteForce('l2', [{ id: r.id, vector: row(data, r.id, D) }], row(data, i, D), 1)[0].distance;
          assert.ok(Math.abs(r.distance - truth) <= 1e-3 * truth + 1e-3, `distance of ${r.id}: ${r.distance} vs ${truth}`);
          assert.deepEqual(r.metadata, { i: r.id });
        }
      }
    };

    // The first 1000 one at a time (half as number[]), the rest in chunks.
    for (let i = 0; i < 1000; i++) {
      index.add(i, i % 2 ? Array.from(row(data, i, D)) : row(data, i, D), { i });
      if (i % 250 === 249) {
        sizes.add(memory());
        checkSome(i + 1);
      }
    }
    index.addBatch(Array.from({ length: N - 1000 }, (_, i) => i + 1000), data.subarray(1000 * D), {
      chunkSize: 500,
      metadata: Array.from({ length: N - 1000 }, (_, i) => ({ i: i + 1000 })),
      onProgress: ({ done }) => {
        sizes.add(memory());
        if (done % 2000 === 0 || done === N - 1000) checkSome(1000 + done);
      },
    });
    sizes.add(memory());
    t.diagnostic(`wasm memory sizes seen (MiB): ${[...sizes].map((s) => (s / 2 ** 20).toFixed(0)).join(', ')}`);
    assert.ok(sizes.size >= 4, `expected several growths, saw memory sizes ${[...sizes].join(', ')}`);
    assert.equal(index.size, N);
    assert.ok(index.stats().memoryBytes >= N * D * 4);

    // Every vector and its metadata is intact.
    for (let i = 0; i < N; i += 7) {
      const got = index.get(i);
      assert.deepEqual(got.vector, row(data, i, D), `get(${i})`);
      assert.deepEqual(got.metadata, { i });
    }
    // Searches agree with the brute force.
    const items = Array.from({ length: N }, (_, i) => ({ id: i, vector: row(data, i, D) }));
    let hits = 0;
    for (let q = 0; q < 20; q++) {
      const query = row(queries, q, D);
      const exact = bruteForce('l2', items, query, 1)[0];
      const [top] = index.search(query, 1, { ef: 128 });
      if (top.id === exact.id) hits++;
      assert.ok(Math.abs(top.distance - bruteForce('l2', [items[top.id]], query, 1)[0].distance) <= 1e-3 * top.distance + 1e-3);
    }
    t.diagnostic(`recall@1 on 30000 x 256 (m=8, efConstruction=24, ef=128): ${hits / 20}`);
    assert.ok(hits >= 18, `recall@1 ${hits}/20`);

    // The index made before the growths is intact, and a new one works.
    assert.deepEqual(early.search([1, 2, 3], 2), [
      { id: 'e1', distance: 0, metadata: { early: true } },
      { id: 'e2', distance: 12 },
    ]);
    assert.deepEqual(Array.from(early.get('e2').vector), [-1, -2, -3]);
    const late = await VectorIndex.create({ dimensions: 2, metric: 'l2' });
    late.add(1, [3, 4]);
    assert.deepEqual(late.search([0, 0], 1), [{ id: 1, distance: 25 }]);
    for (const x of [index, early, late]) x.dispose();
  });

  // A growth can happen inside any call that allocates, also between the core
  // returning results and JS reading them. A child process fills the heap up to
  // just below the next growth, in steps of 24 bytes, so that across the runs
  // every allocation made during search() in turn is the one that grows.
  test('search() results are intact when the memory grows during the search', async () => {
    const run = promisify(execFile);
    const child = fileURLToPath(new URL('./fixtures/heap_edge_child.mjs', import.meta.url));
    const cwd = fileURLToPath(new URL('../..', import.meta.url));
    const call = async (...args) => JSON.parse((await run(process.execPath, [child, ...args.map(String)], { cwd })).stdout);
    const { count: coarse } = await call('measure-coarse');
    const { count: fine } = await call('measure-fine', coarse);
    const expected = [0, 1, 2, 3, 4].map((i) => ({ id: i, distance: i * i, metadata: { i } }));
    const fillers = [...new Set(Array.from({ length: 12 }, (_, j) => Math.max(0, fine - 1 - j)))];
    const runs = await Promise.all(fillers.map((filler) => call('run', coarse, filler)));
    let grewDuring = 0;
    runs.forEach((r, j) => {
      assert.equal(r.grewBefore, false);
      if (r.grewDuring) grewDuring++;
      assert.deepEqual(r.results, expected,
        `filler ${fillers[j]} blocks (memory ${r.grewDuring ? 'grew' : 'did not grow'} during search)`);
    });
    assert.ok(grewDuring >= 2, `the memory grew during search() in only ${grewDuring} of ${runs.length} runs`);
  });
});
