// The owner's board as an installable app: registers the service worker
// (offline copy, Web Push). Nothing else runs on the page.
'use strict';
if ('serviceWorker' in navigator) {
  window.addEventListener('load', function () {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(function () {
      // No worker (a private window, an old browser): the page works without it.
    });
  });
}
