#!/usr/bin/env bash
# cli_max_staleness.sh — --max-staleness S end to end: bad values and the modes that cannot hold
# an update back exit 2 naming them; `run --max-staleness 3` with more workers than S + 1 writes
# max_staleness 3, a histogram that stops at 3 with mass at 3 (the bound binds), a truncated fit
# whose pmf sums to 1, held counts, and accounting that adds up; `validate` under a bound draws
# the asgd-geometric replay from the truncated law; `sweep` takes it too.
# usage: tests/cli_max_staleness.sh PATH/TO/asgd
asgd=${1:?usage: cli_max_staleness.sh PATH/TO/asgd}
. "$(dirname "$0")/lib.sh"

# ---- bad input: exit 2, the message names the value or the mode -------------------------
for cmd in run validate sweep; do
  expect_usage "--max-staleness '0' is not allowed" $cmd --max-staleness 0
  expect_usage "--max-staleness '-1' is not allowed" $cmd --max-staleness -1
  expect_usage "--max-staleness 'two' is not allowed" $cmd --max-staleness two
  expect_usage "--max-staleness '16777216' is not allowed" $cmd --max-staleness 16777216
done
expect_usage "--max-staleness 2 is not supported in hogwild mode" run --mode hogwild \
  --max-staleness 2
expect_usage "--max-staleness 2 is not supported in combining mode" run --mode combining \
  --max-staleness 2
expect_usage "--max-staleness 2 is not supported in hogwild mode" validate --mode hogwild \
  --max-staleness 2
"$asgd" run --help | grep -- "--max-staleness S" >/dev/null && ok || fail "run --help lacks --max-staleness"
"$asgd" validate --help | grep -- "--max-staleness S" >/dev/null && ok ||
  fail "validate --help lacks --max-staleness"

# ---- run: the bound holds, binds, and is reported ----------------------------------------
o=$tmp/run
if "$asgd" run --preset fig4 --workers 8 --work exp:200us --iters 400 --replicas 5 \
  --max-staleness 3 --out "$o" --quiet; then ok; else fail "run --max-staleness 3 exited $?"; fi
python3 - "$o/summary.json" "$o/staleness.csv" <<'PY' && ok || fail "run --max-staleness 3 (above)"
import csv, json, sys
s = json.load(open(sys.argv[1]))
st = s["staleness"]
errs = []
if s["max_staleness"] != 3: errs.append(f"max_staleness {s['max_staleness']}")
if st["max"] > 3: errs.append(f"max tau {st['max']} > 3")
if len(st["pmf"]) != st["max"] + 1 or st["pmf"][3] <= 0.05:
    errs.append(f"pmf {st['pmf']}: no mass at the bound (8 workers, S = 3 binds)")
rows = list(csv.DictReader(open(sys.argv[2])))
if any(int(r["l"]) > 3 for r in rows): errs.append("staleness.csv has a level above 3")
t = st["truncated"]
if t["bound"] != 3 or abs(sum(t["pmf"]) - 1) > 1e-9 or len(t["pmf"]) != 4:
    errs.append(f"truncated fit {t}")
if not t["tv_distance"] < st["tv_distance"]:
    errs.append(f"the truncated law (TV {t['tv_distance']}) fits no better than the geometric "
                f"({st['tv_distance']})")
a = s["accounting"]
if a["computed"] != a["applied"] + a["discarded"] or a["applied"] != 2000:
    errs.append(f"accounting {a}")
h = s["held"]
if h["reads_delayed"] <= 0 or h["gradients"] < 0: errs.append(f"held {h}")
for e in errs: print("run --max-staleness 3:", e, file=sys.stderr)
sys.exit(1 if errs else 0)
PY
# without the bound the same run has max_staleness null and held null
if "$asgd" run --preset fig4 --workers 2 --work none --iters 100 --replicas 2 \
  --out "$tmp/free" --quiet; then ok; else fail "run without a bound exited $?"; fi
[ "$(json_get "$tmp/free/summary.json" "['max_staleness']")" = None ] &&
  [ "$(json_get "$tmp/free/summary.json" "['held']")" = None ] && ok ||
  fail "an unbounded run should write max_staleness and held null"

# ---- validate: the replay draws the truncated law ----------------------------------------
v=$tmp/validate
if "$asgd" validate --workers 6 --work exp:100us --max-staleness 2 --replicas 4 --paths 16 \
  --iters 60 --out "$v" --quiet; then ok; else fail "validate --max-staleness 2 exited $?"; fi
python3 - "$v/validation.json" "$v/real/summary.json" <<'PY' && ok ||
import json, sys
d = json.load(open(sys.argv[1]))
r = json.load(open(sys.argv[2]))
errs = []
if d["settings"]["max_staleness"] != 2: errs.append("settings.max_staleness")
if d["staleness"]["truncated"]["bound"] != 2: errs.append("staleness.truncated")
if "truncated" not in d["models"]["asgd-geometric"]["staleness"]:
    errs.append(f"asgd-geometric draws {d['models']['asgd-geometric']['staleness']}")
if r["staleness"]["max"] > 2: errs.append(f"real max tau {r['staleness']['max']}")
mix = d["staleness"]["mixture"]
if mix is not None and (mix["pmf_table_len"] > 3 or
                        "conditioned" not in d["models"]["asgd-mixture-pmf"]["staleness"]):
    errs.append(f"the mixture replay draws past the bound: table {mix['pmf_table_len']}")
for e in errs: print("validate --max-staleness 2:", e, file=sys.stderr)
sys.exit(1 if errs else 0)
PY
  fail "validate --max-staleness 2 (above)"

# ---- sweep: the bound reaches the engine at every M --------------------------------------
w=$tmp/sweep
if "$asgd" sweep --workers 1,4 --replicas 2 --iters 200 --paths 20 --work exp:100us \
  --max-staleness 1 --out "$w" --quiet; then ok; else fail "sweep --max-staleness 1 exited $?"; fi
[ "$(json_get "$w/sweep.json" "['max_staleness']")" = 1 ] && ok || fail "sweep.json max_staleness"
[ "$(json_get "$w/M4/summary.json" "['staleness']['max']")" -le 1 ] 2>/dev/null && ok ||
  fail "sweep at M = 4 recorded a tau above 1: $(ls "$w/M4" 2>&1)"

finish cli_max_staleness
