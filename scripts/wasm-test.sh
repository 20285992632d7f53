#!/usr/bin/env bash
# Runs the browser tests (wasm-bindgen-test, headless Chromium via chromedriver): the one test binary tests/wasm/
# (main.rs and a module per lab) and tests/wasm_threads.rs (the Worker pool; empty without feature parallel).
#
#   scripts/wasm-test.sh                      the flags of pkg/: stable toolchain, +simd128 (.cargo/config.toml)
#   scripts/wasm-test.sh --threads            the flags of pkg-parallel/: pinned nightly, .cargo/threads.toml,
#                                             feature `parallel`, build-std
#   scripts/wasm-test.sh --relaxed            the flags of pkg-relaxed/: + relaxed SIMD (.cargo/relaxed.toml), so the
#                                             fused multiply-add micro-kernel is checked against the plain twins
#   scripts/wasm-test.sh --threads --relaxed  the flags of pkg-parallel-relaxed/ (what Chromium loads when the page is
#                                             cross-origin isolated)
#   scripts/wasm-test.sh --firefox            tests/wasm/ (not the Worker pool target) in headless Firefox ESR instead of
#                                             Chromium (scripts/wasm-test-firefox.mjs: the runner's interactive page,
#                                             opened by puppeteer-core over WebDriver BiDi; no geckodriver)
#   scripts/wasm-test.sh --profile test       another cargo profile (default: release, as the packages are built)
#   scripts/wasm-test.sh [...] -- ARGS        ARGS go to the test binaries (e.g. `-- ucb::`, one lab's module)
#
# Each flag set uses the target directory of the package with those flags (target/, target/mt, target/relaxed,
# target/mt-relaxed; override with CARGO_TARGET_DIR, CARGO_TARGET_DIR_MT, ..._RELAXED, ..._MT_RELAXED). With the
# default release profile the library and its dependencies (and, for threads, the rebuilt std) are the ones `make
# build` already compiled: only the two test binaries are compiled and linked.
#
# This is what `wasm-pack test --headless --chrome -- --test wasm --test wasm_threads` does in its test step
# (wasm-bindgen-test-runner as the cargo runner, with CHROMEDRIVER and WASM_BINDGEN_TEST_ONLY_WEB set), without its
# build step, which compiles the library's unit tests and every native integration test file for wasm32 as well, in
# a profile of its own. The runner's test server sends COOP/COEP headers, so SharedArrayBuffer and the Worker pool work.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"

NIGHTLY="nightly-2026-05-20"
threads=0
relaxed=0
firefox=0
profile=release
passthrough=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=1 ;;
    --relaxed) relaxed=1 ;;
    --firefox) firefox=1 ;;
    --profile) [ $# -ge 2 ] || { echo "wasm-test: --profile needs a name" >&2; exit 2; }; profile="$2"; shift ;;
    --) shift; passthrough=("$@"); break ;;
    *) echo "wasm-test: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

[ -f tests/wasm/main.rs ] || { echo "wasm-test: tests/wasm/main.rs is missing" >&2; exit 1; }
tests=(--test wasm --test wasm_threads)

runner="$(command -v wasm-bindgen-test-runner)" || { echo "wasm-test: wasm-bindgen-test-runner not found (make setup)" >&2; exit 1; }
chromedriver="$(command -v chromedriver || echo /usr/bin/chromedriver)"
[ -x "$chromedriver" ] || { echo "wasm-test: chromedriver not found (scripts/setup.sh --browser)" >&2; exit 1; }

export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$runner"
if [ "$firefox" = 1 ]; then
  export WASM_BINDGEN_TEST_RUNNER="$runner"
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="node $PWD/scripts/wasm-test-firefox.mjs"
  tests=(--test wasm)
fi
export WASM_BINDGEN_TEST_ONLY_WEB=1
export CHROMEDRIVER="$chromedriver"
# Generous: the first threaded run starts Workers that each compile the module.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"

cargo_args=(test --target wasm32-unknown-unknown --profile "$profile")
label="stable, +simd128"
dir="${CARGO_TARGET_DIR:-target}"
if [ "$threads" = 1 ]; then
  export RUSTUP_TOOLCHAIN="$NIGHTLY"
  cargo_args+=(--features parallel --config .cargo/threads.toml)
  label="$NIGHTLY, .cargo/threads.toml, --features parallel"
  dir="${CARGO_TARGET_DIR_MT:-target/mt}"
fi
if [ "$relaxed" = 1 ]; then
  cargo_args+=(--config .cargo/relaxed.toml)
  label="$label, +relaxed-simd"
  if [ "$threads" = 1 ]; then dir="${CARGO_TARGET_DIR_MT_RELAXED:-target/mt-relaxed}"; else dir="${CARGO_TARGET_DIR_RELAXED:-target/relaxed}"; fi
fi
[ "$firefox" = 1 ] && label="$label, Firefox"
echo "wasm-test: $label, profile $profile, target dir $dir: ${tests[*]}"
CARGO_TARGET_DIR="$dir" cargo "${cargo_args[@]}" "${tests[@]}" -- "${passthrough[@]}"
