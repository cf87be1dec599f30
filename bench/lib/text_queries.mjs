// Query sets and metrics for text search over the Debian catalogue (scripts/catalogue.mjs).
//
//   loadCatalogue(path)                  -> docs (catalogue.jsonl, one object per line)
//   buildQuerySets(docs, split, { vocabulary }) -> { Q1, Q2, Q3, Q4 }, each [{ set, text, relevant, target }]
//     Q1  Debian synopsis -> that package (documents: name + long description only);
//         skips synopses that several packages share and packages without a long description
//     Q2  AppStream upstream Summary -> that package (summaries several packages share: skipped)
//     Q3  AppStream Keywords joined with spaces -> that package (lists several packages share: skipped)
//     Q4  category queries: each debtag with >= 5 packages in the split (query = the tag's
//         description in the debtags vocabulary; relevant = every package of the split with it;
//         housekeeping tags, special::* and *::TODO, are left out; a description already used by
//         another tag is not repeated), and each freedesktop category of the
//         AppStream data with >= 5 packages ('AudioVideo' -> 'audio video'; X- vendor ones left out)
//   contentWords(text), docText(doc, { withSynopsis }), overlap(query, doc)
//   ndcgAt / recallAt / mrrAt (and the @10 / @100 shorthands), scoreRanking, pairedBootstrap
//
// `docs` is the whole catalogue: duplicate checks look across all of it, queries come from
// the packages of `split` only.

import { readFileSync } from 'node:fs';

export const SPLITS = ['train', 'tune', 'test'];
export const MIN_CATEGORY_SIZE = 5;

export function loadCatalogue(path) {
  const docs = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    try {
      docs.push(JSON.parse(lines[i]));
    } catch (e) {
      throw new Error(`${path}:${i + 1}: ${e.message}`);
    }
  }
  return docs;
}

// ---------------------------------------------------------------------------------------------
// Words

export const STOPWORDS = new Set(`
a about above after again all also an and any are as at be because been before being below
between both but by can could did do does doing down during each either etc few for from
further had has have having he her here hers him his how i if in into is it its itself just
may me might more most must my no nor not now of off on once one only or other our ours out
over own same she should so some such than that the their theirs them then there these they
this those through to too under until up upon us very via was we were what when where which
while who whom why will with within without would you your yours`.split(/\s+/).filter(Boolean));

const WORD = /[\p{L}\p{N}]+/gu;

// Lowercase word tokens (runs of letters and digits) minus STOPWORDS, in order, repeats kept.
export function contentWords(text) {
  const out = [];
  for (const m of String(text ?? '').toLowerCase().matchAll(WORD)) if (!STOPWORDS.has(m[0])) out.push(m[0]);
  return out;
}

// The text a document is indexed with: name, synopsis (unless withSynopsis is false), long description.
export function docText(doc, { withSynopsis = true } = {}) {
  return (withSynopsis ? [doc.name, doc.synopsis, doc.description] : [doc.name, doc.description])
    .filter(Boolean).join('\n');
}

// Distinct content words shared by the query (a string or a query object) and the document;
// Q1 queries are compared with the document without its synopsis (their query is that synopsis).
export function overlap(query, doc, { withSynopsis } = {}) {
  const text = typeof query === 'string' ? query : query.text;
  const ws = withSynopsis ?? !(typeof query === 'object' && query.set === 'Q1');
  const d = new Set(contentWords(docText(doc, { withSynopsis: ws })));
  let n = 0;
  for (const w of new Set(contentWords(text))) if (d.has(w)) n++;
  return n;
}

// 'AudioVideo' -> 'audio video', '3DGraphics' -> '3d graphics', 'TextEditor' -> 'text editor'
export function categoryWords(name) {
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/[-_]+/g, ' ')
    .toLowerCase()
    .trim();
}

// ---------------------------------------------------------------------------------------------
// Query sets

const norm = (s) => s.toLowerCase().replace(/\s+/g, ' ').trim();

