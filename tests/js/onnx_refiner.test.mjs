// Native training -> wasm -> ONNX Runtime Web (issue 5):
//  - `neurovec train` (native, 2 threads) writes an index file; opened in
//    wasm, its neural mode gives the same results as `neurovec query --mode
//    neural` natively;
//  - the ONNX model `neurovec train --onnx` wrote, run by onnxruntime-web,
//    gives the same scores as the C++ core (wasm), max |diff| <= 1e-4, with
//    per-link edge weights learned (`--edge-lr`: link strengths in adjacency)
//    and a click memory (`--memory`: the query the refiner scores against is the moved one);
//  - malformed and mismatched models get typed errors; a refiner that fails
//    at run time makes searchNeural fall back to vector mode and say so.
// Needs the native CLI (build/native/neurovec), which `npm test` builds first.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { OnnxRefiner, OnnxRefinerError, VectorIndex } from 'neurovec';
import { trainRefinerNatively } from '../shared/native_training.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'build', 'native', 'neurovec');
const D = 24;
const CLASSES = 6;
const TOLERANCE = 1e-4;

const row = (flat, i) => flat.subarray(i * D, (i + 1) * D);

describe('ONNX refiner: native training, wasm and ONNX Runtime Web agree', () => {
  let dir;
  let queries;
  let index;
  let model;
  let native;

  before(() => {
    assert.ok(existsSync(CLI), `the native CLI is missing at ${CLI}: run npm run build first`);
    dir = mkdtempSync(join(tmpdir(), 'neurovec-onnx-'));
    const trained = trainRefinerNatively(CLI, dir, { d: D, classes: CLASSES, baseCount: 1200, queryCount: 300,
      trainQueries: 250, valQueries: 50, epochs: 4, extraArgs: ['--edge-lr', '0.5', '--memory', '1000'] });
    queries = trained.queries;
    const { log, run } = trained;
    assert.match(log, /validation: precision@10 neural mode/);
    // Per-link edge weights are on, so parity covers the learned links' strengths too.
    const links = Number(log.match(/per-link edge weights: (\d+) links learned/)?.[1]);
    assert.ok(links > 100, `per-link edge weights: ${links} links learned`);
    // The click memory is on too: every neural search walks with the query it moved, and ONNX
    // Runtime scores against that query (RefinerCandidates::query).
    const kept = Number(log.match(/click memory: (\d+) events kept/)?.[1]);
    assert.ok(kept > 200, `click memory: ${kept} events kept`);
    native = run('query', '--index', 'trained.nvx', '--queries', 'queries.fvecs', '--k', '10', '--mode', 'neural')
      .trim().split('\n').map((line) => JSON.parse(line));
    model = new Uint8Array(readFileSync(join(dir, 'refiner.onnx')));
  });

  after(() => {
    index?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the natively trained file opens in wasm with the same neural results', async () => {
    index = await VectorIndex.fromBytes(new Uint8Array(readFileSync(join(dir, 'trained.nvx'))));
    assert.equal(native.length, queries.length / D);
    let maxDiff = 0;
    for (let i = 0; i < native.length; i++) {
      const wasm = index.search(row(queries, i), 10, { mode: 'neural' });
      assert.deepEqual(wasm.map((r) => r.id), native[i].ids, `query ${i}: neural ids differ between native and wasm`);
      wasm.forEach((r, j) => { maxDiff = Math.max(maxDiff, Math.abs(r.score - native[i].scores[j])); });
    }
    assert.ok(maxDiff <= TOLERANCE, `native vs wasm neural scores differ by ${maxDiff}`);
  });

  test('ONNX Runtime Web gives the C++ core\'s scores (max |diff| <= 1e-4)', async () => {
    const refiner = await OnnxRefiner.create(model, { dimensions: D });
    index.useOnnxRefiner(refiner);
    const qs = Array.from({ length: queries.length / D }, (_, i) => row(queries, i));
    // The memory holds ~250 events: read from the first (minEvents 0), so both paths walk with the moved query.
    const memory = { minEvents: 0 };
    const batch = await index.searchNeural(qs, 10, { memory });
    assert.equal(batch.refiner, 'onnx');
    assert.equal(batch.fallback, undefined);
    let maxDiff = 0;
    qs.forEach((q, i) => {
      const core = index.search(q, 10, { mode: 'neural', memory });
      assert.deepEqual(batch.results[i].map((r) => r.id), core.map((r) => r.id), `query ${i}: ONNX ranking differs`);
      core.forEach((r, j) => {
        assert.equal(batch.results[i][j].distance, r.distance);
        maxDiff = Math.max(maxDiff, Math.abs(r.score - batch.results[i][j].score));
      });
    });
    assert.ok(maxDiff <= TOLERANCE, `ONNX vs C++ scores differ by ${maxDiff}`);
    const stats = index.onnxRefinerStats();
    assert.equal(stats.queries, qs.length);
    assert.equal(stats.fallbacks, 0);
    index.useOnnxRefiner(null);
    await refiner.dispose();
  });

  test('malformed and mismatched models get typed errors', async () => {
    await assert.rejects(OnnxRefiner.create(new Uint8Array([1, 2, 3, 4, 5])),
      (e) => e instanceof OnnxRefinerError && e.reason === 'invalid-model' && /could not load/.test(e.message));
    await assert.rejects(OnnxRefiner.create(model, { dimensions: D + 1 }),
      (e) => e instanceof OnnxRefinerError && e.reason === 'mismatch' && e.message.includes(`${D}-dimensional`) &&
        e.message.includes(`${D + 1} dimensions`));
    // The same model with its input renamed (same length: the protobuf stays valid).
    const renamed = Buffer.from(model);
    const from = Buffer.from('adjacency');
    for (let at = renamed.indexOf(from); at >= 0; at = renamed.indexOf(from, at + 1)) renamed.write('adjacencx', at);
    await assert.rejects(OnnxRefiner.create(new Uint8Array(renamed)),
      (e) => e instanceof OnnxRefinerError && e.reason === 'mismatch' && /expected inputs \(query, candidates, adjacency\)/.test(e.message));
    // A refiner for D dimensions on an index of another size.
    const refiner = await OnnxRefiner.create(model);
    assert.equal(refiner.dimensions, D);
    const other = await VectorIndex.create({ dimensions: D + 8 });
    assert.throws(() => other.useOnnxRefiner(refiner), (e) => e instanceof OnnxRefinerError && e.reason === 'mismatch');
    other.dispose();
    await refiner.dispose();
  });

  test('a refiner that fails at run time falls back to vector mode and reports it', async () => {
    // The real runtime, with session.run failing after the probe run of create().
    let calls = 0;
    const failing = {
      env: ort.env,
      Tensor: ort.Tensor,
      InferenceSession: {
        async create(bytes, options) {
          const session = await ort.InferenceSession.create(bytes, options);
          return {
            inputNames: session.inputNames,
            outputNames: session.outputNames,
            inputMetadata: session.inputMetadata,
            run: (feeds) => (++calls > 1 ? Promise.reject(new Error('simulated runtime failure')) : session.run(feeds)),
            release: () => session.release(),
          };
        },
      },
    };
    const refiner = await OnnxRefiner.create(model, { ort: failing, dimensions: D });
    index.useOnnxRefiner(refiner);
    const qs = [row(queries, 0), row(queries, 1)];
    const batch = await index.searchNeural(qs, 5);
    assert.equal(batch.refiner, 'vector');
    assert.ok(batch.fallback instanceof OnnxRefinerError);
    assert.equal(batch.fallback.reason, 'run-failed');
    assert.match(batch.fallback.message, /simulated runtime failure/);
    qs.forEach((q, i) => assert.deepEqual(batch.results[i], index.search(q, 5)));
    assert.equal(index.onnxRefinerStats().fallbacks, 1);
    index.useOnnxRefiner(null);
    await assert.rejects(index.searchNeural(qs, 5), (e) => e.code === 'FAILED_PRECONDITION' && /useOnnxRefiner/.test(e.message));
    await refiner.dispose();
  });
});
