// `npm run build`: the native build (CLI + CTest), the wasm build, and the
// TypeScript, each only as far as it is out of date.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureAll, ROOT } from './setup.mjs';

const run = (cmd, args, env = {}) => {
  console.log(`[build] ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
};

export function buildNative() {
  const dir = join(ROOT, 'build', 'native');
  const cache = join(dir, 'CMakeCache.txt');
  if (!existsSync(cache) || !readFileSync(cache, 'utf8').includes('BUILD_TESTING:BOOL=ON')) {
    run('cmake', ['-S', '.', '-B', 'build/native', '-DCMAKE_BUILD_TYPE=Release', '-DBUILD_TESTING=ON']);
  }
  run('cmake', ['--build', 'build/native', '-j2']);
}

// ES-module twin of the glue for browsers and workers (EXPORT_ES6 of this
// Emscripten breaks under Node, so the CommonJS output is wrapped instead).
// Its Node-only branch's require() calls (fs, path, os, worker_threads, perf_hooks)
// calls are renamed so that bundlers (Vite) do not try to resolve Node built-ins
// for the browser and warn.
function browserModuleGlue(glue) {
  const browserGlue = glue.replace(/\brequire\((["'])(fs|path|os|worker_threads|perf_hooks)\1\)/g, 'nodeOnlyRequire("$2")');
  return 'const module = undefined, exports = undefined, define = undefined;\n' +
    "const nodeOnlyRequire = (name) => { throw new Error(`this is the browser build of neurovec's glue; it cannot load ${name}`); };\n" +
    `${browserGlue}\nexport default createNeurovecModule;\n`;
}

export function buildWasm() {
  // Emscripten 3.1.6's optimiser needs Debian's acorn (see docs/toolchain.md).
  const env = { NODE_PATH: '/usr/share/nodejs' };
  const cache = join(ROOT, 'build', 'wasm', 'CMakeCache.txt');
  if (!existsSync(cache) || !readFileSync(cache, 'utf8').includes('BUILD_TESTING:BOOL=ON')) {
    run('emcmake', ['cmake', '-S', '.', '-B', 'build/wasm', '-DCMAKE_BUILD_TYPE=Release', '-DBUILD_TESTING=ON'], env);
  }
  // Only the module here; `npm test` builds the core's tests for wasm too.
  run('cmake', ['--build', 'build/wasm', '-j2', '--target', 'neurovec_wasm'], env);
  const out = join(ROOT, 'js', 'dist', 'wasm');
  mkdirSync(out, { recursive: true });
  copyFileSync(join(ROOT, 'build', 'wasm', 'wasm', 'neurovec.wasm'), join(out, 'neurovec.wasm'));
  const glue = readFileSync(join(ROOT, 'build', 'wasm', 'wasm', 'neurovec.cjs'), 'utf8');
  writeFileSync(join(out, 'neurovec.cjs'), glue);
  writeFileSync(join(out, 'neurovec.mjs'), browserModuleGlue(glue));
}

// The pthreads build (issue 17): the same module over shared memory, loaded by
// default in Node and in cross-origin-isolated browser contexts. Its own build
// folder: -pthread changes every object. It ships for Node as .cjs glue and a
// .worker.cjs pool script (the package is "type": "module"), and for browsers
// as an ES-module twin of the glue (.mjs, imported by the loader), the glue as
// a classic script (.js, which each pool Worker loads with importScripts) and
// the pool script as .worker.js (browsers need a JavaScript MIME type, which
// static servers give .js, not always .cjs).
export function buildWasmThreads() {
  const env = { NODE_PATH: '/usr/share/nodejs' };
  const cache = join(ROOT, 'build', 'wasm-threads', 'CMakeCache.txt');
  if (!existsSync(cache) || !readFileSync(cache, 'utf8').includes('BUILD_TESTING:BOOL=ON')) {
    run('emcmake', ['cmake', '-S', '.', '-B', 'build/wasm-threads', '-DCMAKE_BUILD_TYPE=Release', '-DBUILD_TESTING=ON',
      '-DNEUROVEC_WASM_THREADS=ON'], env);
  }
  run('cmake', ['--build', 'build/wasm-threads', '-j2', '--target', 'neurovec_wasm'], env);
  const built = join(ROOT, 'build', 'wasm-threads', 'wasm');
  const out = join(ROOT, 'js', 'dist', 'wasm');
  mkdirSync(out, { recursive: true });
  copyFileSync(join(built, 'neurovec-threads.wasm'), join(out, 'neurovec-threads.wasm'));
  const glue = readFileSync(join(built, 'neurovec-threads.cjs'), 'utf8');
  writeFileSync(join(out, 'neurovec-threads.cjs'), glue);
  writeFileSync(join(out, 'neurovec-threads.js'), glue);
  writeFileSync(join(out, 'neurovec-threads.mjs'), browserModuleGlue(glue));
  copyFileSync(join(built, 'neurovec-threads.worker.js'), join(out, 'neurovec-threads.worker.cjs'));
  copyFileSync(join(built, 'neurovec-threads.worker.js'), join(out, 'neurovec-threads.worker.js'));
}

// The core's CTest suite compiled to wasm (run under Node by `npm test`).
export function buildWasmTests() {
  run('cmake', ['--build', 'build/wasm', '-j2'], { NODE_PATH: '/usr/share/nodejs' });
}

/** The CTest executables that also run on the threaded build: the ones whose
 * code starts threads (parallel insert and search, the data-parallel trainer,
 * router walks). The rest of the suite runs on the single-thread build; the
 * JS tests run on the threaded one (Node's default). */
export const THREADED_WASM_TESTS = ['batch_test', 'learning_train_test', 'routing_test', 'paged_rows_test'];

export function buildWasmThreadsTests() {
  run('cmake', ['--build', 'build/wasm-threads', '-j2', '--target', ...THREADED_WASM_TESTS], { NODE_PATH: '/usr/share/nodejs' });
}

export function buildTypeScript() {
  run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'js/tsconfig.json']);
  // The shipped text encoder travels with the package (neurovec/text loads it from js/dist/models).
  mkdirSync(join(ROOT, 'js', 'dist', 'models'), { recursive: true });
  copyFileSync(join(ROOT, 'models', 'debian-encoder.nvenc'), join(ROOT, 'js', 'dist', 'models', 'debian-encoder.nvenc'));
}

export function buildAll() {
  ensureAll();
  buildNative();
  buildWasm();
  buildWasmThreads();
  buildTypeScript();
}

if (import.meta.url === `file://${process.argv[1]}`) buildAll();
