// horreo's web console. It holds no secret: the server signs each S3 request as
// the signed-in principal (POST api/presign), and the page sends it to the S3
// endpoint itself, so every permission check is the S3 endpoint's own.
'use strict';

const API = '/_horreo/console/api/';
const PAGE_SIZE = 200;
let csrf = '';
let next = null; // the continuation token of the listing on screen
let view = 0; // counts renderings: one that a newer one overtook stops

/** A check that stays true while no newer rendering has started. */
function ticket() {
  const mine = ++view;
  return () => mine === view;
}

const $ = (id) => document.getElementById(id);

function status(message, isError = false) {
  $('status').textContent = message;
  $('status').classList.toggle('error', isError);
}

async function api(path, method, body) {
  const response = await fetch(API + path, {
    method,
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-horreo-csrf': csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? {} : await response.json();
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

/** A presigned URL for one S3 request; `query` and `headers` are lists of [name, value]
 * (the request must then carry those x-amz-* headers: they are signed). */
async function presign(method, bucket, key = '', query = [], headers = []) {
  return (await api('presign', 'POST', { method, bucket, key, query, headers })).url;
}

/** The S3 error of a failed response, as "Code: Message". */
async function s3Error(response) {
  const text = await response.text();
  const xml = new DOMParser().parseFromString(text, 'application/xml');
  const field = (name) => xml.querySelector(name)?.textContent;
  return new Error(field('Code') ? `${field('Code')}: ${field('Message')}` : `HTTP ${response.status}`);
}

async function s3(method, bucket, key = '', query = [], body = undefined, headers = []) {
  const url = await presign(method, bucket, key, query, headers);
  const response = await fetch(url, { method, body, headers: Object.fromEntries(headers) });
  if (!response.ok) throw await s3Error(response);
  const text = await response.text();
  return new DOMParser().parseFromString(text || '<r/>', 'application/xml');
}

const texts = (node, selector) => [...node.querySelectorAll(selector)].map((n) => n.textContent);
const field = (node, name) => node.querySelector(name)?.textContent ?? '';

function size(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = Number(bytes);
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) { n /= 1024; unit += 1; }
  return `${unit ? n.toFixed(1) : n} ${units[unit]}`;
}

function cell(row, content) {
  const td = row.insertCell();
  if (content instanceof Node) td.append(content); else td.textContent = content;
  return td;
}

function link(text, href) {
  const a = document.createElement('a');
  a.textContent = text;
  a.href = href;
  return a;
}

function button(text, label, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.setAttribute('aria-label', label);
  b.addEventListener('click', onClick);
  return b;
}

function show(view) {
  for (const id of ['sign-in-view', 'buckets-view', 'objects-view', 'object-view']) $(id).hidden = id !== view;
}

// ---- routing: #/ is the bucket list, #/b/BUCKET/PREFIX a folder, #/o/BUCKET/KEY an object ----

function route() {
  const hash = decodeURIComponent(location.hash.slice(1) || '/');
  const match = hash.match(/^\/b\/([^/]+)\/?(.*)$/);
  return match ? { bucket: match[1], prefix: match[2] } : null;
}

function objectRoute() {
  const hash = decodeURIComponent(location.hash.slice(1) || '/');
  const match = hash.match(/^\/o\/([^/]+)\/(.+)$/);
  return match ? { bucket: match[1], key: match[2] } : null;
}

const folderHash = (bucket, prefix) => `#/b/${encodeURIComponent(bucket)}/${encodeURIComponent(prefix)}`;
const objectHash = (bucket, key) => `#/o/${encodeURIComponent(bucket)}/${encodeURIComponent(key)}`;

async function render(keepStatus = false) {
  if (!keepStatus) status('');
  try {
    const where = route();
    const object = objectRoute();
    if (where) await showObjects(where.bucket, where.prefix, null);
    else if (object) await showObject(object.bucket, object.key);
    else await showBuckets();
  } catch (err) {
    status(err.message, true);
  }
}

// ---- buckets ----

async function showBuckets() {
  const live = ticket();
  show('buckets-view');
  const xml = await s3('GET', '');
  if (!live()) return;
  const body = $('buckets').tBodies[0];
  body.replaceChildren();
  for (const bucket of xml.querySelectorAll('Bucket')) {
    const name = field(bucket, 'Name');
    const row = body.insertRow();
    cell(row, link(name, folderHash(name, '')));
    cell(row, new Date(field(bucket, 'CreationDate')).toLocaleString());
    cell(row, button('Delete', `Delete bucket ${name}`, async () => {
      if (!confirm(`Delete the bucket ${name}? It must be empty.`)) return;
      try {
        await s3('DELETE', name);
        status(`Deleted bucket ${name}`);
        await render(true);
      } catch (err) { status(err.message, true); }
    }));
  }
}

$('create-bucket').addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = $('bucket-name').value.trim();
  try {
    await s3('PUT', name);
    $('bucket-name').value = '';
    status(`Created bucket ${name}`);
    await render(true);
  } catch (err) { status(err.message, true); }
});

