#!/usr/bin/env bash
# cli_sme.sh — `asgd sme` end to end: bad input exits 2 naming the value, a small run writes
# complete moments.csv/summary.json/final.csv, so does sme-asgd-mixture (with its mixture and the
# derived mu), the double well reports basin fractions, and SIGINT writes a partial result and
# exits 130.
# usage: tests/cli_sme.sh PATH/TO/asgd
asgd=${1:?usage: cli_sme.sh PATH/TO/asgd}
. "$(dirname "$0")/lib.sh"

grep -q "usage: asgd sme" <<<"$("$asgd" sme --help)" && ok || fail "sme --help"

o=(--out "$tmp/bad" --quiet)
m=(--model sme-asgd)
expect_usage "--model is required" sme "${o[@]}"
expect_usage "'asgd' is unknown" sme --model asgd "${o[@]}"
expect_usage "'walk' is unknown" sme --model walk "${o[@]}"
expect_usage "'hot' is unknown" sme "${m[@]}" --sigma hot "${o[@]}"
expect_usage "'continuum' is not allowed with --model sme-msgd" sme --model sme-msgd --sigma continuum "${o[@]}"
expect_usage "'continuum' is not allowed with --model sme-asgd-linear" sme --model sme-asgd-linear --sigma continuum "${o[@]}"
expect_usage "'evolve' is not allowed with --model sme-sgd" sme --model sme-sgd --sigma evolve "${o[@]}"
expect_usage "(2.12) divides by mu" sme "${m[@]}" --sigma evolve --mu 0 "${o[@]}"
expect_usage "'1' is not allowed" sme "${m[@]}" --mu 1 "${o[@]}"
expect_usage "'-0.1' is not allowed" sme --model sme-msgd --mu -0.1 "${o[@]}"
expect_usage "'0.5' is not allowed with --model sme-sgd" sme --model sme-sgd --mu 0.5 "${o[@]}"
expect_usage "'0' is not allowed" sme "${m[@]}" --eta 0 "${o[@]}"
expect_usage "'nan' is not allowed" sme "${m[@]}" --eta nan "${o[@]}"
expect_usage "'0' is not allowed" sme "${m[@]}" --substeps 0 "${o[@]}"
expect_usage "'0' is not allowed" sme "${m[@]}" --paths 0 "${o[@]}"
expect_usage "'0' is not allowed" sme "${m[@]}" --iters 0 "${o[@]}"
expect_usage "'x' is not allowed" sme "${m[@]}" --threads x "${o[@]}"
expect_usage "'0' is not allowed" sme "${m[@]}" --batch 0 "${o[@]}"
printf 'k,batch\n0,1\n2,4\n' >"$tmp/sched.csv"
expect_usage "sched.csv" sme "${m[@]}" --batch-schedule "$tmp/sched.csv" "${o[@]}"
expect_usage "exclude each other" sme "${m[@]}" --batch 2 --batch-schedule "$tmp/sched.csv" "${o[@]}"
expect_usage "--exact needs a quadratic preset" sme "${m[@]}" --exact --preset fig5-doublewell "${o[@]}"
expect_usage "'nosuch' is unknown" sme "${m[@]}" --preset nosuch "${o[@]}"
expect_usage "unknown option" sme "${m[@]}" --bogus 1 "${o[@]}"
expect_usage "unexpected argument" sme "${m[@]}" extra "${o[@]}"

# ---- a small run: complete, consistent outputs ------------------------------------------
out="$tmp/run"
if "$asgd" sme --model sme-asgd --sigma constant --preset fig4 --paths 300 --iters 100 \
    --substeps 4 --threads 2 --quiet --out "$out"; then
  ok
  python3 - "$out" <<'PY' && ok || fail "small run outputs"
import csv, json, math, sys
d = sys.argv[1]
s = json.load(open(d + "/summary.json"))
assert s["command"] == "sme" and s["model"] == "sme-asgd" and s["sigma"] == "constant", s
assert s["preset"] == "fig4" and s["paths_done"] == 300 and s["iters"] == 100, s
assert s["substeps"] == 4 and s["partial"] is False and s["sigma_clamped"] == 0, s
assert abs(s["dt"] - math.sqrt(0.01 * 0.1)) < 1e-15 and s["path_steps_per_s"] > 0, s
rows = list(csv.DictReader(open(d + "/moments.csv")))
assert len(rows) == 101, len(rows)
assert float(rows[0]["mean"]) == 1.0 and float(rows[0]["second_moment"]) == 1.0
assert abs(float(rows[100]["t"]) - 100 * s["dt"]) < 1e-9
for r in rows:
    m, m2, v = float(r["mean"]), float(r["second_moment"]), float(r["var"])
    assert math.isfinite(m) and m2 >= m * m - 1e-12 and v >= 0, r
