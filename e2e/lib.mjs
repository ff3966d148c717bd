// What every browser test shares: the server under test (started by
// scripts/e2e.sh on a demo department with a frozen clock), Debian's
// Chromium driven by playwright-core, JSON from the API, and screenshots.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const BASE = (process.env.TSIFRA_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
export const TOKEN = process.env.TSIFRA_TV_TOKEN || '';
export const SHOTS = process.env.TSIFRA_SCREENSHOTS || 'target/e2e-screenshots';

/** Chromium as STACK.md says: Debian's binary, headless, no network of its own. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Lets the tests ask V8 for a full garbage collection before measuring the heap.
      '--js-flags=--expose-gc',
    ],
  });
}

/** A page that fails the test on any console error or uncaught exception. */
export async function openPage(context) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.problems = problems;
  return page;
}

export async function api(path) {
  const response = await fetch(BASE + path);
  assert.equal(response.status, 200, `${path}: ${response.status}`);
  return response.json();
}

/** The `data-value` of a headline figure, as the page shows it. */
export async function kpi(page, key) {
  const el = page.locator(`[data-kpi="${key}"]`).first();
  assert.ok(await el.isVisible(), `figure ${key} is visible`);
  assert.notEqual((await el.locator('.kpi-value').innerText()).trim(), '', `figure ${key} has a value`);
  return el.getAttribute('data-value');
}

export async function shot(page, name, options = {}) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), ...options });
}

export function tvUrl(query = '') {
  const params = new URLSearchParams(query);
  if (TOKEN) params.set('token', TOKEN);
  const text = params.toString();
  return `${BASE}/tv${text ? `?${text}` : ''}`;
}
