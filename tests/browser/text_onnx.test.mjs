// The text encoder's ONNX export in real Chromium (issue 11): `neurovec
// export-encoder` writes the shipped encoder as ONNX; in a page,
// neurovec/text's OnnxTextEncoder (JS feature hashing + onnxruntime-web's wasm
// backend, served from node_modules: nothing from a CDN) gives
// TextIndex.encode's vectors (the C++ core in wasm) within 1e-4.
// Needs the native CLI (npm test builds it first).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { launch, ROOT, serve } from './harness.mjs';

const CLI = join(ROOT, 'build', 'native', 'neurovec');

function texts() {
  const docs = readFileSync(join(ROOT, 'tests', 'fixtures', 'text', 'debian-sample.jsonl'), 'utf8').trim().split('\n')
    .map((line) => JSON.parse(line));
  const out = [];
  for (let i = 5; i < docs.length && out.length < 100; i += 20) out.push(`${docs[i].name} ${docs[i].synopsis}\n${docs[i].description}`);
  return out.concat(['', '!!!', 'Café crème — naïve', 'Привет мир', '日本語のテキスト', `${'y'.repeat(39)}élan`, 'lone \ud800 surrogate',
    'C++ 3.14 v1.2.3']);
}

test('OnnxTextEncoder in Chromium gives the core\'s text embeddings', { timeout: 240_000 }, async () => {
  assert.ok(existsSync(CLI), `the native CLI is missing at ${CLI}: run npm run build first`);
  // Under the served root, so the page can fetch the files.
  const dir = join(ROOT, 'build', 'browser-text-onnx-test');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync(CLI, ['export-encoder', '--encoder', join(ROOT, 'models', 'debian-encoder.nvenc'), '--onnx', join(dir, 'encoder.onnx')]);
  const server = await serve();
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const origin = `http://127.0.0.1:${server.address().port}`;
    await page.goto(`${origin}/tests/browser/blank.html`);
    const result = await page.evaluate(async ({ texts }) => {
      const { TextIndex, OnnxTextEncoder } = await import('/js/dist/text/index.browser.js');
      const ort = await import('/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs');
      const fetchBytes = async (path) => new Uint8Array(await (await fetch(path)).arrayBuffer());
      const index = await TextIndex.create({ encoder: await fetchBytes('/models/debian-encoder.nvenc') });
      const encoder = await OnnxTextEncoder.create(await fetchBytes('/build/browser-text-onnx-test/encoder.onnx'),
        { ort, wasmPaths: '/node_modules/onnxruntime-web/dist/', numThreads: 1 });
      await encoder.encode('warm up');
      let maxDiff = 0;
      let compared = 0;
      let zeros = 0;
      let ms = 0;
      for (const text of texts) {
        const core = index.encode(text);
        const t = performance.now();
        const onnx = await encoder.encode(text);
        ms += performance.now() - t;
        if (core === null) {
          if (onnx.every((v) => v === 0)) zeros++;
          continue;
        }
        for (let i = 0; i < core.length; i++) maxDiff = Math.max(maxDiff, Math.abs(core[i] - onnx[i]));
        compared++;
      }
      await encoder.dispose();
      index.dispose();
      return { maxDiff, compared, zeros, msPerEncode: ms / texts.length };
    }, { texts: texts() });
    console.log(`Chromium: OnnxTextEncoder vs core on ${result.compared} texts: max |diff| ${result.maxDiff.toExponential(2)}, ` +
      `${result.msPerEncode.toFixed(3)} ms per encode`);
    assert.ok(result.compared >= 100, `${result.compared} texts compared`);
    assert.equal(result.zeros, 2, 'the two texts without words encode to zeros');
    assert.ok(result.maxDiff < 1e-4, `ONNX Runtime Web vs core differ by ${result.maxDiff}`);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
