#!/usr/bin/env node
// The Debian package catalogue: the text corpus of neurovec's text search (issue 11, item 1).
//
//   node scripts/catalogue.mjs [--out demo/data] [--refresh] [--sample [PATH]]
//
// 1. Fetches the package indexes with `apt-get update` into build/apt/ only: its own lists
//    directory, cache and config (-c build/apt/apt.conf clears the image's update hooks, which
//    would otherwise refresh the system's AppStream cache), English Translation files and the
//    AppStream (DEP-11) metadata that this image switches off. /var/lib/apt/lists and the rest of
//    the system's apt state are left as they were. Lists younger than a day are reused unless
//    --refresh. Needs root (apt-get update does); without it, or when apt-get fails, it stops and
//    says what to run.
// 2. Debtags vocabulary: /usr/share/debtags/vocabulary when package `debtags` is installed;
//    otherwise the debtags .deb is downloaded with the same private lists and unpacked under
//    build/apt/debtags-root (nothing is installed; `apt-get install -y debtags` would do as well).
// 3. Parses Packages (Package, Source, Section, Description, Description-md5, Tag), Translation-en
//    (long descriptions by Description-md5) and Components-amd64.yml.gz (a purpose-built parser for
//    the block-style YAML subset DEP-11 uses), keeps one document per binary package (amd64 + all,
//    the highest version when several suites carry it) and writes, under --out:
//      catalogue.jsonl          one JSON object per line, sorted by name:
//        { name, source, synopsis, description, section, tags, appstream, split }
//        appstream = { summary, keywords, categories } | null
//        split = 'train' | 'tune' | 'test' from FNV-1a 32 of the source package name mod 100
//        (< 70 train, < 80 tune, else test), so binaries of one source never straddle splits
//      debtags-vocabulary.json  { tag: short description }
// 4. --sample [PATH] also writes the committed test sample (default
//    tests/fixtures/text/debian-sample.jsonl, about 2,000 packages chosen by a salted hash of the
//    source name, AppStream packages over-represented) and debtags-vocabulary.json beside it.
//
// Plain Node, no dependencies.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DAY_MS = 24 * 3600 * 1000;

// ---------------------------------------------------------------------------------------------
// Hashing and splits

// FNV-1a, 32 bits, over the UTF-8 bytes of `text`.
export function fnv1a32(text) {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function splitOf(source) {
  const b = fnv1a32(source) % 100;
  return b < 70 ? 'train' : b < 80 ? 'tune' : 'test';
}

// ---------------------------------------------------------------------------------------------
// deb822 (Packages, Translation-en, debtags vocabulary)

// Yields one object per stanza: field name -> array of lines (the first is the text after
// "Field:", trimmed; continuation lines keep their text after the leading space).
export function* deb822Stanzas(text) {
  let stanza = null;
  let last = null;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (stanza) yield stanza;
      stanza = null;
      last = null;
    } else if (line[0] === ' ' || line[0] === '\t') {
      if (last) last.push(line.slice(1));
    } else {
      const c = line.indexOf(':');
      if (c <= 0) continue;
      stanza ??= {};
      last = [line.slice(c + 1).trim()];
      stanza[line.slice(0, c)] = last;
    }
  }
  if (stanza) yield stanza;
}

// The long part of a Debian description (continuation lines, leading space removed): lines of
// one paragraph are unwrapped, " ." lines become paragraph breaks ("\n\n"); list items
// ("* ", "- ", "o ", "1. ") and verbatim lines (indented further) start a new line.
export function formatLongDescription(lines) {
  const paragraphs = [];
  let cur = '';
  let inItem = false;
  const flush = () => {
    if (cur) paragraphs.push(cur);
    cur = '';
    inItem = false;
  };
  for (const raw of lines) {
    const trimmed = raw.trim();
    if (trimmed === '.' || trimmed === '') {
      flush();
      continue;
    }
    const item = /^([-*+o•]|\d+[.)])\s/.test(trimmed);
    const indented = /^\s/.test(raw);
    if (!cur) cur = trimmed;
    else if (item || (indented && !inItem)) cur += `\n${trimmed}`;
    else cur += ` ${trimmed}`;
    inItem = item || inItem; // the rest of a list item's paragraph stays in the item
  }
  flush();
  return paragraphs.join('\n\n');
}

