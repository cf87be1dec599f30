// `npm run demo:data`: the index the demo page ships. A TextIndex over every
// package of the Debian catalogue (demo/data/catalogue.jsonl, written by
// scripts/catalogue.mjs when missing), saved to demo/data/debian.nvx; then a
// few example searches. `--sample` builds from the committed 2,053-package
// sample (tests/fixtures/text/debian-sample.jsonl) into
// demo/data/debian-sample.nvx in about a second (tests, CI). `--out FILE`
// writes elsewhere; `--force` rebuilds an index that is up to date.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CATALOGUE = join(ROOT, 'demo', 'data', 'catalogue.jsonl');
export const SAMPLE = join(ROOT, 'tests', 'fixtures', 'text', 'debian-sample.jsonl');
export const ENCODER = join(ROOT, 'models', 'debian-encoder.nvenc');
export const FULL_INDEX = join(ROOT, 'demo', 'data', 'debian.nvx');
export const SAMPLE_INDEX = join(ROOT, 'demo', 'data', 'debian-sample.nvx');

export const EXAMPLE_QUERIES = [
  'play music from the terminal',
  'scan paper documents',
  'edit photos',
  'back up files to another machine',
  'read email in a text console',
];

const mib = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** The text a package is indexed by, and its metadata (what the page shows). */
export function packageDocument(p) {
  return { id: p.name, text: `${p.name} ${p.synopsis}. ${p.description ?? ''}`, metadata: { synopsis: p.synopsis, section: p.section } };
}

function runNode(script, why) {
  const path = join(ROOT, 'scripts', script);
  if (!existsSync(path)) {
    throw new Error(`${why}, and scripts/${script} (which makes it) does not exist yet in this checkout`);
  }
  console.log(`[demo:data] ${why}: node scripts/${script}`);
  const r = spawnSync(process.execPath, [path], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`node scripts/${script} failed (exit ${r.status ?? r.signal})`);
}

/** Makes sure the inputs of a full build exist (catalogue, encoder). */
export function ensureInputs({ sample = false } = {}) {
  if (!sample && !existsSync(CATALOGUE)) runNode('catalogue.mjs', 'demo/data/catalogue.jsonl is missing');
  if (!existsSync(ENCODER)) runNode('train_encoder.mjs', 'models/debian-encoder.nvenc is missing');
}

/** True when `out` is newer than every input it is built from. */
export function upToDate(out, inputs) {
  if (!existsSync(out)) return false;
  const t = statSync(out).mtimeMs;
  return inputs.every((f) => existsSync(f) && statSync(f).mtimeMs <= t);
}

function readCatalogue(path) {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/**
 * Builds the demo index and saves it. Returns { out, documents, bytes, ms, built }.
 * `log` receives progress lines (default console.log).
 */
export async function buildDemoIndex({ sample = false, out, force = false, log = console.log } = {}) {
  ensureInputs({ sample });
  const source = sample ? SAMPLE : CATALOGUE;
  out ??= sample ? SAMPLE_INDEX : FULL_INDEX;
  // The index embeds the encoder, so a new encoder (or catalogue) means a rebuild.
  const inputs = [source, ENCODER, join(ROOT, 'js', 'dist', 'wasm', 'neurovec.wasm'), fileURLToPath(import.meta.url)];
  if (!force && upToDate(out, inputs)) {
    log(`[demo:data] ${relative(ROOT, out)} is up to date (${mib(statSync(out).size)})`);
    return { out, bytes: statSync(out).size, built: false };
  }
  const { TextIndex } = await import('neurovec/text');
  const packages = readCatalogue(source);
  const docs = packages.map(packageDocument);
  log(`[demo:data] indexing ${docs.length} packages from ${relative(ROOT, source)} (encoder ${relative(ROOT, ENCODER)})`);
  const encoder = new Uint8Array(readFileSync(ENCODER));
  const index = await TextIndex.create({ encoder, seed: 42 });
  const t0 = performance.now();
  let lastPrint = 0;
  try {
    index.addBatch(docs.map((d) => d.id), docs.map((d) => d.text), {
      metadata: docs.map((d) => d.metadata),
      chunkSize: 2000,
      onProgress: ({ done, total }) => {
        const now = performance.now();
        if (now - lastPrint > 3000 || done === total) {
          lastPrint = now;
          log(`  ${done}/${total} packages (${((now - t0) / 1000).toFixed(1)} s)`);
        }
      },
    });
    const ms = performance.now() - t0;
    mkdirSync(dirname(out), { recursive: true });
    await index.save(out);
    const bytes = statSync(out).size;
    const s = index.stats();
    log(`[demo:data] wrote ${relative(ROOT, out)}: ${mib(bytes)} (${s.documents} documents, ${s.terms} terms, ` +
      `encoder ${mib(s.encoderBytes)}, keyword index ${mib(s.keywordBytes)}) in ${(ms / 1000).toFixed(1)} s`);
    return { out, documents: s.documents, bytes, ms, built: true };
  } finally {
    index.dispose();
  }
}

/** Opens an index file and prints the example searches (what `npm start` shows in the terminal). */
export async function printExampleSearches(path, { queries = EXAMPLE_QUERIES, k = 5, log = console.log } = {}) {
  const { TextIndex } = await import('neurovec/text');
  const index = await TextIndex.open(path, { readOnly: true });
  try {
    log(`\nExample searches over ${index.stats().documents} packages (hybrid: keywords + meaning):`);
    for (const q of queries) {
      const results = index.search(q, k);
      const { encodeMs, searchMs } = index.stats().lastSearch;
      log(`\n  "${q}"  (encode ${encodeMs.toFixed(2)} ms, search ${searchMs.toFixed(2)} ms)`);
      for (const r of results) {
        log(`    ${String(r.id).padEnd(24)} ${String(r.metadata?.section ?? '').padEnd(10)} ${r.metadata?.synopsis ?? ''}`);
      }
    }
  } finally {
    // Read-only: nothing to write back (TextIndex.close() would try to sync).
    index.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const sample = args.includes('--sample');
  const force = args.includes('--force');
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? args[outAt + 1] : undefined;
  try {
    if (!existsSync(join(ROOT, 'js', 'dist', 'text', 'index.js'))) {
      throw new Error('the package is not built yet (js/dist/text is missing): run `npm run build` first');
    }
    const result = await buildDemoIndex({ sample, out, force });
    await printExampleSearches(result.out);
  } catch (error) {
    console.error(`[demo:data] ${error.message}`);
    process.exit(1);
  }
}
