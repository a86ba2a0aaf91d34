#!/usr/bin/env bash
# Regenerate results/workloads/: engine scaling on a sparse SVM (rcv1-like, n=200000) and dense
# least squares (regression n=50000, d=200) over modes and worker counts (bench/bench_workloads.c):
# updates/s, bytes written/s, time to a target loss, peak RSS, mean staleness.
# Writes results/workloads/scaling.md (the table) and scaling.csv, both atomically (temporary
# file, then mv), each recording the command and the machine. Run on an idle machine.
# Usage: scripts/workloads-bench.sh [BENCH_FLAGS...]   e.g. --reps 5 (bench_workloads --help)
# Environment: BUILD = the build directory (default build-bench; configured and built when
# its bench_workloads is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build-bench}
if [[ ! -x $build/bench_workloads ]]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target bench_workloads >/dev/null
fi
out=results/workloads
mkdir -p "$out"
md=$(mktemp "$out/.scaling.md.XXXXXX")
csv=$(mktemp "$out/.scaling.csv.XXXXXX")
table=$(mktemp "$out/.scaling.table.XXXXXX")
body=$(mktemp "$out/.scaling.body.XXXXXX")
trap 'rm -f "$md" "$csv" "$table" "$body"' EXIT   # a failed run leaves no half-written result
cmd="scripts/workloads-bench.sh${*:+ $*}"
machine="nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(date -u +%Y-%m-%dT%H:%MZ)"
"$build/bench_workloads" "$@" --csv "$body" | tee "$table"
{
  echo "# Engine scaling on two workloads (bench/bench_workloads.c)"
  echo
  echo "- command: \`$cmd\` (runs \`$build/bench_workloads${*:+ $*} --csv FILE\`)"
  echo "- machine: $machine"
  cat "$table"
} >"$md"
{
  echo "# command: $cmd"
  echo "# machine: $machine"
  cat "$body"
} >"$csv"
chmod 644 "$md" "$csv"
mv "$md" "$out/scaling.md"
mv "$csv" "$out/scaling.csv"
trap 'rm -f "$table" "$body"' EXIT
echo "wrote $out/scaling.md and $out/scaling.csv" >&2
