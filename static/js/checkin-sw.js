/* OpenDay check-in screen: a service worker so that the screen opens again without the
   network. A steward who reloads the page, or whose phone closed the browser tab, while
   the lobby's network is down would otherwise get the browser's "no internet" page and
   lose the screen (its list and queue are in localStorage and wait for it).

   Only GETs of the check-in screens (/staff/events/<slug>/checkin) and of /static/ go
   through it, network first: the answer of the server is used and kept; the kept copy is
   used only when the server cannot be reached. Everything else (the API, other staff
   pages) goes to the network untouched. checkin.js puts the open screen and its files in
   the cache as soon as this worker is ready. */
"use strict";

var CACHE = "openday-checkin-v1";
var SCREEN = /^\/staff\/events\/[^/]+\/checkin$/;

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("openday-checkin-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  var screen = SCREEN.test(url.pathname);
  if (!screen && url.pathname.indexOf("/static/") !== 0) { return; }
  event.respondWith(fetch(request).then(function (response) {
    // Keep a screen only as the signed-in steward got it (not a redirect to the sign-in).
    if (response.ok && !response.redirected && response.type === "basic") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
    }
    return response;
  }, function () {
    return caches.match(url.pathname, {cacheName: CACHE}).then(function (kept) {
      return kept || Response.error();
    });
  }));
});
