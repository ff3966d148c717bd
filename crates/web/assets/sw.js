// Tsifra's service worker. It makes the owner's board an installable app:
// it opens with the last figures seen when the phone is offline, and shows
// Web Push notifications (the server sends them in a later version; this is
// the receiving end).
'use strict';
var CACHE = 'tsifra-owner-1';
var PAGE = '/owner';

self.addEventListener('install', function () {
  self.skipWaiting();
});

self.addEventListener('activate', function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

// The owner's board: the network first (figures must be fresh), the last copy when offline.
self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET' || request.mode !== 'navigate') return;
  if (new URL(request.url).pathname !== PAGE) return;
  event.respondWith(
    fetch(request)
      .then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.put(PAGE, copy); }));
        }
        return response;
      })
      .catch(function () {
        return caches.match(PAGE).then(function (cached) { return cached || Response.error(); });
      })
  );
});

// A push: {"title": "...", "body": "...", "url": "/owner", "tag": "plan-day"} or plain text.
self.addEventListener('push', function (event) {
  var data = {};
  if (event.data) {
    try { data = event.data.json(); } catch (e) { data = { body: event.data.text() }; }
  }
  event.waitUntil(
    self.registration.showNotification(data.title || 'Tsifra', {
      body: data.body || '',
      icon: '/icons/icon-192.png',
      badge: '/icons/icon-192.png',
      tag: data.tag || undefined,
      data: { url: data.url || PAGE }
    })
  );
});

self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || PAGE;
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        if (new URL(windows[i].url).pathname === new URL(url, self.location.origin).pathname && 'focus' in windows[i]) {
          return windows[i].focus();
        }
      }
      return self.clients.openWindow(url);
    })
  );
});
