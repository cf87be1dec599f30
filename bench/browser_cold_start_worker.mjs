// Worker of bench/browser_cold_start.mjs: copies the index file into OPFS, or
// times open + first query from OPFS with the browser build of neurovec.
import { VectorIndex } from '../js/dist/index.browser.js';

onmessage = async ({ data }) => {
  try {
    if (data.type === 'copy') {
      const bytes = new Uint8Array(await (await fetch(data.url)).arrayBuffer());
      const root = await navigator.storage.getDirectory();
      await root.removeEntry(data.name).catch(() => {});
      const handle = await (await root.getFileHandle(data.name, { create: true })).createSyncAccessHandle();
      let done = 0;
      while (done < bytes.length) done += handle.write(bytes.subarray(done), { at: done });
      handle.flush();
      handle.close();
      postMessage({ type: 'copied', bytes: bytes.length });
    } else {
      const query = new Float32Array(data.query);
      const second = new Float32Array(data.second);
      const t0 = performance.now();
      const index = await VectorIndex.open({ opfs: data.name }, { readOnly: true, verifyChecksums: data.verify });
      const t1 = performance.now();
      const hits = index.search(query, 10);
      const t2 = performance.now();
      const paging = index.stats().paging;
      // A second, different query: what the first one paid for code warm-up
      // (the engine compiles wasm functions lazily) rather than for reads.
      index.search(second, 10);
      const t3 = performance.now();
      await index.close();
      postMessage({ type: 'timed', open: t1 - t0, query: t2 - t1, secondQuery: t3 - t2, hits: hits.length,
        blockReads: (paging?.blockReads ?? 0) + (paging?.graph?.blockReads ?? 0) });
    }
  } catch (error) {
    postMessage({ type: 'error', message: `${error.code ?? error.name}: ${error.message}` });
  }
};
