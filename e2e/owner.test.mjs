// The owner's board on a phone (390x844): no horizontal scroll, the same
// figures as the API, installable (manifest, icons, a service worker that
// shows a pushed notification). Every board is checked at phone width too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, api, kpi, launch, openPage, shot } from './lib.mjs';

let browser;
let context;

before(async () => {
  browser = await launch();
  context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'ru-RU',
  });
});
after(async () => {
  await browser?.close();
});

const overflow = (page) => page.evaluate(() => ({
  scroll: document.documentElement.scrollWidth,
  width: window.innerWidth,
}));

test('the owner board fits a phone and shows the reports numbers', async () => {
  const page = await openPage(context);
  const response = await page.goto(`${BASE}/owner`);
  assert.equal(response.status(), 200);
  const { scroll, width } = await overflow(page);
  assert.ok(scroll <= width, `no horizontal scroll: ${scroll} > ${width}`);
  const planFact = await api('/api/reports/plan-fact');
  for (const [i, period] of ['today', 'week', 'month'].entries()) {
    assert.equal(await kpi(page, `${period}.fact`), String(planFact.periods[i].total.fact), period);
  }
  assert.equal(await kpi(page, 'month.projection'), String(planFact.periods[2].total.projection));
  assert.equal(await kpi(page, 'total_overdue'), String((await api('/api/reports/receivables')).total_overdue));
  assert.equal(Number(await kpi(page, 'score')), (await api('/api/reports/hygiene')).team.score);
  assert.equal(await kpi(page, 'leader'), String((await api('/api/reports/leaderboard')).rows[0].value));
  await shot(page, 'owner');
  await shot(page, 'owner-full', { fullPage: true });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the owner board on a phone: its own header, no navigation bar, legible labels', async () => {
  const page = await openPage(context);
  await page.goto(`${BASE}/owner`);
  assert.equal(await page.locator('nav.nav').count(), 0, 'no desktop navigation bar');
  assert.ok(await page.locator('header.owner-top a.owner-all').isVisible(), 'a way to every board');
  const { scroll, width } = await overflow(page);
  assert.ok(scroll <= width, `no horizontal scroll: ${scroll} > ${width}`);
  const sizes = await page.evaluate(() => {
    const px = (el) => parseFloat(getComputedStyle(el).fontSize);
    const visible = (el) => el.getClientRects().length > 0;
    const of = (selector) => Array.from(document.querySelectorAll(selector)).filter(visible).map((el) => [selector, el.textContent.trim().slice(0, 30), px(el)]);
    return {
      labels: [
        ...of('.kpi-label'), ...of('.kpi-detail'), ...of('.stamp'), ...of('.updated'), ...of('.owner-top a'),
        ...of('.figure h2'), ...of('.figure .note'), ...of('form.filters select'), ...of('form.filters button'),
      ],
      figures: of('.kpi-value'),
      // A figure cut by its card (wider than the card lets it show).
      cut: Array.from(document.querySelectorAll('.kpi-value')).filter((el) => el.scrollWidth > el.clientWidth + 1)
        .map((el) => el.textContent.trim()),
      // SVG text is scaled with its chart: what it measures on screen.
      svg: Array.from(document.querySelectorAll('svg.chart text')).filter(visible)
        .map((t) => [t.textContent.trim().slice(0, 30), t.getBoundingClientRect().height]),
    };
  });
  assert.ok(sizes.labels.length >= 10, `labels found: ${sizes.labels.length}`);
  for (const [selector, text, size] of sizes.labels) assert.ok(size >= 14, `${selector} «${text}»: ${size}px < 14px`);
  assert.ok(sizes.figures.length >= 6, 'main figures');
  for (const [, text, size] of sizes.figures) assert.ok(size >= 24, `figure «${text}»: ${size}px < 24px`);
  assert.deepEqual(sizes.cut, [], 'every figure shows whole');
  for (const [text, height] of sizes.svg) assert.ok(height >= 14, `chart text «${text}»: ${height}px high < 14px`);
  assert.match(await page.locator('.updated').innerText(), /обновлено/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('every page fits a phone without horizontal scroll', async () => {
  const page = await openPage(context);
  for (const path of ['/', '/boards/plan-fact', '/boards/leaderboard', '/boards/hygiene', '/boards/call-priority', '/boards/receivables']) {
    await page.goto(BASE + path);
    const { scroll, width } = await overflow(page);
    assert.ok(scroll <= width, `${path}: ${scroll} > ${width}`);
    await shot(page, `phone-${path === '/' ? 'home' : path.split('/').pop()}`);
  }
  await page.close();
});

test('it installs as a web app and its service worker shows a push', async () => {
  await context.grantPermissions(['notifications'], { origin: BASE });
  const page = await openPage(context);
  await page.goto(`${BASE}/owner`);
  const manifestUrl = await page.locator('link[rel="manifest"]').getAttribute('href');
  const manifest = await (await page.request.get(BASE + manifestUrl)).json();
  assert.equal(manifest.start_url, '/owner');
  assert.equal(manifest.display, 'standalone');
  for (const size of ['192x192', '512x512']) {
    const icon = manifest.icons.find((i) => i.sizes === size && i.type === 'image/png');
    assert.ok(icon, size);
    assert.equal((await page.request.get(BASE + icon.src)).status(), 200, icon.src);
  }
  const state = await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    return { scope: registration.scope, state: registration.active && registration.active.state };
  });
  assert.equal(state.scope, `${BASE}/`);
  assert.equal(state.state, 'activated');

  // A push as the browser would deliver it, through DevTools (no push service offline).
  const cdp = await context.newCDPSession(page);
  const registrationId = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no service worker registration seen')), 10000);
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const ours = registrations.find((r) => r.scopeURL === `${BASE}/` && !r.isDeleted);
      if (ours) { clearTimeout(timer); resolve(ours.registrationId); }
    });
    cdp.send('ServiceWorker.enable').catch(reject);
  });
  // A busy machine may wake the worker slowly: deliver again if nothing showed.
  let titles = [];
  for (let attempt = 0; attempt < 3 && titles.length === 0; attempt++) {
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: BASE,
      registrationId,
      data: JSON.stringify({ title: 'План дня выполнен на 80 %', body: 'Весь отдел', tag: 'e2e' }),
    });
    titles = await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      for (let i = 0; i < 50; i++) {
        const shown = await registration.getNotifications({ tag: 'e2e' });
        if (shown.length) return shown.map((n) => n.title);
        await new Promise((r) => setTimeout(r, 100));
      }
      return [];
    });
  }
  assert.deepEqual(titles, ['План дня выполнен на 80 %']);
  assert.deepEqual(page.problems, []);
  await page.close();
});