// ---- objects ----

function crumbs(bucket, prefix) {
  const nav = $('crumbs');
  nav.replaceChildren(link('Buckets', '#/'), ' / ', link(bucket, folderHash(bucket, '')));
  let path = '';
  for (const part of prefix.split('/').filter(Boolean)) {
    path += `${part}/`;
    nav.append(' / ', link(part, folderHash(bucket, path)));
  }
}

async function showVersioning(bucket, live) {
  const state = field(await s3('GET', bucket, '', [['versioning', '']]), 'Status') || 'Off';
  if (!live()) return;
  $('versioning-state').textContent = state;
  const toggle = $('versioning-toggle');
  toggle.textContent = state === 'Enabled' ? 'Suspend versioning' : 'Enable versioning';
  toggle.onclick = async () => {
    const next = state === 'Enabled' ? 'Suspended' : 'Enabled';
    try {
      await s3('PUT', bucket, '', [['versioning', '']],
        `<VersioningConfiguration><Status>${next}</Status></VersioningConfiguration>`);
      status(`Versioning ${next.toLowerCase()}`);
      await render(true);
    } catch (err) { status(err.message, true); }
  };
}

async function showObjects(bucket, prefix, token) {
  const live = ticket();
  show('objects-view');
  crumbs(bucket, prefix);
  await showVersioning(bucket, live);
  const query = [['list-type', '2'], ['delimiter', '/'], ['prefix', prefix], ['max-keys', String(PAGE_SIZE)]];
  if (token) query.push(['continuation-token', token]);
  const xml = await s3('GET', bucket, '', query);
  if (!live()) return;
  const body = $('objects').tBodies[0];
  body.replaceChildren();
  for (const folder of texts(xml, 'CommonPrefixes > Prefix')) {
    const row = body.insertRow();
    cell(row, link(`${folder.slice(prefix.length)}`, folderHash(bucket, folder)));
    cell(row, 'folder');
    cell(row, '');
    cell(row, '');
  }
  for (const object of xml.querySelectorAll('Contents')) {
    const key = field(object, 'Key');
    const row = body.insertRow();
    const name = key.slice(prefix.length);
    cell(row, link(name, objectHash(bucket, key)));
    cell(row, size(field(object, 'Size'))).className = 'size';
    cell(row, new Date(field(object, 'LastModified')).toLocaleString());
    const actions = cell(row, button('Download', `Download ${name}`, () => download(bucket, key)));
    actions.append(' ', button('Delete', `Delete ${name}`, async () => {
      if (!confirm(`Delete ${key}?`)) return;
      try {
        await s3('DELETE', bucket, key);
        status(`Deleted ${key}`);
        await render(true);
      } catch (err) { status(err.message, true); }
    }));
  }
  next = field(xml, 'IsTruncated') === 'true' ? field(xml, 'NextContinuationToken') : null;
  $('next-page').hidden = !next;
  if (!body.rows.length) {
    const empty = body.insertRow().insertCell();
    empty.colSpan = 4;
    empty.textContent = 'This folder is empty.';
  }
}

$('next-page').addEventListener('click', async () => {
  const where = route();
  if (!where || !next) return;
  try { await showObjects(where.bucket, where.prefix, next); } catch (err) { status(err.message, true); }
});

async function download(bucket, key, versionId = null) {
  const name = key.split('/').pop();
  const query = [['response-content-disposition', `attachment; filename="${name.replace(/"/g, '')}"`]];
  if (versionId) query.push(['versionId', versionId]);
  const a = link(name, await presign('GET', bucket, key, query));
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
}

// ---- one object: metadata, tags, versions ----

/** The response headers shown as metadata, by their label. */
const META = [
  ['Size', 'content-length'], ['Type', 'content-type'], ['ETag', 'etag'], ['Last modified', 'last-modified'],
  ['Version', 'x-amz-version-id'], ['Storage class', 'x-amz-storage-class'],
  ['Encryption', 'x-amz-server-side-encryption'], ['KMS key', 'x-amz-server-side-encryption-aws-kms-key-id'],
  ['Lock mode', 'x-amz-object-lock-mode'], ['Retain until', 'x-amz-object-lock-retain-until-date'],
  ['Legal hold', 'x-amz-object-lock-legal-hold'], ['Checksum type', 'x-amz-checksum-type'],
];

