#!/usr/bin/env node
// Checks that a built package (default pkg/) has the shape of a publishable npm package — name, version, licence,
// entry point and types in package.json; the module, the wasm, the types, README and LICENSE in what `npm pack`
// would publish — and that the example which uses it without the lab pages (www/examples/engine.js) type-checks
// against its declarations (tsc --checkJs, strict). Run by `make build-test`.
//
//   node scripts/check-package.mjs [DIR]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const dir = resolve(process.argv[2] || 'pkg');
const fail = (msg) => {
  console.error(`check-package: ${dir}: ${msg}`);
  process.exit(1);
};
const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
for (const k of ['name', 'version', 'license', 'main', 'types']) if (!meta[k]) fail(`package.json has no "${k}"`);
const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
const files = packed[0].files.map((f) => f.path);
for (const f of [meta.main, meta.types, 'paperlab_bg.wasm', 'README.md', 'LICENSE']) {
  if (!files.includes(f)) fail(`npm pack would not publish ${f} (it has ${files.join(', ')})`);
}
const types = readFileSync(join(dir, meta.types), 'utf8');
for (const t of ['LotteryPlan', 'UcbMetrics', 'BlindspotStep', 'MoleculesGeneration']) {
  if (!types.includes(`export interface ${t}`)) fail(`${meta.types} does not declare ${t} (src/wasm/results.d.ts)`);
}
try {
  execFileSync(resolve('node_modules/.bin/tsc'), ['-p', 'www/examples/tsconfig.json'], { stdio: 'inherit' });
} catch {
  fail('www/examples/engine.js does not type-check against the package (above)');
}
console.log(`check-package: ok ${meta.name}@${meta.version} (${files.length} files, ${(types.length / 1024).toFixed(0)} KiB of types); www/examples/engine.js type-checks`);
