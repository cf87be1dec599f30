// Trains the text encoder on the Debian catalogue's TRAINING split (by source
// package, scripts/catalogue.mjs) and writes its weights:
//   node scripts/train_encoder.mjs [--out models/debian-encoder.nvenc] [--sources synopsis,summary,keywords]
//                                  [--catalogue demo/data/catalogue.jsonl] [any `neurovec train-encoder` option]
// Pairs (query -> document), documents as the index stores them:
//   synopsis -> name + long description (the synopsis left out, or the pair is trivial)
//   AppStream summary, AppStream keywords -> name + synopsis + long description
//   name words -> synopsis + long description ("name")
// The tuning and test splits are never read here.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { docText, loadCatalogue } from '../bench/lib/text_queries.mjs';
import { ROOT } from './setup.mjs';

export const DEFAULT_SOURCES = ['synopsis', 'summary', 'keywords'];

export function trainingPairs(docs, sources = DEFAULT_SOURCES) {
  const pairs = [];
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
  for (const [k, v] of Object.entries(options)) {
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