// Debian version comparison (dpkg's algorithm): negative, zero or positive.
export function compareDebVersions(a, b) {
  const split = (v) => {
    const c = v.indexOf(':');
    const epoch = c >= 0 ? Number(v.slice(0, c)) || 0 : 0;
    const rest = c >= 0 ? v.slice(c + 1) : v;
    const d = rest.lastIndexOf('-');
    return d >= 0 ? [epoch, rest.slice(0, d), rest.slice(d + 1)] : [epoch, rest, '0'];
  };
  const order = (ch) => {
    if (ch === undefined) return 0;
    if (ch === '~') return -1;
    if (/[A-Za-z]/.test(ch)) return ch.charCodeAt(0);
    return ch.charCodeAt(0) + 256;
  };
  const part = (x, y) => {
    let i = 0;
    let j = 0;
    while (i < x.length || j < y.length) {
      let diff = 0;
      while ((i < x.length && !/\d/.test(x[i])) || (j < y.length && !/\d/.test(y[j]))) {
        const ox = i < x.length && !/\d/.test(x[i]) ? order(x[i]) : 0;
        const oy = j < y.length && !/\d/.test(y[j]) ? order(y[j]) : 0;
        if (ox !== oy) return ox - oy;
        if (i < x.length && !/\d/.test(x[i])) i++;
        if (j < y.length && !/\d/.test(y[j])) j++;
      }
      while (x[i] === '0') i++;
      while (y[j] === '0') j++;
      while (i < x.length && /\d/.test(x[i]) && j < y.length && /\d/.test(y[j])) {
        if (!diff) diff = x.charCodeAt(i) - y.charCodeAt(j);
        i++;
        j++;
      }
      if (i < x.length && /\d/.test(x[i])) return 1;
      if (j < y.length && /\d/.test(y[j])) return -1;
      if (diff) return diff;
    }
    return 0;
  };
  const [ea, ua, ra] = split(a);
  const [eb, ub, rb] = split(b);
  return ea - eb || part(ua, ub) || part(ra, rb);
}

