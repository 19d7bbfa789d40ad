// A bucket's settings. Versioning, default encryption and tags are forms; the
// other configurations are edited as the document the S3 API takes (the policy as
// JSON, the rest as XML), and the server's own validation error is shown beside
// the editor when it refuses one.

import { s3, s3Text, field } from './api.js';
import { render } from './main.js';
import { $, button, el, folderHash, link, parsePairs, show, status, taggingXml } from './dom.js';

/** The configurations edited as documents: their sub-resource, the errors that
 * mean "not set", and an example to start from. */
const DOCUMENTS = [
  {
    query: 'policy', title: 'Bucket policy', json: true, notSet: ['NoSuchBucketPolicy'],
    example: (b) => JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'DenyBucketDeletion', Effect: 'Deny', Principal: '*', Action: 's3:DeleteBucket', Resource: `arn:aws:s3:::${b}` }],
    }, null, 2),
  },
  {
    query: 'cors', title: 'CORS', notSet: ['NoSuchCORSConfiguration'],
    example: () => '<CORSConfiguration>\n  <CORSRule>\n    <AllowedOrigin>https://example.com</AllowedOrigin>\n    <AllowedMethod>GET</AllowedMethod>\n    <AllowedHeader>*</AllowedHeader>\n    <MaxAgeSeconds>3000</MaxAgeSeconds>\n  </CORSRule>\n</CORSConfiguration>',
  },
  {
    query: 'lifecycle', title: 'Lifecycle', notSet: ['NoSuchLifecycleConfiguration'],
    example: () => '<LifecycleConfiguration>\n  <Rule>\n    <ID>expire-logs</ID>\n    <Filter><Prefix>logs/</Prefix></Filter>\n    <Status>Enabled</Status>\n    <Expiration><Days>30</Days></Expiration>\n  </Rule>\n</LifecycleConfiguration>',
  },
  {
    query: 'website', title: 'Static website', notSet: ['NoSuchWebsiteConfiguration'],
    example: () => '<WebsiteConfiguration>\n  <IndexDocument><Suffix>index.html</Suffix></IndexDocument>\n  <ErrorDocument><Key>error.html</Key></ErrorDocument>\n</WebsiteConfiguration>',
  },
  {
    query: 'notification', title: 'Event notifications', notSet: [], keep: true,
    example: () => '<NotificationConfiguration>\n  <QueueConfiguration>\n    <Id>uploads</Id>\n    <Queue>arn:horreo:sqs:us-east-1:000000000000:DESTINATION</Queue>\n    <Event>s3:ObjectCreated:*</Event>\n  </QueueConfiguration>\n</NotificationConfiguration>',
  },
  {
    query: 'replication', title: 'Replication', notSet: ['ReplicationConfigurationNotFoundError'],
    example: (b) => `<ReplicationConfiguration>\n  <Role></Role>\n  <Rule>\n    <ID>copy-all</ID>\n    <Priority>1</Priority>\n    <Status>Enabled</Status>\n    <Filter><Prefix></Prefix></Filter>\n    <DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>\n    <Destination><Bucket>arn:aws:s3:::${b}-replica</Bucket></Destination>\n  </Rule>\n</ReplicationConfiguration>`,
  },
  {
    query: 'object-lock', title: 'Object lock', notSet: ['ObjectLockConfigurationNotFoundError'], keep: true,
    example: () => '<ObjectLockConfiguration>\n  <ObjectLockEnabled>Enabled</ObjectLockEnabled>\n  <Rule>\n    <DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention>\n  </Rule>\n</ObjectLockConfiguration>',
  },
];

/** XML on one line, laid out one element per line with indentation. */
function indent(xml) {
  let depth = 0;
  return xml.replace(/<\?xml[^>]*>\s*/, '').replace(/>\s*</g, '>\n<').split('\n').map((line) => {
    if (line.startsWith('</')) depth -= 1;
    const out = '  '.repeat(Math.max(depth, 0)) + line;
    if (/^<[^/!?][^>]*[^/]>$/.test(line) && !line.includes('</')) depth += 1;
    return out;
  }).join('\n');
}

/** A settings section: heading, form, and an error line of its own. */
function section(id, title, ...content) {
  const error = el('p', { class: 'error', role: 'alert', id: `${id}-error` });
  return el('section', { class: 'setting', 'aria-labelledby': `${id}-title` }, el('h3', { id: `${id}-title`, text: title }), ...content, error);
}

/** Runs `action` for a section: its error is shown in the section and the status line. */
async function saving(id, action) {
  $(`${id}-error`).textContent = '';
  try {
    await action();
  } catch (err) {
    $(`${id}-error`).textContent = err.message;
    status(err.message, true);
  }
}

export async function showSettings(bucket, live) {
  show('settings-view');
  $('settings-crumbs').replaceChildren(link('Buckets', '#/'), ' / ', link(bucket, folderHash(bucket, '')), ' / settings');
  const parts = await Promise.all([
    versioning(bucket), encryption(bucket), tags(bucket), ...DOCUMENTS.map((d) => documentEditor(bucket, d)),
  ]);
  if (!live()) return;
  $('settings').replaceChildren(...parts);
}

