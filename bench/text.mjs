// `npm run bench:text`: text search on the Debian catalogue, measured against
// MiniSearch (BM25+) in the same run.
//
//   node bench/text.mjs --split tune [--encoder F.nvenc] [--weights 0.3,0.5,...]   choose settings
//   node bench/text.mjs --split test --weight W [--full]                           the figure, once
//
// Protocol: the catalogue is split by SOURCE package (scripts/catalogue.mjs:
// 70% train, 10% tune, 20% test). The encoder is trained on the training
// split only (scripts/train_encoder.mjs). Each evaluation indexes only the
// packages of its split, twice: documents with their synopsis (for Q2-Q4) and
// without it (for Q1, whose queries are the synopses). Query sets
// (bench/lib/text_queries.mjs): Q1 Debian synopses, Q2 AppStream summaries,
// Q3 AppStream keywords, Q4 debtag / freedesktop category descriptions (every
// member relevant). Q1 is subsampled (seeded) to keep the run short.
// --full adds: approximate vs exact semantic recall, latency and size on the
// whole 63k-package catalogue, written to bench/results/text.{md,json}.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import MiniSearch from 'minisearch';
import { TextIndex } from 'neurovec/text';
import {
  buildQuerySets, docText, loadCatalogue, meanScores, mulberry32, overlap, pairedBootstrap, scoreRanking,
} from './lib/text_queries.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]?.startsWith('--') || all[i + 1] === undefined ? 'true' : all[i + 1]]);
  return acc;
}, []));
const split = args.split ?? 'tune';
const catalogue = args.catalogue ?? join(ROOT, 'demo/data/catalogue.jsonl');
const encoderPath = args.encoder ?? join(ROOT, 'models/debian-encoder.nvenc');
const encoder = new Uint8Array(readFileSync(encoderPath));
const q1Sample = Number(args.q1 ?? 2000);
const K = 100;
const SETS = ['Q1', 'Q2', 'Q3', 'Q4'];

const docs = loadCatalogue(catalogue);
const vocabulary = JSON.parse(readFileSync(join(ROOT, 'demo/data/debtags-vocabulary.json'), 'utf8'));
const inSplit = docs.filter((d) => d.split === split);
const sets = buildQuerySets(docs, split, { vocabulary });
{
  const rand = mulberry32(7);
  const q1 = sets.Q1.map((q) => [rand(), q]).sort((a, b) => a[0] - b[0]).slice(0, q1Sample).map((x) => x[1]);
  sets.Q1 = q1;
}
const byName = new Map(docs.map((d) => [d.name, d]));
for (const set of SETS) for (const q of sets[set]) q.overlap = set === 'Q4' ? null : overlap(q, byName.get(q.target));

async function buildText(withSynopsis) {
  const index = await TextIndex.create({ encoder, seed: 42 });
  index.addBatch(inSplit.map((d) => d.name), inSplit.map((d) => docText(d, { withSynopsis })), { chunkSize: 2000 });
  return index;
}
function buildMini(withSynopsis) {
  const ms = new MiniSearch({ fields: ['text'], idField: 'id' });
  ms.addAll(inSplit.map((d) => ({ id: d.name, text: docText(d, { withSynopsis }) })));
  return ms;
}

const t0 = performance.now();
const text = { full: await buildText(true), nosyn: await buildText(false) };
const mini = { full: buildMini(true), nosyn: buildMini(false) };
console.log(`split ${split}: ${inSplit.length} packages; queries ${SETS.map((s) => `${s} ${sets[s].length}`).join(', ')}; ` +
  `indexes built in ${((performance.now() - t0) / 1000).toFixed(1)} s; encoder ${encoderPath}`);

const weights = (args.weights ?? args.weight ?? '0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9').split(',').map(Number);
const systems = {
  minisearch: (ix, q) => mini[ix].search(q).slice(0, K).map((r) => r.id),
  keyword: (ix, q) => text[ix].search(q, K, { mode: 'keyword' }).map((r) => r.id),
  semantic: (ix, q) => text[ix].search(q, K, { mode: 'semantic' }).map((r) => r.id),
  rrf: (ix, q) => text[ix].search(q, K, { mode: 'hybrid', fusion: 'rrf' }).map((r) => r.id),
};
for (const w of weights) systems[`hybrid@${w}`] = (ix, q) => text[ix].search(q, K, { mode: 'hybrid', keywordWeight: w }).map((r) => r.id);

// per system, per set: per-query score objects
const results = {};
for (const [name, run] of Object.entries(systems)) {
  results[name] = {};
  for (const set of SETS) {
    const ix = set === 'Q1' ? 'nosyn' : 'full';
    results[name][set] = sets[set].map((q) => scoreRanking(run(ix, q.text), q.relevant));
  }
}

const fmt = (x) => x.toFixed(3);
function table(title, pick) {
  const lines = [`\n${title}`, `| system | ${SETS.map((s) => `${s} nDCG@10`).join(' | ')} | mean |`, `|---|${SETS.map(() => '---').join('|')}|---|`];
  for (const name of Object.keys(systems)) {
    const vals = SETS.map((s) => meanScores(pick(results[name][s], s)).ndcg10);
    lines.push(`| ${name} | ${vals.map(fmt).join(' | ')} | ${fmt(vals.reduce((a, b) => a + b, 0) / vals.length)} |`);
  }
  return lines.join('\n');
}
const lowOverlap = (scores, s) => scores.filter((_, i) => s !== 'Q4' && sets[s][i].overlap <= 1);
console.log(table(`nDCG@10, ${split} split`, (x) => x));
console.log(table(`nDCG@10, queries sharing <= 1 content word with their target (${SETS.slice(0, 3).map((s) => `${s} ${sets[s].filter((q) => q.overlap <= 1).length}`).join(', ')})`, lowOverlap));

if (split === 'tune') {
  // Choose the hybrid weight: best mean nDCG@10 over the four sets on this split.
  let best = null;
  for (const w of weights) {
    const mean = SETS.reduce((a, s) => a + meanScores(results[`hybrid@${w}`][s]).ndcg10, 0) / SETS.length;
    if (!best || mean > best.mean) best = { w, mean };
  }
  console.log(`\nchosen on the tuning split: keywordWeight ${best.w} (mean nDCG@10 ${fmt(best.mean)})`);
}
