// Small DOM controls shared by every lab: a keyboard-friendly slider with an editable value, a select, an integer
// picker with prev/next/random, a progress bar with time left, and the notes box. None of them knows about a lab;
// each takes its current value and calls back with a new one.

import { roundToStep } from './state.js';

/** `h('div', {class: 'x', onclick: f}, child, 'text')`: a tiny element builder. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'text') el.textContent = v;
    else if (k === 'html') el.innerHTML = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let uid = 0;
const nextId = (p) => `${p}-${++uid}`;

/** Keyboard stepping shared by range and number inputs: arrows step, shift+arrows step 10x, PageUp/Down 10x,
 *  Home/End jump to the ends. Returns the new value or null if the key is not ours. */
function keyStep(ev, v, { min, max, step }) {
  const big = step * 10;
  switch (ev.key) {
    case 'ArrowRight':
    case 'ArrowUp':
      return v + (ev.shiftKey ? big : step);
    case 'ArrowLeft':
    case 'ArrowDown':
      return v - (ev.shiftKey ? big : step);
    case 'PageUp':
      return v + big;
    case 'PageDown':
      return v - big;
    case 'Home':
      return min;
    case 'End':
      return max;
    default:
      return null;
  }
}

/**
 * A slider with its value shown and editable.
 *   slider({ id, label, unit, min, max, step, value, format, hint, onInput })
 * `onInput(v)` fires on every change (drag, keys, typed value). Returns `{ el, set(v), get() }`.
 */
export function slider({ id, label, unit = '', min, max, step, value, format, hint, onInput, onNote }) {
  const rid = id || nextId('slider');
  const fmt = format || ((v) => String(v));
  const clamp = (v) => Math.min(max, Math.max(min, roundToStep(v, step)));
  let cur = value;
  const range = h('input', {
    type: 'range', id: rid, min, max, step, value, 'aria-valuetext': `${fmt(value)}${unit ? ` ${unit}` : ''}`,
  });
  const num = h('input', {
    type: 'number', class: 'num', min, max, step, value: fmt(value), 'aria-label': `${label} value`,
    inputmode: 'decimal',
  });
  const set = (v, fire) => {
    const x = clamp(v);
    const changed = x !== cur;
    cur = x;
    range.value = String(x);
    range.setAttribute('aria-valuetext', `${fmt(x)}${unit ? ` ${unit}` : ''}`);
    if (document.activeElement !== num || !fire) num.value = fmt(x);
    if (fire && changed) onInput(x);
  };
  const onKey = (ev) => {
    const v = keyStep(ev, cur, { min, max, step });
    if (v === null) return;
    ev.preventDefault();
    set(v, true);
    if (ev.target === num) num.value = fmt(cur);
  };
  range.addEventListener('keydown', onKey);
  num.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      commitNum();
      return;
    }
    onKey(ev);
  });
  range.addEventListener('input', () => set(Number(range.value), true));
  const commitNum = () => {
    const v = Number(num.value);
    if (num.value.trim() === '' || !Number.isFinite(v)) {
      num.value = fmt(cur);
      return;
    }
    const typed = num.value.trim().slice(0, 40);
    set(v, true);
    if (onNote && Math.abs(cur - v) > 1e-12 * Math.max(1, Math.abs(v))) {
      const why = v < min ? `below the range [${min}, ${max}]` : v > max ? `above the range [${min}, ${max}]` : `not on the slider's steps of ${step}`;
      onNote(`${label} ${typed} is ${why}; using ${fmt(cur)}`);
    }
    num.value = fmt(cur);
  };
  num.addEventListener('change', commitNum);
  num.addEventListener('blur', commitNum);
  const el = h('div', { class: 'control slider' },
    h('label', { for: rid }, label, unit ? h('span', { class: 'unit' }, ` (${unit})`) : null),
    h('div', { class: 'slider-row' }, range, num),
    hint ? h('div', { class: 'hint' }, hint) : null);
  return { el, set: (v) => set(v, false), get: () => cur, range, num };
}

/** A labelled select. options: [{ value, label }]; `title` is a tooltip on the whole control.
 *  Returns `{ el, set(v), setOptions(opts, v) }`. */
export function select({ id, label, options, value, hint, title, onChange }) {
  const sid = id || nextId('select');
  const sel = h('select', { id: sid });
  const setOptions = (opts, v) => {
    sel.replaceChildren(...opts.map((o) => h('option', { value: o.value, disabled: o.disabled }, o.label)));
    if (v !== undefined) sel.value = v;
  };
  setOptions(options, value);
  sel.addEventListener('change', () => onChange(sel.value));
  const el = h('div', { class: 'control select', title }, h('label', { for: sid }, label), sel,
    hint ? h('div', { class: 'hint' }, hint) : null);
  return { el, set: (v) => { sel.value = v; }, setOptions, sel };
}

/**
 * An integer picker: number input + prev / next / random buttons.
 *   intPicker({ id, label, min, max, value, random: true, onChange })
 */
