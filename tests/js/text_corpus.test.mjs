// The text-search corpus: the committed Debian sample, the query sets built from it, the
// metrics, and the catalogue script's parsers (no network, no apt: only committed files).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  buildQuerySets, categoryWords, contentWords, docText, loadCatalogue, mrrAt10, ndcgAt10, overlap,
  pairedBootstrap, recallAt10, recallAt100, scoreRanking, SPLITS,
} from '../../bench/lib/text_queries.mjs';
import {
  compareDebVersions, fnv1a32, formatLongDescription, parseDep11, parsePackages, parseTranslations,
  parseVocabulary, parseYamlDocuments, splitOf,
} from '../../scripts/catalogue.mjs';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'text');
const docs = loadCatalogue(join(FIXTURES, 'debian-sample.jsonl'));
const vocabulary = JSON.parse(readFileSync(join(FIXTURES, 'debtags-vocabulary.json'), 'utf8'));

test('the committed sample parses: well-formed documents, sorted, unique, splits by source hash', () => {
  assert.ok(docs.length >= 1500 && docs.length <= 3000, `${docs.length} documents`);
  const names = docs.map((d) => d.name);
  assert.deepEqual(names, [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  assert.equal(new Set(names).size, names.length);
  for (const d of docs) {
    assert.equal(typeof d.name, 'string');
    assert.equal(typeof d.source, 'string');
    assert.ok(d.synopsis.length > 0, d.name);
    assert.equal(typeof d.description, 'string');
    assert.equal(typeof d.section, 'string');
    assert.ok(Array.isArray(d.tags));
    assert.ok(SPLITS.includes(d.split), d.split);
    assert.equal(d.split, splitOf(d.source), `${d.name}: split follows the source package`);
    if (d.appstream !== null) {
      assert.equal(typeof d.appstream.summary, 'string');
      assert.ok(Array.isArray(d.appstream.keywords) && Array.isArray(d.appstream.categories));
    }
  }
  for (const split of SPLITS) assert.ok(docs.some((d) => d.split === split), `split ${split} present`);
  assert.ok(docs.filter((d) => d.appstream).length >= 300, 'AppStream packages are over-represented');
});

test('Q1..Q4 are non-empty on every split of the sample, and point at packages of that split', () => {
  for (const split of SPLITS) {
    const sets = buildQuerySets(docs, split, { vocabulary });
    const names = new Set(docs.filter((d) => d.split === split).map((d) => d.name));
    for (const set of ['Q1', 'Q2', 'Q3', 'Q4']) {
      assert.ok(sets[set].length > 0, `${split} ${set} empty`);
      for (const q of sets[set]) {
        assert.equal(q.set, set);
        assert.ok(q.text.trim().length > 0);
        assert.ok(q.relevant.length > 0);
        for (const r of q.relevant) assert.ok(names.has(r), `${set} ${q.text}: ${r} not in ${split}`);
      }
    }
    for (const q of sets.Q4) assert.ok(q.relevant.length >= 5);
    const synopses = new Map();
    for (const d of docs) synopses.set(d.synopsis.toLowerCase(), (synopses.get(d.synopsis.toLowerCase()) ?? 0) + 1);
    for (const q of sets.Q1) assert.equal(synopses.get(q.text.toLowerCase()), 1, 'shared synopses are skipped');
  }
  const q4 = buildQuerySets(docs, 'train', { vocabulary }).Q4;
  assert.ok(q4.some((q) => q.target.startsWith('debtag:')) && q4.some((q) => q.target.startsWith('category:')));
});

test('contentWords, docText and overlap (Q1 leaves the synopsis out)', () => {
  assert.deepEqual(contentWords('The Quick-brown fox, and THE dog 42'), ['quick', 'brown', 'fox', 'dog', '42']);
  const doc = { name: 'zed', synopsis: 'fast editor', description: 'A program for writing code.' };
  assert.equal(docText(doc), 'zed\nfast editor\nA program for writing code.');
  assert.equal(docText(doc, { withSynopsis: false }), 'zed\nA program for writing code.');
  assert.equal(overlap('fast code editor', doc), 3);
  assert.equal(overlap({ set: 'Q1', text: 'fast code editor' }, doc), 1);
  assert.equal(overlap({ set: 'Q2', text: 'fast code editor' }, doc), 3);
  assert.equal(categoryWords('AudioVideo'), 'audio video');
  assert.equal(categoryWords('3DGraphics'), '3d graphics');
  assert.equal(categoryWords('IRCClient'), 'irc client');
});

test('metrics on hand-made rankings', () => {
  const close = (a, b) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);
  close(ndcgAt10(['a', 'b', 'c'], ['a', 'b']), 1);
  close(ndcgAt10(['x', 'a'], ['a']), 1 / Math.log2(3));
  close(mrrAt10(['x', 'a', 'y'], ['a']), 0.5);
  close(mrrAt10(['a'], ['a']), 1);
  const eleven = [...'bcdefghijk', 'a'];
  close(mrrAt10(eleven, ['a']), 0);
  close(recallAt10(eleven, ['a']), 0);
  close(recallAt100(eleven, ['a']), 1);
  close(recallAt10(['a', 'x'], ['a', 'b']), 0.5);
  // 20 relevant, all of the first 10 relevant: the ideal DCG is over min(20, 10) items.
  const rel = Array.from({ length: 20 }, (_, i) => `r${i}`);
  close(ndcgAt10(rel.slice(0, 10), rel), 1);
  close(ndcgAt10([], ['a']), 0);
  assert.deepEqual(scoreRanking(['x', 'a'], ['a']), { ndcg10: 1 / Math.log2(3), recall10: 1, recall100: 1, mrr10: 0.5 });
});

test('paired bootstrap: seeded, and exact on constant differences', () => {
  const a = Array.from({ length: 50 }, (_, i) => (i % 3) / 2);
  const same = pairedBootstrap(a, a);
  assert.deepEqual([same.mean, same.lo, same.hi], [0, 0, 0]);
  const b = a.map((x) => x - 0.25);
  const shift = pairedBootstrap(a, b);
  for (const v of [shift.mean, shift.lo, shift.hi]) assert.ok(Math.abs(v - 0.25) < 1e-12);
  const noisy = a.map((x, i) => x + ((i * 7919) % 13) / 26 - 0.25);
  const r1 = pairedBootstrap(noisy, a, { seed: 7 });
  assert.deepEqual(r1, pairedBootstrap(noisy, a, { seed: 7 }));
  assert.equal(r1.resamples, 1000);
  assert.ok(r1.lo <= r1.mean && r1.mean <= r1.hi && r1.lo < r1.hi);
});

test('catalogue parsers: hash, versions, deb822, descriptions, DEP-11 YAML, vocabulary', () => {
  assert.equal(fnv1a32(''), 0x811c9dc5);
  assert.equal(fnv1a32('a'), 0xe40c292c);
  assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  assert.ok(compareDebVersions('1.0~rc1-1', '1.0-1') < 0);
  assert.ok(compareDebVersions('1:0.1', '2.0') > 0);
  assert.ok(compareDebVersions('1.0-1+deb12u1', '1.0-1') > 0);
  assert.ok(compareDebVersions('2.10', '2.9') > 0);
  assert.equal(compareDebVersions('1.0', '1.0-0'), 0);

  const pkgs = parsePackages([
    'Package: libfoo1', 'Source: foo (1.2-3)', 'Version: 1.2-3', 'Section: contrib/libs',
    'Description: Foo library', 'Description-md5: abc', 'Tag: devel::library, role::shared-lib,', ' implemented-in::c', '',
    'Package: foo', 'Version: 1.2-3', 'Section: utils', 'Description: Foo tool', '',
  ].join('\n'));
  assert.equal(pkgs.length, 2);
  assert.deepEqual([pkgs[0].source, pkgs[0].section, pkgs[0].md5, pkgs[0].tags],
    ['foo', 'libs', 'abc', ['devel::library', 'role::shared-lib', 'implemented-in::c']]);
  assert.equal(pkgs[1].source, 'foo');

  assert.equal(formatLongDescription(['First line', 'continues here.', '.', 'Features:', '* one', '  still one', '* two', '  verbatim']),
    'First line continues here.\n\nFeatures:\n* one still one\n* two verbatim');
  assert.equal(formatLongDescription(['Usage:', '  foo --bar', '  foo --baz']), 'Usage:\n foo --bar\n foo --baz'.replace(/\n /g, '\n'));
  const tr = parseTranslations('Package: foo\nDescription-md5: abc\nDescription-en: Foo tool\n Does foo.\n .\n Really.\n');
  assert.deepEqual(tr.get('abc'), { synopsis: 'Foo tool', description: 'Does foo.\n\nReally.' });

  const yaml = [
    '---', 'File: DEP-11', "Version: '0.16'", '---',
    'Type: desktop-application', 'ID: org.example.Foo', 'Package: foo',
    'Summary:', '  de: Ein Werkzeug', '  C: "A tool for foo,\\n', '    and bar"',
    'Description:', '  C: >-', '    <p>Long', '    text</p>',
    'Categories:', '- AudioVideo', '- Player',
    'Keywords:', '  fr:', '  - outil', '  C:', "  - 'QR code'", '  - EEG,EDF', '  - " sound"', '  - "..."',
    'Screenshots:', '- default: true', '  caption:', '    C: Main window', '  thumbnails: []',
    'ContentRating:', '  oars-1.1: {}', '---',
    'Type: addon', 'ID: org.example.Foo.plugin', 'Package: foo', 'Summary:', '  C: A plugin', 'Categories:', '- Utility',
  ].join('\n');
  const parsed = parseYamlDocuments(yaml);
  assert.equal(parsed.length, 3);
  assert.equal(parsed[1].Summary.C, 'A tool for foo,\n and bar');
  assert.equal(parsed[1].Description.C, '<p>Long text</p>');
  assert.deepEqual(parsed[1].Categories, ['AudioVideo', 'Player']);
  assert.deepEqual(parsed[1].Screenshots, [{ default: 'true', caption: { C: 'Main window' }, thumbnails: [] }]);
  assert.deepEqual(parsed[1].ContentRating, { 'oars-1.1': {} });
  const as = parseDep11(yaml).get('foo');
  assert.deepEqual(as, { summary: 'A tool for foo,\n and bar'.replace(/\s+/g, ' '), keywords: ['QR code', 'EEG', 'EDF', 'sound'],
    categories: ['AudioVideo', 'Player', 'Utility'] });

  assert.deepEqual(parseVocabulary('Facet: game\nDescription: Games\n\nTag: game::board\nDescription: Board Games\n Longer text.\n'),
    { 'game::board': 'Board Games' });
  assert.equal(vocabulary['game::strategy'] !== undefined, true);
});
