// The files a head of sales downloads open right in Russian Excel: the CSV a
// board offers, saved by the browser, splits into its columns on `;`, with a
// byte-order mark for the Cyrillic, amounts with a decimal comma and dates as
// 30.11.2026; the XLSX is a workbook.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BASE, api, launch, openPage } from './lib.mjs';

let browser;
let context;

before(async () => {
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'ru-RU', acceptDownloads: true });
});
after(async () => {
  await browser?.close();
});

/** RFC 4180 with a chosen separator: quoted cells may hold it, quotes and line breaks. */
function parseCsv(text, separator) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i += 1; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === separator) { row.push(cell); cell = ''; } else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; } else if (c !== '\r') cell += c;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

/** Clicks a table's download link and returns the saved file's bytes and name. */
async function download(page, table, kind) {
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.locator(`[data-table="${table}"] [data-download="${kind}"]`).first().click(),
  ]);
  return { bytes: readFileSync(await file.path()), name: file.suggestedFilename() };
}

test('a board\'s CSV, downloaded in the browser, opens as columns with `;` and a decimal comma', async () => {
  const page = await openPage(context);
  await page.goto(`${BASE}/boards/receivables`);
  const { bytes, name } = await download(page, 'debtors', 'csv');
  assert.match(name, /^tsifra-receivables-debtors-\d{4}-\d{2}-\d{2}\.csv$/);
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a UTF-8 byte-order mark for Excel');
  const text = bytes.subarray(3).toString('utf8');
  const rows = parseCsv(text, ';');
  const [header, ...body] = rows;
  assert.deepEqual(header.slice(0, 3), ['Компания', 'Менеджер', 'Долг']);
  const report = await api('/api/reports/receivables');
  assert.equal(body.length, report.companies.length, 'a row per debtor');
  assert.ok(body.length > 0);
  for (const row of body) {
    assert.equal(row.length, header.length, `every row has the header's columns: ${row}`);
    assert.match(row[2], /^-?\d+,\d{2}$/, `an amount with a decimal comma: ${row[2]}`);
    assert.match(row[3], /^\d+$/, `days overdue: ${row[3]}`);
    assert.ok(!/^[=+@\t\r]/.test(row[0]), `a name never starts a formula: ${row[0]}`);
  }
  // The same file read with `,`, as Excel did before, would be one column a row.
  assert.ok(parseCsv(text, ',').some((r) => r.length !== header.length));
  // The API's amounts are the file's, kopeck for kopeck.
  const owed = body.map((r) => Math.round(Number(r[2].replace(',', '.')) * 100)).reduce((a, b) => a + b, 0);
  assert.equal(owed, report.companies.reduce((a, c) => a + c.owed, 0));
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('dates in a CSV read as Russian dates, and the XLSX is a workbook', async () => {
  const page = await openPage(context);
  await page.goto(`${BASE}/boards/receivables`);
  const due = await download(page, 'due-soon', 'csv');
  const rows = parseCsv(due.bytes.subarray(3).toString('utf8'), ';');
  const dueColumn = rows[0].indexOf('Срок оплаты');
  assert.ok(dueColumn >= 0, `a due-date column: ${rows[0]}`);
  for (const row of rows.slice(1)) assert.match(row[dueColumn], /^\d{2}\.\d{2}\.\d{4}$/, `a date as 30.11.2026: ${row}`);
  const xlsx = await download(page, 'debtors', 'xlsx');
  assert.match(xlsx.name, /\.xlsx$/);
  assert.equal(xlsx.bytes.subarray(0, 2).toString(), 'PK', 'an XLSX is a zip');
  await page.close();
});