async function showObject(bucket, key) {
  const live = ticket();
  show('object-view');
  const nav = $('object-crumbs');
  const folder = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
  nav.replaceChildren(link('Buckets', '#/'), ' / ', link(bucket, folderHash(bucket, '')));
  if (folder) nav.append(' / ', link(folder, folderHash(bucket, folder)));
  nav.append(' / ', key.slice(folder.length));
  const head = await fetch(await presign('HEAD', bucket, key), { method: 'HEAD' });
  if (!head.ok) throw new Error(`HTTP ${head.status}`);
  if (!live()) return;
  const meta = $('meta');
  meta.replaceChildren();
  const rows = META.map(([label, name]) => [label, head.headers.get(name)]);
  for (const [name, value] of head.headers) {
    if (name.startsWith('x-amz-meta-')) rows.push([name.slice('x-amz-meta-'.length), value]);
  }
  for (const [label, value] of rows.filter(([, v]) => v !== null)) {
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.textContent = label === 'Size' ? size(value) : value;
    meta.append(dt, dd);
  }
  $('object-download').onclick = () => download(bucket, key);
  const tags = await s3('GET', bucket, key, [['tagging', '']]);
  if (!live()) return;
  $('tags').value = [...tags.querySelectorAll('Tag')].map((t) => `${field(t, 'Key')}=${field(t, 'Value')}`).join('\n');
  $('tags-form').onsubmit = (event) => { event.preventDefault(); saveTags(bucket, key); };
  await showVersions(bucket, key, live);
}

const escapeXml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

async function saveTags(bucket, key) {
  const tags = $('tags').value.split('\n').map((l) => l.trim()).filter(Boolean).map((line) => {
    const at = line.indexOf('=');
    return at < 0 ? [line, ''] : [line.slice(0, at), line.slice(at + 1)];
  });
  const body = `<Tagging><TagSet>${tags.map(([k, v]) => `<Tag><Key>${escapeXml(k)}</Key><Value>${escapeXml(v)}</Value></Tag>`).join('')}</TagSet></Tagging>`;
  try {
    await s3('PUT', bucket, key, [['tagging', '']], body);
    status(`Saved ${tags.length} tags`);
  } catch (err) { status(err.message, true); }
}

async function showVersions(bucket, key, live) {
  const xml = await s3('GET', bucket, '', [['versions', ''], ['prefix', key]]);
  if (!live()) return;
  const body = $('versions').tBodies[0];
  body.replaceChildren();
  const versions = [...xml.querySelectorAll('Version, DeleteMarker')].filter((v) => field(v, 'Key') === key);
  for (const v of versions) {
    const id = field(v, 'VersionId');
    const marker = v.tagName === 'DeleteMarker';
    const row = body.insertRow();
    cell(row, `${id}${field(v, 'IsLatest') === 'true' ? ' (latest)' : ''}${marker ? ' delete marker' : ''}`);
    cell(row, marker ? '' : size(field(v, 'Size'))).className = 'size';
    cell(row, new Date(field(v, 'LastModified')).toLocaleString());
    const actions = cell(row, '');
    if (!marker) actions.append(button('Download', `Download version ${id}`, () => download(bucket, key, id)), ' ');
    if (!marker && field(v, 'IsLatest') !== 'true') {
      actions.append(button('Restore', `Restore version ${id}`, async () => {
        // A copy of the old version becomes the newest one.
        const source = `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}?versionId=${encodeURIComponent(id)}`;
        try {
          await s3('PUT', bucket, key, [], undefined, [['x-amz-copy-source', source]]);
          status(`Restored version ${id}`);
          await render(true);
        } catch (err) { status(err.message, true); }
      }), ' ');
    }
    actions.append(button('Delete', `Delete version ${id}`, async () => {
      if (!confirm(`Delete version ${id} of ${key} for good?`)) return;
      try {
        await s3('DELETE', bucket, key, [['versionId', id]]);
        status(`Deleted version ${id}`);
        await render(true);
      } catch (err) { status(err.message, true); }
    }));
  }
}

// ---- uploads: a progress bar and a cancel button per file; files above PART go in parts ----

const PART = 16 * 1024 * 1024;

/** Sends `body` with an XHR (for its upload progress); resolves with the finished XHR. */
function send(method, url, body, onProgress, track) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    track(xhr);
    xhr.upload.addEventListener('progress', (event) => onProgress(event.loaded));
    xhr.addEventListener('load', () => {
      if (xhr.status === 200) resolve(xhr); else reject(new Error(`HTTP ${xhr.status}`));
    });
    xhr.addEventListener('error', () => reject(new Error('network error')));
    xhr.addEventListener('abort', () => reject(new Error('cancelled')));
    xhr.open(method, url);
    xhr.send(body);
  });
}

