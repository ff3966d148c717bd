// Every page's small script, no framework:
// - the owner's board as an installable app: registers the service worker;
// - board tables sort by a click on a header (numbers by their raw `data-value`,
//   dates as dates, words the Russian way) and filter by a search box; tables
//   marked `data-server-sort` are sorted by the server and left alone;
// - "обновлено N мин назад", and a live view (no as-of in the URL) refreshes its
//   figures every `data-refresh` seconds while the page is visible.
// The pages work without it: tables in the server's order, figures as loaded.
'use strict';
(function () {
  if ('serviceWorker' in navigator && document.querySelector('link[rel="manifest"]')) {
    window.addEventListener('load', function () {
      navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(function () {
        // No worker (a private window, an old browser): the page works without it.
      });
    });
  }

  var DATE = /^\d{4}-\d{2}-\d{2}/;
  // Per table id: the sort (column, direction) and the search text, kept across refreshes.
  var memory = {};

  // A cell's raw value: its `data-value`, else its text (a number's spaces,
  // units and decimal comma dropped when the column holds numbers).
  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) return '';
    if (cell.hasAttribute('data-value')) return cell.getAttribute('data-value');
    var text = cell.textContent.trim();
    if (!numeric) return text;
    var n = text.replace(/\u2212/g, '-').replace(/[^\d,.\-]/g, '').replace(',', '.');
    return n === '' || n === '-' ? '' : n;
  }

  function columnKind(th, rows, index) {
    if (th.classList.contains('num')) return 'num';
    var seen = false;
    for (var i = 0; i < rows.length; i++) {
      var v = cellValue(rows[i], index);
      if (v === '') continue;
      if (!DATE.test(v)) return 'text';
      seen = true;
    }
    return seen ? 'date' : 'text';
  }

  function compare(kind, a, b) {
    // Empty cells ("—") go last whichever way the column is sorted: handled by the caller.
    if (kind === 'num') return Number(a) - Number(b);
    if (kind === 'date') return Date.parse(a) - Date.parse(b) || (a < b ? -1 : a > b ? 1 : 0);
    return a.localeCompare(b, 'ru', { sensitivity: 'base', numeric: true });
  }

  function sortBy(table, index, direction) {
    var body = table.tBodies[0];
    if (!body) return;
    var all = Array.prototype.slice.call(body.rows);
    // The team total closes the table whatever the order.
    var rows = all.filter(function (r) { return !r.classList.contains('total'); });
    var totals = all.filter(function (r) { return r.classList.contains('total'); });
    var headers = table.tHead.rows[0].cells;
    var kind = columnKind(headers[index], rows, index);
    var sign = direction === 'descending' ? -1 : 1;
    var keyed = rows.map(function (r, i) { return { row: r, value: cellValue(r, index, kind === 'num'), at: i }; });
    keyed.sort(function (x, y) {
      var ex = x.value === '' || (kind === 'num' && isNaN(Number(x.value)));
      var ey = y.value === '' || (kind === 'num' && isNaN(Number(y.value)));
      if (ex !== ey) return ex ? 1 : -1;
      return (ex ? 0 : sign * compare(kind, x.value, y.value)) || x.at - y.at;
    });
    keyed.forEach(function (k) { body.appendChild(k.row); });
    totals.forEach(function (r) { body.appendChild(r); });
    for (var i = 0; i < headers.length; i++) {
      if (i === index) headers[i].setAttribute('aria-sort', direction);
      else headers[i].removeAttribute('aria-sort');
    }
  }

  function filter(table, text, counter) {
    var words = text.toLocaleLowerCase('ru').split(/\s+/).filter(Boolean);
    var rows = Array.prototype.slice.call(table.tBodies[0] ? table.tBodies[0].rows : []);
    var shown = 0;
    var counted = 0;
    rows.forEach(function (r) {
      var hay = r.textContent.toLocaleLowerCase('ru');
      var hit = r.classList.contains('total') || words.every(function (w) { return hay.indexOf(w) >= 0; });
      r.hidden = !hit;
      if (!r.classList.contains('total')) {
        counted++;
        if (hit) shown++;
      }
    });
    if (counter) {
      counter.textContent = words.length
        ? counter.getAttribute('data-template').replace('{n}', shown).replace('{total}', counted)
        : '';
    }
  }

  function enhance(root) {
    var cards = root.querySelectorAll('[data-table]');
    Array.prototype.forEach.call(cards, function (card) {
      var table = card.querySelector('table');
      if (!table || !table.tHead || card.hasAttribute('data-server-sort') || table.hasAttribute('data-server-sort')) return;
      var id = card.getAttribute('data-table');
      var state = memory[id] || (memory[id] = { index: -1, direction: '', search: '' });
      var headers = table.tHead.rows[0].cells;
      Array.prototype.forEach.call(headers, function (th, index) {
        var button = document.createElement('button');
        button.type = 'button';
        button.className = 'sort';
        while (th.firstChild) button.appendChild(th.firstChild);
        th.appendChild(button);
        button.addEventListener('click', function () {
          var direction = state.index === index && state.direction === 'ascending' ? 'descending' : 'ascending';
          // Money and counts read best largest first.
          if (state.index !== index && th.classList.contains('num')) direction = 'descending';
          state.index = index;
          state.direction = direction;
          sortBy(table, index, direction);
        });
      });
      if (state.index >= 0 && state.index < headers.length) sortBy(table, state.index, state.direction);
      var search = card.querySelector('input[data-table-search]');
      if (search) {
        var counter = card.querySelector('[data-table-found]');
        search.hidden = false;
        search.value = state.search;
        search.addEventListener('input', function () {
          state.search = search.value;
          filter(table, search.value, counter);
        });
        if (state.search) filter(table, state.search, counter);
      }
    });
  }

  var loadedAt = Date.now();

  function showAge() {
    var minutes = Math.floor((Date.now() - loadedAt) / 60000);
    Array.prototype.forEach.call(document.querySelectorAll('[data-updated]'), function (el) {
      var out = el.querySelector('.updated-ago');
      if (!out) return;
      out.textContent = minutes < 1
        ? el.getAttribute('data-just-now')
        : el.getAttribute('data-minutes').replace('{n}', minutes);
    });
  }

  var refreshing = false;
  function refresh() {
    var main = document.querySelector('main');
    var active = document.activeElement;
    // Never pull the page from under someone choosing a filter or typing a search.
    if (refreshing || !main || document.visibilityState !== 'visible') return;
    if (active && main.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName) && active.type !== 'search') return;
    refreshing = true;
    fetch(location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('main');
        if (!fresh) return;
        var focused = active && active.matches && active.matches('input[data-table-search]')
          ? active.closest('[data-table]').getAttribute('data-table') : null;
        main.replaceChildren.apply(main, Array.prototype.slice.call(fresh.childNodes));
        enhance(main);
        loadedAt = Date.now();
        showAge();
        if (focused) {
          var again = main.querySelector('[data-table="' + focused + '"] input[data-table-search]');
          if (again) again.focus();
        }
      })
      .catch(function () { /* offline or restarting: try again next time */ })
      .then(function () { refreshing = false; });
  }

  function start() {
    enhance(document);
    showAge();
    setInterval(showAge, 15000);
    var marker = document.querySelector('[data-updated]');
    if (!marker || marker.getAttribute('data-live') !== 'true') return;
    var seconds = Math.max(5, Number(marker.getAttribute('data-refresh')) || 60);
    var due = function () { return Date.now() - loadedAt >= seconds * 1000; };
    setInterval(function () { if (due()) refresh(); }, 5000);
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'visible' && due()) refresh();
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
