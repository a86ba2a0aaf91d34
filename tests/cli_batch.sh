#!/usr/bin/env bash
# cli_batch.sh — `asgd batch` end to end: --help, bad input exits 2 naming the value, a small run
# writes control.json, schedule.csv, batch.json, batch.csv and curves.csv whose numbers agree
# with each other and with the closed forms of docs/MODELS.md §6, scripts/plot.py batch draws
# it, and SIGINT (in the simulator and in the engine) writes a partial result and exits 130.
# usage: tests/cli_batch.sh PATH/TO/asgd
asgd=${1:?usage: cli_batch.sh PATH/TO/asgd}
. "$(dirname "$0")/lib.sh"
plot="$(cd "$(dirname "$0")/.." && pwd)/scripts/plot.py"
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }

# ---- --help ------------------------------------------------------------------------------
"$asgd" batch --help >"$tmp/help" 2>&1 && grep -q -- "--gamma G" "$tmp/help" &&
  grep -q -- "--constant-batch B" "$tmp/help" && grep -q -- "--horizon K" "$tmp/help" && ok ||
  fail "batch --help"
grep -q "^  batch " <<<"$("$asgd" --help)" && ok || fail "asgd --help lists batch"

# ---- bad input: exit 2, the message names the value --------------------------------------
expect_usage "--gamma '0' is not allowed" batch --gamma 0
expect_usage "--gamma '-1' is not allowed" batch --gamma -1
expect_usage "--gamma 'nan' is not allowed" batch --gamma nan
expect_usage "--gamma 1e-300 is not allowed: the optimal batch would exceed" batch --gamma 1e-300
expect_usage "--horizon '0' is not allowed" batch --horizon 0
expect_usage "--horizon 'abc' is not allowed" batch --horizon abc
expect_usage "--mu '1' is not allowed" batch --mu 1
expect_usage "--mu '-0.1' is not allowed" batch --mu -0.1
expect_usage "--eta '0' is not allowed" batch --eta 0
expect_usage "--constant-batch '0' is not allowed" batch --constant-batch 0
expect_usage "--paths '1' is not allowed" batch --paths 1
expect_usage "--replicas '-1' is not allowed" batch --replicas -1
expect_usage "--workers '0' is not allowed" batch --workers 0
expect_usage "--threads '9999' is not allowed" batch --threads 9999
expect_usage "--preset 'fig5-quartic' is not allowed: the control needs a 1-D quadratic" \
  batch --preset fig5-quartic
expect_usage "--preset 'fig6' is not allowed" batch --preset fig6
expect_usage "--preset 'nosuch' is unknown" batch --preset nosuch
expect_usage "--work 'exp:fast' is not allowed" batch --work exp:fast
expect_usage "unexpected argument 'extra'" batch extra
expect_usage "unknown option" batch --bogus

# ---- a small run ---------------------------------------------------------------------------
out="$tmp/b"
if "$asgd" batch --horizon 200 --paths 500 --replicas 10 --work exp:20us --seed 5 --quiet \
     --out "$out"; then
  ok
  python3 - "$out" <<'PY' && ok || fail "batch outputs"
import csv, json, math, sys
d = sys.argv[1]
j = json.load(open(d + "/batch.json"))
c = json.load(open(d + "/control.json"))["control"]
K = 200
assert j["partial"] is False, j
assert j["command_line"][:2] == ["asgd", "batch"] and j["horizon"] == K
assert j["preset"].startswith("fig8") and j["a"] == 1 and j["mu"] == 0 and j["eta"] == 0.02
# fig8: Sigma = var c_i = (n^2 - 1)/(48 n^2), x* = -1/2 + (n + 1)/(4n), n = 100
n = 100
assert math.isclose(j["sigma2"], (n * n - 1) / (48 * n * n), rel_tol=1e-12)
assert math.isclose(j["minimizer"], -0.5 + (n + 1) / (4 * n), rel_tol=1e-12)
# the control (docs/MODELS.md §6) at a = 1, mu = 0: r = c - sqrt(c^2 - 4), dt = sqrt(eta)
eta, S, a = 0.02, j["sigma2"], 1.0
cc = math.sqrt(1 / eta)
r = cc - math.sqrt(cc * cc - 4 * a)
kappa = S * eta / 2 * (eta + 1 / a)
assert math.isclose(c["r"], r, rel_tol=1e-9) and math.isclose(c["kappa"], kappa, rel_tol=1e-12)
assert math.isclose(c["gamma_star"], r * kappa * eta, rel_tol=1e-9)
assert math.isclose(j["gamma"], c["gamma_star"] / 1000, rel_tol=1e-12) and j["gamma_default"]
assert math.isclose(c["dt"], math.sqrt(eta)) and math.isclose(c["T"], K * math.sqrt(eta))
assert math.isclose(c["t_star"], math.log(1000) / r, rel_tol=1e-9)
assert math.isclose(c["k_star"], (c["T"] - c["t_star"]) / c["dt"], rel_tol=1e-12)
# schedule.csv: B_k = max(1, round(1 + u)), 1 up to k*, non-decreasing
sch = list(csv.DictReader(open(d + "/schedule.csv")))
assert [int(x["k"]) for x in sch] == list(range(K))
B = [int(x["batch"]) for x in sch]
for x, b in zip(sch, B):
    u = float(x["u"])
    assert b == max(1, math.floor(1 + u + 0.5)), (x, b)
    assert math.isclose(float(x["t"]), int(x["k"]) * c["dt"], rel_tol=1e-9, abs_tol=1e-12)
    if int(x["k"]) <= c["k_star"]:
        assert u == 0 and b == 1, x
