// WorkerTextIndex (neurovec/worker) in real Chromium: a durable text index in
// OPFS, run in a dedicated Worker (the only place OPFS sync handles exist), as
// the demo's data is: documents in batches with progress, the three modes,
// feedback that survives close and reopen, errors with their codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blankPage, launch, ROOT, serve } from './harness.mjs';

const docs = readFileSync(join(ROOT, 'tests', 'fixtures', 'text', 'debian-sample.jsonl'), 'utf8')
  .split('\n').filter((l) => l.trim()).slice(0, 400).map((l) => JSON.parse(l))
  .map((p) => ({ id: p.name, text: `${p.name} ${p.synopsis}. ${p.description}`, metadata: { section: p.section } }));

let server;
let browser;
test.before(async () => {
  server = await serve();
  browser = await launch();
});
test.after(async () => {
  await browser?.close();
  server?.close();
});

test('WorkerTextIndex: a durable text index in OPFS, in a Worker', async () => {
  const context = await browser.newContext();
  try {
    const { page, errors } = await blankPage(context, server);
    const out = await page.evaluate(async (docs) => {
      const { WorkerTextIndex } = await import('/js/dist/worker/client.js');
      const code = async (promise) => {
        try {
          await promise;
          return 'ok';
        } catch (e) {
          return `${e.name}:${e.code}`;
        }
      };
      const target = { opfs: 'worker-text.nvx' };
      const index = await WorkerTextIndex.create({ storage: target, seed: 7 });
      const progress = [];
      await index.addBatch(docs.map((d) => d.id), docs.map((d) => d.text), {
        metadata: docs.map((d) => d.metadata), chunkSize: 100, onProgress: (p) => progress.push(p.done),
      });
      const query = docs[3].text.split('. ')[0];
      const modes = {};
      for (const mode of ['hybrid', 'semantic', 'keyword']) modes[mode] = (await index.search(query, 5, { mode })).map((r) => r.id);
      const before = (await index.search('music player', 10)).map((r) => r.id);
      const target5 = before[5];
      await index.feedback('music player', { clicked: [target5], shown: before });
      const after = (await index.search('music player', 10)).map((r) => r.id);
      const unlearned = (await index.search('music player', 10, { useFeedback: false })).map((r) => r.id);
      const vector = await index.encode('music player');
      const stats = await index.stats();
      const badQuery = await code(index.search('  ', 5));
      const badFeedback = await code(index.feedback('music', { clicked: [] }));
      await index.close();
      const closed = await code(index.search('music', 5));
      const again = await WorkerTextIndex.open(target);
      const reopened = (await again.search('music player', 10)).map((r) => r.id);
      const size = await again.size();
      const events = (await again.stats()).feedbackEvents;
      const bytes = await again.toBytes();
      await again.close();
      const copy = await WorkerTextIndex.fromBytes(bytes);
      const fromBytes = (await copy.search('music player', 10)).map((r) => r.id);
      await copy.dispose();
      return { progress, modes, first: docs[3].id, before, target5, after, unlearned, dims: vector?.length, documents: stats.documents,
        badQuery, badFeedback, closed, reopened, size, events, fromBytes };
    }, docs);
    assert.deepEqual(out.progress, [100, 200, 300, 400]);
    assert.equal(out.documents, 400);
    assert.equal(out.modes.keyword[0], out.first, 'its own synopsis finds a package by keywords');
    assert.ok(out.modes.hybrid.slice(0, 3).includes(out.first), `hybrid: ${out.modes.hybrid.join(' ')}`);
    assert.equal(out.modes.semantic.length, 5);
    assert.ok(out.after.indexOf(out.target5) < 5, `the clicked result moves up: ${out.after.join(' ')}`);
    assert.deepEqual(out.unlearned, out.before);
    assert.equal(out.dims, 64);
    assert.equal(out.badQuery, 'NeurovecError:INVALID_ARGUMENT');
    assert.equal(out.badFeedback, 'NeurovecError:INVALID_ARGUMENT');
    assert.equal(out.closed, 'NeurovecError:DISPOSED');
    assert.equal(out.size, 400);
    assert.equal(out.events, 1, 'the feedback was in the file');
    assert.deepEqual(out.reopened, out.after);
    assert.deepEqual(out.fromBytes, out.after);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
