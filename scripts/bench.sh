#!/usr/bin/env bash
# Regenerate results/bench/: engine throughput against the plain sequential loop
# (bench/bench_engine.c), the ensembles' path-steps/s against hand-tuned loops
# (bench/bench_paths.c) and Hogwild's racy write against its compare-and-swap add on the
# rcv1-like SVM (bench/bench_hogwild.c), with the command and the machine beside the numbers.
# Usage: scripts/bench.sh [REPS] [engine|paths|hogwild|all]   (default 5 all; on an idle machine)
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
scripts/setup.sh build >/dev/null
mkdir -p results/bench
# bench NAME: build/bench_NAME's report into results/bench/NAME.txt (and NAME.csv).
bench() {
  local name=$1 tmp
  tmp=$(mktemp "results/bench/.$name.txt.XXXXXX")
  trap 'rm -f "$tmp"' EXIT   # a failed run leaves no half-written result
  {
    echo "# command: scripts/bench.sh $reps $which  (build/bench_$name --reps $reps --csv results/bench/$name.csv)"
    echo "# machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(date -u +%Y-%m-%d)"
    "build/bench_$name" --reps "$reps" --csv "results/bench/$name.csv"
  } >"$tmp"
  mv "$tmp" "results/bench/$name.txt"
  trap - EXIT
  cat "results/bench/$name.txt"
}
which=${2:-all}
case $which in
  engine) bench engine ;;
  paths) bench paths ;;
  hogwild) bench hogwild ;;
  all) bench engine; bench paths; bench hogwild ;;
  *) echo "bench.sh: WHICH '${2}' is not allowed: expected engine, paths, hogwild or all" >&2
     exit 2 ;;
esac
