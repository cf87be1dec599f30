// ONNX Runtime Web in real Chromium (issue 5): the model `neurovec train
// --onnx` wrote, run by onnxruntime-web in a page (its wasm backend, served
// from node_modules like an app would serve it: nothing from a CDN), gives the
// scores of the C++ core (neurovec's wasm, the same trained index) within 1e-4
// and the same rankings. Needs the native CLI (npm test builds it first).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gaussian, rng } from '../shared/random.mjs';
import { launch, ROOT, serve } from './harness.mjs';

const CLI = join(ROOT, 'build', 'native', 'neurovec');
const D = 24;
const CLASSES = 6;

// Classes visible in 4 dimensions under noise in the others.
function labeled(n, seed) {
  const centresRandom = rng(77);
  const centres = Array.from({ length: CLASSES * 4 }, () => 2 * gaussian(centresRandom));
  const random = rng(seed);
  const vectors = new Float32Array(n * D);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = Math.floor(random() * CLASSES);
    for (let j = 0; j < D; j++) vectors[i * D + j] = j < 4 ? centres[labels[i] * 4 + j] + 0.5 * gaussian(random) : 1.5 * gaussian(random);
  }
  return { vectors, labels };
}

function writeFvecs(path, vectors) {
  const n = vectors.length / D;
  const out = Buffer.alloc(n * (4 + 4 * D));
  for (let i = 0; i < n; i++) {
    out.writeInt32LE(D, i * (4 + 4 * D));
    Buffer.from(vectors.buffer, vectors.byteOffset + i * 4 * D, 4 * D).copy(out, i * (4 + 4 * D) + 4);
  }
  writeFileSync(path, out);
}

function writeIdxLabels(path, labels) {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0x801, 0);
  header.writeUInt32BE(labels.length, 4);
  writeFileSync(path, Buffer.concat([header, Buffer.from(labels)]));
}

test('onnxruntime-web in Chromium gives the C++ core\'s refiner scores', { timeout: 240_000 }, async () => {
  assert.ok(existsSync(CLI), `the native CLI is missing at ${CLI}: run npm run build first`);
  // Under the served root, so the page can fetch the files.
  const dir = join(ROOT, 'build', 'browser-onnx-test');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const server = await serve();
  const browser = await launch();
  try {
    const base = labeled(1200, 1);
    const queries = labeled(120, 2);
    writeFvecs(join(dir, 'base.fvecs'), base.vectors);
    writeFvecs(join(dir, 'queries.fvecs'), queries.vectors);
    writeIdxLabels(join(dir, 'base.labels'), base.labels);
    writeIdxLabels(join(dir, 'queries.labels'), queries.labels);
    const run = (...args) => execFileSync(CLI, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    run('build', '--base', 'base.fvecs', '--out', 'index.nvx', '--m', '12', '--ef-construction', '100');
    run('train', '--index', 'index.nvx', '--queries', 'queries.fvecs', '--labels', 'base.labels',
      '--query-labels', 'queries.labels', '--train-queries', '100', '--val-queries', '20', '--candidates', '20',
      '--hidden', '16', '--heads', '4', '--epochs', '3', '--threads', '2', '--out', 'trained.nvx', '--onnx', 'refiner.onnx');
    writeFileSync(join(dir, 'queries.f32'), Buffer.from(queries.vectors.buffer));

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
      const batch = await index.searchNeural(qs, 10);
      let maxDiff = 0;
      let sameRankings = 0;
      qs.forEach((q, i) => {
        const core = index.search(q, 10, { mode: 'neural' });
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
