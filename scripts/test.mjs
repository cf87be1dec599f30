// `npm test`: installs what is missing, builds, then runs every suite:
// CTest (the core natively and compiled to wasm under Node), Node's test runner (the package as users import it,
// in Node and in real Chromium)
// and Vitest (TypeScript units). Ends with one "total: N passed, N failed" line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAll, buildWasmTests } from './build.mjs';
import { ROOT } from './setup.mjs';

buildAll();
buildWasmTests();

function run(label, cmd, args) {
  console.log(`\n[test] ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  process.stdout.write(r.stdout ?? '');
  process.stderr.write(r.stderr ?? '');
  return { status: r.status ?? 1, out: `${r.stdout ?? ''}\n${r.stderr ?? ''}` };
}

const suites = [];

for (const [name, dir] of [['ctest', 'build/native'], ['ctest-wasm', 'build/wasm']]) {
  const r = run(`CTest (${dir})`, 'ctest', ['--test-dir', dir, '--output-on-failure', '-j2']);
  const m = r.out.match(/(\d+)% tests passed, (\d+) tests failed out of (\d+)/);
  const total = m ? Number(m[3]) : 0;
  const failed = m ? Number(m[2]) : 1;
  suites.push({ name, passed: total - failed, failed: r.status === 0 ? failed : Math.max(failed, 1) });
}
{
  const r = run('node:test', process.execPath, ['--test', '--test-reporter=spec', 'tests/js/', 'tests/browser/']);
  const pass = Number(r.out.match(/ℹ pass (\d+)/)?.[1] ?? 0);
  const fail = Number(r.out.match(/ℹ fail (\d+)/)?.[1] ?? 0);
  suites.push({ name: 'node:test', passed: pass, failed: r.status === 0 ? fail : Math.max(fail, 1) });
}
{
  const dir = mkdtempSync(join(tmpdir(), 'neurovec-vitest-'));
  const report = join(dir, 'report.json');
  const r = run('Vitest', process.execPath, [join('node_modules', 'vitest', 'vitest.mjs'), 'run',
    '--reporter=default', '--reporter=json', `--outputFile=${report}`]);
  let passed = 0;
  let failed = 1;
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    passed = json.numPassedTests;
    failed = json.numFailedTests;
  } catch {
    // no report: counted as a failure below
  }
  rmSync(dir, { recursive: true, force: true });
  suites.push({ name: 'vitest', passed, failed: r.status === 0 ? failed : Math.max(failed, 1) });
}

console.log('\n[test] summary');
for (const s of suites) console.log(`  ${s.name.padEnd(10)} ${s.passed} passed, ${s.failed} failed`);
const passed = suites.reduce((a, s) => a + s.passed, 0);
const failed = suites.reduce((a, s) => a + s.failed, 0);
console.log(`total: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
