// The web console in a real browser (Debian's chromium, driven by playwright-core), as
// a person uses it: wrong credentials refused, sign in, create a bucket, upload a
// 30 MiB file with its progress bar, upload a folder and browse into it, drop files,
// page through a long listing, download and compare bytes, versions and legal hold,
// bucket settings with the server's validation errors, users, groups, keys and
// policies (and signing in as the user made), the dashboard, the console at the root
// of the admin listener, sign out. A screenshot of each view goes to
// $HORREO_SCREENSHOTS. tests/clients/test_console.py starts the server and runs this
// file with HORREO_CONSOLE_URL, HORREO_ADMIN_URL, HORREO_ACCESS_KEY, HORREO_SECRET_KEY.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { launch } = require('./lib/chromium');

const URL = process.env.HORREO_CONSOLE_URL;
const ADMIN_URL = process.env.HORREO_ADMIN_URL;
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
  page.on('pageerror', (err) => console.error('page error:', err.message));
  if (process.env.HORREO_TEST_TIMEOUT) page.setDefaultTimeout(Number(process.env.HORREO_TEST_TIMEOUT));
});

// After each step, what the status line said, in the output: a failed step shows why.
test.afterEach(async () => {
  const said = await page?.locator('#status').textContent().catch(() => null);
  if (said) console.error(`status line: ${said}`);
});

test.after(async () => {
  await browser?.close();
});

