// WorkerTextIndex ('neurovec/worker'): the TextIndex API, asynchronous, with
// the index running in a dedicated module Worker, where OPFS sync access
// handles exist (a durable text index in { opfs } needs one) and where a large
// addBatch does not block the page. Every method returns a Promise and posts
// one request; the worker answers requests in the order they were made, and a
// failure comes back as a NeurovecError with the code and message it had there.
import { NeurovecError } from '../errors.js';
import type { Id, Metadata, OpenOptions, StorageTarget } from '../types.js';
import type { TextFeedback, TextIndexOptions, TextIndexStats, TextSearchOptions, TextSearchResult } from '../text/text_index.js';
import type { Response, WorkerOptions } from './protocol.js';

export type { TextFeedback, TextIndexOptions, TextIndexStats, TextSearchOptions, TextSearchResult, TextSearchMode } from '../text/text_index.js';

export interface WorkerTextAddBatchOptions {
  metadata?: ReadonlyArray<Metadata | undefined>;
  chunkSize?: number;
  onProgress?: (progress: { done: number; total: number }) => void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  onProgress?: WorkerTextAddBatchOptions['onProgress'];
}

function startWorker(options: WorkerOptions): Worker {
  if (typeof Worker !== 'function') {
    throw new NeurovecError('FAILED_PRECONDITION',
      "neurovec/worker needs a browser with Web Workers; in Node use TextIndex from 'neurovec/text'");
  }
  const given = options.worker;
  if (given !== undefined && typeof given === 'object' && !(given instanceof URL)) return given;
  return new Worker(given ?? new URL('./worker_main.js', import.meta.url), { type: 'module', name: 'neurovec-text' });
}

export class WorkerTextIndex {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: NeurovecError | undefined;
  private ended = false;

