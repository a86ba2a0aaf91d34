#!/usr/bin/env bash
# cli_advise.sh — `asgd advise` end to end: --help, bad input exits 2 naming the value, a small
# run writes advise.json/advise.csv/current/recommended whose numbers follow the formulas and
# agree with each other and with msd.csv, scripts/plot.py advise draws it (and refuses bad
# input), and SIGINT writes a partial result and exits 130.
# usage: tests/cli_advise.sh PATH/TO/asgd
asgd=${1:?usage: cli_advise.sh PATH/TO/asgd}
. "$(dirname "$0")/lib.sh"
plot="$(cd "$(dirname "$0")/.." && pwd)/scripts/plot.py"
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }

# ---- --help ------------------------------------------------------------------------------
"$asgd" advise --help >"$tmp/help" 2>&1 && grep -q "usage: asgd advise" "$tmp/help" &&
  grep -q -- "--probe-replicas P" "$tmp/help" && grep -q -- "--momentum BETA" "$tmp/help" &&
  ok || fail "advise --help"
grep -q "advise" <<<"$("$asgd" --help)" && ok || fail "asgd --help lists advise"

# ---- bad input: exit 2, the message names the value --------------------------------------
expect_usage "--preset 'nosuch' is unknown" advise --preset nosuch
expect_usage "--workers '0' is not allowed" advise --workers 0
expect_usage "--workers '1025' is not allowed" advise --workers 1025
expect_usage "--work 'exp:fast' is not allowed" advise --work exp:fast
expect_usage "--eta '0' is not allowed" advise --eta 0
expect_usage "--eta 'nan' is not allowed" advise --eta nan
expect_usage "--momentum '1' is not allowed" advise --momentum 1
expect_usage "--momentum '-1' is not allowed" advise --momentum -1
expect_usage "--momentum 'abc' is not allowed" advise --momentum abc
expect_usage "--probe-replicas '0' is not allowed" advise --probe-replicas 0
expect_usage "--replicas '1' is not allowed" advise --replicas 1
expect_usage "--iters '0' is not allowed" advise --iters 0
expect_usage "--target '0' is not allowed" advise --target 0
expect_usage "--target '-1' is not allowed" advise --target -1
expect_usage "--seed '-1' is not allowed" advise --seed -1
expect_usage "not a directory" advise --out /etc/passwd
expect_usage "unexpected argument 'extra'" advise extra
expect_usage "unknown option" advise --bogus

# ---- a small run ---------------------------------------------------------------------------
out="$tmp/a"
if "$asgd" advise --workers 4 --work exp:20us --probe-replicas 10 --replicas 20 --iters 300 \
     --seed 3 --out "$out" >"$tmp/report" 2>"$tmp/err"; then
  ok
  grep -q "^verdict    the recommendation" "$tmp/report" && ok || fail "report lacks the verdict"
  python3 - "$out" <<'PY' && ok || fail "advise outputs"
import csv, json, math, sys
d = sys.argv[1]
j = json.load(open(d + "/advise.json"))
assert j["partial"] is False, j["partial"]
assert j["command_line"][:2] == ["asgd", "advise"], j["command_line"]
s, m, r = j["settings"], j["measurements"], j["recommendation"]
assert s["workers"] == 4 and s["iterations"] == 300 and s["eta"] == 0.01 and s["momentum"] == 0
assert s["seed"] == 3 and s["probe_seed"] == 4 and s["target"] == 0.02
# (a) the probe: 10 runs of 300 updates, mu_hat in (0, 1) inside its interval
assert m["probe"]["replicas"] == 10 and m["probe"]["applied"] == 3000, m["probe"]
mu = m["mu_hat"]
assert 0 < mu < 1 and m["mu_ci95"][0] <= mu <= m["mu_ci95"][1], m
assert m["staleness"]["count"] == 3000
# (b) fig4: f = x^2, a = 2, Sigma = C(0) = 4
assert abs(m["a"] - 2) <= 1e-6 and abs(m["sigma2"] - 4) <= 1e-6, m
# (c) the formulas, at eta = 0.01, beta = 0
a, eta, beta = m["a"], 0.01, 0.0
mu_tot = 1 - (1 - mu) * (1 - beta)
mu_opt = max(1 - 4 * a * eta, 0)
assert math.isclose(r["total_momentum_current"], mu_tot, rel_tol=1e-12)
assert math.isclose(r["mu_opt"], mu_opt, rel_tol=1e-9)
assert math.isclose(r["eta_opt"], (1 - mu_tot) / (4 * a), rel_tol=1e-9)
assert math.isclose(r["momentum_closed_form"], 1 - (1 - mu_opt) / (1 - mu), rel_tol=1e-9)
if r["rule"] == "closed-form":
    assert r["momentum"] == r["momentum_closed_form"]
    assert math.isclose(r["total_momentum_recommended"], mu_opt, rel_tol=1e-9)
