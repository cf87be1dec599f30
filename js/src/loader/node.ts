// Node loader: reads the .wasm bytes from the package and hands them to the
// Emscripten glue (CommonJS), so the glue never fetch()es a file path (a
// failure of Emscripten 3.1.6 under Node 18+, see docs/toolchain.md).
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { threadedModule, type NeurovecWasmModule } from '../wasm_module.js';

type Factory = (options: {
  wasmBinary: Uint8Array;
  nvThreadPool?: number;
  locateFile?: (path: string, directory: string) => string;
}) => Promise<NeurovecWasmModule>;

/** Threads when configureWasm was not called: one per core, at most this many
 * (each pool thread is a V8 isolate, about 10 MB, and adds ~35 ms to the load). */
export const DEFAULT_MAX_THREADS = 8;

/**
 * The module for `threads` (1: the single-thread build; more: the pthreads
 * build, neurovec-threads.wasm, with a pool of that many worker_threads made
 * at instantiation; undefined: one per core up to DEFAULT_MAX_THREADS, and the
 * single-thread build if the threaded one cannot load, which stats().threads
 * then says). The pool's Workers are unref'd: an idle pool never keeps the
 * host process alive.
 */
export async function loadNodeModule(threads?: number): Promise<NeurovecWasmModule> {
  if (threads === undefined) {
    const auto = Math.min(availableParallelism(), DEFAULT_MAX_THREADS);
    if (auto <= 1) return loadNodeModule(1);
    try {
      return await loadNodeModule(auto);
    } catch (error) {
      const mod = await loadNodeModule(1);
      mod.nvThreadsFallback = `the threaded build did not load: ${(error as Error)?.message ?? String(error)}`;
      return mod;
    }
  }
  const require = createRequire(import.meta.url);
  if (threads <= 1) {
    const factory = require('../wasm/neurovec.cjs') as Factory;
    const wasmBinary = await readFile(new URL('../wasm/neurovec.wasm', import.meta.url));
    return factory({ wasmBinary });
  }
  const factory = require('../wasm/neurovec-threads.cjs') as Factory;
  const wasmBinary = await readFile(new URL('../wasm/neurovec-threads.wasm', import.meta.url));
  const mod = await factory({
    wasmBinary,
    nvThreadPool: threads,
    // The glue asks for neurovec-threads.worker.js; the package ships it as
    // .cjs (package.json says "type": "module", and the worker is CommonJS).
    locateFile: (path, directory) => directory + path.replace(/\.worker\.js$/, '.worker.cjs'),
  });
  return threadedModule(mod, threads);
}

/** node_modules/onnxruntime-web/dist/ (with a trailing slash), or undefined when it is not installed. */
export function ortWasmPathsFromNodeModules(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    // The package's CommonJS entry lives in dist/, next to its .wasm files.
    const entry = require.resolve('onnxruntime-web');
    return entry.slice(0, entry.lastIndexOf('/') + 1);
  } catch {
    return undefined;
  }
}