assert all(p <= q for p, q in zip(B, B[1:])) and B[-1] > 1, B
assert c["batch_last"] == B[-1] and c["gradient_evaluations"] == sum(B)
# three schedules; gradient counts consistent with schedule.csv; equal total within rounding
rows = {x["schedule"]: x for x in j["schedules"]}
assert list(rows) == ["optimal", "constant", "equal-total"], list(rows)
opt, con, eq = rows["optimal"], rows["constant"], rows["equal-total"]
assert opt["gradient_evaluations"] == sum(B) and opt["constant_batch"] is None
assert con["constant_batch"] == 5 and con["gradient_evaluations"] == 5 * K
assert eq["gradient_evaluations"] == eq["constant_batch"] * K
assert abs(eq["gradient_evaluations"] - sum(B)) <= K / 2, (eq, sum(B))
for name, x in rows.items():
    assert x["sim_complete"] and x["engine_complete"] and not x["engine_diverged"], x
    assert x["sim_paths"] == 500 and x["engine_replicas"] == 10, x
    assert x["engine_applied"] == 10 * K, x
    for k in ("sim_final", "sim_final_se", "engine_final", "engine_final_se", "model_final"):
        assert x[k] is not None and math.isfinite(x[k]) and x[k] > 0, (name, k, x[k])
    # the engine draws the batch of the version it read: update k uses B_{k - tau_k}, so a
    # non-decreasing schedule gives at most the simulator's count, and at least K
    assert K <= x["engine_evaluations"] <= x["gradient_evaluations"] * (1 + 1e-12), x
    assert 0 < x["engine_mu_hat"] < 1, x
# constant schedules: the engine count is exact, the model is kappa/B + (z0 - kappa/B) e^{-rT},
# and drawn without replacement from n = 100 its level is kappa/B (100 - B)/99
for x in (con, eq):
    assert x["engine_evaluations"] == x["gradient_evaluations"], x
    b = x["constant_batch"]
    for level, key in ((kappa / b, "model_final"), (kappa / b * (n - b) / (n - 1), "model_engine_final")):
        want = level + (c["z0"] - level) * math.exp(-r * c["T"])
        assert math.isclose(x[key], want, rel_tol=1e-9), (key, x[key], want)
assert opt["model_engine_final"] < opt["model_final"], opt
# batch.csv says what batch.json says
bc = list(csv.DictReader(open(d + "/batch.csv")))
assert [x["schedule"] for x in bc] == list(rows)
for x in bc:
    for k, v in x.items():
        if k == "schedule":
            continue
        w = rows[x["schedule"]][k]
        assert (v == "nan" and w is None) or math.isclose(float(v), w, rel_tol=1e-9), (k, v, w)