async function signIn(accessKey, secretKey) {
  await page.getByLabel('Access key', { exact: true }).fill(accessKey);
  await page.getByLabel('Secret key', { exact: true }).fill(secretKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('wrong credentials are refused (typed with the keyboard alone)', async () => {
  await page.goto(URL);
  await shot('sign-in');
  // The access key field has the focus; Tab goes to the secret, Enter submits.
  await page.waitForFunction(() => document.activeElement?.id === 'access-key');
  await page.keyboard.type(ACCESS_KEY);
  await page.keyboard.press('Tab');
  await page.keyboard.type('not-the-secret');
  await page.keyboard.press('Enter');
  await page.getByText('wrong access key or secret key').waitFor();
  assert.equal(await page.locator('#buckets-view').isHidden(), true);
});

test('signs in, creates a bucket and opens it', async () => {
  await signIn(ACCESS_KEY, SECRET_KEY);
  await page.getByText(`Signed in as ${ACCESS_KEY}`).waitFor();
  await page.getByLabel('New bucket').fill(BUCKET);
  await page.getByRole('button', { name: 'Create bucket' }).click();
  await page.getByRole('link', { name: BUCKET, exact: true }).waitFor();
  await shot('buckets');
  await page.getByRole('link', { name: BUCKET, exact: true }).click();
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
  await page.getByRole('link', { name: BUCKET, exact: true }).click();
  await page.getByRole('cell', { name: 'big.bin', exact: true }).waitFor();
});

test('cancels an upload, which aborts its multipart upload', async () => {
  // The second part is held back until the upload is cancelled.
  let held;
  await page.route(/partNumber=2&/, (route) => { held = route; });
  await page.getByLabel('Files').setInputFiles({ name: 'cancelled.bin', mimeType: 'application/octet-stream', buffer: big });
  const row = page.locator('#uploads li', { hasText: 'cancelled.bin' });
  await page.waitForFunction(() => [...document.querySelectorAll('#uploads progress')].some((p) => p.value >= 16 * 1024 * 1024));
  await row.getByRole('button', { name: 'Cancel upload of cancelled.bin' }).click();
  await row.getByText('cancelled', { exact: true }).waitFor();
  await page.unroute(/partNumber=2&/);
  await held?.abort().catch(() => {});
  await page.getByText('0 of 1 uploaded').waitFor();
  assert.equal(await page.getByRole('cell', { name: 'cancelled.bin', exact: true }).count(), 0);
  const uploads = await page.evaluate(async (bucket) => {
    const csrf = (await (await fetch('api/session')).json()).csrf;
    const presigned = await fetch('api/presign', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-horreo-csrf': csrf },
      body: JSON.stringify({ method: 'GET', bucket, query: [['uploads', '']] }),
    });
    return (await fetch((await presigned.json()).url)).text();
  }, BUCKET);
  assert.doesNotMatch(uploads, /<Upload>/);
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
  await page.getByRole('link', { name: BUCKET, exact: true }).click();
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

const settings = async () => {
  await page.getByRole('link', { name: 'Bucket settings' }).click();
  await page.getByRole('heading', { name: 'Versioning', exact: true }).waitFor();
};

test('edits tags, restores and deletes older versions', async () => {
  await settings();
  await page.getByRole('button', { name: 'Enable versioning' }).click();
  await page.getByText('Versioning: Enabled').waitFor();
  await page.getByRole('link', { name: BUCKET, exact: true }).click();
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
  await page.getByLabel('Tags, one key=value per line', { exact: true }).fill('team=ops\nstage=test');
  await page.getByRole('button', { name: 'Save tags' }).click();
  await page.getByText('Saved 2 tags').waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Metadata' }).waitFor();
  await page.waitForFunction(() => document.getElementById('tags').value.includes('team=ops'));
  assert.equal(await page.getByLabel('Tags, one key=value per line', { exact: true }).inputValue(), 'team=ops\nstage=test');
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
  // Checksums are shown (the console sends a CRC32 with each single-PUT upload).
  await page.locator('#meta dt', { hasText: /^CRC32$/ }).waitFor();
  await shot('object');
  await page.getByRole('button', { name: 'Delete with all versions' }).click();
  await page.getByText('Deleted notes.txt and its 2 versions').waitFor();
  await page.getByRole('cell', { name: 'big.bin', exact: true }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'notes.txt', exact: true }).count(), 0);
});

test('places and removes a legal hold in a bucket with object lock', async () => {
  const locked = `${BUCKET}-locked`;
  await page.getByRole('link', { name: 'Buckets', exact: true }).first().click();
  await page.getByLabel('New bucket').fill(locked);
  await page.getByLabel('with object lock').check();
  await page.getByRole('button', { name: 'Create bucket' }).click();
  await page.getByRole('link', { name: locked, exact: true }).click();
  await page.getByLabel('Files').setInputFiles({ name: 'held.txt', mimeType: 'text/plain', buffer: Buffer.from('keep me') });
  await page.getByRole('link', { name: 'held.txt', exact: true }).click();
  await page.getByText('Legal hold: OFF').waitFor();
  await page.getByRole('button', { name: 'Place legal hold' }).click();
  await page.getByText('Legal hold: ON').waitFor();
  await page.locator('#meta dd', { hasText: /^ON$/ }).waitFor();
  // While held, the version cannot be deleted: the server's refusal is shown.
  await page.locator('#versions tbody tr').first().getByRole('button', { name: /^Delete version/ }).click();
  await page.getByText(/^AccessDenied/).waitFor();
  await page.getByRole('button', { name: 'Remove legal hold' }).click();
  await page.getByText('Legal hold: OFF').waitFor();
  // With default retention, an upload carries its checksum and is retained.
  await page.getByRole('link', { name: locked, exact: true }).click();
  await page.getByRole('link', { name: 'Bucket settings' }).click();
  await page.getByRole('button', { name: 'Fill object lock with an example' }).click();
  await page.getByRole('button', { name: 'Save object lock' }).click();
  await page.getByText('Saved object lock').waitFor();
  await page.getByRole('link', { name: locked, exact: true }).click();
  await page.getByLabel('Files').setInputFiles({ name: 'retained.txt', mimeType: 'text/plain', buffer: Buffer.from('retained') });
  await page.getByRole('link', { name: 'retained.txt', exact: true }).click();
  await page.locator('#meta dd', { hasText: /^GOVERNANCE$/ }).waitFor();
  // So is a multipart upload: each part carries its CRC32.
  await page.getByRole('link', { name: locked, exact: true }).click();
  await page.getByLabel('Files').setInputFiles({ name: 'retained-big.bin', mimeType: 'application/octet-stream', buffer: big.subarray(0, 17 * 1024 * 1024) });
  await page.getByRole('link', { name: 'retained-big.bin', exact: true }).click();
  await page.locator('#meta dd', { hasText: /-2"$/ }).waitFor();
  await page.locator('#meta dd', { hasText: /^GOVERNANCE$/ }).waitFor();
});

test('drops files on the folder', async () => {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Buckets' }).click();
  await page.getByRole('link', { name: BUCKET, exact: true }).click();
  await page.getByRole('cell', { name: 'big.bin', exact: true }).waitFor();
  const transfer = await page.evaluateHandle(() => {
    const data = new DataTransfer();
    data.items.add(new File(['dropped one'], 'dropped-1.txt', { type: 'text/plain' }));
    data.items.add(new File(['dropped two'], 'dropped-2.txt', { type: 'text/plain' }));
    return data;
  });
  await page.locator('#drop').dispatchEvent('drop', { dataTransfer: transfer });
  await page.getByText('2 of 2 uploaded').waitFor();
  await page.getByRole('cell', { name: 'dropped-2.txt', exact: true }).waitFor();
});

test('edits bucket settings, showing the server\'s validation errors', async () => {
  await settings();
  const policy = page.getByLabel('Bucket policy (JSON)');
  const savePolicy = page.getByRole('button', { name: 'Save bucket policy' });
  await policy.fill('{ not json');
  await savePolicy.click();
  await page.locator('#setting-policy-error', { hasText: 'Not valid JSON' }).waitFor();
  const elsewhere = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::another-bucket/*' }] };
  await policy.fill(JSON.stringify(elsewhere));
  await savePolicy.click();
  await page.locator('#setting-policy-error', { hasText: /^MalformedPolicy: / }).waitFor();
  await page.getByRole('button', { name: 'Fill bucket policy with an example' }).click();
  await savePolicy.click();
  await page.getByText('Saved bucket policy').waitFor();
  const lifecycle = page.getByLabel('Lifecycle (XML)');
  await lifecycle.fill('<LifecycleConfiguration><Rule>');
  await page.getByRole('button', { name: 'Save lifecycle' }).click();
  await page.locator('#setting-lifecycle-error', { hasText: /^MalformedXML: / }).waitFor();
  for (const name of ['lifecycle', 'cors', 'static website']) {
    await page.getByRole('button', { name: `Fill ${name} with an example` }).click();
    await page.getByRole('button', { name: `Save ${name}` }).click();
    await page.getByText(`Saved ${name}`).waitFor();
  }
  await page.getByLabel('Encryption type').selectOption('AES256');
  await page.getByRole('button', { name: 'Save encryption' }).click();
  await page.getByText('Saved default encryption: SSE-S3 (AES256)').waitFor();
  await page.getByLabel('Bucket tags, one key=value per line').fill('owner=console');
  await page.getByRole('button', { name: 'Save bucket tags' }).click();
  await page.getByText('Saved 1 bucket tags').waitFor();
  // Replication needs a versioned destination that exists: the server says so.
  await page.getByRole('button', { name: 'Fill replication with an example' }).click();
  await page.getByRole('button', { name: 'Save replication' }).click();
  await page.locator('#setting-replication-error', { hasText: /^InvalidRequest: / }).waitFor();
  await page.getByLabel('Event notifications (XML)').fill('<NotificationConfiguration></NotificationConfiguration>');
  await page.getByRole('button', { name: 'Save event notifications' }).click();
  await page.getByText('Saved event notifications').waitFor();
  // What was saved is what the server answers after a reload.
  await page.reload();
  await page.getByRole('heading', { name: 'Versioning', exact: true }).waitFor();
  assert.match(await policy.inputValue(), /"DenyBucketDeletion"/);
  assert.match(await page.getByLabel('CORS (XML)').inputValue(), /<AllowedOrigin>https:\/\/example.com<\/AllowedOrigin>/);
  assert.match(await lifecycle.inputValue(), /<Days>30<\/Days>/);
  assert.match(await page.getByLabel('Static website (XML)').inputValue(), /<Suffix>index.html<\/Suffix>/);
  assert.equal(await page.getByLabel('Encryption type').inputValue(), 'AES256');
  assert.equal(await page.getByLabel('Bucket tags, one key=value per line').inputValue(), 'owner=console');
  await shot('settings');
  await page.getByRole('button', { name: 'Remove static website' }).click();
  await page.getByText('Removed static website').waitFor();
  await page.getByRole('link', { name: BUCKET, exact: true }).click();
  await page.getByRole('cell', { name: 'big.bin', exact: true }).waitFor();
});

test('pages through a long listing, back and forth, and filters it', async () => {
  // 210 small objects, written through the console's own presign API.
  await page.evaluate(async (bucket) => {
    const csrf = (await (await fetch('api/session')).json()).csrf;
    for (let i = 0; i < 210; i += 1) {
      const key = `many/${String(i).padStart(4, '0')}`;
      const presigned = await fetch('api/presign', {
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
  await page.getByText('Page 2').waitFor();
  await shot('page-two');
  await page.getByRole('button', { name: 'Previous page' }).click();
  await page.getByRole('cell', { name: '0000', exact: true }).waitFor();
  await page.getByLabel('Names starting with').fill('015');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#objects tbody tr').length === 10);
  await page.getByRole('cell', { name: '0159', exact: true }).waitFor();
  assert.equal(await page.getByRole('cell', { name: '0160', exact: true }).count(), 0);
});

const iamLink = () => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users and groups' });
const READ_ONLY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:ListAllMyBuckets', 's3:ListBucket', 's3:GetObject'], Resource: '*' }],
});
let userKey;

test('creates a user, a group, a policy and an access key shown once', async () => {
  await iamLink().click();
  await page.getByLabel('New user').fill('alice');
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.getByRole('link', { name: 'alice', exact: true }).waitFor();
  await page.getByLabel('New group').fill('readers');
  await page.getByRole('button', { name: 'Create group' }).click();
  await page.getByRole('link', { name: 'readers', exact: true }).waitFor();
  await page.getByLabel('New policy name').fill('read-only');
  await page.getByLabel('Policy document (JSON)').fill('{"Version":"2012-10-17","Statement":[]}');
  await page.getByRole('button', { name: 'Create policy' }).click();
  await page.getByText(/^MalformedPolicyDocument: /).waitFor();
  await page.getByLabel('Policy document (JSON)').fill(READ_ONLY);
  await page.getByRole('button', { name: 'Create policy' }).click();
  await page.getByRole('cell', { name: 'read-only', exact: true }).waitFor();
  await shot('users');
  await page.getByRole('link', { name: 'alice', exact: true }).click();
  await page.getByRole('button', { name: 'Create an access key for alice' }).click();
  await page.getByText('The secret is shown only now: copy it.').waitFor();
  const shown = await page.locator('#new-key dd').allTextContents();
  userKey = { id: shown[0], secret: shown[1] };
  assert.match(userKey.id, /^AKIA/);
  assert.equal(await page.locator('#access-keys tbody tr').count(), 1);
  await page.getByLabel('Add to group').selectOption('readers');
  await page.getByRole('button', { name: 'Add to group' }).click();
  await page.getByRole('cell', { name: 'readers', exact: true }).waitFor();
  await page.getByLabel('Managed policy').selectOption({ label: 'read-only' });
  await page.getByRole('button', { name: 'Attach policy' }).click();
  await page.getByRole('button', { name: 'Detach read-only' }).waitFor();
  await page.getByLabel('Inline policy name').fill('deny-deletes');
  await page.getByLabel('Inline policy document (JSON)').fill(JSON.stringify({
    Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' }],
  }));
  await page.getByRole('button', { name: 'Save inline policy' }).click();
  await page.getByRole('cell', { name: 'deny-deletes', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Edit inline policy deny-deletes' }).click();
  await page.waitForFunction(() => document.getElementById('inline-document').value.includes('"Deny"'));
  await shot('user');
  // Secret keys are never listed again.
  await page.reload();
  await page.getByRole('heading', { name: 'Access keys' }).waitFor();
  assert.equal(await page.getByText(userKey.secret).count(), 0);
});

test('the dashboard charts the server\'s metrics and disk usage per bucket', async () => {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Dashboard' }).click();
  await page.getByRole('img', { name: /^Requests: [0-9.]+\/s$/ }).waitFor();
  // Traffic while the dashboard samples: listings, and GETs of a key that is not there.
  const traffic = page.evaluate(async (bucket) => {
    const csrf = (await (await fetch('api/session')).json()).csrf;
    const sign = async (body) => (await (await fetch('api/presign', {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-horreo-csrf': csrf }, body: JSON.stringify(body),
    })).json()).url;
    const [list, missing] = [await sign({ method: 'GET', bucket }), await sign({ method: 'GET', bucket, key: 'missing' })];
    window.stopTraffic = false;
    while (!window.stopTraffic) {
      await Promise.all([fetch(list), fetch(missing)]);
    }
  }, BUCKET);
  await page.getByRole('img', { name: /^Requests: (?!0\.00\/s)[0-9.]+\/s$/ }).waitFor();
  await page.getByRole('img', { name: /^Errors: (?!0\.00\/s)[0-9.]+\/s$/ }).waitFor();
  await page.getByRole('img', { name: /^Bytes out: (?!0 B\/s)/ }).waitFor();
  await page.evaluate(() => { window.stopTraffic = true; });
  await traffic;
  await page.getByRole('img', { name: /^Bytes in: / }).waitFor();
  await page.getByRole('img', { name: /^95th percentile latency: [0-9.]+ ms$/ }).waitFor();
  const usage = page.locator('#bucket-usage tbody tr', { hasText: BUCKET });
  await usage.first().waitFor();
  await page.getByText(/^Data disk: .* used of /).waitFor();
  await shot('dashboard');
});

test('a user acts with its own permissions only', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(userKey.id, userKey.secret);
  await page.getByText(`Signed in as ${userKey.id}`).waitFor();
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Buckets' }).click();
  await page.getByRole('link', { name: BUCKET, exact: true }).waitFor();
  await page.getByLabel('New bucket').fill(`${BUCKET}-alice`);
  await page.getByRole('button', { name: 'Create bucket' }).click();
  await page.getByText(/^AccessDenied: /).waitFor();
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Dashboard' }).click();
  await page.getByText('the dashboard is for the server\'s root user only').waitFor();
  await iamLink().click();
  await page.getByText(/^AccessDenied: /).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(ACCESS_KEY, SECRET_KEY);
  await page.getByText(`Signed in as ${ACCESS_KEY}`).waitFor();
});

test('the admin listener serves the same console at its root', async () => {
  const admin = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const other = await admin.newPage();
  await other.goto(ADMIN_URL);
  await other.getByLabel('Access key').fill(ACCESS_KEY);
  await other.getByLabel('Secret key').fill(SECRET_KEY);
  await other.getByRole('button', { name: 'Sign in' }).click();
  await other.getByRole('link', { name: BUCKET, exact: true }).click();
  await other.getByRole('cell', { name: 'big.bin', exact: true }).waitFor();
  await other.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users and groups' }).click();
  await other.getByRole('link', { name: 'alice', exact: true }).waitFor();
  await admin.close();
});

test('signs out, and the session is gone', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.reload();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  const session = await page.evaluate(async () => (await fetch('api/session')).status);
  assert.equal(session, 401);
});
