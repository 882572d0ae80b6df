/* Amanah field app: the service worker that lets /field/ open with no network.
 *
 * Written out by the server with the app shell's real URLs (whatever names collectstatic gave the
 * files) and a version that changes whenever one of those files does.
 *
 * - install: the shell (page, scripts, styles, Leaflet, icons, manifest) goes into a new cache;
 * - activate: caches of older versions are removed and open pages are taken over;
 * - the page and the day's jobs: network first, the last copy when the network fails;
 * - static files: from the cache first (a new version brings new copies).
 * Writes (the inspections and photos the app sends) are never touched: the app's outbox keeps them.
 */
"use strict";

const VERSION = "{{ version }}";
const PREFIX = "amanah-field-";
const CACHE = PREFIX + VERSION;
const PAGE_URL = {{ page_url_json|safe }};
const SHELL = {{ shell_json|safe }};
// Path prefix -> how a copy is keyed: "path" keeps one copy whatever the query (the day's jobs,
// asked with the tablet's position), "url" one per address (the district outlines of a jurisdiction).
const NETWORK_FIRST = {{ network_first_json|safe }};
const STATIC_PREFIX = {{ static_prefix_json|safe }};
const FROM_CACHE_HEADER = "X-Amanah-Cache";

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // "reload": past the browser's HTTP cache, so a new version gets the new files.
      await cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" })));
      try {
        const page = await fetch(new Request(PAGE_URL, { cache: "reload", credentials: "same-origin" }));
        // Signed out, the page is a redirect to sign in: that is not the app and is not kept.
        if (page.ok && !page.redirected) {
          await cache.put(PAGE_URL, page);
        }
      } catch (error) {
        // The page is kept the next time it is opened with a network.
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== CACHE) {
          await caches.delete(name);
        }
      }
      await self.clients.claim();
    })(),
  );
});

function copyKey(url, keying) {
  return keying === "path" ? url.origin + url.pathname : url.href;
}

/* The answer as it came, kept for later; or, with no network, the last copy marked as such. */
async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected && response.type === "basic") {
      await cache.put(key, response.clone());
    }
    return response;
  } catch (error) {
    const copy = await cache.match(key, { ignoreVary: true });
    if (!copy) {
      throw error;
    }
    const headers = new Headers(copy.headers);
    headers.set(FROM_CACHE_HEADER, "hit");
    return new Response(copy.body, { status: copy.status, statusText: copy.statusText, headers });
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const copy = await cache.match(request, { ignoreVary: true });
  if (copy) {
    return copy;
  }
  const response = await fetch(request);
  if (response.ok && response.type === "basic") {
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    // The optional basemap's tiles and anything else elsewhere: left to the browser.
    return;
  }
  if (request.mode === "navigate") {
    if (url.pathname === PAGE_URL) {
      event.respondWith(networkFirst(request, PAGE_URL));
    }
    return;
  }
  for (const [prefix, keying] of Object.entries(NETWORK_FIRST)) {
    if (url.pathname.startsWith(prefix)) {
      event.respondWith(networkFirst(request, copyKey(url, keying)));
      return;
    }
  }
  if (url.pathname.startsWith(STATIC_PREFIX) || SHELL.includes(url.pathname)) {
    event.respondWith(cacheFirst(request));
  }
});
