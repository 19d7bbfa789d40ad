// The console over a large bucket: signs in, opens BUCKET's folder PREFIX and times
// each page of the listing until its rows show (first page, then the next pages).
//
//   node benches/console_browse.js CONSOLE_URL ACCESS_KEY SECRET_KEY BUCKET [PREFIX] [PAGES]
//
// Fill the bucket first, e.g. horreo-bench put --bucket large --size 0 --count 100000.
'use strict';

const { launch } = require('../tests/browser/lib/chromium');

const [url, accessKey, secretKey, bucket, prefix = '', pages = '5'] = process.argv.slice(2);

(async () => {
  const browser = await launch();
  const page = await (await browser.newContext()).newPage();
  await page.goto(url);
  await page.getByLabel('Access key', { exact: true }).fill(accessKey);
  await page.getByLabel('Secret key', { exact: true }).fill(secretKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  const firstKey = () => page.locator('#objects tbody tr').first().textContent();
  const times = [];
  let started = performance.now();
  await page.goto(`${url}#/b/${encodeURIComponent(bucket)}/${encodeURIComponent(prefix)}`);
  await page.waitForFunction(() => document.querySelectorAll('#objects tbody tr').length === 200);
  times.push(performance.now() - started);
  for (let i = 1; i < Number(pages); i += 1) {
    const before = await firstKey();
    started = performance.now();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.waitForFunction((old) => document.querySelector('#objects tbody tr')?.textContent !== old, before);
    times.push(performance.now() - started);
  }
  await browser.close();
  console.log(`pages of 200 rows (ms): ${times.map((t) => t.toFixed(0)).join(', ')}`);
})();
