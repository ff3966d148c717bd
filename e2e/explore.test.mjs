// The explore board in a real browser: a click on a bar filters the whole
// page through its URL, the filter shows as a chip, the total follows the
// API's answer under that filter, and the chip takes the filter away again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, api, kpi, launch, openPage, shot } from './lib.mjs';

let browser;
let context;

before(async () => {
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'ru-RU' });
});
after(async () => {
  await browser?.close();
});

test('a click on a bar adds a chip and the total follows it', async () => {
  const page = await openPage(context);
  const response = await page.goto(`${BASE}/boards/explore?by=manager`);
  assert.equal(response.status(), 200);
  const whole = await api('/api/reports/explore?by=manager');
  assert.equal(await kpi(page, 'total'), String(whole.total.value));
  assert.equal(await page.locator('a.chip').count(), 0, 'no filters yet');
  await shot(page, 'desktop-explore', { fullPage: true });

  const bar = page.locator('[data-figure="slice-0"] a.filter').first();
  const name = (await bar.innerText()).trim();
  await Promise.all([page.waitForURL(/where=manager/), bar.click()]);
  const chip = page.locator('a.chip');
  assert.equal(await chip.count(), 1, 'the filter shows as a chip');
  assert.match(await chip.innerText(), new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));

  const query = new URL(page.url()).search;
  const filtered = await api(`/api/reports/explore${query}`);
  const total = await kpi(page, 'total');
  assert.equal(total, String(filtered.total.value), 'the total is the API answer under the filter');
  assert.notEqual(total, String(whole.total.value), 'one manager is not the whole team');

  await Promise.all([page.waitForURL((url) => !url.search.includes('where=')), chip.click()]);
  assert.equal(await page.locator('a.chip').count(), 0, 'the chip removes the filter');
  assert.equal(await kpi(page, 'total'), String(whole.total.value));
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the Pareto board says who makes most of the revenue', async () => {
  const page = await openPage(context);
  const response = await page.goto(`${BASE}/boards/pareto`);
  assert.equal(response.status(), 200);
  const pareto = await api('/api/reports/pareto');
  if (pareto.rows.length) {
    assert.equal((await page.locator('[data-headline]').innerText()).trim(), pareto.headline);
    assert.equal(await page.locator('svg.pareto rect[data-class]').count(), Math.min(pareto.rows.length, 200));
  }
  await shot(page, 'desktop-pareto', { fullPage: true });
  assert.deepEqual(page.problems, []);
  await page.close();
});
