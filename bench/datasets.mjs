// Fashion-MNIST from Debian's dataset-fashion-mnist package (IDX files, gzip),
// as Float32Arrays and as TEXMEX .fvecs files for the native CLI.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

function readIdx(path) {
  if (!existsSync(path)) {
    throw new Error(`${path} not found: install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)`);
  }
  const bytes = gunzipSync(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const rank = magic & 0xff;
  if ((magic >>> 8) !== 0x08) throw new Error(`${path}: not an unsigned-byte IDX file`);
  const dims = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i));
  const offset = 4 + 4 * rank;
  return { dims, data: bytes.subarray(offset) };
}

// Returns { train: {vectors, labels, count}, test: {...}, dimensions: 784 }.
// Pixel values stay 0..255 as floats (the ANN-Benchmarks fashion-mnist-784-euclidean set).
export function loadFashionMnist() {
  const load = (images, labels) => {
    const img = readIdx(join(FASHION_DIR, images));
    const lab = readIdx(join(FASHION_DIR, labels));
    const count = img.dims[0];
    const dimensions = img.dims[1] * img.dims[2];
    const vectors = new Float32Array(count * dimensions);
    for (let i = 0; i < vectors.length; i++) vectors[i] = img.data[i];
    return { vectors, labels: Uint8Array.from(lab.data), count, dimensions };
  };
  const train = load('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz');
  const test = load('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz');
  return { train, test, dimensions: train.dimensions };
}

export function writeFvecs(path, vectors, count, dimensions) {
  const row = 4 + 4 * dimensions;
  const out = Buffer.alloc(row * count);
  for (let i = 0; i < count; i++) {
    out.writeInt32LE(dimensions, i * row);
    Buffer.from(vectors.buffer, vectors.byteOffset + i * dimensions * 4, dimensions * 4).copy(out, i * row + 4);
  }
  writeFileSync(path, out);
}

export function readIvecs(path) {
  const bytes = readFileSync(path);
  const k = bytes.readInt32LE(0);
  const rows = bytes.length / (4 + 4 * k);
  const out = [];
  for (let r = 0; r < rows; r++) {
    const row = new Int32Array(k);
    for (let j = 0; j < k; j++) row[j] = bytes.readInt32LE(r * (4 + 4 * k) + 4 + 4 * j);
    out.push(row);
  }
  return out;
}

// Writes base.fvecs (60k train) and queries.fvecs (10k test, or the first
// `queryCount`) into dir unless they exist; returns the paths.
export function prepareFashionFiles(dir, queryCount = 10000) {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, 'fashion-mnist-base.fvecs');
  const queries = join(dir, `fashion-mnist-queries-${queryCount}.fvecs`);
  if (!existsSync(base) || !existsSync(queries)) {
    const { train, test, dimensions } = loadFashionMnist();
    writeFvecs(base, train.vectors, train.count, dimensions);
    writeFvecs(queries, test.vectors, Math.min(queryCount, test.count), dimensions);
  }
  return { base, queries };
}

/** Exact L2 top-`k` training-image indices (nearest first) of the first
 * `queryCount` test images, by `neurovec groundtruth` (the native CLI at `cli`,
 * every core), cached in dir as fashion-mnist-truth-{queryCount}.ivecs (a
 * -k{k} suffix for k other than 100), so every bench shares one file. Writes
 * the .fvecs files first if needed; returns the truth file's path. */
export function prepareFashionTruth(dir, cli, { queryCount = 10000, k = 100, log = () => {} } = {}) {
  const files = prepareFashionFiles(dir, queryCount);
  const path = join(dir, `fashion-mnist-truth-${queryCount}${k === 100 ? '' : `-k${k}`}.ivecs`);
  if (!existsSync(path)) {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
    log(`exact neighbours of ${queryCount} test images (neurovec groundtruth, k ${k}), cached in ${path}`);
    execFileSync(cli, ['groundtruth', '--base', files.base, '--queries', files.queries, '--out', path, '--k', String(k),
      '--threads', String(os.availableParallelism())], { stdio: 'inherit' });
  }
  return path;
}

/** Exact L2 top-`k` training-image indices (of the first `n`) for each of the
 * first `count` test images, nearest first: the truth recall is measured against. */
export function exactNeighbours(data, n, count, k) {
  const d = data.dimensions;
  const out = [];
  for (let qi = 0; qi < count; qi++) {
    const q = data.test.vectors.subarray(qi * d, (qi + 1) * d);
    const best = [];
    for (let i = 0; i < n; i++) {
      let s = 0;
      const off = i * d;
      for (let j = 0; j < d; j++) {
        const t = q[j] - data.train.vectors[off + j];
        s += t * t;
      }
      if (best.length < k || s < best[best.length - 1][0]) {
        best.push([s, i]);
        best.sort((a, b) => a[0] - b[0]);
        if (best.length > k) best.pop();
      }
    }
    out.push(best.map((b) => b[1]));
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? 'data';
  console.log(prepareFashionFiles(dir, Number(process.argv[3] ?? 10000)));
}
