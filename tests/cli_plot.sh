#!/usr/bin/env bash
# cli_plot.sh — scripts/plot.py end to end: figures from `asgd compare` and `asgd order` outputs
# are whole PNG files; a directory that is not such an output, a bad coordinate and a missing
# file exit 2 with a message naming them.
# usage: tests/cli_plot.sh PATH/TO/asgd
asgd=${1:?usage: cli_plot.sh PATH/TO/asgd}
. "$(dirname "$0")/lib.sh"
plot="$(cd "$(dirname "$0")/.." && pwd)/scripts/plot.py"
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }
usage_cmd=("$py" "$plot")

"$asgd" compare --preset fig4 --paths 128 --iters 100 --quiet --out "$tmp/c" || fail "compare run"
"$py" "$plot" compare "$tmp/c" >/dev/null && is_png "$tmp/c/compare.png" && ok || fail "compare figure"
"$asgd" compare --preset fig6:d=4 --paths 128 --iters 50 --quiet --out "$tmp/c6" || fail "compare d=4 run"
"$py" "$plot" compare "$tmp/c6" --coords 0,3 -o "$tmp/c6.png" >/dev/null && is_png "$tmp/c6.png" && ok ||
  fail "compare figure, two coordinates"
"$asgd" order --preset fig4 --halvings 2 --quiet --out "$tmp/o" || fail "order run"
"$py" "$plot" order "$tmp/o" >/dev/null && is_png "$tmp/o/order.png" && ok || fail "order figure"
"$py" "$plot" moments "$tmp/c/asgd/moments.csv" "$tmp/c/sme-asgd/exact.csv" --labels asgd,exact \
  -o "$tmp/m.png" >/dev/null && is_png "$tmp/m.png" && ok || fail "moments figure"

expect_usage "has no comparison.json" compare "$tmp/o"
expect_usage "has no order.json" order "$tmp/c"
expect_usage "coordinate 7 is not in the data" compare "$tmp/c6" --coords 0,7
expect_usage "'x' is not allowed" compare "$tmp/c6" --coords x
expect_usage "does not exist" moments "$tmp/nope.csv"
expect_usage "2 names for 1 files" moments "$tmp/c/asgd/moments.csv" --labels a,b
printf 'a,b\n1,2\n' >"$tmp/bad.csv"
expect_usage "is not a moments.csv" moments "$tmp/bad.csv"
ls "$tmp"/*.tmp "$tmp"/c/*.tmp 2>/dev/null | grep -q . && fail "temporary PNG left behind" || ok

finish cli_plot
