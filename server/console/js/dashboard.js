// The dashboard: the server's own metrics (api/metrics, for the server's root user
// only), sampled every few seconds and charted as rates, with the disk usage of
// each bucket as the metrics export it.

import { api } from './api.js';
import { $, el, show, size, table } from './dom.js';
import { lineChart } from './chart.js';

const EVERY_MS = 2000;
const KEEP = 60;
let timer = null;
/** The samples charted: the time and metrics of each. */
let samples = [];

/** Prometheus text as [{ name, labels, value }]. */
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!match) continue;
    const labels = {};
    for (const [, name, value] of (match[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[name] = value.replace(/\\(.)/g, '$1');
    out.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return out;
}

/** @param {(labels: Record<string, string>) => boolean} [keep] */
const total = (metrics, name, keep = () => true) =>
  metrics.filter((m) => m.name === name && keep(m.labels)).reduce((sum, m) => sum + m.value, 0);

/** The requests' latency quantile `q` between two samples, from the histogram buckets, in seconds. */
function quantile(before, after, q) {
  const buckets = new Map();
  for (const [sign, metrics] of [[-1, before], [1, after]]) {
    for (const m of metrics) {
      if (m.name !== 'horreo_s3_request_duration_seconds_bucket') continue;
      buckets.set(m.labels.le, (buckets.get(m.labels.le) || 0) + sign * m.value);
    }
  }
  const sorted = [...buckets].map(([le, n]) => [Number(le), n]).sort((a, b) => a[0] - b[0]);
  const count = sorted.length ? sorted[sorted.length - 1][1] : 0;
  if (!count) return 0;
  const found = sorted.find(([, n]) => n >= q * count);
  return found && Number.isFinite(found[0]) ? found[0] : sorted[sorted.length - 2]?.[0] ?? 0;
}

/** One value per pair of consecutive samples. */
function series(compute) {
  const values = [];
  for (let i = 1; i < samples.length; i += 1) {
    const [a, b] = [samples[i - 1], samples[i]];
    values.push(compute(a.metrics, b.metrics, (b.at - a.at) / 1000));
  }
  return values;
}

const rate = (name, keep) => series((a, b, dt) => Math.max(0, total(b, name, keep) - total(a, name, keep)) / dt);
const perSecond = (v) => `${v.toFixed(v < 10 ? 2 : 0)}/s`;
const bytesPerSecond = (v) => `${size(Math.round(v))}/s`;
const millis = (v) => `${(v * 1000).toFixed(1)} ms`;
const isError = (labels) => Number(labels.status) >= 400;

function draw() {
  const latest = samples[samples.length - 1].metrics;
  const meanLatency = series((a, b) => {
    const n = total(b, 'horreo_s3_request_duration_seconds_count') - total(a, 'horreo_s3_request_duration_seconds_count');
    return n > 0 ? (total(b, 'horreo_s3_request_duration_seconds_sum') - total(a, 'horreo_s3_request_duration_seconds_sum')) / n : 0;
  });
  $('charts').replaceChildren(
    lineChart('chart-requests', 'Requests', rate('horreo_s3_requests_total'), perSecond),
    lineChart('chart-errors', 'Errors', rate('horreo_s3_requests_total', isError), perSecond),
    lineChart('chart-latency', 'Mean latency', meanLatency, millis),
    lineChart('chart-p95', '95th percentile latency', series((a, b) => quantile(a, b, 0.95)), millis),
    lineChart('chart-in', 'Bytes in', rate('horreo_s3_received_bytes_total'), bytesPerSecond),
    lineChart('chart-out', 'Bytes out', rate('horreo_s3_sent_bytes_total'), bytesPerSecond),
  );
  const disk = total(latest, 'horreo_data_disk_size_bytes');
  const free = total(latest, 'horreo_data_disk_available_bytes');
  $('disk').textContent = disk
    ? `Data disk: ${size(disk - free)} used of ${size(disk)} (${size(free)} free). In flight: ${total(latest, 'horreo_s3_requests_in_flight')}.`
    : '';
  const buckets = latest.filter((m) => m.name === 'horreo_bucket_bytes');
  const biggest = Math.max(1, ...buckets.map((m) => m.value));
  const rows = buckets.sort((a, b) => b.value - a.value).map((m) => [
    m.labels.bucket,
    String(total(latest, 'horreo_bucket_objects', (l) => l.bucket === m.labels.bucket)),
    size(m.value),
    el('meter', { min: '0', max: String(biggest), value: String(m.value), 'aria-label': `Share of ${m.labels.bucket}` }),
  ]);
  $('usage').replaceChildren(table('bucket-usage', 'Disk usage per bucket', ['Bucket', 'Objects', 'Bytes', 'Share'], rows, 'No buckets.'));
}

async function sample(live) {
  const text = await api('metrics');
  if (!live()) return;
  samples.push({ at: Date.now(), metrics: parseMetrics(text) });
  if (samples.length > KEEP) samples.shift();
  draw();
}

export async function showDashboard(live) {
  show('dashboard-view');
  samples = [];
  $('charts').replaceChildren();
  $('usage').replaceChildren();
  await sample(live);
  timer = setInterval(() => sample(live).catch((err) => { $('disk').textContent = err.message; }), EVERY_MS);
}

export function stopDashboard() {
  clearInterval(timer);
  timer = null;
}
