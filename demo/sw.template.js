// The demo's service worker (demo/vite.config.mjs writes sw.js from this
// template with the build's version and file list). First visit: every file of
// the build (page, code, wasm, the index with its encoder) goes into one cache
// named after the build. A new build has a new sw.js: it fills a new cache,
// takes over, and deletes every older cache, so a page is never served a mix of
// two builds. Requests are answered from the cache; anything not in the build
// goes to the network.
const VERSION = __BUILD_VERSION__;
const CACHE = `neurovec-demo-${VERSION}`;
const PRECACHE = __PRECACHE__;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // cache: 'reload' skips the HTTP cache, so a new build never picks up an old file.
    await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('neurovec-demo-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data === 'version') event.source?.postMessage({ version: VERSION, cache: CACHE });
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  // The index is not cached here (the worker keeps it in OPFS): its download
  // goes straight to the network, not through this worker.
  if (new URL(request.url).pathname.endsWith('.nvx')) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const url = new URL(request.url);
    // The page itself, whatever its query string.
    const key = request.mode === 'navigate' ? new URL('./index.html', self.registration.scope).href : url.href;
    const hit = await cache.match(key, { ignoreSearch: request.mode === 'navigate' });
    if (hit) return hit;
    return fetch(request);
  })());
});
