// The demo's build: `npm run demo:build` (vite build --config demo/vite.config.mjs)
// writes a static site to demo/dist/. It imports neurovec exactly as a user
// does ('neurovec/text'); the index file the page ships (demo/data/debian.nvx,
// from `npm run demo:data`) is copied in under a content-hashed name, and a
// service worker (sw.js) is generated with the list of every file of the build
// and a cache name derived from their contents, so a new build replaces the
// whole cache at once.
//
// Environment: NEUROVEC_DEMO_INDEX (the index file to ship; default
// demo/data/debian.nvx, else demo/data/debian-sample.nvx), NEUROVEC_DEMO_OUT
// (output folder; default demo/dist), NEUROVEC_DEMO_LABEL (a build label shown
// in the footer; tests use it to make a second, different build).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

function pickIndex() {
  const given = process.env.NEUROVEC_DEMO_INDEX;
  if (given) {
    if (!existsSync(given)) throw new Error(`NEUROVEC_DEMO_INDEX=${given}: no such file`);
    return resolve(given);
  }
  for (const candidate of ['demo/data/debian.nvx', 'demo/data/debian-sample.nvx']) {
    if (existsSync(join(root, candidate))) return join(root, candidate);
  }
  throw new Error('the demo needs an index: run `npm run demo:data` (full catalogue) or `npm run demo:data -- --sample` first');
}

const indexPath = pickIndex();
const indexBytes = readFileSync(indexPath);
const indexVersion = createHash('sha256').update(indexBytes).digest('hex').slice(0, 12);
const indexFile = `debian-${indexVersion}.nvx`;
const label = process.env.NEUROVEC_DEMO_LABEL ?? '';

function walk(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? walk(p, base) : [relative(base, p).split('\\').join('/')];
  });
}

/** Copies the index into the build and writes sw.js with the build's file list. */
function offlinePlugin() {
  let outDir;
  return {
    name: 'neurovec-demo-offline',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    writeBundle() {
      copyFileSync(indexPath, join(outDir, indexFile));
      // What the page can load: index.html and, transitively, every file a
      // text file of the build names. Files nothing names (an optional peer's
      // .wasm that neurovec/browser only loads on request) are dropped.
      const all = walk(outDir).filter((f) => f !== 'sw.js' && f !== 'build.json');
      const used = new Set(['index.html', indexFile]);
      const queue = ['index.html'];
      while (queue.length) {
        const text = readFileSync(join(outDir, queue.pop()), 'utf8');
        for (const f of all) {
          const base = f.split('/').pop();
          if (!used.has(f) && text.includes(base)) {
            used.add(f);
            if (/\.(js|css|html)$/.test(f)) queue.push(f);
          }
        }
      }
      for (const f of all) if (!used.has(f)) rmSync(join(outDir, f));
      // Pre-cached: the page, its code and the wasm. Not the index: the
      // worker stores it in OPFS (or IndexedDB) on the first visit, and that
      // copy is what every later visit opens, offline too; caching it here as
      // well would keep it twice. The encoder's weights travel inside the
      // index (TextIndex.toBytes holds them); the standalone .nvenc that
      // neurovec/text names for TextIndex.create is never fetched by this page.
      // Not the threaded build either (neurovec-threads.*): the browser entry
      // loads it only in a cross-origin-isolated page, and demo/server.mjs
      // sends no COOP/COEP headers, so this page never fetches it; it stays
      // in dist/ for a deployment that does.
      const files = [...used].filter((f) => !f.endsWith('.nvenc') && f !== indexFile && !/neurovec-threads/.test(f)).sort();
      const hash = createHash('sha256');
      for (const f of files) hash.update(f).update(readFileSync(join(outDir, f)));
      const version = hash.digest('hex').slice(0, 12);
      const sizes = Object.fromEntries(files.map((f) => [f, statSync(join(outDir, f)).size]));
      const template = readFileSync(join(here, 'sw.template.js'), 'utf8');
      const sw = template
        .replace('__BUILD_VERSION__', JSON.stringify(version))
        .replace('__PRECACHE__', JSON.stringify(['./', ...files.filter((f) => f !== 'index.html'), 'index.html'], null, 2));
      writeFileSync(join(outDir, 'sw.js'), sw);
      writeFileSync(join(outDir, 'build.json'), `${JSON.stringify({ version, label, index: indexFile, indexBytes: indexBytes.length, precached: sizes }, null, 2)}\n`);
    },
  };
}

export default defineConfig({
  root: here,
  base: './',
  logLevel: 'warn',
  publicDir: false,
  define: {
    __DEMO_INDEX__: JSON.stringify({ file: indexFile, version: indexVersion, bytes: indexBytes.length }),
    __DEMO_LABEL__: JSON.stringify(label),
  },
  worker: { format: 'es' },
  build: {
    outDir: process.env.NEUROVEC_DEMO_OUT ? resolve(process.env.NEUROVEC_DEMO_OUT) : join(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    // The wasm glue and the weights are large by nature; the index is not bundled at all.
    chunkSizeWarningLimit: 2048,
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  plugins: [offlinePlugin()],
});
