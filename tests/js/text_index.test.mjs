// neurovec/text in Node, on the committed catalogue sample (2,053 Debian
// packages): each search mode, feedback, durable files (create, sync, close,
// open, read-only), damaged files, bad input with typed errors and nothing
// lost, and an index written by the native CLI's core opening in wasm.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NeurovecError } from 'neurovec';
import { TextIndex } from 'neurovec/text';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const docs = readFileSync(join(ROOT, 'tests/fixtures/text/debian-sample.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const ids = docs.map((d) => d.name);
const texts = docs.map((d) => `${d.name} ${d.synopsis}. ${d.description}`);
const metadata = docs.map((d) => ({ synopsis: d.synopsis, section: d.section }));
const dir = mkdtempSync(join(tmpdir(), 'neurovec-text-'));
let index;

before(async () => {
  index = await TextIndex.create({ seed: 7 });
  let calls = 0;
  index.addBatch(ids, texts, { metadata, chunkSize: 500, onProgress: () => calls++ });
  assert.equal(calls, Math.ceil(docs.length / 500));
});
after(() => {
  index?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function code(fn, expected) {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof NeurovecError, `expected a NeurovecError, got ${error}`);
    assert.equal(error.code, expected, error.message);
    return error;
  }
  assert.fail(`expected ${expected}`);
}
async function codeAsync(fn, expected) {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof NeurovecError, `expected a NeurovecError, got ${error}`);
    assert.equal(error.code, expected, error.message);
    return error;
  }
  assert.fail(`expected ${expected}`);
}

test('every mode finds a package from its own synopsis, results carry metadata and scores best first', () => {
  assert.equal(index.size, docs.length);
  let found = { hybrid: 0, keyword: 0, semantic: 0 };
  const sample = docs.filter((_, i) => i % 40 === 0);
  for (const mode of Object.keys(found)) {
    for (const d of sample) {
      const hits = index.search(d.synopsis, 10, { mode });
      assert.ok(hits.length <= 10 && hits.length > 0);
      for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].score >= hits[i].score);
      if (hits.some((h) => h.id === d.name || h.metadata?.synopsis === d.synopsis)) found[mode]++;
      assert.equal(typeof hits[0].metadata.section, 'string');
    }
  }
  // Synopses are part of the documents: keyword and hybrid find nearly all.
  assert.ok(found.keyword >= 0.9 * sample.length, JSON.stringify(found));
  assert.ok(found.hybrid >= 0.9 * sample.length, JSON.stringify(found));
  assert.ok(found.semantic >= 0.5 * sample.length, JSON.stringify(found));
  const s = index.stats();
  assert.ok(s.lastSearch.encodeMs >= 0 && s.lastSearch.searchMs >= 0);
  assert.equal(s.documents, docs.length);
  assert.ok(s.terms > 1000 && s.postings > s.terms);
});

test('a filter applies in every mode', () => {
  for (const mode of ['hybrid', 'keyword', 'semantic']) {
    const hits = index.search('audio player', 10, { mode, filter: { section: 'sound' } });
    assert.ok(hits.length > 0, mode);
    for (const h of hits) assert.equal(h.metadata.section, 'sound');
  }
});

test('feedback moves a clicked package up for the same and similar queries, and can be switched off and cleared', () => {
  const q = 'play music from the terminal';
  const before = index.search(q, 10).map((h) => h.id);
  const target = before[7];
  index.feedback(q, { clicked: [target], shown: before });
  index.feedback(q, { clicked: [target], shown: before });
  const afterIds = index.search(q, 10).map((h) => h.id);
  assert.ok(afterIds.indexOf(target) < 7, `${target}: ${before.indexOf(target)} -> ${afterIds.indexOf(target)}`);
  const hit = index.search(q, 10).find((h) => h.id === target);
  assert.ok(hit.feedback > 0);
  assert.deepEqual(index.search(q, 10, { useFeedback: false }).map((h) => h.id), before);
  index.feedback(q, { rejected: [before[0]] });
  const rejectedAt = index.search(q, 10).map((h) => h.id).indexOf(before[0]);
  assert.ok(rejectedAt === -1 || rejectedAt > 0, `rejected ${before[0]} still first`);
  index.clearFeedback();
  assert.deepEqual(index.search(q, 10).map((h) => h.id), before);
  assert.equal(index.stats().feedbackEvents, 0);
});

test('bad input throws a typed error and changes nothing', () => {
  const size = index.size;
  code(() => index.add('x', ''), 'INVALID_ARGUMENT');
  code(() => index.add('x', '?!? ...'), 'INVALID_ARGUMENT');
  code(() => index.add('x', 42), 'INVALID_ARGUMENT');
  code(() => index.add('x', 'a'.repeat((1 << 20) + 1)), 'INVALID_ARGUMENT');
  code(() => index.add(ids[0], 'duplicate id'), 'ALREADY_EXISTS');
  code(() => index.addBatch(['new-1', 'new-2'], ['fine text', null]), 'INVALID_ARGUMENT');
  code(() => index.addBatch(['new-1', 'new-1'], ['a', 'b']), 'ALREADY_EXISTS');
  assert.equal(index.has('new-1'), false);
  assert.equal(index.size, size);
  code(() => index.search('', 10), 'INVALID_ARGUMENT');
  code(() => index.search('music', 10, { mode: 'fuzzy' }), 'INVALID_ARGUMENT');
  code(() => index.search('music', 0), 'INVALID_ARGUMENT');
  code(() => index.search('music', 10, { keywordWeight: 2 }), 'INVALID_ARGUMENT');
  code(() => index.search('music', 10, { filter: { section: { $near: 1 } } }), 'INVALID_ARGUMENT');
  code(() => index.feedback('music', { clicked: ['no-such-package'] }), 'NOT_FOUND');
  code(() => index.feedback('music', {}), 'INVALID_ARGUMENT');
  assert.equal(index.stats().feedbackEvents, 0);
});

