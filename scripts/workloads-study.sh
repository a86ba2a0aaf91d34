#!/usr/bin/env bash
# Regenerate results/workloads/study/: the mission's questions asked of two data sets with the
# data defaults (docs/MODELS.md §7) — logistic regression on heart_scale (n = 270, d = 13) and
# on the RCV1-like `rcv1:n=2000,d=47236,nnz=70` — by `asgd validate` (does SME-ASGD with the
# fitted mu_hat predict the real loss curve better than the staleness-free SME-SGD?) and
# `asgd sweep` (how stale, how fast, and where the asynchrony's momentum shows, per M). Each run
# goes to a scratch directory and is moved into place whole; then its figures
# (scripts/plot.py validate|staleness|sweep) and study.md, the table of every verdict with the
# command, the wall time and the machine (scripts/workloads-table.py). README.md beside them is
# the reading, written by hand from these numbers.
# The ensembles' per-step moments (sweep's M<m>/{msgd,asgd}_moments.csv, ~0.6 MB each) are not
# kept: sweep.json holds what the table and the figure read, and the script makes them again.
# Usage: scripts/workloads-study.sh [OUT [RUN...]]   (default results/workloads/study, every run;
#        ~35 min on 2 cores). RUNs name the ones to redo (e.g. rcv1-sweep); study.md is remade.
# Environment: ASGD_BUILD_DIR (default build); ASGD_NO_BUILD=1 uses the binary already there.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/workloads/study}
shift || true
only=("$@")
build=${ASGD_BUILD_DIR:-build}
[ "${ASGD_NO_BUILD:-0}" = 1 ] || scripts/setup.sh "$build" >/dev/null
asgd=$build/asgd
py=${PYTHON:-/usr/bin/python3}   # Debian's matplotlib belongs to Debian's python3
[ -x "$py" ] || py=python3
mkdir -p "$out"
scratch=$(mktemp -d "$out/.run.XXXXXX")
trap 'rm -rf "$scratch"' EXIT   # a failed run leaves nothing half-written
hs=(--loss logistic --data heart_scale)
rcv=(--loss logistic --data rcv1:n=2000,d=47236,nnz=70)

# NAME COMMAND...: run it into $scratch/NAME, record its wall time, move it into $out/NAME.
study() {
  local name=$1; shift
  if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" $name "* ]]; then return; fi
  echo "== $name: asgd $* ==" >&2
  local t0; t0=$(date +%s.%N)
  "$asgd" "$@" --seed 1 --quiet --out "$scratch/$name"
  python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" \
    "$t0" "$(date +%s.%N)" >"$scratch/$name/wall_s.txt"
  case $1 in
    validate) "$py" scripts/plot.py validate "$scratch/$name" >/dev/null
              "$py" scripts/plot.py staleness "$scratch/$name" >/dev/null ;;
    sweep) "$py" scripts/plot.py sweep "$scratch/$name" >/dev/null
           rm -f "$scratch/$name"/M*/msgd_moments.csv "$scratch/$name"/M*/asgd_moments.csv ;;
  esac
  rm -rf "${out:?}/$name"
  mv "$scratch/$name" "$out/$name"
}

# the data defaults (η aimed at a 0.5% noise floor), then the stability scale η_stab = 0.37,
# where a step's noise is large enough for the asynchrony's momentum to show
study heart_scale-validate validate "${hs[@]}"
study heart_scale-validate-eta0.37 validate "${hs[@]}" --eta 0.37
study heart_scale-sweep sweep "${hs[@]}" --workers 1,2,4,8
study heart_scale-sweep-eta0.37 sweep "${hs[@]}" --workers 1,2,4,8 --eta 0.37
study rcv1-validate validate "${rcv[@]}" --paths 100 --replicas 100 --epochs 1
study rcv1-sweep sweep "${rcv[@]}" --workers 1,2,4 --epochs 1 --paths 100

tmp=$(mktemp "$out/.study.md.XXXXXX")
"$py" scripts/workloads-table.py "$out" >"$tmp"
mv "$tmp" "$out/study.md"
cat "$out/study.md"
