// Browser and Worker entry point (package.json "exports" "browser").
import { loadBrowserModule } from './loader/browser.js';
import { setModuleLoader } from './wasm_module.js';

setModuleLoader(loadBrowserModule);

export { VectorIndex } from './vector_index.js';
export { NeurovecError } from './errors.js';
export type { NeurovecErrorCode } from './errors.js';
export type * from './types.js';
export type { LearningOptions, Feedback, TrainOptions, TrainProgress, SearchMode, SubgraphSearchResult, SubgraphEdge, DifferentiableSearchResult } from './learning.js';
