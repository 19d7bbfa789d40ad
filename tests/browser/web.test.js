// The browser-facing S3 in a real browser: CORS judged by Chromium's own enforcement, an
// HTML form upload built from a presigned POST, and a static website. The scenario (URLs
// presigned by boto3, buckets configured) comes from tests/clients/test_browser.py, which
// runs this file: HORREO_BROWSER_SCENARIO names its JSON.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');

const { S3Client } = require('@aws-sdk/client-s3');
const { createPresignedPost } = require('@aws-sdk/s3-presigned-post');

const { launch } = require('./lib/chromium');
const { serve } = require('./lib/static-server');

const scenario = JSON.parse(fs.readFileSync(process.env.HORREO_BROWSER_SCENARIO, 'utf8'));

const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** An HTML form built from a presigned POST: its fields, then the file, last. */
function form(id, action, fields) {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`)
    .join('\n');
  return `<form id="${id}" action="${escape(action)}" method="post" enctype="multipart/form-data">
${inputs}
<input type="file" name="file">
<button type="submit">Upload</button>
</form>`;
}

const PAGES = {
  '/app.html': { body: '<!doctype html><title>app</title><h1>App</h1>' },
  '/upload.html': {
    body: `<!doctype html><title>upload</title>
${form('good', scenario.form.action, scenario.form.fields)}
${form('bad', scenario.form.action, scenario.form.bad_fields)}`,
  },
  '/done.html': { body: '<!doctype html><title>done</title><h1>Upload complete</h1>' },
};

let browser;
let site;

test.before(async () => {
  site = await serve(PAGES, scenario.page_port);
  browser = await launch();
});

test.after(async () => {
  await browser?.close();
  await site?.close();
});

test('fetch() PUTs to a presigned URL and GETs back across origins, reading the exposed ETag', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.origin}/app.html`);
  const seen = await page.evaluate(async ({ put_url, get_url, body }) => {
    const put = await fetch(put_url, { method: 'PUT', body });
    const get = await fetch(get_url);
    return { put: put.status, etag: put.headers.get('ETag'), get: get.status, text: await get.text() };
  }, scenario.cors);
  assert.deepEqual(seen, { put: 200, etag: scenario.cors.etag, get: 200, text: scenario.cors.body });
  await page.close();
});

test('a preflight with a custom header: allowed by a rule, refused without one', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.origin}/app.html`);
  const outcome = (url, headers) =>
    page.evaluate(
      async ({ url, headers }) => {
        try {
          const r = await fetch(url, { method: 'PUT', headers, body: 'with a header' });
          return `sent ${r.status}`;
        } catch (e) {
          return `blocked: ${e.name}`;
        }
      },
      { url, headers },
    );
  assert.equal(await outcome(scenario.cors.meta_put_url, { 'x-amz-meta-note': 'from-the-browser' }), 'sent 200');
  assert.equal(await outcome(scenario.cors.refused_put_url, { 'x-custom-header': '1' }), 'blocked: TypeError');
  await page.close();
});

test('an HTML form upload lands on its success_action_redirect page', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.origin}/upload.html`);
  await page.setInputFiles('#good input[type=file]', {
    name: 'hello.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from(scenario.form.content),
  });
  await Promise.all([page.waitForURL(/\/done\.html/), page.click('#good button')]);
  const landed = new URL(page.url());
  assert.equal(landed.searchParams.get('bucket'), scenario.form.bucket);
  assert.equal(landed.searchParams.get('key'), 'uploads/hello.txt');
  assert.equal(landed.searchParams.get('etag'), scenario.form.etag);
  assert.equal(await page.textContent('h1'), 'Upload complete');
  await page.close();
});

test('a form violating its policy shows AWS\'s error', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.origin}/upload.html`);
  await page.setInputFiles('#bad input[type=file]', {
    name: 'evil.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('nope'),
  });
  const [response] = await Promise.all([page.waitForEvent('response', (r) => r.request().method() === 'POST'), page.click('#bad button')]);
  assert.equal(response.status(), 403);
  await page.waitForLoadState();
  const shown = await page.content();
  assert.match(shown, /AccessDenied/);
  assert.match(shown, /Invalid according to Policy: Policy Condition failed/);
  await page.close();
});

test('a form from the JS SDK\'s createPresignedPost, posted by fetch() across origins', async () => {
  const { endpoint, region, access_key, secret_key, bucket } = scenario.sdk;
  const client = new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    credentials: { accessKeyId: access_key, secretAccessKey: secret_key },
  });
  const { url, fields } = await createPresignedPost(client, {
    Bucket: bucket,
    Key: 'js/${filename}',
    Conditions: [['content-length-range', 1, 1024], ['starts-with', '$key', 'js/']],
    Fields: { success_action_status: '201' },
    Expires: 600,
  });
  const page = await browser.newPage();
  await page.goto(`${site.origin}/app.html`);
  const seen = await page.evaluate(
    async ({ url, fields }) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append('file', new Blob(['posted by the page'], { type: 'text/plain' }), 'note.txt');
      const r = await fetch(url, { method: 'POST', body: form });
      return { status: r.status, body: await r.text() };
    },
    { url, fields },
  );
  assert.equal(seen.status, 201, seen.body);
  assert.match(seen.body, /<Key>js\/note\.txt<\/Key>/);
  await page.close();
});

test('the static website: index, a sub-folder by relative link, a routing rule, the error page', async () => {
  const page = await browser.newPage();
  const home = await page.goto(scenario.site.home);
  assert.equal(home.status(), 200);
  assert.equal(await page.textContent('h1'), 'Welcome');
  // `docs` (no slash) is redirected to the folder `docs/`, whose relative links then work.
  await Promise.all([page.waitForURL(/\/docs\/$/), page.click('a#docs')]);
  assert.equal(await page.textContent('h1'), 'Documentation');
  await Promise.all([page.waitForURL(/\/docs\/page\.html$/), page.click('a#page')]);
  assert.equal(await page.textContent('h1'), 'A page');
  await page.goto(new URL('old/page.html', scenario.site.home).href);
  assert.equal(new URL(page.url()).pathname, '/docs/page.html');
  assert.equal(await page.textContent('h1'), 'A page');
  const missing = await page.goto(new URL('no/such/page.html', scenario.site.home).href);
  assert.equal(missing.status(), 404);
  assert.equal(await page.textContent('h1'), 'Not here');
  await page.close();
});
