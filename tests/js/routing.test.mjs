// Learned routing through the JS API (trainRouter, search { routing, recall },
// stats().routing, dropRouter): the learned walk reaches its target against
// brute force with fewer distances, bad options are refused, training can be
// aborted and is ended by a write, and the router travels in the file: a
// router trained natively (`neurovec train-router`) routes the same in wasm,
// and the reverse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VectorIndex } from 'neurovec';
import { assertNeurovecError, assertNeurovecRejects, bruteForce, clusteredData, overlap, row } from './helpers.mjs';
import { gaussian, rng } from '../shared/random.mjs';

const CLI = fileURLToPath(new URL('../../build/native/neurovec', import.meta.url));
const D = 24;

async function clusteredIndex(n, queries, seed = 7) {
  const { data, queries: q } = clusteredData({ n, d: D, queries, clusters: 16, seed });
  const index = await VectorIndex.create({ dimensions: D, metric: 'l2', m: 8, efConstruction: 64 });
  index.addBatch(Array.from({ length: n }, (_, i) => i), data);
  return { index, data, queries: q };
}

// Mean recall@k against brute force and mean distance computations per query.
function measure(index, data, queries, k, options) {
  const items = Array.from({ length: data.length / D }, (_, i) => ({ id: i, vector: row(data, i, D) }));
  let recall = 0, computations = 0;
  const nq = queries.length / D;
  for (let q = 0; q < nq; q++) {
    const got = index.search(row(queries, q, D), k, options);
    computations += index.stats().lastSearch.distanceComputations;
    recall += overlap(got, bruteForce('l2', items, row(queries, q, D), k));
  }
  return { recall: recall / nq, computations: computations / nq };
}

test('trainRouter: the learned walk reaches its target recall (brute force) with fewer distances; counters', async () => {
  const { index, data, queries } = await clusteredIndex(4000, 200);
  const progress = [];
  const report = await index.trainRouter({ k: 10, ef: 64, items: 800, seed: 3, plainWhenFaster: false, onProgress: (p) => progress.push(p) });
  assert.ok(progress.length >= 2);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i].walksDone > progress[i - 1].walksDone);
  // Every item walks, then the held-out ones again per neighbour-skipping margin (5 x 240).
  assert.equal(progress.at(-1).walksDone, progress.at(-1).walksTotal);
  assert.equal(progress.at(-1).walksTotal, 800 + 5 * 560); // 560: the default calibration share (0.7) of 800
  assert.equal(report.trainingWalks + report.calibrationWalks, 800);
  assert.ok(report.records > report.trainingWalks);
  assert.ok(report.routedComputations < report.fullWalkComputations);
  // Isotropic clusters in 24-d leave a projection nothing to gain: no skipping, a model of a few bytes.
  assert.equal(report.skipRank, 0);
  assert.ok(report.modelBytes > 0 && report.modelBytes < 1024);

  const plain = measure(index, data, queries, 10, { ef: 64, routing: 'plain' });
  const learned = measure(index, data, queries, 10, { ef: 64, routing: 'learned', recall: 0.9 });
  assert.ok(learned.recall >= 0.87, `learned recall ${learned.recall} for a 0.9 target`);
  assert.ok(learned.computations < 0.95 * plain.computations,
    `learned ${learned.computations} vs plain ${plain.computations} distances`);
  const stats = index.stats().routing;
  assert.equal(stats.trained, true);
  assert.equal(stats.k, 10);
  assert.equal(stats.ef, 64);
  assert.equal(stats.learnedSearches, 200);
  assert.ok(stats.earlyStops > 0 && stats.earlyStops <= 200);
  assert.equal(stats.fallbacks, 0);
  assert.ok(stats.unfamiliar < 20, `${stats.unfamiliar} of 200 queries from the training distribution counted unfamiliar`);
  assert.equal(stats.skipRank, 0);
  assert.equal(stats.skippedNeighbours, 0);
  assert.equal(stats.plainServed, 0);

  // The plain walk per target: calibrated, not timed (plainWhenFaster: false), and
  // routing 'plain' with a recall walks at the calibrated ef.
  assert.deepEqual(report.plainWalks.map((w) => w.targetRecall), [0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99]);
  for (const w of report.plainWalks) {
    assert.equal(w.plainServes, false);
    assert.equal(w.learnedMicros, 0);
    assert.ok(w.plainEf === 0 || (w.plainEf >= 10 && w.plainEf <= 64), `plain ef ${w.plainEf}`);
  }
  const ef90 = report.plainWalks[2].plainEf;
  assert.ok(ef90 > 0);
  for (let qi = 0; qi < 20; qi++) {
    const q = row(queries, qi, D);
    assert.deepEqual(index.search(q, 10, { routing: 'plain', recall: 0.9 }), index.search(q, 10, { routing: 'plain', ef: ef90 }));
  }
  assert.equal(index.stats().routing.learnedSearches, 200);

  // Another k, or a filter: the plain walk, counted as a fallback when 'learned' was asked for.
  index.search(row(queries, 0, D), 5, { routing: 'learned' });
  assert.equal(index.stats().routing.fallbacks, 1);
  index.delete(0);
  assert.equal(index.stats().routing.changesSinceTraining, 1);
  index.dropRouter();
  assert.equal(index.stats().routing.trained, false);
  index.dispose();
});

