#!/usr/bin/env bash
# cli_simulate.sh — `asgd simulate` end to end: bad input exits 2 naming the value, a small run
# writes complete moments.csv/summary.json/final.csv, the double well reports basin fractions
# that sum to 1, and SIGINT writes a partial result and exits 130.
# usage: tests/cli_simulate.sh PATH/TO/asgd
asgd=${1:?usage: cli_simulate.sh PATH/TO/asgd}
. "$(dirname "$0")/lib.sh"

json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d'+sys.argv[2]))" "$@"; }

# ---- help --------------------------------------------------------------------------------
grep -q "usage: asgd simulate" <<<"$("$asgd" simulate --help)" && ok || fail "simulate --help"

# ---- bad input: exit 2, the message names the value ------------------------------------
o=(--out "$tmp/bad" --quiet)
expect_usage "'walk' is unknown" simulate --model walk "${o[@]}"
expect_usage "'sme-asgd' is unknown" simulate --model sme-asgd "${o[@]}"
expect_usage "'1' is not allowed" simulate --mu 1 "${o[@]}"
expect_usage "'-0.1' is not allowed" simulate --model msgd --mu -0.1 "${o[@]}"
expect_usage "'0' is not allowed" simulate --eta 0 "${o[@]}"
expect_usage "'nan' is not allowed" simulate --eta nan "${o[@]}"
expect_usage "'0' is not allowed" simulate --paths 0 "${o[@]}"
expect_usage "'0' is not allowed" simulate --iters 0 "${o[@]}"
expect_usage "'x' is not allowed" simulate --threads x "${o[@]}"
expect_usage "--batch is only allowed with --model minibatch" simulate --batch 4 "${o[@]}"
expect_usage "'1000001' is not allowed" simulate --model minibatch --batch 1000001 "${o[@]}"
expect_usage "'0.5' is not allowed" simulate --model minibatch --batch 0.5 "${o[@]}"
expect_usage "'0.5' is not allowed" simulate --mu 0.5 --model sgd "${o[@]}"
expect_usage "nosuch" simulate --staleness "$tmp/nosuch.csv" "${o[@]}"
printf '0\n1\nx\n' >"$tmp/bad.txt"
expect_usage "bad.txt:3" simulate --staleness "$tmp/bad.txt" "${o[@]}"
printf 'l,count,pmf,geometric_pmf\n0,5,0.5,0.5\n1,-2,0.5,0.25\n' >"$tmp/badrun.csv"
expect_usage "badrun.csv:3" simulate --staleness "$tmp/badrun.csv" "${o[@]}"
printf '0\n1\n2\n' >"$tmp/tau.txt"
expect_usage "exclude each other" simulate --exact --staleness "$tmp/tau.txt" "${o[@]}"
expect_usage "only allowed with --model asgd or minibatch" simulate --model msgd --staleness "$tmp/tau.txt" "${o[@]}"
printf 'k,batch\n0,1\n2,4\n' >"$tmp/sched.csv"
expect_usage "sched.csv" simulate --model minibatch --batch-schedule "$tmp/sched.csv" "${o[@]}"
expect_usage "--exact needs a quadratic preset" simulate --exact --preset fig5-doublewell "${o[@]}"
expect_usage "'nosuch' is unknown" simulate --preset nosuch "${o[@]}"
expect_usage "unknown option" simulate --bogus 1 "${o[@]}"
expect_usage "unexpected argument" simulate extra "${o[@]}"
expect_usage "not a directory" simulate --out /etc/passwd --quiet

# ---- a small run: complete, consistent outputs ------------------------------------------
out="$tmp/run"
if "$asgd" simulate --preset fig4 --paths 200 --iters 100 --quiet --out "$out"; then
  ok
  python3 - "$out" <<'PY' && ok || fail "small run outputs"
