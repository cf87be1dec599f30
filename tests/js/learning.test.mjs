// The index learns through the public JS API, in wasm (issue 5): feedback(),
// train() with progress and AbortSignal, the search modes, the learned
// parameters through toBytes()/fromBytes(), and validation messages.
//
// Data: 8 classes that show only in 4 low-variance dimensions, hidden under
// larger noise in 28 others, so L2 neighbours are often of another class and
// feedback can teach the refiner which dimensions matter.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NeurovecError, VectorIndex } from 'neurovec';
import { assertNeurovecError, gaussian, rng } from './helpers.mjs';

const D = 32;
const SIGNAL = 4;
const CLASSES = 8;

function labeled(n, seed) {
  const centresRandom = rng(1234);
  const centres = Array.from({ length: CLASSES * SIGNAL }, () => 2 * gaussian(centresRandom));
  const random = rng(seed);
  const vectors = new Float32Array(n * D);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = Math.floor(random() * CLASSES);
    labels[i] = label;
    for (let j = 0; j < D; j++) {
      vectors[i * D + j] = j < SIGNAL ? centres[label * SIGNAL + j] + 0.5 * gaussian(random) : 1.5 * gaussian(random);
    }
  }
  return { vectors, labels };
}

const LEARNING = { candidates: 40, hiddenDim: 32, heads: 4, batchSize: 16 };
const base = labeled(2000, 7);
const queries = labeled(500, 99);
const q = (i) => queries.vectors.subarray(i * D, (i + 1) * D);

async function makeIndex(learning = LEARNING) {
  const index = await VectorIndex.create({ dimensions: D, metric: 'l2', learning });
  index.addBatch(Array.from({ length: 2000 }, (_, i) => i), base.vectors);
  return index;
}

function giveFeedback(index, from, to) {
  for (let i = from; i < to; i++) {
    const shown = index.search(q(i), LEARNING.candidates);
    const positive = shown.filter((r) => base.labels[r.id] === queries.labels[i]).map((r) => r.id);
    const negative = shown.filter((r) => base.labels[r.id] !== queries.labels[i]).map((r) => r.id);
    if (positive.length) index.feedback(q(i), { positive, negative });
  }
}

function precision(index, mode, from, to) {
  let hits = 0;
  for (let i = from; i < to; i++) {
    for (const r of index.search(q(i), 10, { mode })) hits += base.labels[r.id] === queries.labels[i];
  }
  return hits / (10 * (to - from));
}

