// The service worker: precaches the page, its script, the package's browser modules and the .wasm
// (the server writes the list and a version hash of those files in), then answers every GET of
// them from the cache, so the page loads and mints ids with no network. /grant and /notes always
// go to the network (the page handles their failure: it keeps notes in IndexedDB until a sync).
const PRECACHE = "__PRECACHE__";
const CACHE = "offline-notes-__VERSION__";

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !PRECACHE.includes(url.pathname)) return;
  // Cache first: the cached copy is the version this worker installed (a new server version
  // brings a new sw.js, which precaches the new files).
  event.respondWith(caches.open(CACHE).then((cache) => cache.match(url.pathname)).then((hit) => hit ?? fetch(event.request)));
});
