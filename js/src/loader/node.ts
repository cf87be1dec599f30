// Node loader: reads the .wasm bytes from the package and hands them to the
// Emscripten glue (CommonJS), so the glue never fetch()es a file path (a
// failure of Emscripten 3.1.6 under Node 18+, see docs/toolchain.md).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { threadedModule, type NeurovecWasmModule } from '../wasm_module.js';

type Factory = (options: {
  wasmBinary: Uint8Array;
  nvThreadPool?: number;
  locateFile?: (path: string, directory: string) => string;
}) => Promise<NeurovecWasmModule>;

/**
 * The module for `threads` (1: the single-thread build; more: the pthreads
 * build, neurovec-threads.wasm, with a pool of that many worker_threads made
 * at instantiation). The pool's Workers are unref'd: an idle pool never keeps
 * the host process alive.
 */
export async function loadNodeModule(threads = 1): Promise<NeurovecWasmModule> {
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
