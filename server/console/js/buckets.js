// The bucket list: create, open, configure and delete buckets.

import { s3, field } from './api.js';
import { $, attempt, button, clearTable, emptyNote, folderHash, link, row, settingsHash, show, status } from './dom.js';
import { render } from './main.js';

export async function showBuckets(live) {
  show('buckets-view');
  const xml = await s3('GET', '');
  if (!live()) return;
  clearTable('buckets');
  for (const bucket of xml.querySelectorAll('Bucket')) {
    const name = field(bucket, 'Name');
    const settings = link('Settings', settingsHash(name));
    settings.setAttribute('aria-label', `Settings of ${name}`);
    const actions = document.createDocumentFragment();
    actions.append(settings, ' ', button('Delete', `Delete bucket ${name}`, () => attempt(async () => {
      if (!confirm(`Delete the bucket ${name}? It must be empty.`)) return;
      await s3('DELETE', name);
      status(`Deleted bucket ${name}`);
      await render(true);
    })));
    row('buckets', link(name, folderHash(name, '')), new Date(field(bucket, 'CreationDate')).toLocaleString(), actions);
  }
  emptyNote('buckets', 'No buckets yet.');
}

$('create-bucket').addEventListener('submit', (event) => {
  event.preventDefault();
  const name = $('bucket-name').value.trim();
  const locked = $('bucket-lock').checked;
  attempt(async () => {
    await s3('PUT', name, '', [], undefined, locked ? [['x-amz-bucket-object-lock-enabled', 'true']] : []);
    $('bucket-name').value = '';
    $('bucket-lock').checked = false;
    status(`Created bucket ${name}`);
    await render(true);
  });
});
