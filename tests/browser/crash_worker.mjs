// A dedicated module Worker of the crash tests: opens an index file and
// applies the driver's operations one at a time, acknowledging each after
// sync() resolved; or verifies a file read-only. It is terminated (or its
// browser killed) at a random moment by the test.
import { apply, createIndex, openWriter, verify } from './crash_ops.mjs';

let index;
let queue = Promise.resolve();

onmessage = (event) => {
  const m = event.data;
  queue = queue.then(async () => {
    try {
      if (m.type === 'create') {
        await (await createIndex(m.target)).close();
        postMessage({ type: 'created' });
      } else if (m.type === 'open') {
        index = await openWriter(m.target);
        postMessage({ type: 'ready', size: index.size });
      } else if (m.type === 'verify') {
        postMessage({ type: 'verified', ...(await verify(m.target, m.live, m.deleted)) });
      } else {
        postMessage(await apply(index, m));
      }
    } catch (error) {
      postMessage({ type: 'error', message: `${error.code ?? error.name}: ${error.message}` });
    }
  });
};
