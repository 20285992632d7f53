// A picture the user uploads: the checks made before any bytes are read (its type and its size, with a message
// that names the file and says what to choose instead; DOM-free, tests/unit), and the input with its error line.

import { h } from './controls.js';

/**
 * `file`: `{ name, type, size }` (a File). `types`: a RegExp the MIME type must match when the browser gives one
 * (e.g. /^image\/(png|jpeg)$/), `kinds` the same in words ("a PNG or JPEG picture"), `choose` what to pick instead
 * ("a .png or .jpg file"), `maxMB`: the limit in MiB.
 */
export function uploadProblem(file, { types, kinds, choose, maxMB }) {
  if (file.type && types && !types.test(file.type)) return `${file.name} is ${file.type}, not ${kinds}; choose ${choose}`;
  if (file.size > maxMB * 2 ** 20) return `${file.name} is ${(file.size / 2 ** 20).toFixed(1)} MB; choose a picture under ${maxMB} MB`;
  return null;
}

/**
 * A file input with its label, hint and error line, for a picture the page uses in place of its own: `check(file)`
 * (e.g. `uploadProblem`) refuses a file before it is read, `use(file)` reads and applies it (its error message is
 * shown after the file's name). Errors end with `kept` ("The previous photo is kept."); while one shows, the lab
 * root has `data-photo-error="1"`. Test ids: `testid` (the input), `<errorId>` (the error line).
 * Returns `{ el, input, error, show(msg), clear() }`.
 */
export function uploadBox({ root, id, label, hint, accept, check = () => null, use, kept, testid = 'upload', errorId = 'photo-error' }) {
  const input = h('input', { type: 'file', id, accept, 'data-testid': testid });
  const error = h('div', { class: 'error', hidden: true, role: 'alert', 'data-testid': errorId });
  const show = (msg) => {
    error.textContent = `${msg.replace(/[.\s]*$/, '')}. ${kept}`;
    error.hidden = false;
    root.dataset.photoError = '1';
  };
  const clear = () => {
    error.hidden = true;
    delete root.dataset.photoError;
  };
  input.addEventListener('change', async () => {
    const f = input.files && input.files[0];
    if (!f) return;
    const problem = check(f);
    if (problem) {
      show(problem);
      return;
    }
    try {
      await use(f);
    } catch (e) {
      show(`${f.name}: ${e.message || e}`);
    }
  });
  const el = h('div', { class: 'control' }, h('label', { for: id }, label), input, h('p', { class: 'hint' }, hint), error);
  return { el, input, error, show, clear };
}