function counts(values) {
  const m = new Map();
  for (const v of values) if (v) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

export function buildQuerySets(docs, split, { vocabulary = null, minCategorySize = MIN_CATEGORY_SIZE } = {}) {
  const inSplit = docs.filter((d) => d.split === split);
  const keywordsText = (d) => (d.appstream?.keywords?.length ? d.appstream.keywords.join(' ') : '');
  const synopsisCount = counts(docs.map((d) => norm(d.synopsis ?? '')));
  const summaryCount = counts(docs.map((d) => norm(d.appstream?.summary ?? '')));
  const keywordCount = counts(docs.map((d) => norm(keywordsText(d))));

  const Q1 = [];
  const Q2 = [];
  const Q3 = [];
  for (const d of inSplit) {
    if (d.synopsis && d.description && synopsisCount.get(norm(d.synopsis)) === 1) {
      Q1.push({ set: 'Q1', text: d.synopsis, relevant: [d.name], target: d.name });
    }
    const summary = d.appstream?.summary;
    if (summary && summaryCount.get(norm(summary)) === 1) {
      Q2.push({ set: 'Q2', text: summary, relevant: [d.name], target: d.name });
    }
    const kw = keywordsText(d);
    if (kw && keywordCount.get(norm(kw)) === 1) Q3.push({ set: 'Q3', text: kw, relevant: [d.name], target: d.name });
  }

  const Q4 = [];
  const byTag = new Map();
  const byCategory = new Map();
  for (const d of inSplit) {
    for (const t of d.tags ?? []) (byTag.get(t) ?? byTag.set(t, []).get(t)).push(d.name);
    for (const c of d.appstream?.categories ?? []) (byCategory.get(c) ?? byCategory.set(c, []).get(c)).push(d.name);
  }
  const seen = new Set();
  for (const tag of [...byTag.keys()].sort()) {
    const members = byTag.get(tag);
    if (members.length < minCategorySize || tag.startsWith('special::') || tag.endsWith('::TODO')) continue;
    let text;
    if (vocabulary) text = vocabulary[tag];
    else text = tag.replace(/^[^:]*::/, '').replace(/[:\-_]+/g, ' ');
    if (!text || seen.has(norm(text))) continue;
    seen.add(norm(text));
    Q4.push({ set: 'Q4', text, relevant: members, target: `debtag:${tag}` });
  }
  for (const cat of [...byCategory.keys()].sort()) {
    const members = byCategory.get(cat);
    if (members.length < minCategorySize || /^X-/i.test(cat)) continue;
    const text = categoryWords(cat);
    if (!text || seen.has(norm(text))) continue;
    seen.add(norm(text));
    Q4.push({ set: 'Q4', text, relevant: members, target: `category:${cat}` });
  }
  return { Q1, Q2, Q3, Q4 };
}

// ---------------------------------------------------------------------------------------------
// Metrics: `ranked` is an array of document names, best first; `relevant` a Set or array.

const asSet = (r) => (r instanceof Set ? r : new Set(r));

// nDCG@k with binary relevance; the ideal DCG puts min(|relevant|, k) relevant items first.
export function ndcgAt(ranked, relevant, k = 10) {
  const rel = asSet(relevant);
  if (!rel.size) return 0;
  let dcg = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) if (rel.has(ranked[i])) dcg += 1 / Math.log2(i + 2);
  let ideal = 0;
  for (let i = 0; i < Math.min(k, rel.size); i++) ideal += 1 / Math.log2(i + 2);
  return dcg / ideal;
}

// Share of the relevant items found in the first k.
export function recallAt(ranked, relevant, k) {
  const rel = asSet(relevant);
  if (!rel.size) return 0;
  const seen = new Set();
  for (let i = 0; i < Math.min(k, ranked.length); i++) if (rel.has(ranked[i])) seen.add(ranked[i]);
  return seen.size / rel.size;
}

// 1 / rank of the first relevant item within the first k, else 0.
export function mrrAt(ranked, relevant, k = 10) {
  const rel = asSet(relevant);
  for (let i = 0; i < Math.min(k, ranked.length); i++) if (rel.has(ranked[i])) return 1 / (i + 1);
  return 0;
}

export const ndcgAt10 = (ranked, relevant) => ndcgAt(ranked, relevant, 10);
export const recallAt10 = (ranked, relevant) => recallAt(ranked, relevant, 10);
export const recallAt100 = (ranked, relevant) => recallAt(ranked, relevant, 100);
export const mrrAt10 = (ranked, relevant) => mrrAt(ranked, relevant, 10);

// All four for one query.
export function scoreRanking(ranked, relevant) {
  const rel = asSet(relevant);
  return { ndcg10: ndcgAt(ranked, rel, 10), recall10: recallAt(ranked, rel, 10), recall100: recallAt(ranked, rel, 100), mrr10: mrrAt(ranked, rel, 10) };
}

// Means of per-query score objects: { ndcg10, recall10, recall100, mrr10, n }
export function meanScores(scores) {
  const out = { ndcg10: 0, recall10: 0, recall100: 0, mrr10: 0, n: scores.length };
  for (const s of scores) for (const k of ['ndcg10', 'recall10', 'recall100', 'mrr10']) out[k] += s[k];
  if (scores.length) for (const k of ['ndcg10', 'recall10', 'recall100', 'mrr10']) out[k] /= scores.length;
  return out;
}

// Seeded PRNG (mulberry32): a function returning floats in [0, 1).
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Paired bootstrap over queries: a[i] and b[i] are two systems' scores on query i. Returns the
// mean difference a - b and the 2.5th/97.5th percentiles of the resampled mean differences.
export function pairedBootstrap(a, b, { resamples = 1000, seed = 20261204 } = {}) {
  if (a.length !== b.length) throw new Error(`pairedBootstrap: ${a.length} vs ${b.length} scores`);
  const n = a.length;
  if (!n) return { mean: 0, lo: 0, hi: 0, n: 0, resamples };
  const diff = Float64Array.from(a, (x, i) => x - b[i]);
  const mean = diff.reduce((s, x) => s + x, 0) / n;
  const rand = mulberry32(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += diff[Math.floor(rand() * n)];
    means[r] = s / n;
  }
  means.sort();
  const at = (q) => means[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))];
  return { mean, lo: at(0.025), hi: at(0.975), n, resamples };
}
