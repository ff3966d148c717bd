// Every page in a real browser: it opens without errors, its headline
// figures equal the JSON API's, its tables download as CSV and XLSX, its
// entity rows link to CRM cards, the manager filter works, bad input gets a
// clear 4xx. Screenshots of each page land in target/e2e-screenshots.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, api, kpi, launch, openPage, shot } from './lib.mjs';

const BOARDS = ['plan-fact', 'leaderboard', 'hygiene', 'call-priority', 'receivables'];
let browser;
let context;

before(async () => {
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'ru-RU' });
});
after(async () => {
  await browser?.close();
});

test('every page opens without errors, with its navigation', async () => {
  for (const path of ['/', ...BOARDS.map((b) => `/boards/${b}`), '/owner']) {
    const page = await openPage(context);
    const response = await page.goto(BASE + path);
    assert.equal(response.status(), 200, path);
    await page.waitForLoadState('load');
    const nav = await page.locator('nav.nav a').count();
    if (path === '/owner') assert.equal(nav, 0, 'the phone board has its own compact header');
    else assert.ok(nav >= 8, `${path}: navigation bar with every board (${nav} links)`);
    const name = path === '/' ? 'home' : path.split('/').pop();
    await shot(page, `desktop-${name}`, { fullPage: path !== '/' });
    if (path === '/') await shot(page, 'home');
    assert.deepEqual(page.problems, [], `${path}: no console errors`);
    await page.close();
  }
});