export function intPicker({ id, label, min, max, value, random = false, hint, onChange, onNote }) {
  const iid = id || nextId('int');
  let cur = value;
  const num = h('input', { type: 'number', id: iid, class: 'num', min, max, step: 1, value, inputmode: 'numeric' });
  const set = (v, fire) => {
    const x = Math.min(max, Math.max(min, Math.round(v)));
    const changed = x !== cur;
    cur = x;
    num.value = String(x);
    if (fire && changed) onChange(x);
  };
  num.addEventListener('change', () => {
    const v = Number(num.value);
    if (num.value.trim() === '' || !Number.isFinite(v)) {
      num.value = String(cur);
      return;
    }
    set(v, true);
    if (onNote && cur !== v) {
      const why = v < min ? `below the range [${min}, ${max}]` : v > max ? `above the range [${min}, ${max}]` : 'not a whole number';
      onNote(`${label} ${String(v).slice(0, 40)} is ${why}; using ${cur}`);
    }
  });
  num.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowUp' || ev.key === 'ArrowDown') {
      ev.preventDefault();
      set(cur + (ev.key === 'ArrowUp' ? 1 : -1) * (ev.shiftKey ? 10 : 1), true);
    }
  });
  const btn = (text, title, f) => h('button', { type: 'button', class: 'small', title, 'aria-label': title, onclick: f }, text);
  const el = h('div', { class: 'control int' },
    h('label', { for: iid }, label),
    h('div', { class: 'int-row' },
      btn('‹', `previous ${label.toLowerCase()}`, () => set(cur - 1, true)),
      num,
      btn('›', `next ${label.toLowerCase()}`, () => set(cur + 1, true)),
      random ? btn('random', `random ${label.toLowerCase()}`, () => set(min + Math.floor(Math.random() * (max - min + 1)), true)) : null),
    hint ? h('div', { class: 'hint' }, hint) : null);
  return { el, set: (v) => set(v, false), get: () => cur, num };
}

/** Progress bar with a text line ("1,250 / 2,000 digits · 0.4 s left"). Returns `{ el, start(total), update(done), done(text), fail(text) }`. */
export function progress({ unit = 'items' } = {}) {
  const bar = h('progress', { max: 1, value: 0 });
  const text = h('span', { class: 'progress-text', 'aria-live': 'polite' });
  const el = h('div', { class: 'progress', hidden: true }, bar, text);
  let t0 = 0;
  let total = 1;
  const fmtN = (n) => n.toLocaleString('en-US');
  return {
    el,
    start(n) {
      total = n;
      t0 = performance.now();
      bar.max = n;
      bar.value = 0;
      el.hidden = false;
      el.dataset.state = 'running';
      text.textContent = `0 / ${fmtN(n)} ${unit}`;
    },
    update(done) {
      bar.value = done;
      const dt = (performance.now() - t0) / 1000;
      let left = '';
      if (done > 0 && done < total) {
        const rem = (dt / done) * (total - done);
        if (dt + rem > 1) left = ` · ${rem < 10 ? rem.toFixed(1) : Math.round(rem)} s left`;
      }
      text.textContent = `${fmtN(done)} / ${fmtN(total)} ${unit}${left}`;
    },
    done(msg) {
      bar.value = total;
      el.dataset.state = 'done';
      const dt = (performance.now() - t0) / 1000;
      text.textContent = msg ?? `${fmtN(total)} ${unit} in ${dt < 10 ? dt.toFixed(2) : dt.toFixed(1)} s`;
    },
    fail(msg) {
      el.dataset.state = 'error';
      text.textContent = msg;
    },
  };
}

/** The notes box: plain-words notes about settings that were clamped or reset. `show(list)` replaces them. */
export function notesBox() {
  const list = h('ul');
  const el = h('div', { class: 'notes', role: 'status', hidden: true, 'data-testid': 'notes' },
    h('strong', {}, 'Note'), list);
  return {
    el,
    show(notes) {
      list.replaceChildren(...notes.map((n) => h('li', {}, n)));
      el.hidden = notes.length === 0;
    },
    add(note) {
      list.append(h('li', {}, note));
      el.hidden = false;
    },
  };
}

/** Format with 3 significant digits (7.46, 12.9, 0.0312, 100). */
export function sig3(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 100) return String(Math.round(x));
  if (a < 1e-3) return x.toExponential(2);
  return x.toPrecision(3);
}

/** A fraction as a percentage with 3 significant digits: 0.0746 → "7.46%". The percentage is first cleaned to 6
 *  significant digits (about f32's precision), so a count (689 / 2000 · 100 = 34.449999…) and the same value
 *  stored as f32 (34.4500005…) are the same number and read the same. */
export function pct(frac) {
  if (frac === null || frac === undefined || !Number.isFinite(frac)) return '–';
  return `${sig3(Number((frac * 100).toPrecision(6)))}%`;
}

