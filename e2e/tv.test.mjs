// The office TV in a real browser: it rotates without reloading, swaps fresh
// figures in place, shows a clock and the "data as of" stamp, lets in only
// the token's holder, and stays flat in memory (JS heap, DOM nodes, listeners)
// over hundreds of fast cycles, as it must for weeks on a wall.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, TOKEN, api, launch, openPage, shot, SHOTS, tvUrl } from './lib.mjs';

let browser;
let context;

before(async () => {
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'ru-RU' });
});
after(async () => {
  await browser?.close();
});

const tv = (page) => page.evaluate(() => ({ ...window.tsifraTv }));

test('the TV shows the first board full-screen with a clock and the data stamp', async () => {
  const page = await openPage(context);
  // The browser's clock at the server's frozen instant, so the screenshot does not change run to run.
  await page.clock.setFixedTime(new Date('2026-11-20T12:00:00Z'));
  const response = await page.goto(tvUrl());
  assert.equal(response.status(), 200);
  await page.waitForLoadState('load');
  const active = page.locator('.slide.active');
  assert.equal(await active.count(), 1);
  assert.equal(await active.getAttribute('data-slug'), 'plan-fact');
  const box = await active.boundingBox();
  assert.ok(box.width >= 1900 && box.height >= 900, `full screen: ${JSON.stringify(box)}`);
  await page.waitForFunction(() => document.getElementById('tv-clock').textContent === '15:00');
  assert.match(await page.locator('#tv-as-of').innerText(), /\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}/);
  // Large type: a headline figure is readable across a room (over 40 px on a 1080p screen).
  const size = await page.locator('.slide.active .kpi-value').first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  assert.ok(size >= 40, `figure font ${size}px`);
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(11, 14, 19)', 'dark theme');
  const planFact = await api('/api/reports/plan-fact');
  assert.equal(await active.locator('[data-kpi="month.fact"]').getAttribute('data-value'), String(planFact.periods[2].total.fact));
  await shot(page, 'tv');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('every board fits a TV screen, nothing cut off', async () => {
  const page = await openPage(context);
  for (const board of ['plan-fact', 'leaderboard', 'hygiene', 'call-priority', 'receivables', 'owner']) {
    for (const [width, height] of [[1920, 1080], [1280, 720]]) {
      await page.setViewportSize({ width, height });
      await page.goto(tvUrl(`boards=${board}`));
      const overflow = await page.evaluate(() => {
        const slide = document.querySelector('.slide.active').getBoundingClientRect();
        let worst = 0;
        for (const e of document.querySelectorAll('.slide.active .bar-row, .slide.active .kpi, .slide.active .next-calls li, .slide.active svg.chart')) {
          worst = Math.max(worst, e.getBoundingClientRect().bottom - slide.bottom, e.getBoundingClientRect().right - slide.right);
        }
        return Math.round(worst);
      });
      assert.ok(overflow <= 0, `${board} at ${width}x${height}: cut off by ${overflow}px`);
    }
    await shot(page, `tv-${board}`);
  }
  await page.setViewportSize({ width: 1920, height: 1080 });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the rotation advances and refreshes in place without reloading', async () => {
  const page = await openPage(context);
  const fragments = [];
  page.on('request', (r) => { if (r.url().includes('/tv/slide/')) fragments.push(r.url()); });
  await page.goto(tvUrl('seconds=1&refresh=1.5'));
  await page.evaluate(() => { window.__sameDocument = true; });
  const seen = new Set();
  for (let i = 0; i < 40 && seen.size < 4; i++) {
    seen.add(await page.locator('.slide.active').getAttribute('data-slug'));
    await page.waitForTimeout(300);
  }
  assert.deepEqual([...seen].sort(), ['hygiene', 'leaderboard', 'plan-fact', 'receivables']);
  await page.waitForFunction(() => window.tsifraTv.refreshed >= 2, null, { timeout: 15000 });
  const state = await tv(page);
  assert.ok(state.shown >= 4 && state.failed === 0, JSON.stringify(state));
  assert.ok(fragments.length >= 2, 'fragments fetched');
  assert.ok(fragments.every((u) => !TOKEN || u.includes(`token=${TOKEN}`)), 'refreshes carry the token');
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'never reloaded');
  assert.match(await page.locator('#tv-clock').innerText(), /^\d{2}:\d{2}$/, 'the clock ticks in the business zone');
  assert.equal(await page.locator('.slide').count(), 4);
  assert.equal(await page.locator('.slide.active').count(), 1, 'one slide at a time');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('hundreds of fast cycles leave the heap, the DOM and the listeners flat', async () => {
  const page = await openPage(context);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(tvUrl('seconds=0.05&refresh=0.05'));
  const measure = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    await page.evaluate(() => window.gc && window.gc());
    await cdp.send('HeapProfiler.collectGarbage');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
    const elements = await page.evaluate(() => document.getElementsByTagName('*').length);
    return { heap: m.JSHeapUsedSize, nodes: m.Nodes, listeners: m.JSEventListeners, documents: m.Documents, elements, ...(await tv(page)) };
  };
  await page.waitForFunction(() => window.tsifraTv.cycles >= 20, null, { timeout: 60000, polling: 200 });
  const start = await measure();
  const target = start.cycles + 300;
  await page.waitForFunction((n) => window.tsifraTv.cycles >= n, target, { timeout: 240000, polling: 500 });
  const end = await measure();
  mkdirSync(SHOTS, { recursive: true });
  writeFileSync(join(SHOTS, 'tv-memory.json'), JSON.stringify({ start, end }, null, 2));
  console.log(`TV after ${end.cycles - start.cycles} cycles, ${end.refreshed - start.refreshed} refreshes: ` +
    `heap ${(start.heap / 1e6).toFixed(2)} -> ${(end.heap / 1e6).toFixed(2)} MB, nodes ${start.nodes} -> ${end.nodes}, ` +
    `elements ${start.elements} -> ${end.elements}, listeners ${start.listeners} -> ${end.listeners}`);
  assert.ok(end.refreshed - start.refreshed >= 300, 'the slides were refreshed all along');
  assert.equal(end.failed, 0);
  assert.equal(end.elements, start.elements, 'the same elements after every swap');
  // Blink counts nodes awaiting its own collector too, so the count wobbles by a few hundred;
  // a leak would add a slide's worth (hundreds of nodes) on each of the ~2000 refreshes.
  assert.ok(end.nodes <= start.nodes * 1.3 + 200, `DOM nodes ${start.nodes} -> ${end.nodes}`);
  assert.ok(end.listeners <= start.listeners, `listeners ${start.listeners} -> ${end.listeners}`);
  assert.ok(end.heap <= start.heap * 1.25 + 512 * 1024, `JS heap ${start.heap} -> ${end.heap}`);
  assert.equal(end.documents, start.documents, 'no frames or documents pile up');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the TV link token: none or a wrong one is a clear 403', { skip: !TOKEN && 'no [tv] token set' }, async () => {
  const page = await openPage(context);
  for (const url of [`${BASE}/tv`, `${BASE}/tv?token=wrong-${TOKEN}`, `${BASE}/tv/slide/hygiene?token=nope`]) {
    const response = await page.goto(url);
    assert.equal(response.status(), 403, url);
    const text = await page.locator('main').innerText();
    assert.match(text, /token/i, url);
    assert.ok(!(await page.content()).includes(TOKEN), 'the token is never shown');
  }
  await page.close();
});
