// `npm test`: installs what is missing, builds, then runs every suite:
// CTest (the core natively and compiled to wasm under Node), libFuzzer targets (ASan+UBSan, bounded time),
// Node's test runner (the package as users import it, in Node and in real Chromium)
// and Vitest (TypeScript units). Ends with one "total: N passed, N failed" line.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAll, buildWasmTests, buildWasmThreadsTests, THREADED_WASM_TESTS } from './build.mjs';
import { ROOT } from './setup.mjs';

buildAll();
buildWasmTests();
buildWasmThreadsTests();

function run(label, cmd, args) {
  console.log(`\n[test] ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  process.stdout.write(r.stdout ?? '');
  process.stderr.write(r.stderr ?? '');
  return { status: r.status ?? 1, out: `${r.stdout ?? ''}\n${r.stderr ?? ''}` };
}

const suites = [];

// libFuzzer targets of the file and log readers under ASan + UBSan (tests/fuzz),
// each run for a bounded time from seeds that are real files.
{
  const seconds = process.env.NEUROVEC_FUZZ_SECONDS ?? '20';
  let ok = run('fuzz build', 'cmake', ['-S', 'tests/fuzz', '-B', 'build/fuzz', '-DCMAKE_CXX_COMPILER=clang++',
    '-DCMAKE_BUILD_TYPE=RelWithDebInfo']).status === 0;
  ok = ok && run('fuzz build', 'cmake', ['--build', 'build/fuzz', '-j2']).status === 0;
  let passed = 0;
  let failed = ok ? 0 : 1;
  if (ok) {
    const corpus = mkdtempSync(join(tmpdir(), 'neurovec-fuzz-'));
    mkdirSync(join(corpus, 'log'));
    mkdirSync(join(corpus, 'file'));
    spawnSync(join(ROOT, 'build/fuzz/log_fuzzer'), [], { env: { ...process.env, NEUROVEC_FUZZ_WRITE_SEED: join(corpus, 'log', 'seed') } });
    renameSync(join(corpus, 'log', 'seed.nvx'), join(corpus, 'file', 'seed.nvx'));
    for (const [target, dir, maxLen] of [['log_fuzzer', 'log', 4096], ['index_file_fuzzer', 'file', 131072]]) {
      const r = run(`fuzz ${target}`, join(ROOT, 'build/fuzz', target),
        [join(corpus, dir), `-max_total_time=${seconds}`, `-max_len=${maxLen}`, '-print_final_stats=1']);
      if (r.status === 0) passed++;
      else failed++;
    }
    rmSync(corpus, { recursive: true, force: true });
  }
  suites.push({ name: 'fuzz', passed, failed });
}

for (const [name, dir, only] of [['ctest', 'build/native'], ['ctest-wasm', 'build/wasm'],
  ['ctest-wasm-threads', 'build/wasm-threads', `^wasm\\.(${THREADED_WASM_TESTS.join('|')})$`]]) {
  const r = run(`CTest (${dir})`, 'ctest', ['--test-dir', dir, '--output-on-failure', '-j2', ...(only ? ['-R', only] : [])]);
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
