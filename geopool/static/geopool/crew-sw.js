/*
 * The field crew page's service worker, served as /crew/sw.js (scope /crew/).
 *
 * Network first, cache as the fallback, for GET requests of the page, its
 * static files and the district outlines: with coverage everything is
 * fresh; without it the last copy of the page, Leaflet and the styles are
 * served, so the page opens in a dead zone. The ticket list is not cached
 * here: the page keeps the last one itself and says when it was loaded.
 * POSTs (actions) are never cached: the page queues them and sends them
 * when the connection returns.
 */
"use strict";

var CACHE = "geopool-crew-v1";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(
        names
          .filter(function (name) {
            return name.indexOf("geopool-crew-") === 0 && name !== CACHE;
          })
          .map(function (name) {
            return caches.delete(name);
          })
      );
    }).then(function () {
      return self.clients.claim();
    })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  // The ticket list and place answers are live data: the page keeps the
  // last list itself and says how old it is when the network fails.
  if (/\/crew\/(tickets|place)$/.test(url.pathname)) {
    return;
  }
  event.respondWith(
    fetch(request)
      .then(function (response) {
        if (response.ok && response.type === "basic") {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) {
            cache.put(request, copy);
          });
        }
        return response;
      })
      .catch(function () {
        return caches.match(request, { ignoreVary: true }).then(function (hit) {
          return hit || Response.error();
        });
      })
  );
});
