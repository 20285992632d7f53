// The compressive page's DOM-free parts: the settings' values and labels, which shipped model a setting shows (and
// the notes when it has to show another), the recall setting's default text, seeds and loss-vs-distance bins, the
// fidelity table's rows and the export rows. tests/unit/compressive-data.test.mjs checks them; the page
// (www/labs/compressive.js) draws them.

export const DATA = [
  { value: 'text', label: 'natural text (Moby-Dick)' },
  { value: 'recall', label: 'long-range recall (key letter D characters back)' },
];
/** One line of the recall setting (src/labs/compressive/recall.rs): the key 8 times, D − 1 small letters, '=', the key. */
export const recallLine = (key, d, salt) => `${key.repeat(8)}${Array.from({ length: d - 1 }, (_, k) => String.fromCharCode(97 + ((k * 7 + salt * 11 + ((k * k) % 5)) % 26))).join('')}=${key}`;
/** The default text of the recall setting: three lines (D = 40, 250, 130), the last ending with its recall. */
export const RECALL_TEXT = [recallLine('M', 40, 1), recallLine('T', 250, 2), recallLine('Q', 130, 3)].join('\n');
/** The curves of the loss-vs-distance plot. */
export const DIST_MODELS = [
  { id: 'xl', color: 'fg2', dash: [6, 4] }, { id: 'conv-c1', color: 'bad' }, { id: 'conv-c2', color: 'crown' },
  { id: 'conv-c3', color: 'crownibp' }, { id: 'conv-c4', color: 'ibp' }, { id: 'conv-c8', color: 'good' },
];
export const distLabel = (id) => (id === 'xl' ? 'Transformer-XL' : `conv c = ${id.slice(6)}`);

export const RATES = [1, 2, 3, 4, 8];
export const FUNCS = [
  { value: 'conv', label: '1-D convolution (kernel = stride = c)', name: 'conv' },
  { value: 'max', label: 'max pooling', name: 'max pool' },
  { value: 'mean', label: 'mean pooling', name: 'mean pool' },
  { value: 'dilated', label: 'dilated convolution', name: 'dilated conv' },
  { value: 'most-used', label: 'most-used (keep the most-attended)', name: 'most-used' },
];
export const OTHER_FUNCS = ['max', 'mean', 'dilated', 'most-used'];
export const funcName = (f) => FUNCS.find((x) => x.value === f)?.name || f;
export const FUNC_COLORS = { max: 'crown', mean: 'good', dilated: 'crownibp', 'most-used': 'bad' };
/** The loss that trains f_c (the paper's ablation); only the recall setting's conv c = 4 is trained with each. */
export const LOSSES = [
  { value: 'attention', label: 'attention reconstruction (the paper’s)', name: 'attention reconstruction', suffix: '' },
  { value: 'autoencoder', label: 'lossless autoencoding', name: 'lossless autoencoding', suffix: '-ae' },
  { value: 'none', label: 'none (f_c stays at its start)', name: 'no loss', suffix: '-none' },
];
export const lossName = (l) => LOSSES.find((x) => x.value === l)?.name || l;

export const MAX_CHARS = 20000;
export const SAMPLE_CHARS = 400;
export const DEFAULT_TEXT = 'Call me Ishmael. Some years ago--never mind how long precisely--having little or no money in my '
  + 'purse, and nothing particular to interest me on shore, I thought I would sail about a little and see the watery '
  + 'part of the world. It is a way I have of driving off the spleen and regulating the circulation. Whenever I find '
  + 'myself growing grim about the mouth; whenever it is a damp, drizzly November in my soul; whenever I find myself '
  + 'involuntarily pausing before coffin warehouses, and bringing up the rear of every funeral I meet; then, I account '
  + 'it high time to get to sea as soon as I can. The whale, the whale, the white whale!';

