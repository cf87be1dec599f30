// Browser and Worker entry point (package.json "exports" "browser").
import { loadBrowserModule } from './loader/browser.js';
import { openIndexedDbStorage } from './storage/indexeddb_storage.js';
import { openOpfsStorage } from './storage/opfs_storage.js';
import { addStorageOpener } from './storage/sync_storage.js';
import { setModuleLoader } from './wasm_module.js';

setModuleLoader(loadBrowserModule);
// { opfs: name } (dedicated Workers) and { indexedDB: name } (pages and workers).
addStorageOpener(openOpfsStorage);
addStorageOpener(openIndexedDbStorage);

export { VectorIndex } from './vector_index.js';
export { NeurovecError } from './errors.js';
export type { NeurovecErrorCode } from './errors.js';
export type * from './types.js';
export { OnnxRefiner, OnnxRefinerError } from './onnx_refiner.js';
export type { OnnxRefinerOptions, OnnxRefinerErrorReason, RefinerBatch, RefinerOutputs, OrtModule } from './onnx_refiner.js';
export type { NeuralSearchBatch, OnnxRefinerStats } from './onnx_search.js';
export type { LearningOptions, Feedback, ClickFeedback, JudgedFeedback, TrainOptions, TrainProgress, SearchMode, SubgraphSearchResult, SubgraphEdge, DifferentiableSearchResult } from './types.js';
