// The console's requests. It holds no secret: the server signs each S3 and IAM
// request as the signed-in principal (api/presign, api/sign), and the page sends
// it to the S3 endpoint of its own origin, so every permission check is the
// endpoint's own.

const API = 'api/';
let csrf = '';

export const setCsrf = (token) => { csrf = token; };
export const signedIn = () => csrf !== '';

/** Calls the console's own API; resolves with its JSON (or text for metrics). */
export async function api(path, method = 'GET', body = undefined) {
  const response = await fetch(API + path, {
    method,
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-horreo-csrf': csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = response.headers.get('content-type') || '';
  const data = response.status === 204 ? {} : type.startsWith('application/json') ? await response.json() : await response.text();
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

/** A presigned URL for one S3 request; `query` and `headers` are lists of [name, value]
 * (the request must then carry those x-amz-* headers: they are signed). */
export async function presign(method, bucket, key = '', query = [], headers = []) {
  return (await api('presign', 'POST', { method, bucket, key, query, headers })).url;
}

const parse = (text) => new DOMParser().parseFromString(text || '<r/>', 'application/xml');

/** An error of S3 or IAM: "Code: Message", and the code alone. */
export class ServiceError extends Error {
  /** @param {string} message @param {string | undefined} code */
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** The error of a failed S3 or IAM response. */
async function failure(response) {
  const xml = parse(await response.text());
  const code = xml.querySelector('Code')?.textContent;
  return new ServiceError(code ? `${code}: ${xml.querySelector('Message')?.textContent ?? ''}` : `HTTP ${response.status}`, code);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** The base64 CRC32 of `bytes`, as `x-amz-checksum-crc32` carries it. */
export function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  c = (c ^ 0xffffffff) >>> 0;
  return btoa(String.fromCharCode(c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff));
}

/** One S3 request; resolves with the response's XML document. A text body goes with
 * its checksum, which some requests need (legal hold, object lock configuration). */
export async function s3(method, bucket, key = '', query = [], body = undefined, headers = []) {
  // Only for configuration PUTs: on CompleteMultipartUpload the header would be the
  // whole object's checksum.
  if (method === 'PUT' && typeof body === 'string') headers = [...headers, ['x-amz-checksum-crc32', crc32(new TextEncoder().encode(body))]];
  const url = await presign(method, bucket, key, query, headers);
  const response = await fetch(url, { method, body, headers: Object.fromEntries(headers) });
  if (!response.ok) throw await failure(response);
  return parse(await response.text());
}

/** The text of an S3 sub-resource (`?policy`, `?cors`), or null when it is not set. */
export async function s3Text(bucket, query, notSet) {
  const response = await fetch(await presign('GET', bucket, '', [[query, '']]));
  if (response.ok) return response.text();
  const err = await failure(response);
  if (notSet.includes(err.code)) return null;
  throw err;
}

/** One IAM action with `params`; resolves with the response's XML document. */
export async function iam(action, params = {}) {
  const form = new URLSearchParams({ Action: action, Version: '2010-05-08', ...params }).toString();
  const signed = await api('sign', 'POST', { service: 'iam', body: form });
  const response = await fetch('/', {
    method: 'POST',
    headers: {
      authorization: signed.authorization,
      'x-amz-date': signed.amzDate,
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    },
    body: form,
  });
  if (!response.ok) throw await failure(response);
  return parse(await response.text());
}

export const texts = (node, selector) => [...node.querySelectorAll(selector)].map((n) => n.textContent);
export const field = (node, name) => node.querySelector(name)?.textContent ?? '';
