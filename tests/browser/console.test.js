// The web console in a real browser (Debian's chromium, driven by playwright-core), as
// a person uses it: wrong credentials refused, sign in, create a bucket, upload a
// 30 MiB file with its progress bar, upload a folder and browse into it, page through
// a long listing, download and compare bytes, delete, sign out. A screenshot of each
// view goes to $HORREO_SCREENSHOTS. tests/clients/test_console.py starts the server
// and runs this file with HORREO_CONSOLE_URL, HORREO_ACCESS_KEY, HORREO_SECRET_KEY.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { launch } = require('./lib/chromium');

const URL = process.env.HORREO_CONSOLE_URL;
const ACCESS_KEY = process.env.HORREO_ACCESS_KEY;
const SECRET_KEY = process.env.HORREO_SECRET_KEY;
const SHOTS = process.env.HORREO_SCREENSHOTS || fs.mkdtempSync(path.join(os.tmpdir(), 'console-shots-'));
const BUCKET = `console-${Date.now()}`;

let browser;
let page;

const shot = (name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

test.before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await launch();
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1366, height: 768 } });
  page = await context.newPage();
  page.on('dialog', (dialog) => dialog.accept());
});

test.after(async () => {
  await browser?.close();
});

async function signIn(accessKey, secretKey) {
  await page.getByLabel('Access key').fill(accessKey);
  await page.getByLabel('Secret key').fill(secretKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('wrong credentials are refused', async () => {
  await page.goto(URL);
  await shot('sign-in');
  await signIn(ACCESS_KEY, 'not-the-secret');
  await page.getByText('wrong access key or secret key').waitFor();
  assert.equal(await page.locator('#buckets-view').isHidden(), true);
});

test('signs in, creates a bucket and opens it', async () => {
  await signIn(ACCESS_KEY, SECRET_KEY);
  await page.getByText(`Signed in as ${ACCESS_KEY}`).waitFor();
  await page.getByLabel('New bucket').fill(BUCKET);
  await page.getByRole('button', { name: 'Create bucket' }).click();
  await page.getByRole('link', { name: BUCKET }).waitFor();
  await shot('buckets');
  await page.getByRole('link', { name: BUCKET }).click();
  await page.getByText('This folder is empty.').waitFor();
});

const big = crypto.randomBytes(30 * 1024 * 1024);

test('uploads a 30 MiB file in parts with a progress bar', async () => {
  await page.getByLabel('Files').setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: big });
  const bar = page.getByRole('progressbar', { name: 'Upload of big.bin' });
  await bar.waitFor();
  await page.locator('#uploads li', { hasText: 'big.bin' }).getByText('done').waitFor({ timeout: 120_000 });
  assert.equal(await bar.getAttribute('value'), String(big.length));
  await page.getByRole('cell', { name: 'big.bin', exact: true }).waitFor();
  await shot('upload');
  // Above 16 MiB a file goes up in parts: a two-part ETag.
  await page.getByRole('link', { name: 'big.bin', exact: true }).click();
  await page.locator('#meta dd', { hasText: /-2"$/ }).waitFor();
  await page.getByRole('link', { name: BUCKET }).click();
  await page.getByRole('cell', { name: 'big.bin', exact: true }).waitFor();
});

test('uploads a folder and browses into it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-folder-'));
  fs.mkdirSync(path.join(dir, 'docs'));
  fs.writeFileSync(path.join(dir, 'docs', 'readme.txt'), 'hello from a folder\n');
  await page.getByLabel('Folder').setInputFiles(path.join(dir, 'docs'));
  await page.getByRole('link', { name: 'docs/' }).click();
  await page.getByRole('cell', { name: 'readme.txt', exact: true }).waitFor();
  await shot('folder');
  await page.getByRole('button', { name: 'Delete readme.txt' }).click();
  await page.getByText('Deleted docs/readme.txt').waitFor();
  await page.getByText('This folder is empty.').waitFor();
  await page.getByRole('link', { name: BUCKET }).click();
  await page.getByRole('cell', { name: 'big.bin', exact: true }).waitFor();
});

