#!/usr/bin/env node
// make new-lab NAME=mylab — a new lab from the template lab, in the four places a lab touches (README, "Adding a
// lab"): src/labs/<name>/mod.rs (the math), src/wasm/<name>.rs (the facade), www/labs/<name>.js (the page) and its
// registry entry in www/labs/labs.json (status "live"), plus its tests: tests/<name>.rs (native),
// tests/wasm/<name>.rs (lean wasm, a module of the one browser test binary) and tests/e2e/<name>.test.mjs, and a
// stub of its write-up docs/labs/<name>.md. Adds
// `pub mod <name>;` to src/labs/mod.rs and src/wasm/mod.rs and `mod <name>;` to tests/wasm/main.rs. Refuses to
// overwrite anything.
//
//   node scripts/new-lab.mjs NAME [--root DIR]     (DIR: the repository, default the one this script is in)

import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const rootAt = args.indexOf('--root');
const ROOT = resolve(rootAt >= 0 ? args[rootAt + 1] : join(dirname(fileURLToPath(import.meta.url)), '..'));
const name = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--root');

function die(msg) {
  console.error(`new-lab: ${msg}`);
  process.exit(2);
}
if (!name) die('give the lab a name: make new-lab NAME=mylab');
if (!/^[a-z][a-z0-9]{1,30}$/.test(name)) die(`"${name}" must be lower-case letters and digits (a Rust module name), e.g. "roll"`);
const pascal = name[0].toUpperCase() + name.slice(1);

const copies = [
  ['src/labs/_template/mod.rs', `src/labs/${name}/mod.rs`],
  ['src/wasm/_template.rs', `src/wasm/${name}.rs`],
  ['www/labs/_template.js', `www/labs/${name}.js`],
  ['tests/template.rs', `tests/${name}.rs`],
  ['tests/wasm/_template.rs', `tests/wasm/${name}.rs`],
  ['tests/e2e/_template.test.mjs', `tests/e2e/${name}.test.mjs`],
];
for (const [, to] of copies) if (existsSync(join(ROOT, to))) die(`${to} exists already; pick another name`);
const registryPath = join(ROOT, 'www/labs/labs.json');
const registry = JSON.parse(readFileSync(registryPath, 'utf8'));
if (registry.labs.some((e) => e.id === name)) die(`the registry already has a lab "${name}"`);

const rename = (text) => text
  .replaceAll('labs::_template', `labs::${name}`)
  .replaceAll('TemplateLab', `${pascal}Lab`)
  .replaceAll("engine.lab('template'", `engine.lab('${name}'`)
  .replaceAll('#/_template', `#/${name}`)
  .replaceAll('paperlab-template-', `paperlab-${name}-`)
  .replaceAll('The template lab', `The ${name} lab`)
  .replaceAll('src/wasm/_template.rs', `src/wasm/${name}.rs`)
  .replaceAll('src/labs/_template/', `src/labs/${name}/`)
  .replaceAll('www/labs/_template.js', `www/labs/${name}.js`)
  .replaceAll('tests/template.rs', `tests/${name}.rs`)
  .replaceAll("test('template:", `test('${name}:`);

const doc = `docs/labs/${name}.md`;
if (existsSync(join(ROOT, doc))) die(`${doc} exists already; pick another name`);
for (const [from, to] of copies) {
  const out = join(ROOT, to);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, rename(readFileSync(join(ROOT, from), 'utf8')));
  console.log(`new-lab: wrote ${to}`);
}

// The write-up the registry entry and the page footer link to: a stub with the sections a lab's write-up has.
mkdirSync(join(ROOT, 'docs/labs'), { recursive: true });
writeFileSync(join(ROOT, doc), `# ${name} — (the paper's short title)

(Authors, *Title* (venue, year, [arXiv:…](https://arxiv.org/abs/…)).) Route \`#/${name}\`; page
\`www/labs/${name}.js\`, engine \`${pascal}Lab\` (\`src/wasm/${name}.rs\`), math \`src/labs/${name}/\`.

**What it shows.** (The paper's claim, and what on the page shows it.)

## The math

## Models and data (what is shipped, the command that made it, deviations from the paper)

## Results (ours beside the paper's numbers; only numbers checked in the paper)

## Speed

## Tests
`);
console.log(`new-lab: wrote ${doc} (a stub: fill it in)`);

/** Adds `<prefix> <name>;` (`pub mod` or `mod`) to a module file after the last such line that sorts before it. */
function addMod(file, prefix = 'pub mod') {
  const p = join(ROOT, file);
  const lines = readFileSync(p, 'utf8').split('\n');
  const re = new RegExp(`^${prefix} (\\w+);$`);
  const mods = lines.map((l, i) => [l, i]).filter(([l]) => re.test(l));
  const before = mods.filter(([l]) => re.exec(l)[1] < name);
  const at = (before.length ? before.at(-1)[1] : mods[0][1] - 1) + 1;
  lines.splice(at, 0, `${prefix} ${name};`);
  writeFileSync(p, lines.join('\n'));
  console.log(`new-lab: added ${prefix} ${name}; to ${file}`);
}
addMod('src/labs/mod.rs');
addMod('src/wasm/mod.rs');
addMod('tests/wasm/main.rs', 'mod');

/** Adds `#[path = "<name>.rs"] mod <name>;` to tests/native.rs (the one native test binary), in name order. */
function addNativeTest(file = 'tests/native.rs') {
  const p = join(ROOT, file);
  const lines = readFileSync(p, 'utf8').split('\n');
  const mods = lines.map((l, i) => [/^mod (\w+);$/.exec(l)?.[1], i]).filter(([m, i]) => m && /^#\[path = /.test(lines[i - 1]));
  const after = mods.find(([m]) => m > name);
  const at = after ? after[1] - 1 : mods.at(-1)[1] + 1;
  lines.splice(at, 0, `#[path = "${name}.rs"]`, `mod ${name};`);
  writeFileSync(p, lines.join('\n'));
  console.log(`new-lab: added mod ${name}; to ${file}`);
}
addNativeTest();

const tpl = registry.labs.find((e) => e.id === '_template');
const entry = {
  id: name,
  status: 'live',
  title: `(the paper's title) — ${name}`,
  short: pascal,
  authors: '(the authors)',
  venue: '(venue and year)',
  paper: tpl.paper,
  idea: '(one sentence: the paper\'s idea, as the lab shows it)',
  slider: tpl.slider,
  page: `${name}.js`,
  doc: `docs/labs/${name}.md`,
};
const at = registry.labs.findIndex((e) => e.status === 'template');
registry.labs.splice(at < 0 ? registry.labs.length : at, 0, entry);
writeFileSync(registryPath, `${JSON.stringify(registry, null, 2)}\n`);
console.log(`new-lab: added "${name}" to www/labs/labs.json (fill in its title, authors, venue, paper, idea)`);
console.log(`new-lab: the lab is "live" at once: the site-wide e2e files (a11y, embed, exports, faults, firefox, soak, url-fuzz, ...) cover it from now on`);
console.log(`new-lab: next: cargo test --test native ${name}::; make pkg WASM_OPT=0 && make vendor; node scripts/shoot.mjs ${name} --single; then make the math yours`);
