// Two instances of the package in one process or page. The WebAssembly module
// is loaded once per instance of js/dist (configureWasm works only before the
// first index), so a bench that compares the single-thread build with the
// pthreads build side by side copies js/dist and imports each copy once. The
// copies live under build/bench-copies/ (inside the repository: node_modules
// resolves from them as from js/dist, and the test server serves them).
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.mjs';

/** Copies js/dist to build/bench-copies/<name>/ for each name; returns the directories. */
export function copyPackage(names) {
  const dirs = {};
  for (const name of names) {
    const dir = join(ROOT, 'build', 'bench-copies', name);
    rmSync(dir, { recursive: true, force: true });
    cpSync(join(ROOT, 'js', 'dist'), dir, { recursive: true });
    dirs[name] = dir;
  }
  return dirs;
}