import csv, json, math, sys
d = sys.argv[1]
s = json.load(open(d + "/summary.json"))
assert s["command"] == "simulate" and s["model"] == "asgd" and s["preset"] == "fig4", s
assert s["paths_done"] == 200 and s["iters"] == 100 and s["partial"] is False, s
assert s["history"] == 128 and s["truncation"]["prob"] == 0, s
assert abs(s["dt"] - math.sqrt(0.01 * 0.1)) < 1e-15, s
rows = list(csv.DictReader(open(d + "/moments.csv")))
assert len(rows) == 101, len(rows)
assert float(rows[0]["mean"]) == 1.0 and float(rows[0]["second_moment"]) == 1.0
for r in rows:
    m, m2, v = float(r["mean"]), float(r["second_moment"]), float(r["var"])
    assert math.isfinite(m) and m2 >= m * m - 1e-12 and v >= 0, r
    assert abs(float(r["t"]) - int(r["k"]) * s["dt"]) < 1e-9, r
fin = list(csv.DictReader(open(d + "/final.csv")))
assert len(fin) == 200
mean_final = sum(float(r["x"]) for r in fin) / 200
assert abs(mean_final - float(rows[-1]["mean"])) < 1e-9, (mean_final, rows[-1]["mean"])
PY
  ls "$out" | grep -q tmp && fail "temporary files left in $out" || ok
else
  fail "asgd simulate (small) failed"
fi

# ---- the same run on 1 and 2 threads: identical moments ---------------------------------
"$asgd" simulate --paths 300 --iters 50 --threads 1 --quiet --out "$tmp/t1" &&
"$asgd" simulate --paths 300 --iters 50 --threads 2 --quiet --out "$tmp/t2" &&
cmp -s "$tmp/t1/moments.csv" "$tmp/t2/moments.csv" && ok || fail "moments depend on --threads"

# ---- measured staleness and a batch schedule are accepted --------------------------------
printf 'l,count,pmf,geometric_pmf\n0,50,0.5,0.5\n1,30,0.3,0.25\n2,20,0.2,0.125\n' >"$tmp/st.csv"
"$asgd" simulate --staleness "$tmp/st.csv" --paths 100 --iters 50 --quiet --out "$tmp/st" &&
[ "$(json_get "$tmp/st/summary.json" "['history']")" = "3" ] && ok || fail "--staleness run"
printf 'k,batch\n0,1\n1,4\n' >"$tmp/sched.csv"
"$asgd" simulate --model minibatch --batch-schedule "$tmp/sched.csv" --paths 100 --iters 50 \
  --quiet --out "$tmp/mb" && ok || fail "--batch-schedule run"

# ---- the double well: basin fractions, summing to 1 -------------------------------------
if "$asgd" simulate --preset fig5-doublewell --paths 640 --iters 500 --quiet --out "$tmp/dw"; then
  python3 - "$tmp/dw/summary.json" <<'PY' && ok || fail "basin fractions"
import json, sys
s = json.load(open(sys.argv[1]))
b = s["basins"]
assert len(b) == 2, b
assert abs(sum(x["fraction"] for x in b) - 1) < 1e-12, b
assert sum(x["paths"] for x in b) == 640 - s["nonfinite_paths"], b
assert b[1]["minimum"] > 0 and b[1]["fraction"] > 0.5, b   # x0 = 0.1 lies in the right basin
assert all(x["se"] >= 0 for x in b)
PY
else
  fail "double well run"
fi

# ---- SIGINT: partial outputs, exit 130 ---------------------------------------------------
# Interrupted at its first progress line: off a terminal, "paths D/10000000" comes at each 10%
# of the paths, so it says at least 1000000 paths (whole chunks) are in — paths_done > 0 below.
"$asgd" simulate --paths 10000000 --iters 1000 --threads 1 --out "$tmp/int" \
  >"$tmp/int.out" 2>"$tmp/int.err" &
pid=$!
wait_for_progress $pid "$tmp/int.err" '^progress simulate 1/1 paths [1-9][0-9]*/10000000 ' ||
  fail "simulate printed no progress line to interrupt at"
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] && ok || fail "interrupted run exited $rc, expected 130"
[ "$(json_get "$tmp/int/summary.json" "['partial']")" = "True" ] && ok || fail "summary lacks partial: true"
done_=$(json_get "$tmp/int/summary.json" "['paths_done']")
[ "$done_" -gt 0 ] && [ $((done_ % 64)) -eq 0 ] && [ "$done_" -lt 10000000 ] && ok ||
  fail "interrupted paths_done $done_: expected whole chunks of 64, fewer than asked"

finish cli_simulate
