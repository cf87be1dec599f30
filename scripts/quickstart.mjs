// `npm run quickstart`: builds what is missing, then the quick-start: index Fashion-MNIST
// (60,000 images, 784 dimensions, from Debian's dataset-fashion-mnist) with the
// WebAssembly build through the public API, search it, print results and recall.
import { buildAll } from './build.mjs';

buildAll();

const { VectorIndex } = await import('neurovec');
const { loadFashionMnist } = await import('../bench/datasets.mjs');

const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const { train, test, dimensions } = loadFashionMnist();
console.log(`\nFashion-MNIST: ${train.count} images to index, ${test.count} test images, ${dimensions} dimensions`);

const index = await VectorIndex.create({ dimensions, metric: 'l2', m: 16, efConstruction: 200, seed: 42 });
const ids = Array.from({ length: train.count }, (_, i) => i);
const metadata = Array.from(train.labels, (label) => ({ label, class: CLASSES[label] }));
let t = performance.now();
let lastPrint = 0;
index.addBatch(ids, train.vectors, {
  metadata,
  chunkSize: 2000,
  onProgress: ({ done, total }) => {
    if (performance.now() - lastPrint > 2000 || done === total) {
      lastPrint = performance.now();
      process.stdout.write(`  indexed ${done}/${total} (${((performance.now() - t) / 1000).toFixed(1)} s)\n`);
    }
  },
});
console.log(`built in ${((performance.now() - t) / 1000).toFixed(1)} s (kernel: ${index.stats().kernel})`);

// Exact neighbours by brute force for a sample of test images, to measure recall.
const sample = 100;
const k = 10;
const query = (i) => test.vectors.subarray(i * dimensions, (i + 1) * dimensions);
function exact(q) {
  const best = [];
  for (let j = 0; j < train.count; j++) {
    let s = 0;
    const o = j * dimensions;
    for (let x = 0; x < dimensions; x++) {
      const diff = q[x] - train.vectors[o + x];
      s += diff * diff;
    }
    if (best.length < k || s < best[best.length - 1][0]) {
      best.push([s, j]);
      best.sort((a, b) => a[0] - b[0]);
      if (best.length > k) best.pop();
    }
  }
  return best.map((b) => b[1]);
}

const first = index.search(query(0), 5);
console.log(`\nquery: test image 0 (class ${CLASSES[test.labels[0]]}); 5 nearest training images:`);
for (const r of first) console.log(`  id ${String(r.id).padStart(5)}  ${r.metadata.class.padEnd(12)} squared L2 ${r.distance.toFixed(0)}`);

const filtered = index.search(query(0), 3, { filter: { class: 'Sandal' } });
console.log(`\nsame query, filter { class: 'Sandal' }:`);
for (const r of filtered) console.log(`  id ${String(r.id).padStart(5)}  ${r.metadata.class.padEnd(12)} squared L2 ${r.distance.toFixed(0)}`);

console.log(`\nrecall@${k} on ${sample} test images (brute force computed here as the reference):`);
const truths = [];
for (let i = 0; i < sample; i++) truths.push(new Set(exact(query(i))));
for (const ef of [16, 32, 64]) {
  let hits = 0;
  t = performance.now();
  for (let i = 0; i < sample; i++) for (const r of index.search(query(i), k, { ef })) hits += truths[i].has(r.id) ? 1 : 0;
  const ms = (performance.now() - t) / sample;
  console.log(`  ef ${String(ef).padStart(3)}: recall ${(hits / (sample * k)).toFixed(3)}, ${ms.toFixed(3)} ms per query`);
}
const stats = index.stats();
console.log(`\n${stats.size} items, ${(stats.memoryBytes / 2 ** 20).toFixed(1)} MiB in the wasm heap`);
index.dispose();
