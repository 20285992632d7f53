#!/usr/bin/env bash
# Runs the browser tests (wasm-bindgen-test, headless Chromium via chromedriver): the one test binary tests/wasm/
# (main.rs and a module per lab) and tests/wasm_threads.rs (the Worker pool; empty without feature parallel).
#
#   scripts/wasm-test.sh            single-threaded build: stable toolchain, +simd128 (.cargo/config.toml)
#   scripts/wasm-test.sh --threads  threaded build: pinned nightly, .cargo/threads.toml, feature `parallel`,
#                                   target dir target/mt (the same flags as pkg-parallel/)
#   scripts/wasm-test.sh --relaxed  single-threaded build with relaxed SIMD (.cargo/relaxed.toml, target/relaxed),
#                                   the flags of pkg-relaxed/: the FMA micro-kernel against the plain twins
#   scripts/wasm-test.sh [--threads|--relaxed] -- ARGS   ARGS go to the test binaries (e.g. a test name filter)
#
# This is what `wasm-pack test --headless --chrome` does (wasm-bindgen-test-runner as the cargo runner, with
# CHROMEDRIVER and WASM_BINDGEN_TEST_ONLY_WEB set), except that only these two targets are built:
# wasm-pack's build step (`cargo build --tests`) would compile every native integration test for wasm32 too.
# The runner's test server sends COOP/COEP headers, so SharedArrayBuffer and the Worker pool work.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"

NIGHTLY="nightly-2026-05-20"
threads=0
relaxed=0
passthrough=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=1 ;;
    --relaxed) relaxed=1 ;;
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
export WASM_BINDGEN_TEST_ONLY_WEB=1
export CHROMEDRIVER="$chromedriver"
# Generous: the first threaded run starts Workers that each compile the module.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"

if [ "$threads" = 1 ]; then
  echo "wasm-test: threaded build ($NIGHTLY, .cargo/threads.toml, --features parallel): ${tests[*]}"
  RUSTUP_TOOLCHAIN="$NIGHTLY" CARGO_TARGET_DIR="${CARGO_TARGET_DIR_MT:-target/mt}" \
    cargo test --target wasm32-unknown-unknown --features parallel --config .cargo/threads.toml "${tests[@]}" \
    -- "${passthrough[@]}"
elif [ "$relaxed" = 1 ]; then
  echo "wasm-test: relaxed-SIMD build (stable, +simd128,+relaxed-simd): ${tests[*]}"
  CARGO_TARGET_DIR="${CARGO_TARGET_DIR_RELAXED:-target/relaxed}" \
    cargo test --target wasm32-unknown-unknown --config .cargo/relaxed.toml "${tests[@]}" -- "${passthrough[@]}"
else
  echo "wasm-test: single-threaded build (stable, +simd128): ${tests[*]}"
  cargo test --target wasm32-unknown-unknown "${tests[@]}" -- "${passthrough[@]}"
fi
