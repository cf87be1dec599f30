// `npm start`: the demo. Builds what is missing (native, wasm, TypeScript),
// prepares the demo's index (the full Debian catalogue when it can be had,
// the committed 2,053-package sample otherwise), prints a few example searches
// here in the terminal, builds the page (Vite) and serves it on 127.0.0.1.
// `npm start -- --sample` skips the full catalogue; `--port N` picks the port
// (default 5170, or the next free one). The Fashion-MNIST quick-start that
// used to run here is `npm run quickstart`.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildAll } from './build.mjs';
import { buildDemoIndex, CATALOGUE, printExampleSearches, ROOT } from './demo_data.mjs';

const args = process.argv.slice(2);
const portAt = args.indexOf('--port');
const wantPort = portAt >= 0 ? Number(args[portAt + 1]) : 5170;

buildAll();

let prepared;
if (!args.includes('--sample')) {
  try {
    if (!existsSync(CATALOGUE)) console.log('\n[start] the demo indexes the Debian catalogue: fetching it (scripts/catalogue.mjs)');
    prepared = await buildDemoIndex({ sample: false });
  } catch (error) {
    console.log(`\n[start] the full catalogue is not available (${error.message.split('\n')[0]});\n` +
      '[start] using the committed sample of 2,053 packages instead');
  }
}
prepared ??= await buildDemoIndex({ sample: true });

await printExampleSearches(prepared.out);

const { buildDemo } = await import('../demo/build.mjs');
const site = buildDemo({ index: prepared.out });
const { serveStatic } = await import('../demo/server.mjs');

let server;
for (let port = wantPort; port < wantPort + 20; port++) {
  try {
    server = await serveStatic(site.out, { port });
    break;
  } catch (error) {
    if (error.code !== 'EADDRINUSE') throw error;
  }
}
if (!server) {
  console.error(`[start] no free port from ${wantPort} to ${wantPort + 19}; pass --port N`);
  process.exit(1);
}
const url = `http://127.0.0.1:${server.address().port}/`;
console.log(`\nThe demo (${relative(ROOT, join(site.out))}, index ${relative(ROOT, prepared.out)}) is served at\n\n    ${url}\n\n` +
  'Open it in a browser: describe what you want, thumbs-up the right package, search again.\n' +
  'It works offline after the first visit. Ctrl-C stops the server.');
