// Trains the text encoder on the Debian catalogue's TRAINING split (by source
// package, scripts/catalogue.mjs) and writes its weights:
//   node scripts/train_encoder.mjs [--out models/debian-encoder.nvenc] [--sources synopsis,summary,keywords,name]
//                                  [--catalogue demo/data/catalogue.jsonl] [any `neurovec train-encoder` option]
// Pairs (query -> document), documents as the index stores them:
//   synopsis -> name + long description (the synopsis left out, or the pair is trivial)
//   AppStream summary, AppStream keywords -> name + synopsis + long description
//   name words -> synopsis + long description ("name")
// The tuning and test splits are never read here.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { docText, loadCatalogue } from '../bench/lib/text_queries.mjs';
import { ROOT } from './setup.mjs';

// The shipped encoder's recipe (models/README.md), chosen on the tuning split
// by mean nDCG@10 (semantic / hybrid): 5 epochs against 2 raised semantic
// 0.525 -> 0.538 (10 epochs: 0.540), hybrid within 0.004; temperature 0.1
// against 0.05 0.538/0.636 -> 0.560/0.644 (0.2: 0.539/0.644); 'name' pairs
// 0.560 -> 0.575 semantic, hybrid 0.645. WordNet pairs, feature dropout and
// section-grouped batches did not pay.
export const DEFAULT_SOURCES = ['synopsis', 'summary', 'keywords', 'name'];
export const DEFAULT_OPTIONS = { epochs: 5, temperature: 0.1 };

// WordNet 3.0 (Debian's wordnet-base): per synset, a lemma -> the other lemmas and the gloss
// ("wordnet"), for synsets with a lemma that the training descriptions use. Teaches
// synonyms the catalogue alone rarely pairs ("picture" / "image").
export function wordnetPairs(docs, dir = '/usr/share/wordnet') {
  const vocabulary = new Set();
  for (const d of docs) if (d.split === 'train') for (const w of `${d.synopsis} ${d.description}`.toLowerCase().match(/[a-z0-9]+/g) ?? []) vocabulary.add(w);
  const pairs = [];
  for (const pos of ['noun', 'verb', 'adj', 'adv']) {
    const file = join(dir, `data.${pos}`);
    if (!existsSync(file)) throw new Error(`${file} is missing: apt-get install wordnet-base`);
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line || line.startsWith('  ')) continue;
      const [head, gloss] = line.split(' | ');
      if (!gloss) continue;
      const f = head.split(' ');
      const count = parseInt(f[3], 16);
      const lemmas = [];
      for (let i = 0; i < count; i++) lemmas.push(f[4 + 2 * i].replace(/\(.*\)$/, '').replace(/_/g, ' ').toLowerCase());
      if (!lemmas.some((l) => vocabulary.has(l))) continue;
      const definition = gloss.split(';').filter((p) => !p.trim().startsWith('"')).join(';').trim();
      lemmas.forEach((lemma, i) => {
        const others = lemmas.filter((_, j) => j !== i);
        pairs.push({ q: lemma, d: [...others, definition].join(', '), g: `wordnet-${pos}` });
      });
    }
  }
  return pairs;
}

export function trainingPairs(docs, sources = DEFAULT_SOURCES) {
  const pairs = [];
  if (sources.includes('wordnet')) pairs.push(...wordnetPairs(docs));
  for (const d of docs) {
    if (d.split !== 'train' || !d.description) continue;
    const full = docText(d);
    const g = d.section;
    if (sources.includes('synopsis') && d.synopsis) pairs.push({ q: d.synopsis, d: docText(d, { withSynopsis: false }), g });
    if (sources.includes('summary') && d.appstream?.summary) pairs.push({ q: d.appstream.summary, d: full, g });
    if (sources.includes('keywords') && d.appstream?.keywords?.length) pairs.push({ q: d.appstream.keywords.join(' '), d: full, g });
    if (sources.includes('name')) pairs.push({ q: d.name.replace(/[-_.+]+/g, ' '), d: [d.synopsis, d.description].join('\n'), g });
  }
  return pairs;
}

export function trainEncoder({ catalogue = join(ROOT, 'demo/data/catalogue.jsonl'), out = join(ROOT, 'models/debian-encoder.nvenc'),
  sources = DEFAULT_SOURCES, options = {}, quiet = false } = {}) {
  const cli = join(ROOT, 'build/native/neurovec');
  if (!existsSync(cli)) throw new Error('build/native/neurovec is missing: run `npm run build` first');
  if (!existsSync(catalogue)) throw new Error(`${catalogue} is missing: run \`node scripts/catalogue.mjs\` first`);
  const pairs = trainingPairs(loadCatalogue(catalogue), sources);
  const pairsFile = join(ROOT, 'build/text/pairs.jsonl');
  mkdirSync(dirname(pairsFile), { recursive: true });
  writeFileSync(pairsFile, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
  mkdirSync(dirname(out), { recursive: true });
  const args = ['train-encoder', '--pairs', pairsFile, '--out', out];
  for (const [k, v] of Object.entries({ ...DEFAULT_OPTIONS, ...options })) {
    if (v === true || v === 'true') args.push(`--${k}`);
    else args.push(`--${k}`, String(v));
  }
  if (quiet) args.push('--quiet');
  const summary = JSON.parse(execFileSync(cli, args, { stdio: ['ignore', 'pipe', quiet ? 'ignore' : 'inherit'] }).toString().trim());
  return { ...summary, pairCount: pairs.length, sources, out };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const opts = {};
  let out;
  let catalogue;
  let sources = DEFAULT_SOURCES;
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    const value = argv[i + 1] === undefined || argv[i + 1].startsWith('--') ? 'true' : argv[++i];
    if (key === 'out') out = value;
    else if (key === 'catalogue') catalogue = value;
    else if (key === 'sources') sources = value.split(',');
    else opts[key] = value;
  }
  const r = trainEncoder({ out, catalogue, sources, options: opts });
  console.log(JSON.stringify(r));
}
