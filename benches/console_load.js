// The console's first page load: five loads of the console's URL, each in a fresh
// Chromium context (nothing cached), timed until the sign-in form shows, with the
// bytes transferred (headers and bodies); then the idle RSS of the server.
//
//   node benches/console_load.js URL [SERVER_PID]
//
// Needs tests/browser's packages (cd tests/browser && npm ci) and /usr/bin/chromium.
'use strict';

const fs = require('node:fs');
const { launch } = require('../tests/browser/lib/chromium');

const [url, pid] = process.argv.slice(2);
const LOADS = 5;

(async () => {
  const browser = await launch();
  const times = [];
  let bytes = 0;
  let requests = 0;
  for (let i = 0; i < LOADS; i += 1) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const sizes = [];
    page.on('requestfinished', (request) => sizes.push(request.sizes()));
    const started = performance.now();
    await page.goto(url);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    times.push(performance.now() - started);
    const all = await Promise.all(sizes);
    bytes = all.reduce((sum, s) => sum + s.responseBodySize + s.responseHeadersSize, 0);
    requests = all.length;
    await context.close();
  }
  await browser.close();
  times.sort((a, b) => a - b);
  console.log(`first page load: ${times[Math.floor(LOADS / 2)].toFixed(0)} ms median, ${times[LOADS - 1].toFixed(0)} ms worst; `
    + `${bytes} bytes in ${requests} requests`);
  if (pid) {
    const rss = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    console.log(`server idle RSS: ${(Number(rss[1]) / 1024).toFixed(1)} MiB`);
  }
})();
