// The Debian catalogue as vectors for the ANN benches (issue 13's second kind of
// data): every package's text embedded by the project's own encoder
// (models/debian-encoder.nvenc, unit vectors, cosine), as .fvecs files.
//
// Base: each package's name and description WITHOUT its synopsis; queries: the
// synopses of a seeded sample of packages. That is bench:text's Q1 protocol
// (a query is a package's one-line summary, its document does not contain
// it), so a query's neighbours are found by meaning, not by a copy of itself.
// Exact neighbours by brute force (`neurovec groundtruth --metric cosine`).
// Written once into build/catalogue-vectors/ and reused, with
// catalogue-sections.json: the Debian section of every base row and query
// (the relevance of the learning benches: a result is relevant when it is of
// the query's package's section).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { TextIndex } from 'neurovec/text';
import { readFvecs } from './io.mjs';
import { docText, loadCatalogue, mulberry32 } from './text_queries.mjs';
import { ROOT } from './paths.mjs';

function writeFvecs(path, rows, dims) {
  const out = Buffer.alloc(rows.length * (4 + 4 * dims));
  rows.forEach((v, i) => {
    const at = i * (4 + 4 * dims);
    out.writeInt32LE(dims, at);
    Buffer.from(v.buffer, v.byteOffset, 4 * dims).copy(out, at + 4);
  });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, out);
  renameSync(tmp, path);
}

/**
 * Returns { base, queries, truth, sections } (paths of
 * .fvecs / .ivecs / .json files), building what is missing. `queryCount` synopses are
 * drawn with a fixed seed from packages whose synopsis the encoder can read.
 */
export async function prepareCatalogueVectors(cli, { queryCount = 10000, k = 100, log = () => {} } = {}) {
  const dir = join(ROOT, 'build', 'catalogue-vectors');
  mkdirSync(dir, { recursive: true });
  const base = join(dir, 'catalogue-base.fvecs');
  const queries = join(dir, `catalogue-queries-${queryCount}.fvecs`);
  const truth = join(dir, `catalogue-truth-${queryCount}-k${k}.ivecs`);
  const sections = join(dir, `catalogue-sections-${queryCount}.json`);
  if (!existsSync(base) || !existsSync(queries) || !existsSync(sections)) {
    const cataloguePath = join(ROOT, 'demo', 'data', 'catalogue.jsonl');
    const encoderPath = join(ROOT, 'models', 'debian-encoder.nvenc');
    for (const p of [cataloguePath, encoderPath]) {
      if (!existsSync(p)) throw new Error(`${p} is missing (npm start builds the catalogue and the encoder)`);
    }
    const docs = loadCatalogue(cataloguePath);
    const text = await TextIndex.create({ encoder: new Uint8Array(readFileSync(encoderPath)), seed: 42 });
    try {
      const dims = text.stats().dimensions;
      log(`encoding ${docs.length} catalogue documents (${dims} dimensions)`);
      const rows = [];
      const baseSections = [];
      for (const d of docs) {
        const v = text.encode(docText(d, { withSynopsis: false }));
        if (!v) continue;
        rows.push(v);
        baseSections.push(d.section ?? '');
      }
      if (rows.length < docs.length) log(`${docs.length - rows.length} documents have no word the encoder reads; left out`);
      writeFvecs(base, rows, dims);
      const rand = mulberry32(13);
      const order = docs.map((d) => [rand(), d]).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
      const qrows = [];
      const querySections = [];
      for (const d of order) {
        if (qrows.length === queryCount) break;
        const v = d.synopsis ? text.encode(d.synopsis) : null;
        if (!v) continue;
        qrows.push(v);
        querySections.push(d.section ?? '');
      }
      if (qrows.length < queryCount) throw new Error(`only ${qrows.length} synopses could be encoded, ${queryCount} wanted`);
      writeFvecs(queries, qrows, dims);
      writeFileSync(`${sections}.tmp`, JSON.stringify({ base: baseSections, queries: querySections }));
      renameSync(`${sections}.tmp`, sections);
    } finally {
      text.dispose();
    }
  }
  if (!existsSync(truth)) {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
    log(`exact cosine neighbours of ${queryCount} synopses (neurovec groundtruth, k ${k})`);
    execFileSync(cli, ['groundtruth', '--base', base, '--queries', queries, '--out', truth, '--k', String(k),
      '--metric', 'cosine', '--threads', String(os.availableParallelism())], { stdio: 'inherit' });
  }
  return { base, queries, truth, sections };
}

/**
 * The catalogue shaped like loadFashionMnist() for the learning benches:
 * { train, test, dimensions }, train the package documents and test the
 * synopsis queries, each { vectors, labels, count, dimensions } with labels the
 * Debian section as a small integer (`sectionNames` maps them back).
 */
export async function loadCatalogueLabelled(cli, { log = () => {} } = {}) {
  const files = await prepareCatalogueVectors(cli, { log });
  const { base: baseSections, queries: querySections } = JSON.parse(readFileSync(files.sections, 'utf8'));
  const sectionNames = [...new Set([...baseSections, ...querySections])].sort();
  const code = new Map(sectionNames.map((s, i) => [s, i]));
  const shape = (path, sections) => {
    const { count, dimensions, data } = readFvecs(path);
    if (count !== sections.length) throw new Error(`${path}: ${count} rows but ${sections.length} sections`);
    return { vectors: data, labels: Uint16Array.from(sections, (s) => code.get(s)), count, dimensions };
  };
  const train = shape(files.base, baseSections);
  const test = shape(files.queries, querySections);
  return { train, test, dimensions: train.dimensions, sectionNames };
}
