// CRM hygiene in a real browser: the TV's heat table (managers × rules) at
// 1920×1080 shows the API's counts and fits, also with 20 managers; the
// board's per-manager table fits the page at 1440 and 1920 px; the violations
// list is filtered and sorted on the server, the page agreeing with the API.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, api, launch, openPage, shot, tvUrl } from './lib.mjs';

let browser;
let context;

before(async () => {
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'ru-RU' });
});
after(async () => {
  await browser?.close();
});

/** How far anything in the active slide sticks out of it (px; ≤ 0 when everything fits). */
const overflow = (page) =>
  page.evaluate(() => {
    const slide = document.querySelector('.slide.active').getBoundingClientRect();
    let worst = -Infinity;
    for (const e of document.querySelectorAll('.slide.active .heat-page:first-child tr, .slide.active .heat-foot p')) {
      const r = e.getBoundingClientRect();
      worst = Math.max(worst, r.bottom - slide.bottom, r.right - slide.right);
    }
    return worst;
  });

test('the TV shows every rule per manager as a heat table with the API counts', async () => {
  const page = await openPage(context);
  await page.goto(tvUrl('boards=hygiene'));
  const heat = page.locator('.slide.active table[data-heat]').first();
  assert.ok(await heat.isVisible(), 'the heat table is on screen');
  const report = await api('/api/reports/hygiene?limit=50');
  const enabled = report.rules.filter((r) => r.enabled).map((r) => r.rule);
  const heads = await heat.locator('thead th[data-rule]').evaluateAll((ths) => ths.map((th) => th.dataset.rule));
  assert.deepEqual(heads, enabled, 'one column per enabled rule');
  // A cell's count is the API's, for the worst manager and a rule they break.
  const worst = report.managers.find((m) => m.manager_id !== null);
  const [rule, count] = Object.entries(worst.counts).sort((a, b) => b[1] - a[1])[0];
  const cell = heat.locator(`tr[data-manager-id="${worst.manager_id}"] td[data-rule="${rule}"]`);
  assert.equal(await cell.getAttribute('data-value'), String(count));
  assert.equal((await cell.innerText()).trim(), String(count));
  // The worst cell of a column stands out (the top colour level), an empty one does not.
  const levels = await heat.locator(`tbody td[data-rule="${rule}"]`).evaluateAll((tds) =>
    tds.map((td) => [Number(td.dataset.value), td.className]));
  const max = Math.max(...levels.map(([v]) => v));
  assert.ok(levels.filter(([v]) => v === max).every(([, c]) => c === 'h4'), JSON.stringify(levels));
  assert.ok(levels.filter(([v]) => v === 0).every(([, c]) => c === 'h0'), JSON.stringify(levels));
  // The change since yesterday, written with the Russian minus, is the API's.
  const change = worst.since_yesterday;
  const text = (await heat.locator(`tr[data-manager-id="${worst.manager_id}"] td.change`).innerText()).trim();
  const expected = change === null ? '—' : change > 0 ? `+${change}` : change < 0 ? `\u2212${-change}` : '0';
  assert.equal(text, expected);
  if (report.most_fixed) {
    assert.match(await page.locator('.slide.active [data-most-fixed]').innerText(), new RegExp(String(report.most_fixed.fixed)));
  }
  // Readable from across the room: figures at least 20 px on 1080p.
  const size = await cell.evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  assert.ok(size >= 20, `figures ${size}px`);
  assert.ok((await overflow(page)) <= 0, 'nothing cut off');
  await shot(page, 'tv-hygiene');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('twenty managers still fit the TV at a readable size', async () => {
  const page = await openPage(context);
  await page.goto(tvUrl('boards=hygiene'));
  // The demo has a dozen managers: copy rows up to 20, as the server lays out one page of them.
  await page.evaluate(() => {
    const table = document.querySelector('.slide.active table[data-heat]');
    const body = table.tBodies[0];
    const rows = [...body.rows];
    for (let i = 0; body.rows.length < 20; i++) body.appendChild(rows[i % rows.length].cloneNode(true));
    table.style.setProperty('--rows', String(body.rows.length));
  });
  const size = await page.locator('.slide.active tbody td').first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  assert.ok(size >= 20, `figures ${size}px with 20 managers`);
  assert.ok((await overflow(page)) <= 0, 'twenty rows fit');
  const scroll = await page.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight);
  assert.ok(scroll, 'no scrollbar');
  await shot(page, 'tv-hygiene-20');
  await page.close();
});

test('the per-manager table fits the board at 1440 and 1920 px', async () => {
  const page = await openPage(context);
  for (const width of [1440, 1920]) {
    await page.setViewportSize({ width, height: 1000 });
    await page.goto(`${BASE}/boards/hygiene`);
    const [scroll, room] = await page.locator('#managers table').evaluate((t) => [t.scrollWidth, t.closest('.table-wrap').clientWidth]);
    assert.ok(scroll <= room, `${width}px: table ${scroll}px in ${room}px`);
    const heads = await page.locator('#managers thead th').count();
    const report = await api('/api/reports/hygiene?limit=50');
    assert.equal(heads, 1 + report.rules.filter((r) => r.enabled).length + 4, 'every column is there');
    // Short heads carry the rule's full name.
    assert.equal(await page.locator('#managers thead th').nth(1).getAttribute('title'), report.rules.find((r) => r.enabled).title);
  }
  await shot(page, 'board-hygiene', { fullPage: true });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the violations list filters by rule, manager and age, as the API does', async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 1440, height: 1000 });
  const all = await api('/api/reports/hygiene?limit=50');
  const rule = all.rules.filter((r) => r.enabled).sort((a, b) => b.violations - a.violations)[0];
  const manager = all.managers.find((m) => m.manager_id !== null && m.counts[rule.rule]);
  await page.goto(`${BASE}/boards/hygiene`);
  await page.selectOption('select[name="rule"]', rule.rule);
  await page.selectOption('select[name="manager"]', String(manager.manager_id));
  await page.fill('input[name="min_days"]', '3');
  await Promise.all([page.waitForURL(/rule=/), page.click('.filters button[type="submit"]')]);
  const api_ = await api(`/api/reports/hygiene?rule=${rule.rule}&manager=${manager.manager_id}&min_days=3&limit=1`);
  const expected = api_.truncated.violations ?? api_.violations.length;
  assert.ok(expected < all.violations_total, 'the filters narrow the list');
  const shown = await page.locator('#violations').getAttribute('data-rows');
  assert.equal(Number(shown), expected);
  if (expected > 0) {
    const cells = await page.locator('#violations tbody tr').evaluateAll((rows) => rows.map((r) => [r.cells[0].innerText, r.cells[2].innerText, Number(r.cells[3].dataset.value)]));
    assert.ok(cells.every(([r, m, d]) => r === rule.title && m === manager.manager && d >= 3), JSON.stringify(cells.slice(0, 3)));
  }
  // The filters stay in the form and in every link: paging, sorting, downloads.
  assert.equal(await page.locator('select[name="rule"]').inputValue(), rule.rule);
  assert.equal(await page.locator('input[name="min_days"]').inputValue(), '3');
  const csv = await page.locator('#violations a[data-download="csv"]').getAttribute('href');
  assert.match(csv, new RegExp(`rule=${rule.rule}`));
  assert.match(csv, /min_days=3/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a click on a column head sorts the whole list on the server', async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(`${BASE}/boards/hygiene`);
  assert.equal(await page.locator('#violations table').getAttribute('data-server-sort'), '');
  // The record column: А→Я, then Я→А.
  await Promise.all([page.waitForURL(/sort=record/), page.locator('#violations thead th').nth(1).locator('a').click()]);
  const names = async () => page.locator('#violations tbody tr').evaluateAll((rows) => rows.map((r) => r.cells[1].innerText.replace(/ ↗$/, '').trim()));
  const asc = await names();
  assert.ok(asc.length > 1);
  // The first page of the sorted list is the API's first rows: sorted before it is cut.
  const first = await api(`/api/reports/hygiene?sort=record&limit=${asc.length}`);
  assert.deepEqual(asc, first.violations.map((v) => v.name));
  assert.equal(await page.locator('#violations thead th').nth(1).getAttribute('aria-sort'), 'ascending');
  await Promise.all([page.waitForURL(/sort=record_desc/), page.locator('#violations thead th').nth(1).locator('a').click()]);
  const desc = await names();
  assert.equal(await page.locator('#violations thead th').nth(1).getAttribute('aria-sort'), 'descending');
  assert.ok(desc.every((n, i) => i === 0 || desc[i - 1] >= n), 'Я→А by code point, as the server sorts');
  assert.notDeepEqual(desc, asc);
  // Days open: the longest first by default, the newest first on a click.
  await Promise.all([page.waitForURL(/sort=open_days/), page.locator('#violations thead th').nth(3).locator('a').click()]);
  const days = await page.locator('#violations tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.cells[3].dataset.value)));
  assert.ok(days.every((d, i) => i === 0 || days[i - 1] >= d), 'longest open first');
  assert.deepEqual(page.problems, []);
  await page.close();
});
