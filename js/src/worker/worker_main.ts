// The worker side of 'neurovec/worker': runs one VectorIndex inside a dedicated
// module Worker, where OPFS sync access handles exist, and answers the
// requests of WorkerVectorIndex (client.ts). Requests are handled one at a
// time, in arrival order, so an `add` posted after `sync` is applied after it,
// exactly as the calls were made in the page (optimize with a budget is the
// exception: see optimizeInBackground).
import { NeurovecError, VectorIndex, configureWasm } from '../index.browser.js';
import type { TextIndex } from '../text/text_index.js';
import type { AdaptToWorkloadOptions, MaintenanceOptions, OptimizeReport, WorkloadSamplingOptions } from '../types.js';
import { packResults, type ErrorInfo, type IndexInfo, type Method, type Request, type Response, type WorkerOptimizeOptions,
  type WorkerTrainRouterOptions } from './protocol.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<Request>) => void) | null;
  postMessage(message: Response, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let index: VectorIndex | undefined;
// Or a TextIndex (WorkerTextIndex, text_client.ts); one index per worker either way.
let text: TextIndex | undefined;
let queue: Promise<void> = Promise.resolve();

function current(): VectorIndex {
  if (!index) throw new NeurovecError('DISPOSED', 'this WorkerVectorIndex was closed or disposed');
  return index;
}

function info(opened: VectorIndex): IndexInfo {
  index = opened;
  return { dimensions: opened.dimensions, metric: opened.metric };
}

function noIndexYet(): void {
  if (index || text) throw new NeurovecError('FAILED_PRECONDITION', 'this worker already holds an index (one index per worker)');
}

const TEXT_STARTS = new Set(['textCreate', 'textOpen', 'textFromBytes']);

// The text module (and the URL of its shipped encoder) is loaded only when a
// WorkerTextIndex asks for it, so VectorIndex-only workers do not fetch it.
async function textModule(): Promise<typeof import('../text/index.browser.js')> {
  return import('../text/index.browser.js');
}

function currentText(): TextIndex {
  if (!text) throw new NeurovecError('DISPOSED', 'this WorkerTextIndex was closed or disposed');
  return text;
}

async function handleText(request: Request, transfer: Transferable[]): Promise<unknown> {
  const { id } = request;
  const method = request.method as string;
  const a = request.args as unknown[];
  switch (method) {
    case 'textCreate': {
      noIndexYet();
      const { TextIndex } = await textModule();
      text = await TextIndex.create(a[0] as Parameters<typeof TextIndex.create>[0]);
      return undefined;
    }
    case 'textOpen': {
      noIndexYet();
      const { TextIndex } = await textModule();
      text = await TextIndex.open(a[0] as Parameters<typeof TextIndex.open>[0], a[1] as Parameters<typeof TextIndex.open>[1]);
      return undefined;
    }
    case 'textFromBytes': {
      noIndexYet();
      const { TextIndex } = await textModule();
      text = await TextIndex.fromBytes(a[0] as Uint8Array);
      return undefined;
    }
    case 'add':
      return currentText().add(a[0] as string, a[1] as string, a[2] as undefined);
    case 'addBatch': {
      const options = a[2] as { metadata?: []; chunkSize?: number; progress?: boolean };
      return currentText().addBatch(a[0] as string[], a[1] as string[], {
        metadata: options.metadata,
        chunkSize: options.chunkSize,
        onProgress: options.progress ? (progress) => scope.postMessage({ id, progress }) : undefined,
      });
    }
    case 'search':
      return currentText().search(a[0] as string, a[1] as number, a[2] as object);
    case 'textFeedback':
      return currentText().feedback(a[0] as string, a[1] as object);
    case 'textClearFeedback':
      return currentText().clearFeedback();
    case 'textLoadEncoder':
      return currentText().loadEncoder();
    case 'textEncode': {
      const vector = currentText().encode(a[0] as string);
      if (vector) transfer.push(vector.buffer);
      return vector;
    }
    case 'delete':
      return currentText().delete(a[0] as string);
    case 'has':
      return currentText().has(a[0] as string);
    case 'size':
      return currentText().size;
    case 'stats':
      return currentText().stats();
    case 'sync':
      return currentText().sync();
    case 'toBytes': {
      const bytes = await currentText().toBytes();
      transfer.push(bytes.buffer);
      return bytes;
    }
    case 'save':
      return currentText().save(a[0] as Parameters<TextIndex['save']>[0]);
    case 'close': {
      const closing = text;
      text = undefined;
      return closing?.close();
    }
    case 'dispose': {
      text?.dispose();
      text = undefined;
      return undefined;
    }
    default:
      throw new NeurovecError('INVALID_ARGUMENT', `unknown text worker request ${JSON.stringify(method)}`);
  }
}

async function handle(request: Request, transfer: Transferable[]): Promise<unknown> {
  // Sent by the clients before create/open/fromBytes when WorkerOptions.threads is set.
  if (request.method === 'configureWasm') return configureWasm((request.args as [{ threads?: number | 'auto' }])[0]);
  if (text || TEXT_STARTS.has(request.method as string) || (request.method as string).startsWith('text')) {
    return handleText(request, transfer);
  }
  const { id, method } = request;
  // The arguments were validated in shape by the protocol's types on the
  // client; VectorIndex validates their values as it does in a page.
  const a = request.args as unknown[];
  switch (method as Method) {
    case 'create':
      noIndexYet();
      return info(await VectorIndex.create(a[0] as Parameters<typeof VectorIndex.create>[0]));
    case 'open':
      noIndexYet();
      return info(await VectorIndex.open(a[0] as Parameters<typeof VectorIndex.open>[0], a[1] as Parameters<typeof VectorIndex.open>[1]));
    case 'fromBytes':
      noIndexYet();
      return info(await VectorIndex.fromBytes(a[0] as Uint8Array));
    case 'add':
      return current().add(a[0] as string, a[1] as Float32Array, a[2] as undefined);
    case 'addBatch': {
      const options = a[2] as { metadata?: []; chunkSize?: number; progress?: boolean };
      return current().addBatch(a[0] as string[], a[1] as Float32Array, {
        metadata: options.metadata,
        chunkSize: options.chunkSize,
        onProgress: options.progress ? (progress) => scope.postMessage({ id, progress }) : undefined,
      });
    }
    case 'search':
      return current().search(a[0] as Float32Array, a[1] as number, a[2] as object);
    case 'searchBatch': {
      const lists = current().searchBatch(a[0] as Float32Array, a[1] as number, a[2] as object);
      const packed = packResults(lists);
      if (!packed) return lists;
      transfer.push(packed.counts.buffer, packed.ids.buffer, packed.distances.buffer);
      return packed;
    }
    case 'delete':
      return current().delete(a[0] as string);
    case 'get': {
      const got = current().get(a[0] as string);
      if (got) transfer.push(got.vector.buffer);
      return got;
    }
    case 'has':
      return current().has(a[0] as string);
    case 'setMetadata':
      return current().setMetadata(a[0] as string, a[1] as undefined);
    case 'sync':
      return current().sync();
    case 'checkpoint':
      return current().checkpoint();
    case 'close': {
      const closing = index;
      index = undefined;
      return closing?.close();
    }
    case 'dispose': {
      index?.dispose();
      index = undefined;
      return undefined;
    }
    case 'stats':
      return current().stats();
    case 'health':
      return current().health();
    case 'optimize':
      return current().optimize({ budgetMs: (a[0] as WorkerOptimizeOptions | undefined)?.budgetMs });
    case 'setMaintenance':
      return current().setMaintenance(a[0] as MaintenanceOptions);
    case 'trainRouter': {
      const { progress, ...options } = a[0] as WorkerTrainRouterOptions;
      return current().trainRouter({
        ...options,
        onProgress: progress ? (p) => scope.postMessage({ id, progress: p }) : undefined,
      });
    }
    case 'dropRouter':
      return current().dropRouter();
    case 'setWorkloadSampling':
      return current().setWorkloadSampling(a[0] as number, a[1] as WorkloadSamplingOptions);
    case 'adaptToWorkload':
      return current().adaptToWorkload(a[0] as AdaptToWorkloadOptions);
    case 'dropWorkloadAdaptation':
      return current().dropWorkloadAdaptation();
    case 'size':
      return current().size;
    case 'toBytes': {
      const bytes = await current().toBytes();
      transfer.push(bytes.buffer);
      return bytes;
    }
    case 'save':
      return current().save(a[0] as Parameters<VectorIndex['save']>[0]);
    default:
      throw new NeurovecError('INVALID_ARGUMENT', `unknown worker request ${JSON.stringify(method)}`);
  }
}

function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof NeurovecError) return { code: error.code, message: error.message };
  const e = error as { name?: string; message?: string };
  return { code: 'INTERNAL', message: `${e?.name ?? 'Error'} in the neurovec worker: ${e?.message ?? String(error)}` };
}

