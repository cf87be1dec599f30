// Node entry point (package.json "exports" "node"/"default").
import { loadNodeModule } from './loader/node.js';
import { setFileStore } from './storage/file_store.js';
import { nodeFileStore } from './storage/node_file_store.js';
import { openNodeStorage } from './storage/node_storage.js';
import { addStorageOpener } from './storage/sync_storage.js';
import { setModuleLoader } from './wasm_module.js';

setModuleLoader(loadNodeModule);
setFileStore(nodeFileStore);
addStorageOpener(openNodeStorage);

export { VectorIndex } from './vector_index.js';
export { NeurovecError } from './errors.js';
export type { NeurovecErrorCode } from './errors.js';
export type * from './types.js';
export type { LearningOptions, Feedback, TrainOptions, TrainProgress, SearchMode, SubgraphSearchResult, SubgraphEdge, DifferentiableSearchResult } from './learning.js';
