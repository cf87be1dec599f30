// neurovec/text in browsers and workers: the package's browser entry, and the
// shipped encoder fetched from beside the package's code (bundlers such as
// Vite resolve the URL and ship the file; it is never fetched from elsewhere).
import '../index.browser.js';
import { setDefaultEncoderLoader } from './encoder_source.js';

setDefaultEncoderLoader(async () => {
  const response = await fetch(new URL('../models/debian-encoder.nvenc', import.meta.url));
  if (!response.ok) throw new Error(`neurovec/text: the shipped encoder could not be loaded (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
});

export { TextIndex, MAX_TEXT_BYTES } from './text_index.js';
export type { TextIndexOptions, TextSearchOptions, TextSearchResult, TextFeedback, TextAddBatchOptions, TextIndexStats, TextSearchMode } from './text_index.js';
export { setDefaultEncoderLoader } from './encoder_source.js';
export { OnnxTextEncoder, readOnnxMetadata } from './onnx_encoder.js';
export type { OnnxTextEncoderOptions, OrtTextModule } from './onnx_encoder.js';
export { textFeatures, textWords, featureBucket, checkTextFeatureConfig, DEFAULT_TEXT_FEATURES, MAX_WORD_BYTES, MAX_TEXT_FEATURES, TEXT_FEATURES_VERSION } from './text_features.js';
export type { TextFeatureConfig } from './text_features.js';
