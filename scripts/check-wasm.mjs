#!/usr/bin/env node
// Checks that the built packages load: instantiates pkg/ and pkg-parallel/ in Node (wasm-bindgen's initSync), and
// checks that the threaded module imports a shared memory and the single-threaded one does not. Run by `make build`
// after wasm-opt, which is where a broken optimiser would show (Debian's binaryen 108 emitted modules that fail in
// __wbindgen_init_externref_table).
//
// It also says which packages carry the test-only `testPanic` export (cargo feature test-hooks, built by
// `make build-test` into pkg-relaxed/); with --production (what `make build` and so `make dist` run) a package that
// carries it is an error.
//
//   node scripts/check-wasm.mjs [--production] [DIR ...]     (default: pkg pkg-parallel)

import { readFileSync, existsSync } from 'node:fs';
import { resolve, join, basename } from 'node:path';
import { pathToFileURL } from 'node:url';

// wasm-bindgen-rayon's worker helper (imported by the threaded package) expects a Worker-like global at load time.
globalThis.self ??= globalThis;
globalThis.self.addEventListener ??= () => {};

const args = process.argv.slice(2);
const production = args.includes('--production');
const given = args.filter((a) => a !== '--production');
const dirs = given.length ? given : ['pkg', 'pkg-parallel'];
let failed = false;
for (const dir of dirs) {
  const js = resolve(dir, 'paperlab.js');
  const wasm = resolve(dir, 'paperlab_bg.wasm');
  if (!existsSync(js) || !existsSync(wasm)) {
    console.error(`check-wasm: ${dir}: missing paperlab.js or paperlab_bg.wasm`);
    failed = true;
    continue;
  }
  try {
    const bytes = readFileSync(wasm);
    const module = new WebAssembly.Module(bytes);
    const memImport = WebAssembly.Module.imports(module).find((i) => i.kind === 'memory');
    const threaded = /parallel/.test(basename(resolve(dir)));
    if (threaded && !memImport) throw new Error('the threaded build must import its (shared) memory');
    if (!threaded && memImport) throw new Error('the single-threaded build should not import a memory');
    const pkg = await import(pathToFileURL(js).href);
    const exports = pkg.initSync({ module });
    const shared = exports.memory.buffer instanceof SharedArrayBuffer;
    if (shared !== threaded) throw new Error(`memory is ${shared ? '' : 'not '}shared`);
    const hooks = typeof pkg.testPanic === 'function';
    if (hooks && production) {
      throw new Error('carries the test-only testPanic export (feature test-hooks): rebuild it with `make build`');
    }
    const kb = (bytes.length / 1024).toFixed(0);
    console.log(`check-wasm: ok ${join(dir, 'paperlab_bg.wasm')} (${kb} KiB, ${shared ? 'shared' : 'unshared'} memory, ` +
      `${Object.keys(exports).length} exports${hooks ? ', test hooks' : ''})`);
  } catch (e) {
    console.error(`check-wasm: ${dir}: ${e && e.stack ? e.stack : e}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
