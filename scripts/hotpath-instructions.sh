#!/usr/bin/env bash
# Instructions per durable step on the engine's hot path, independent of the machine's
# noise: runs `baton-bench hotpath` (one command at a time, a manual clock, fixed ids)
# under callgrind at two sizes and divides the difference by the extra steps, so start-up
# and the checks cancel out. Same binary, same count: compare before and after a change.
#
#   scripts/hotpath-instructions.sh            # 50 and 150 chains of 10 steps
#   SMALL=20 LARGE=60 scripts/hotpath-instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/baton/target}"
command -v valgrind >/dev/null || { echo "error: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
cargo build -q --release -p baton-bench
bin="$CARGO_TARGET_DIR/release/baton-bench"
small="${SMALL:-50}" large="${LARGE:-150}" steps="${STEPS:-10}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

count() {
  valgrind --tool=callgrind --callgrind-out-file="$out/cg.$1" \
    "$bin" hotpath --n "$1" --steps "$steps" >/dev/null 2>"$out/log.$1" \
    || { cat "$out/log.$1" >&2; exit 1; }
  # One file for the whole process (all threads); its summary line is the total.
  cat "$out"/cg."$1"* | awk '/^summary:/ {s += $2} END {print s}'
}

a="$(count "$small")"
b="$(count "$large")"
per_step=$(( (b - a) / ((large - small) * steps) ))
echo "instructions: $small chains $a, $large chains $b"
echo "per step: $per_step instructions (marginal, $steps-step chains, one command per batch)"
