// The floor's call list and leaderboard as a head of sales uses them: call
// priority on a phone (390x844) fits without side scroll and each company
// takes at most ~3 lines; old clients who bought come first, the companies
// that never bought sit behind their own tab; the leaderboard ranked by
// margin says where the margin comes from.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, api, launch, openPage, shot } from './lib.mjs';

let browser;
let phone;
let desktop;

before(async () => {
  browser = await launch();
  phone = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'ru-RU',
  });
  desktop = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'ru-RU' });
});
after(async () => {
  await browser?.close();
});

const companies = (report) => report.managers.flatMap((m) => m.companies);
/** As a page shows text: runs of spaces as one (the CRM's names carry doubled ones). */
const shown = (text) => text.replace(/\s+/g, ' ').trim();

/** Rows of the call-priority table: its height in lines of its own text, and whether it is inside the page. */
const rowShapes = (page) => page.locator('[data-table="call-priority"] tbody tr').evaluateAll((rows) => rows.map((tr) => {
  const company = tr.querySelector('td:nth-child(3)');
  const line = parseFloat(getComputedStyle(company).lineHeight) || company.getBoundingClientRect().height;
  const box = tr.getBoundingClientRect();
  return { lines: box.height / line, right: box.right, text: tr.innerText };
}));

test('call priority fits a phone: no side scroll, a company in at most three lines', async () => {
  const page = await openPage(phone);
  await page.goto(`${BASE}/boards/call-priority`);
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  assert.ok(scroll <= width, `the page scrolls sideways: ${scroll} > ${width}`);
  const rows = await rowShapes(page);
  assert.ok(rows.length > 0, 'the demo has clients to call');
  for (const r of rows) {
    assert.ok(r.lines <= 3.6, `a row of ${r.lines.toFixed(1)} lines: ${r.text}`);
    assert.ok(r.right <= width, `a row runs off the screen: ${r.text}`);
  }
  // The reason is there, and it says what was bought.
  const reason = await page.locator('[data-table="call-priority"] tbody tr td:nth-child(4)').first();
  assert.ok(await reason.isVisible());
  assert.match(await reason.innerText(), /^(покупал на|\d+ покуп(ки|ок) на) /);
  await shot(page, 'phone-call-priority-cards', { fullPage: true });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('old clients come first; the prospects tab shows the companies that never bought', async () => {
  const clients = await api('/api/reports/call-priority');
  const prospects = await api('/api/reports/call-priority?prospects=1');
  assert.ok(companies(clients).length > 0 && companies(prospects).length > 0, 'the demo has both lists');
  assert.ok(companies(clients).every((c) => c.won_deals > 0 && c.past_revenue > 0), 'the default list is clients who bought');

  const page = await openPage(desktop);
  await page.goto(`${BASE}/boards/call-priority`);
  const current = page.locator('.call-tabs a[aria-current="page"]');
  assert.equal(await current.getAttribute('data-list'), 'clients');
  // The page's rows are the API's, in its order: the first company of the first manager first.
  const first = companies(clients)[0];
  const firstRow = page.locator('[data-table="call-priority"] tbody tr').first();
  assert.equal(shown(await firstRow.locator('td:nth-child(3)').innerText()), shown(first.company));
  assert.equal(shown(await firstRow.locator('td:nth-child(4)').innerText()), shown(first.why));
  // On a desktop a row is at most three lines (it was six or seven), and the table fits the page.
  const rows = await rowShapes(page);
  assert.ok(rows.every((r) => r.lines <= 3.7), `desktop rows: ${rows.map((r) => r.lines.toFixed(1)).join(', ')}`);
  const wrap = await page.locator('[data-table="call-priority"] .table-wrap').evaluate((w) => [w.scrollWidth, w.clientWidth]);
  assert.ok(wrap[0] <= wrap[1], `the table scrolls sideways at 1440 px: ${wrap}`);
  await shot(page, 'call-priority-clients');

  await page.locator('.call-tabs a[data-list="prospects"]').click();
  await page.waitForURL(/prospects=1/);
  assert.equal(await page.locator('.call-tabs a[aria-current="page"]').getAttribute('data-list'), 'prospects');
  const names = await page.locator('[data-table="call-priority"] tbody tr td:nth-child(3)').allInnerTexts();
  const expected = companies(prospects).slice(0, names.length).map((c) => shown(c.company));
  assert.deepEqual(names.map(shown), expected);
  const clientNames = new Set(companies(clients).map((c) => c.company_id));
  assert.ok(companies(prospects).every((c) => !clientNames.has(c.company_id) && c.won_deals === 0));
  assert.match(await page.locator('[data-table="call-priority"] h2').innerText(), /без покупок/);
  // The filter keeps the list.
  await page.locator('form.filters button[type="submit"]').click();
  await page.waitForLoadState();
  assert.match(page.url(), /prospects=1/);
  await shot(page, 'call-priority-prospects');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the leaderboard ranked by margin says where the margin comes from', async () => {
  const board = await api('/api/reports/leaderboard?metric=margin');
  assert.ok(board.margin_basis, 'the API says the basis');
  const page = await openPage(desktop);
  await page.goto(`${BASE}/boards/leaderboard?metric=margin`);
  const note = page.locator('[data-figure="podium"] .note');
  assert.equal((await note.innerText()).trim(), board.margin_basis);
  assert.match(board.margin_basis, /^Маржа: /);
  assert.match(board.margin_basis, /%/);
  const notes = await page.locator('[data-table="leaderboard"] .note').allInnerTexts();
  assert.ok(notes.includes(board.margin_basis), notes.join(' | '));
  await shot(page, 'leaderboard-margin-basis');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('on the 1st at 09:00 nobody leads with nothing, and last month has its best', async () => {
  const asOf = '2026-12-01T09:00';
  const board = await api(`/api/reports/leaderboard?as_of=${asOf}`);
  assert.ok(board.rows.every((r) => r.value === 0), 'no sales on the morning of the 1st');
  assert.ok(board.last_month_winner, 'November had sales');
  assert.equal(board.last_month_label, 'ноябрь 2026');
  const page = await openPage(desktop);
  await page.goto(`${BASE}/boards/leaderboard?as_of=${asOf}`);
  const leader = page.locator('[data-kpi="leader"]');
  assert.equal((await leader.locator('.kpi-value').innerText()).trim(), '—');
  assert.match(await leader.locator('.kpi-detail').innerText(), /ещё ни у кого нет результата/);
  assert.equal(await page.locator('[data-figure="podium"] rect.step').count(), 0, 'an empty podium');
  const last = page.locator('[data-kpi="last_winner"]');
  assert.equal((await last.locator('.kpi-value').innerText()).trim(), board.last_month_winner.manager);
  assert.match(await last.locator('.kpi-detail').innerText(), /^ноябрь 2026 · /);
  await shot(page, 'leaderboard-first-of-month');
  assert.deepEqual(page.problems, []);
  await page.close();
});
