// ONNX Runtime Web in real Chromium (issue 5): the model `neurovec train
// --onnx` wrote, run by onnxruntime-web in a page (its wasm backend, served
// from node_modules like an app would serve it: nothing from a CDN), gives the
// scores of the C++ core (neurovec's wasm, the same trained index) within 1e-4
// and the same rankings. Needs the native CLI (npm test builds it first).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { trainRefinerNatively } from '../shared/native_training.mjs';
import { launch, ROOT, serve } from './harness.mjs';

const CLI = join(ROOT, 'build', 'native', 'neurovec');
const D = 24;
const CLASSES = 6;

test('onnxruntime-web in Chromium gives the C++ core\'s refiner scores', { timeout: 240_000 }, async () => {
  assert.ok(existsSync(CLI), `the native CLI is missing at ${CLI}: run npm run build first`);
  // Under the served root, so the page can fetch the files.
  const dir = join(ROOT, 'build', 'browser-onnx-test');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const server = await serve();
  const browser = await launch();
  try {
    const { queries } = trainRefinerNatively(CLI, dir, { d: D, classes: CLASSES, baseCount: 1200, queryCount: 120,
      trainQueries: 100, valQueries: 20, epochs: 3, extraArgs: ['--edge-lr', '0.5', '--memory', '1000'] });
    writeFileSync(join(dir, 'queries.f32'), Buffer.from(queries.buffer));

    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const origin = `http://127.0.0.1:${server.address().port}`;
    await page.goto(`${origin}/tests/browser/blank.html`);
    const result = await page.evaluate(async ({ d }) => {
      const { VectorIndex, OnnxRefiner } = await import('/js/dist/index.browser.js');
      const ort = await import('/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs');
      const fetchBytes = async (path) => new Uint8Array(await (await fetch(path)).arrayBuffer());
      const index = await VectorIndex.fromBytes(await fetchBytes('/build/browser-onnx-test/trained.nvx'));
      const flat = new Float32Array((await fetchBytes('/build/browser-onnx-test/queries.f32')).buffer);
      const qs = Array.from({ length: flat.length / d }, (_, i) => flat.subarray(i * d, (i + 1) * d));
      const refiner = await OnnxRefiner.create(await fetchBytes('/build/browser-onnx-test/refiner.onnx'),
        { dimensions: d, ort, wasmPaths: '/node_modules/onnxruntime-web/dist/' });
      index.useOnnxRefiner(refiner);
      // The memory holds ~100 events: read from the first (minEvents 0), so both paths walk with the moved query.
      const memory = { minEvents: 0 };
      const batch = await index.searchNeural(qs, 10, { memory });
      let maxDiff = 0;
      let sameRankings = 0;
      qs.forEach((q, i) => {
        const core = index.search(q, 10, { mode: 'neural', memory });
        if (JSON.stringify(core.map((r) => r.id)) === JSON.stringify(batch.results[i].map((r) => r.id))) sameRankings++;
        core.forEach((r, j) => { maxDiff = Math.max(maxDiff, Math.abs(r.score - batch.results[i][j].score)); });
      });
      const stats = index.onnxRefinerStats();
      await refiner.dispose();
      index.dispose();
      return { refiner: batch.refiner, fallback: batch.fallback ? String(batch.fallback) : undefined, maxDiff,
        sameRankings, queries: qs.length, fallbacks: stats.fallbacks };
    }, { d: D });
    console.log(`Chromium: ONNX Runtime Web vs C++ core, ${result.queries} queries: max |score diff| ${result.maxDiff}, ` +
      `${result.sameRankings} identical top-10 rankings`);
    assert.equal(result.fallback, undefined);
    assert.equal(result.refiner, 'onnx');
    assert.equal(result.fallbacks, 0);
    assert.ok(result.maxDiff <= 1e-4, `ONNX Runtime Web vs C++ scores differ by ${result.maxDiff}`);
    assert.ok(result.sameRankings >= result.queries - 2, `${result.sameRankings} of ${result.queries} rankings identical`);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
