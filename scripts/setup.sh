#!/usr/bin/env bash
# Installs what building and testing Paperlab needs, at pinned versions. Idempotent: each step checks first and
# does nothing when the right version is already there.
#
#   scripts/setup.sh            Rust targets, the pinned nightly, wasm-pack, wasm-bindgen-cli, node_modules
#   scripts/setup.sh --browser  the same, plus Chromium, chromedriver and Firefox ESR (Debian packages) for the
#                               browser tests
#
# Needs: rustup + cargo, node + npm, and (for --browser) apt-get as root or through sudo. Only the package
# registries are used (rustup's dist server, crates.io, npm, Debian).
set -euo pipefail

NIGHTLY="nightly-2026-05-20"
WASM_PACK_VERSION="0.15.1"
WASM_BINDGEN_VERSION="0.2.130" # must equal the `wasm-bindgen = "=..."` pin in Cargo.toml
TARGET="wasm32-unknown-unknown"

cd "$(dirname "$0")/.."
[ -d "$HOME/.cargo/bin" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) export PATH="$HOME/.cargo/bin:$PATH" ;; esac

browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) browser=1 ;;
    -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "setup: unknown argument $arg" >&2; exit 2 ;;
  esac
done

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif have sudo; then sudo "$@"; else die "need root (or sudo) for: $*"; fi
}

# --- Rust ---------------------------------------------------------------------------------------------------------
have rustup || die "rustup not found: install Rust with rustup first (https://rustup.rs), then re-run"
have cargo || die "cargo not found on PATH (is \$HOME/.cargo/bin on PATH?)"

if rustup target list --installed | grep -qx "$TARGET"; then
  say "ok: $TARGET target for the default toolchain"
else
  say "installing the $TARGET target for the default toolchain"
  rustup target add "$TARGET"
fi

# RUSTUP_AUTO_INSTALL may be 0 here, so the nightly is installed explicitly.
if rustup toolchain list | grep -q "^$NIGHTLY"; then
  missing=()
  rustup component list --toolchain "$NIGHTLY" --installed | grep -q '^rust-src' || missing+=(component rust-src)
  rustup target list --toolchain "$NIGHTLY" --installed | grep -qx "$TARGET" || missing+=(target "$TARGET")
  if [ ${#missing[@]} -eq 0 ]; then
    say "ok: $NIGHTLY with rust-src and $TARGET"
  else
    say "adding rust-src / $TARGET to $NIGHTLY"
    rustup component add --toolchain "$NIGHTLY" rust-src
    rustup target add --toolchain "$NIGHTLY" "$TARGET"
  fi
else
  say "installing $NIGHTLY (rust-src, $TARGET) for the threaded build (~20 s)"
  rustup toolchain install "$NIGHTLY" --profile minimal --component rust-src --target "$TARGET"
fi

version_of() { "$1" --version 2>/dev/null | awk '{print $2}' || true; }

if [ "$(version_of wasm-pack)" = "$WASM_PACK_VERSION" ]; then
  say "ok: wasm-pack $WASM_PACK_VERSION"
else
  say "installing wasm-pack $WASM_PACK_VERSION with cargo (~7 min on 2 cores)"
  cargo install --locked wasm-pack --version "$WASM_PACK_VERSION"
fi

# Without --locked: the registry mirror lacks a version the CLI's own lock file names.
if [ "$(version_of wasm-bindgen)" = "$WASM_BINDGEN_VERSION" ] &&
  [ "$(version_of wasm-bindgen-test-runner)" = "$WASM_BINDGEN_VERSION" ]; then
  say "ok: wasm-bindgen-cli $WASM_BINDGEN_VERSION"
else
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION with cargo (~7 min on 2 cores)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# --- node_modules ---------------------------------------------------------------------------------------------------
have node || die "node not found: install Node.js >= 20 (with npm) first"
have npm || die "npm not found: install npm first"

# node_modules is current when every package in package-lock.json is installed at its locked version. A stamp with
# the lock file's hash makes the common case one comparison.
stamp="node_modules/.paperlab-lock.sha256"
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
node_modules_current() {
  [ -d node_modules ] || return 1
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ] && return 0
  node -e '
    const fs = require("fs");
    const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
    for (const [path, meta] of Object.entries(lock.packages || {})) {
      if (!path || meta.link || meta.optional) continue;
      let v;
      try { v = JSON.parse(fs.readFileSync(path + "/package.json", "utf8")).version; } catch { process.exit(1); }
      if (v !== meta.version) process.exit(1);
    }' || return 1
}
if node_modules_current; then
  say "ok: node_modules matches package-lock.json"
else
  say "npm ci (node_modules missing or stale)"
  npm ci --no-audit --no-fund
fi
echo "$lock_hash" >"$stamp"

# --- browser for the tests ------------------------------------------------------------------------------------------
# Chromium runs every browser test; Firefox ESR the second-engine smoke test (tests/e2e/firefox.test.mjs, driven by
# puppeteer-core over WebDriver BiDi).
if [ "$browser" = 1 ]; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
  [ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
  if [ "${#missing[@]}" = 0 ]; then
    say "ok: /usr/bin/chromium, /usr/bin/chromedriver and /usr/bin/firefox-esr"
  else
    have apt-get || die "missing ${missing[*]} and apt-get is not available: install them (Debian package names)"
    say "installing ${missing[*]} (Debian)"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
  fi
fi

say "done"