describe('learning', () => {
  test('feedback + train improves precision@10 of neural mode over vector mode', async () => {
    const index = await makeIndex();
    giveFeedback(index, 0, 300);
    const vectorP = precision(index, 'vector', 400, 500);
    const seen = [];
    const done = await index.train({ epochs: 8, onProgress: (p) => seen.push(p) });
    assert.equal(done.epoch, 8);
    assert.equal(seen.length, done.batchesTotal);
    assert.ok(seen.every((p, i) => p.batchesDone === i + 1 && Number.isFinite(p.loss)));
    const neuralP = precision(index, 'neural', 400, 500);
    console.log(`held-out precision@10: vector ${vectorP.toFixed(3)}, neural ${neuralP.toFixed(3)}`);
    assert.ok(neuralP > vectorP + 0.1, `neural ${neuralP} vs vector ${vectorP}`);
    // Neural results carry scores in descending order; existing options still work.
    const r = index.search(q(401), 5, { mode: 'neural', ef: 80 });
    assert.equal(r.length, 5);
    for (let i = 1; i < r.length; i++) assert.ok(r[i - 1].score >= r[i].score);
    assert.equal(index.search(q(401), 5)[0].score, undefined);
    index.dispose();
  });

  test('toBytes/fromBytes keeps neural results identical; stats().learning says where learning stands', async () => {
    const index = await makeIndex();
    assert.deepEqual(index.stats().learning,
      { configured: true, active: false, trained: false, training: false, pendingFeedback: 0, onlineSteps: 0, ewcAnchors: 0, insertSteps: 0, insertedExamples: 0, learnedLinks: 0, memoryEvents: 0 });
    giveFeedback(index, 0, 100);
    const pending = index.stats().learning;
    assert.equal(pending.active, true);
    assert.equal(pending.trained, false);
    assert.ok(pending.pendingFeedback > 50 && pending.pendingFeedback <= 100, `${pending.pendingFeedback} events`);
    let during;
    await index.train({ epochs: 2, onProgress: () => { during ??= index.stats().learning.training; } });
    assert.equal(during, true);
    assert.deepEqual(index.stats().learning,
      { configured: true, active: true, trained: true, training: false, pendingFeedback: 0, onlineSteps: 0, ewcAnchors: 0, insertSteps: 0, insertedExamples: 0, learnedLinks: 0, memoryEvents: 0 });
    const bytes = await index.toBytes();
    const copy = await VectorIndex.fromBytes(bytes);
    assert.equal(copy.stats().learning.trained, true, 'a model read from the file');
    for (let i = 400; i < 420; i++) {
      const a = index.search(q(i), 10, { mode: 'neural' });
      const b = copy.search(q(i), 10, { mode: 'neural' });
      assert.deepEqual(b, a);
    }
    assert.deepEqual(await copy.toBytes(), bytes);
    index.dispose();
    copy.dispose();
  });

  test('subgraph and differentiable modes', async () => {
    const index = await makeIndex();
    giveFeedback(index, 0, 100);
    await index.train({ epochs: 2 });
    const neural = index.search(q(450), 10, { mode: 'neural' });
    const sub = index.search(q(450), 10, { mode: 'subgraph' });
    assert.deepEqual(sub.results, neural);
    assert.deepEqual(sub.nodes, neural.map((r) => r.id));
    assert.ok(sub.edges.length > 0);
    const ids = new Set(sub.nodes);
    for (const e of sub.edges) {
      assert.ok(ids.has(e.source) && ids.has(e.target));
      assert.ok(e.weight > 0 && e.weight <= 1);
    }
    const diff = index.search(q(450), 10, { mode: 'differentiable', temperature: 0.05 });
    assert.equal(diff.candidates.length, LEARNING.candidates);
    assert.equal(diff.softVector.length, D);
    const sum = diff.candidates.reduce((s, c) => s + c.weight, 0);
    assert.ok(Math.abs(sum - 1) < 1e-5);
    const soft = new Float64Array(D);
    for (const c of diff.candidates) {
      const v = index.get(c.id).vector;
      for (let j = 0; j < D; j++) soft[j] += c.weight * v[j];
    }
    for (let j = 0; j < D; j++) assert.ok(Math.abs(soft[j] - diff.softVector[j]) < 1e-3);
    index.dispose();
  });

  test('train yields to the event loop and an AbortSignal aborts with ABORTED, model unchanged', async () => {
    const index = await makeIndex();
    giveFeedback(index, 0, 100);
    await index.train({ epochs: 1 });
    const before = index.search(q(410), 10, { mode: 'neural' });
    giveFeedback(index, 100, 200);
    const controller = new AbortController();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    let steps = 0;
    const training = index.train({
      epochs: 50,
      onProgress: () => {
        if (++steps === 5) setTimeout(() => controller.abort(), 0);
      },
      signal: controller.signal,
    });
    await assert.rejects(training, (e) => e instanceof NeurovecError && e.code === 'ABORTED' && /aborted/.test(e.message));
    clearInterval(timer);
    assert.ok(ticks > 0, 'a timer ran during training');
    assert.ok(steps >= 5 && steps < 50 * 7);
    assert.deepEqual(index.search(q(410), 10, { mode: 'neural' }), before);
    // Already aborted: rejects at once.
    await assert.rejects(index.train({ signal: AbortSignal.abort() }), (e) => e.code === 'ABORTED');
    // The feedback is still there.
    await index.train({ epochs: 1 });
    index.dispose();
  });

  test('EWC and replay options: training twice works', async () => {
    const index = await makeIndex({ ...LEARNING, ewc: { lambda: 100 }, replay: { capacity: 256, perBatch: 4 } });
    giveFeedback(index, 0, 150);
    await index.train({ epochs: 3 });
    giveFeedback(index, 150, 300);
    await index.train({ epochs: 3 });
    assert.ok(precision(index, 'neural', 400, 450) > precision(index, 'vector', 400, 450));
    index.dispose();
  });

  test('onlineSteps: sparse clicks teach the neural mode with no train() call', async () => {
    const index = await makeIndex({ ...LEARNING, onlineSteps: 2 });
    const vectorP = precision(index, 'vector', 400, 500);
    // A user clicks the first one or two results of the query's class among 10.
    let events = 0;
    for (let i = 0; i < 300; i++) {
      const shown = index.search(q(i), 10).map((r) => r.id);
      const clicked = shown.filter((id) => base.labels[id] === queries.labels[i]).slice(0, 1 + (i % 2));
      if (clicked.length) index.feedback(q(i), { clicked, shown }), events++;
    }
    const learned = index.stats().learning;
    assert.equal(learned.trained, true, 'learned with no train() call');
    assert.equal(learned.onlineSteps, 2 * events, 'two steps per event');
    assert.equal(learned.pendingFeedback, 0, 'each event was learned at once');
    const neuralP = precision(index, 'neural', 400, 500);
    console.log(`held-out precision@10 after 300 sparse clicks, online: vector ${vectorP.toFixed(3)}, neural ${neuralP.toFixed(3)}`);
    assert.ok(neuralP > vectorP + 0.05, `neural ${neuralP} vs vector ${vectorP}`);
    const copy = await VectorIndex.fromBytes(await index.toBytes());
    assert.deepEqual(copy.search(q(450), 10, { mode: 'neural' }), index.search(q(450), 10, { mode: 'neural' }));
    // Ids shown earlier and deleted since are skipped; an unknown rejected id is an error.
    index.delete(0);
    index.feedback(q(0), { clicked: [1], shown: [0, 2, 1] });
    assertNeurovecError(() => index.feedback(q(0), { clicked: [1], rejected: [0] }), 'NOT_FOUND', /feedback.rejected\[0\]/);
    await assert.rejects(VectorIndex.create({ dimensions: D, learning: { onlineSteps: 65 } }),
      (e) => e.code === 'INVALID_ARGUMENT' && /onlineSteps/.test(e.message));
    assert.equal(learned.ewcAnchors, 0, 'no EWC asked for');
    copy.dispose();
    index.dispose();
    // With EWC, learning online anchors every 128 events.
    const guarded = await makeIndex({ ...LEARNING, onlineSteps: 1, ewc: { lambda: 10 } });
    let guardedEvents = 0;
    for (let i = 0; i < 300; i++) {
      const shown = guarded.search(q(i), 10).map((r) => r.id);
      const clicked = shown.filter((id) => base.labels[id] === queries.labels[i]).slice(0, 1);
      if (clicked.length) guarded.feedback(q(i), { clicked, shown }), guardedEvents++;
    }
    assert.equal(guarded.stats().learning.ewcAnchors, Math.floor(guardedEvents / 128), `${guardedEvents} events`);
    assert.ok(precision(guarded, 'neural', 400, 500) > vectorP, 'still learns');
    guarded.dispose();
  });

  test('randomNegatives: clicks with no negatives at all still teach', async () => {
    const index = await makeIndex({ ...LEARNING, randomNegatives: 16 });
    for (let i = 0; i < 300; i++) {
      const shown = index.search(q(i), 10).map((r) => r.id);
      const clicked = shown.filter((id) => base.labels[id] === queries.labels[i]).slice(0, 1);
      if (clicked.length) index.feedback(q(i), { clicked, shown, implicit: 'none' });
    }
    await index.train({ epochs: 12 });
    const vectorP = precision(index, 'vector', 400, 500);
    const neuralP = precision(index, 'neural', 400, 500);
    assert.ok(neuralP > vectorP + 0.05, `neural ${neuralP} vs vector ${vectorP}`);
    await assert.rejects(VectorIndex.create({ dimensions: D, learning: { randomNegatives: 1025 } }),
      (e) => e.code === 'INVALID_ARGUMENT' && /randomNegatives/.test(e.message));
    index.dispose();
  });

  test('edgeLearningRate: per-link weights are learned, travel in the file, and are validated', async () => {
    const index = await makeIndex({ ...LEARNING, edgeLearningRate: 0.5 });
    giveFeedback(index, 0, 200);
    await index.train({ epochs: 2 });
    const learnedLinks = index.stats().learning.learnedLinks;
    assert.ok(learnedLinks > 100, `${learnedLinks} links learned`);
    const bytes = await index.toBytes();
    const copy = await VectorIndex.fromBytes(bytes);
    assert.equal(copy.stats().learning.learnedLinks, learnedLinks);
    for (let i = 400; i < 420; i++) {
      assert.deepEqual(copy.search(q(i), 10, { mode: 'neural' }), index.search(q(i), 10, { mode: 'neural' }));
    }
    assert.deepEqual(await copy.toBytes(), bytes);
    for (const bad of [-0.1, 11, Number.NaN, '0.5']) {
      await assert.rejects(VectorIndex.create({ dimensions: D, learning: { edgeLearningRate: bad } }),
        (e) => e.code === 'INVALID_ARGUMENT' && /edgeLearningRate/.test(e.message), String(bad));
    }
    copy.dispose();
    index.dispose();
  });

  test('memoryCapacity: the click memory serves neural mode from clicks with no train(), travels in the file, and is validated', async () => {
    const index = await makeIndex({ ...LEARNING, memoryCapacity: 1000 });
    // Users come back with near copies of earlier queries; on this data only
    // the nearest past queries share a class, so the memory is read narrowly.
    const memory = { neighbours: 3, minSimilarity: 0.9, minEvents: 0 };  // ~290 events: read from the first
    const noise = rng(5);
    const again = (i) => Float32Array.from(q(i), (x) => x + 0.05 * gaussian(noise));
    const returning = Array.from({ length: 100 }, (_, j) => again(200 + j));
    const precisionOf = (search) => {
      let hits = 0;
      returning.forEach((v, j) => {
        for (const r of search(v)) hits += base.labels[r.id] === queries.labels[200 + j];
      });
      return hits / 1000;
    };
    const plain = (v) => index.search(v, 10).map((r) => ({ ...r, score: -r.distance }));
    assert.deepEqual(index.search(returning[0], 10, { mode: 'neural', memory }), plain(returning[0]), 'nothing near: searched as it is');
    for (let i = 0; i < 300; i++) {
      const shown = index.search(q(i), 10).map((r) => r.id);
      const clicked = shown.filter((id) => base.labels[id] === queries.labels[i]).slice(0, 1 + (i % 2));
      if (clicked.length) index.feedback(q(i), { clicked, shown });  // skipped results above the click: implicit
    }
    const events = index.stats().learning.memoryEvents;
    assert.ok(events > 250 && !index.stats().learning.trained, `${events} events`);
    const vectorP = precisionOf((v) => index.search(v, 10));
    const memoryP = precisionOf((v) => index.search(v, 10, { mode: 'neural', memory }));
    console.log(`returning queries, precision@10: vector ${vectorP.toFixed(3)}, click memory ${memoryP.toFixed(3)}`);
    assert.ok(memoryP > vectorP + 0.05, `${memoryP} vs ${vectorP}`);
    const bytes = await index.toBytes();
    const copy = await VectorIndex.fromBytes(bytes);
    assert.equal(copy.stats().learning.memoryEvents, events);
    for (const v of returning.slice(0, 20)) {
      assert.deepEqual(copy.search(v, 10, { mode: 'neural', memory }), index.search(v, 10, { mode: 'neural', memory }));
    }
    assert.deepEqual(await copy.toBytes(), bytes);
    assert.deepEqual(index.search(returning[0], 10, { mode: 'neural', memory: false }), plain(returning[0]));
    assert.deepEqual(index.search(returning[0], 10, { mode: 'neural', memory: { ...memory, minEvents: 500 } }), plain(returning[0]),
      'fewer events than minEvents: not read');
    assert.notDeepEqual(index.search(returning[0], 10, { mode: 'neural', memory }), plain(returning[0]));
    for (const [bad, pattern] of [[{ neighbours: 0 }, /neighbours/], [{ strength: -1 }, /strength/], [{ rejectWeight: Number.NaN }, /rejectWeight/],
      [{ minSimilarity: 2 }, /minSimilarity/], [{ minEvents: -1 }, /minEvents/], [{ scan: 1.5 }, /memory\.scan/],
      [{ scan: 2000 }, /memory\.scan/], [{ halfLife: -1 }, /halfLife/], [{ nearest: 3 }, /unknown memory option/],
      ['many', /memory must be/]]) {
      assert.throws(() => index.search(returning[0], 10, { mode: 'neural', memory: bad }),
        (e) => e.code === 'INVALID_ARGUMENT' && pattern.test(e.message), JSON.stringify(bad));
    }
    assert.throws(() => index.search(returning[0], 10, { memory }), (e) => e.code === 'INVALID_ARGUMENT' && /learned modes/.test(e.message));
    for (const bad of [-1, 1.5, 2 ** 20 + 1]) {
      await assert.rejects(VectorIndex.create({ dimensions: D, learning: { memoryCapacity: bad } }),
        (e) => e.code === 'INVALID_ARGUMENT' && /memoryCapacity/.test(e.message), String(bad));
    }
    copy.dispose();
    index.dispose();
  });

  test('hops 0: a learned metric without message passing (the GNN\'s baseline)', async () => {
    const index = await makeIndex({ ...LEARNING, hops: 0 });
    giveFeedback(index, 0, 300);
    await index.train({ epochs: 8 });
    assert.ok(precision(index, 'neural', 400, 500) > precision(index, 'vector', 400, 500) + 0.05);
    index.dispose();
  });

  test('onInsert: items added once a model exists are learned from, in batches, and the option round-trips', async () => {
    const learning = { ...LEARNING, onInsert: 2, randomNegatives: 8 };
    const index = await VectorIndex.create({ dimensions: D, metric: 'l2', learning });
    index.addBatch(Array.from({ length: 1200 }, (_, i) => i), base.vectors.subarray(0, 1200 * D));
    assert.equal(index.stats().learning.active, false, 'no model: adding learns nothing and makes no learner');
    giveFeedback(index, 0, 150);
    await index.train({ epochs: 3 });
    const vectorP = precision(index, 'vector', 400, 500);
    const before = index.search(q(450), 10, { mode: 'neural' });
    index.addBatch(Array.from({ length: 600 }, (_, i) => 1200 + i), base.vectors.subarray(1200 * D, 1800 * D));
    for (let i = 1800; i < 1820; i++) index.add(i, base.vectors.subarray(i * D, (i + 1) * D));
    const s = index.stats().learning;
    // 620 items in batches of 16: 38 batches (12 wait), 2 steps each.
    assert.equal(s.insertSteps, 76);
    assert.equal(s.insertedExamples, 38 * 16);
    const after = index.search(q(450), 10, { mode: 'neural' });
    assert.notDeepEqual(after.map((r) => r.score), before.map((r) => r.score), 'the model moved');
    const afterP = precision(index, 'neural', 400, 500);
    console.log(`held-out precision@10: vector ${vectorP.toFixed(3)}, neural after 620 inserts learned from ${afterP.toFixed(3)}`);
    assert.ok(afterP > vectorP + 0.05, `what feedback taught survives (replay): ${afterP} vs vector ${vectorP}`);
    const copy = await VectorIndex.fromBytes(await index.toBytes());
    assert.deepEqual(copy.search(q(450), 10, { mode: 'neural' }), after);
    copy.add(5000, base.vectors.subarray(1820 * D, 1821 * D));
    assert.equal(copy.stats().learning.insertedExamples, 0, 'the reopened index learns on insert too (its first batch waits)');
    for (let i = 1821; i < 1836; i++) copy.add(5000 + i, base.vectors.subarray(i * D, (i + 1) * D));
    assert.equal(copy.stats().learning.insertedExamples, 16);
    index.dispose();
    copy.dispose();
  });

  test('expand: the learned walk returns relevant items beyond the candidates', async () => {
    const index = await makeIndex({ ...LEARNING, hops: 0, candidates: 10 });
    giveFeedback(index, 0, 300);
    await index.train({ epochs: 8 });
    let beyond = 0;
    let relevantBeyond = 0;
    let plain = 0;
    let expanded = 0;
    for (let i = 400; i < 460; i++) {
      const candidates = new Set(index.search(q(i), 10).map((r) => r.id));
      for (const r of index.search(q(i), 10, { mode: 'neural' })) plain += base.labels[r.id] === queries.labels[i];
      const results = index.search(q(i), 10, { mode: 'neural', expand: 200 });
      assert.equal(results.length, 10);
      for (const r of results) {
        const relevant = base.labels[r.id] === queries.labels[i];
        expanded += relevant;
        if (!candidates.has(r.id)) {
          beyond++;
          relevantBeyond += relevant;
        }
      }
    }
    assert.ok(beyond > 60 && relevantBeyond > 0.8 * beyond, `${relevantBeyond} relevant of ${beyond} beyond the candidates`);
    assert.ok(expanded > plain + 30, `precision@10 ${plain / 600} re-ranked, ${expanded / 600} expanded`);
    assertNeurovecError(() => index.search(q(0), 10, { mode: 'neural', expand: -1 }), 'INVALID_ARGUMENT', /expand/);
    assertNeurovecError(() => index.search(q(0), 10, { mode: 'neural', expand: 1e6 }), 'INVALID_ARGUMENT', /expand/);
    assertNeurovecError(() => index.search(q(0), 10, { expand: 10 }), 'INVALID_ARGUMENT', /learned modes/);
    index.dispose();
  });

  test('validation errors say what is wrong', async () => {
    await assert.rejects(VectorIndex.create({ dimensions: D, learning: { hiddenDim: 30 } }),
      (e) => e.code === 'INVALID_ARGUMENT' && /multiple of learning.heads/.test(e.message));
    await assert.rejects(VectorIndex.create({ dimensions: D, learning: { bogus: 1 } }),
      (e) => e.code === 'INVALID_ARGUMENT' && /unknown learning option "bogus"/.test(e.message));
    await assert.rejects(VectorIndex.create({ dimensions: D, learning: { ewc: 5 } }), (e) => /ewc/.test(e.message));
    await assert.rejects(VectorIndex.create({ dimensions: D, learning: { replay: { halfLife: -1 } } }),
      (e) => e.code === 'INVALID_ARGUMENT' && /replay.halfLife/.test(e.message));
    await assert.rejects(VectorIndex.create({ dimensions: D, learning: { replay: { halfLive: 10 } } }),
      (e) => e.code === 'INVALID_ARGUMENT' && /unknown learning.replay option "halfLive"/.test(e.message));
    await assert.rejects(VectorIndex.create({ dimensions: D, learning: { onInsert: 'yes' } }),
      (e) => e.code === 'INVALID_ARGUMENT' && /learning.onInsert must be true, false or a number of steps/.test(e.message));
    await assert.rejects(VectorIndex.create({ dimensions: D, learning: { onInsert: 65 } }),
      (e) => e.code === 'INVALID_ARGUMENT' && /learning.onInsert/.test(e.message));
    const index = await makeIndex();
    assertNeurovecError(() => index.search(q(0), 10, { mode: 'neural' }), 'FAILED_PRECONDITION', /trained model/);
    assertNeurovecError(() => index.search(q(0), 10, { mode: 'magic' }), 'INVALID_ARGUMENT', /unknown search mode/);
    assertNeurovecError(() => index.search(q(0), 10, { temperature: 0.1 }), 'INVALID_ARGUMENT', /differentiable/);
    assertNeurovecError(() => index.feedback(q(0), { positive: [] }), 'INVALID_ARGUMENT', /non-empty array/);
    assertNeurovecError(() => index.feedback(q(0), { positive: [99999] }), 'NOT_FOUND', /99999/);
    assertNeurovecError(() => index.feedback(q(0), { positive: [1], negative: [1] }), 'INVALID_ARGUMENT', /both positive and negative/);
    assertNeurovecError(() => index.feedback(q(0), { positive: [1], extra: [] }), 'INVALID_ARGUMENT', /unknown feedback field/);
    assertNeurovecError(() => index.feedback(new Float32Array(3), { positive: [1] }), 'INVALID_ARGUMENT', /dimensions/);
    await assert.rejects(index.train(), (e) => e.code === 'FAILED_PRECONDITION' && /no feedback/.test(e.message));
    await assert.rejects(index.train({ epochs: 0 }), (e) => e.code === 'INVALID_ARGUMENT' && /epochs/.test(e.message));
    index.feedback(q(0), { positive: [1] });
    await index.train({ epochs: 1 });
    assertNeurovecError(() => index.search(q(0), 10, { mode: 'differentiable', temperature: -1 }), 'INVALID_ARGUMENT', /temperature/);
    index.dispose();
  });
});
