// One qualitative palette for methods and series across all labs (Okabe & Ito, colour-blind safe); the same method
// keeps its colour in every plot. The values live in paperlab.css as custom properties (with lighter variants in
// dark mode); this module reads them, so a plot drawn on a canvas matches the CSS.
//
//   clean       grey            --c-clean
//   attack/PGD  text colour     --c-pgd
//   IBP         blue            --c-ibp
//   CROWN       orange          --c-crown
//   CROWN-IBP   reddish purple  --c-crownibp
//   verified / not verified (signed outcomes): bluish green --c-good / vermillion --c-bad
// Diverging scale (signed quantities): blue – neutral – red (ColorBrewer RdBu ends); sequential: viridis-like.

const NAMES = ['clean', 'pgd', 'ibp', 'crown', 'crownibp', 'good', 'bad', 'fg', 'fg2', 'bg', 'bg2', 'grid', 'accent'];

/** Current colours, read from CSS custom properties (they change with prefers-color-scheme). */
export function colors() {
  const cs = getComputedStyle(document.documentElement);
  const out = {};
  for (const n of NAMES) out[n] = cs.getPropertyValue(`--c-${n}`).trim() || '#888';
  return out;
}

/** Colour key of a verification method id ('ibp' | 'crown' | 'crown-ibp'). */
export function methodKey(method) {
  return { ibp: 'ibp', crown: 'crown', 'crown-ibp': 'crownibp' }[method] || 'fg';
}

/** Call `f` when the colour scheme changes. Returns an unsubscribe function. */
export function onSchemeChange(f) {
  const mq = matchMedia('(prefers-color-scheme: dark)');
  mq.addEventListener('change', f);
  return () => mq.removeEventListener('change', f);
}

/** Diverging colour for t in [-1, 1] (blue for negative, red for positive), as [r, g, b]. */
export function diverging(t, dark = false) {
  const neg = [33, 102, 172];
  const pos = [178, 24, 43];
  const mid = dark ? [24, 26, 31] : [247, 247, 247];
  const c = t < 0 ? neg : pos;
  const a = Math.min(1, Math.abs(t));
  return [0, 1, 2].map((i) => Math.round(mid[i] + (c[i] - mid[i]) * a));
}