async function versioning(bucket) {
  const state = field(await s3('GET', bucket, '', [['versioning', '']]), 'Status') || 'Off';
  const next = state === 'Enabled' ? 'Suspended' : 'Enabled';
  const toggle = button(state === 'Enabled' ? 'Suspend versioning' : 'Enable versioning', '', () => saving('versioning', async () => {
    await s3('PUT', bucket, '', [['versioning', '']], `<VersioningConfiguration><Status>${next}</Status></VersioningConfiguration>`);
    status(`Versioning ${next.toLowerCase()}`);
    await render(true);
  }));
  toggle.removeAttribute('aria-label');
  return section('versioning', 'Versioning', el('p', { text: `Versioning: ${state}` }), toggle);
}

async function encryption(bucket) {
  const text = await s3Text(bucket, 'encryption', ['ServerSideEncryptionConfigurationNotFoundError']);
  const xml = text && new DOMParser().parseFromString(text, 'application/xml');
  const algorithm = xml ? field(xml, 'SSEAlgorithm') : '';
  const select = el('select', { id: 'encryption-algorithm' },
    el('option', { value: '', text: 'None' }), el('option', { value: 'AES256', text: 'SSE-S3 (AES256)' }),
    el('option', { value: 'aws:kms', text: 'SSE-KMS (aws:kms)' }));
  select.value = algorithm;
  const key = el('input', { id: 'encryption-key', value: xml ? field(xml, 'KMSMasterKeyID') : '' });
  const form = el('form', { class: 'stack' },
    el('label', { for: 'encryption-algorithm', text: 'Encryption type' }), select,
    el('label', { for: 'encryption-key', text: 'KMS key id (SSE-KMS only)' }), key,
    el('button', { type: 'submit', text: 'Save encryption' }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    saving('encryption', async () => {
      if (!select.value) {
        await s3('DELETE', bucket, '', [['encryption', '']]);
      } else {
        const kms = select.value === 'aws:kms' && key.value.trim() ? `<KMSMasterKeyID>${key.value.trim()}</KMSMasterKeyID>` : '';
        await s3('PUT', bucket, '', [['encryption', '']],
          `<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>${select.value}</SSEAlgorithm>${kms}</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`);
      }
      status(`Saved default encryption: ${select.selectedOptions[0].textContent}`);
    });
  });
  return section('encryption', 'Default encryption', form);
}

async function tags(bucket) {
  const text = await s3Text(bucket, 'tagging', ['NoSuchTagSet']);
  const xml = text && new DOMParser().parseFromString(text, 'application/xml');
  const area = el('textarea', { id: 'bucket-tags', rows: '3' });
  area.value = xml ? [...xml.querySelectorAll('Tag')].map((t) => `${field(t, 'Key')}=${field(t, 'Value')}`).join('\n') : '';
  const form = el('form', { class: 'stack' }, el('label', { for: 'bucket-tags', text: 'Bucket tags, one key=value per line' }), area,
    el('button', { type: 'submit', text: 'Save bucket tags' }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    saving('bucket-tags', async () => {
      const pairs = parsePairs(area.value);
      if (pairs.length) await s3('PUT', bucket, '', [['tagging', '']], taggingXml(pairs));
      else await s3('DELETE', bucket, '', [['tagging', '']]);
      status(`Saved ${pairs.length} bucket tags`);
    });
  });
  return section('bucket-tags', 'Tags', form);
}

async function documentEditor(bucket, doc) {
  const id = `setting-${doc.query}`;
  const text = await s3Text(bucket, doc.query, doc.notSet);
  const area = el('textarea', { id: `${id}-text`, rows: '8', spellcheck: 'false', class: 'code' });
  area.value = text === null ? '' : doc.json ? text : indent(text);
  const kind = doc.json ? 'JSON' : 'XML';
  const state = el('p', { text: text === null || !text.trim() ? 'Not set.' : '' });
  const save = () => saving(id, async () => {
    const body = area.value.trim();
    if (doc.json) {
      try { JSON.parse(body); } catch (err) { throw new Error(`Not valid JSON: ${err.message}`); }
    }
    await s3('PUT', bucket, '', [[doc.query, '']], body);
    state.textContent = '';
    status(`Saved ${doc.title.toLowerCase()}`);
  });
  const remove = () => saving(id, async () => {
    await s3('DELETE', bucket, '', [[doc.query, '']]);
    area.value = '';
    state.textContent = 'Not set.';
    status(`Removed ${doc.title.toLowerCase()}`);
  });
  const form = el('form', { class: 'stack' }, el('label', { for: area.id, text: `${doc.title} (${kind})` }), area);
  form.addEventListener('submit', (event) => { event.preventDefault(); save(); });
  const actions = el('p', { class: 'actions' }, el('button', { type: 'submit', text: `Save ${doc.title.toLowerCase()}` }),
    button('Example', `Fill ${doc.title.toLowerCase()} with an example`, () => { area.value = doc.example(bucket); area.focus(); }));
  if (!doc.keep) actions.append(button('Remove', `Remove ${doc.title.toLowerCase()}`, () => remove()));
  form.append(actions);
  return section(id, doc.title, state, form);
}
