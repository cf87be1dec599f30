// Node loader: reads the .wasm bytes from the package and hands them to the
// Emscripten glue (CommonJS), so the glue never fetch()es a file path (a
// failure of Emscripten 3.1.6 under Node 18+, see docs/toolchain.md).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { NeurovecWasmModule } from '../wasm_module.js';

type Factory = (options: { wasmBinary: Uint8Array }) => Promise<NeurovecWasmModule>;

export async function loadNodeModule(): Promise<NeurovecWasmModule> {
  const require = createRequire(import.meta.url);
  const factory = require('../wasm/neurovec.cjs') as Factory;
  const wasmBinary = await readFile(new URL('../wasm/neurovec.wasm', import.meta.url));
  return factory({ wasmBinary });
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
