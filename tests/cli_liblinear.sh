#!/usr/bin/env bash
# cli_liblinear.sh — asgd's optimum of every data model against liblinear's, an independent
# solver of the same objective (scripts/liblinear_objective.py has the correspondence): squares
# (-s 11 -p 0), logistic (-s 0) and hinge (-s 3) on heart_scale (d = 13, asgd by Cholesky; the
# hinge by dual CD) and on a sparse synthetic set with d = 20 000 > 4096 (scripts/sparse_svm.py;
# asgd by Newton-CG). f must agree to 1e-7 relative, or, where liblinear stops at its pass cap
# (-s 3 at C = 1 on heart_scale), lie in liblinear's duality bracket (scripts/liblinear_optima.py).
# liblinear-tools is a dependency (scripts/setup.sh installs it): missing, this test FAILS.
# usage: tests/cli_liblinear.sh PATH/TO/asgd
asgd=${1:?usage: cli_liblinear.sh PATH/TO/asgd}
. "$(dirname "$0")/lib.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3
hs=/usr/share/doc/liblinear-tools/examples/heart_scale

if ! command -v liblinear-train >/dev/null || [ ! -r "$hs" ]; then
  fail "liblinear-train or $hs missing: install liblinear-tools (scripts/setup.sh)"
  finish cli_liblinear
  exit
fi
"$py" "$root/scripts/sparse_svm.py" 2000 20000 30 1 >"$tmp/sparse.svm" || fail "sparse_svm.py"

# compare SET C LOSS: one row of liblinear_optima.py's table, which must say they agree
compare() {
  if "$py" "$root/scripts/liblinear_optima.py" "$asgd" "$1" "$2" "$3" >"$tmp/row" 2>"$tmp/err"; then
    ok
  else
    fail "$(basename "$1") $3 C=$2: $(cat "$tmp/row" "$tmp/err")"
  fi
  cat "$tmp/row"
}

for loss in squares logistic hinge; do
  compare "$hs" 1 "$loss"
  compare "$tmp/sparse.svm" 1 "$loss"
done
compare "$hs" 0.1 hinge # a C at which liblinear's -s 3 converges on heart_scale too

finish cli_liblinear