// optimize() with a budget runs beside the queue: its slices yield to the
// event loop, and the requests that arrive meanwhile (searches) run in between
// instead of waiting for the whole repair. It starts once the requests before
// it are done, and is answered when it ends.
function optimizeInBackground(request: Request): void {
  const options = (request.args as [WorkerOptimizeOptions])[0];
  const answer = (response: Response) => scope.postMessage(response);
  queue = queue.then(() => {
    let running: Promise<OptimizeReport>;
    try {
      running = current().optimize({
        budgetMs: options.budgetMs,
        onProgress: options.progress ? (progress) => scope.postMessage({ id: request.id, progress }) : undefined,
      });
    } catch (error) {
      answer({ id: request.id, ok: false, error: errorInfo(error) });
      return;
    }
    running.then((value) => answer({ id: request.id, ok: true, value }),
      (error) => answer({ id: request.id, ok: false, error: errorInfo(error) }));
  });
}

scope.onmessage = (event) => {
  const request = event.data;
  if (request.method === 'optimize' && ((request.args as [WorkerOptimizeOptions | undefined])[0]?.budgetMs ?? 0) > 0) {
    optimizeInBackground(request);
    return;
  }
  queue = queue.then(async () => {
    const transfer: Transferable[] = [];
    let response: Response;
    try {
      response = { id: request.id, ok: true, value: await handle(request, transfer) };
    } catch (error) {
      response = { id: request.id, ok: false, error: errorInfo(error) };
      transfer.length = 0;
    }
    try {
      scope.postMessage(response, transfer);
    } catch (error) {
      // A result that cannot be cloned (should not happen): still answer.
      scope.postMessage({ id: request.id, ok: false, error: errorInfo(error) });
    }
  });
};