test('trainRouter times the two walks per target, and the faster serves it', async () => {
  const { index, queries } = await clusteredIndex(3000, 100);
  const report = await index.trainRouter({ k: 10, ef: 48, items: 600, seed: 2 });
  const served = [];
  for (const w of report.plainWalks) {
    if (w.plainEf === 0) continue;
    assert.ok(w.learnedMicros > 0 && w.plainMicros > 0, JSON.stringify(w));
    assert.equal(w.plainServes, w.plainMicros < w.learnedMicros, JSON.stringify(w));
    if (w.plainServes) served.push(w);
  }
  // A search for a target the plain walk serves is that plain walk, counted in stats().
  for (const w of served) {
    const before = index.stats().routing;
    for (let qi = 0; qi < 10; qi++) {
      const q = row(queries, qi, D);
      assert.deepEqual(index.search(q, 10, { routing: 'learned', recall: w.targetRecall }), index.search(q, 10, { routing: 'plain', ef: w.plainEf }));
    }
    const after = index.stats().routing;
    assert.equal(after.plainServed - before.plainServed, 10);
    assert.equal(after.learnedSearches, before.learnedSearches);
  }
  index.dispose();
});

// Data of low intrinsic dimension (a fixed linear map of clustered 8-d points
// into 96-d, a little noise), where a projection predicts distances well.
function lowRankData(n, queries, seed) {
  const latent = clusteredData({ n, d: 8, queries, clusters: 16, seed });
  const random = rng(seed + 100);
  const map = Array.from({ length: 96 * 8 }, () => gaussian(random));
  const lift = (flat) => {
    const rows = flat.length / 8;
    const out = new Float32Array(rows * 96);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < 96; j++) {
        let v = 0.02 * gaussian(random);
        for (let l = 0; l < 8; l++) v += map[j * 8 + l] * flat[i * 8 + l];
        out[i * 96 + j] = v;
      }
    }
    return out;
  };
  return { data: lift(latent.data), queries: lift(latent.queries) };
}

