#!/usr/bin/env node
// Writes www/data/fashion-12k.safetensors.gz: a fixed subset of Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) taken
// from Debian's `dataset-fashion-mnist` package (apt-get install -y dataset-fashion-mnist), whose files are the
// original IDX files under /usr/share/datasets/fashion-mnist/.
//
// Subset (deterministic, no random numbers): the FIRST 10,000 images of the real training set are `train`, the FIRST
// 2,000 images of the real test set are `test` (the real split is kept: no test image was ever a training image).
//
// Output: a safetensors file, gzipped (level 9, header mtime 0, so the bytes are reproducible), with U8 tensors
// train.images [10000, 784], train.labels [10000], test.images [2000, 784], test.labels [2000], and string metadata
// (source, license, subset rule, checksums). It prints the checksums the Rust tests pin.
//
// Usage: node scripts/make-fashion.mjs [--dir /usr/share/datasets/fashion-mnist] [--out www/data/fashion-12k.safetensors.gz]

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';

const PIXELS = 784;
const N_TRAIN = 10000;
const N_TEST = 2000;

function die(msg) {
  console.error(`make-fashion: ${msg}`);
  process.exit(1);
}

function args() {
  const a = process.argv.slice(2);
  const get = (k, d) => (a.includes(k) ? a[a.indexOf(k) + 1] : d);
  return { dir: get('--dir', '/usr/share/datasets/fashion-mnist'), out: get('--out', 'www/data/fashion-12k.safetensors.gz') };
}

/** Reads an IDX file (gzipped): magic 0x00000801 (labels) or 0x00000803 (images), big-endian sizes. */
function idx(path, wantMagic) {
  let raw;
  try {
    raw = gunzipSync(readFileSync(path));
  } catch (e) {
    die(`cannot read ${path} (${e.message}); install it with: apt-get install -y dataset-fashion-mnist`);
  }
  const magic = raw.readUInt32BE(0);
  if (magic !== wantMagic) die(`${path}: magic ${magic.toString(16)}, expected ${wantMagic.toString(16)}`);
  const dims = magic & 0xff;
  const shape = [];
  for (let i = 0; i < dims; i++) shape.push(raw.readUInt32BE(4 + 4 * i));
  const data = raw.subarray(4 + 4 * dims);
  if (data.length !== shape.reduce((a, b) => a * b, 1)) die(`${path}: ${data.length} bytes for shape ${shape}`);
  return { shape, data };
}

function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h >>> 0;
}

function sum(bytes) {
  let s = 0;
  for (let i = 0; i < bytes.length; i++) s += bytes[i];
  return s;
}

/** U8 safetensors: u64 LE header length, JSON header padded with spaces to a multiple of 8, then the bytes. */
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

function main() {
  const opt = args();
  const trI = idx(`${opt.dir}/train-images-idx3-ubyte.gz`, 0x803);
  const trL = idx(`${opt.dir}/train-labels-idx1-ubyte.gz`, 0x801);
  const teI = idx(`${opt.dir}/t10k-images-idx3-ubyte.gz`, 0x803);
  const teL = idx(`${opt.dir}/t10k-labels-idx1-ubyte.gz`, 0x801);
  if (trI.shape.join() !== '60000,28,28' || teI.shape.join() !== '10000,28,28') die('unexpected image shapes');
  if (trL.shape[0] !== 60000 || teL.shape[0] !== 10000) die('unexpected label counts');
  const train = { images: Uint8Array.from(trI.data.subarray(0, N_TRAIN * PIXELS)), labels: Uint8Array.from(trL.data.subarray(0, N_TRAIN)) };
  const test = { images: Uint8Array.from(teI.data.subarray(0, N_TEST * PIXELS)), labels: Uint8Array.from(teL.data.subarray(0, N_TEST)) };
  const classCounts = (labels) => {
    const c = new Array(10).fill(0);
    labels.forEach((l) => (l < 10 ? c[l]++ : die(`label ${l} >= 10`)));
    return c;
  };
  const checks = {
    'train.images.fnv1a32': fnv1a(train.images),
    'train.labels.fnv1a32': fnv1a(train.labels),
    'test.images.fnv1a32': fnv1a(test.images),
    'test.labels.fnv1a32': fnv1a(test.labels),
    'train.images.sum': sum(train.images),
    'test.images.sum': sum(test.images),
    'train.labels.first10': Array.from(train.labels.subarray(0, 10)).join(','),
    'test.labels.first10': Array.from(test.labels.subarray(0, 10)).join(','),
    'train.class_counts': classCounts(train.labels).join(','),
    'test.class_counts': classCounts(test.labels).join(','),
  };
  const metadata = {
    name: 'fashion-12k',
    source:
      'Fashion-MNIST (Xiao, Rasul & Vollgraf 2017), IDX files of the Debian package dataset-fashion-mnist ' +
      '(/usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz)',
    license: 'Fashion-MNIST: Copyright 2017 Zalando SE, MIT (Expat) license',
    split: 'first 10000 images of the real training set = train; first 2000 images of the real test set = test',
    layout: 'images: U8 [n, 784], row-major 28x28, 0 = background, 255 = brightest; labels: U8 [n], class 0..9 ' +
      '(T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot)',
    made_by: 'scripts/make-fashion.mjs',
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
  const gz = gzipSync(st, { level: 9 });
  mkdirSync(dirname(opt.out), { recursive: true });
  writeFileSync(opt.out, gz);
  console.log(`make-fashion: wrote ${opt.out} (${gz.length} bytes gzipped, ${st.length} raw)`);
  console.log(`make-fashion: sha256 ${createHash('sha256').update(gz).digest('hex')}`);
  for (const [k, v] of Object.entries(checks)) console.log(`make-fashion: ${k} = ${v}`);
}

main();
