// neurovec/text in Node: the package's Node entry (wasm loader, file storage),
// and the shipped encoder read from the package.
import { readFile } from 'node:fs/promises';
import '../index.js';
import { setDefaultEncoderLoader } from './encoder_source.js';

setDefaultEncoderLoader(async () => new Uint8Array(await readFile(new URL('../models/debian-encoder.nvenc', import.meta.url))));

export { TextIndex, MAX_TEXT_BYTES } from './text_index.js';
export type { TextIndexOptions, TextSearchOptions, TextSearchResult, TextFeedback, TextAddBatchOptions, TextIndexStats, TextSearchMode } from './text_index.js';
export { setDefaultEncoderLoader } from './encoder_source.js';
