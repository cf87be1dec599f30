// The browser scenario, run in a page and in a module Worker: the package's
// browser entry loads the wasm with fetch, builds a small index, and checks
// search against brute force. Returns a plain summary object.
import { VectorIndex, NeurovecError } from '/js/dist/index.browser.js';
import { rng } from '/tests/shared/random.mjs';

export async function runScenario() {
  const n = 800;
  const d = 24;
  const rand = rng(7);
  const data = new Float32Array(n * d);
  for (let i = 0; i < data.length; i++) data[i] = rand() * 2 - 1;
  const index = await VectorIndex.create({ dimensions: d, metric: 'l2', seed: 1 });
  const ids = Array.from({ length: n }, (_, i) => `item-${i}`);
  index.addBatch(ids, data, { metadata: ids.map((_, i) => ({ even: i % 2 === 0 })) });

  let hits = 0;
  let filteredOk = true;
  const queries = 30;
  for (let q = 0; q < queries; q++) {
    const query = data.subarray(q * d, (q + 1) * d).map((x) => x + 0.01);
    const exact = [];
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (query[j] - data[i * d + j]) ** 2;
      exact.push([s, `item-${i}`]);
    }
    exact.sort((a, b) => a[0] - b[0]);
    const truth = new Set(exact.slice(0, 10).map((e) => e[1]));
    for (const r of index.search(query, 10, { ef: 64 })) if (truth.has(r.id)) hits++;
    for (const r of index.search(query, 5, { filter: { even: true } })) filteredOk &&= r.metadata.even === true;
  }
  let errorName = '';
  try {
    index.add('bad', new Float32Array(d).fill(NaN));
  } catch (e) {
    errorName = e instanceof NeurovecError ? `${e.code}: ${e.message}` : String(e);
  }
  const stats = index.stats();
  index.dispose();
  return { recall: hits / (queries * 10), filteredOk, errorName, size: stats.size, kernel: stats.kernel };
}