test('downloads the same bytes', async () => {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download big.bin' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'big.bin');
  assert.equal(sha256(fs.readFileSync(await download.path())), sha256(big));
});

test('edits tags, restores and deletes older versions', async () => {
  await page.getByRole('button', { name: 'Enable versioning' }).click();
  await page.getByText('Versioning: Enabled').waitFor();
  for (const content of ['first version', 'second version, longer']) {
    await page.getByLabel('Files').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from(content) });
    await page.locator('#uploads li', { hasText: 'notes.txt' }).last().getByText('done').waitFor();
  }
  await page.getByRole('link', { name: 'notes.txt', exact: true }).click();
  await page.getByRole('heading', { name: 'Metadata' }).waitFor();
  await page.locator('#meta dd', { hasText: '22 B' }).waitFor();
  const versionRows = (n) => page.waitForFunction(
    (count) => document.querySelectorAll('#versions tbody tr').length === count, n);
  await versionRows(2);
  await page.getByLabel('Tags, one key=value per line').fill('team=ops\nstage=test');
  await page.getByRole('button', { name: 'Save tags' }).click();
  await page.getByText('Saved 2 tags').waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Metadata' }).waitFor();
  await page.waitForFunction(() => document.getElementById('tags').value.includes('team=ops'));
  assert.equal(await page.getByLabel('Tags, one key=value per line').inputValue(), 'team=ops\nstage=test');
  // Restoring the first version copies it on top: three versions, 13 bytes again.
  const older = () => page.locator('#versions tbody tr', { hasNotText: '(latest)' });
  await older().getByRole('button', { name: /^Restore version/ }).click();
  await page.getByText(/^Restored version/).waitFor();
  await versionRows(3);
  await page.locator('#meta dd', { hasText: '13 B' }).waitFor();
  await older().first().getByRole('button', { name: /^Delete version/ }).click();
  await page.getByText(/^Deleted version/).waitFor();
  await versionRows(2);
  assert.equal(await page.locator('#versions tbody tr', { hasText: '(latest)' }).count(), 1);
  await shot('object');
  await page.getByRole('link', { name: BUCKET }).click();
  await page.getByRole('cell', { name: 'big.bin', exact: true }).waitFor();
});

test('pages through a long listing', async () => {
  // 210 small objects, written through the console's own presign API.
  await page.evaluate(async (bucket) => {
    const csrf = (await (await fetch('/_horreo/console/api/session')).json()).csrf;
    for (let i = 0; i < 210; i += 1) {
      const key = `many/${String(i).padStart(4, '0')}`;
      const presigned = await fetch('/_horreo/console/api/presign', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-horreo-csrf': csrf },
        body: JSON.stringify({ method: 'PUT', bucket, key }),
      });
      const put = await fetch((await presigned.json()).url, { method: 'PUT', body: 'x' });
      if (!put.ok) throw new Error(`PUT ${key}: ${put.status}`);
    }
  }, BUCKET);
  await page.reload();
  await page.getByRole('link', { name: 'many/' }).click();
  await page.getByRole('cell', { name: '0199', exact: true }).waitFor();
  assert.equal(await page.locator('#objects tbody tr').count(), 200);
  await page.getByRole('button', { name: 'Next page' }).click();
  await page.getByRole('cell', { name: '0209', exact: true }).waitFor();
  assert.equal(await page.locator('#objects tbody tr').count(), 10);
  assert.equal(await page.getByRole('button', { name: 'Next page' }).isHidden(), true);
  await shot('page-two');
});

test('signs out, and the session is gone', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.reload();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  const session = await page.evaluate(async () => (await fetch('/_horreo/console/api/session')).status);
  assert.equal(session, 401);
});
