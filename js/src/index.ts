// Node entry point (package.json "exports" "node"/"default").
import { loadNodeModule } from './loader/node.js';
import { setFileStore } from './storage/file_store.js';
import { nodeFileStore } from './storage/node_file_store.js';
import { openNodeStorage } from './storage/node_storage.js';
import { addStorageOpener } from './storage/sync_storage.js';
import { availableParallelism } from 'node:os';
import { NeurovecError } from './errors.js';
import { setModuleLoader, setRequestedThreads } from './wasm_module.js';
import { setDefaultOrtWasmPaths } from './onnx_refiner.js';
import { ortWasmPathsFromNodeModules } from './loader/node.js';

setModuleLoader(loadNodeModule);

/** Which WebAssembly build this process loads (see configureWasm). */
export interface WasmOptions {
  /**
   * 1: the single-thread build. More, or 'auto' (one per core,
   * os.availableParallelism()): the pthreads build with a pool of that many
   * worker_threads, which addBatch and searchBatch use. At most 64. Without
   * configureWasm: one per core up to 8, falling back to the single-thread
   * build if the threaded one cannot load (stats().threads says which runs).
   */
  threads?: number | 'auto';
}

/**
 * Chooses the WebAssembly build before the first index is created or opened
 * (the module is loaded once per process); throws FAILED_PRECONDITION after.
 */
export function configureWasm(options: WasmOptions): void {
  if (options === null || typeof options !== 'object') throw new NeurovecError('INVALID_ARGUMENT', 'configureWasm options must be an object like { threads: 2 }');
  const { threads = 1 } = options;
  const n = threads === 'auto' ? availableParallelism() : threads;
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new NeurovecError('INVALID_ARGUMENT', `threads must be an integer from 1 to 64 or 'auto', got ${String(threads)}`);
  }
  setRequestedThreads(Math.min(n, 64));
}
// ONNX Runtime Web's .wasm files from node_modules, never from a CDN.
setDefaultOrtWasmPaths(ortWasmPathsFromNodeModules);
setFileStore(nodeFileStore);
addStorageOpener(openNodeStorage);

export { VectorIndex } from './vector_index.js';
export { NeurovecError } from './errors.js';
export type { NeurovecErrorCode } from './errors.js';
export type * from './types.js';
export { OnnxRefiner, OnnxRefinerError } from './onnx_refiner.js';
export type { OnnxRefinerOptions, OnnxRefinerErrorReason, RefinerBatch, RefinerOutputs, OrtModule } from './onnx_refiner.js';
export type { NeuralSearchBatch, OnnxRefinerStats } from './onnx_search.js';
export type { LearningOptions, Feedback, ClickFeedback, JudgedFeedback, TrainOptions, TrainProgress, SearchMode, SubgraphSearchResult, SubgraphEdge, DifferentiableSearchResult } from './types.js';
