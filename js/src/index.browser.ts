// Browser and Worker entry point (package.json "exports" "browser").
import { browserCores, loadBrowserModule } from './loader/browser.js';
import { openIndexedDbStorage } from './storage/indexeddb_storage.js';
import { openOpfsStorage } from './storage/opfs_storage.js';
import { addStorageOpener } from './storage/sync_storage.js';
import { setModuleLoader } from './wasm_module.js';
import { configureWasmThreads, type WasmOptions } from './wasm_options.js';

setModuleLoader(loadBrowserModule);
// { opfs: name } (dedicated Workers) and { indexedDB: name } (pages and workers).
addStorageOpener(openOpfsStorage);
addStorageOpener(openIndexedDbStorage);

/**
 * Chooses the WebAssembly build before the first index is created or opened
 * in this page or worker; throws FAILED_PRECONDITION after. Threads need a
 * cross-origin-isolated context (COOP/COEP headers); there, the default is
 * already one per core (navigator.hardwareConcurrency), at most 8.
 * `{ threads: 1 }` keeps the single-thread build.
 */
export function configureWasm(options: WasmOptions): void {
  configureWasmThreads(options, browserCores());
}
export type { WasmOptions } from './wasm_options.js';

export { VectorIndex } from './vector_index.js';
export { NeurovecError } from './errors.js';
export type { NeurovecErrorCode } from './errors.js';
export type * from './types.js';
export { OnnxRefiner, OnnxRefinerError } from './onnx_refiner.js';
export type { OnnxRefinerOptions, OnnxRefinerErrorReason, RefinerBatch, RefinerOutputs, OrtModule } from './onnx_refiner.js';
export type { NeuralSearchBatch, OnnxRefinerStats } from './onnx_search.js';
export type { LearningOptions, Feedback, ClickFeedback, JudgedFeedback, TrainOptions, TrainProgress, SearchMode, SubgraphSearchResult, SubgraphEdge, DifferentiableSearchResult } from './types.js';
