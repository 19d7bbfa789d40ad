// Small DOM helpers shared by every view.

/** The element with this id; typed loosely: each view knows what its elements are.
 * @param {string} id @returns {any} */
export const $ = (id) => document.getElementById(id);

/** Shows `message` in the status line (announced to screen readers). */
export function status(message, isError = false) {
  $('status').textContent = message;
  $('status').classList.toggle('error', isError);
}

/** Runs `action`, showing its error in the status line instead of throwing. */
export async function attempt(action) {
  try {
    return await action();
  } catch (err) {
    status(err.message, true);
    return undefined;
  }
}

export function size(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = Number(bytes);
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) { n /= 1024; unit += 1; }
  return `${unit ? n.toFixed(1) : n} ${units[unit]}`;
}

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'text') node.textContent = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

export function cell(row, content) {
  const td = row.insertCell();
  if (content instanceof Node) td.append(content); else td.textContent = content;
  return td;
}

export const link = (text, href) => el('a', { href, text });

export function button(text, label, onClick) {
  return el('button', { type: 'button', text, 'aria-label': label, onclick: onClick });
}

/** A row of `cells` appended to the body of table `id`. */
export function row(id, ...cells) {
  const tr = $(id).tBodies[0].insertRow();
  for (const content of cells) cell(tr, content);
  return tr;
}

/** Empties the body of table `id`, or fills it with one `empty` line. */
export function clearTable(id) {
  $(id).tBodies[0].replaceChildren();
}

export function emptyNote(id, text) {
  const body = $(id).tBodies[0];
  if (body.rows.length) return;
  const td = body.insertRow().insertCell();
  td.colSpan = $(id).tHead.rows[0].cells.length;
  td.textContent = text;
}

export const escapeXml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** `key=value` lines as pairs; a line without `=` is a key with an empty value. */
export function parsePairs(text) {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((line) => {
    const at = line.indexOf('=');
    return at < 0 ? [line, ''] : [line.slice(0, at), line.slice(at + 1)];
  });
}

/** A `<Tagging>` document of `pairs`. */
export function taggingXml(pairs) {
  const tags = pairs.map(([k, v]) => `<Tag><Key>${escapeXml(k)}</Key><Value>${escapeXml(v)}</Value></Tag>`);
  return `<Tagging><TagSet>${tags.join('')}</TagSet></Tagging>`;
}

export const views = ['sign-in-view', 'buckets-view', 'objects-view', 'object-view', 'settings-view',
  'iam-view', 'principal-view', 'dashboard-view'];

export function show(view) {
  for (const id of views) $(id).hidden = id !== view;
  const heading = $(view).querySelector('h2');
  document.title = `${heading?.textContent.trim() || 'horreo'} · horreo console`;
}

const enc = encodeURIComponent;
export const folderHash = (bucket, prefix) => `#/b/${enc(bucket)}/${enc(prefix)}`;
export const objectHash = (bucket, key) => `#/o/${enc(bucket)}/${enc(key)}`;
export const settingsHash = (bucket) => `#/s/${enc(bucket)}`;
export const principalHash = (kind, name) => `#/iam/${kind}/${enc(name)}`;

/** A table with column `headers` and `rows` (arrays of text or nodes); `empty` when none. */
export function table(id, label, headers, rows, empty) {
  const head = el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { scope: 'col' }, h || el('span', { class: 'sr-only', text: 'Actions' })))));
  const t = el('table', { id, 'aria-label': label }, head, el('tbody'));
  for (const cells of rows) {
    const tr = t.tBodies[0].insertRow();
    for (const content of cells) cell(tr, content);
  }
  if (!rows.length) {
    const td = t.tBodies[0].insertRow().insertCell();
    td.colSpan = headers.length;
    td.textContent = empty;
  }
  return t;
}

/** A form of labelled `fields` ([id, label, element]) and a submit button. */
export function form(submit, fields, onSubmit) {
  const f = el('form', { class: 'stack' });
  for (const [id, label, input] of fields) {
    input.id = id;
    f.append(el('label', { for: id, text: label }), input);
  }
  f.append(el('button', { type: 'submit', text: submit }));
  f.addEventListener('submit', (event) => { event.preventDefault(); onSubmit(f); });
  return f;
}

export const fragment = (...children) => { const f = document.createDocumentFragment(); f.append(...children); return f; };
