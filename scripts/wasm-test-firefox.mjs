#!/usr/bin/env node
// Runs one wasm-bindgen test binary in headless Firefox ESR: the cargo runner of `scripts/wasm-test.sh --firefox`.
//
//   node scripts/wasm-test-firefox.mjs TEST.wasm [ARGS...]
//
// wasm-bindgen-test-runner drives browsers through WebDriver; for Firefox that is geckodriver, which only crates.io
// offers here (a long source build). So the runner is started in its interactive mode (`NO_HEADLESS=1`: it binds
// the test, serves its page on WASM_BINDGEN_TEST_ADDRESS and waits), and Firefox opens that page, driven over
// WebDriver BiDi by puppeteer-core, as the e2e Firefox test does. The page writes the harness output into
// `#output`; it is printed here, and the exit code is 0 only for "test result: ok". Firefox: $FIREFOX or
// /usr/bin/firefox-esr. Timeout for the whole binary: WASM_FIREFOX_TIMEOUT seconds (default 600).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

const [wasm, ...rest] = process.argv.slice(2);
if (!wasm) {
  console.error('wasm-test-firefox: usage: node scripts/wasm-test-firefox.mjs TEST.wasm [ARGS...]');
  process.exit(2);
}
const firefox = process.env.FIREFOX || '/usr/bin/firefox-esr';
if (!existsSync(firefox)) {
  console.error(`wasm-test-firefox: no Firefox at ${firefox} (scripts/setup.sh --browser installs firefox-esr)`);
  process.exit(1);
}
const timeoutS = Number(process.env.WASM_FIREFOX_TIMEOUT) > 0 ? Number(process.env.WASM_FIREFOX_TIMEOUT) : 600;

const port = await new Promise((ok, fail) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => ok(p));
  }).on('error', fail);
});
const runnerBin = process.env.WASM_BINDGEN_TEST_RUNNER || 'wasm-bindgen-test-runner';
const runner = spawn(runnerBin, [wasm, ...rest], {
  env: { ...process.env, NO_HEADLESS: '1', WASM_BINDGEN_TEST_ADDRESS: `127.0.0.1:${port}` },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let log = '';
const started = new Promise((ok, fail) => {
  const look = (d) => {
    log += d;
    const m = /available at (http:\/\/\S+)/.exec(log);
    if (m) ok(m[1]);
  };
  runner.stdout.on('data', look);
  runner.stderr.on('data', look);
  runner.on('exit', (code) => fail(new Error(`wasm-bindgen-test-runner exited (${code}) before serving:\n${log}`)));
});

let code = 1;
let browser;
const profile = mkdtempSync(join(tmpdir(), 'paperlab-wasm-firefox-'));
try {
  const url = await started;
  browser = await puppeteer.launch({ browser: 'firefox', executablePath: firefox, headless: true, userDataDir: profile });
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => /test result: (ok|FAILED)/.test(document.getElementById('output')?.textContent || ''),
    { timeout: timeoutS * 1000, polling: 500 });
  const out = await page.$eval('#output', (e) => e.textContent);
  const version = await browser.version();
  console.log(`wasm-test-firefox: ${version}, ${wasm.split('/').pop()}`);
  console.log(out.trim());
  code = /test result: ok/.test(out) ? 0 : 1;
} catch (e) {
  console.error(`wasm-test-firefox: ${e.message}`);
} finally {
  await browser?.close();
  runner.kill();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
