// horreo's web console: routing between views, sign-in and sign-out.
//
// Routes (the part after #): / buckets; /b/BUCKET/PREFIX a folder; /o/BUCKET/KEY an
// object; /s/BUCKET a bucket's settings; /iam users, groups and policies;
// /iam/user/NAME and /iam/group/NAME one of them; /dashboard the metrics.

import { api, setCsrf, signedIn } from './api.js';
import { $, show, status } from './dom.js';
import { showBuckets } from './buckets.js';
import { showObjects } from './objects.js';
import { showObject } from './object.js';
import { showSettings } from './settings.js';
import { showIam, showPrincipal } from './iam.js';
import { showDashboard, stopDashboard } from './dashboard.js';
import './uploads.js';

let rendering = 0; // counts renderings: one that a newer one overtook stops

/** A check that stays true while no newer rendering has started. */
export function ticket() {
  const mine = ++rendering;
  return () => mine === rendering;
}

/** The route on screen: its name and decoded parts. */
export function route() {
  const parts = location.hash.slice(1).split('/').slice(1);
  const [name = '', first = '', ...rest] = parts;
  const decode = (s) => decodeURIComponent(s);
  return { name, first: decode(first), rest: decode(rest.join('/')) };
}

export async function render(keepStatus = false) {
  if (!keepStatus) status('');
  stopDashboard();
  const live = ticket();
  const where = route();
  try {
    if (where.name === 'b') await showObjects(where.first, where.rest, live);
    else if (where.name === 'o') await showObject(where.first, where.rest, live);
    else if (where.name === 's') await showSettings(where.first, live);
    else if (where.name === 'iam' && where.first) await showPrincipal(where.first, where.rest, live);
    else if (where.name === 'iam') await showIam(live);
    else if (where.name === 'dashboard') await showDashboard(live);
    else await showBuckets(live);
  } catch (err) {
    if (live()) status(err.message, true);
  }
}

function enter(session) {
  setCsrf(session.csrf);
  $('who-key').textContent = `Signed in as ${session.accessKey}`;
  $('who').hidden = false;
  $('nav').hidden = false;
}

$('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    enter(await api('session', 'POST', {
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
  try { await api('session', 'DELETE'); } catch { /* signed out either way */ }
  stopDashboard();
  setCsrf('');
  $('who').hidden = true;
  $('nav').hidden = true;
  show('sign-in-view');
  status('Signed out');
});

window.addEventListener('hashchange', () => { if (signedIn()) render(); });

(async () => {
  try {
    enter(await api('session'));
    await render();
  } catch {
    show('sign-in-view');
    $('access-key').focus();
  }
})();
