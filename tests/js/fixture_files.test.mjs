// Files written by an earlier build (tests/js/fixtures/v1_*.nvx, format
// version 1, written by the writer before the codec was split by section)
// open, and saving what was opened gives the same bytes, from bytes and from
// a file opened read-only. The fixtures cover the core sections, block
// checksums, quantized traversal (codes) and compression tiers.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { VectorIndex } from 'neurovec';

const fixture = (name) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const FILES = {
  'v1_small.nvx': { size: 57, kinds: [1, 2, 3, 4, 20, 5, 21, 6, 12] },
  'v1_quantized.nvx': { size: 89, kinds: [1, 2, 3, 4, 20, 5, 21, 6, 12, 7, 8] },
  'v1_tiers.nvx': { size: 300, kinds: [1, 2, 3, 4, 20, 5, 21, 6, 12, 9, 10, 11] },
};

// Kinds listed in the section table of a snapshot (header slot 0).
function sectionKinds(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offset = Number(view.getBigUint64(32, true));
  const length = Number(view.getBigUint64(40, true));
  const kinds = [];
  for (let at = offset; at < offset + length; at += 32) kinds.push(view.getUint32(at, true));
  return kinds;
}

for (const [name, expected] of Object.entries(FILES)) {
  test(`${name}: an old file opens and saves byte-identically`, async () => {
    const bytes = new Uint8Array(readFileSync(fixture(name)));
    assert.deepEqual(sectionKinds(bytes), expected.kinds);
    const index = await VectorIndex.fromBytes(bytes);
    try {
      assert.equal(index.size, expected.size);
      const saved = await index.toBytes();
      assert.equal(saved.length, bytes.length);
      assert.ok(Buffer.from(saved).equals(Buffer.from(bytes)), 'toBytes() of the opened file differs from the file');
      // Searches work on what was read.
      const query = index.get(index.size > 0 ? firstId(name) : 0)?.vector;
      assert.ok(query, 'a known id is present');
      assert.equal(index.search(query, 1)[0].id, firstId(name));
    } finally {
      index.dispose();
    }
    const dir = mkdtempSync(join(tmpdir(), 'neurovec-fixture-'));
    try {
      const opened = await VectorIndex.open(fixture(name), { readOnly: true });
      try {
        const path = join(dir, 'copy.nvx');
        await opened.save(path);
        assert.ok(readFileSync(path).equals(Buffer.from(bytes)), 'save() of the opened file differs from the file');
      } finally {
        await opened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

function firstId(name) {
  return name === 'v1_tiers.nvx' ? 't0' : name === 'v1_small.nvx' ? 'doc-0' : 0;
}
