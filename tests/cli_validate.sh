#!/usr/bin/env bash
# cli_validate.sh — `asgd validate` end to end: bad input exits 2 naming the value; a small fig4
# run writes the real run's files, every model's moments and a validation.json whose numbers
# hang together (fitted staleness, gaps and band fractions per model, the best model, the shape
# and correlation effects, the answer with its separation and replicas needed, the band rule,
# the intervals over replicas, stall tails, the realised work and the machine's load); the
# printed verdict starts with the answer; --mixture-max 1 leaves the mixture models out; plot.py draws the
# validate and staleness figures from it; SIGINT exits 130 with a partial result.
# usage: tests/cli_validate.sh PATH/TO/asgd
asgd=${1:?usage: cli_validate.sh PATH/TO/asgd}
. "$(dirname "$0")/lib.sh"
plot="$(cd "$(dirname "$0")/.." && pwd)/scripts/plot.py"
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }

"$asgd" validate --help >"$tmp/help" && grep -q "usage: asgd validate" "$tmp/help" && ok || fail "validate --help"

expect_usage "--workers '0' is not allowed" validate --workers 0
expect_usage "--workers '2000' is not allowed" validate --workers 2000
expect_usage "--work 'bogus' is not allowed" validate --work bogus
expect_usage "--work 'exp:-5us' is not allowed" validate --work exp:-5us
expect_usage "--replicas '1' is not allowed" validate --replicas 1
expect_usage "--replicas 'abc' is not allowed" validate --replicas abc
expect_usage "--mixture-max '0' is not allowed" validate --mixture-max 0
expect_usage "--mixture-max '7' is not allowed" validate --mixture-max 7
expect_usage "--paths '1' is not allowed" validate --paths 1
expect_usage "--eta '0' is not allowed" validate --eta 0
expect_usage "--eta 'nan' is not allowed" validate --eta nan
expect_usage "--iters '0' is not allowed" validate --iters 0
expect_usage "--substeps '0' is not allowed" validate --substeps 0
expect_usage "--threads '257' is not allowed" validate --threads 257
expect_usage "--seed '-1' is not allowed" validate --seed -1
expect_usage "'nope' is unknown" validate --preset nope
expect_usage "unknown option '--mu'" validate --mu 0.5
expect_usage "unexpected argument 'extra'" validate extra
touch "$tmp/afile"
expect_usage "Not a directory" validate --out "$tmp/afile/sub"

# ---- a small fig4 run: files and a validation.json that hangs together ----------------------
small=(--preset fig4 --workers 2 --work exp:20us --replicas 40 --iters 200 --paths 512 --quiet)
if "$asgd" validate "${small[@]}" --out "$tmp/v"; then
  ok
  for f in real/summary.json real/moments.csv real/staleness.csv validation.json; do
    [ -s "$tmp/v/$f" ] && ok || fail "missing $f"
  done
  for m in real sme-asgd sme-sgd asgd-geometric asgd-measured-pmf asgd-mixture-pmf sme-asgd-mixture; do
    [ "$(wc -l <"$tmp/v/$m/moments.csv")" -eq 202 ] && ok || fail "$m/moments.csv: not 201 rows"
  done
  python3 - "$tmp/v" <<'PY' && ok || fail "validation.json"
import json, math, sys
d = json.load(open(sys.argv[1] + "/validation.json"))
real = json.load(open(sys.argv[1] + "/real/summary.json"))
six = ["sme-asgd", "sme-sgd", "asgd-geometric", "asgd-measured-pmf", "asgd-mixture-pmf",
       "sme-asgd-mixture"]