# E X at t = 100 dt decays like exp(-t * a / c) roughly; it must be well below 1 and above 0
assert 0 < float(rows[100]["mean"]) < 0.5, rows[100]
fin = list(csv.DictReader(open(d + "/final.csv")))
assert len(fin) == 300
mean = sum(float(r["x"]) for r in fin) / 300
assert abs(mean - float(rows[100]["mean"])) < 1e-9, (mean, rows[100])
PY
else
  fail "small run exited $?"
fi

# ---- sme-asgd-mixture: --mixture required there and only there, mu derived from it -------
x=(--model sme-asgd-mixture)
expect_usage "needs --mixture" sme "${x[@]}" "${o[@]}"
expect_usage "the weights sum to 0.90000000000000002" sme "${x[@]}" --mixture 0.5:0.3,0.4:0.9 "${o[@]}"
expect_usage "mu 1 of component 2 '0.5:1'" sme "${x[@]}" --mixture 0.5:0.3,0.5:1 "${o[@]}"
expect_usage "component 1 '0.5-0.3' is not W:MU" sme "${x[@]}" --mixture 0.5-0.3,0.5:0.9 "${o[@]}"
expect_usage "m/(1+m) = 0.90909090909090906" sme "${x[@]}" --mixture 0.5:0.5,0.5:0.95 --mu 0.9 "${o[@]}"
expect_usage "only allowed with --model sme-asgd-mixture" sme "${m[@]}" --mixture 1:0.5 "${o[@]}"
expect_usage "allowed continuum, constant, instant" sme "${x[@]}" --mixture 1:0.5 --sigma evolve "${o[@]}"
expect_usage "--exact is not available for sme-asgd-mixture" sme "${x[@]}" --mixture 1:0.5 --exact "${o[@]}"

out="$tmp/mix"
if "$asgd" sme "${x[@]}" --mixture 0.5:0.95,0.5:0.5 --preset fig4 --paths 300 --iters 100 \
    --substeps 4 --threads 2 --quiet --out "$out"; then
  ok
  python3 - "$out" <<'PY' && ok || fail "mixture run outputs"
import csv, json, math, sys
d = sys.argv[1]
s = json.load(open(d + "/summary.json"))
assert s["model"] == "sme-asgd-mixture" and s["sigma"] == "continuum", s
mx = s["mixture"]
assert mx["count"] == 2 and [(c["weight"], c["mu"]) for c in mx["components"]] == \
    [(0.5, 0.5), (0.5, 0.95)], mx
assert abs(mx["components"][1]["mean"] - 19) < 1e-9, mx
assert not any(c["stall_tail"] for c in mx["components"]) and mx["stall_tail"] is None, mx
assert "bic" not in mx, mx  # given, not fitted: no likelihood
assert abs(mx["mean"] - 10) < 1e-12 and abs(s["mu"] - 10 / 11) < 1e-15, s
assert abs(s["dt"] - math.sqrt(0.01 / 11)) < 1e-15, s
rows = list(csv.DictReader(open(d + "/moments.csv")))
assert len(rows) == 101 and float(rows[0]["mean"]) == 1.0, len(rows)
assert all(math.isfinite(float(r["second_moment"])) for r in rows)
assert 0 < float(rows[100]["mean"]) < 0.5, rows[100]
PY
else
  fail "mixture run exited $?"
fi

# ---- the double well: basin fractions sum to 1 -------------------------------------------
out="$tmp/well"
if "$asgd" sme --model sme-asgd --preset fig5-doublewell --paths 128 --iters 1000 --substeps 1 \
    --quiet --out "$out"; then
  python3 - "$out" <<'PY' && ok || fail "basins"
import json, sys
s = json.load(open(sys.argv[1] + "/summary.json"))
b = s["basins"]
assert len(b) == 2 and abs(sum(x["fraction"] for x in b) - 1) < 1e-12, b
assert all(0 <= x["se"] < 0.1 for x in b), b
PY
else
  fail "double well run exited $?"
fi

# ---- SIGINT: partial outputs, exit 130 --------------------------------------------------
# Interrupted at its first progress line, "paths D/2000000": off a terminal it comes at each 10%
# of the paths, so at least 200000 are in — paths_done > 0 below. 20 iterations (not the
# preset's) bring that line in about a second; at 2000 it took a minute.
out="$tmp/int"
"$asgd" sme --model sme-asgd --sigma evolve --preset fig5-quartic --paths 2000000 \
  --iters 20 --threads 2 --out "$out" >"$tmp/int.out" 2>"$tmp/int.err" &
pid=$!
wait_for_progress $pid "$tmp/int.err" '^progress sme 1/1 paths [1-9][0-9]*/2000000 ' ||
  fail "sme printed no progress line to interrupt at"
kill -INT $pid
wait $pid
rc=$?
if [ $rc -eq 130 ]; then
  ok
  python3 - "$out" <<'PY' && ok || fail "partial outputs"
import json, sys
s = json.load(open(sys.argv[1] + "/summary.json"))
assert s["partial"] is True and 0 < s["paths_done"] < 2000000, s
PY
else
  fail "SIGINT exited $rc, expected 130"
fi

finish cli_sme