/** The trained rate nearest to `c` among `rates` (a URL value that has no shipped model). */
export const snapRate = (c, rates = RATES) => rates.reduce((a, b) => (Math.abs(b - c) < Math.abs(a - c) ? b : a), rates[0] ?? 4);
/** A character for a message: invisible and direction-changing ones (controls, format characters such as U+202E,
 *  separators) as their code point, others quoted. */
export const showChar = (c) => (/[\p{C}\p{Z}]/u.test(c) && c !== ' '
  ? `U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}`
  : JSON.stringify(c));

/** Whether the f_c loss choice applies: the recall setting's convolution at c = 4. */
export const lossApplies = (v) => v.data === 'recall' && !v.xl && v.fn === 'conv' && v.c === 4;

/** The id of the shipped model a setting shows: xl, conv-c4, max-c4, conv-c4-ae, ... */
export function modelId(v) {
  if (v.xl) return 'xl';
  if (v.fn !== 'conv') return `${v.fn}-c4`;
  const loss = lossApplies(v) ? LOSSES.find((l) => l.value === v.loss)?.suffix ?? '' : '';
  return `conv-c${v.c}${loss}`;
}

/**
 * The settings a changed setting (`patch`, on top of `v`) leads to when only shipped models can be shown: moving c
 * or f_c leaves Transformer-XL; a rate other than 4 shows the convolution; another f_c is at c = 4; the f_c loss is a
 * choice of the recall setting's conv c = 4 only. Returns `{ patch, notes }`. `has(id, values)`: is the model
 * shipped in that data setting; `ids`: the recall models (for the note).
 */
export function resolvePatch(v, patch, has, ids = []) {
  const p = { ...patch };
  const notes = [];
  if (('c' in patch || 'fn' in patch) && v.xl) {
    p.xl = false;
    notes.push('Transformer-XL has no compression rate or f_c: showing the Compressive Transformer again');
  }
  if ('c' in patch && v.fn !== 'conv') {
    p.fn = 'conv';
    notes.push(`f_c = ${funcName(v.fn)} is shipped at c = 4 only; c = ${patch.c} shows the convolution`);
  }
  if ('fn' in patch && patch.fn !== 'conv' && v.c !== 4) {
    p.c = 4;
    notes.push(`f_c = ${funcName(patch.fn)} is shipped at c = 4 only; using c = 4`);
  }
  if ('loss' in patch && patch.loss !== 'attention') {
    if ((patch.data ?? v.data) !== 'recall') {
      p.loss = 'attention';
      notes.push(`f_c loss = ${lossName(patch.loss)} is trained in the long-range recall setting only (conv, c = 4)`);
    } else if (!lossApplies({ ...v, ...p })) {
      Object.assign(p, { xl: false, fn: 'conv', c: 4 });
      notes.push(`f_c loss = ${lossName(patch.loss)} is trained for conv c = 4 only; using it`);
    }
  }
  let next = { ...v, ...p };
  if (next.loss !== 'attention' && !lossApplies(next)) {
    p.loss = 'attention';
    next = { ...next, loss: 'attention' };
    if (!('loss' in patch)) notes.push(`f_c loss: ${lossName(v.loss)} is trained for the recall setting’s conv c = 4 only; back to attention reconstruction`);
  }
  if (next.data === 'recall' && ids.length && !has(modelId(next), next)) {
    const c = snapRate(next.c, RATES.filter((r) => has(`conv-c${r}`, next)));
    notes.push(`${modelId(next)} is not trained in the recall setting (trained: ${ids.join(', ')}); showing conv c = ${c}`);
    Object.assign(p, { xl: false, fn: 'conv', c, loss: 'attention' });
  }
  return { patch: p, notes };
}

/** The held-out recall bits of every seed of a recall manifest entry. */
export const seedBits = (e) => (e?.runs || []).map((r) => r.recall_bits);

/** A recall entry's loss-vs-distance bins, the mean over its seeds: `[[D upper edge, bits, 0], ...]`. */
export function binsOf(e) {
  const runs = e?.runs || [];
  return (runs[0]?.by_distance || []).map(([d], k) => [d, runs.reduce((a, r) => a + (r.by_distance[k]?.[1] ?? NaN), 0) / runs.length, 0]);
}

