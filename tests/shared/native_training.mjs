// Labelled synthetic data, the files the native CLI reads (fvecs vectors, IDX
// labels), and a native build + `neurovec train --onnx` on them, for the tests
// that train natively and check the result in Node or in Chromium
// (tests/js/onnx_refiner.test.mjs, tests/browser/onnx.test.mjs).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gaussian, rng } from './random.mjs';

/**
 * n vectors of d dimensions in `classes` classes, visible in the first 4
 * dimensions under noise in the others (the class centres are the same for
 * every seed, so base and query sets share them).
 */
export function labeled(n, seed, { d, classes }) {
  const centresRandom = rng(77);
  const centres = Array.from({ length: classes * 4 }, () => 2 * gaussian(centresRandom));
  const random = rng(seed);
  const vectors = new Float32Array(n * d);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = Math.floor(random() * classes);
    for (let j = 0; j < d; j++) vectors[i * d + j] = j < 4 ? centres[labels[i] * 4 + j] + 0.5 * gaussian(random) : 1.5 * gaussian(random);
  }
  return { vectors, labels };
}

/** Rows of d floats as an .fvecs file (each row: int32 d, then d float32). */
export function writeFvecs(path, vectors, d) {
  const n = vectors.length / d;
  const out = Buffer.alloc(n * (4 + 4 * d));
  for (let i = 0; i < n; i++) {
    out.writeInt32LE(d, i * (4 + 4 * d));
    Buffer.from(vectors.buffer, vectors.byteOffset + i * 4 * d, 4 * d).copy(out, i * (4 + 4 * d) + 4);
  }
  writeFileSync(path, out);
}

/** Labels as an IDX label file (magic 0x00000801, big-endian count, a byte each). */
export function writeIdxLabels(path, labels) {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0x801, 0);
  header.writeUInt32BE(labels.length, 4);
  writeFileSync(path, Buffer.concat([header, Buffer.from(labels)]));
}

/**
 * In `dir`: labelled base and query sets (base seed 1, queries seed 2), an
 * index built by `cli build`, then `cli train` on the first trainQueries +
 * valQueries queries, writing trained.nvx and refiner.onnx (extraArgs: more
 * `train` options). Returns the query vectors and the training log.
 */
export function trainRefinerNatively(cli, dir, { d, classes, baseCount, queryCount, trainQueries, valQueries, epochs,
  extraArgs = [] }) {
  const base = labeled(baseCount, 1, { d, classes });
  const queries = labeled(queryCount, 2, { d, classes });
  writeFvecs(join(dir, 'base.fvecs'), base.vectors, d);
  writeFvecs(join(dir, 'queries.fvecs'), queries.vectors, d);
  writeIdxLabels(join(dir, 'base.labels'), base.labels);
  writeIdxLabels(join(dir, 'queries.labels'), queries.labels);
  const run = (...args) => execFileSync(cli, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  run('build', '--base', 'base.fvecs', '--out', 'index.nvx', '--m', '12', '--ef-construction', '100');
  const log = run('train', '--index', 'index.nvx', '--queries', 'queries.fvecs', '--labels', 'base.labels',
    '--query-labels', 'queries.labels', '--train-queries', String(trainQueries), '--val-queries', String(valQueries),
    '--candidates', '20', '--hidden', '16', '--heads', '4', '--epochs', String(epochs), '--threads', '2',
    '--out', 'trained.nvx', '--onnx', 'refiner.onnx', ...extraArgs);
  return { queries: queries.vectors, log, run };
}
