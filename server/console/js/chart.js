// A small line chart in SVG, drawn by hand: one series, its latest value and its
// maximum, with a text alternative for screen readers.

import { el } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
const [WIDTH, HEIGHT] = [320, 110];

const svg = (tag, attributes) => {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
};

/** A figure charting `values` (oldest first) titled `title`; `format` writes a value. */
export function lineChart(id, title, values, format) {
  const latest = values.length ? format(values[values.length - 1]) : 'collecting…';
  const max = Math.max(...values, 0);
  const top = max > 0 ? max * 1.1 : 1;
  const step = values.length > 1 ? WIDTH / (values.length - 1) : 0;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(HEIGHT - (v / top) * HEIGHT).toFixed(1)}`);
  const picture = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': `${title}: ${latest}`, class: 'chart' });
  picture.append(svg('line', { x1: 0, y1: HEIGHT - 0.5, x2: WIDTH, y2: HEIGHT - 0.5, class: 'axis' }));
  if (points.length > 1) picture.append(svg('polyline', { points: points.join(' '), class: 'series' }));
  const caption = el('figcaption', {}, el('span', { class: 'title', text: title }), ' ', el('strong', { id: `${id}-latest`, text: latest }));
  return el('figure', { id, class: 'chart-box' }, caption, picture, el('small', { text: `max ${format(max)}` }));
}
