// The desktop boards in a real browser: the date / period picker on every board
// changes the figures and "Сейчас" brings the live ones back; tables sort by a
// click on a header (numbers numerically, words the Russian way) and filter by
// a search box; a chart tells the exact money on hover; the home page shows
// today's plan/fact as the API does; "обновлено N мин назад" counts up.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, api, kpi, launch, openPage, shot } from './lib.mjs';

const PERIOD_BOARDS = ['plan-fact', 'leaderboard', 'funnel'];
const AS_OF_BOARDS = ['hygiene', 'call-priority', 'receivables'];
let browser;
let context;

before(async () => {
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'ru-RU' });
});
after(async () => {
  await browser?.close();
});

/** Every headline figure's and table row's raw values: what a picker must change. */
const figures = (page) => page.evaluate(() => [
  ...Array.from(document.querySelectorAll('[data-kpi]'), (k) => `${k.dataset.kpi}=${k.dataset.value}`),
  ...Array.from(document.querySelectorAll('[data-table]'), (t) => `${t.dataset.table}:${t.dataset.rows}`),
].join('|'));

test('the picker on every board changes the figures and "Сейчас" returns to the live view', async () => {
  const page = await openPage(context);
  for (const board of [...PERIOD_BOARDS, ...AS_OF_BOARDS]) {
    await page.goto(`${BASE}/boards/${board}`);
    const live = await figures(page);
    assert.equal(await page.locator('nav.picker [data-quick="now"]').getAttribute('aria-current'), 'true', board);
    // This quarter (a period board) or the end of last quarter (a board as of an instant).
    await Promise.all([page.waitForURL(/[?&](period|as_of)=/), page.click('nav.picker [data-quick="3"]')]);
    const url = new URL(page.url());
    if (PERIOD_BOARDS.includes(board)) {
      assert.equal(url.searchParams.get('period'), 'this_quarter', board);
      assert.equal(await page.locator('select[name="period"]').inputValue(), 'this_quarter', board);
    } else {
      assert.equal(url.searchParams.get('as_of'), '2026-09-30', board);
      assert.equal(await page.locator('input[name="as_of"]').inputValue(), '2026-09-30', `${board}: the as-of day`);
      assert.match(await page.locator('#as-of').innerText(), /30\.09\.2026 23:59/, board);
    }
    assert.notEqual(await figures(page), live, `${board}: the figures changed`);
    assert.equal(await page.locator('nav.picker [data-quick="3"]').getAttribute('aria-current'), 'true', board);
    // A link reproduces the view.
    const again = await openPage(context);
    await again.goto(page.url());
    assert.equal(await figures(again), await figures(page), `${board}: the URL keeps the choice`);
    await again.close();
    await Promise.all([page.waitForURL((u) => !u.search.includes('period=') && !u.search.includes('as_of=')), page.click('nav.picker [data-quick="now"]')]);
    assert.equal(await figures(page), live, `${board}: back to the live figures`);
    if (board === 'receivables') await shot(page, 'desktop-picker-receivables');
  }
  // The as-of day typed into the field.
  await page.goto(`${BASE}/boards/hygiene`);
  await page.fill('input[name="as_of"]', '2026-11-01');
  await Promise.all([page.waitForURL(/as_of=2026-11-01/), page.click('form.filters button[type="submit"]')]);
  const hygiene = await api('/api/reports/hygiene?as_of=2026-11-01');
  assert.equal(await kpi(page, 'violations'), String(hygiene.team.violations));
  assert.deepEqual(page.problems, []);
  await page.close();
});

/** The raw values of column `index` of table `id`, without the total row. */
const column = (page, id, index) => page.locator(`[data-table="${id}"] tbody tr:not(.total):not([hidden])`)
  .evaluateAll((rows, i) => rows.map((r) => r.cells[i].dataset.value), index);

