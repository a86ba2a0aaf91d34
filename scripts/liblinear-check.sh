#!/usr/bin/env bash
# liblinear-check.sh — heart_scale: asgd's asynchronous runs against liblinear's optimum.
# Writes results/workloads/liblinear.md (atomically): liblinear -s 0 (the same C) gives the
# optimum of the L2-regularised logistic loss; asgd's Newton solve gives it independently; and
# each row is one real asynchronous run (workers x mode) with its final loss and its gap to
# liblinear's. Needs liblinear-tools (scripts/setup.sh installs it).
# usage: scripts/liblinear-check.sh [BUILD_DIR]   (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
asgd="$build/asgd"
py=/usr/bin/python3
[ -x "$py" ] || py=python3
out=results/workloads
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
hs=/usr/share/doc/liblinear-tools/examples/heart_scale
C=1; iters=200000; eta=0.01
command -v liblinear-train >/dev/null || { echo "liblinear-check: install liblinear-tools" >&2; exit 1; }

liblinear-train -s 0 -c "$C" -e 1e-8 -q "$hs" "$tmp/model" >/dev/null
f_lib=$($py scripts/liblinear_objective.py "$hs" "$tmp/model" "$C")
get() { $py -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d'+sys.argv[2]))" "$@"; }

{
  echo "# heart_scale: asgd against liblinear"
  echo
  echo "Regularised logistic loss f(w) = (1/n) Σ log(1+exp(−y w·x)) + (λ/2)‖w‖², λ = 1/(nC), C = $C"
  echo "(liblinear's objective divided by nC). One replica per row, $iters updates, η = $eta, no"
  echo "injected work; the final iterate's loss, not an average."
  echo
  echo "- liblinear \`-s 0 -c $C -e 1e-8\`: f = $f_lib"
  first=1
  for mode in master master-inplace hogwild; do
    for M in 1 4 16; do
      "$asgd" run --loss logistic --data heart_scale --C "$C" --workers "$M" --mode "$mode" \
        --work none --replicas 1 --iters "$iters" --eta "$eta" --seed 1 --quiet --out "$tmp/r"
      s="$tmp/r/summary.json"
      if [ $first = 1 ]; then
        echo "- asgd's Newton solve (independent of SGD): f = $(get "$s" "['data']['optimum_loss']")"
        echo
        echo "| mode | workers | final loss | gap to liblinear | accuracy | mean τ | updates/s |"
        echo "|---|---|---|---|---|---|---|"
        first=0
      fi
      $py - "$s" "$f_lib" "$mode" "$M" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); f_lib = float(sys.argv[2])
d = s["data"]; st = s["staleness"] or {}
print("| %s | %s | %.6f | %+.3f%% | %.4f | %.2f | %.3g |" % (
    sys.argv[3], sys.argv[4], d["final_loss"], 100 * (d["final_loss"] - f_lib) / f_lib,
    d.get("final_accuracy", float("nan")), st.get("mean", float("nan")),
    s["throughput"]["updates_per_s"]))
PY
    done
  done
  echo
  echo "Made by \`scripts/liblinear-check.sh\` on $(date -u +%Y-%m-%d): $(nproc) CPUs," \
       "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
} >"$out/liblinear.md.tmp"
mv "$out/liblinear.md.tmp" "$out/liblinear.md"
cat "$out/liblinear.md"
