#!/usr/bin/env bash
# Regenerate results/bench/: engine throughput against the plain sequential loop
# (bench/bench_engine.c), with the command and the machine recorded beside the numbers.
# Usage: scripts/bench.sh [REPS]   (default 5; run on an otherwise idle machine)
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
scripts/setup.sh build >/dev/null
mkdir -p results/bench
tmp=$(mktemp results/bench/.engine.txt.XXXXXX)
trap 'rm -f "$tmp"' EXIT   # a failed run leaves no half-written result
{
  echo "# command: scripts/bench.sh $reps  (build/bench_engine --reps $reps --csv results/bench/engine.csv)"
  echo "# machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(date -u +%Y-%m-%d)"
  build/bench_engine --reps "$reps" --csv results/bench/engine.csv
} >"$tmp"
mv "$tmp" results/bench/engine.txt
cat results/bench/engine.txt