// Packages: [{ name, version, source, section, synopsis, longLines, md5, tags }]
export function parsePackages(text) {
  const out = [];
  for (const s of deb822Stanzas(text)) {
    const name = s.Package?.[0];
    if (!name) continue;
    const description = s.Description ?? [''];
    const section = (s.Section?.[0] ?? '').replace(/^[^/]*\//, '');
    const tags = s.Tag ? s.Tag.join(' ').split(',').map((t) => t.trim()).filter(Boolean) : [];
    out.push({
      name,
      version: s.Version?.[0] ?? '0',
      source: (s.Source?.[0] ?? name).replace(/\s*\(.*\)\s*$/, '').trim() || name,
      section,
      synopsis: description[0].trim(),
      longLines: description.slice(1),
      md5: s['Description-md5']?.[0] ?? '',
      tags,
    });
  }
  return out;
}

// Translation-en: Map Description-md5 -> { synopsis, description }
export function parseTranslations(text, into = new Map()) {
  for (const s of deb822Stanzas(text)) {
    const md5 = s['Description-md5']?.[0];
    const d = s['Description-en'];
    if (!md5 || !d) continue;
    into.set(md5, { synopsis: d[0].trim(), description: formatLongDescription(d.slice(1)) });
  }
  return into;
}

// debtags vocabulary: { tag: first line of its Description }
export function parseVocabulary(text) {
  const out = {};
  for (const s of deb822Stanzas(text)) {
    const tag = s.Tag?.[0];
    if (tag) out[tag] = (s.Description?.[0] ?? '').trim();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// A small YAML reader for DEP-11: block mappings and sequences (sequence items may sit at their
// key's indentation), plain, single- and double-quoted scalars over several lines, block scalars
// (| and >, with chomping), and empty flow collections. No anchors, tags or flow content.

export function parseYamlDocuments(text) {
  const docs = [];
  let lines = [];
  const end = () => {
    if (lines.some((l) => l.trim() !== '')) docs.push(new YamlReader(lines).document());
    lines = [];
  };
  for (const line of text.split('\n')) {
    if (line === '---' || line.startsWith('--- ') || line === '...') end();
    else lines.push(line.replace(/\r$/, ''));
  }
  end();
  return docs;
}

const indentOf = (line) => {
  let i = 0;
  while (line.charCodeAt(i) === 32) i++;
  return i;
};
const isBlank = (line) => line.trim() === '' || /^\s*#/.test(line);
const isSeqItem = (content) => content === '-' || content.startsWith('- ');

// [key, rest] when `content` is "key: rest" or "key:", else null.
function splitKey(content) {
  let k;
  if (content[0] === '"' || content[0] === "'") {
    const q = content[0];
    let i = 1;
    for (; i < content.length; i++) {
      if (q === '"' && content[i] === '\\') i++;
      else if (content[i] === q) {
        if (q === "'" && content[i + 1] === "'") i++;
        else break;
      }
    }
    if (content[i + 1] !== ':' || (content.length > i + 2 && content[i + 2] !== ' ')) return null;
    k = i + 1;
    return [unquote(content.slice(0, k)), content.slice(k + 1).trim()];
  }
  const m = /:(\s|$)/.exec(content);
  if (!m) return null;
  k = m.index;
  return [content.slice(0, k).trim(), content.slice(k + 1).trim()];
}

function unescapeDouble(s) {
  return s.replace(/\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, (_, e) => {
    switch (e[0]) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case '0': return '\0';
      case 'b': return '\b';
      case 'e': return '\x1b';
      case 'a': return '\x07';
      case 'f': return '\f';
      case 'v': return '\v';
      case 'N': return '\u0085';
      case '_': return '\u00a0';
      case 'L': return '\u2028';
      case 'P': return '\u2029';
      case ' ': return ' ';
      case 'x': case 'u': case 'U': return String.fromCodePoint(parseInt(e.slice(1), 16));
      default: return e; // \" \\ \/ and anything else
    }
  });
}

function unquote(s) {
  if (s.length >= 2 && s[0] === "'" && s.endsWith("'")) return s.slice(1, -1).replace(/''/g, "'");
  if (s.length >= 2 && s[0] === '"' && s.endsWith('"')) return unescapeDouble(s.slice(1, -1));
  return s;
}

// Line folding of flow scalars: one line break -> space, n > 1 -> n - 1 newlines.
function fold(parts) {
  let out = parts[0].trimEnd();
  let breaks = 0;
  for (let i = 1; i < parts.length; i++) {
    const t = parts[i].trim();
    if (t === '') {
      breaks++;
      continue;
    }
    if (out.endsWith('\\') && out[0] === '"' && !out.endsWith('\\\\')) out = out.slice(0, -1) + '\n'.repeat(breaks);
    else out += breaks ? '\n'.repeat(breaks) : ' ';
    out += t;
    breaks = 0;
  }
  return out;
}

class YamlReader {
  constructor(lines) {
    this.lines = lines;
    this.i = 0;
  }

  peek() {
    while (this.i < this.lines.length && isBlank(this.lines[this.i])) this.i++;
    return this.i < this.lines.length ? this.lines[this.i] : null;
  }

  document() {
    const line = this.peek();
    if (line === null) return null;
    return this.node(indentOf(line));
  }

  // The node starting at the next line, whose indentation is `indent`.
  node(indent) {
    const line = this.peek();
    const content = line.slice(indent);
    if (isSeqItem(content)) return this.seq(indent);
    if (splitKey(content)) return this.map(indent);
    const first = content;
    this.i++;
    return this.scalar(first, indent - 1);
  }

  // The value after "key:" at `indent` with `rest` on the same line.
  value(rest, indent) {
    if (rest === '' || rest[0] === '#') {
      const next = this.peek();
      if (next === null) return null;
      const ind = indentOf(next);
      if (ind > indent) return this.node(ind);
      if (ind === indent && isSeqItem(next.slice(ind))) return this.seq(ind);
      return null;
    }
    if (rest[0] === '|' || rest[0] === '>') return this.blockScalar(rest, indent);
    return this.scalar(rest, indent);
  }

  map(indent) {
    const obj = {};
    for (let line = this.peek(); line !== null; line = this.peek()) {
      const ind = indentOf(line);
      if (ind !== indent) {
        if (ind < indent) break;
        this.i++; // malformed: skip
        continue;
      }
      const content = line.slice(ind);
      if (isSeqItem(content)) break;
      const kv = splitKey(content);
      if (!kv) {
        this.i++;
        continue;
      }
      this.i++;
      obj[kv[0]] = this.value(kv[1], indent);
    }
    return obj;
  }

  seq(indent) {
    const arr = [];
    for (let line = this.peek(); line !== null; line = this.peek()) {
      const ind = indentOf(line);
      if (ind !== indent || !isSeqItem(line.slice(ind))) break;
      const after = line.slice(ind + 1);
      if (after.trim() === '') {
        this.i++;
        const next = this.peek();
        arr.push(next !== null && indentOf(next) > indent ? this.node(indentOf(next)) : null);
        continue;
      }
      const inner = ind + 1 + indentOf(after);
      const content = line.slice(inner);
      if (isSeqItem(content) || splitKey(content)) {
        // "- key: v" / "- - x": the item is a node at the item's inner indentation.
        this.lines[this.i] = ' '.repeat(inner) + content;
        arr.push(this.node(inner));
      } else if (content[0] === '|' || content[0] === '>') {
        this.i++;
        arr.push(this.blockScalar(content, indent));
      } else {
        this.i++;
        arr.push(this.scalar(content, indent));
      }
    }
    return arr;
  }

  // A flow scalar whose first line's text is `first` (already consumed); continuation lines
  // are those indented more than `parentIndent`.
  scalar(first, parentIndent) {
    const parts = [first];
    while (this.i < this.lines.length) {
      const line = this.lines[this.i];
      if (line.trim() === '') {
        parts.push('');
        this.i++;
        continue;
      }
      if (indentOf(line) <= parentIndent) break;
      parts.push(line);
      this.i++;
    }
    while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
    const text = fold(parts).trim();
    if (text === '{}') return {};
    if (text === '[]') return [];
    if (text[0] === '"' || text[0] === "'") return unquote(text);
    if (text === '~' || text === 'null') return null;
    return text.replace(/\s+#.*$/, '');
  }

  blockScalar(header, parentIndent) {
    const folded = header[0] === '>';
    const chomp = header.includes('-') ? 'strip' : header.includes('+') ? 'keep' : 'clip';
    const explicit = /\d/.exec(header);
    const raw = [];
    while (this.i < this.lines.length) {
      const line = this.lines[this.i];
      if (line.trim() !== '' && indentOf(line) <= parentIndent) break;
      raw.push(line);
      this.i++;
    }
    let trailing = 0;
    while (raw.length && raw[raw.length - 1].trim() === '') {
      raw.pop();
      trailing++;
    }
    const firstText = raw.find((l) => l.trim() !== '');
    const ci = explicit ? parentIndent + Number(explicit[0]) : firstText ? indentOf(firstText) : parentIndent + 1;
    const body = raw.map((l) => l.slice(ci));
    let text;
    if (!folded) text = body.join('\n');
    else {
      text = '';
      let prevMore = true;
      for (let k = 0; k < body.length; k++) {
        const l = body[k];
        const more = l === '' || /^\s/.test(l);
        if (k === 0) text = l;
        else if (l === '') text += '\n';
        else if (more || prevMore || body[k - 1] === '') text += (body[k - 1] === '' ? '' : '\n') + l;
        else text += ` ${l}`;
        prevMore = more && l !== '';
      }
    }
    if (chomp === 'strip') return text;
    if (chomp === 'clip') return text === '' ? '' : `${text}\n`;
    return `${text}\n${'\n'.repeat(trailing)}`;
  }
}

// DEP-11: Map package -> { summary, keywords, categories }, from all its components (the summary
// of the first by type: desktop app, console app, web app, addon, others; then by ID).
const TYPE_RANK = { 'desktop-application': 0, 'desktop': 0, 'console-application': 1, 'web-application': 2, 'addon': 3 };
const EN_KEYS = ['C', 'en', 'en_US', 'en_GB'];
const english = (m) => {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return typeof m === 'string' ? m : null;
  for (const k of EN_KEYS) if (m[k] != null) return m[k];
  return null;
};
// Keywords: some upstreams put a whole comma-separated list in one entry ('EEG,EDF,simulation'),
// others leave stray quotes and spaces (' sound', '"QR'): split, strip, drop entries with no word.
const cleanKeywords = (list) => list
  .filter((k) => k != null)
  .flatMap((k) => String(k).split(/[,;]/))
  .map((k) => k.replace(/^[\s"'“”]+|[\s"'“”]+$/g, '').replace(/\s+/g, ' '))
  .filter((k) => /[\p{L}\p{N}]/u.test(k));
// A summary wholly inside quotes ('"Networked Multi-player Ricochet Robots"') loses them.
const cleanSummary = (s) => s.replace(/\s+/g, ' ').trim().replace(/^"([^"]*)"$/, '$1');

export function parseDep11(text, into = new Map()) {
  const components = [];
  for (const doc of parseYamlDocuments(text)) {
    if (!doc || typeof doc !== 'object' || !doc.Type || typeof doc.Package !== 'string') continue;
    const summary = english(doc.Summary);
    const kw = english(doc.Keywords);
    components.push({
      id: String(doc.ID ?? ''),
      type: String(doc.Type),
      pkg: doc.Package,
      summary: typeof summary === 'string' ? cleanSummary(summary) : '',
      keywords: Array.isArray(kw) ? cleanKeywords(kw) : [],
      categories: Array.isArray(doc.Categories) ? doc.Categories.filter((c) => typeof c === 'string') : [],
    });
  }
  const rank = (c) => TYPE_RANK[c.type] ?? 9;
  components.sort((a, b) => rank(a) - rank(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const c of components) {
    let a = into.get(c.pkg);
    if (!a) {
      a = { summary: '', keywords: [], categories: [] };
      into.set(c.pkg, a);
    }
    if (!a.summary && c.summary) a.summary = c.summary;
    for (const k of c.keywords) if (!a.keywords.some((x) => x.toLowerCase() === k.toLowerCase())) a.keywords.push(k);
    for (const k of c.categories) if (!a.categories.includes(k)) a.categories.push(k);
  }
  return into;
}

// ---------------------------------------------------------------------------------------------
// Reading the lists

// The text of an index file, whatever compression apt kept it in.
export function readIndex(path) {
  if (path.endsWith('.gz')) return gunzipSync(readFileSync(path)).toString('utf8');
  if (/\.(lz4|xz|bz2|zst|lzma)$/.test(path)) {
    const r = spawnSync('/usr/lib/apt/apt-helper', ['cat-file', path], { maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`cannot decompress ${path}: ${r.stderr}`);
    return r.stdout.toString('utf8');
  }
  return readFileSync(path, 'utf8');
}

export function listFiles(listsDir) {
  const names = readdirSync(listsDir).sort();
  const pick = (re) => names.filter((n) => re.test(n)).map((n) => join(listsDir, n));
  return {
    packages: pick(/_binary-amd64_Packages(\.\w+)?$/),
    translations: pick(/_i18n_Translation-en(\.\w+)?$/),
    dep11: pick(/_dep11_Components-amd64\.yml(\.\w+)?$/),
  };
}

// Parses the lists into catalogue documents sorted by name, and counts what it skipped.
export function buildCatalogue(listsDir) {
  const files = listFiles(listsDir);
  if (!files.packages.length) throw new Error(`no Packages files in ${listsDir}`);
  const byName = new Map();
  let records = 0;
  for (const f of files.packages) {
    for (const p of parsePackages(readIndex(f))) {
      records++;
      const list = byName.get(p.name);
      if (list) list.push(p);
      else byName.set(p.name, [p]);
    }
  }
  const translations = new Map();
  for (const f of files.translations) parseTranslations(readIndex(f), translations);
  const appstream = new Map();
  for (const f of files.dep11) parseDep11(readIndex(f), appstream);

  const docs = [];
  const skipped = { noEnglishDescription: 0, appstreamWithoutPackage: 0 };
  for (const [name, list] of byName) {
    list.sort((a, b) => -compareDebVersions(a.version, b.version));
    const best = list[0];
    // The English text: by the chosen record's Description-md5, else its own long lines,
    // else another suite's record of the same package.
    let text = translations.get(best.md5);
    if (!text && best.longLines.length) text = { synopsis: best.synopsis, description: formatLongDescription(best.longLines) };
    for (let k = 1; !text && k < list.length; k++) text = translations.get(list[k].md5);
    const synopsis = (text?.synopsis || best.synopsis).trim();
    if (!synopsis) {
      skipped.noEnglishDescription++;
      continue;
    }
    const a = appstream.get(name);
    docs.push({
      name,
      source: best.source,
      synopsis,
      description: text?.description ?? '',
      section: best.section,
      tags: best.tags.length ? best.tags : (list.find((p) => p.tags.length)?.tags ?? []),
      appstream: a ? { summary: a.summary, keywords: a.keywords, categories: a.categories } : null,
      split: splitOf(best.source),
    });
  }
  for (const pkg of appstream.keys()) if (!byName.has(pkg)) skipped.appstreamWithoutPackage++;
  docs.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return { docs, records, files, skipped, translations: translations.size, appstreamPackages: appstream.size };
}

// ---------------------------------------------------------------------------------------------
// apt, privately

export function aptPaths(root = ROOT) {
  const base = join(root, 'build', 'apt');
  return {
    base,
    lists: join(base, 'lists'),
    cache: join(base, 'cache'),
    conf: join(base, 'apt.conf'),
    stamp: join(base, 'updated.stamp'),
    debs: join(base, 'debs'),
    debtagsRoot: join(base, 'debtags-root'),
  };
}

export function aptArgs(paths) {
  return [
    '-c', paths.conf,
    '-o', `Dir::State::Lists=${paths.lists}`,
    '-o', `Dir::Cache=${paths.cache}`,
    '-o', 'Dir::Cache::pkgcache=',
    '-o', 'Dir::Cache::srcpkgcache=',
    '-o', 'Acquire::Languages=en',
    '-o', 'Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=true',
    '-o', 'Acquire::GzipIndexes=false',
    '-o', 'APT::Sandbox::User=root',
  ];
}

function writeAptConf(paths) {
  for (const d of [paths.lists, join(paths.lists, 'partial'), paths.cache, paths.debs]) mkdirSync(d, { recursive: true });
  writeFileSync(paths.conf, [
    '// Written by scripts/catalogue.mjs: the update hooks of /etc/apt/apt.conf.d act on the',
    '// system (its AppStream cache, PackageKit), not on these private lists.',
    '#clear APT::Update::Pre-Invoke;',
    '#clear APT::Update::Post-Invoke;',
    '#clear APT::Update::Post-Invoke-Success;',
    '',
  ].join('\n'));
}

const shellQuote = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);

export class CatalogueError extends Error {}

// Runs apt-get update into build/apt unless the lists are younger than a day (or refresh).
export function updateLists({ root = ROOT, refresh = false, log = console.log } = {}) {
  const paths = aptPaths(root);
  const fresh = existsSync(paths.stamp) && Date.now() - statSync(paths.stamp).mtimeMs < DAY_MS
    && listFiles(paths.lists).packages.length > 0;
  if (fresh && !refresh) {
    const age = (Date.now() - statSync(paths.stamp).mtimeMs) / 3600e3;
    log(`lists: reusing ${relative(root, paths.lists)} (updated ${age.toFixed(1)} h ago; --refresh to fetch again)`);
    return { paths, updated: false };
  }
  const cmd = ['apt-get', ...aptArgs(paths), 'update'];
  const printable = cmd.map(shellQuote).join(' ');
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new CatalogueError(
      `apt-get update needs root, and ${fresh ? '--refresh asked for it' : 'the package lists are missing or older than a day'}.\n` +
      `Run it as root: sudo node ${relative(process.cwd(), fileURLToPath(import.meta.url)) || 'scripts/catalogue.mjs'}${refresh ? ' --refresh' : ''}\n` +
      `(it writes only under ${paths.base}; /var/lib/apt/lists and the system's apt configuration stay as they are).`);
  }
  writeAptConf(paths);
  log(`lists: ${printable}`);
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error || r.status !== 0 || /^(E:|W: Failed to fetch)/m.test(out)) {
    throw new CatalogueError(
      `apt-get update failed (${r.error?.message ?? `exit ${r.status}`}):\n${out.trim().split('\n').slice(-15).join('\n')}\n` +
      `Check the network to the Debian mirror and run it by hand to see the whole log:\n  ${printable}`);
  }
  const files = listFiles(paths.lists);
  if (!files.translations.length) throw new CatalogueError(`apt-get update fetched no Translation-en; run by hand:\n  ${printable}`);
  if (!files.dep11.length) log('warning: no DEP-11 Components-amd64.yml.gz was fetched: appstream will be null for all packages');
  writeFileSync(paths.stamp, `${new Date().toISOString()}\n`);
  return { paths, updated: true };
}

// The debtags vocabulary text: the installed one, or one unpacked from the .deb (downloaded with
// the private lists, not installed).
export function debtagsVocabularyText({ root = ROOT, log = console.log } = {}) {
  const installed = '/usr/share/debtags/vocabulary';
  if (existsSync(installed)) return readFileSync(installed, 'utf8');
  const paths = aptPaths(root);
  const unpacked = join(paths.debtagsRoot, 'usr/share/debtags/vocabulary');
  if (!existsSync(unpacked)) {
    writeAptConf(paths);
    const dl = spawnSync('apt-get', [...aptArgs(paths), 'download', 'debtags'], { cwd: paths.debs, encoding: 'utf8' });
    const deb = existsSync(paths.debs) ? readdirSync(paths.debs).filter((n) => /^debtags_.*\.deb$/.test(n)).sort().pop() : null;
    if (dl.status !== 0 || !deb) {
      throw new CatalogueError(`cannot download package debtags (${dl.stderr?.trim() ?? dl.error?.message}).\n` +
        'Install it instead (as root): apt-get install -y debtags');
    }
    const x = spawnSync('dpkg-deb', ['-x', join(paths.debs, deb), paths.debtagsRoot], { encoding: 'utf8' });
    if (x.status !== 0 || !existsSync(unpacked)) {
      throw new CatalogueError(`cannot unpack ${deb}: ${x.stderr}\nInstall it instead (as root): apt-get install -y debtags`);
    }
    log(`debtags: unpacked ${deb} under ${relative(root, paths.debtagsRoot)}`);
  }
  return readFileSync(unpacked, 'utf8');
}

// ---------------------------------------------------------------------------------------------
// The committed sample

// Every package with AppStream data whose source falls in the first APPSTREAM_SHARE percent
// of a salted hash, and the rest from the first OTHER_PER_MILLE per mille; whole source
// packages go together, and the splits keep their proportions (the salt decorrelates the
// choice from the split hash).
export const SAMPLE = { salt: 'neurovec-sample:', appstreamPercent: 30, otherPerMille: 20 };

export function selectSample(docs, { salt = SAMPLE.salt, appstreamPercent = SAMPLE.appstreamPercent,
  otherPerMille = SAMPLE.otherPerMille } = {}) {
  return docs.filter((d) => {
    const h = fnv1a32(salt + d.source);
    return d.appstream ? h % 100 < appstreamPercent : h % 1000 < otherPerMille;
  });
}

export const toJsonl = (docs) => docs.map((d) => JSON.stringify(d)).join('\n') + '\n';

// ---------------------------------------------------------------------------------------------
// Counts

export function countCatalogue(docs) {
  const c = {
    packages: docs.length,
    sources: new Set(docs.map((d) => d.source)).size,
    withLongDescription: 0,
    withTags: 0,
    withAppstream: 0,
    withSummary: 0,
    withKeywords: 0,
    withCategories: 0,
    distinctTags: new Set(),
    splits: {},
  };
  for (const d of docs) {
    if (d.description) c.withLongDescription++;
    if (d.tags.length) c.withTags++;
    for (const t of d.tags) c.distinctTags.add(t);
    if (d.appstream) {
      c.withAppstream++;
      if (d.appstream.summary) c.withSummary++;
      if (d.appstream.keywords.length) c.withKeywords++;
      if (d.appstream.categories.length) c.withCategories++;
    }
    const s = (c.splits[d.split] ??= { packages: 0, sources: new Set(), appstream: 0 });
    s.packages++;
    s.sources.add(d.source);
    if (d.appstream) s.appstream++;
  }
  c.distinctTags = c.distinctTags.size;
  for (const s of Object.values(c.splits)) s.sources = s.sources.size;
  return c;
}

function printCounts(label, c, log) {
  log(`${label}: ${c.packages} packages from ${c.sources} source packages; ` +
    `${c.withLongDescription} with a long description, ${c.withTags} with debtags (${c.distinctTags} distinct tags), ` +
    `${c.withAppstream} with AppStream data (summary ${c.withSummary}, keywords ${c.withKeywords}, categories ${c.withCategories})`);
  for (const split of ['train', 'tune', 'test']) {
    const s = c.splits[split] ?? { packages: 0, sources: 0, appstream: 0 };
    log(`  ${split.padEnd(5)} ${String(s.packages).padStart(6)} packages, ${String(s.sources).padStart(6)} sources, ${String(s.appstream).padStart(5)} with AppStream`);
  }
}

// ---------------------------------------------------------------------------------------------
// CLI

function parseArgs(argv) {
  const o = { out: join(ROOT, 'demo', 'data'), refresh: false, sample: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') o.out = resolve(argv[++i]);
    else if (a.startsWith('--out=')) o.out = resolve(a.slice(6));
    else if (a === '--refresh') o.refresh = true;
    else if (a === '--sample') {
      o.sample = argv[i + 1] && !argv[i + 1].startsWith('--') ? resolve(argv[++i])
        : join(ROOT, 'tests', 'fixtures', 'text', 'debian-sample.jsonl');
    } else if (a === '--help' || a === '-h') {
      console.log('usage: node scripts/catalogue.mjs [--out demo/data] [--refresh] [--sample [PATH]]');
      process.exit(0);
    } else throw new CatalogueError(`unknown argument ${a}`);
  }
  return o;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const log = console.log;
  const t0 = performance.now();
  updateLists({ refresh: opts.refresh, log });
  const vocabularyText = debtagsVocabularyText({ log });
  const t1 = performance.now();
  const cat = buildCatalogue(aptPaths().lists);
  const vocabulary = parseVocabulary(vocabularyText);
  const t2 = performance.now();

  mkdirSync(opts.out, { recursive: true });
  writeFileSync(join(opts.out, 'catalogue.jsonl'), toJsonl(cat.docs));
  writeFileSync(join(opts.out, 'debtags-vocabulary.json'), `${JSON.stringify(vocabulary, null, 1)}\n`);
  const t3 = performance.now();

  log(`read ${cat.records} Packages records (${cat.files.packages.length} files), ${cat.translations} English descriptions, ` +
    `AppStream data for ${cat.appstreamPackages} packages; skipped ${cat.skipped.noEnglishDescription} without an English ` +
    `description, ${cat.skipped.appstreamWithoutPackage} AppStream packages not in the Packages lists`);
  printCounts('catalogue', countCatalogue(cat.docs), log);
  const tagsUsed = new Set(cat.docs.flatMap((d) => d.tags));
  const noVocab = [...tagsUsed].filter((t) => !(t in vocabulary));
  log(`debtags vocabulary: ${Object.keys(vocabulary).length} tags; ${noVocab.length} tags used in Packages have no entry` +
    (noVocab.length ? ` (e.g. ${noVocab.slice(0, 5).join(', ')})` : ''));
  log(`wrote ${relative(ROOT, join(opts.out, 'catalogue.jsonl'))} and debtags-vocabulary.json`);

  const { buildQuerySets } = await import('../bench/lib/text_queries.mjs');
  const printQueries = (docs) => {
    for (const split of ['train', 'tune', 'test']) {
      const q = buildQuerySets(docs, split, { vocabulary });
      log(`  queries ${split.padEnd(5)} ${Object.entries(q).map(([k, v]) => `${k} ${v.length}`).join(', ')}`);
    }
  };
  printQueries(cat.docs);

  if (opts.sample) {
    const sample = selectSample(cat.docs);
    const text = toJsonl(sample);
    mkdirSync(dirname(opts.sample), { recursive: true });
    writeFileSync(opts.sample, text);
    const vocabPath = join(dirname(opts.sample), 'debtags-vocabulary.json');
    writeFileSync(vocabPath, `${JSON.stringify(vocabulary, null, 1)}\n`);
    printCounts(`sample ${relative(ROOT, opts.sample)} (${(Buffer.byteLength(text) / 1e6).toFixed(2)} MB)`, countCatalogue(sample), log);
    printQueries(sample);
  }
  log(`time: lists ${((t1 - t0) / 1000).toFixed(1)} s, parse ${((t2 - t1) / 1000).toFixed(1)} s, ` +
    `write ${((t3 - t2) / 1000).toFixed(1)} s, total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e instanceof CatalogueError ? `catalogue: ${e.message}` : e);
    process.exit(1);
  });
}
