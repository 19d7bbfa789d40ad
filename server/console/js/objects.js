// One folder of a bucket: its subfolders and objects, a page at a time (a listing
// costs one page however many keys the bucket holds), with a filter by name.

import { presign, s3, field, texts } from './api.js';
import { $, attempt, button, cell, clearTable, emptyNote, folderHash, link, objectHash, settingsHash, show, size, status } from './dom.js';
import { render, route } from './main.js';

const PAGE_SIZE = 200;
/** The listing on screen: where it is, and the tokens of the pages before and after. */
const listing = { bucket: '', prefix: '', filter: '', tokens: [], next: null };

function crumbs(bucket, prefix) {
  const nav = $('crumbs');
  nav.replaceChildren(link('Buckets', '#/'), ' / ', link(bucket, folderHash(bucket, '')));
  let path = '';
  for (const part of prefix.split('/').filter(Boolean)) {
    path += `${part}/`;
    nav.append(' / ', link(part, folderHash(bucket, path)));
  }
}

export async function showObjects(bucket, prefix, live) {
  show('objects-view');
  crumbs(bucket, prefix);
  const settings = $('bucket-settings-link');
  settings.href = settingsHash(bucket);
  if (listing.bucket !== bucket || listing.prefix !== prefix) {
    Object.assign(listing, { bucket, prefix, filter: '', tokens: [], next: null });
    $('filter').value = '';
  }
  await showPage(live);
}

async function showPage(live = () => true) {
  const { bucket, prefix, filter, tokens } = listing;
  const query = [['list-type', '2'], ['delimiter', '/'], ['prefix', prefix + filter], ['max-keys', String(PAGE_SIZE)]];
  const token = tokens[tokens.length - 1];
  if (token) query.push(['continuation-token', token]);
  const xml = await s3('GET', bucket, '', query);
  if (!live()) return;
  clearTable('objects');
  const body = $('objects').tBodies[0];
  for (const folder of texts(xml, 'CommonPrefixes > Prefix')) {
    const row = body.insertRow();
    cell(row, link(folder.slice(prefix.length), folderHash(bucket, folder)));
    cell(row, 'folder');
    cell(row, '');
    cell(row, '');
  }
  for (const object of xml.querySelectorAll('Contents')) {
    const key = field(object, 'Key');
    const name = key.slice(prefix.length);
    const row = body.insertRow();
    cell(row, link(name, objectHash(bucket, key)));
    cell(row, size(field(object, 'Size'))).className = 'size';
    cell(row, new Date(field(object, 'LastModified')).toLocaleString());
    const actions = cell(row, button('Download', `Download ${name}`, () => attempt(() => download(bucket, key))));
    actions.append(' ', button('Delete', `Delete ${name}`, () => attempt(async () => {
      if (!confirm(`Delete ${key}?`)) return;
      await s3('DELETE', bucket, key);
      status(`Deleted ${key}`);
      await render(true);
    })));
  }
  listing.next = field(xml, 'IsTruncated') === 'true' ? field(xml, 'NextContinuationToken') : null;
  $('next-page').hidden = !listing.next;
  $('previous-page').hidden = tokens.length === 0;
  $('page-number').textContent = tokens.length || listing.next ? `Page ${tokens.length + 1}` : '';
  emptyNote('objects', filter ? 'Nothing here starts with that.' : 'This folder is empty.');
}

const turn = (change) => attempt(async () => {
  change();
  await showPage();
});

$('next-page').addEventListener('click', () => turn(() => listing.tokens.push(listing.next)));
$('previous-page').addEventListener('click', () => turn(() => listing.tokens.pop()));
$('filter-form').addEventListener('submit', (event) => {
  event.preventDefault();
  turn(() => { listing.filter = $('filter').value; listing.tokens = []; });
});

/** Has the browser download `key` (a version of it if `versionId`), under its own name. */
export async function download(bucket, key, versionId = null) {
  const name = key.split('/').pop();
  const query = [['response-content-disposition', `attachment; filename="${name.replace(/"/g, '')}"`]];
  if (versionId) query.push(['versionId', versionId]);
  const a = link(name, await presign('GET', bucket, key, query));
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
}

/** Whether the folder `bucket`/`prefix` is still on screen. */
export function onScreen(bucket, prefix) {
  const now = route();
  return now.name === 'b' && now.first === bucket && now.rest === prefix;
}
