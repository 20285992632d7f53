// www/checksums.json lists every shipped model and data file with its SHA-256, as the engine checks downloads
// against it: it must match the files in the tree (recomputed here with node:crypto), and name no file twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checksums, render, OUT } from '../../scripts/checksums.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('www/checksums.json matches the shipped files (run node scripts/checksums.mjs after changing one)', () => {
  const have = readFileSync(join(REPO, OUT), 'utf8');
  const want = checksums(REPO);
  assert.ok(Object.keys(want.files).length > 10, 'the shipped files are found');
  for (const [f, h] of Object.entries(want.files)) assert.match(h, /^[0-9a-f]{64}$/, f);
  assert.ok(Object.keys(want.files).every((f) => f.startsWith('www/models/') || f.startsWith('www/data/')));
  assert.equal(have, render(want), 'run node scripts/checksums.mjs');
});
