// One object: its metadata, checksums, tags and legal hold, and the versions and
// delete markers of its key.

import { presign, s3, field } from './api.js';
import { $, attempt, button, cell, clearTable, el, folderHash, link, parsePairs, show, size, status, taggingXml } from './dom.js';
import { render } from './main.js';
import { download } from './objects.js';

/** The response headers shown as metadata, by their label. */
const META = [
  ['Size', 'content-length'], ['Type', 'content-type'], ['ETag', 'etag'], ['Last modified', 'last-modified'],
  ['Version', 'x-amz-version-id'], ['Storage class', 'x-amz-storage-class'],
  ['Encryption', 'x-amz-server-side-encryption'], ['KMS key', 'x-amz-server-side-encryption-aws-kms-key-id'],
  ['Lock mode', 'x-amz-object-lock-mode'], ['Retain until', 'x-amz-object-lock-retain-until-date'],
  ['Legal hold', 'x-amz-object-lock-legal-hold'], ['Checksum type', 'x-amz-checksum-type'],
  ['CRC32', 'x-amz-checksum-crc32'], ['CRC32C', 'x-amz-checksum-crc32c'], ['CRC64NVME', 'x-amz-checksum-crc64nvme'],
  ['SHA1', 'x-amz-checksum-sha1'], ['SHA256', 'x-amz-checksum-sha256'],
];

export async function showObject(bucket, key, live) {
  show('object-view');
  const nav = $('object-crumbs');
  const folder = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
  nav.replaceChildren(link('Buckets', '#/'), ' / ', link(bucket, folderHash(bucket, '')));
  if (folder) nav.append(' / ', link(folder, folderHash(bucket, folder)));
  nav.append(' / ', key.slice(folder.length));
  const mode = [['x-amz-checksum-mode', 'ENABLED']];
  const head = await fetch(await presign('HEAD', bucket, key, [], mode), { method: 'HEAD', headers: Object.fromEntries(mode) });
  if (!live()) return;
  const meta = $('meta');
  meta.replaceChildren();
  if (head.ok) {
    const rows = META.map(([label, name]) => [label, head.headers.get(name)]);
    for (const [name, value] of head.headers) {
      if (name.startsWith('x-amz-meta-')) rows.push([name.slice('x-amz-meta-'.length), value]);
    }
    for (const [label, value] of rows.filter(([, v]) => v !== null)) {
      meta.append(el('dt', { text: label }), el('dd', { text: label === 'Size' ? size(value) : value }));
    }
  } else {
    meta.append(el('dt', { text: 'State' }), el('dd', { text: head.status === 404 ? 'deleted (a delete marker is the latest version)' : `HTTP ${head.status}` }));
  }
  $('object-download').onclick = () => attempt(() => download(bucket, key));
  $('object-delete-all').onclick = () => attempt(() => deleteAllVersions(bucket, key));
  $('tags').value = '';
  if (head.ok) {
    const tags = await s3('GET', bucket, key, [['tagging', '']]);
    if (!live()) return;
    $('tags').value = [...tags.querySelectorAll('Tag')].map((t) => `${field(t, 'Key')}=${field(t, 'Value')}`).join('\n');
  }
  $('tags-form').onsubmit = (event) => {
    event.preventDefault();
    attempt(async () => {
      const pairs = parsePairs($('tags').value);
      await s3('PUT', bucket, key, [['tagging', '']], taggingXml(pairs));
      status(`Saved ${pairs.length} tags`);
    });
  };
  await showLegalHold(bucket, key, head.ok, live);
  await showVersions(bucket, key, live);
}

async function showLegalHold(bucket, key, exists, live) {
  const section = $('legal-hold-section');
  let state = null;
  if (exists) {
    try {
      state = field(await s3('GET', bucket, key, [['legal-hold', '']]), 'Status') || 'OFF';
    } catch (err) {
      // Without object lock on the bucket there is no legal hold to edit.
      if (err.code === 'NoSuchObjectLockConfiguration') state = 'OFF';
      else if (err.code !== 'InvalidRequest') throw err;
    }
  }
  if (!live()) return;
  section.hidden = state === null;
  if (state === null) return;
  $('legal-hold-state').textContent = state;
  const toggle = $('legal-hold-toggle');
  const next = state === 'ON' ? 'OFF' : 'ON';
  toggle.textContent = state === 'ON' ? 'Remove legal hold' : 'Place legal hold';
  toggle.onclick = () => attempt(async () => {
    await s3('PUT', bucket, key, [['legal-hold', '']], `<LegalHold><Status>${next}</Status></LegalHold>`);
    status(`Legal hold ${next}`);
    await render(true);
  });
}

async function versionsOf(bucket, key) {
  const xml = await s3('GET', bucket, '', [['versions', ''], ['prefix', key]]);
  return [...xml.querySelectorAll('Version, DeleteMarker')].filter((v) => field(v, 'Key') === key);
}

async function deleteAllVersions(bucket, key) {
  if (!confirm(`Delete ${key} and every version of it for good?`)) return;
  const versions = await versionsOf(bucket, key);
  for (const v of versions) await s3('DELETE', bucket, key, [['versionId', field(v, 'VersionId')]]);
  history.pushState(null, '', folderHash(bucket, key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : ''));
  await render(true);
  status(`Deleted ${key} and its ${versions.length} versions`);
}

async function showVersions(bucket, key, live) {
  const versions = await versionsOf(bucket, key);
  if (!live()) return;
  clearTable('versions');
  const body = $('versions').tBodies[0];
  for (const v of versions) {
    const id = field(v, 'VersionId');
    const marker = v.tagName === 'DeleteMarker';
    const latest = field(v, 'IsLatest') === 'true';
    const row = body.insertRow();
    cell(row, `${id}${latest ? ' (latest)' : ''}${marker ? ' delete marker' : ''}`);
    cell(row, marker ? '' : size(field(v, 'Size'))).className = 'size';
    cell(row, new Date(field(v, 'LastModified')).toLocaleString());
    const actions = cell(row, '');
    if (!marker) actions.append(button('Download', `Download version ${id}`, () => attempt(() => download(bucket, key, id))), ' ');
    if (!marker && !latest) {
      actions.append(button('Restore', `Restore version ${id}`, () => attempt(async () => {
        // A copy of the old version becomes the newest one.
        const source = `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}?versionId=${encodeURIComponent(id)}`;
        await s3('PUT', bucket, key, [], undefined, [['x-amz-copy-source', source]]);
        status(`Restored version ${id}`);
        await render(true);
      })), ' ');
    }
    actions.append(button('Delete', `Delete version ${id}`, () => attempt(async () => {
      if (!confirm(`Delete version ${id} of ${key} for good?`)) return;
      await s3('DELETE', bucket, key, [['versionId', id]]);
      status(`Deleted version ${id}`);
      await render(true);
    })));
  }
}
