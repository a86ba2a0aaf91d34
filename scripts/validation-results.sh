#!/usr/bin/env bash
# Regenerate results/validation/: `asgd validate` on fig4 with M = 4 and 8 workers and on the
# double well (M = 4), all with exponential work of mean 100 us, and `asgd sweep` on fig4 over
# M = 1, 2, 4, 8, 16; a figure per run (scripts/plot.py validate|staleness|sweep) and
# results/validation/table.md, which collects the verdicts with the command and the machine.
# Usage: scripts/validation-results.sh [OUT]   (default results/validation; ~4 minutes on 2 cores)
# Environment: ASGD_BUILD_DIR (default build); ASGD_NO_BUILD=1 uses the binary already there.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/validation}
start=$(date +%s)
build=${ASGD_BUILD_DIR:-build}
[ "${ASGD_NO_BUILD:-0}" = 1 ] || scripts/setup.sh "$build" >/dev/null
asgd=$build/asgd
py=${PYTHON:-/usr/bin/python3}   # Debian's matplotlib belongs to Debian's python3
[ -x "$py" ] || py=python3
mkdir -p "$out"

for r in "fig4-M4 fig4 4" "fig4-M8 fig4 8" "fig5-doublewell-M4 fig5-doublewell 4"; do
  set -- $r
  echo "== validate $1 ==" >&2
  "$asgd" validate --preset "$2" --workers "$3" --work exp:100us --seed 1 --quiet --out "$out/$1"
  "$py" scripts/plot.py validate "$out/$1" >/dev/null
  "$py" scripts/plot.py staleness "$out/$1" >/dev/null
done
echo "== sweep fig4 ==" >&2
"$asgd" sweep --preset fig4 --work exp:100us --seed 1 --quiet --out "$out/sweep-fig4"
"$py" scripts/plot.py sweep "$out/sweep-fig4" >/dev/null

tmp=$(mktemp "$out/.table.md.XXXXXX")
trap 'rm -f "$tmp"' EXIT   # a failed run leaves no half-written table
"$py" scripts/validation-table.py "$out" "$(( $(date +%s) - start ))" >"$tmp"
mv "$tmp" "$out/table.md"
cat "$out/table.md"
