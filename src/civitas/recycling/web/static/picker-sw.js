/* The picker's route with no connection at all: this service worker (scope /<city>/picker)
   keeps the last copy of the route page and of the files it needs, and serves them when
   the network does not answer. Network first: with a connection the picker always sees
   the current plan. Forms are not its business: civitas.js queues them. */
"use strict";
var CACHE = "civitas-picker-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("civitas-picker-") === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function keep(url) {
  return /\/picker$/.test(url.pathname) || url.pathname.indexOf("/static/") === 0 ||
    /\/theme\.css$/.test(url.pathname);
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || !keep(url)) { return; }
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(request).then(function (hit) {
        return hit || cache.match(request, { ignoreSearch: true }).then(function (any) {
          return any || Response.error();
        });
      });
    });
  }));
});
