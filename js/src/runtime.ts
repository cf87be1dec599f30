// Heap helpers and the decoding of the core's stats arrays, for
// vector_index.ts (as duckdb-wasm keeps its runtime apart from its API).
//
// Heap discipline: the wasm memory may grow during any call that allocates,
// which detaches every typed-array view of it. Views are taken from the
// module (`mod.HEAPU8`, ...) right before each use, never kept.
import { NeurovecError } from './errors.js';
import type { FileStats, PageCacheStats, PagingStats } from './types.js';
import { decodeText } from './validation.js';
import type { NeurovecWasmModule } from './wasm_module.js';

/** Lets timers, I/O, messages and AbortSignal listeners run (between steps of long work). */
export const yieldToEventLoop: () => Promise<void> = typeof setImmediate === 'function'
  ? () => new Promise((resolve) => setImmediate(resolve))
  : () => new Promise((resolve) => setTimeout(resolve, 0));

/** A growable malloc'd region, reused across calls. */
export class Scratch {
  ptr = 0;
  bytes = 0;
  constructor(private readonly mod: NeurovecWasmModule) {}
  ensure(bytes: number): number {
    if (bytes > this.bytes) {
      if (this.ptr) this.mod._free(this.ptr);
      const size = Math.max(bytes, this.bytes * 2, 64);
      this.ptr = this.mod._malloc(size);
      if (!this.ptr) {
        this.bytes = 0;
        throw new NeurovecError('OUT_OF_RANGE', `out of WebAssembly memory allocating ${size} bytes`);
      }
      this.bytes = size;
    }
    return this.ptr;
  }
  free(): void {
    if (this.ptr) this.mod._free(this.ptr);
    this.ptr = 0;
    this.bytes = 0;
  }
}

/** The NUL-terminated UTF-8 string at `ptr` in the heap. */
export function readCString(mod: NeurovecWasmModule, ptr: number): string {
  let end = ptr;
  while (mod.HEAPU8[end] !== 0) end++;
  return decodeText(mod.HEAPU8.subarray(ptr, end));
}

/** nv_paging_stats' doubles (PAGING_STATS_COUNT): rows' cache, then the level-0 lists'. */
export function decodePagingStats(p: Float64Array): { paging?: PagingStats } {
  if (p[0] !== 1 && p[7] !== 1) return {};
  const cache = (i: number): PageCacheStats => ({
    cacheBytes: p[i], cachedBytes: p[i + 1], blockReads: p[i + 2], bytesRead: p[i + 3], hits: p[i + 4], misses: p[i + 5],
  });
  return { paging: { ...cache(1), ...(p[7] === 1 ? { graph: cache(8) } : {}) } };
}

/** nv_file_stats' doubles (FILE_STATS_COUNT); nothing for an index kept in memory. */
export function decodeFileStats(f: Float64Array): { file?: FileStats } {
  if (f[0] !== 1) return {};
  return {
    file: {
      generation: f[1], imageBytes: f[2], logBytes: f[3], pendingBytes: f[4], replayedRecords: f[5],
      trimmedTornTail: f[6] === 1, checkpoints: f[7], syncs: f[8],
    },
  };
}
