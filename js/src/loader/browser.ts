// Browser and worker loader: fetches the .wasm next to this file (bundlers can
// rewrite the URL) and instantiates it with the ES-module build of the glue.
//
// Two builds, as in Node (loader/node.ts): the single-thread module, and the
// pthreads module over shared memory. Browsers give shared memory only to
// cross-origin-isolated contexts (a page served with
// `Cross-Origin-Opener-Policy: same-origin` and
// `Cross-Origin-Embedder-Policy: require-corp`, and the workers it starts),
// so by default the threaded build is used exactly there, and the
// single-thread build everywhere else, with stats().threads saying why.
import { NeurovecError } from '../errors.js';
import { threadedModule, type NeurovecWasmModule } from '../wasm_module.js';

type Receive = (instance: WebAssembly.Instance, module: WebAssembly.Module) => void;
type Factory = (options: {
  instantiateWasm: (imports: WebAssembly.Imports, receive: Receive) => object;
  nvThreadPool?: number;
  locateFile?: (path: string, directory: string) => string;
  mainScriptUrlOrBlob?: string;
}) => Promise<NeurovecWasmModule>;

/** Threads when configureWasm was not called: one per core, at most this many
 * (each pool thread is a Worker that compiles its own instance). */
export const DEFAULT_MAX_THREADS = 8;

/** Why this context cannot run the threaded build, or undefined when it can. */
export function threadsUnavailable(): string | undefined {
  const scope = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown; Worker?: unknown };
  if (scope.crossOriginIsolated !== true) {
    return 'the page is not cross-origin isolated (serve it with the headers Cross-Origin-Opener-Policy: same-origin ' +
      'and Cross-Origin-Embedder-Policy: require-corp to get threads)';
  }
  if (typeof scope.SharedArrayBuffer !== 'function') return 'this browser has no SharedArrayBuffer';
  if (typeof scope.Worker !== 'function') return 'this context cannot start Workers';
  return undefined;
}

/** Cores the browser reports (navigator.hardwareConcurrency), at least 1. */
export function browserCores(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 1;
}

/**
 * Compiles the module at `url` while it downloads (compileStreaming), which
 * also lets Chromium keep the compiled code in its cache for the next visit;
 * a server that does not send `application/wasm` gets the bytes compiled
 * whole instead.
 */
async function compileModule(url: URL): Promise<WebAssembly.Module> {
  const response = await fetch(url);
  const name = url.pathname.split('/').pop();
  if (!response.ok) throw new Error(`neurovec: could not load ${name} (HTTP ${response.status})`);
  const streaming = typeof WebAssembly.compileStreaming === 'function' &&
    (response.headers.get('content-type') ?? '').split(';')[0].trim() === 'application/wasm';
  return streaming ? WebAssembly.compileStreaming(response) : WebAssembly.compile(await response.arrayBuffer());
}

/**
 * Runs the glue's factory on a compiled module: the glue's instantiateWasm
 * hook instantiates it with the glue's imports. A failed instantiation would
 * leave the glue's promise pending, so it rejects the returned one instead.
 */
function instantiate(factory: Factory, module: WebAssembly.Module,
  options: Omit<Parameters<Factory>[0], 'instantiateWasm'> = {}): Promise<NeurovecWasmModule> {
  return new Promise((resolve, reject) => {
    factory({
      ...options,
      instantiateWasm: (imports, receive) => {
        WebAssembly.instantiate(module, imports).then((instance) => receive(instance, module), reject);
        return {}; // the exports arrive through receive()
      },
    }).then(resolve, reject);
  });
}

async function loadSingle(): Promise<NeurovecWasmModule> {
  const [{ default: factory }, module] = await Promise.all([
    import('../wasm/neurovec.mjs' as string) as Promise<{ default: Factory }>,
    compileModule(new URL('../wasm/neurovec.wasm', import.meta.url)),
  ]);
  return instantiate(factory, module);
}

async function loadThreaded(threads: number): Promise<NeurovecWasmModule> {
  const [{ default: factory }, module] = await Promise.all([
    import('../wasm/neurovec-threads.mjs' as string) as Promise<{ default: Factory }>,
    compileModule(new URL('../wasm/neurovec-threads.wasm', import.meta.url)),
  ]);
  // Each pool Worker runs the glue's worker script, which loads the glue
  // itself as a classic script (importScripts); the ES-module twin that this
  // thread imported cannot be loaded that way, so both ship. The compiled
  // module is posted to each Worker, which instantiates it over the shared memory.
  const workerScript = new URL('../wasm/neurovec-threads.worker.js', import.meta.url).href;
  const classicGlue = new URL('../wasm/neurovec-threads.js', import.meta.url).href;
  const mod = await instantiate(factory, module, {
    nvThreadPool: threads,
    locateFile: (path, directory) => (path.endsWith('.worker.js') ? workerScript : directory + path),
    mainScriptUrlOrBlob: classicGlue,
  });
  return threadedModule(mod, threads);
}

/**
 * The module for `threads` (1: the single-thread build; more: the pthreads
 * build with a pool of that many Workers, made at instantiation, which needs
 * a cross-origin-isolated context; undefined: one per core up to
 * DEFAULT_MAX_THREADS where the context allows it, else, or if the threaded
 * build fails to load, the single-thread build, and stats().threads says why).
 */
export async function loadBrowserModule(threads?: number): Promise<NeurovecWasmModule> {
  if (threads === undefined) {
    const why = threadsUnavailable();
    const auto = Math.min(browserCores(), DEFAULT_MAX_THREADS);
    let fallback = why;
    if (!why && auto > 1) {
      try {
        return await loadThreaded(auto);
      } catch (error) {
        fallback = `the threaded build did not load: ${(error as Error)?.message ?? String(error)}`;
      }
    }
    const mod = await loadSingle();
    if (fallback) mod.nvThreadsFallback = fallback;
    return mod;
  }
  if (threads <= 1) return loadSingle();
  const why = threadsUnavailable();
  if (why) throw new NeurovecError('FAILED_PRECONDITION', `configureWasm({ threads: ${threads} }) needs the threaded build, but ${why}`);
  return loadThreaded(threads);
}
