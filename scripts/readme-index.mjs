#!/usr/bin/env node
// Writes the README's lab index (between the `labs:start` / `labs:end` markers) from the registry
// www/labs/labs.json, so the README lists exactly the labs the site does. `--check` exits 1 if it is out of date
// (tests/unit/registry.test.mjs runs that).
//
//   node scripts/readme-index.mjs [--check]

import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The index table (markdown) for the registry's labs, in order, without the template. */
export function indexTable(labs) {
  const rows = labs.filter((e) => e.status !== 'template').map((e) => {
    const route = e.status === 'live' ? `[\`#/${e.id}\`](${e.doc})` : `\`#/${e.id}\``;
    return `| ${route} | ${e.status} | ${e.title} (${e.authors}, ${e.venue}) | ${e.slider} |`;
  });
  return ['| lab | status | paper | main slider |', '|---|---|---|---|', ...rows].join('\n');
}

export function withIndex(readme, labs) {
  const start = '<!-- labs:start (generated from www/labs/labs.json by scripts/readme-index.mjs) -->';
  const end = '<!-- labs:end -->';
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) throw new Error('README.md has no labs:start / labs:end markers');
  return `${readme.slice(0, a + start.length)}\n${indexTable(labs)}\n${readme.slice(b)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const labs = JSON.parse(readFileSync(join(ROOT, 'www/labs/labs.json'), 'utf8')).labs;
  const path = join(ROOT, 'README.md');
  const old = readFileSync(path, 'utf8');
  const next = withIndex(old, labs);
  if (process.argv.includes('--check')) {
    if (next !== old) {
      console.error('README.md lab index is out of date: run node scripts/readme-index.mjs');
      process.exit(1);
    }
  } else if (next !== old) {
    writeFileSync(path, next);
    console.log('README.md: lab index rewritten');
  }
}
