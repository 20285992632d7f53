// Adds the service worker (www/sw/sw.js: cross-origin isolation through coi-serviceworker, and the offline cache)
// to a static site folder such as dist/: writes <dir>/sw.js with VERSION (a hash of every file of the site) and the
// lists of files to cache, and puts `<script src="sw.js"></script>` into <dir>/index.html. Run by `make dist`.
//
//   node scripts/dist-sw.mjs dist
//
// The wasm builds (pkg*/) are not in the lists: a browser runs one of the four, cached when it first loads it.

import { readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const TAG = '<script src="sw.js"></script>';

/** Every file under `dir` (following symlinks), as `/`-separated paths relative to it, sorted. */
export function listFiles(dir, sub = '') {
  const out = [];
  for (const name of readdirSync(join(dir, sub))) {
    const rel = sub ? `${sub}/${name}` : name;
    const st = statSync(join(dir, rel));
    if (st.isDirectory()) out.push(...listFiles(dir, rel));
    else if (st.isFile()) out.push(rel);
  }
  return out.sort();
}

/** The files the service worker caches: `{ shell, rest }` (rest: www/models/, www/data/ — cached after activation). */
export function siteFiles(dir) {
  const all = listFiles(dir).filter((f) => !/^(pkg[^/]*|tests|node_modules)\//.test(f) && f !== 'sw.js' && f !== 'serve.json'
    && !f.startsWith('www/sw/') && !f.endsWith('.map'));
  const rest = all.filter((f) => /^www\/(models|data)\//.test(f));
  const shell = ['./', ...all.filter((f) => !rest.includes(f))];
  return { shell, rest };
}

/** Writes `<dir>/sw.js` and the script tag in `<dir>/index.html`; returns `{ version, shell, rest }`. */
export function addServiceWorker(dir) {
  const { shell, rest } = siteFiles(dir);
  const hash = createHash('sha256');
  for (const f of listFiles(dir).filter((x) => x !== 'sw.js')) hash.update(f).update('\0').update(readFileSync(join(dir, f)));
  const version = hash.digest('hex').slice(0, 12);
  const src = readFileSync(join(HERE, '..', 'www/sw/sw.js'), 'utf8')
    .replace("const VERSION = 'dev';", `const VERSION = '${version}';`)
    .replace('const SHELL = [];', `const SHELL = ${JSON.stringify(shell)};`)
    .replace('const REST = [];', `const REST = ${JSON.stringify(rest)};`);
  writeFileSync(join(dir, 'sw.js'), src);
  const index = join(dir, 'index.html');
  const html = readFileSync(index, 'utf8');
  if (!html.includes(TAG)) writeFileSync(index, html.replace('</head>', `  ${TAG}\n</head>`));
  return { version, shell, rest };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node scripts/dist-sw.mjs <site folder, e.g. dist>');
    process.exit(2);
  }
  const { version, shell, rest } = addServiceWorker(dir);
  console.log(`== ${relative(process.cwd(), join(dir, 'sw.js'))}: version ${version}, ${shell.length} shell files, ${rest.length} model/data files`);
}
