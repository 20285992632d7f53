// make new-lab on a scratch copy of the files it reads: it writes the four places and the three tests with the
// names replaced, registers the lab before the template, adds the mod lines in order, and refuses to overwrite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, copyFileSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateRegistry } from '../../www/ui/registry.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FILES = ['src/labs/_template/mod.rs', 'src/wasm/_template.rs', 'www/labs/_template.js', 'tests/template.rs',
  'tests/native.rs', 'tests/wasm/_template.rs', 'tests/wasm/main.rs', 'tests/e2e/_template.test.mjs', 'src/labs/mod.rs', 'src/wasm/mod.rs',
  'www/labs/labs.json'];

test('new-lab copies the template into the four places and registers the lab', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paperlab-newlab-'));
  try {
    for (const f of FILES) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      copyFileSync(join(REPO, f), join(dir, f));
    }
    execFileSync('node', [join(REPO, 'scripts/new-lab.mjs'), 'toylab', '--root', dir]);
    const page = readFileSync(join(dir, 'www/labs/toylab.js'), 'utf8');
    assert.match(page, /engine\.lab\('toylab', 'ToylabLab'/);
    assert.doesNotMatch(page, /TemplateLab/);
    assert.match(readFileSync(join(dir, 'src/wasm/toylab.rs'), 'utf8'), /pub struct ToylabLab/);
    assert.match(readFileSync(join(dir, 'tests/toylab.rs'), 'utf8'), /paperlab::labs::toylab::/);
    assert.match(readFileSync(join(dir, 'tests/e2e/toylab.test.mjs'), 'utf8'), /#\/toylab\?/);
    assert.match(readFileSync(join(dir, 'docs/labs/toylab.md'), 'utf8'), /^# toylab/, 'a write-up stub');
    for (const f of ['www/labs/toylab.js', 'tests/wasm/toylab.rs', 'tests/e2e/toylab.test.mjs']) {
      assert.doesNotMatch(readFileSync(join(dir, f), 'utf8'), /_template|tests\/template\.rs|'template:/, `${f}: no template names left`);
    }
    const mods = readFileSync(join(dir, 'src/labs/mod.rs'), 'utf8').split('\n').filter((l) => l.startsWith('pub mod '));
    assert.ok(mods.includes('pub mod toylab;'));
    const names = mods.map((l) => l.slice(8, -1));
    assert.deepEqual(names, [...names].sort(), 'mod lines stay sorted');
    assert.match(readFileSync(join(dir, 'src/wasm/mod.rs'), 'utf8'), /^pub mod toylab;$/m);
    assert.match(readFileSync(join(dir, 'tests/wasm/toylab.rs'), 'utf8'), /paperlab::labs::toylab::/);
    const wmods = readFileSync(join(dir, 'tests/wasm/main.rs'), 'utf8').split('\n').filter((l) => /^mod \w+;$/.test(l));
    assert.ok(wmods.includes('mod toylab;'));
    assert.deepEqual(wmods, [...wmods].sort(), 'the browser test modules stay sorted');
    const native = readFileSync(join(dir, 'tests/native.rs'), 'utf8').split('\n');
    const nmods = native.filter((l, i) => /^mod \w+;$/.test(l) && /^#\[path = "\w+\.rs"\]$/.test(native[i - 1]));
    assert.ok(native.includes('#[path = "toylab.rs"]') && nmods.includes('mod toylab;'), 'the native test binary lists the new file');
    assert.deepEqual(nmods, [...nmods].sort(), 'the native test modules stay sorted');
    const reg = JSON.parse(readFileSync(join(dir, 'www/labs/labs.json'), 'utf8'));
    const { labs, problems } = validateRegistry(reg);
    assert.deepEqual(problems, []);
    assert.equal(labs.at(-2).id, 'toylab');
    assert.equal(labs.at(-1).id, '_template');
    // A second run, and bad names, are refused without touching anything.
    for (const bad of ['toylab', 'Bad-Name', '']) {
      const r = spawnSync('node', [join(REPO, 'scripts/new-lab.mjs'), bad, '--root', dir], { encoding: 'utf8' });
      assert.equal(r.status, 2, `refuses "${bad}"`);
      assert.match(r.stderr, /new-lab: /);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
