#!/usr/bin/env bash
# cli_order.sh — `asgd order` end to end: bad input exits 2 naming the value; on fig4 (exact
# moments) the ASGD/SME-ASGD gap shrinks at every halving of eta with a fitted order of at
# least Theorem 3's 1; a non-quadratic preset falls back to ensembles.
# usage: tests/cli_order.sh PATH/TO/asgd
asgd=${1:?usage: cli_order.sh PATH/TO/asgd}
. "$(dirname "$0")/lib.sh"

"$asgd" order --help >"$tmp/help" && grep -q "usage: asgd order" "$tmp/help" && ok || fail "order --help"
expect_usage "'0' is not allowed" order --halvings 0
expect_usage "'9' is not allowed" order --halvings 9
expect_usage "'0' is not allowed" order --horizon 0
expect_usage "'-1' is not allowed" order --horizon -1
expect_usage "'1' is not allowed" order --mu 1
expect_usage "more than 1e7 iterations" order --horizon 1e9
expect_usage "'x' is not allowed" order --eta x

if "$asgd" order --preset fig4 --mu 0.9 --quiet --out "$tmp/f4"; then
  ok
  [ "$(wc -l <"$tmp/f4/order.csv")" -eq 6 ] && ok || fail "order.csv rows"
  python3 - "$tmp/f4/order.json" <<'PY' && ok || fail "fig4 order.json"
import json, sys
d = json.load(open(sys.argv[1]))
r = d["rungs"]
assert len(r) == 5 and all(x["exact"] for x in r)
assert all(r[i + 1]["mean_gap"] < r[i]["mean_gap"] for i in range(4)), r
assert all(abs(r[i + 1]["eta"] * 2 - r[i]["eta"]) < 1e-15 for i in range(4))
# Theorem 3: the gap is O(dt/(1-mu)); a weak gap of order below 1 would contradict it.
assert d["fit"]["mean_gap_order"] >= 1, d["fit"]
assert d["partial"] is False
PY
else
  fail "fig4 order run"
fi

if "$asgd" order --preset fig5-quartic --paths 256 --halvings 1 --iters 100 --quiet --out "$tmp/q"; then
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['rungs'])==2 and not d['rungs'][0]['exact']" \
    "$tmp/q/order.json" && ok || fail "fig5-quartic order.json"
else
  fail "fig5-quartic order run"
fi

finish cli_order