async function putWhole(bucket, key, file, onProgress, track) {
  await send('PUT', await presign('PUT', bucket, key), file, onProgress, track);
}

/** A multipart upload, part after part; aborted if any step fails or is cancelled. */
async function putInParts(bucket, key, file, onProgress, track) {
  const uploadId = field(await s3('POST', bucket, key, [['uploads', '']]), 'UploadId');
  const parts = [];
  try {
    for (let number = 1, start = 0; start < file.size; number += 1, start += PART) {
      const part = file.slice(start, Math.min(start + PART, file.size));
      const url = await presign('PUT', bucket, key, [['partNumber', String(number)], ['uploadId', uploadId]]);
      const xhr = await send('PUT', url, part, (loaded) => onProgress(start + loaded), track);
      parts.push(`<Part><PartNumber>${number}</PartNumber><ETag>${escapeXml(xhr.getResponseHeader('ETag') || '')}</ETag></Part>`);
    }
    await s3('POST', bucket, key, [['uploadId', uploadId]],
      `<CompleteMultipartUpload>${parts.join('')}</CompleteMultipartUpload>`);
  } catch (err) {
    await s3('DELETE', bucket, key, [['uploadId', uploadId]]).catch(() => {});
    throw err;
  }
}

function upload(bucket, key, file) {
  const item = document.createElement('li');
  const label = document.createElement('span');
  label.textContent = key;
  const bar = document.createElement('progress');
  bar.max = file.size || 1;
  bar.value = 0;
  bar.setAttribute('aria-label', `Upload of ${key}`);
  const state = document.createElement('span');
  state.textContent = '0 %';
  let current = null;
  let cancelled = false;
  const cancel = button('Cancel', `Cancel upload of ${key}`, () => { cancelled = true; current?.abort(); });
  item.append(label, bar, state, cancel);
  $('uploads').append(item);
  const onProgress = (loaded) => {
    bar.value = loaded;
    state.textContent = `${Math.floor((100 * loaded) / (file.size || 1))} %`;
  };
  const track = (xhr) => { current = xhr; if (cancelled) xhr.abort(); };
  const put = file.size > PART ? putInParts : putWhole;
  const finish = (text, ok) => { state.textContent = text; cancel.remove(); return ok; };
  return put(bucket, key, file, onProgress, track).then(
    () => { bar.value = bar.max; return finish('done', true); },
    (err) => finish(cancelled ? 'cancelled' : `failed: ${err.message}`, false),
  );
}

async function uploadAll(files) {
  const where = route();
  if (!where) return;
  const results = await Promise.all(
    files.map(({ file, path }) => upload(where.bucket, where.prefix + path, file)),
  );
  status(`${results.filter(Boolean).length} of ${results.length} uploaded`);
  // Only if the folder uploaded to is still on screen.
  const now = route();
  if (now && now.bucket === where.bucket && now.prefix === where.prefix) await render(true);
}

const picked = (input) => [...input.files].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
$('files').addEventListener('change', () => uploadAll(picked($('files'))));
$('folder').addEventListener('change', () => uploadAll(picked($('folder'))));

/** Every file under a dropped entry, with its path relative to the drop. */
async function entries(entry, path = '') {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    return [{ file, path: path + entry.name }];
  }
  const reader = entry.createReader();
  const children = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    children.push(...batch);
  }
  const nested = await Promise.all(children.map((c) => entries(c, `${path}${entry.name}/`)));
  return nested.flat();
}

const drop = $('drop');
drop.addEventListener('dragover', (event) => { event.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', async (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  const items = [...event.dataTransfer.items].map((i) => i.webkitGetAsEntry()).filter(Boolean);
  const files = (await Promise.all(items.map((e) => entries(e)))).flat();
  await uploadAll(files);
});

// ---- session ----

function signedIn(session) {
  csrf = session.csrf;
  $('who-key').textContent = `Signed in as ${session.accessKey}`;
  $('who').hidden = false;
}

$('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    signedIn(await api('session', 'POST', {
      accessKey: $('access-key').value.trim(),
      secretKey: $('secret-key').value,
    }));
    $('secret-key').value = '';
    await render();
  } catch (err) {
    status(err.message, true);
  }
});

$('sign-out').addEventListener('click', async () => {
  try { await api('session', 'DELETE'); } catch (err) { /* signed out either way */ }
  csrf = '';
  $('who').hidden = true;
  show('sign-in-view');
  status('Signed out');
});

window.addEventListener('hashchange', () => { if (csrf) render(); });

(async () => {
  try {
    signedIn(await api('session', 'GET'));
    await render();
  } catch (err) {
    show('sign-in-view');
    $('access-key').focus();
  }
})();