# curves.csv: 3 (K + 1) rows; the end points are the reported finals; everyone starts at z0
cu = list(csv.DictReader(open(d + "/curves.csv")))
assert len(cu) == 3 * (K + 1)
for name, x in rows.items():
    cur = [y for y in cu if y["schedule"] == name]
    assert [int(y["k"]) for y in cur] == list(range(K + 1))
    for key in ("sim_msd", "engine_msd", "model", "model_engine"):
        assert math.isclose(float(cur[0][key]), c["z0"], rel_tol=1e-9), (name, key, cur[0])
    assert math.isclose(float(cur[K]["sim_msd"]), x["sim_final"], rel_tol=1e-9)
    assert math.isclose(float(cur[K]["engine_msd"]), x["engine_final"], rel_tol=1e-9)
    assert math.isclose(float(cur[K]["engine_se"]), x["engine_final_se"], rel_tol=1e-9)
    assert math.isclose(float(cur[K]["model"]), x["model_final"], rel_tol=1e-9)
    assert math.isclose(float(cur[K]["model_engine"]), x["model_engine_final"], rel_tol=1e-9)
    assert all(float(y["sim_se"]) > 0 and float(y["engine_se"]) > 0 for y in cur[1:])
    if name == "optimal":
        assert [int(y["batch"]) for y in cur[:K]] == B
# the simulator's final against the per-step curve: the same paths, two SE estimators (batch
# means over 32 groups and per path) that must agree to within their own sampling error (~25%)
for x in rows.values():
    se_curve = float([y for y in cu if y["schedule"] == x["schedule"]][K]["sim_se"])
    assert 0.5 < se_curve / x["sim_final_se"] < 2, (x["schedule"], se_curve, x["sim_final_se"])
PY
  [ -z "$(find "$out" -name '*.tmp*')" ] && ok || fail "temporary files left in $out"
  "$py" "$plot" batch "$out" >/dev/null && is_png "$out/batch.png" && ok || fail "plot.py batch figure"
  "$py" "$plot" batch "$out" -o "$tmp/fig/b.png" >/dev/null && is_png "$tmp/fig/b.png" && ok ||
    fail "plot.py batch -o"
else
  fail "asgd batch (small) failed"
fi

# --replicas 0: the simulator only; gamma above gamma*: batch 1 throughout
if "$asgd" batch --horizon 50 --paths 64 --replicas 0 --gamma 1 --quiet --out "$tmp/n"; then
  python3 - "$tmp/n" <<'PY' && ok || fail "--replicas 0, --gamma 1"
import csv, json, sys
d = sys.argv[1]
j = json.load(open(d + "/batch.json"))
assert j["control"]["t_star"] == 0 and j["control"]["k_star"] == j["control"]["T"] / j["control"]["dt"]
assert all(int(x["batch"]) == 1 for x in csv.DictReader(open(d + "/schedule.csv")))
for x in j["schedules"]:
    assert x["engine_replicas"] is None and x["engine_final"] is None and x["sim_complete"], x
assert j["schedules"][2]["constant_batch"] == 1
PY
else
  fail "asgd batch --replicas 0"
fi

# ---- on data: the surrogate's control, the loss gap named in every key -------------------
out="$tmp/d"
if "$asgd" batch --loss logistic --data heart_scale --horizon 100 --paths 32 --replicas 4 \
     --workers 2 --seed 3 --out "$out" >"$tmp/dreport" 2>"$tmp/derr"; then
  ok
  grep -q "^loss gap f(x_K) - f\* at K = 100" "$tmp/dreport" && grep -q "work=none" "$tmp/dreport" &&
    grep -q "a=.* = trace(HC)/trace(C) at x\*" "$tmp/dreport" && ok ||
    fail "batch on data: the table does not name the loss gap: $(cat "$tmp/dreport")"
  python3 - "$out" <<'PY' && ok || fail "batch on data: outputs"
import csv, json, math, sys
d = sys.argv[1]
j = json.load(open(d + "/batch.json"))
assert j["measure"] == "loss_gap" and j["curvature_source"] == "hessian", j
assert j["minimizer"] is None and j["work"] == "none"
assert 0 < j["a"] <= j["largest_hessian_eigenvalue"], j
assert math.isclose(j["z0"], 2 * (j["f_x0"] - j["fstar"]) / j["a"], rel_tol=1e-9)
gap0 = j["f_x0"] - j["fstar"]
for x in j["schedules"]:
    for k in ("model_final_loss_gap", "sim_final_loss_gap", "sim_final_loss_gap_se",
              "engine_final_loss_gap", "engine_final_loss_gap_se"):
        assert x[k] is not None and math.isfinite(x[k]) and x[k] > 0, (k, x)
    assert "sim_final" not in x and "engine_final" not in x, x
    assert x["sim_final_loss_gap"] < gap0 and x["engine_final_loss_gap"] < gap0, x
cu = list(csv.DictReader(open(d + "/curves.csv")))
assert "sim_loss_gap" in cu[0] and "engine_loss_gap" in cu[0] and "sim_msd" not in cu[0], cu[0]
for y in cu:
    if y["k"] == "0":
        for key in ("model_loss_gap", "sim_loss_gap", "engine_loss_gap"):
            assert math.isclose(float(y[key]), gap0, rel_tol=1e-9), (key, y)
