// Run in a page by threads.test.mjs: the browser entry with whatever build the
// page gets by default (pthreads when the page is cross-origin isolated),
// checked against brute force, against itself (searchBatch = search), and
// against the single-thread build in a Worker opened from the same bytes.
import { VectorIndex, NeurovecError, configureWasm } from '/js/dist/index.browser.js';
import { WorkerVectorIndex } from '/js/dist/worker/client.js';
import { rng } from '/tests/shared/random.mjs';

const N = 3000;
const D = 32;
const K = 10;
const Q = 60;

function data(seed, count) {
  const rand = rng(seed);
  const out = new Float32Array(count * D);
  for (let i = 0; i < out.length; i++) out[i] = rand() * 2 - 1;
  return out;
}

function recall(items, queries, results) {
  let hits = 0;
  for (let q = 0; q < Q; q++) {
    const exact = [];
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let j = 0; j < D; j++) s += (queries[q * D + j] - items[i * D + j]) ** 2;
      exact.push([s, `item-${i}`]);
    }
    exact.sort((a, b) => a[0] - b[0]);
    const truth = new Set(exact.slice(0, K).map((e) => e[1]));
    for (const r of results[q]) if (truth.has(r.id)) hits++;
  }
  return hits / (Q * K);
}

const plain = (lists) => lists.map((list) => list.map((r) => [r.id, r.distance]));

/** The first query whose lists differ, or -1. */
function firstDifference(a, b) {
  const x = plain(a);
  const y = plain(b);
  for (let q = 0; q < Math.max(x.length, y.length); q++) {
    if (JSON.stringify(x[q]) !== JSON.stringify(y[q])) return q;
  }
  return -1;
}

/** `threads`: call configureWasm with it first (or not at all when undefined). */
export async function runThreads(threads) {
  const out = { isolated: globalThis.crossOriginIsolated === true, cores: navigator.hardwareConcurrency };
  if (threads !== undefined) configureWasm({ threads });
  const items = data(11, N);
  const queries = data(12, Q);
  const ids = Array.from({ length: N }, (_, i) => `item-${i}`);
  let index;
  try {
    index = await VectorIndex.create({ dimensions: D, metric: 'l2', seed: 3 });
  } catch (e) {
    out.createError = e instanceof NeurovecError ? `${e.code}: ${e.message}` : String(e);
    return out;
  }
  out.threads = index.stats().threads;
  await index.addBatch(ids, items);
  const batch = index.searchBatch(queries, K, { ef: 64 });
  const single = [];
  for (let q = 0; q < Q; q++) single.push(index.search(queries.subarray(q * D, (q + 1) * D), K, { ef: 64 }));
  out.size = index.size;
  out.batchVsSearch = firstDifference(batch, single);
  out.recall = recall(items, queries, batch);
  // HNSW can leave an item no search reaches (its in-links pruned by later
  // inserts), threads or not; optimize() repairs that. CI once saw 1 of 3,000.
  out.health = index.health().unreachable;

  // The same bytes in a Worker that loads the single-thread build: its
  // searches must equal this page's, query for query.
  const worker = await WorkerVectorIndex.fromBytes(await index.toBytes(), { threads: 1 });
  out.workerSingle = (await worker.stats()).threads;
  out.singleVsPage = firstDifference(await worker.searchBatch(queries, K, { ef: 64 }), batch);
  await worker.dispose();

  // A Worker that asks for 2 threads builds on its own pool.
  let built;
  try {
    built = await WorkerVectorIndex.create({ dimensions: D, metric: 'l2', seed: 3 }, { threads: 2 });
    await built.addBatch(ids, items);
    out.workerThreads = (await built.stats()).threads;
    const workerBatch = await built.searchBatch(queries, K, { ef: 64 });
    out.workerRecall = recall(items, queries, workerBatch);
    out.workerUnreachable = (await built.health()).unreachable;
    await built.optimize();
    out.workerUnreachableAfterOptimize = (await built.health()).unreachable;
  } catch (e) {
    out.workerError = e instanceof NeurovecError ? `${e.code}: ${e.message}` : String(e);
  } finally {
    await built?.dispose();
  }
  // After the comparisons above, which need the graph as built.
  await index.optimize();
  out.healthAfterOptimize = index.health().unreachable;
  index.dispose();
  return out;
}