  private constructor(private readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<Response>) => this.receive(event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.fail(new NeurovecError('IO_ERROR', `the neurovec worker failed: ${event.message || 'it could not be loaded'}; ` +
        "if a bundler moved it, pass { worker: new Worker(<url of neurovec's worker_main.js>, { type: 'module' }) }"));
    };
    worker.onmessageerror = () => {
      this.fail(new NeurovecError('INTERNAL', 'a message from the neurovec worker could not be deserialized'));
    };
  }

  /** A new text index in a new Worker; options as for TextIndex.create, e.g.
   * `{ storage: { opfs: 'docs.nvx' } }` (default encoder: the shipped one, fetched in the worker). */
  static create(options: TextIndexOptions = {}, workerOptions: WorkerOptions = {}): Promise<WorkerTextIndex> {
    return WorkerTextIndex.start(workerOptions, 'textCreate', [options]);
  }

  /** Opens a text index file (`{ opfs }` or `{ indexedDB }`) in a new Worker. */
  static open(target: StorageTarget, options: OpenOptions = {}, workerOptions: WorkerOptions = {}): Promise<WorkerTextIndex> {
    return WorkerTextIndex.start(workerOptions, 'textOpen', [target, options]);
  }

  /** A text index from index file bytes, in a new Worker (the bytes are copied). */
  static fromBytes(bytes: Uint8Array, workerOptions: WorkerOptions = {}): Promise<WorkerTextIndex> {
    return WorkerTextIndex.start(workerOptions, 'textFromBytes', [bytes]);
  }

  private static async start(workerOptions: WorkerOptions, method: string, args: unknown[]): Promise<WorkerTextIndex> {
    if (workerOptions === null || typeof workerOptions !== 'object') {
      throw new NeurovecError('INVALID_ARGUMENT', 'worker options must be an object like { worker: url }');
    }
    const index = new WorkerTextIndex(startWorker(workerOptions));
    try {
      if (workerOptions.threads !== undefined) await index.call('configureWasm', [{ threads: workerOptions.threads }]);
      await index.call(method, args);
      return index;
    } catch (error) {
      index.end();
      throw error;
    }
  }

  add(id: Id, text: string, metadata?: Metadata): Promise<void> {
    return this.call('add', [id, text, metadata]) as Promise<void>;
  }

  /** Adds documents (every item is checked in the worker before any is added). */
  addBatch(ids: ReadonlyArray<Id>, texts: ReadonlyArray<string>, options: WorkerTextAddBatchOptions = {}): Promise<void> {
    if (options === null || typeof options !== 'object') {
      return Promise.reject(new NeurovecError('INVALID_ARGUMENT', 'addBatch options must be an object'));
    }
    const { onProgress, metadata, chunkSize } = options;
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      return Promise.reject(new NeurovecError('INVALID_ARGUMENT', 'onProgress must be a function'));
    }
    return this.call('addBatch', [ids, texts, { metadata, chunkSize, progress: onProgress !== undefined }], [], onProgress) as Promise<void>;
  }

  /** The k best documents for a query, best first (as TextIndex.search). */
  search(query: string, k: number, options: TextSearchOptions = {}): Promise<TextSearchResult[]> {
    return this.call('search', [query, k, options]) as Promise<TextSearchResult[]>;
  }

  /** Records what the user did with the results of a query (as TextIndex.feedback). */
  feedback(query: string, feedback: TextFeedback): Promise<void> {
    return this.call('textFeedback', [query, feedback]) as Promise<void>;
  }

  clearFeedback(): Promise<void> {
    return this.call('textClearFeedback', []) as Promise<void>;
  }

  /** The encoder's unit vector for a text (null when it has no word). */
  encode(text: string): Promise<Float32Array | null> {
    return this.call('textEncode', [text]) as Promise<Float32Array | null>;
  }

  /** Reads the encoder's weights if a read-only open left them in the file (as TextIndex.loadEncoder). */
  loadEncoder(): Promise<void> {
    return this.call('textLoadEncoder', []) as Promise<void>;
  }

  delete(id: Id): Promise<boolean> {
    return this.call('delete', [id]) as Promise<boolean>;
  }

  has(id: Id): Promise<boolean> {
    return this.call('has', [id]) as Promise<boolean>;
  }

  /** Number of documents. */
  size(): Promise<number> {
    return this.call('size', []) as Promise<number>;
  }

  stats(): Promise<TextIndexStats> {
    return this.call('stats', []) as Promise<TextIndexStats>;
  }

  /** Durable indexes: resolves once every change (documents, feedback) is in the file (a checkpoint). */
  sync(): Promise<void> {
    return this.call('sync', []) as Promise<void>;
  }

  toBytes(): Promise<Uint8Array> {
    return this.call('toBytes', []) as Promise<Uint8Array>;
  }

  /** A full snapshot into a new `{ opfs }` or `{ indexedDB }` target. */
  save(target: StorageTarget): Promise<void> {
    return this.call('save', [target]) as Promise<void>;
  }

  /** Syncs, releases the file and ends the worker (which ends either way). */
  async close(): Promise<void> {
    if (this.ended) return;
    try {
      await this.call('close', []);
    } finally {
      this.end();
    }
  }

  /** Ends the worker without a final sync. */
  async dispose(): Promise<void> {
    if (this.ended) return;
    try {
      await this.call('dispose', []);
    } catch {
      // Ending the worker below frees everything anyway.
    } finally {
      this.end();
    }
  }

  // ---- internals (the same exchange as WorkerVectorIndex's) ----

  private call(method: string, args: unknown[], transfer: Transferable[] = [],
    onProgress?: WorkerTextAddBatchOptions['onProgress']): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.reject(new NeurovecError('DISPOSED', 'this WorkerTextIndex was closed or disposed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      try {
        this.worker.postMessage({ id, method, args }, transfer);
      } catch (error) {
        reject(new NeurovecError('INVALID_ARGUMENT',
          `${method}: the arguments cannot be sent to the worker (${(error as Error)?.message ?? error}); ` +
          'expected plain data: numbers, strings, arrays, typed arrays and plain objects'));
        return;
      }
      this.pending.set(id, { resolve, reject, onProgress });
    });
  }

  private receive(message: Response): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if ('progress' in message) {
      try {
        // Each request's progress messages carry what its own callback takes.
        pending.onProgress?.(message.progress as { done: number; total: number });
      } catch {
        // A throwing progress callback must not lose the call's answer.
      }
      return;
    }
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.value);
    else pending.reject(new NeurovecError(message.error.code, message.error.message));
  }

  private fail(error: NeurovecError): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.worker.terminate();
    for (const pending of this.pending.values()) {
      pending.reject(new NeurovecError('DISPOSED', 'this WorkerTextIndex was closed or disposed'));
    }
    this.pending.clear();
  }
}