test('neighbour skipping: fewer distances at the target in wasm, and a native router with it routes the same in wasm',
  async () => {
    const HD = 96;
    const { data, queries } = lowRankData(3000, 100, 5);
    const index = await VectorIndex.create({ dimensions: HD, metric: 'l2', m: 8, efConstruction: 64 });
    index.addBatch(Array.from({ length: 3000 }, (_, i) => i), data);
    const items = Array.from({ length: 3000 }, (_, i) => ({ id: i, vector: row(data, i, HD) }));
    const run = () => {
      let recall = 0, computations = 0;
      for (let q = 0; q < 100; q++) {
        const query = row(queries, q, HD);
        const got = index.search(query, 10, { routing: 'learned', recall: 0.95 });
        computations += index.stats().lastSearch.distanceComputations;
        recall += overlap(got, bruteForce('l2', items, query, 10));
      }
      return { recall: recall / 100, computations: computations / 100 };
    };
    await index.trainRouter({ ef: 24, items: 800, seed: 3, skipRank: 0, plainWhenFaster: false });
    const stopOnly = run();
    const report = await index.trainRouter({ ef: 24, items: 800, seed: 3, skipRank: 16, plainWhenFaster: false });
    assert.equal(report.skipRank, 16);
    assert.ok(report.routedEstimates > 0);
    const skipping = run();
    const stats = index.stats().routing;
    assert.equal(stats.skipRank, 16);
    assert.equal(stats.skipTableBytes, 3000 * (16 + 4));
    assert.ok(stats.skippedNeighbours > 0);
    assert.ok(skipping.recall >= 0.92, `recall ${skipping.recall} for a 0.95 target`);
    assert.ok(skipping.computations < 0.85 * stopOnly.computations,
      `with skipping ${skipping.computations} distances, stopping rule alone ${stopOnly.computations}`);

    if (existsSync(CLI)) {
      const dir = mkdtempSync(join(tmpdir(), 'neurovec-skip-'));
      try {
        writeFileSync(join(dir, 'index.nvx'), await index.toBytes());
        writeFvecs(join(dir, 'queries.fvecs'), queries, HD);
        execFileSync(CLI, ['train-router', '--index', join(dir, 'index.nvx'), '--ef', '24', '--items', '800', '--seed', '4',
          '--skip-rank', '16', '--threads', '2', '--learned-only'], { stdio: 'ignore' });
        const native = execFileSync(CLI, ['query', '--index', join(dir, 'index.nvx'), '--queries', join(dir, 'queries.fvecs'),
          '--k', '10', '--routing', 'learned', '--recall', '0.95'], { encoding: 'utf8' }).trim().split('\n').map((l) => JSON.parse(l).ids);
        const fromNative = await VectorIndex.fromBytes(new Uint8Array(readFileSync(join(dir, 'index.nvx'))));
        assert.ok(fromNative.stats().routing.skipRank > 0);
        const wasm = Array.from({ length: 100 }, (_, q) => fromNative.search(row(queries, q, HD), 10, { routing: 'learned', recall: 0.95 }).map((r) => r.id));
        assert.deepEqual(wasm, native);
        assert.ok(fromNative.stats().routing.skippedNeighbours > 0);
        fromNative.dispose();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    index.dispose();
  });

test('trainRouter and search refuse bad routing options with clear errors', async () => {
  const { index, queries } = await clusteredIndex(600, 5);
  const q = row(queries, 0, D);
  assertNeurovecError(() => index.search(q, 10, { routing: 'greedy' }), 'INVALID_ARGUMENT', /routing/, /'plain'/);
  assertNeurovecError(() => index.search(q, 10, { recall: 1.5 }), 'INVALID_ARGUMENT', /recall/, /\(0, 1\]/);
  assertNeurovecError(() => index.search(q, 10, { recall: 0 }), 'INVALID_ARGUMENT', /recall/);
  assertNeurovecError(() => index.search(q, 10, { mode: 'neural', routing: 'plain' }), 'INVALID_ARGUMENT', /mode 'vector'/);
  const bad = [
    [{ k: 0 }, /k/], [{ k: 65 }, /k/], [{ ef: 5 }, /ef/], [{ items: 5 }, /items/],
    [{ calibrationShare: 0.95 }, /calibrationShare/], [{ targetRecall: 0.2 }, /targetRecall/],
    [{ walksPerStep: 0 }, /walksPerStep/], [{ plainWhenFaster: 'yes' }, /plainWhenFaster/], [{ speed: 1 }, /unknown trainRouter option "speed"/],
    [{ skipRank: 20 }, /skipRank must be a multiple of 16/], [{ skipRank: 144 }, /skipRank/],
    [{ queries: new Float32Array(10 * D) }, /at least 20 queries/], [{ queries: new Float32Array(7) }, /multiple of the dimensions/],
    [{ queries: [new Float32Array(D - 1)] }, /queries\[0\]/], [{ onProgress: 3 }, /onProgress/],
  ];
  for (const [options, pattern] of bad) {
    await assertNeurovecRejects(() => index.trainRouter(options), 'INVALID_ARGUMENT', pattern);
  }
  const nan = new Float32Array(30 * D);
  nan[5 * D + 2] = NaN;
  await assertNeurovecRejects(() => index.trainRouter({ queries: nan }), 'INVALID_ARGUMENT', /queries\[5\]/);
  const small = await VectorIndex.create({ dimensions: D, metric: 'l2' });
  small.addBatch([1, 2, 3], new Float32Array(3 * D).fill(1));
  await assertNeurovecRejects(() => small.trainRouter(), 'FAILED_PRECONDITION', /at least 100 live items/);
  assert.equal(index.stats().routing.trained, false);
  small.dispose();
  index.dispose();
});

test('trainRouter: given queries, an AbortSignal, and a write during training', async () => {
  const { index, queries } = await clusteredIndex(2000, 300);
  const controller = new AbortController();
  await assertNeurovecRejects(() => index.trainRouter({
    queries, ef: 48, walksPerStep: 20, onProgress: (p) => { if (p.walksDone >= 60) controller.abort(); }, signal: controller.signal,
  }), 'ABORTED', /trainRouter/);
  assert.equal(index.stats().routing.trained, false);

  // A write between slices ends the training; the index keeps working.
  await assertNeurovecRejects(() => index.trainRouter({
    queries, ef: 48, walksPerStep: 20, onProgress: (p) => { if (p.walksDone === 40) index.add(99999, row(queries, 0, D)); },
  }), 'FAILED_PRECONDITION', /changed during router training/);
  assert.equal(index.stats().routing.trained, false);

  // Queries given as an array of vectors train too.
  const list = Array.from({ length: 100 }, (_, i) => row(queries, i, D));
  const report = await index.trainRouter({ queries: list, ef: 48 });
  assert.equal(report.trainingWalks + report.calibrationWalks, 100);
  assert.equal(index.stats().routing.trained, true);
  index.dispose();
});

function writeFvecs(path, vectors, d) {
  const n = vectors.length / d;
  const out = Buffer.alloc(n * (4 + 4 * d));
  for (let i = 0; i < n; i++) {
    out.writeInt32LE(d, i * (4 + 4 * d));
    for (let j = 0; j < d; j++) out.writeFloatLE(vectors[i * d + j], i * (4 + 4 * d) + 4 + 4 * j);
  }
  writeFileSync(path, out);
}

test('the router travels in the file: native train-router -> wasm, wasm trainRouter -> native, toBytes -> fromBytes',
  { skip: !existsSync(CLI) && 'native CLI not built' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'neurovec-routing-'));
    try {
      const n = 3000;
      const { data, queries } = clusteredData({ n, d: D, queries: 60, clusters: 16, seed: 11 });
      writeFvecs(join(dir, 'base.fvecs'), data, D);
      writeFvecs(join(dir, 'queries.fvecs'), queries, D);
      const options = { ef: 64, routing: 'learned', recall: 0.9 };
      const nativeQuery = (file) => execFileSync(CLI, ['query', '--index', file, '--queries', join(dir, 'queries.fvecs'),
        '--k', '10', '--ef', '64', '--routing', 'learned', '--recall', '0.9'], { encoding: 'utf8' })
        .trim().split('\n').map((l) => JSON.parse(l));
      const wasmQuery = (index) => Array.from({ length: 60 }, (_, q) => index.search(row(queries, q, D), 10, options).map((r) => r.id));

      // native build + router (two threads) -> wasm
      execFileSync(CLI, ['build', '--base', join(dir, 'base.fvecs'), '--out', join(dir, 'native.nvx'), '--m', '8',
        '--ef-construction', '64'], { stdio: 'ignore' });
      execFileSync(CLI, ['train-router', '--index', join(dir, 'native.nvx'), '--ef', '64', '--items', '800', '--threads', '2',
        '--learned-only', '--json'], { stdio: 'ignore' });
      const fromNative = await VectorIndex.fromBytes(new Uint8Array(readFileSync(join(dir, 'native.nvx'))));
      assert.equal(fromNative.stats().routing.trained, true);
      assert.deepEqual(wasmQuery(fromNative), nativeQuery(join(dir, 'native.nvx')).map((r) => r.ids));
      const wasmStops = fromNative.stats().routing.earlyStops;
      assert.ok(wasmStops > 0);

      // The router as ONNX (export-router), run by ONNX Runtime Web on every
      // decision the core's learned walk took for the queries (--trace): the
      // same logits and the same stops; the traced walks stop exactly as
      // often as the wasm searches above did.
      execFileSync(CLI, ['export-router', '--index', join(dir, 'native.nvx'), '--onnx', join(dir, 'router.onnx'),
        '--trace', join(dir, 'queries.fvecs'), '--trace-out', join(dir, 'trace.json'), '--recall', '0.9'], { stdio: 'ignore' });
      const walks = readFileSync(join(dir, 'trace.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(walks.length, 60);
      const decisions = walks.flatMap((w) => w.decisions);
      assert.equal(walks.filter((w) => w.decisions.at(-1)?.[11] === 1).length, wasmStops);
      const ort = await import('onnxruntime-web');
      const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(join(dir, 'router.onnx'))));
      const rows = decisions.length;
      const features = new Float32Array(rows * 9), kth = new Float32Array(rows);
      decisions.forEach((d, i) => { features.set(d.slice(0, 9), i * 9); kth[i] = d[9]; });
      const out = await session.run({ features: new ort.Tensor('float32', features, [rows, 9]), kth_distance: new ort.Tensor('float32', kth, [rows, 1]) });
      assert.deepEqual(out.stop.dims, [rows, 8]);
      const column = 2;  // target recalls 0.80, 0.85, 0.90, ...: a search for 0.9 uses the third
      let maxDiff = 0, agreed = 0;
      decisions.forEach((d, i) => {
        maxDiff = Math.max(maxDiff, Math.abs(out.logit.data[i] - d[10]));
        // A float sum in another order can land on the other side of a threshold it touches.
        if (Boolean(out.stop.data[i * 8 + column]) === (d[11] === 1)) agreed++;
      });
      assert.ok(maxDiff < 1e-4, `ONNX logits differ from the core's by up to ${maxDiff}`);
      assert.equal(agreed, rows, `${rows - agreed} of ${rows} stop decisions differ between ONNX Runtime Web and the core`);
      await session.release();

      // wasm router -> native
      const wasmIndex = await VectorIndex.create({ dimensions: D, metric: 'l2', m: 8, efConstruction: 64 });
      wasmIndex.addBatch(Array.from({ length: n }, (_, i) => i), data);
      await wasmIndex.trainRouter({ ef: 64, items: 800, seed: 5, plainWhenFaster: false });
      writeFileSync(join(dir, 'wasm.nvx'), await wasmIndex.toBytes());
      assert.deepEqual(nativeQuery(join(dir, 'wasm.nvx')).map((r) => r.ids), wasmQuery(wasmIndex));

      // toBytes -> fromBytes within wasm; a dropped router leaves the file.
      const reloaded = await VectorIndex.fromBytes(await wasmIndex.toBytes());
      assert.deepEqual(wasmQuery(reloaded), wasmQuery(wasmIndex));
      reloaded.dropRouter();
      const plainAgain = await VectorIndex.fromBytes(await reloaded.toBytes());
      assert.equal(plainAgain.stats().routing.trained, false);
      for (const index of [fromNative, wasmIndex, reloaded, plainAgain]) index.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