else:
    assert r["rule"] == "model-optimum" and r["momentum"] == r["model"]["best_momentum"]
assert -1 < r["momentum"] < 1 and r["workers"] == 4 and r["eta"] == eta
# the batch schedule: Section 4 at the recommended total momentum (x0 = 1, x* = 0), gamma*/1000
bs = r["batch_schedule"]
mt = r["total_momentum_recommended"]
c = math.sqrt((1 - mt) / eta)
rr = c - math.sqrt(c * c - 4 * a) if c * c >= 4 * a else c
kappa = m["sigma2"] * eta / 2 * (eta / (1 - mt) + 1 / a)
assert math.isclose(bs["gamma_star"], rr * kappa * eta, rel_tol=1e-9), (bs, rr * kappa * eta)
dt = math.sqrt(eta * (1 - mt))
assert math.isclose(bs["k_star"], (300 * dt - math.log(1000) / rr) / dt, rel_tol=1e-9), bs
assert bs["final_batch"] >= 1 and 300 <= bs["gradient_evaluations"] <= 300 * bs["final_batch"]
# the noise floor Sigma eta / (2a(1 - beta))
assert math.isclose(r["noise_floor_current"], 4 * eta / (2 * a), rel_tol=1e-9)
assert math.isclose(r["noise_floor_recommended"], 4 * eta / (2 * a * (1 - r["momentum"])), rel_tol=1e-9)
assert r["model"]["rho_best"] <= min(r["model"]["rho_current"], r["model"]["rho_recommended"]) + 1e-12
# (d) both settings: the CSV and the JSON say the same, and msd.csv is where the finals come from
o = j["outcomes"]
rows = {x["setting"]: x for x in csv.DictReader(open(d + "/advise.csv"))}
assert list(rows) == ["current", "recommended"], list(rows)
assert o["current"]["momentum"] == 0 and o["recommended"]["momentum"] == r["momentum"]
for name in ("current", "recommended"):
    oj, oc = o[name], rows[name]
    for k, v in oj.items():
        if v is None:
            assert oc[k] == "nan", (name, k, oc[k])
        else:
            assert math.isclose(float(oc[k]), v, rel_tol=1e-9, abs_tol=1e-300), (name, k, oc[k], v)
    assert oj["replicas"] == 20 and oj["diverged"] == 0
    assert math.isclose(oj["total_momentum"], 1 - (1 - mu) * (1 - oj["momentum"]), rel_tol=1e-12)
    msd = list(csv.DictReader(open(f"{d}/{name}/msd.csv")))
    assert len(msd) == 301 and float(msd[0]["msd"]) == 1.0    # x0 = 1, x* = 0
    assert math.isclose(oj["final_msd"], float(msd[-1]["msd"]), rel_tol=1e-9)
    assert math.isclose(oj["final_msd_se"], float(msd[-1]["se"]), rel_tol=1e-9)
    below = [int(x["k"]) for x in msd if float(x["msd"]) <= 0.02]
    assert (oj["iters_to_target"] is None and not below) or oj["iters_to_target"] == below[0]
    # x* = 0 in 1-D: E|x_k - x*|^2 is moments.csv's second moment
    mom = list(csv.DictReader(open(f"{d}/{name}/moments.csv")))
    assert all(math.isclose(float(a["second_moment"]), float(b["msd"]), rel_tol=1e-9, abs_tol=1e-15)
               for a, b in zip(mom, msd))
    sm = json.load(open(f"{d}/{name}/summary.json"))
    assert sm["momentum"] == oj["momentum"] and sm["replicas"] == 20
