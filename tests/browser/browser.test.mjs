// Real Chromium (Debian's package, driven by playwright-core): the browser
// entry of the package loads the wasm and works in a page and in a module Worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };

function serve() {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    const file = join(ROOT, path);
    if (!file.startsWith(ROOT)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

test('browser entry works in a Chromium page and a module Worker', { timeout: 120_000 }, async () => {
  assert.ok(existsSync('/usr/bin/chromium'), 'Debian chromium is required (npm test installs it)');
  const server = await serve();
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
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
