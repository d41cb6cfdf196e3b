#!/usr/bin/env bash
# Compare the dossier path of another revision with the working tree, side by side: the machine's own speed
# moves by ±15 % during a day, so one run of each says little. Alternates B3 runs (old, new, old, new, ...)
# with the same measuring code (this tree's bench/ is copied into the other revision) and prints the end-to-end
# rate and the CPU per dossier of each. Usage: `make bench-compare REV=<revision> [RUNS=2]`.
# Sizes as for `make bench` (BENCH_DOSSIERS, default 600 here); the open-loop table and the scale stage are skipped. The measuring code
# must run on that revision too (it imports services.chassis.run).
set -euo pipefail
rev=${1:?usage: bench/compare.sh <revision> [runs]}
runs=${2:-2}
here=$(cd "$(dirname "$0")/.." && pwd)
other=$(mktemp -d /tmp/motcua-compare.XXXXXX)
trap 'git -C "$here" worktree remove --force "$other" >/dev/null 2>&1 || true' EXIT
git -C "$here" worktree add -q --detach "$other" "$rev"
cp "$here"/bench/*.py "$other/bench/"
mkdir -p "$other/.build" && cp -r "$here/.build/gen" "$other/.build/"  # the same protos (make protos if they differ)
for i in $(seq "$runs"); do
  for side in old new; do
    dir=$([ "$side" = old ] && echo "$other" || echo "$here")
    log="$here/var/compare-$side-$i.log"
    mkdir -p "$here/var"
    (cd "$dir" && BENCH_SKIP_OPEN_LOOP=1 BENCH_SKIP_SCALE=1 BENCH_DOSSIERS=${BENCH_DOSSIERS:-600} PYTHONPATH="$dir:$dir/.build/gen" \
      "$here/.venv/bin/python" -m bench.run >"$log" 2>&1) || { echo "$side run $i failed: $log"; exit 1; }
    rate=$(grep -o 'B3 end to end (HTTP → SMTP) | [0-9.]* dossiers/s' "$log" | grep -o '[0-9.]* dossiers/s')
    cpu=$(grep -o 'B3 CPU per dossier (all processes) | [0-9.]* ms' "$log" | grep -o '[0-9.]* ms')
    echo "$side ($([ "$side" = old ] && echo "$rev" || echo "working tree")) run $i: $rate, $cpu of CPU per dossier"
  done
done