# the verdict follows from the numbers: helped iff lower by more than 2 SE of the difference
v = j["verdict"]
c, rr = o["current"], o["recommended"]
diff = rr["final_msd"] - c["final_msd"]
se = math.hypot(rr["final_msd_se"], c["final_msd_se"])
assert math.isclose(v["difference"]["final_msd"], diff, rel_tol=1e-9, abs_tol=1e-15)
assert math.isclose(v["difference"]["se"], se, rel_tol=1e-9)
assert v["helped"] == (diff < -2 * se), (v, diff, se)
want = "the recommendation helped" if v["helped"] else "the recommendation did not help"
assert v["text"].startswith(want), v["text"]
# early: both curves at the first k where either reaches the target
ks = [x["iters_to_target"] for x in (c, rr) if x["iters_to_target"] is not None]
e = v["early"]
if ks:
    k = min(ks)
    cur = list(csv.DictReader(open(d + "/current/msd.csv")))[k]
    rec = list(csv.DictReader(open(d + "/recommended/msd.csv")))[k]
    # msd.csv keeps 10 significant digits: the difference of two rounded values is good to
    # about 1e-11 absolute, not to 1e-9 relative when they nearly cancel
    assert e["k"] == k and math.isclose(e["msd"], float(rec["msd"]) - float(cur["msd"]),
                                        rel_tol=1e-9, abs_tol=1e-10), (e, cur, rec)
    assert f"early, at k = {k} " in v["text"], v["text"]
else:
    assert e["k"] is None and "early" not in v["text"]
PY
  [ -z "$(find "$out" -name '*.tmp*')" ] && ok || fail "temporary files left in $out"
  "$py" "$plot" advise "$out" >/dev/null && is_png "$out/advise.png" && ok || fail "plot.py advise figure"
  "$py" "$plot" advise "$out" -o "$tmp/fig/a.png" >/dev/null && is_png "$tmp/fig/a.png" && ok ||
    fail "plot.py advise -o"
else
  fail "asgd advise (small) failed: $(tail -3 "$tmp/err")"
fi

# ---- plot.py advise: bad input exits 2 ------------------------------------------------------
usage_cmd=("$py" "$plot" advise)
expect_usage "does not exist" "$tmp/nope"
expect_usage "has no advise.json" "$out/current"
mkdir -p "$tmp/bad" && echo '{' >"$tmp/bad/advise.json"
expect_usage "is not readable JSON" "$tmp/bad"
echo '{"settings": {}}' >"$tmp/bad/advise.json"
expect_usage "has no current/msd.csv" "$tmp/bad"
mkdir -p "$tmp/bad/current" && printf 'k,x\n0,1\n' >"$tmp/bad/current/msd.csv"
expect_usage "is not an msd.csv" "$tmp/bad"
printf 'k,msd,se\n0,abc,1\n' >"$tmp/bad/current/msd.csv"
expect_usage "row 1 is not k,msd,se numbers" "$tmp/bad"
[ -z "$(find "$tmp/bad" -name '*.tmp*')" ] && ok || fail "temporary PNG left behind"
usage_cmd=("$asgd")

# ---- on data: compared on the loss gap, which every table, key and figure names -------------
# heart_scale, logistic: a run of seconds. --work is not given: none on data.
out="$tmp/d"
if "$asgd" advise --loss logistic --data heart_scale --workers 2 --probe-replicas 2 --replicas 4 \
     --iters 300 --eta 0.05 --seed 3 --out "$out" >"$tmp/dreport" 2>"$tmp/derr"; then
  ok
  grep -q "work=none" "$tmp/dreport" && grep -q "measured: the loss gap f(x_K)-f\*, f\* = " "$tmp/dreport" &&
    grep -q "target: the loss .* (f\* \* 1.01, the default)" "$tmp/dreport" &&
    grep -q "final gap" "$tmp/dreport" && grep -q "^verdict    the recommendation .*: final loss gap f(x_K)-f\*" "$tmp/dreport" &&
    ok || fail "advise on data: the report does not name the loss gap: $(cat "$tmp/dreport")"
  python3 - "$out" <<'PY' && ok || fail "advise on data: outputs"
