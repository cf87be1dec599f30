// neurovec/text in Node: the package's Node entry (wasm loader, file storage),
// and the shipped encoder read from the package.
import { readFile } from 'node:fs/promises';
import '../index.js';
import { setDefaultEncoderLoader } from './encoder_source.js';

setDefaultEncoderLoader(async () => new Uint8Array(await readFile(new URL('../models/debian-encoder.nvenc', import.meta.url))));

export { TextIndex, MAX_TEXT_BYTES } from './text_index.js';
export type { TextIndexOptions, TextSearchOptions, TextSearchResult, TextFeedback, TextAddBatchOptions, TextIndexStats, TextSearchMode } from './text_index.js';
export { setDefaultEncoderLoader } from './encoder_source.js';
export { OnnxTextEncoder, readOnnxMetadata } from './onnx_encoder.js';
export type { OnnxTextEncoderOptions, OrtTextModule } from './onnx_encoder.js';
export { textFeatures, textWords, featureBucket, checkTextFeatureConfig, DEFAULT_TEXT_FEATURES, MAX_WORD_BYTES, MAX_TEXT_FEATURES, TEXT_FEATURES_VERSION } from './text_features.js';
export type { TextFeatureConfig } from './text_features.js';
