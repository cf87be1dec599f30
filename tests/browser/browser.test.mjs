// Real Chromium (Debian's package, driven by playwright-core): the browser
// entry of the package loads the wasm and works in a page and in a module Worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { CHROMIUM, FLAGS, serve } from './harness.mjs';

// The loader compiles the module while it downloads (compileStreaming), which
// needs the application/wasm type; a server that sends another type gets the
// bytes compiled whole, and the page works the same.
for (const wasmType of ['application/wasm', 'application/octet-stream']) test(`browser entry works in a Chromium page and a module Worker (.wasm served as ${wasmType})`, { timeout: 120_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), 'Debian chromium is required (npm test installs it)');
  const server = await serve({ wasmType });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: FLAGS,
    // playwright gives the browser a fresh temporary profile of its own
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${server.address().port}/tests/browser/page.html`);
    for (const which of ['pageResult', 'workerResult']) {
      await page.waitForFunction((name) => window[name] !== undefined, which);
      const result = await page.evaluate((name) => window[name], which);
      assert.equal(result.error, undefined, `${which}: ${result.error}`);
      assert.equal(result.size, 800, which);
      assert.ok(result.recall >= 0.95, `${which}: recall ${result.recall}`);
      assert.equal(result.filteredOk, true, `${which}: a filtered result did not match`);
      assert.match(result.errorName, /^INVALID_ARGUMENT: vector\[0\] is NaN/, which);
      assert.equal(result.kernel, 'wasm_simd128', which);
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});
