#!/usr/bin/env bash
# Regenerate results/paper/: the paper's Figures 4-7 as `asgd compare` runs (discrete ASGD,
# SME-ASGD and SME-SGD, 5000 paths each, exact moments beside them for the quadratic presets),
# SME-ASGD under each choice of Sigma(t) (results/paper/sigma/), Theorem 3's order on fig4 and fig5-quartic (`asgd order`), Appendix B's closed forms
# (`asgd theory`), one PNG per run (scripts/plot.py), and results/paper/table.md, which collects
# every gap and the double-well basin fractions beside the paper's percentages.
# Usage: scripts/reproduce-paper.sh [PATHS] [OUT]   (defaults 5000, results/paper)
# Environment: ASGD_BUILD_DIR (default build); ASGD_NO_BUILD=1 uses the binary already there.
set -euo pipefail
cd "$(dirname "$0")/.."
paths=${1:-5000}
out=${2:-results/paper}
case $paths in ''|*[!0-9]*) echo "reproduce-paper.sh: PATHS '$paths' is not allowed: expected a positive integer" >&2; exit 2;; esac
[ "$paths" -ge 2 ] || { echo "reproduce-paper.sh: PATHS '$paths' is not allowed: expected at least 2" >&2; exit 2; }
start=$(date +%s)
build=${ASGD_BUILD_DIR:-build}
[ "${ASGD_NO_BUILD:-0}" = 1 ] || scripts/setup.sh "$build" >/dev/null
asgd=$build/asgd
# Debian's matplotlib belongs to Debian's python3, which another python3 on PATH may shadow.
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3
mkdir -p "$out"

# name preset mu: the figure settings (eta and iterations are the presets' defaults).
runs=(
  "fig4-mu0.9 fig4 0.9"
  "fig4-mu0.95 fig4 0.95"
  "fig4-mu0.97 fig4 0.97"
  "fig5-quartic fig5-quartic 0.95"
  "fig5-doublewell fig5-doublewell 0.95"
  "fig6 fig6 0.9"
  "fig7 fig7 0.9"
)
for r in "${runs[@]}"; do
  set -- $r
  echo "== compare $1 ==" >&2
  "$asgd" compare --preset "$2" --mu "$3" --paths "$paths" --seed 1 --quiet --out "$out/$1"
  coords=""
  case $2 in fig6|fig7) coords="--coords 0,1";; esac
  "$py" scripts/plot.py compare "$out/$1" $coords >/dev/null
done
# d = 100: comparison.json covers every coordinate, but the committed CSVs keep only the six the
# paper plots (Figure 6: c1, c2, c29, c81, c37, c74; Figure 7: c1, c2, c27, c100, c16, c78;
# 0-based below), or they would be 70 MB.
"$py" - "$out" <<'PY'
import csv, glob, os, sys
keep = {"fig6": {0, 1, 28, 80, 36, 73}, "fig7": {0, 1, 26, 99, 15, 77}}
for run, coords in keep.items():
    for path in glob.glob(os.path.join(sys.argv[1], run, "*", "*.csv")):
        with open(path, newline="") as fp:
            rows = list(csv.reader(fp))
        col = rows[0].index("coord")
        tmp = path + ".thin"
        with open(tmp, "w", newline="") as fp:
            w = csv.writer(fp, lineterminator="\n")
            w.writerow(rows[0])
            w.writerows(r for r in rows[1:] if int(r[col]) in coords)
        os.replace(tmp, path)
PY

echo "== the choices of Sigma(t) ==" >&2
for r in "fig4 0.97" "fig5-quartic 0.95" "fig5-doublewell 0.95"; do
  set -- $r
  for sigma in continuum evolve constant instant; do
    "$asgd" compare --preset "$1" --mu "$2" --sigma "$sigma" --paths "$paths" --seed 1 --quiet \
      --out "$out/sigma/$1-$sigma"
    rm -rf "$out/sigma/$1-$sigma"/{asgd,sme-asgd,sme-sgd}   # the table needs comparison.json only
  done
done

echo "== order ==" >&2
"$asgd" order --preset fig4 --mu 0.9 --quiet --out "$out/order-fig4"
"$py" scripts/plot.py order "$out/order-fig4" >/dev/null
"$asgd" order --preset fig5-quartic --mu 0.95 --paths "$paths" --quiet --out "$out/order-fig5-quartic"
"$py" scripts/plot.py order "$out/order-fig5-quartic" >/dev/null

echo "== theory ==" >&2
for mu in 0.9 0.95 0.97; do
  "$asgd" theory --preset fig4 --mu "$mu" --out "$out/theory-fig4-mu$mu" >/dev/null
done

tmp=$(mktemp "$out/.table.md.XXXXXX")
trap 'rm -f "$tmp"' EXIT   # a failed run leaves no half-written table
"$py" scripts/paper-table.py "$out" "$paths" "$(( $(date +%s) - start ))" >"$tmp"
mv "$tmp" "$out/table.md"
cat "$out/table.md"
