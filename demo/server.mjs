// A small static server for the built demo (demo/dist): correct MIME types
// (application/wasm included, so browsers compile the module while it streams),
// no caching headers that outlive a build (the service worker does the caching),
// 127.0.0.1 only. `node demo/server.mjs [dir] [--port N]`; `npm start` uses it.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.nvx': 'application/octet-stream',
  '.nvenc': 'application/octet-stream',
};

/**
 * Serves `dir` (or the folder `dir()` names at each request: tests swap builds
 * under one origin); resolves to the http.Server once it listens.
 * `onRequest(path)` sees every request.
 */
export function serveStatic(dir, { port = 0, host = '127.0.0.1', onRequest } = {}) {
  const server = createServer((req, res) => {
    const root = resolve(typeof dir === 'function' ? dir() : dir);
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    onRequest?.(path);
    let file = normalize(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
      return;
    }
    const headers = {
      'content-type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': statSync(file).size,
      // The service worker script and the page must be checked on every visit
      // so a new build is seen; hashed assets could be cached forever.
      'cache-control': /\/assets\//.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
    };
    if (req.method === 'HEAD') {
      res.writeHead(200, headers).end();
      return;
    }
    res.writeHead(200, headers);
    createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
  });
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolveListen(server));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf('--port');
  const port = portAt >= 0 ? Number(args[portAt + 1]) : 5170;
  const dir = args.find((a, i) => !a.startsWith('--') && i !== portAt + 1) ?? join(fileURLToPath(new URL('.', import.meta.url)), 'dist');
  const server = await serveStatic(dir, { port });
  console.log(`serving ${dir} at http://127.0.0.1:${server.address().port}/`);
}
