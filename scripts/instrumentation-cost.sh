#!/usr/bin/env bash
# Regenerate results/bench/instrumentation.md: what recording every update's staleness costs
# Hogwild, counted in instructions (valgrind's callgrind), not in time, which swings by ±20%
# between runs on a shared VM. One worker, racy write, 200000 updates on the rcv1-like SVM,
# with recording on and off; collected inside the engine run and its worker only (the data set's
# generation is not counted). Written atomically, with the command and the machine.
# Usage: scripts/instrumentation-cost.sh   (about a minute; BUILD: the build directory)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
[[ -x $build/bench_hogwild ]] || { scripts/setup.sh "$build" >/dev/null; cmake --build "$build" --target bench_hogwild >/dev/null; }
command -v valgrind >/dev/null || { echo "instrumentation-cost.sh: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
mkdir -p results/bench
tmp=$(mktemp -d)
md=$(mktemp results/bench/.instrumentation.md.XXXXXX)
trap 'rm -rf "$tmp" "$md"' EXIT
count() {   # instructions collected in asgd__hogwild_run and hw_worker_main
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" --collect-atstart=no \
    --toggle-collect=hw_worker_main --toggle-collect=asgd__hogwild_run \
    "$build/bench_hogwild" --write racy --workers 1 --reps 1 --iters 200000 "$@" 2>&1 >/dev/null |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
on=$(count)
off=$(count --no-staleness)
{
  echo "# The cost of recording staleness, in instructions"
  echo
  echo "- command: \`scripts/instrumentation-cost.sh\` (callgrind on \`$build/bench_hogwild --write racy"
  echo "  --workers 1 --reps 1 --iters 200000 [--no-staleness]\`, collecting in asgd__hogwild_run"
  echo "  and hw_worker_main)"
  echo "- machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(date -u +%Y-%m-%d)"
  echo
  echo "| staleness recorded | instructions | per update |"
  echo "|---|---|---|"
  echo "| yes | $on | $(python3 -c "print('%.1f' % ($on / 200000))") |"
  echo "| no | $off | $(python3 -c "print('%.1f' % ($off / 200000))") |"
  echo
  echo "Recording costs $(python3 -c "print('%+.2f%%' % (100 * ($on - $off) / $off))") instructions (issue 15's budget: 3%): per update one"
  echo "(k, τ) pair into the worker's own log, and at the end one pass that merges the logs."
} >"$md"
mv "$md" results/bench/instrumentation.md
trap 'rm -rf "$tmp"' EXIT
cat results/bench/instrumentation.md
