// Lab state: one declarative table of properties (name, type, range, default), serialised to the URL hash.
//
// A lab declares its settings once:
//
//   const spec = [
//     { name: 'eps',    type: 'number', min: 0, max: 0.45, step: 0.005, default: 0.3 },
//     { name: 'method', type: 'enum',   values: ['ibp', 'crown', 'crown-ibp'], default: 'crown-ibp' },
//     { name: 'digit',  type: 'int',    min: 0, max: 1999, default: 0 },
//     { name: 'embed',  type: 'bool',   default: false, share: false },
//     { name: 's',      type: 'text',   maxLength: 400, default: 'the dog sees a cat' },
//   ];
//
// parseState(spec, params) never throws: a value that is not a number, out of range, or not one of the allowed
// values is clamped or reset to the default, and a plain-words note says so ("eps=abc is not a number; using 0.3").
// The page shows those notes. serialiseState(spec, values) writes every shared property, so a link reproduces the
// view exactly even if a default changes later.
//
// The hash looks like `#/verify?eps=0.1&method=crown-ibp`; parseHash / formatHash split and join it.

/** Split `#/lab?query` into `{ route: 'lab', params: URLSearchParams }`. `''`, `#`, `#/` give route `''`. */
export function parseHash(hash) {
  let h = (hash || '').replace(/^#/, '');
  const q = h.indexOf('?');
  const path = q >= 0 ? h.slice(0, q) : h;
  const query = q >= 0 ? h.slice(q + 1) : '';
  const route = path.replace(/^\/+/, '').replace(/\/+$/, '');
  return { route, params: new URLSearchParams(query) };
}

/** `formatHash('verify', 'eps=0.1')` is `#/verify?eps=0.1`. */
export function formatHash(route, query) {
  return `#/${route}${query ? `?${query}` : ''}`;
}

/** Number of decimals in a step such as 0.005 (3), used to round values onto the step grid without float junk. */
export function stepDecimals(step) {
  if (!step || Number.isInteger(step)) return 0;
  const s = String(step);
  const e = s.indexOf('e-');
  if (e >= 0) return Number(s.slice(e + 2));
  return s.length - s.indexOf('.') - 1;
}

/** Round `v` to the precision of `step` (not onto the grid: 0.123 with step 0.005 stays 0.123). */
export function roundToStep(v, step) {
  const d = Math.min(stepDecimals(step) + 1, 12);
  return Number(v.toFixed(d));
}

function fmtDefault(p) {
  return p.type === 'bool' ? (p.default ? '1' : '0') : String(p.default);
}

/** The allowed values of an enum property (a list, or a function returning one, for lists known only later). */
export function enumValues(p) {
  return typeof p.values === 'function' ? p.values() : p.values;
}

/** Direction marks/overrides and control characters shown by code point ("U+202E"), so a value quoted in a note
 *  can never reorder or hide the note's text. */
export function visible(text) {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this replaces
  return String(text).replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `‹U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}›`);
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Read one property from its raw string. Returns `{ value, note }`; `note` is null when the value was fine.
 * Never throws.
 */
export function parseValue(p, raw) {
  const name = p.name;
  const shown = visible(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
  const def = () => `using ${fmtDefault(p)}`;
  switch (p.type) {
    case 'number':
    case 'int': {
      // Decimal notation only: Number() would also read '0x10' as 16, '0b1' as 1 and ' ' as 0.
      const t = raw.trim();
      const v = DECIMAL.test(t) ? Number(t) : NaN;
      if (!Number.isFinite(v)) {
        return { value: p.default, note: `${name}=${shown} is not a number; ${def()}` };
      }
      let x = p.type === 'int' ? Math.round(v) : roundToStep(v, p.step);
      let note = null;
      if (p.type === 'int' && x !== v) note = `${name}=${shown} is not a whole number; using ${x}`;
      else if (x !== v) note = `${name}=${shown} has more decimals than this setting keeps; using ${x}`;
      if (p.min !== undefined && x < p.min) {
        note = `${name}=${shown} is below the range [${p.min}, ${p.max}]; using ${p.min}`;
        x = p.min;
      } else if (p.max !== undefined && x > p.max) {
        note = `${name}=${shown} is above the range [${p.min}, ${p.max}]; using ${p.max}`;
        x = p.max;
      }
      return { value: x, note };
    }
    case 'enum': {
      const values = enumValues(p);
      if (values.includes(raw)) return { value: raw, note: null };
      const lower = values.find((v) => v.toLowerCase() === raw.trim().toLowerCase());
      if (lower !== undefined) return { value: lower, note: null };
      return {
        value: p.default,
        note: `${name}=${shown} is not ${p.what ? `a known ${p.what}` : `one of ${values.join(', ')}`}; ${def()}`,
      };
    }
    case 'text': {
      // Free text (a sentence): kept as typed, cut at maxLength characters with a note.
      const max = p.maxLength ?? 400;
      if (raw.length > max) return { value: raw.slice(0, max), note: `${name} is longer than ${max} characters; cut there` };
      return { value: raw, note: null };
    }
    case 'bool': {
      const t = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on', ''].includes(t)) return { value: true, note: null };
      if (['0', 'false', 'no', 'off'].includes(t)) return { value: false, note: null };
      return { value: p.default, note: `${name}=${shown} is not 0 or 1; ${def()}` };
    }
    default:
      throw new Error(`state: property ${name} has unknown type ${p.type}`);
  }
}

/** Page-level switches read by the engine from the URL before the hash (`?single=1`, `?relaxed=0`). */
const PAGE_KEYS = new Set(['single', 'relaxed']);

/**
 * Parse all properties of `spec` from `params` (URLSearchParams). Returns `{ values, notes }`.
 * Unknown parameters are ignored with a note; missing ones take their default silently.
 */
export function parseState(spec, params) {
  const values = {};
  const notes = [];
  const known = new Set(spec.map((p) => p.name));
  for (const p of spec) {
    if (!params.has(p.name)) {
      values[p.name] = p.default;
      continue;
    }
    const { value, note } = parseValue(p, params.get(p.name));
    values[p.name] = value;
    if (note) notes.push(note);
    const n = params.getAll(p.name).length;
    if (n > 1) notes.push(`${p.name} is given ${n} times; the first one counts`);
  }
  for (const k of new Set(params.keys())) {
    if (known.has(k)) continue;
    if (PAGE_KEYS.has(k)) {
      // Engine switches pick the WebAssembly build when the page loads, from the part of the URL before the hash.
      notes.push(`${k}= picks the engine build when the page loads: put it before the “#”, e.g. index.html?${k}=${k === 'single' ? 1 : 0}#/…; ignored here`);
    } else {
      notes.push(`unknown setting "${visible(k.length > 40 ? `${k.slice(0, 40)}…` : k)}" ignored`);
    }
  }
  return { values, notes };
}

/** Serialise `values` to a query string in spec order; non-shared properties only when not at their default. */
export function serialiseState(spec, values) {
  const q = new URLSearchParams();
  for (const p of spec) {
    const v = values[p.name];
    if (p.share === false && v === p.default) continue;
    if (p.type === 'bool') q.set(p.name, v ? '1' : '0');
    else q.set(p.name, String(v));
  }
  // URLSearchParams escapes '-' nowhere and ',' as %2C; keep the hash readable.
  return q.toString().replace(/%2C/g, ',');
}
