#!/usr/bin/env bash
# Trains the shipped bagnet models in parts (one model, all seeds, per run: each run stays short on a busy machine),
# the two datasets side by side, then assembles www/models/bagnet/ (weights, manifest, masking experiment).
#
#   scripts/bagnet-train.sh [EPOCHS] [SEEDS]      (default 3 epochs, 2 seeds; logs in $PARTS/*.log)
#
# Equivalent to `paperlab train bagnet --epochs EPOCHS --seeds SEEDS` in one run (the same models: every run is a
# function of its seed only). PAPERLAB names the binary (default: cargo's test-profile build with --features parallel).
set -euo pipefail
EPOCHS=${1:-3}
SEEDS=${2:-2}
BIN=${PAPERLAB:-${CARGO_TARGET_DIR:-target}/debug/paperlab}
PARTS=${PARTS:-$(mktemp -d)}
echo "parts in $PARTS"
chain() {
  local ds=$1
  for q in 5 9 13 17; do
    nice -n 10 "$BIN" train bagnet --only "$ds" --qs "$q" --no-cnn --epochs "$EPOCHS" --seeds "$SEEDS" --out "$PARTS/$ds-q$q" > "$PARTS/$ds-q$q.log" 2>&1
  done
  nice -n 10 "$BIN" train bagnet --only "$ds" --qs none --no-mask --epochs "$EPOCHS" --seeds "$SEEDS" --out "$PARTS/$ds-cnn" > "$PARTS/$ds-cnn.log" 2>&1
}
chain mnist & a=$!
chain fashion & b=$!
wait $a
wait $b
list=$(for ds in mnist fashion; do for p in q5 q9 q13 q17 cnn; do printf '%s,' "$PARTS/$ds-$p"; done; done)
nice -n 10 "$BIN" train bagnet --assemble "${list%,}" > "$PARTS/assemble.log" 2>&1
echo "done: see $PARTS/assemble.log"
