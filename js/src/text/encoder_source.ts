// Where the shipped encoder's weights come from: set by the entry point
// (Node reads the file beside the package's code; browsers fetch the URL a
// bundler resolves). Nothing is downloaded from outside the package.
let loadDefault: (() => Promise<Uint8Array>) | undefined;
let cached: Promise<Uint8Array> | undefined;

export function setDefaultEncoderLoader(loader: () => Promise<Uint8Array>): void {
  loadDefault = loader;
}

/** The shipped encoder's weights (models/debian-encoder.nvenc), loaded once. */
export function defaultEncoder(): Promise<Uint8Array> {
  if (!loadDefault) return Promise.reject(new Error('neurovec/text: no default encoder loader for this environment'));
  cached ??= loadDefault().catch((error) => {
    cached = undefined;
    throw error;
  });
  return cached;
}
