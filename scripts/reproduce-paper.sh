#!/usr/bin/env bash
# Regenerate results/paper/: the paper's Figures 4-7 as `asgd compare` runs (discrete ASGD,
# SME-ASGD and SME-SGD, 5000 paths each, exact moments beside them for the quadratic presets),
# Theorem 3's order on fig4 and fig5-quartic (`asgd order`), Appendix B's closed forms
# (`asgd theory`), one PNG per run (scripts/plot.py), and results/paper/table.md, which collects
# every gap and the double-well basin fractions beside the paper's percentages.
# Usage: scripts/reproduce-paper.sh [PATHS] [OUT]   (defaults 5000, results/paper)
set -euo pipefail
cd "$(dirname "$0")/.."
paths=${1:-5000}
out=${2:-results/paper}
case $paths in ''|*[!0-9]*) echo "reproduce-paper.sh: PATHS '$paths' is not allowed: expected a positive integer" >&2; exit 2;; esac
[ "$paths" -ge 2 ] || { echo "reproduce-paper.sh: PATHS '$paths' is not allowed: expected at least 2" >&2; exit 2; }
start=$(date +%s)
scripts/setup.sh build >/dev/null
asgd=build/asgd
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
  python3 scripts/plot.py compare "$out/$1" $coords >/dev/null
done

echo "== order ==" >&2
"$asgd" order --preset fig4 --mu 0.9 --quiet --out "$out/order-fig4"
python3 scripts/plot.py order "$out/order-fig4" >/dev/null
"$asgd" order --preset fig5-quartic --mu 0.95 --paths "$paths" --quiet --out "$out/order-fig5-quartic"
python3 scripts/plot.py order "$out/order-fig5-quartic" >/dev/null

echo "== theory ==" >&2
for mu in 0.9 0.95 0.97; do
  "$asgd" theory --preset fig4 --mu "$mu" --out "$out/theory-fig4-mu$mu" >/dev/null
done

tmp=$(mktemp "$out/.table.md.XXXXXX")
trap 'rm -f "$tmp"' EXIT   # a failed run leaves no half-written table
python3 scripts/paper-table.py "$out" "$paths" "$(( $(date +%s) - start ))" >"$tmp"
mv "$tmp" "$out/table.md"
cat "$out/table.md"