test('add, delete and re-add one document', () => {
  index.add('zz-test', 'a zither tuning helper for zz players', { section: 'sound' });
  assert.equal(index.search('zither tuning', 1, { mode: 'keyword' })[0].id, 'zz-test');
  assert.equal(index.delete('zz-test'), true);
  assert.equal(index.delete('zz-test'), false);
  assert.notEqual(index.search('zither tuning', 1)[0]?.id, 'zz-test');
  index.add('zz-test', 'a zither tuning helper, again');
  assert.equal(index.search('zither', 1, { mode: 'keyword' })[0].id, 'zz-test');
  index.delete('zz-test');
});

test('durable: create, add, feedback, sync, close, open (writer and read-only) give the same results', async () => {
  const path = join(dir, 'docs.nvx');
  const d = await TextIndex.create({ storage: path, seed: 3 });
  d.addBatch(ids.slice(0, 600), texts.slice(0, 600), { metadata: metadata.slice(0, 600) });
  const q = 'graphics library';
  const shown = d.search(q, 5).map((h) => h.id);
  d.feedback(q, { clicked: [shown[4]], shown });
  const expected = d.search(q, 5).map((h) => h.id);
  await d.sync();
  await d.close();
  const ro = await TextIndex.open(path, { readOnly: true });
  // A read-only open leaves the encoder's weights in the file until a search needs them.
  assert.equal(ro.stats().encoderLoaded, false);
  assert.equal(ro.stats().encoderBytes, 0);
  assert.ok(ro.search(q, 5, { mode: 'keyword', useFeedback: false }).length > 0);
  assert.equal(ro.stats().encoderLoaded, false);
  assert.deepEqual(ro.search(q, 5).map((h) => h.id), expected);
  assert.equal(ro.stats().encoderLoaded, true);
  assert.ok(ro.stats().encoderBytes > 0);
  assert.equal(ro.stats().feedbackEvents, 1);
  assert.equal(ro.size, 600);
  await ro.close(); // read-only: close releases the file, it has nothing to write
  const rw = await TextIndex.open(path);
  rw.add('late-addition', 'a late addition about graphics libraries');
  await rw.close();
  const again = await TextIndex.open(path, { readOnly: true });
  assert.equal(again.has('late-addition'), true);
  assert.equal(again.size, 601);
  await again.close();
});

test('damaged files are refused as CORRUPT; a vector-only file is not a text index', async () => {
  const bytes = await index.toBytes();
  const copy = await TextIndex.fromBytes(bytes);
  assert.deepEqual(copy.search('web browser', 5).map((h) => h.id), index.search('web browser', 5).map((h) => h.id));
  copy.dispose();
  for (const frac of [0.3, 0.6, 0.9, 0.97]) {
    const bad = bytes.slice();
    bad[Math.floor(bad.length * frac)] ^= 0x40;
    const path = join(dir, `bad-${frac}.nvx`);
    writeFileSync(path, bad);
    await codeAsync(() => TextIndex.open(path), 'CORRUPT');
  }
  await codeAsync(() => TextIndex.fromBytes(bytes.subarray(0, bytes.length - 100)), 'CORRUPT');
  // Damage in the encoder's weights: a writable open refuses the file; a read-only
  // one (which leaves them in the file) answers keyword searches and refuses the rest.
  const encoderAt = Buffer.from(bytes).indexOf('NVTE');
  assert.ok(encoderAt > 0);
  const badEncoder = bytes.slice();
  badEncoder[encoderAt + 4096] ^= 0x40;
  const badPath = join(dir, 'bad-encoder.nvx');
  writeFileSync(badPath, badEncoder);
  await codeAsync(() => TextIndex.open(badPath), 'CORRUPT');
  const ro = await TextIndex.open(badPath, { readOnly: true });
  assert.ok(ro.search('web browser', 5, { mode: 'keyword' }).length > 0);
  code(() => ro.search('web browser', 5), 'CORRUPT');
  code(() => ro.loadEncoder(), 'CORRUPT');
  code(() => ro.encode('web browser'), 'CORRUPT');
  await ro.close();
  const { VectorIndex } = await import('neurovec');
  const plain = await VectorIndex.create({ dimensions: 4 });
  plain.add('a', [1, 2, 3, 4]);
  await codeAsync(async () => TextIndex.fromBytes(await plain.toBytes()), 'FAILED_PRECONDITION');
  plain.dispose();
});
