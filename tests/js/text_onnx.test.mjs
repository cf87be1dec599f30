// The text encoder in ONNX Runtime Web (issue 11): `neurovec export-encoder`
// writes the shipped encoder as ONNX; neurovec/text's JS feature code
// (textFeatures) gives the core's buckets byte for byte, and OnnxTextEncoder
// run by onnxruntime-web gives TextIndex.encode's vectors (the C++ core in
// wasm) within 1e-4, on real catalogue texts and on tricky ones (non-ASCII,
// words over 40 bytes cut inside a UTF-8 sequence, digits, punctuation only,
// empty, lone surrogates, a text past the 65536-feature cap).
// Needs the native CLI (build/native/neurovec), which `npm test` builds first.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { featureBucket, MAX_TEXT_FEATURES, OnnxTextEncoder, readOnnxMetadata, TextIndex, textFeatures, textWords } from 'neurovec/text';
import { getModule } from '../../js/dist/wasm_module.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'build', 'native', 'neurovec');
const ENCODER = join(ROOT, 'models', 'debian-encoder.nvenc');
const TOLERANCE = 1e-4;
const utf8 = new TextEncoder();

// ~200 real texts from the committed catalogue sample (every 10th package:
// name, synopsis and description, as documents are indexed; synopses alone,
// as queries look), then the tricky ones.
function corpusTexts() {
  const docs = readFileSync(join(ROOT, 'tests', 'fixtures', 'text', 'debian-sample.jsonl'), 'utf8').trim().split('\n')
    .map((line) => JSON.parse(line));
  const texts = [];
  for (let i = 0; i < docs.length && texts.length < 200; i += 10) {
    const d = docs[i];
    texts.push(i % 20 === 0 ? `${d.name} ${d.synopsis}\n${d.description}` : d.synopsis);
  }
  // Every catalogue text with non-ASCII characters, up to 20 more.
  texts.push(...docs.map((d) => `${d.synopsis} ${d.description}`).filter((t) => /[^\x00-\x7f]/.test(t)).slice(0, 20));
  return texts;
}

const TRICKY = [
  '', ' ', '!!! ... ??? --- ///', '\t\n\r', '42', '3.14159 2026-12-04 0x1F 1e-9 v1.2.3',
  'Café crème brûlée — naïve façade', 'ÉCOLE École école', 'Привет мир, ПРИВЕТ', '日本語のテキスト検索', '🙂 emoji 👍🏽 test',
  'Straße STRASSE straße', 'a', 'A B C', 'x'.repeat(41), 'x'.repeat(200),
  // Over 40 bytes with the cut inside a multi-byte sequence (39 ASCII + 'é', 38 + '日', 37 + emoji).
  `${'y'.repeat(39)}élan`, `${'z'.repeat(38)}日本`, `${'w'.repeat(37)}🙂🙂`, 'é'.repeat(30), '日'.repeat(20),
  'lone \ud800 surrogate \udfff here', 'MiXeD CaSe WoRdS and_under_scores', 'C++ c# .NET node.js i18n',
  'tab\tseparated\tvalues and\u00a0nbsp', 'ß', '\u0301 combining', 'ＦＵＬＬＷＩＤＴＨ ｗｉｄｅ',
  // Past the 65536-feature cap (about 14 features per 5-letter word).
  Array.from({ length: 6000 }, (_, i) => `w${(i * 7919) % 100000}x`).join(' '),
];

