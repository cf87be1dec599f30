// Reading and slicing TEXMEX .fvecs / .ivecs files (little-endian: int32 dim, then dim values per row).
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';

function rowsOf(path, bytes) {
  if (bytes.length < 4) throw new Error(`${path}: empty or truncated file`);
  const dim = bytes.readInt32LE(0);
  if (dim <= 0) throw new Error(`${path}: bad dimension ${dim}`);
  const row = 4 + 4 * dim;
  if (bytes.length % row !== 0) throw new Error(`${path}: size ${bytes.length} is not a multiple of the row size ${row}`);
  return { dim, row, count: bytes.length / row };
}

// Returns { count, dimensions, data: Float32Array(count * dimensions) } for the first `limit` rows.
export function readFvecs(path, limit = Infinity) {
  const bytes = readFileSync(path);
  const { dim, row, count: total } = rowsOf(path, bytes);
  const count = Math.min(limit, total);
  const data = new Float32Array(count * dim);
  // Copy row by row through an aligned buffer (the file buffer has a 4-byte header per row).
  const aligned = new Uint8Array(data.buffer);
  for (let i = 0; i < count; i++) {
    if (bytes.readInt32LE(i * row) !== dim) throw new Error(`${path}: row ${i} has a different dimension`);
    aligned.set(bytes.subarray(i * row + 4, (i + 1) * row), i * dim * 4);
  }
  return { count, dimensions: dim, data };
}

// Returns { count, k, data: Int32Array(count * k) } for the first `limit` rows.
export function readIvecsFlat(path, limit = Infinity) {
  const bytes = readFileSync(path);
  const { dim, row, count: total } = rowsOf(path, bytes);
  const count = Math.min(limit, total);
  const data = new Int32Array(count * dim);
  const aligned = new Uint8Array(data.buffer);
  for (let i = 0; i < count; i++) aligned.set(bytes.subarray(i * row + 4, (i + 1) * row), i * dim * 4);
  return { count, k: dim, data };
}

// Rows and dimension of an .fvecs/.ivecs file without reading all of it.
export function vecsShape(path) {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    const dim = head.readInt32LE(0);
    return { dimensions: dim, count: statSync(path).size / (4 + 4 * dim) };
  } finally {
    closeSync(fd);
  }
}

// Writes the first `count` rows of src (.fvecs) to dst unless dst exists.
export function sliceVecsFile(src, dst, count) {
  if (existsSync(dst)) return dst;
  const bytes = readFileSync(src);
  const { row, count: total } = rowsOf(src, bytes);
  if (count > total) throw new Error(`${src} has ${total} rows, fewer than ${count}`);
  writeFileSync(dst, bytes.subarray(0, count * row));
  return dst;
}