test('headline figures equal the API', async () => {
  const page = await openPage(context);
  const planFact = await api('/api/reports/plan-fact');
  await page.goto(`${BASE}/boards/plan-fact`);
  for (const [i, period] of ['today', 'week', 'month'].entries()) {
    assert.equal(await kpi(page, `${period}.fact`), String(planFact.periods[i].total.fact), period);
  }
  assert.equal(await kpi(page, 'month.projection'), String(planFact.periods[2].total.projection));
  const teamRow = page.locator('[data-table="month"] tr.total td').nth(2);
  assert.equal(await teamRow.getAttribute('data-value'), String(planFact.periods[2].total.fact));

  const leaderboard = await api('/api/reports/leaderboard');
  await page.goto(`${BASE}/boards/leaderboard`);
  assert.equal(await kpi(page, 'leader'), String(leaderboard.rows[0].value));
  assert.ok(await page.locator('svg.podium').isVisible(), 'the podium');

  const hygiene = await api('/api/reports/hygiene');
  await page.goto(`${BASE}/boards/hygiene`);
  assert.equal(await kpi(page, 'violations'), String(hygiene.team.violations));
  assert.equal(Number(await kpi(page, 'score')), hygiene.team.score);
  assert.ok(await page.locator('svg.trend polyline').isVisible(), 'the 30-day trend');

  const receivables = await api('/api/reports/receivables');
  await page.goto(`${BASE}/boards/receivables`);
  assert.equal(await kpi(page, 'total_overdue'), String(receivables.total_overdue));
  const aging = await page.locator('svg.columns rect.fill').evaluateAll((bars) => bars.map((b) => b.getAttribute('data-value')));
  assert.deepEqual(aging, receivables.buckets.map((b) => String(b.amount)));

  const calls = await api('/api/reports/call-priority');
  await page.goto(`${BASE}/boards/call-priority`);
  const listed = calls.managers.reduce((n, m) => n + m.companies.length, 0);
  assert.equal(await kpi(page, 'companies'), String(listed));
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('every table downloads as CSV and XLSX with all its rows', async () => {
  const page = await openPage(context);
  for (const board of BOARDS) {
    await page.goto(`${BASE}/boards/${board}`);
    const tables = await page.locator('[data-table]').evaluateAll((sections) =>
      sections.map((s) => ({
        id: s.dataset.table,
        rows: Number(s.dataset.rows),
        // An abbreviated head carries the full name the downloads use as its title.
        headers: Array.from(s.querySelectorAll('th')).map((th) => th.title || th.textContent.trim()),
        csv: s.querySelector('[data-download="csv"]').href,
        xlsx: s.querySelector('[data-download="xlsx"]').href,
      })),
    );
    assert.ok(tables.length > 0, board);
    for (const t of tables) {
      const csv = await page.request.get(t.csv);
      assert.equal(csv.status(), 200, `${board}/${t.id}.csv`);
      assert.match(csv.headers()['content-type'], /^text\/csv/);
      const lines = (await csv.text()).replace(/^\uFEFF/, '').trimEnd().split('\n');
      assert.equal(lines.length - 1, t.rows, `${board}/${t.id}: every row, whatever the page shows`);
      // A Russian workspace's CSV: `;` between cells (what Russian Excel splits on).
      if (t.headers.length) assert.equal(lines[0], t.headers.map((h) => (/[";]/.test(h) ? `"${h.replaceAll('"', '""')}"` : h)).join(';'));
      const xlsx = await page.request.get(t.xlsx);
      assert.equal(xlsx.status(), 200, `${board}/${t.id}.xlsx`);
      const body = await xlsx.body();
      assert.equal(body.subarray(0, 2).toString(), 'PK', 'an XLSX is a zip');
      assert.match(xlsx.headers()['content-disposition'], /attachment; filename="tsifra-/);
    }
  }
  await page.close();
});

test('entity rows link to their CRM cards', async () => {
  const page = await openPage(context);
  for (const [board, table] of [['hygiene', 'violations'], ['receivables', 'debtors'], ['call-priority', 'call-priority']]) {
    await page.goto(`${BASE}/boards/${board}`);
    const links = await page.locator(`[data-table="${table}"] a.crm`).evaluateAll((as) => as.map((a) => ({ href: a.href, target: a.target })));
    assert.ok(links.length > 0, `${board}: CRM links`);
    for (const link of links) {
      assert.match(link.href, /^https:\/\/[a-z0-9-]+\.amocrm\.ru\/(leads|companies|contacts)\/detail\/\d+$/);
      assert.equal(link.target, '_blank');
    }
  }
  await page.close();
});

test('the manager filter narrows the board to one person', async () => {
  const page = await openPage(context);
  await page.goto(`${BASE}/boards/plan-fact`);
  const option = page.locator('select[name="manager"] option').nth(1);
  const id = await option.getAttribute('value');
  await page.selectOption('select[name="manager"]', id);
  await Promise.all([page.waitForURL(/manager=/), page.click('form.filters button[type="submit"]')]);
  assert.match(page.url(), new RegExp(`manager=${id}`));
  assert.equal(await page.locator('[data-table="month"] tbody tr').count(), 2, 'the manager and the total');
  const planFact = await api(`/api/reports/plan-fact?manager=${id}`);
  assert.equal(await kpi(page, 'month.fact'), String(planFact.periods[2].total.fact));
  // Switching boards keeps the person.
  await page.click('nav.nav a[href^="/boards/hygiene"]');
  assert.match(page.url(), new RegExp(`/boards/hygiene\\?manager=${id}`));
  assert.equal(await page.locator('select[name="manager"]').inputValue(), id);
  await page.close();
});

test('bad input gets a clear 4xx, never a 500 or a stack trace', async () => {
  const page = await openPage(context);
  const cases = [
    ['/boards/forecastt', 404, /forecastt/],
    ['/boards/plan-fact?as_of=yesterday', 400, /as_of=yesterday/],
    ['/boards/hygiene?manager=Nobody', 400, /Nobody/],
    ['/boards/hygiene?page=0', 400, /page/],
    ['/owner?as_of=2026-02-30', 400, /2026-02-30/],
  ];
  for (const [path, status, message] of cases) {
    const response = await page.goto(BASE + path);
    assert.equal(response.status(), status, path);
    const text = await page.locator('main').innerText();
    assert.match(text, message, path);
    assert.doesNotMatch(await page.content(), /panicked|\.rs:\d+|RUST_BACKTRACE/, path);
  }
  for (const [path, status] of [['/api/reports/forecastt', 404], ['/api/reports/hygiene?as_of=tomorrow', 400], ['/api/reports/plan-fact?metric=profit', 400]]) {
    const response = await fetch(BASE + path);
    assert.equal(response.status, status, path);
    const body = await response.json();
    assert.equal(typeof body.error, 'string', path);
  }
  await page.close();
});