assert d["partial"] is False and d["command"] == "validate", d
assert d["settings"]["workers"] == 2 and d["settings"]["paths"] == 512
assert real["command"] == "validate" and real["replicas"] == 40 and real["partial"] is False
acc = real["accounting"]
assert acc["computed"] == acc["applied"] + acc["discarded"] and acc["applied"] == 40 * 200
st = d["staleness"]
mu = st["mu_hat"]
assert 0 < mu < 1 and st["count"] == 40 * 200, st
assert abs(sum(st["pmf"]) - 1) < 1e-9
# rows of every table sit at the SME clock of mu_hat
assert abs(d["real"]["dt"] - math.sqrt(0.01 * (1 - mu))) < 1e-15
mix = st["mixture"]
assert 1 <= mix["count"] <= 4 and len(mix["components"]) == mix["count"]
assert abs(sum(c["weight"] for c in mix["components"]) - 1) < 1e-9
# EM's M-step keeps the sample mean exactly (the r-weighted means average to the data's)
assert abs(mix["mean"] - st["mean"]) < 1e-6 * (1 + st["mean"]), (mix["mean"], st["mean"])
assert mix["bic"] == min(mix["bic_per_k"]) and mix["kmax"] == len(mix["bic_per_k"]) == 4
assert 0 <= mix["tv_distance"] <= 1
models = d["models"]
assert sorted(models) == sorted(six), sorted(models)
for name in six:
    m = models[name]
    for key in ("mean_gap", "mean_gap_se", "second_rel_gap", "second_rel_gap_se",
                "mean_inside_fraction", "second_inside_fraction"):
        assert math.isfinite(m[key]) and m[key] >= 0, (name, key, m[key])
    assert m["paths_done"] == 512 and m["nonfinite_paths"] == 0, (name, m)
    assert 1 <= m["mean_gap_k"] <= 200 and 1 <= m["second_gap_k"] <= 200, (name, m)
    assert m["mean_inside_fraction"] <= 1 and m["second_inside_fraction"] <= 1
    need = d["inside_fraction_required"]
    assert m["inside_band"] == (m["mean_inside_fraction"] >= need and
                                m["second_inside_fraction"] >= need), (name, m)
for name in ("sme-asgd", "asgd-geometric", "asgd-measured-pmf"):
    assert models[name]["mu"] == mu, name
assert abs(models["sme-asgd-mixture"]["mu"] - mix["mu_bar"]) < 1e-15
best = d["best_model"]
assert best["smallest_by_mean"] == min(six, key=lambda n: models[n]["mean_gap"]), best
assert best["smallest_by_second_moment"] == min(six, key=lambda n: models[n]["second_rel_gap"])
# a best model is named only when its gap is more than 1 combined SE below every other's
for key, gap in (("by_mean", "mean_gap"), ("by_second_moment", "second_rel_gap")):
    b = models[best["smallest_" + key]]
    apart = all(models[n][gap] - b[gap] > math.hypot(models[n][gap + "_se"], b[gap + "_se"])
                for n in six if models[n] is not b)
    assert best[key] == (best["smallest_" + key] if apart else None), (key, best)
    tied = [n for n in six if models[n] is b or not
            models[n][gap] - b[gap] > math.hypot(models[n][gap + "_se"], b[gap + "_se"])]
    assert sorted(best["tied_" + key]) == sorted(tied), (key, best, tied)
# the answer: decisive only when one SME is inside, the other outside, >= 3 combined SE apart
a, sa, ss = d["answer"], models["sme-asgd"], models["sme-sgd"]
sep = (ss["mean_gap"] - sa["mean_gap"]) / math.hypot(ss["mean_gap_se"], sa["mean_gap_se"])
assert abs(a["separation_se"] - sep) < 1e-9 and a["z_required"] == 3, a
assert a["decisive"] == ((sa["inside_band"] and not ss["inside_band"] and sep >= 3) or
                         (ss["inside_band"] and not sa["inside_band"] and sep <= -3)), a
assert a["text"].startswith("Answer: " if a["decisive"] else "Not decisive: "), a
need = 40 * (3 / sep) ** 2 if sep else 1e8
assert abs(a["replicas_needed"] - min(max(math.ceil(need), 2), 1e8)) <= 1, (a, need)
rule = d["band_rule"]
assert rule["inside_fraction_required"] == d["inside_fraction_required"] == 0.88, rule
assert "0.889" in rule["calibration"] and rule["cell_se"] == 2, rule
# the intervals over replicas (they hold under serial correlation), and lag-1's
assert st["runs"] == 40 and st["mu_ci95_runs"][0] <= mu <= st["mu_ci95_runs"][1], st
assert st["interval_used"] == "mu_ci95_runs", st
lo, hi = st["lag1_ci95_runs"]
assert lo <= st["lag1_runs_mean"] <= hi and 0 < st["lag1_iid_half95"] < 1, st
assert abs(st["lag1_iid_half95"] - 1.959963984540054 / math.sqrt(40 * 199)) < 1e-12, st
# a stall tail is named as such, and only a light far component is one
body = max(mix["components"], key=lambda c: c["weight"])
for c in mix["components"]:
    assert c["stall_tail"] == (c["weight"] < 0.01 and c["mu"] > body["mu"]), c
# the machine's load and the realised work, recorded with the real run
load, work = real["sysload"], real["work_realised"]
assert load["known"] is True and load["elapsed_s"] > 0, load
if load["elapsed_s"] < 1:  # other processes' CPU is measured over 1 s or more only
    assert load["other_cpu_cores"] is None and load["busy"] is False, load
else:
    assert load["other_cpu_cores"] >= 0 and load["busy"] == (load["other_cpu_cores"] > 0.2), load