function maxAbsDiff(a, b) {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('text encoder: ONNX export and ONNX Runtime Web agree with the core', () => {
  let dir;
  let model;
  let batchedModel;
  let index;
  let mod;
  let config;
  const texts = [...corpusTexts(), ...TRICKY];

  // The core's buckets of a text (nv_text_features, the wasm build of text_features.cc).
  function coreBuckets(text) {
    const body = utf8.encode(text);
    const capacity = MAX_TEXT_FEATURES;
    const ptr = mod._malloc(body.length + 1 + capacity * 4);
    try {
      const out = (ptr + body.length + 4) & ~3;
      mod.HEAPU8.set(body, ptr);
      const n = mod._nv_text_features(ptr, body.length, config.log2Buckets, config.minN, config.maxN,
        (config.words ? 1 : 0) | (config.bigrams ? 2 : 0), out, capacity);
      assert.ok(n >= 0, 'nv_text_features failed');
      return mod.HEAPU32.slice(out >>> 2, (out >>> 2) + Math.min(n, capacity));
    } finally {
      mod._free(ptr);
    }
  }

  before(async () => {
    assert.ok(existsSync(CLI), `the native CLI is missing at ${CLI}: run npm run build first`);
    dir = mkdtempSync(join(tmpdir(), 'neurovec-text-onnx-'));
    const log = execFileSync(CLI, ['export-encoder', '--encoder', ENCODER, '--onnx', join(dir, 'encoder.onnx')], { encoding: 'utf8' });
    assert.match(log, /passes onnx::checker/);
    execFileSync(CLI, ['export-encoder', '--encoder', ENCODER, '--onnx', join(dir, 'batched.onnx'), '--batched'], { encoding: 'utf8' });
    model = new Uint8Array(readFileSync(join(dir, 'encoder.onnx')));
    batchedModel = new Uint8Array(readFileSync(join(dir, 'batched.onnx')));
    const weights = new Uint8Array(readFileSync(ENCODER));
    const header = new DataView(weights.buffer, weights.byteOffset, 32);
    config = { log2Buckets: header.getUint32(8, true), minN: header.getUint32(16, true), maxN: header.getUint32(20, true),
      words: (header.getUint32(24, true) & 1) !== 0, bigrams: (header.getUint32(24, true) & 2) !== 0 };
    index = await TextIndex.create({ encoder: weights });
    mod = await getModule();
    assert.equal(typeof mod._nv_text_features, 'function', 'the wasm module lacks nv_text_features: rebuild it (npm run build)');
  });

  after(() => {
    index?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the exported model declares the encoder\'s feature layout; int8 weights keep it near the .nvenc size', () => {
    const meta = readOnnxMetadata(model);
    assert.equal(meta.get('neurovec.kind'), 'text-encoder');
    assert.equal(Number(meta.get('neurovec.log2_buckets')), config.log2Buckets);
    assert.equal(Number(meta.get('neurovec.min_n')), config.minN);
    assert.equal(Number(meta.get('neurovec.max_n')), config.maxN);
    assert.equal(meta.get('neurovec.words'), config.words ? '1' : '0');
    assert.equal(meta.get('neurovec.bigrams'), config.bigrams ? '1' : '0');
    assert.equal(meta.get('neurovec.batched'), '0');
    assert.equal(readOnnxMetadata(batchedModel).get('neurovec.batched'), '1');
    const size = statSync(join(dir, 'encoder.onnx')).size;
    assert.ok(size < statSync(ENCODER).size + 65536, `ONNX file ${size} bytes, .nvenc ${statSync(ENCODER).size}`);
  });

  test('JS feature buckets equal the core\'s, text by text', () => {
    let total = 0;
    for (const text of texts) {
      const js = textFeatures(text, config);
      const core = coreBuckets(text);
      assert.deepEqual(Array.from(js), Array.from(core), `buckets differ for ${JSON.stringify(text.slice(0, 60))}`);
      total += js.length;
    }
    assert.equal(textFeatures(TRICKY.at(-1), config).length, MAX_TEXT_FEATURES, 'the long text hits the feature cap');
    assert.equal(textFeatures('', config).length, 0);
    assert.equal(textFeatures('!!! ...', config).length, 0);
    // Words: ASCII lower-cased only, cut to 40 bytes at a UTF-8 boundary.
    assert.deepEqual(textWords('ÉCOLE École école C++'), ['École', 'École', 'école', 'c']);
    assert.deepEqual(textWords(`${'y'.repeat(39)}élan`), ['y'.repeat(39)]);
    assert.deepEqual(textWords(`${'w'.repeat(37)}🙂🙂`), ['w'.repeat(37)]);
    // Same bytes, same bucket, whatever the input form.
    assert.equal(featureBucket('w', 'café', 17), featureBucket('w', utf8.encode('café'), 17));
    console.log(`JS features = core features on ${texts.length} texts (${total} buckets)`);
  });

  test('OnnxTextEncoder (onnxruntime-web) gives TextIndex.encode\'s vectors, max |diff| < 1e-4', async () => {
    const encoder = await OnnxTextEncoder.create(model, { ort });
    try {
      assert.equal(encoder.dimensions, index.stats().dimensions);
      assert.equal(encoder.batched, false);
      assert.deepEqual({ ...encoder.features }, config);
      await encoder.encode('warm up');
      let maxDiff = 0;
      let compared = 0;
      const encodeMs = [];
      const featureMs = [];
      for (const text of texts) {
        const core = index.encode(text);
        let t = performance.now();
        const buckets = encoder.buckets(text);
        featureMs.push(performance.now() - t);
        t = performance.now();
        const onnx = await encoder.encode(text);
        encodeMs.push(performance.now() - t);
        assert.equal(onnx.length, encoder.dimensions);
        if (core === null) {
          assert.equal(buckets.length, 0, `the core found no word in ${JSON.stringify(text)} but JS did`);
          assert.ok(onnx.every((v) => v === 0), `no-word text ${JSON.stringify(text)} must encode to zeros`);
          continue;
        }
        const diff = maxAbsDiff(onnx, core);
        assert.ok(diff < TOLERANCE, `${JSON.stringify(text.slice(0, 60))}: ONNX vs core differ by ${diff}`);
        maxDiff = Math.max(maxDiff, diff);
        compared++;
      }
      assert.ok(compared >= 200, `${compared} texts compared`);
      const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
      const t = performance.now();
      await encoder.encode(TRICKY.at(-1)); // again: ORT's wasm memory has grown to this size
      const longMs = performance.now() - t;
      const real = corpusTexts().length;
      console.log(`ONNX Runtime Web vs core (wasm) on ${compared} texts (+${texts.length - compared} without words): ` +
        `max |diff| ${maxDiff.toExponential(2)}; catalogue texts: median encode() ${median(encodeMs.slice(0, real)).toFixed(3)} ms ` +
        `(JS features ${median(featureMs.slice(0, real)).toFixed(3)} ms); the ${MAX_TEXT_FEATURES}-feature text ` +
        `${longMs.toFixed(1)} ms (first run ${encodeMs.at(-1).toFixed(1)} ms; features ${featureMs.at(-1).toFixed(1)} ms)`);
    } finally {
      await encoder.dispose();
    }
  });

  test('the batched export encodes a padded batch in one run, as the single model', async () => {
    const single = await OnnxTextEncoder.create(model, { ort });
    const batched = await OnnxTextEncoder.create(batchedModel, { ort });
    try {
      assert.equal(batched.batched, true);
      const some = texts.slice(0, 64).concat(['', '!!!', 'Café 日本語']);
      let t = performance.now();
      const out = await batched.encodeBatch(some);
      const firstMs = performance.now() - t;
      t = performance.now();
      await batched.encodeBatch(some); // again: ORT's wasm memory has grown to this size
      const ms = performance.now() - t;
      assert.equal(out.length, some.length);
      let maxDiff = 0;
      for (let i = 0; i < some.length; i++) {
        maxDiff = Math.max(maxDiff, maxAbsDiff(out[i], await single.encode(some[i])));
        const core = index.encode(some[i]);
        if (core) maxDiff = Math.max(maxDiff, maxAbsDiff(out[i], core));
      }
      assert.ok(maxDiff < TOLERANCE, `batched vs single/core differ by ${maxDiff}`);
      assert.deepEqual(await batched.encodeBatch([]), []);
      const longest = Math.max(...some.map((x) => batched.buckets(x).length));
      console.log(`batched model: ${some.length} texts (padded to ${longest} features) in one run ${ms.toFixed(1)} ms ` +
        `(first run ${firstMs.toFixed(1)} ms), ` +
        `max |diff| ${maxDiff.toExponential(2)}`);
    } finally {
      await single.dispose();
      await batched.dispose();
    }
  });

  test('wrong models and missing runtimes get clear errors', async () => {
    await assert.rejects(OnnxTextEncoder.create(model, {}), (e) => e.code === 'INVALID_ARGUMENT' && /options\.ort/.test(e.message));
    await assert.rejects(OnnxTextEncoder.create(new Uint8Array(0), { ort }), (e) => e.code === 'INVALID_ARGUMENT');
    await assert.rejects(OnnxTextEncoder.create(new Uint8Array([1, 2, 3, 4, 5]), { ort }), (e) => e.code === 'INVALID_ARGUMENT');
    // The project's refiner model: ONNX, but not a text encoder.
    const refiner = new Uint8Array(readFileSync(join(ROOT, 'models', 'refiner.onnx')));
    await assert.rejects(OnnxTextEncoder.create(refiner, { ort }), (e) => e.code === 'INVALID_ARGUMENT' && /text encoder/.test(e.message));
    const encoder = await OnnxTextEncoder.create(model, { ort });
    await encoder.dispose();
    await assert.rejects(encoder.encode('after dispose'), (e) => e.code === 'DISPOSED');
  });
});
