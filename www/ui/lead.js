// The main slider and the main plot together, for every lab (UI.md: "main plot and main slider first").
//
// The main control is the first control of the lab's settings (the first `.control` of its `.controls` group, which
// controlsFromSpec builds in spec order; a page may pass another one); the main panel is the first element of the
// main column and the main plot the first chart in it (`.plot`, `canvas` or `svg`, else the panel itself). On narrow
// screens (≤ 760 px) and embedded (`body.embed`), the main control moves into a lead box directly above the main
// panel, and back to its place when the screen widens or the lab leaves embed mode; paperlab.css puts the lead and
// the main panel before the other controls. Embedded, a bar below the main panel holds the "more controls" toggle
// (`body.embed-more` shows the other controls and the side column) and the "open the full lab" link.
// The elements are marked `data-main="control"`, `data-main="panel"`, `data-main="plot"` (the e2e layout test).
//
// It works on the DOM of any lab page (LabPage pages call it while mounting, the router calls it for the others
// once they have mounted) and is idempotent. `root.leadDispose()` removes its listeners.

import { h } from './controls.js';

/** The media query under which the main control sits above the main plot (matches paperlab.css). */
export const NARROW = '(max-width: 760px)';

/**
 * Sets up the lead layout in the lab `root`. `control`: the main control's element (default: the first control of
 * the settings group); `fullLink()`: the URL of the full lab (default: the embed bar's link). Returns the function
 * that re-places the control (call it when `body.embed` changes; a MutationObserver also does), or null when the
 * page has no controls group or no main column.
 */
export function leadLayout(root, { control, fullLink } = {}) {
  if (root.leadPlace) return root.leadPlace;
  const cols = root.querySelector('.col-main');
  const mainPanel = cols?.firstElementChild;
  const ctl = control || root.querySelector('.col-left .controls .control');
  if (!mainPanel || !ctl) return null;
  mainPanel.dataset.main = 'panel';
  const chart = mainPanel.querySelector('.plot, canvas, svg');
  if (chart) chart.dataset.main = 'plot';
  else mainPanel.dataset.main = 'plot';
  ctl.dataset.main = 'control';
  const home = document.createComment('main control');
  ctl.before(home);
  const lead = h('div', { class: 'lead' });
  const more = h('button', { type: 'button', class: 'more-toggle small', 'aria-expanded': 'false', 'data-testid': 'more-controls' }, 'more controls ▾');
  more.addEventListener('click', () => {
    const open = document.body.classList.toggle('embed-more');
    more.setAttribute('aria-expanded', String(open));
    more.textContent = open ? 'fewer controls ▴' : 'more controls ▾';
  });
  const full = h('a', { class: 'full-link', target: '_blank', rel: 'noopener' }, 'open the full lab ↗');
  mainPanel.before(lead);
  mainPanel.after(h('div', { class: 'embed-more-bar' }, more, ' · ', full));
  const mq = window.matchMedia(NARROW);
  const place = () => {
    const href = fullLink ? fullLink() : root.querySelector('.embed-bar a')?.href;
    if (href) full.href = href;
    const compact = mq.matches || document.body.classList.contains('embed');
    if (compact && ctl.parentNode !== lead) lead.append(ctl);
    else if (!compact && ctl.parentNode === lead) home.after(ctl);
    lead.hidden = !compact;
  };
  mq.addEventListener('change', place);
  const watch = new MutationObserver(place);
  watch.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  root.leadPlace = place;
  root.leadDispose = () => {
    mq.removeEventListener('change', place);
    watch.disconnect();
    document.body.classList.remove('embed-more');
    delete root.leadPlace;
    delete root.leadDispose;
  };
  place();
  return place;
}

/** Sets up `leadLayout(root)` as soon as the page's main column and controls are in `root` (for pages that do not
 *  call it themselves). Returns a function that stops watching and removes the layout's listeners. */
export function autoLead(root) {
  const tryNow = () => {
    if (root.leadPlace || !root.querySelector('.col-main > *') || !root.querySelector('.col-left .controls .control')) return;
    leadLayout(root);
  };
  const watch = new MutationObserver(tryNow);
  watch.observe(root, { childList: true, subtree: true });
  tryNow();
  return () => {
    watch.disconnect();
    root.leadDispose?.();
  };
}
