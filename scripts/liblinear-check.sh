#!/usr/bin/env bash
# liblinear-check.sh — asgd's optima and asynchronous runs against liblinear.
# Writes results/workloads/liblinear.md (atomically). First asgd's optimum of every data model
# (squares, logistic, hinge) against liblinear's solver of the same objective, on heart_scale
# and on a sparse synthetic set with d = 20 000 > 4096 (scripts/liblinear_optima.py, one row
# each). Then heart_scale's logistic loss: liblinear -s 0 (the same C) gives its optimum, and
# each row is one real asynchronous run (workers x mode) with its final loss and its gap to
# liblinear's. Needs liblinear-tools (scripts/setup.sh installs it). About a minute.
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
$py scripts/sparse_svm.py 2000 20000 30 1 >"$tmp/sparse-20000.svm"
get() { $py -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d'+sys.argv[2]))" "$@"; }

{
  echo "# asgd against liblinear"
  echo
  echo "## Optima"
  echo
  echo "asgd's minimizer of each data model (independent of SGD: Cholesky for d ≤ 4096, Newton-CG"
  echo "beyond, dual coordinate descent for the hinge loss) against liblinear's, on heart_scale"
  echo "(n = 270, d = 13) and on sparse-20000.svm (\`scripts/sparse_svm.py 2000 20000 30 1\`: n = 2000,"
  echo "d = 20 000, 30 entries a row). f is asgd's objective, liblinear's divided by nC, evaluated by"
  echo "\`scripts/liblinear_objective.py\` from liblinear's model. Times are wall clock: liblinear-train,"
  echo "and \`asgd run --iters 1\` whole (reading the file included). Agreement: 1e-7 relative, or,"
  echo "where liblinear stops at its pass cap, asgd inside liblinear's duality bracket."
  echo
  echo "| set | loss | liblinear | liblinear f | asgd f | asgd − liblinear (rel.) | liblinear time | asgd time | check |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for set in "$hs" "$tmp/sparse-20000.svm"; do
    for loss in squares logistic hinge; do
      $py scripts/liblinear_optima.py "$asgd" "$set" "$C" "$loss"
    done
  done
  $py scripts/liblinear_optima.py "$asgd" "$hs" 0.1 hinge
  echo
  echo "## heart_scale: asynchronous runs"
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