bc = list(csv.DictReader(open(d + "/batch.csv")))
assert "engine_final_loss_gap" in bc[0], bc[0]
PY
  "$py" "$plot" batch "$out" >/dev/null && is_png "$out/batch.png" && ok || fail "plot.py batch on data"
else
  fail "asgd batch on data failed: $(tail -3 "$tmp/derr")"
fi
expect_usage "--observe x is not allowed: on data batch measures the loss gap" \
  batch --loss logistic --data heart_scale --observe x
# the hinge loss has a minimizer (dual coordinate descent) but no curvature there: a = lambda
if "$asgd" batch --loss hinge --data heart_scale --horizon 50 --paths 8 --replicas 2 \
     --out "$tmp/h" >"$tmp/hout" 2>"$tmp/herr"; then
  grep -q "= lambda (the regulariser's" "$tmp/hout" && ok ||
    fail "batch --loss hinge does not say where a comes from: $(head -5 "$tmp/hout")"
else
  fail "batch --loss hinge exited $?: $(cat "$tmp/herr")"
fi

# ---- plot.py batch: bad input exits 2 ------------------------------------------------------
usage_cmd=("$py" "$plot" batch)
expect_usage "does not exist" "$tmp/nope"
mkdir -p "$tmp/bad"
expect_usage "has no batch.json" "$tmp/bad"
echo '{' >"$tmp/bad/batch.json"
expect_usage "is not readable JSON" "$tmp/bad"
echo '{"schedules": []}' >"$tmp/bad/batch.json"
expect_usage "has no curves.csv" "$tmp/bad"
printf 'a,b\n1,2\n' >"$tmp/bad/curves.csv"
expect_usage "is not a curves.csv" "$tmp/bad"
usage_cmd=("$asgd")

# ---- SIGINT: partial outputs, exit 130 ---------------------------------------------------
# once in the simulator (a long horizon), once in the engine (the simulator's 2 paths are quick)
# Each is interrupted at a line on stderr that says the phase is under way:
#  - sim: "batch: optimal schedule (1 of 3)", printed once the signal handler is in, as the first
#    schedule's simulator starts. Its first progress line ("progress batch 1/6 optimal:sim 1/32
#    ...", the first of 32 groups) comes only after seconds, but the check needs no more than a
#    simulator not yet done.
#  - engine: "progress batch 1/6 optimal:sim 2/2 ...", the first schedule's simulator complete
#    (2 paths: 2 groups); its engine runs next, and a stop raised before its first replica still
#    cuts it short.
for phase in sim engine; do
  if [ $phase = sim ]; then
    args=(--horizon 200000 --paths 100000 --replicas 0)
    progress='^batch: optimal schedule \(1 of 3\)$'
  else
    args=(--horizon 100000 --paths 2 --replicas 100000 --work fixed:50us)
    progress='^progress batch 1/6 optimal:sim 2/2 '
  fi
  "$asgd" batch "${args[@]}" --out "$tmp/int-$phase" >"$tmp/int-$phase.out" \
    2>"$tmp/int-$phase.err" &
  pid=$!
  wait_for_progress $pid "$tmp/int-$phase.err" "$progress" ||
    fail "batch printed no progress line to interrupt the $phase at"
  kill -INT $pid
  wait $pid
  rc=$?
  [ $rc -eq 130 ] && ok || fail "batch interrupted in the $phase exited $rc, expected 130"
  python3 - "$tmp/int-$phase" $phase <<'PY' && ok || fail "batch interrupted in the $phase: outputs"
import csv, json, sys
d, phase = sys.argv[1], sys.argv[2]
j = json.load(open(d + "/batch.json"))
assert j["partial"] is True, j
json.load(open(d + "/control.json"))
opt = j["schedules"][0]
if phase == "sim":
    assert not opt["sim_complete"] and opt["engine_replicas"] is None, opt
else:
    assert opt["sim_complete"] and not opt["engine_complete"], opt
    assert opt["engine_replicas"] is not None and opt["engine_replicas"] < 100000, opt
assert not any(x["sim_complete"] for x in j["schedules"][1:]), j["schedules"]
assert len(list(csv.DictReader(open(d + "/batch.csv")))) == 3
PY
  [ -z "$(find "$tmp/int-$phase" -name '*.tmp*')" ] && ok || fail "temporary files left"
done

finish cli_batch
