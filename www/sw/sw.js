// Paperlab's service worker, for the static site `make dist` writes (scripts/dist-sw.mjs copies this file to the
// site root as sw.js, fills in VERSION and the file lists, and adds `<script src="sw.js"></script>` to index.html).
// One file, two roles:
//
// In the page (a classic script in index.html): registers itself as the service worker of the site's folder and,
// the first time it takes control of a top-level page that is not cross-origin isolated, reloads it once, so that
// the reloaded page is isolated and runs the threaded build. It never reloads a framed page (an embed: isolation
// needs the top-level page isolated too) and at most once per version (sessionStorage).
//
// In the service worker:
//   - cross-origin isolation on hosts that cannot send COOP/COEP headers: npm coi-serviceworker (vendored by
//     `make vendor` as www/vendor/coi-serviceworker.js, MIT) adds the headers to every response it passes through;
//   - offline: its network `fetch` is replaced here by a versioned cache of the site's own files. Same-origin GETs go
//     to the network first (so an online reader always gets the current files) and are kept in the cache
//     `paperlab-<VERSION>`; with the network off they come from that cache. On install the shell (HTML, JS, CSS,
//     registry, vendor) is cached, after activation the models and data; the wasm build the browser actually runs is
//     cached when it is first loaded. A new VERSION (any file of the site changed) installs a new worker whose
//     activation deletes the older caches.

const VERSION = 'dev';
const SHELL = [];
const REST = [];

if (typeof window !== 'undefined') {
  const n = navigator;
  const src = document.currentScript && document.currentScript.src;
  const top = window.top === window;
  const key = `paperlab-sw-reload-${VERSION}`;
  const reloadOnce = () => {
    if (!top || window.crossOriginIsolated || sessionStorage.getItem(key)) return;
    sessionStorage.setItem(key, '1');
    window.location.reload();
  };
  if (n.serviceWorker && window.isSecureContext && src && !/[?&]nosw=1/.test(window.location.search)) {
    n.serviceWorker.register(src).then((reg) => {
      if (reg.active && !n.serviceWorker.controller) reloadOnce();
    }, (e) => console.warn('Paperlab: the service worker could not be registered:', e));
    n.serviceWorker.addEventListener('controllerchange', reloadOnce);
  }
} else {
  const CACHE = `paperlab-${VERSION}`;
  const scope = self.registration.scope;
  const net = self.fetch.bind(self);
  const put = (cache, req, res) => (res && res.status === 200 && res.type === 'basic' ? cache.put(req, res) : null);
  const cacheAll = async (files) => {
    const cache = await caches.open(CACHE);
    await Promise.all(files.map(async (f) => {
      const url = new URL(f, scope).href;
      if (await cache.match(url)) return;
      try {
        await put(cache, url, await net(url, { cache: 'no-cache' }));
      } catch {
        // offline during the install: the file is cached when it is next fetched
      }
    }));
  };

  // What coi-serviceworker's fetch handler calls: the network, falling back to the cache.
  self.fetch = async (input, init) => {
    const req = input instanceof Request && !init ? input : new Request(input, init);
    const url = new URL(req.url);
    if (req.method !== 'GET' || url.origin !== self.location.origin) return net(req);
    const cache = await caches.open(CACHE);
    try {
      const res = await net(req);
      if (!req.headers.has('range')) Promise.resolve(put(cache, req, res.clone())).catch(() => {});
      return res;
    } catch (e) {
      const hit = (await cache.match(req, { ignoreSearch: true }))
        || (req.mode === 'navigate' ? await cache.match(new URL('index.html', scope).href) : undefined);
      if (hit) return hit;
      throw e;
    }
  };

  self.addEventListener('install', (e) => e.waitUntil(cacheAll(SHELL)));
  self.addEventListener('activate', (e) => e.waitUntil((async () => {
    for (const k of await caches.keys()) if (k.startsWith('paperlab-') && k !== CACHE) await caches.delete(k);
    await cacheAll(REST);
    for (const c of await self.clients.matchAll()) c.postMessage({ type: 'paperlab:cached', version: VERSION });
  })()));
  self.importScripts(new URL('www/vendor/coi-serviceworker.js', scope).href);
}
