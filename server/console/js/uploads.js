// Uploads into the folder on screen: files and folders, chosen or dropped; a
// progress bar and a cancel button per file; files above PART go up in parts.

import { crc32, presign, s3, field } from './api.js';
import { $, button, el, escapeXml, status } from './dom.js';
import { render, route } from './main.js';
import { onScreen } from './objects.js';

const PART = 16 * 1024 * 1024;

/** Sends `body` with an XHR (for its upload progress); resolves with the finished
 * XHR. `track` is handed the XHR first (to abort it later) and says whether to send
 * it at all: an upload cancelled between two requests sends nothing more. */
function send(method, url, body, onProgress, track, headers = []) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    if (!track(xhr)) {
      reject(new Error('cancelled'));
      return;
    }
    xhr.upload.addEventListener('progress', (event) => onProgress(event.loaded));
    xhr.addEventListener('load', () => {
      if (xhr.status === 200) resolve(xhr); else reject(new Error(`HTTP ${xhr.status}`));
    });
    xhr.addEventListener('error', () => reject(new Error('network error')));
    xhr.addEventListener('abort', () => reject(new Error('cancelled')));
    xhr.open(method, url);
    for (const [name, value] of headers) xhr.setRequestHeader(name, value);
    xhr.send(body);
  });
}

/** A single PUT with the file's CRC32, which a bucket with default retention
 * requires (as AWS: a write that locks must prove its integrity). */
async function putWhole(bucket, key, file, onProgress, track) {
  const headers = [['x-amz-checksum-crc32', crc32(new Uint8Array(await file.arrayBuffer()))]];
  await send('PUT', await presign('PUT', bucket, key, [], headers), file, onProgress, track, headers);
}

/** A multipart upload, part after part, each with its CRC32 (as for a single PUT);
 * aborted if any step fails or is cancelled. */
async function putInParts(bucket, key, file, onProgress, track) {
  const algorithm = [['x-amz-checksum-algorithm', 'CRC32']];
  const created = await s3('POST', bucket, key, [['uploads', '']], undefined, algorithm);
  const uploadId = field(created, 'UploadId');
  const parts = [];
  try {
    for (let number = 1, start = 0; start < file.size; number += 1, start += PART) {
      const part = file.slice(start, Math.min(start + PART, file.size));
      const checksum = crc32(new Uint8Array(await part.arrayBuffer()));
      const headers = [['x-amz-checksum-crc32', checksum]];
      const url = await presign('PUT', bucket, key, [['partNumber', String(number)], ['uploadId', uploadId]], headers);
      const xhr = await send('PUT', url, part, (loaded) => onProgress(start + loaded), track, headers);
      const etag = escapeXml(xhr.getResponseHeader('ETag') || '');
      parts.push(`<Part><PartNumber>${number}</PartNumber><ETag>${etag}</ETag><ChecksumCRC32>${checksum}</ChecksumCRC32></Part>`);
    }
    await s3('POST', bucket, key, [['uploadId', uploadId]],
      `<CompleteMultipartUpload>${parts.join('')}</CompleteMultipartUpload>`);
  } catch (err) {
    await s3('DELETE', bucket, key, [['uploadId', uploadId]]).catch(() => {});
    throw err;
  }
}

function upload(bucket, key, file) {
  const bar = el('progress', { max: String(file.size || 1), value: '0', 'aria-label': `Upload of ${key}` });
  const state = el('span', { text: '0 %' });
  let current = null;
  let cancelled = false;
  const cancel = button('Cancel', `Cancel upload of ${key}`, () => { cancelled = true; current?.abort(); });
  $('uploads').append(el('li', {}, el('span', { text: key }), bar, state, cancel));
  const onProgress = (loaded) => {
    bar.value = loaded;
    state.textContent = `${Math.floor((100 * loaded) / (file.size || 1))} %`;
  };
  const track = (xhr) => { current = xhr; return !cancelled; };
  const put = file.size > PART ? putInParts : putWhole;
  const finish = (text, ok) => { state.textContent = text; cancel.remove(); return ok; };
  return put(bucket, key, file, onProgress, track).then(
    () => { bar.value = bar.max; return finish('done', true); },
    (err) => finish(cancelled ? 'cancelled' : `failed: ${err.message}`, false),
  );
}

async function uploadAll(files) {
  const where = route();
  if (where.name !== 'b') return;
  const [bucket, prefix] = [where.first, where.rest];
  const results = await Promise.all(files.map(({ file, path }) => upload(bucket, prefix + path, file)));
  status(`${results.filter(Boolean).length} of ${results.length} uploaded`);
  if (onScreen(bucket, prefix)) await render(true);
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
  const transfer = event.dataTransfer;
  // Folders come as entries; a drop without them (no file system access) as files.
  const roots = [...transfer.items].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
  const files = roots.length
    ? (await Promise.all(roots.map((e) => entries(e)))).flat()
    : [...transfer.files].map((file) => ({ file, path: file.name }));
  await uploadAll(files);
});
// The drop zone opens the file chooser from the keyboard.
drop.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); $('files').click(); }
});
