// The worker side of 'neurovec/worker': runs one VectorIndex inside a dedicated
// module Worker, where OPFS sync access handles exist, and answers the
// requests of WorkerVectorIndex (client.ts). Requests are handled one at a
// time, in arrival order, so an `add` posted after `sync` is applied after it,
// exactly as the calls were made in the page.
import { NeurovecError, VectorIndex } from '../index.browser.js';
import type { ErrorInfo, IndexInfo, Method, Request, Response } from './protocol.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<Request>) => void) | null;
  postMessage(message: Response, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let index: VectorIndex | undefined;
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
  if (index) throw new NeurovecError('FAILED_PRECONDITION', 'this worker already holds an index (one index per worker)');
}

async function handle(request: Request, transfer: Transferable[]): Promise<unknown> {
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

scope.onmessage = (event) => {
  const request = event.data;
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
