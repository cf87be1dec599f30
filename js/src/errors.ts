/** Error codes of neurovec. Every error thrown by the API is a NeurovecError. */
export type NeurovecErrorCode =
  | 'INVALID_ARGUMENT' // bad input; nothing was changed
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS' // duplicate id
  | 'OUT_OF_RANGE' // sizes beyond what the index supports, or out of memory
  | 'INTERNAL' // a neurovec bug: please report it
  | 'ABORTED'
  | 'CORRUPT' // an index file is truncated, fails a checksum or is inconsistent
  | 'UNSUPPORTED_VERSION' // an index file of a newer format version
  | 'NOT_AN_INDEX_FILE' // bytes that are not a neurovec index file
  | 'IO_ERROR' // reading, writing or flushing storage failed (the message has the system's reason)
  | 'LOCKED' // another writer holds the index file
  | 'QUOTA_EXCEEDED' // the disk or the browser's storage quota is full
  | 'FAILED_PRECONDITION' // not possible on this handle now: read-only, closed, or a failed flush (reopen)
  | 'DISPOSED'; // the index was disposed

/** Thrown for every failure; `code` says which kind, `message` what was wrong and what was expected. */
export class NeurovecError extends Error {
  readonly code: NeurovecErrorCode;
  constructor(code: NeurovecErrorCode, message: string) {
    super(message);
    this.name = 'NeurovecError';
    this.code = code;
  }
}

const CORE_CODES: Record<number, NeurovecErrorCode> = {
  1: 'INVALID_ARGUMENT',
  2: 'NOT_FOUND',
  3: 'ALREADY_EXISTS',
  4: 'OUT_OF_RANGE',
  5: 'INTERNAL',
  6: 'ABORTED',
  7: 'CORRUPT',
  8: 'UNSUPPORTED_VERSION',
  9: 'NOT_AN_INDEX_FILE',
  10: 'IO_ERROR',
  11: 'LOCKED',
  12: 'QUOTA_EXCEEDED',
  13: 'FAILED_PRECONDITION',
};

/** Maps a neurovec::StatusCode from the core to an error code. */
export function codeFromCore(code: number): NeurovecErrorCode {
  return CORE_CODES[code] ?? 'INTERNAL';
}

export function invalid(message: string): NeurovecError {
  return new NeurovecError('INVALID_ARGUMENT', message);
}
