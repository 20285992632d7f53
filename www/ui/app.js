// The router: `#/` (or no hash) is the landing gallery, `#/<lab>?<settings>` mounts that lab. The labs, their
// cards and their page modules come from the registry (www/labs/labs.json, read by registry.js); routes are matched
// case-insensitively.
//
// A lab module exports `mount(root, params)` returning `{ update(params), unmount() }`; `update` is called when
// only the settings in the hash change (the lab writes the hash itself with history.replaceState).
//
// Ready signal for tests and embedders: `document.body.dataset.ready` is "0" while a view loads and "1" once it has
// settled (the landing at once; a lab when the engine is up and its first results, or its error, are shown).
// `document.body.dataset.route` names the view.

import { parseHash } from './state.js';
import { h } from './controls.js';
import { loadRegistry, findLab, pageUrl, routable, listed } from './registry.js';
import { autoLead } from './lead.js';

const landing = document.getElementById('landing');
const gallery = document.getElementById('gallery');
const labRoot = document.getElementById('lab');
const landingNote = document.getElementById('landing-note');
let current = null;
let routing = Promise.resolve();

/** One gallery card; a live lab's card links to it, a coming one is a card only. */
function card(e) {
  const live = e.status === 'live';
  const body = [
    h('span', { class: 'status' }, live ? 'live' : 'coming'),
    h('h2', {}, e.title),
    h('p', { class: 'who' }, `${e.authors} · ${e.venue}`),
    h('p', {}, e.idea),
  ];
  return h('li', { class: `card${live ? ' live' : ''}`, 'data-lab': e.id },
    live ? h('a', { href: `#/${e.id}` }, ...body) : body);
}

function showLanding(note) {
  labRoot.hidden = true;
  labRoot.replaceChildren();
  landing.hidden = false;
  document.title = 'Paperlab — ICLR-2019-era papers, live in your browser';
  landingNote.textContent = note || '';
  landingNote.hidden = !note;
  document.body.dataset.route = 'landing';
  document.body.dataset.ready = '1';
}

async function show() {
  const { route, params } = parseHash(location.hash);
  let registry;
  try {
    registry = await loadRegistry();
  } catch (e) {
    showLanding(`The lab list could not be loaded: ${e.message}. Reload the page.`);
    document.body.dataset.status = 'error';
    return;
  }
  if (!gallery.childElementCount) gallery.replaceChildren(...listed(registry.labs).map(card));
  const entry = route ? findLab(registry.labs, route) : undefined;
  const id = entry?.id;
  if (current && current.route === id && current.lab) {
    current.lab.update(params);
    return;
  }
  current?.stopLead?.();
  if (current && current.lab) current.lab.unmount();
  current = null;
  document.body.dataset.ready = '0';
  document.body.dataset.route = id || 'landing';
  document.body.classList.remove('embed');
  if (!routable(entry)) {
    let note = '';
    if (entry) note = `The "${entry.id}" lab is coming; it is not live yet. Here are all labs.`;
    else if (route) note = `There is no lab called "${route.slice(0, 40)}". Here are all labs.`;
    showLanding(note);
    return;
  }
  landing.hidden = true;
  labRoot.hidden = false;
  const slot = { route: id, lab: null, stopLead: autoLead(labRoot) };
  current = slot;
  try {
    const mod = await import(pageUrl(entry));
    if (current !== slot) return;
    slot.lab = await mod.mount(labRoot, params, entry);
  } catch (e) {
    console.warn(e);
    // A failed dynamic import names only the page module, even when one of its imports is what failed (a
    // library missing from www/vendor/ after a build without `make vendor`, say).
    const imported = /dynamically imported module|importing a module script failed|error loading/i.test(String(e.message));
    labRoot.replaceChildren(h('p', { class: 'error' },
      `This lab failed to start: ${e.message}.${imported ? ' The page or a module it imports did not load (the browser console names the file; a site built without `make vendor` lacks www/vendor/).' : ''} Reload the page; if it persists, try another browser.`));
    document.body.dataset.ready = '1';
    document.body.dataset.status = 'error';
  }
}

// In a frame (the embed snippet, <paper-lab>): tell the host page when the lab is ready and which backend runs.
if (window.parent !== window) {
  new MutationObserver(() => {
    const b = document.body;
    if (b.dataset.ready !== '1') return;
    const badge = document.querySelector('[data-testid="backend"]');
    window.parent.postMessage({
      type: 'paperlab:ready', ready: true, status: b.dataset.status || 'ok', route: b.dataset.route,
      backend: badge?.dataset.backend || '', threads: Number(badge?.dataset.threads || 0),
    }, '*');
  }).observe(document.body, { attributes: true, attributeFilter: ['data-ready'] });
}

function route() {
  routing = routing.then(show, show);
}

window.addEventListener('hashchange', route);
route();