test('a click on a header sorts a table, numbers numerically and words the Russian way', async () => {
  const page = await openPage(context);
  await page.goto(`${BASE}/boards/receivables`);
  const table = page.locator('[data-table="debtors"] table');
  const headers = table.locator('thead th');
  const names = await headers.evaluateAll((ths) => ths.map((th) => th.textContent.trim()));
  const owed = names.findIndex((n) => /долг|Долг|сумма|Сумма/.test(n));
  assert.ok(owed >= 0, `an owed column in ${names}`);
  const before = await column(page, 'debtors', owed);
  assert.ok(before.length > 5, 'debtors to sort');
  // A number column sorts largest first on the first click, then smallest first.
  await headers.nth(owed).locator('button.sort').click();
  assert.equal(await headers.nth(owed).getAttribute('aria-sort'), 'descending');
  let values = (await column(page, 'debtors', owed)).map(Number);
  assert.deepEqual(values, [...values].sort((a, b) => b - a), 'descending by value');
  await headers.nth(owed).locator('button.sort').press('Enter');
  assert.equal(await headers.nth(owed).getAttribute('aria-sort'), 'ascending', 'the keyboard sorts too');
  values = (await column(page, 'debtors', owed)).map(Number);
  assert.deepEqual(values, [...values].sort((a, b) => a - b), 'ascending by value');
  // Numerically: 9 999 ₽ comes before 10 000 ₽, which a text sort would not do.
  assert.ok(values.some((v) => String(v).length !== String(values[0]).length), 'values of different lengths');
  // The company column: Russian alphabetical order.
  await headers.nth(0).locator('button.sort').click();
  const words = await column(page, 'debtors', 0);
  assert.deepEqual(words, [...words].sort((a, b) => a.localeCompare(b, 'ru', { sensitivity: 'base', numeric: true })));
  await shot(page, 'desktop-sorted-receivables', { fullPage: false });

  // Plan-fact: the team total stays last whatever the order.
  await page.goto(`${BASE}/boards/plan-fact`);
  const month = page.locator('[data-table="month"] table');
  await month.locator('thead th').nth(2).locator('button.sort').click();
  const last = await month.locator('tbody tr').last().getAttribute('class');
  assert.equal(last, 'total');
  const facts = (await column(page, 'month', 2)).map(Number);
  assert.deepEqual(facts, [...facts].sort((a, b) => b - a));
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the search box filters the rows', async () => {
  const page = await openPage(context);
  await page.goto(`${BASE}/boards/call-priority`);
  const card = page.locator('[data-table="call-priority"]');
  const rows = card.locator('tbody tr');
  const total = await rows.count();
  const name = (await rows.first().locator('td').first().innerText()).trim();
  const word = name.split(/\s+/)[0];
  await card.locator('input[data-table-search]').fill(word.toLocaleLowerCase('ru'));
  const shown = await card.locator('tbody tr:not([hidden])').allInnerTexts();
  assert.ok(shown.length >= 1 && shown.length < total, `${shown.length} of ${total} rows for «${word}»`);
  for (const text of shown) assert.ok(text.toLocaleLowerCase('ru').includes(word.toLocaleLowerCase('ru')), text);
  assert.match(await card.locator('[data-table-found]').innerText(), new RegExp(`строк: ${shown.length} из ${total}`));
  await card.locator('input[data-table-search]').fill('');
  assert.equal(await card.locator('tbody tr:not([hidden])').count(), total, 'every row back');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a chart tells the exact money on hover', async () => {
  const page = await openPage(context);
  await page.goto(`${BASE}/boards/plan-fact`);
  const planFact = await api('/api/reports/plan-fact');
  const row = planFact.periods[2].rows[0];
  const bar = page.locator('[data-figure="month-bars"] .bar-row').first();
  await bar.hover();
  const title = await bar.getAttribute('title');
  // The exact money as the table writes it ("1 234 567 ₽"), not the compact "1,2 млн ₽".
  const cell = await page.locator('[data-table="month"] tbody tr').first().locator('td').nth(2).innerText();
  assert.ok(title.startsWith(`${row.manager}: факт ${cell.trim()}`), `${title} / ${cell}`);
  assert.doesNotMatch(title, /млн|тыс\./);
  assert.match(await bar.locator('.bar-value').innerText(), /млн|тыс\.|₽/);
  assert.equal(await bar.locator('svg title').textContent(), title);

  await page.goto(`${BASE}/boards/receivables`);
  const receivables = await api('/api/reports/receivables');
  const tips = await page.locator('[data-figure="aging"] svg rect.hover title').allTextContents();
  assert.equal(tips.length, receivables.buckets.length);
  for (const tip of tips) assert.match(tip, /^\d+(–\d+)?\+? дн\.: [\d\u00a0 ]+(,\d\d)?[\u00a0 ]₽$/, tip);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the home page shows today\'s and the month\'s plan/fact as the API does', async () => {
  const page = await openPage(context);
  await page.goto(`${BASE}/`);
  const planFact = await api('/api/reports/plan-fact');
  assert.equal(await kpi(page, 'today.fact'), String(planFact.periods[0].total.fact));
  assert.equal(await kpi(page, 'month.fact'), String(planFact.periods[2].total.fact));
  assert.equal(await kpi(page, 'leader'), String((await api('/api/reports/leaderboard')).rows[0].value));
  assert.equal(await kpi(page, 'violations'), String((await api('/api/reports/hygiene')).team.violations));
  assert.equal(await kpi(page, 'total_overdue'), String((await api('/api/reports/receivables')).total_overdue));
  // The key numbers come before the boards, the system details after them.
  const order = await page.evaluate(() => ['#key-figures', '.boards', '#system'].map((s) => document.querySelector(s).getBoundingClientRect().top));
  assert.ok(order[0] < order[1] && order[1] < order[2], `${order}`);
  await shot(page, 'desktop-home-key-figures');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('"обновлено" counts the minutes since the figures came, and a past day is not refreshed', async () => {
  const page = await openPage(context);
  await page.clock.install();
  await page.goto(`${BASE}/boards/plan-fact`);
  const updated = page.locator('.updated');
  assert.match(await updated.innerText(), /обновлено только что · обновляется каждые \d+\s(с|\u00a0с)/);
  assert.equal(await updated.getAttribute('data-live'), 'true');
  // Three minutes later the live board has reloaded its figures (every 60 s) and says so.
  let fetched = 0;
  page.on('request', (r) => { if (r.url().startsWith(`${BASE}/boards/plan-fact`) && r.resourceType() === 'fetch') fetched++; });
  await page.clock.runFor(65_000);
  // Before the reload it said "1 мин назад"; the fresh figures say "только что".
  for (let i = 0; i < 100 && (await page.locator('.updated-ago').innerText()) !== 'обновлено только что'; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await page.locator('.updated-ago').innerText(), 'обновлено только что');
  assert.ok(fetched >= 1, 'the figures were fetched again');
  assert.ok(await page.locator('[data-kpi="month.fact"]').isVisible(), 'the board is whole after the refresh');
  // Hidden: nothing is fetched while nobody looks, and the line counts on.
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
  });
  const before = fetched;
  await page.clock.runFor(190_000);
  assert.equal(fetched, before, 'no refresh while the page is hidden');
  assert.match(await page.locator('.updated-ago').innerText(), /обновлено 3[\s\u00a0]мин назад/);

  await page.goto(`${BASE}/boards/plan-fact?as_of=2026-11-01`);
  assert.equal(await page.locator('.updated').getAttribute('data-live'), 'false');
  assert.match(await page.locator('.updated').innerText(), /без автообновления/);
  assert.deepEqual(page.problems, []);
  await page.close();
});
