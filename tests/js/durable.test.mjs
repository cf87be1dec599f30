// Durable index files in Node (wasm core + node:fs storage): create/sync/
// close/open, read-only and locked opens, native<->wasm files with logs, and
// the crash loop: a child process writes and syncs while the parent SIGKILLs
// it at random moments; every acknowledged write must be found after reopening.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NeurovecError, VectorIndex } from 'neurovec';
import { clusteredData, rng } from './helpers.mjs';
import { vectorOf } from './fixtures/durable_vectors.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'build', 'native', 'neurovec');

function tempDir(name) {
  return mkdtempSync(join(tmpdir(), `neurovec-${name}-`));
}

test('create with storage, write, sync, close, reopen: everything is there, nothing re-inserted', async () => {
  const dir = tempDir('durable');
  try {
    const path = join(dir, 'index.nvx');
    const d = 12;
    const { data, queries } = clusteredData({ n: 400, d, queries: 20, seed: 5 });
    const index = await VectorIndex.create({ dimensions: d, metric: 'cosine', storage: path });
    index.addBatch(Array.from({ length: 300 }, (_, i) => i), data.subarray(0, 300 * d),
      { metadata: Array.from({ length: 300 }, (_, i) => ({ group: i % 3 })) });
    for (let i = 300; i < 400; i++) index.add(`s${i}`, data.subarray(i * d, (i + 1) * d));
    for (let i = 0; i < 300; i += 10) assert.equal(index.delete(i), true);
    index.setMetadata(1, { group: 9, note: 'updated' });
    index.setMetadata(2, undefined);
    assert.throws(() => index.setMetadata('nope', {}), (e) => e instanceof NeurovecError && e.code === 'NOT_FOUND');
    assert.ok(index.stats().file.pendingBytes > 0, 'writes wait in the log buffer until sync()');
    await index.sync();
    const file = index.stats().file;
    assert.equal(file.pendingBytes, 0);
    assert.ok(file.logBytes > 0 && file.syncs === 1, JSON.stringify(file));
    const expected = queries.length && Array.from({ length: 20 }, (_, q) => index.search(queries.subarray(q * d, (q + 1) * d), 10, { ef: 400 }));
    await index.close();
    assert.equal(existsSync(`${path}.lock`), false, 'close releases the writer lock');
    assert.throws(() => index.size, (e) => e.code === 'DISPOSED');

    const opened = await VectorIndex.open(path, { readOnly: true });
    assert.equal(opened.size, 370);
    assert.equal(opened.stats().file.replayedRecords > 0, true);
    assert.deepEqual(opened.get(1).metadata, { group: 9, note: 'updated' });
    assert.equal(opened.get(2).metadata, undefined);
    assert.equal(opened.has(10), false);
    for (let q = 0; q < 20; q++) {
      assert.deepEqual(opened.search(queries.subarray(q * d, (q + 1) * d), 10, { ef: 400 }), expected[q]);
    }
    assert.throws(() => opened.add(5000, data.subarray(0, d)), (e) => e.code === 'FAILED_PRECONDITION' && /read-only/.test(e.message));
    await opened.close();

    // Writable again: a checkpoint folds the log; the file reopens with no log to replay.
    const writer = await VectorIndex.open(path);
    writer.add('late', data.subarray(0, d));
    await writer.checkpoint();
    assert.equal(writer.stats().file.generation, 2);
    await writer.close();
    const after = await VectorIndex.open(path, { readOnly: true });
    assert.equal(after.size, 371);
    assert.equal(after.stats().file.replayedRecords, 0);
    await after.close();
    assert.deepEqual(readdirSync(dir), ['index.nvx']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one writer at a time (LOCKED), readers alongside, a dead writer\'s lock is taken over', async () => {
  const dir = tempDir('lock');
  try {
    const path = join(dir, 'index.nvx');
    const index = await VectorIndex.create({ dimensions: 3, metric: 'l2', storage: path });
    index.add(1, [1, 2, 3]);
    await index.sync();
    await assert.rejects(VectorIndex.open(path), (e) => e.code === 'LOCKED' && e.message.includes(String(process.pid)));
    await assert.rejects(VectorIndex.create({ dimensions: 3, storage: path }), (e) => e.code === 'LOCKED' || e.code === 'ALREADY_EXISTS');
    const reader = await VectorIndex.open(path, { readOnly: true });
    assert.equal(reader.size, 1);
    await reader.close();
    await index.close();
    // A lock file left by a process that no longer exists.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.on('exit', resolve));
    writeFileSync(`${path}.lock`, `${dead.pid}\n`);
    const taken = await VectorIndex.open(path);
    assert.equal(taken.size, 1);
    await taken.close();
    await assert.rejects(VectorIndex.create({ dimensions: 3, storage: path }), (e) => e.code === 'ALREADY_EXISTS');
    await assert.rejects(VectorIndex.open({ opfs: 'x' }), (e) => e.code === 'INVALID_ARGUMENT');
    // A crash between creating a file and flushing its first image leaves it
    // empty: open says it is no index file, and create may take it over.
    const empty = join(dir, 'empty.nvx');
    writeFileSync(empty, '');
    await assert.rejects(VectorIndex.open(empty), (e) => e.code === 'NOT_AN_INDEX_FILE');
    const fresh = await VectorIndex.create({ dimensions: 3, storage: empty });
    fresh.add(1, [1, 1, 1]);
    await fresh.close();
    assert.equal((await VectorIndex.open(empty, { readOnly: true })).size, 1);
    rmSync(empty);
    assert.deepEqual(readdirSync(dir), ['index.nvx']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file with a log written by wasm opens natively, and the reverse, with the same answers', { skip: !existsSync(CLI) }, async () => {
  const dir = tempDir('interop');
  try {
    const d = 8;
    const { data, queries } = clusteredData({ n: 300, d, queries: 5, seed: 8 });
    const path = join(dir, 'wasm.nvx');
    const index = await VectorIndex.create({ dimensions: d, metric: 'l2', storage: path });
    index.addBatch(Array.from({ length: 200 }, (_, i) => i), data.subarray(0, 200 * d));
    await index.checkpoint();
    for (let i = 200; i < 300; i++) index.add(i, data.subarray(i * d, (i + 1) * d)); // these stay in the log
    index.delete(7);
    index.add('we"ird\\id\n', queries.subarray(0, d)); // the CLI must escape it in its JSON
    await index.sync();
    const qpath = join(dir, 'q.fvecs');
    const buf = Buffer.alloc(5 * (4 + 4 * d));
    for (let q = 0; q < 5; q++) {
      buf.writeInt32LE(d, q * (4 + 4 * d));
      for (let i = 0; i < d; i++) buf.writeFloatLE(queries[q * d + i], q * (4 + 4 * d) + 4 + 4 * i);
    }
    writeFileSync(qpath, buf);
    const lines = execFileSync(CLI, ['query', '--index', path, '--queries', qpath, '--k', '10', '--ef', '300', '--json'], { encoding: 'utf8' })
      .trim().split('\n').map((l) => JSON.parse(l));
    for (let q = 0; q < 5; q++) {
      const ours = index.search(queries.subarray(q * d, (q + 1) * d), 10, { ef: 300 });
      assert.deepEqual(lines[q].ids, ours.map((r) => r.id));
    }
    await index.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The crash loop. Every run: a child opens the file, writes and syncs, telling
// the parent after each sync; the parent kills it with SIGKILL after a random
// delay, then opens the file read-only and checks every acknowledged write.
test('SIGKILL at random moments loses no acknowledged write', { timeout: 600_000 }, async () => {
  const runs = Number(process.env.NEUROVEC_KILL_RUNS ?? 200);
  const dir = tempDir('kill');
  const path = join(dir, 'index.nvx');
  const random = rng(77);
  const live = new Set(); // acknowledged and not deleted
  const deleted = new Set(); // acknowledged deletes
  let acknowledged = 0;
  let killedMidWrite = 0;
  let nextId = 0; // after every id a child announced: ids are never reused
  try {
    for (let run = 0; run < runs; run++) {
      const child = spawn(process.execPath, [join(ROOT, 'tests/js/fixtures/durable_writer.mjs'), path, String(run + 1), String(nextId)],
        { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c) => { stderr += c; });
      let buffer = '';
      let acksThisRun = 0;
      const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
      child.stdout.on('data', (chunk) => {
        buffer += chunk;
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).split(' ');
          buffer = buffer.slice(nl + 1);
          if (line[0] === 'ready') {
            setTimeout(() => child.kill('SIGKILL'), 5 + Math.floor(random() * 60));
          } else if (line[0] === 'intent') {
            for (const id of line.slice(2).map(Number)) {
              nextId = Math.max(nextId, id + 1);
              if (line[1] === 'delete') live.delete(id); // may be gone after a kill even without its ack
            }
          } else if (line[0] === 'ack') {
            const ids = line.slice(2).map(Number);
            for (const id of ids) {
              if (line[1] === 'add') live.add(id);
              else { live.delete(id); deleted.add(id); }
            }
            acknowledged += ids.length;
            acksThisRun++;
          }
        }
      });
      const { code, signal } = await exited;
      assert.equal(signal, 'SIGKILL', `run ${run}: the writer exited by itself (code ${code}): ${stderr}`);
      if (acksThisRun > 0) killedMidWrite++;
      const index = await VectorIndex.open(path, { readOnly: true });
      // Every acknowledged item, every run. The messages are built only on a
      // failure: a template with stats() in it, evaluated for each of ~25k
      // items per run, cost O(n) per item and made the loop quadratic (600 s).
      for (const id of live) {
        const got = index.get(id);
        if (!got) assert.fail(`run ${run}: acknowledged id ${id} is missing (${JSON.stringify(index.stats().file)})`);
        const want = vectorOf(id);
        let same = got.vector.length === want.length;
        for (let i = 0; same && i < want.length; i++) same = got.vector[i] === want[i];
        if (!same) assert.deepEqual(got.vector, want, `run ${run}: id ${id} has a different vector`);
      }
      for (const id of deleted) {
        if (index.has(id)) assert.fail(`run ${run}: deleted id ${id} came back`);
      }
      await index.close();
    }
    console.log(`SIGKILL loop: ${runs} runs (${killedMidWrite} killed after acknowledging writes), ` +
      `${acknowledged} acknowledged writes, 0 lost; ${live.size} items live at the end`);
    assert.ok(acknowledged > runs, 'the children acknowledged writes');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
