// Node entry point (package.json "exports" "node"/"default").
import { loadNodeModule } from './loader/node.js';
import { setModuleLoader } from './wasm_module.js';

setModuleLoader(loadNodeModule);

export { VectorIndex } from './vector_index.js';
export { NeurovecError } from './errors.js';
export type { NeurovecErrorCode } from './errors.js';
export type * from './types.js';