assert work["requested_mean_ns"] == 20000 and work["requested_cv"] == 1, work
off = abs(work["mean_ns"] / 20000 - 1) > 0.2 or abs(work["cv"] - 1) > 0.2
assert work["off_request"] == off, work
eff = d["effects"]
g, p = models["asgd-geometric"], models["asgd-measured-pmf"]
assert abs(eff["shape"]["mean"] - (g["mean_gap"] - p["mean_gap"])) < 1e-15
assert abs(eff["shape"]["second_rel"] - (g["second_rel_gap"] - p["second_rel_gap"])) < 1e-15
assert eff["shape"]["mean_se"] > 0 and eff["shape"]["direct"]["mean_se"] > 0
assert eff["correlation"]["mean"] == p["mean_gap"]
assert eff["correlation"]["second_rel_se"] == p["second_rel_gap_se"]
PY
  "$py" "$plot" validate "$tmp/v" >/dev/null && is_png "$tmp/v/validate.png" && ok ||
    fail "plot.py validate"
  "$py" "$plot" staleness "$tmp/v" -o "$tmp/st.png" >/dev/null && is_png "$tmp/st.png" && ok ||
    fail "plot.py staleness"
else
  fail "small validate run"
fi

# ---- the printed verdict: the answer first, the band rule, the realised work and the load -----
if "$asgd" validate --preset fig4 --workers 2 --work exp:20us --iters 200 --replicas 10 \
     --paths 64 --out "$tmp/text" \
     >"$tmp/text.out" 2>"$tmp/text.err"; then
  head -1 "$tmp/text.out" | grep -Eq '^(Answer: (yes|no) — SME-ASGD|Not decisive: SME-ASGD)' &&
    ok || fail "validate's first line is not the answer: $(head -1 "$tmp/text.out")"
  grep -q '^band rule  inside = at least 88% of cells' "$tmp/text.out" &&
    grep -q 'calibration: 20 runs of a correct model' "$tmp/text.out" && ok ||
    fail "validate prints no band rule with its calibration"
  grep -Eq '^real run   work exp:20us \(mean 20 us, CV 1.00\), realised mean [0-9]+ us, CV [0-9.]+$' \
    "$tmp/text.out" && ok || fail "validate prints no realised work"
  grep -Eq '^real run   load average [0-9.]+ at start, [0-9.]+ at end; other processes( used [0-9.]+ cores|'"'"' CPU not measured \(the run took [0-9.]+ s, under 1 s\))$' \
    "$tmp/text.out" && ok || fail "validate prints no load"
  grep -q 'mu_hat 95% over 10 replicas \[' "$tmp/text.out" &&
    grep -q 'lag-1 per replica: mean' "$tmp/text.out" && ok ||
    fail "validate prints no interval over replicas"
  grep -Eq '^best model ([a-z-]+ \(smallest|none distinguishable at these sizes: [1-6] within 1 combined SE)' \
    "$tmp/text.out" && ok || fail "validate prints no best model line"
else
  fail "validate run for the printed verdict"
fi

# ---- --mixture-max 1: no mixture, four models -----------------------------------------------
if "$asgd" validate "${small[@]}" --replicas 10 --mixture-max 1 --out "$tmp/nomix"; then
  python3 - "$tmp/nomix/validation.json" <<'PY' && ok || fail "--mixture-max 1"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["staleness"]["mixture"] is None
assert sorted(d["models"]) == ["asgd-geometric", "asgd-measured-pmf", "sme-asgd", "sme-sgd"]
PY
else
  fail "validate --mixture-max 1 run"
fi

usage_cmd=("$py" "$plot")
expect_usage "has no validation.json" validate "$tmp/afile"
expect_usage "has no staleness.csv" staleness "$tmp"

# ---- SIGINT: partial, exit 130 --------------------------------------------------------------
# Interrupted during the real run once gradients were applied (validation.json is written only
# then): off a terminal "progress validate 1/7 real D/100 ..." comes at the first replica and
# each 10% of them (each some 30 ms here), and the other 90 give the signal many times as long
# to land before the real run ends.
"$asgd" validate --workers 2 --work exp:20us --replicas 100 --out "$tmp/int" \
  >"$tmp/int.out" 2>"$tmp/int.err" &
pid=$!
wait_for_progress $pid "$tmp/int.err" '^progress validate 1/7 real [1-9][0-9]*/100 ' ||
  fail "validate printed no progress line to interrupt at"
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] && ok || fail "interrupted validate exited $rc, expected 130"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['partial'] is True and d['real']['partial'] is True" \
  "$tmp/int/validation.json" && ok || fail "interrupted validation.json lacks partial: true"

finish cli_validate
