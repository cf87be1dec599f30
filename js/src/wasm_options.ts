// configureWasm, shared by the Node and browser entry points: each passes its
// own count of cores (os.availableParallelism(), navigator.hardwareConcurrency).
import { NeurovecError } from './errors.js';
import { setRequestedThreads } from './wasm_module.js';

/** Which WebAssembly build this process (or page, or worker) loads (see configureWasm). */
export interface WasmOptions {
  /**
   * 1: the single-thread build. More, or 'auto' (one per core): the pthreads
   * build with a pool of that many threads (worker_threads in Node, Workers in
   * browsers), which addBatch and searchBatch use. At most 64. Without
   * configureWasm: one per core up to 8 where threads are available (always in
   * Node; in browsers only when the page is cross-origin isolated, that is
   * served with COOP/COEP headers), else the single-thread build;
   * stats().threads says which runs and why.
   */
  threads?: number | 'auto';
}

/** The body of configureWasm for an environment with `cores` cores. */
export function configureWasmThreads(options: WasmOptions, cores: number): void {
  if (options === null || typeof options !== 'object') {
    throw new NeurovecError('INVALID_ARGUMENT', 'configureWasm options must be an object like { threads: 2 }');
  }
  const { threads = 1 } = options;
  const n = threads === 'auto' ? Math.max(1, cores) : threads;
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new NeurovecError('INVALID_ARGUMENT', `threads must be an integer from 1 to 64 or 'auto', got ${String(threads)}`);
  }
  setRequestedThreads(Math.min(n, 64));
}
