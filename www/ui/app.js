// The router: `#/` (or no hash) is the landing gallery, `#/<lab>?<settings>` mounts that lab.
//
// A lab module exports `mount(root, params)` returning `{ update(params), unmount() }`; `update` is called when
// only the settings in the hash change (the lab writes the hash itself with history.replaceState).
//
// Ready signal for tests and embedders: `document.body.dataset.ready` is "0" while a view loads and "1" once it has
// settled (the landing at once; a lab when the engine is up and its first results, or its error, are shown).
// `document.body.dataset.route` names the view.

import { parseHash } from './state.js';

const LABS = {
  verify: () => import('../labs/verify.js'),
  ucb: () => import('../labs/ucb.js'),
  lottery: () => import('../labs/lottery.js'),
  compressive: () => import('../labs/compressive.js'),
  onlstm: () => import('../labs/onlstm.js'),
};

const landing = document.getElementById('landing');
const labRoot = document.getElementById('lab');
const landingNote = document.getElementById('landing-note');
let current = null;
let routing = Promise.resolve();

async function show() {
  const { route, params } = parseHash(location.hash);
  if (current && current.route === route && current.lab) {
    current.lab.update(params);
    return;
  }
  if (current && current.lab) current.lab.unmount();
  current = null;
  document.body.dataset.ready = '0';
  document.body.dataset.route = route || 'landing';
  document.body.classList.remove('embed');
  if (!route || !LABS[route]) {
    labRoot.hidden = true;
    labRoot.replaceChildren();
    landing.hidden = false;
    document.title = 'Paperlab — ICLR-2019-era papers, live in your browser';
    if (route) {
      const known = [...document.querySelectorAll('[data-lab]')].some((el) => el.dataset.lab === route);
      landingNote.textContent = known
        ? `The "${route}" lab is coming; it is not live yet. Here are all labs.`
        : `There is no lab called "${route.slice(0, 40)}". Here are all labs.`;
      landingNote.hidden = false;
    } else {
      landingNote.hidden = true;
    }
    document.body.dataset.route = 'landing';
    document.body.dataset.ready = '1';
    return;
  }
  landing.hidden = true;
  labRoot.hidden = false;
  const entry = { route, lab: null };
  current = entry;
  try {
    const mod = await LABS[route]();
    if (current !== entry) return;
    entry.lab = await mod.mount(labRoot, params);
  } catch (e) {
    console.warn(e);
    labRoot.replaceChildren();
    const p = document.createElement('p');
    p.className = 'error';
    p.textContent = `This lab failed to start: ${e.message}. Reload the page; if it persists, try another browser.`;
    labRoot.append(p);
    document.body.dataset.ready = '1';
    document.body.dataset.status = 'error';
  }
}

function route() {
  routing = routing.then(show, show);
}

window.addEventListener('hashchange', route);
route();
