#!/usr/bin/env bash
# Regenerate results/batch/ and results/advise/: `asgd batch` on fig8 with its defaults (the
# optimal mini-batch schedule of Section 4 against constant batches, in the simulator and the real
# engine) and `asgd advise` on fig4 with 8 workers (the recommendation run against the current
# setting), each with its figure and the command and machine recorded in a report.md beside it
# (the folder's README.md, the narrative that reads the run, is kept).
# Usage: scripts/decision-results.sh [batch|advise|all]   (default all; about 30 s on 2 cores)
# Environment: ASGD_BUILD_DIR (default build); ASGD_NO_BUILD=1 uses the binary already there.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ASGD_BUILD_DIR:-build}
[ "${ASGD_NO_BUILD:-0}" = 1 ] || scripts/setup.sh "$build" >/dev/null
asgd=$build/asgd
py=${PYTHON:-/usr/bin/python3}   # Debian's matplotlib belongs to Debian's python3
[ -x "$py" ] || py=python3
machine="nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"

# run NAME ASGD-ARGS...: one command into results/NAME with its report.md; everything else there
# but README.md is removed first, so no file of an earlier run survives.
run() {
  local name=$1 out=results/$1 tmp
  shift
  mkdir -p "$out"
  find "$out" -mindepth 1 ! -name README.md -delete
  tmp=$(mktemp "$out/.report.md.XXXXXX")
  trap 'rm -f "$tmp"' EXIT   # a failed run leaves no half-written report
  {
    echo "# asgd $*"
    echo
    echo "command: \`scripts/decision-results.sh $which\` (\`asgd $* --seed 1 --out $out\`); machine: $machine; $(date -u +%Y-%m-%d)"
    echo
    echo '```'
    "$asgd" "$@" --seed 1 --out "$out"
    echo '```'
  } >"$tmp"
  mv "$tmp" "$out/report.md"
  trap - EXIT
}

which=${1:-all}
case $which in batch|advise|all) ;; *)
  echo "decision-results.sh: '$which' is not allowed: expected batch, advise or all" >&2; exit 2;;
esac
if [ "$which" != advise ]; then
  run batch batch --preset fig8
  "$py" scripts/plot.py batch results/batch >/dev/null
  cat results/batch/report.md
fi
if [ "$which" != batch ]; then
  run advise advise --preset fig4 --workers 8
  "$py" scripts/plot.py advise results/advise >/dev/null
  cat results/advise/report.md
fi
