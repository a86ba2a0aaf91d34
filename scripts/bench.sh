#!/usr/bin/env bash
# Regenerate results/bench/: engine throughput against the plain sequential loop
# (bench/bench_engine.c), the ensembles' path-steps/s against hand-tuned loops
# (bench/bench_paths.c) and Hogwild's racy write against its compare-and-swap add on the
# rcv1-like SVM (bench/bench_hogwild.c) with each clock for tau, and f32 beside f64 (precision),
# with the command and the machine beside the numbers.
# Usage: scripts/bench.sh [REPS] [engine|paths|hogwild|precision|all]   (default 5 all; idle machine)
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
scripts/setup.sh build >/dev/null
mkdir -p results/bench
# bench NAME [OUT [ARGS...]]: build/bench_NAME's report into results/bench/OUT.txt (and OUT.csv;
# OUT defaults to NAME), with ARGS passed on.
bench() {
  local name=$1 out=${2:-$1} tmp
  shift; shift || true
  tmp=$(mktemp "results/bench/.$out.txt.XXXXXX")
  trap 'rm -f "$tmp"' EXIT   # a failed run leaves no half-written result
  {
    echo "# command: scripts/bench.sh $reps $which  (build/bench_$name --reps $reps --csv results/bench/$out.csv${*:+ $*})"
    echo "# machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(date -u +%Y-%m-%d)"
    "build/bench_$name" --reps "$reps" --csv "results/bench/$out.csv" "$@"
  } >"$tmp"
  mv "$tmp" "results/bench/$out.txt"
  trap - EXIT
  cat "results/bench/$out.txt"
}
which=${2:-all}
case $which in
  engine) bench engine ;;
  paths) bench paths ;;
  hogwild) bench hogwild ;;
  precision) bench hogwild precision --precision both --write racy --clock timestamp ;;
  all) bench engine; bench paths; bench hogwild; bench hogwild precision --precision both \
         --write racy --clock timestamp ;;
  *) echo "bench.sh: WHICH '${2}' is not allowed: expected engine, paths, hogwild, precision or all" >&2
     exit 2 ;;
esac