/** A labelled checkbox. Returns `{ el, set(v), get() }`; `onChange(bool)` fires when the user toggles it. */
export function checkbox({ id, label, value, hint, onChange }) {
  const cid = id || nextId('check');
  const box = h('input', { type: 'checkbox', id: cid });
  box.checked = !!value;
  box.addEventListener('change', () => onChange(box.checked));
  const el = h('div', { class: 'control check' },
    h('label', { for: cid }, box, ' ', label),
    hint ? h('div', { class: 'hint' }, hint) : null);
  return { el, set: (v) => { box.checked = !!v; }, get: () => box.checked, box };
}

/** A labelled text field (one line, or `rows` > 1 for a text area) committed on change / Enter; `dir="auto"`
 *  keeps right-to-left or direction-mark text from mirroring the page. Returns `{ el, set(v), get() }`. */
export function textField({ id, label, value, maxLength, rows = 1, hint, onChange }) {
  const tid = id || nextId('text');
  const input = rows > 1
    ? h('textarea', { id: tid, rows, maxlength: maxLength, dir: 'auto', spellcheck: 'false' })
    : h('input', { type: 'text', id: tid, maxlength: maxLength, dir: 'auto', spellcheck: 'false' });
  input.value = value ?? '';
  input.addEventListener('change', () => onChange(input.value));
  if (rows <= 1) input.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') onChange(input.value); });
  const el = h('div', { class: 'control text' }, h('label', { for: tid }, label), input,
    hint ? h('div', { class: 'hint' }, hint) : null);
  return { el, set: (v) => { if (document.activeElement !== input) input.value = v ?? ''; }, get: () => input.value, input };
}

/**
 * The controls of a lab, generated from its settings spec (state.js), so ranges, steps and labels are written once.
 * Each property may carry, besides its state fields: `label`, `unit`, `hint`, `format(v)` (the shown value),
 * `options` (for an enum: `[{ value, label }]` or a function returning them), `control` ('slider' | 'int' |
 * 'select' | 'checkbox' | 'text' | 'none'; default by type: number → slider, int → integer picker, enum → select,
 * bool → checkbox, text → text field), `random` (int: a "random" button), `rows` (text), and `hidden: true` (no
 * control, e.g. `embed`). `onChange(patch)` is called with `{ [name]: value }`; `onNote(text)` with a plain-words
 * note when a typed value was clamped or snapped.
 * Returns `{ el, controls, set(values) }`: `set` shows new values (and refreshes enum options given as functions).
 */
export function controlsFromSpec(spec, values, { onChange, onNote } = {}) {
  const controls = {};
  const el = h('div', { class: 'controls', role: 'group', 'aria-label': 'settings' });
  const opts = (p) => {
    const o = typeof p.options === 'function' ? p.options() : p.options;
    if (o) return o;
    const vals = typeof p.values === 'function' ? p.values() : p.values;
    return vals.map((v) => ({ value: v, label: v }));
  };
  for (const p of spec) {
    if (p.hidden || p.control === 'none') continue;
    const kind = p.control || { number: 'slider', int: 'int', enum: 'select', bool: 'checkbox', text: 'text' }[p.type];
    const label = p.label || p.name;
    const fire = (v) => onChange({ [p.name]: v });
    const common = { id: p.id || p.name, label, hint: p.hint };
    let c;
    if (kind === 'slider') {
      const step = p.step ?? (p.type === 'int' ? 1 : 0.01);
      c = slider({ ...common, unit: p.unit, min: p.min, max: p.max, step, value: values[p.name], format: p.format, onInput: fire, onNote });
    } else if (kind === 'int') {
      c = intPicker({ ...common, min: p.min, max: p.max, value: values[p.name], random: p.random, onChange: fire, onNote });
    } else if (kind === 'select') {
      c = select({ ...common, options: opts(p), value: values[p.name], onChange: fire });
      const set = c.set;
      c.set = (v) => {
        if (typeof p.options === 'function' || typeof p.values === 'function') c.setOptions(opts(p), v);
        else set(v);
      };
    } else if (kind === 'checkbox') {
      c = checkbox({ ...common, value: values[p.name], onChange: fire });
    } else if (kind === 'text') {
      c = textField({ ...common, value: values[p.name], maxLength: p.maxLength, rows: p.rows, onChange: fire });
    } else {
      throw new Error(`controlsFromSpec: property ${p.name} has no control for type ${p.type}`);
    }
    c.el.dataset.setting = p.name;
    controls[p.name] = c;
    el.append(c.el);
  }
  return {
    el,
    controls,
    set(vals) {
      for (const [name, c] of Object.entries(controls)) c.set(vals[name]);
    },
  };
}

/**
 * Observes `el`'s size and calls `f` once per animation frame after it changed. Deferring the redraw out of the
 * ResizeObserver callback keeps a redraw that changes the layout from raising "ResizeObserver loop completed with
 * undelivered notifications". Returns the observer (call `disconnect()` to stop).
 */
export function onResize(el, f) {
  let queued = false;
  const ro = new ResizeObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      f();
    });
  });
  ro.observe(el);
  return ro;
}
