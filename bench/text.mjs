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
const bm25 = { k1: Number(args.k1 ?? 1.2), b: Number(args.b ?? 0.75) };
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
  const index = await TextIndex.create({ encoder, seed: 42, bm25 });
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
  `indexes built in ${((performance.now() - t0) / 1000).toFixed(1)} s; encoder ${encoderPath}; BM25 k1 ${bm25.k1} b ${bm25.b}`);

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

// ---------------------------------------------------------------------------------------------
// The reported figure (--split test, used once) and the whole-catalogue measurements.
if (split === 'test') {
  const w = weights[0];
  const hybrid = `hybrid@${w}`;
  const report = { split, packages: inSplit.length, weight: w, encoder: encoderPath, sets: {}, lowOverlap: {}, bootstrap: {} };
  const metricsTable = [`| set | queries | system | nDCG@10 | R@10 | MRR@10 | R@100 |`, '|---|---|---|---|---|---|---|'];
  for (const set of SETS) {
    report.sets[set] = {};
    for (const name of ['minisearch', 'keyword', 'semantic', 'rrf', hybrid]) {
      const m = meanScores(results[name][set]);
      report.sets[set][name] = m;
      metricsTable.push(`| ${set} | ${m.n} | ${name} | ${fmt(m.ndcg10)} | ${fmt(m.recall10)} | ${fmt(m.mrr10)} | ${fmt(m.recall100)} |`);
    }
    const nd = (name) => results[name][set].map((s) => s.ndcg10);
    report.bootstrap[set] = { hybridVsMiniSearch: pairedBootstrap(nd(hybrid), nd('minisearch')),
      semanticVsMiniSearch: pairedBootstrap(nd('semantic'), nd('minisearch')) };
  }
  // Low-overlap subset, pooled over Q1-Q3 (Q4 has many targets per query).
  const pooled = (name) => SETS.slice(0, 3).flatMap((s) => results[name][s].filter((_, i) => sets[s][i].overlap <= 1));
  for (const name of ['minisearch', 'keyword', 'semantic', 'rrf', hybrid]) report.lowOverlap[name] = meanScores(pooled(name));
  report.bootstrap.lowOverlap = {
    semanticVsMiniSearch: pairedBootstrap(pooled('semantic').map((s) => s.ndcg10), pooled('minisearch').map((s) => s.ndcg10)),
    hybridVsMiniSearch: pairedBootstrap(pooled(hybrid).map((s) => s.ndcg10), pooled('minisearch').map((s) => s.ndcg10)),
  };
  console.log(`\n${metricsTable.join('\n')}`);
  console.log('\nlow overlap (Q1-Q3 pooled):', JSON.stringify(report.lowOverlap, null, 0));
  console.log('paired bootstrap, nDCG@10 difference [95% interval]:');
  for (const [set, b] of Object.entries(report.bootstrap)) {
    for (const [what, r] of Object.entries(b)) console.log(`  ${set} ${what}: ${r.mean.toFixed(3)} [${r.lo.toFixed(3)}, ${r.hi.toFixed(3)}] (n ${r.n})`);
  }

  if (args.full) {
    // Approximate (HNSW) vs exact semantic top-10 on this split's index.
    const exactTop = (ix, q) => {
      const qv = ix.encode(q);
      if (!qv) return [];
      const scored = [];
      for (const d of inSplit) {
        const v = vecs.get(d.name);
        let s = 0;
        for (let j = 0; j < v.length; j++) s += v[j] * qv[j];
        scored.push([s, d.name]);
      }
      scored.sort((a, b) => b[0] - a[0]);
      return scored.slice(0, 10).map((x) => x[1]);
    };
    const vecs = new Map(inSplit.map((d) => [d.name, text.full.encode(docText(d))]));
    let hits = 0;
    let total = 0;
    const annQueries = [...sets.Q2, ...sets.Q3, ...sets.Q1.slice(0, 500)];
    for (const q of annQueries) {
      const approx = new Set(text.full.search(q.text, 10, { mode: 'semantic', useFeedback: false }).map((r) => r.id));
      for (const id of exactTop(text.full, q.text)) {
        total++;
        if (approx.has(id)) hits++;
      }
    }
    report.annRecall10 = hits / total;
    console.log(`\nsemantic HNSW recall@10 against exact search: ${report.annRecall10.toFixed(4)} (${annQueries.length} queries, default ef)`);

    // The whole catalogue: build time, latency (encode + search), sizes.
    const all = docs;
    const big = await TextIndex.create({ encoder, seed: 42, keywordWeight: w, bm25 });
    let t = performance.now();
    big.addBatch(all.map((d) => d.name), all.map((d) => docText(d)), { metadata: all.map((d) => ({ synopsis: d.synopsis, section: d.section })), chunkSize: 4000 });
    report.catalogue = { documents: all.length, buildSeconds: (performance.now() - t) / 1000 };
    const queries = [...sets.Q2, ...sets.Q3, ...sets.Q4, ...sets.Q1.slice(0, 1000)].map((q) => q.text);
    for (const mode of ['keyword', 'semantic', 'hybrid']) {
      for (const q of queries.slice(0, 200)) big.search(q, 10, { mode });
      const times = [];
      for (const q of queries) {
        t = performance.now();
        big.search(q, 10, { mode });
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      report.catalogue[`${mode}P50Ms`] = times[Math.floor(times.length / 2)];
      report.catalogue[`${mode}P95Ms`] = times[Math.floor(times.length * 0.95)];
    }
    const st = big.stats();
    const bytes = await big.toBytes();
    report.catalogue.fileBytes = bytes.length;
    report.catalogue.memory = { vectors: st.vectors.memory.vectors, graph: st.vectors.memory.graph, other: st.vectors.memory.other,
      keyword: st.keywordBytes, encoder: st.encoderBytes, terms: st.terms, postings: st.postings };
    const ms = new MiniSearch({ fields: ['text'], idField: 'id' });
    t = performance.now();
    ms.addAll(all.map((d) => ({ id: d.name, text: docText(d) })));
    report.catalogue.miniSearchBuildSeconds = (performance.now() - t) / 1000;
    const mt = [];
    for (const q of queries) {
      t = performance.now();
      ms.search(q);
      mt.push(performance.now() - t);
    }
    mt.sort((a, b) => a - b);
    report.catalogue.miniSearchP50Ms = mt[Math.floor(mt.length / 2)];
    report.catalogue.miniSearchJsonBytes = JSON.stringify(ms).length;
    console.log('\nwhole catalogue:', JSON.stringify(report.catalogue, null, 1));
    // The same catalogue with compression tiers: after the queries above heat
    // what they touched, recompress() moves the rest to compact codes.
    const tiered = await TextIndex.create({ encoder, seed: 42, keywordWeight: w, bm25, tiers: { enabled: true } });
    tiered.addBatch(all.map((d) => d.name), all.map((d) => docText(d)), { metadata: all.map((d) => ({ synopsis: d.synopsis, section: d.section })), chunkSize: 4000 });
    for (const q of queries) tiered.search(q, 10, { mode: 'hybrid' });
    const counts = tiered.recompress();
    const tm = tiered.stats().vectors.memory;
    let same = 0;
    let n = 0;
    const tt = [];
    for (const q of queries) {
      const a = new Set(big.search(q, 10, { mode: 'semantic' }).map((r) => r.id));
      t = performance.now();
      const b = tiered.search(q, 10, { mode: 'semantic' });
      tt.push(performance.now() - t);
      for (const r of b) same += a.has(r.id) ? 1 : 0;
      n += a.size;
    }
    tt.sort((a, b) => a - b);
    report.catalogue.tiers = { counts, vectorsBytes: st.vectors.memory.vectors, vectorsIfReleased: tm.tiers.vectorsIfReleased,
      codes: tm.codes, codebooks: tm.tiers.codebooks, semanticAgreement10: same / n, semanticP50Ms: tt[Math.floor(tt.length / 2)],
      fileBytes: (await tiered.toBytes()).length };
    console.log('tiers:', JSON.stringify(report.catalogue.tiers));
    tiered.dispose();
    big.dispose();
    if (args.training) report.training = JSON.parse(readFileSync(args.training, 'utf8'));
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/text.json'), JSON.stringify(report, null, 1) + '\n');
    writeFileSync(join(ROOT, 'bench/results/text.md'), markdown(report, metricsTable));
    console.log('\nwrote bench/results/text.{json,md}');
  }
}

function markdown(r, metricsTable) {
  const b = (x) => `${x.mean >= 0 ? '+' : ''}${x.mean.toFixed(3)} [${x.lo.toFixed(3)}, ${x.hi.toFixed(3)}]`;
  const c = r.catalogue;
  const mib = (x) => `${(x / 2 ** 20).toFixed(1)} MiB`;
  const lo = r.lowOverlap;
  const lines = [
    '# Text search on the Debian catalogue (`npm run bench:text`)',
    '',
    `Test split (by source package; used once): ${r.packages} packages. Encoder trained on the training split only;`,
    `hybrid keyword weight ${r.weight} chosen on the tuning split. Machine: 2 vCPU; Node ${process.version}, wasm build.`,
    'MiniSearch 7 (BM25+, default options: one text field, its own tokenizer) indexes the same documents.',
    '',
    '## Quality',
    '',
    ...metricsTable,
    '',
    'Paired bootstrap (1,000 resamples) of the per-query nDCG@10 difference, [95% interval]:',
    '',
    '| set | hybrid - MiniSearch | semantic - MiniSearch |',
    '|---|---|---|',
    ...['Q1', 'Q2', 'Q3', 'Q4', 'lowOverlap'].map((s) => `| ${s} | ${b(r.bootstrap[s].hybridVsMiniSearch)} | ${b(r.bootstrap[s].semanticVsMiniSearch)} |`),
    '',
    `Low-overlap subset (queries sharing at most one content word with their target; Q1-Q3 pooled, ${lo.minisearch.n} queries), nDCG@10:`,
    `MiniSearch ${lo.minisearch.ndcg10.toFixed(3)}, keyword ${lo.keyword.ndcg10.toFixed(3)}, semantic ${lo.semantic.ndcg10.toFixed(3)}, ` +
      `rrf ${lo.rrf.ndcg10.toFixed(3)}, hybrid ${lo[`hybrid@${r.weight}`].ndcg10.toFixed(3)}.`,
    '',
    `Semantic HNSW recall@10 against exact search: ${r.annRecall10.toFixed(4)}.`,
    '',
    '## The whole catalogue in Node (wasm)',
    '',
    `${c.documents} documents; TextIndex build ${c.buildSeconds.toFixed(1)} s (MiniSearch ${c.miniSearchBuildSeconds.toFixed(1)} s).`,
    '',
    '| per query (encode + search, k 10) | p50 | p95 |',
    '|---|---|---|',
    `| keyword | ${c.keywordP50Ms.toFixed(3)} ms | ${c.keywordP95Ms.toFixed(3)} ms |`,
    `| semantic | ${c.semanticP50Ms.toFixed(3)} ms | ${c.semanticP95Ms.toFixed(3)} ms |`,
    `| hybrid | ${c.hybridP50Ms.toFixed(3)} ms | ${c.hybridP95Ms.toFixed(3)} ms |`,
    `| MiniSearch | ${c.miniSearchP50Ms.toFixed(3)} ms | |`,
    '',
    `Index file ${mib(c.fileBytes)}; in memory: vectors ${mib(c.memory.vectors)}, graph ${mib(c.memory.graph)}, ids and metadata ${mib(c.memory.other)}, ` +
      `keyword index ${mib(c.memory.keyword)} (${c.memory.terms} terms, ${c.memory.postings} postings), encoder ${mib(c.memory.encoder)}. ` +
      `MiniSearch's serialised index: ${mib(c.miniSearchJsonBytes)}.`,
    '',
    `With compression tiers (\`tiers: { enabled: true }\`; the benchmark's queries heat what they touch, then \`recompress()\`): ` +
      `tiers ${JSON.stringify(c.tiers.counts)}; vector memory ${mib(c.tiers.vectorsBytes)} -> ${mib(c.tiers.vectorsIfReleased)} once ` +
      `f32 rows of non-hot items leave memory (codes ${mib(c.tiers.codes)}, codebooks ${mib(c.tiers.codebooks)}); ` +
      `semantic top-10 agreement with the untiered index ${c.tiers.semanticAgreement10.toFixed(3)}, p50 ${c.tiers.semanticP50Ms.toFixed(3)} ms; file ${mib(c.tiers.fileBytes)}.`,
    '',
  ];
  if (r.training) {
    lines.push('## Encoder training (native, `scripts/train_encoder.mjs`)', '', '```json', JSON.stringify(r.training, null, 1), '```', '');
  }
  return lines.join('\n');
}
