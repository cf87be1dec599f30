// neurovec is a library: importing it and using an index must not install
// process-wide handlers, and the app's own rejections and exceptions must not
// kill the process. Checked in fresh child processes (the test runner installs
// handlers of its own in this one).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (name) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

async function runChild(name) {
  const { stdout, stderr } = await run(process.execPath, [fixture(name)], { cwd: ROOT, timeout: 30_000 });
  const lines = stdout.trim().split('\n');
  return { output: JSON.parse(lines[lines.length - 1]), stderr };
}

test('importing neurovec and using an index adds no process listeners', async () => {
  const { output } = await runChild('handlers_child.mjs');
  const { before, afterImport, afterUse, afterDispose } = output;
  assert.deepEqual(afterImport, before, 'listeners added by import');
  assert.deepEqual(afterUse, before, 'listeners added by create/add/search');
  assert.deepEqual(afterDispose, before, 'listeners added by dispose');
  assert.equal(before.uncaughtException, 0);
  assert.equal(before.unhandledRejection, 0);
});

test("the app's own rejections and exceptions do not kill a process using neurovec", async () => {
  // execFile rejects on a non-zero exit code, so reaching the asserts means exit 0.
  const { output, stderr } = await runChild('rejection_child.mjs');
  assert.deepEqual(output, [
    'caught app failure',
    'create rejected INVALID_ARGUMENT',
    'app handler: unrelated',
    'app exception handler: thrown in a timer',
    'add rejected ALREADY_EXISTS',
    'search a',
  ]);
  assert.doesNotMatch(stderr, /abort|RuntimeError/i);
});
