// The pthreads build in real Chromium (issue 17): a page served with COOP/COEP
// headers is cross-origin isolated and gets the threaded module by default
// (in the page and in neurovec/worker's Worker); without the headers the
// single-thread build runs and says why, and asking for threads is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blankPage, launch, serve } from './harness.mjs';

async function inPage(isolated, threads) {
  const server = await serve({ isolated });
  const browser = await launch();
  try {
    const { page, errors } = await blankPage(browser, server);
    const result = await page.evaluate(async (t) => {
      const { runThreads } = await import('/tests/browser/threads_scenario.mjs');
      return runThreads(t ?? undefined);
    }, threads ?? null);
    assert.deepEqual(errors, []);
    return result;
  } finally {
    await browser.close();
    server.close();
  }
}

test('a cross-origin-isolated page runs the pthreads build, in the page and in a Worker', { timeout: 180_000 }, async () => {
  const r = await inPage(true);
  assert.equal(r.isolated, true, 'COOP/COEP headers should isolate the page');
  assert.equal(r.createError, undefined, r.createError);
  const pool = Math.min(r.cores, 8);
  assert.ok(pool >= 2, `this test needs 2 cores, the browser reports ${r.cores}`);
  assert.deepEqual(r.threads, { build: 'pthreads', pool });
  assert.equal(r.size, 3000);
  assert.equal(r.batchVsSearch, -1, `searchBatch differs from search at query ${r.batchVsSearch}`);
  assert.ok(r.recall >= 0.95, `recall ${r.recall}`);
  assert.ok(r.health <= 3, `${r.health} of 3,000 items unreachable after a threaded build`);
  assert.equal(r.healthAfterOptimize, 0, 'unreachable items after optimize()');
  // The single-thread build in a Worker answers the threaded page's index identically.
  assert.deepEqual(r.workerSingle, { build: 'single', pool: 1 });
  assert.equal(r.singleVsPage, -1, `the single-thread build differs at query ${r.singleVsPage}`);
  // A Worker's own pool (nested Workers) builds as well.
  assert.equal(r.workerError, undefined, r.workerError);
  assert.deepEqual(r.workerThreads, { build: 'pthreads', pool: 2 });
  assert.ok(r.workerRecall >= 0.95, `worker recall ${r.workerRecall}`);
  assert.ok(r.workerUnreachable <= 3, `${r.workerUnreachable} of 3,000 items unreachable in the Worker's build`);
  assert.equal(r.workerUnreachableAfterOptimize, 0);
});

test('without COOP/COEP the single-thread build runs, says why, and refuses threads', { timeout: 120_000 }, async () => {
  const r = await inPage(false);
  assert.equal(r.isolated, false);
  assert.equal(r.threads.build, 'single');
  assert.equal(r.threads.pool, 1);
  assert.match(r.threads.fallback, /not cross-origin isolated.*Cross-Origin-Opener-Policy/);
  assert.ok(r.recall >= 0.95, `recall ${r.recall}`);
  assert.equal(r.batchVsSearch, -1);
  assert.match(r.workerError, /^FAILED_PRECONDITION: configureWasm\(\{ threads: 2 \}\) needs the threaded build/);

  const asked = await inPage(false, 2);
  assert.match(asked.createError, /^FAILED_PRECONDITION: configureWasm\(\{ threads: 2 \}\) needs the threaded build, but the page is not cross-origin isolated/);
});
