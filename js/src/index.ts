// Node entry point (package.json "exports" "node"/"default").
import { loadNodeModule } from './loader/node.js';
import { setFileStore } from './storage/file_store.js';
import { nodeFileStore } from './storage/node_file_store.js';
import { openNodeStorage } from './storage/node_storage.js';
import { addStorageOpener } from './storage/sync_storage.js';
import { availableParallelism } from 'node:os';
import { setModuleLoader } from './wasm_module.js';
import { configureWasmThreads, type WasmOptions } from './wasm_options.js';
import { setDefaultOrtWasmPaths } from './onnx_refiner.js';
import { ortWasmPathsFromNodeModules } from './loader/node.js';

setModuleLoader(loadNodeModule);

/**
 * Chooses the WebAssembly build before the first index is created or opened
 * (the module is loaded once per process); throws FAILED_PRECONDITION after.
 * `{ threads: 'auto' }` is one per core (os.availableParallelism()).
 */
export function configureWasm(options: WasmOptions): void {
  configureWasmThreads(options, availableParallelism());
}
export type { WasmOptions } from './wasm_options.js';
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
export type { LearningOptions, Feedback, ClickFeedback, JudgedFeedback, TrainOptions, TrainProgress, SearchMode, SubgraphSearchResult, SubgraphEdge, DifferentiableSearchResult, MemorySearchOptions } from './types.js';
