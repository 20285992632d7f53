#!/usr/bin/env bash
# Runs the browser end-to-end tests (tests/e2e/, node --test + playwright-core) against a local server.
#
# Starts `serve` (npm, with serve.json: COOP/COEP headers) on a free port of 127.0.0.1 in the background, exports
# its base URL as PAPERLAB_URL (e.g. http://127.0.0.1:41234, no trailing slash), runs `node --test`, and stops the
# server. If PAPERLAB_URL is already set, that server is used and none is started.
# Extra arguments go to `node --test` (e.g. --test-name-pattern=verify). Two test files run at once
# (E2E_CONCURRENCY, default 2): each file has its own browser, and most of a test is waiting on a page.
set -euo pipefail
cd "$(dirname "$0")/.."

shopt -s nullglob
files=(tests/e2e/*.js tests/e2e/*.mjs tests/e2e/*.cjs)
if [ ${#files[@]} -eq 0 ]; then
  echo "e2e: no test files in tests/e2e/ yet; skipping"
  exit 0
fi

server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT INT TERM

if [ -z "${PAPERLAB_URL:-}" ]; then
  port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  log="$(mktemp -t paperlab-serve.XXXXXX)"
  node_modules/.bin/serve -c serve.json -l "tcp://127.0.0.1:$port" --no-clipboard --no-port-switching -L . >"$log" 2>&1 &
  server_pid=$!
  export PAPERLAB_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$PAPERLAB_URL/index.html"; then
      break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "e2e: the server exited:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "e2e: serving the repository at $PAPERLAB_URL (pid $server_pid)"
else
  echo "e2e: using the server at PAPERLAB_URL=$PAPERLAB_URL"
fi

node --test --test-concurrency="${E2E_CONCURRENCY:-2}" "$@" tests/e2e/