/** The value of the first bin whose upper edge is at least `x` (the last bin beyond them). */
export function binAt(bins, x) {
  const k = bins.findIndex((b) => b[0] >= x);
  return k < 0 ? bins.at(-1)?.[1] : bins[k][1];
}

/** The f_c-loss ablation rows of a recall manifest (conv c = 4): `[{ loss, name, id, bits, mean, spread, runs }]`. */
export function ablationRows(models) {
  return LOSSES.map(({ value, name, suffix }) => {
    const e = models.find((m) => m.id === `conv-c4${suffix}`);
    return e && { loss: value, name, id: e.id, bits: seedBits(e), mean: e.recall_bits_mean, spread: e.recall_bits_spread, runs: seedBits(e).length };
  }).filter(Boolean);
}

/** The fidelity table's rows (paper vs here). `xl`, `c3`: natural-text manifest entries; `tr` its training settings. */
export function fidelityRows(xl, c3, tr, fmtBpc, fmtRate) {
  return [
    ['Transformer-XL', '0.99 bits/char (Enwik8, 24 layers)', xl ? `${fmtBpc(xl.val_bpc)} bits/char` : '–', '200k characters of one novel, not 100M bytes of Wikipedia; a 2-layer model'],
    ['Compressive', '0.97 (c = 3, conv)', c3 ? `${fmtBpc(c3.val_bpc)} (c = 3, conv)` : '–', 'the same; here gaps up to ~0.02 bits/char are within the spread of 3 seeds'],
    ['model', 'L 24, d 1024, 8 heads; n_s = n_m = n_cm = 768', 'L 2, d 64, 4 heads, FF 256; n_s = 32, n_m = 32, n_cm = 32', 'trains in 40 s to 5 min per model on 2 shared cores'],
    ['training', 'Enwik8: 90M training characters, many passes', `${tr.steps ?? '–'} steps × ${tr.batch ?? '–'} × 32 = ${tr.steps && tr.batch ? fmtRate(tr.steps * tr.batch * 32) : '–'} characters`, '200k characters (180k train), ~8.5 passes; no dropout'],
    ['long-range recall setting', 'not in the paper (its long-range results: Enwik8, WikiText-103, PG-19, speech, an RL object-matching task)', '1 layer, d 64; n_m = 64 (XL) or n_m = n_cm = 32; 1,000 steps × 16 × 32, 3 seeds', 'a miniature of the long-range claim, small enough to train here'],
    ['f_c loss ablation', 'attention reconstruction best (Enwik8)', 'attention reconstruction, lossless autoencoding, none: conv c = 4 in the recall setting, 3 seeds', 'see the ablation table of the recall setting'],
    ['positions', 'Transformer-XL relative (sinusoids, u, v)', 'learned scalar bias per head and offset', 'simpler backward; still relative, so valid across memory'],
  ];
}

/** Rows of the CSV export of a manifest's models (both settings: bits/char or recall bits). */
export function exportRows(models, recall) {
  const head = ['id', 'label', 'seg', 'mem', 'cmem', 'rate', 'func', ...(recall ? ['fc_loss'] : []), 'temporal_range', recall ? 'recall_bits_mean' : 'val_bpc'];
  return [head, ...models.map((m) => [m.id, m.label, m.config.seg, m.config.mem, m.config.cmem, m.config.rate, m.config.cmem ? m.config.func : '',
    ...(recall ? [m.config.cmem ? m.config.fc_loss : ''] : []), m.temporal_range, recall ? m.recall_bits_mean : m.val_bpc])];
}

