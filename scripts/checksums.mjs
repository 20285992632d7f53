#!/usr/bin/env node
// Writes www/checksums.json: the SHA-256 of every shipped model and data file (www/models/, www/data/; READMEs and
// licence files aside). The engine's worker checks each file it downloads against it and names the file when the
// bytes differ (a truncated upload, a stale cache, a Git LFS pointer instead of the weights). `--check` exits 1 if
// the list is out of date (tests/unit/checksums.test.mjs runs that); rerun this script after changing a shipped file.
//
//   node scripts/checksums.mjs [--check]

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIRS = ['www/models', 'www/data'];
const SKIP = /(^|\/)(README\.md|LICENSE[^/]*)$/;
export const OUT = 'www/checksums.json';

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** `{ about, files: { "www/models/…": "<sha256 hex>" } }` for the tree at `root`, paths sorted. */
export function checksums(root = ROOT) {
  const files = {};
  for (const d of DIRS) {
    const abs = join(root, d);
    if (!existsSync(abs)) continue;
    for (const f of walk(abs)) {
      const rel = relative(root, f).split('\\').join('/');
      if (SKIP.test(rel)) continue;
      files[rel] = createHash('sha256').update(readFileSync(f)).digest('hex');
    }
  }
  return {
    about: 'SHA-256 of every shipped model and data file, checked by the engine when it downloads one (www/engine/worker.js). Written by scripts/checksums.mjs; rerun it after changing a shipped file.',
    files,
  };
}

export const render = (c) => `${JSON.stringify(c, null, 1)}\n`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const want = render(checksums());
  const path = join(ROOT, OUT);
  if (process.argv.includes('--check')) {
    const have = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (have !== want) {
      console.error(`${OUT} is out of date: run node scripts/checksums.mjs`);
      process.exit(1);
    }
  } else {
    writeFileSync(path, want);
    console.log(`wrote ${OUT} (${Object.keys(JSON.parse(want).files).length} files)`);
  }
}
