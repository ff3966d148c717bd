// Tsifra TV: shows the slides the server put in the page one after another,
// and swaps fresh figures into them without reloading the page.
//
// A slide too big for one screen (a 20-person floor on plan-fact) comes as
// pages (`.tv-page`, the first one `.on`): they turn within the slide's time,
// on the rotation's own timer.
//
// A TV runs this for weeks, so: exactly three timers ever exist (rotation,
// refresh, clock), each rescheduled only after its work is done; a slide's
// content is replaced whole (the old nodes go with it, and no listener is
// ever attached inside a slide); nothing is kept per refresh.
(function () {
  'use strict';
  var root = document.getElementById('tv');
  if (!root) return;
  var slides = Array.prototype.slice.call(root.querySelectorAll('.slide'));
  var dots = Array.prototype.slice.call(root.querySelectorAll('.dots li'));
  var stamp = document.getElementById('tv-as-of');
  var clock = document.getElementById('tv-clock');
  var error = document.getElementById('tv-error');
  var refreshMs = Math.max(50, Number(root.dataset.refreshMs) || 60000);
  var version = root.dataset.version;
  var now = function () { return performance.now(); };

  // What the browser tests read; plain numbers only.
  var state = { index: 0, page: 0, shown: 1, cycles: 0, refreshed: 0, failed: 0, turned: 0 };
  window.tsifraTv = state;

  var loadedAt = slides.map(function () { return now(); });
  var busy = slides.map(function () { return false; });
  var rotateTimer = 0;
  var refreshTimer = 0;

  function seconds(i) {
    return Math.max(0.05, Number(slides[i].dataset.seconds) || 20);
  }

  function pages(i) {
    return slides[i].querySelectorAll('.tv-page');
  }

  // Shows page p of slide i (the last one if it has fewer now).
  function turnTo(i, p) {
    var all = pages(i);
    if (all.length === 0) return 0;
    p = Math.min(p, all.length - 1);
    for (var k = 0; k < all.length; k++) all[k].classList.toggle('on', k === p);
    return p;
  }

  // How long each page of slide i stays: the slide's time shared by its pages.
  function pageSeconds(i) {
    return seconds(i) / Math.max(1, pages(i).length);
  }

  function showStamp() {
    var content = slides[state.index].firstElementChild;
    stamp.textContent = content ? content.getAttribute('data-as-of') || '' : '';
    root.classList.toggle('stale', slides[state.index].classList.contains('stale'));
  }

  // Fetches slide i's figures and puts them in place; resolves whatever happens.
  function refresh(i) {
    if (busy[i]) return Promise.resolve();
    busy[i] = true;
    var controller = new AbortController();
    var abort = setTimeout(function () { controller.abort(); }, Math.max(10000, refreshMs));
    return fetch(slides[i].dataset.src, { cache: 'no-store', credentials: 'same-origin', signal: controller.signal })
      .then(function (response) {
        if (response.status === 403) {
          return response.text().then(function () { throw new Error('forbidden'); });
        }
        if (!response.ok) throw new Error('HTTP ' + response.status);
        var serverVersion = response.headers.get('x-tsifra-version');
        if (serverVersion && version && serverVersion !== version) {
          // The server was upgraded: take its new page (scripts and styles included).
          location.reload();
          return;
        }
        return response.text().then(function (html) {
          slides[i].innerHTML = html;
          if (i === state.index) state.page = turnTo(i, state.page);
          slides[i].classList.remove('stale');
          loadedAt[i] = now();
          state.refreshed++;
          error.hidden = true;
        });
      })
      .catch(function (e) {
        state.failed++;
        slides[i].classList.add('stale');
        if (e && e.message === 'forbidden') {
          error.textContent = root.dataset.forbidden || 'Access denied: check the TV link token.';
          error.hidden = false;
        }
      })
      .then(function () {
        clearTimeout(abort);
        busy[i] = false;
        if (i === state.index) showStamp();
      });
  }

  function show(i) {
    if (i !== state.index) {
      slides[state.index].classList.remove('active');
      slides[state.index].setAttribute('aria-hidden', 'true');
      if (dots[state.index]) dots[state.index].classList.remove('on');
      slides[i].classList.add('active');
      slides[i].removeAttribute('aria-hidden');
      if (dots[i]) dots[i].classList.add('on');
    }
    if (i === 0) state.cycles++;
    state.index = i;
    state.page = turnTo(i, 0);
    state.shown++;
    showStamp();
  }

  function rotate() {
    if (state.page + 1 < pages(state.index).length) {
      state.page = turnTo(state.index, state.page + 1);
      state.turned++;
      rotateTimer = setTimeout(rotate, pageSeconds(state.index) * 1000);
      return;
    }
    var next = (state.index + 1) % slides.length;
    // The next slide gets fresh figures before it comes up, if it needs them.
    var ready = now() - loadedAt[next] >= refreshMs ? refresh(next) : Promise.resolve();
    ready.then(function () {
      show(next);
      rotateTimer = setTimeout(rotate, pageSeconds(state.index) * 1000);
    });
  }

  function refreshShown() {
    var i = state.index;
    var due = now() - loadedAt[i] >= refreshMs * 0.9;
    (due ? refresh(i) : Promise.resolve()).then(function () {
      refreshTimer = setTimeout(refreshShown, refreshMs);
    });
  }

  var format;
  try {
    format = new Intl.DateTimeFormat(root.dataset.lang || undefined, {
      hour: '2-digit', minute: '2-digit', timeZone: root.dataset.tz || undefined
    });
  } catch (e) {
    format = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
  }
  function tick() { clock.textContent = format.format(new Date()); }

  showStamp();
  tick();
  setInterval(tick, 1000);
  if (slides.length > 0) {
    rotateTimer = setTimeout(rotate, pageSeconds(0) * 1000);
    refreshTimer = setTimeout(refreshShown, refreshMs);
  }
})();