/** Where the query that reads the "=" looks hardest: the last row (S keys) of the last segment's attention. */
export function recallSlot(probs, t, s, ncm, nm, rate) {
  const row = Array.from(probs.slice((t - 1) * s, t * s));
  const j = row.indexOf(Math.max(...row));
  const part = j < ncm ? `compressed slot ${j + 1} of ${ncm} (it holds ${rate} old memories)` : j < ncm + nm ? `memory slot ${j - ncm + 1} of ${nm}` : `segment position ${j - ncm - nm + 1}`;
  return { slot: j < ncm ? 'cm' : j < ncm + nm ? 'm' : 'seg', part, p: row[j], onCm: row.slice(0, ncm).reduce((a, b) => a + b, 0) };
}

/** Options of the page's three plots (CurvePlot): natural-text bits/char vs c, recall bits vs c, recall bits vs D. */
export const PLOTS = {
  text: (funcLabel) => ({
    xLabel: 'compression rate c', xLabelShort: 'c', xFormat: (x) => String(x), yLabel: 'validation bits/char', xRange: [0.5, 8.5],
    yRange: (lo, hi) => [Math.floor(((lo ?? 2) - 0.02) * 50) / 50, Math.ceil(((hi ?? 3) + 0.02) * 50) / 50],
    markerLabel: 'c', markerText: (x) => `c = ${x}`, xTicks: RATES,
    series: [
      { key: 'conv', label: 'Compressive, conv f_c', color: 'ibp', width: 1.4 },
      { key: 'xl', label: 'Transformer-XL (n_m = 64)', color: 'fg2', dash: [6, 4], points: false },
      ...OTHER_FUNCS.map((f) => ({ key: f, label: funcLabel(f), color: FUNC_COLORS[f], width: 1 })),
    ],
  }),
  recall: (funcLabel) => ({
    xLabel: 'compression rate c', xLabelShort: 'c', xFormat: (x) => String(x), yLabel: 'held-out recall bits', xRange: [0.5, 8.5],
    yRange: () => [0, 5], markerLabel: 'c', markerText: (x) => `c = ${x}`, xTicks: RATES,
    series: [
      { key: 'conv', label: 'Compressive, conv f_c (mean of seeds)', color: 'ibp', width: 1.4 },
      { key: 'lo', label: 'lowest seed', color: 'ibp', width: 0.6, dash: [2, 3] },
      { key: 'hi', label: 'highest seed', color: 'ibp', width: 0.6, dash: [2, 3] },
      { key: 'xl', label: 'Transformer-XL (n_m = 64)', color: 'fg2', dash: [6, 4], points: false },
      { key: 'guess', label: 'blind guess (log2 26)', color: 'bad', dash: [2, 4], points: false },
      ...OTHER_FUNCS.map((f) => ({ key: f, label: `${funcLabel(f)} (mean of seeds)`, color: FUNC_COLORS[f], width: 1 })),
    ],
  }),
  dist: () => ({
    xLabel: 'distance D (characters from "=" back to the key)', xLabelShort: 'D', xFormat: (x) => String(x), yLabel: 'recall bits', xRange: [0, 400], xTicks: [64, 96, 128, 160, 288, 384],
    yRange: () => [0, 5.2], markerLabel: 'range', markerText: (x) => `range of the shown model: ${x}`,
    series: DIST_MODELS.map(({ id, color, dash }) => ({ key: id, label: id === 'xl' ? 'Transformer-XL (n_m = 64)' : distLabel(id), color, dash, width: 1.2 })),
  }),
};

/** The main panel's title and subtitle per data setting. */
export const MAIN_TEXT = {
  recall: ['Held-out recall loss vs compression rate c (long-range setting)',
    'Every line opens with a capital written 8 times, then D − 1 random small letters, then "=" and the capital again (D from 1 to 384). '
    + 'Shown: the bits each model pays for that last capital on held-out lines. One layer; every model attends to 64 memory slots + the segment.'],
  text: ['Validation bits per character vs compression rate c',
    'Every model attends to the same number of slots (64 memories + the 32-character segment); '
    + 'compression makes the oldest 32 of them reach c times further back. Lower is better.'],
};