import csv, json, math, sys
d = sys.argv[1]
j = json.load(open(d + "/advise.json"))
m, s = j["measure"], j["settings"]
assert m["name"] == "loss_gap" and "f(x_k) - f*" in m["meaning"], m
assert j["measurements"]["curvature_source"] == "hessian", j["measurements"]
assert s["work"] == "none" and s["target_default"] is True, s
assert math.isclose(s["target"], m["fstar"] * 1.01, rel_tol=1e-12), (s, m)
assert "loss" in s["target_meaning"]
rows = {x["setting"]: x for x in csv.DictReader(open(d + "/advise.csv"))}
for name, o in j["outcomes"].items():
    assert "final_loss_gap" in o and "final_loss_gap_se" in o and "final_msd" not in o, o
    g = list(csv.DictReader(open(f"{d}/{name}/loss_gap.csv")))
    assert len(g) == 301 and list(g[0]) == ["k", "loss", "loss_gap", "se"], g[0]
    assert math.isclose(float(g[0]["loss"]), math.log(2), rel_tol=1e-9)     # x0 = 0
    for r in g[::50]:
        assert math.isclose(float(r["loss"]) - m["fstar"], float(r["loss_gap"]), rel_tol=1e-6, abs_tol=1e-9), r
    assert math.isclose(o["final_loss_gap"], float(g[-1]["loss_gap"]), rel_tol=1e-9)
    assert math.isclose(float(rows[name]["final_loss_gap"]), o["final_loss_gap"], rel_tol=1e-9)
v = j["verdict"]
assert "final_loss_gap" in v["difference"] and "loss gap" in v["rule"], v
assert v["helped"] is not None and "loss gap f(x_K)-f*" in v["text"], v
PY
  "$py" "$plot" advise "$out" >/dev/null && is_png "$out/advise.png" && ok || fail "plot.py advise on data"
else
  fail "asgd advise on data failed: $(tail -3 "$tmp/derr")"
fi
expect_usage "--observe coord:0 is not allowed" advise --loss logistic --data heart_scale --observe coord:0
# the hinge loss: no curvature at its optimum (its minimizer by dual coordinate descent): a = lambda,
# and the report says it is the regulariser's.
if "$asgd" advise --loss hinge --data heart_scale --workers 2 --probe-replicas 2 --replicas 2 \
     --iters 100 --out "$tmp/h" >"$tmp/hout" 2>"$tmp/herr"; then
  grep -q "a = lambda = .* (the regulariser's" "$tmp/hout" &&
    grep -q '"curvature_source":[[:space:]]*"regulariser"' "$tmp/h/advise.json" && ok ||
    fail "advise --loss hinge does not say where a comes from: $(grep '^near' "$tmp/hout")"
else
  fail "advise --loss hinge exited $?: $(cat "$tmp/herr")"
fi

# ---- SIGINT: partial outputs, exit 130 ---------------------------------------------------
# Interrupted once the probe's first run is in (its progress line), so in the probe's second run
# or, if that were over already, in the 100000 runs of the current setting: either way before
# both settings ran to the end, so there is no verdict. Runs of 10000 iterations (0.2 s here)
# keep the wait short on a loaded machine, where the engine slows down the most.
"$asgd" advise --workers 2 --iters 10000 --probe-replicas 2 --replicas 100000 \
  --work fixed:50us --out "$tmp/int" >"$tmp/int.out" 2>"$tmp/int.err" &
pid=$!
wait_for_progress $pid "$tmp/int.err" '^progress advise 1/3 probe 1/2 ' ||
  fail "advise printed no progress line to interrupt at"
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] && ok || fail "interrupted advise exited $rc, expected 130"
python3 - "$tmp/int" <<'PY' && ok || fail "interrupted advise outputs"
import json, sys
j = json.load(open(sys.argv[1] + "/advise.json"))
assert j["partial"] is True and j["verdict"]["helped"] is None, j["verdict"]
assert j["verdict"]["text"].startswith("no verdict"), j["verdict"]
PY

finish cli_advise
