#!/usr/bin/env bash
# cli_sweep.sh — `asgd sweep` end to end: --help, bad input exits 2 naming the value, a small
# sweep writes sweep.csv/sweep.json/M<m>/ whose numbers agree with each other, with the per-M
# moments.csv and with the exact stationary values, scripts/plot.py sweep draws it; on a data
# model (logistic on heart_scale) the table, the columns and the figure say loss gap and
# optimum, and the numbers agree with the loss's moments.csv; and SIGINT writes a partial result
# and exits 130.
# usage: tests/cli_sweep.sh PATH/TO/asgd
asgd=${1:?usage: cli_sweep.sh PATH/TO/asgd}
. "$(dirname "$0")/lib.sh"
plot="$(cd "$(dirname "$0")/.." && pwd)/scripts/plot.py"
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }

# ---- --help ------------------------------------------------------------------------------
"$asgd" sweep --help >"$tmp/help" 2>&1 && grep -q -- "--workers LIST" "$tmp/help" &&
  grep -q -- "--target T" "$tmp/help" && grep -q "loss gap" "$tmp/help" &&
  grep -q "asgd_moments.csv" "$tmp/help" && ok || fail "sweep --help"

# ---- bad input: exit 2, the message names the value --------------------------------------
expect_usage "--workers '0' is not allowed" sweep --workers 0
expect_usage "--workers '1,,2' is not allowed" sweep --workers 1,,2
expect_usage "--workers 'abc' is not allowed" sweep --workers abc
expect_usage "--workers '1,2,' is not allowed" sweep --workers 1,2,
expect_usage "2 repeats" sweep --workers 1,2,2
expect_usage "--workers '2000' is not allowed" sweep --workers 2000
expect_usage "--replicas '0' is not allowed" sweep --replicas 0
expect_usage "--target '-1' is not allowed" sweep --target -1
expect_usage "--target 'nan' is not allowed" sweep --target nan
expect_usage "--target '0' is not allowed" sweep --target 0
expect_usage "--paths '0' is not allowed" sweep --paths 0
expect_usage "--preset 'nosuch' is unknown" sweep --preset nosuch
expect_usage "--work 'exp:fast' is not allowed" sweep --work exp:fast
expect_usage "--eta '0' is not allowed" sweep --eta 0
expect_usage "unexpected argument 'extra'" sweep extra
expect_usage "unknown option" sweep --bogus

# ---- a small sweep -------------------------------------------------------------------------
# eta 0.05 makes fig4 stationary by k = 100 ((1 - a eta)^(2k) ~ 1e-9), so the late-half averages
# over k = 100..200 are stationary values and can be held against the exact fixed points.
out="$tmp/s"
if "$asgd" sweep --workers 1,2 --work exp:20us --replicas 20 --iters 200 --eta 0.05 \
     --target 0.1 --paths 256 --seed 3 --quiet --out "$out"; then
  ok
  python3 - "$out" <<'PY' && ok || fail "sweep outputs"
import csv, json, math, sys
d = sys.argv[1]
j = json.load(open(d + "/sweep.json"))
rows = j["rows"]
assert j["partial"] is False and j["diverged"] is False, j
assert j["command_line"][:2] == ["asgd", "sweep"], j["command_line"]
assert j["target"] == 0.1 and j["iterations"] == 200 and j["quadratic_1d"] == {"a": 2, "sigma2": 4}
assert j["quantity"] == "msd" and j["observe"] == "x" and j["target_default"] is False, j
assert j["asgd_paths"] == 256 and j["optimum_loss"] is not None, j
assert [r["workers"] for r in rows] == [1, 2], rows
c = list(csv.DictReader(open(d + "/sweep.csv")))
assert [int(r["workers"]) for r in c] == [1, 2], c
for r, cr in zip(rows, c):   # the CSV and the JSON say the same, to the CSV's 10 digits
    for k, v in r.items():
        if v is None:
            assert cr[k] == "nan", (k, cr[k])
        else:
            assert math.isclose(float(cr[k]), v, rel_tol=1e-9, abs_tol=1e-300), (k, cr[k], v)
for r in rows:
    assert r["replicas"] == 20 and r["applied"] == 20 * 200, r
    assert r["mu_ci95_lo"] <= r["mu_hat"] <= r["mu_ci95_hi"], r
    assert r["mu_queueing"] == 1 - 1 / r["workers"]
    # Proposition 1's map
    assert r["msgd_mu"] == r["mu_hat"] and math.isclose(r["msgd_eta"], 0.05 * (1 - r["mu_hat"]))
    for k in ("real_ex2", "real_ex2_se", "msgd_ex2", "msgd_ex2_se", "msgd_exact_ex2",
              "appendix_b_ex2", "asgd_exact_ex2", "asgd_ex2", "asgd_ex2_se", "updates_per_s"):
        assert r[k] is not None and math.isfinite(r[k]) and r[k] > 0, (k, r)
    # discrete ASGD at mu_hat, simulated, against its exact fixed point (the SE is a bound)
    assert abs(r["asgd_ex2"] - r["asgd_exact_ex2"]) <= 4 * r["asgd_ex2_se"], r
    # Appendix B (docs/MODELS.md §3) at mu_hat: S eta^2/(2(1-mu)) + S eta/(2a), a = 2, S = 4
    mu = r["mu_hat"]
    assert math.isclose(r["appendix_b_ex2"], 4 * 0.05**2 / (2 * (1 - mu)) + 4 * 0.05 / 4, rel_tol=1e-12)
    # The MSGD ensemble against its exact fixed point: 4 SE (the SE is a bound, so this is loose
    # but fails if the map is wrong: eta' = eta instead of eta(1-mu_hat) moves it by ~40% at M=2).
    assert abs(r["msgd_ex2"] - r["msgd_exact_ex2"]) <= 4 * r["msgd_ex2_se"], r
    # The real run's numbers are those of its moments.csv (x* = 0: E x^2)
    m = list(csv.DictReader(open(f"{d}/M{r['workers']}/moments.csv")))
    assert len(m) == 201
    late = m[100:]
    avg = sum(float(x["second_moment"]) for x in late) / len(late)
    assert math.isclose(r["real_ex2"], avg, rel_tol=1e-8), (r["real_ex2"], avg)
    # the SE of the time average across replicas never exceeds the largest one-step SE (the
    # sample standard deviation of an average is at most the average of theirs)
    assert 0 < r["real_ex2_se"] <= max(float(x["se_second"]) for x in late) * (1 + 1e-9), r
    below = [int(x["k"]) for x in m if float(x["second_moment"]) <= 0.1]
    assert r["iters_to_target"] == below[0], (r["iters_to_target"], below[:3])
    assert math.isclose(r["time_to_target_s"], below[0] / r["updates_per_s"], rel_tol=1e-9)
    st = list(csv.DictReader(open(f"{d}/M{r['workers']}/staleness.csv")))
    assert sum(int(x["count"]) for x in st) == 20 * 200
    json.load(open(f"{d}/M{r['workers']}/summary.json"))
    assert len(list(csv.DictReader(open(f"{d}/M{r['workers']}/msgd_moments.csv")))) == 201
    assert len(list(csv.DictReader(open(f"{d}/M{r['workers']}/asgd_moments.csv")))) == 201
m1 = rows[0]
assert m1["mu_hat"] < 0.01, m1                       # one worker: (almost) never stale
if m1["mu_hat"] == 0:
    # mu = 0: MSGD(0, eta) and ASGD(0, eta) are both SGD; the real run is SGD too, so its
    # stationary E x^2 is the exact one within 4 SE
    assert math.isclose(m1["msgd_exact_ex2"], m1["asgd_exact_ex2"], rel_tol=1e-12), m1
    assert abs(m1["real_ex2"] - m1["asgd_exact_ex2"]) <= 4 * m1["real_ex2_se"], m1
assert rows[1]["mu_hat"] > 0.1, rows[1]              # two workers: stale about a third of the time
PY
  [ -z "$(find "$out" -name '*.tmp*')" ] && ok || fail "temporary files left in $out"
  "$py" "$plot" sweep "$out" >/dev/null && is_png "$out/sweep.png" && ok || fail "plot.py sweep figure"
  "$py" "$plot" sweep "$out" -o "$tmp/fig/s.png" >/dev/null && is_png "$tmp/fig/s.png" && ok ||
    fail "plot.py sweep -o"
else
  fail "asgd sweep (small) failed"
fi

# ---- a data model: the loss gap ---------------------------------------------------------
# Logistic regression on heart_scale (270 rows, 13 features), the loss observed by default: the
# stationary columns are the excess loss E f(x) - f*, the target a level of the loss.
dout="$tmp/d"
if "$asgd" sweep --loss logistic --data heart_scale --workers 1,2 --work none --replicas 3 \
     --iters 300 --paths 32 --seed 2 --out "$dout" >"$tmp/d.out" 2>/dev/null; then
  ok
  grep -q "stationary loss gap E f(x) - f\*" "$tmp/d.out" && grep -q "optimum f\* = f(x\*) = " "$tmp/d.out" &&
    grep -q "ASGD sim" "$tmp/d.out" && grep -q "first E f(x_k) <= " "$tmp/d.out" &&
    ! grep -q "E||x-x\*||^2" "$tmp/d.out" && ok || fail "sweep on data: the table does not name the loss"
  python3 - "$dout" <<'PY' && ok || fail "sweep on data: outputs"
import csv, json, math, sys
d = sys.argv[1]
j = json.load(open(d + "/sweep.json"))
assert j["quantity"] == "loss_gap" and j["observe"] == "loss", j
fstar = j["optimum_loss"]
assert 0.3 < fstar < math.log(2), fstar           # below f(0) = log 2
assert j["target_default"] is True and math.isclose(j["target"], 1.01 * fstar, rel_tol=1e-12), j
assert "E f(x_k) <= target" in j["target_meaning"], j["target_meaning"]
assert j["quadratic_1d"] is None
c = list(csv.DictReader(open(d + "/sweep.csv")))
head = list(c[0].keys())
assert not [k for k in head if "ex2" in k], head
for k in ("real_gap", "real_gap_se", "msgd_gap", "msgd_gap_se", "asgd_gap", "asgd_gap_se",
          "iters_to_target", "time_to_target_s"):
    assert k in head, (k, head)
for r, cr in zip(j["rows"], c):   # the CSV and the JSON say the same
    assert list(r.keys()) == head, (list(r.keys()), head)
    for k, v in r.items():
        assert cr[k] == "nan" if v is None else math.isclose(float(cr[k]), v, rel_tol=1e-9), (k, cr[k], v)
for r in j["rows"]:
    for k in ("real_gap", "real_gap_se", "msgd_gap", "msgd_gap_se", "asgd_gap", "asgd_gap_se"):
        assert r[k] is not None and math.isfinite(r[k]) and r[k] > 0, (k, r)
    # the real run's moments.csv is of the loss: its late-half mean minus f* is the gap
    # (rows every stride-th update: as many as scoring the loss can afford)
    m = list(csv.DictReader(open(f"{d}/M{r['workers']}/moments.csv")))
    K = len(m) - 1
    assert K >= 1 and int(m[1]["k"]) * K == int(m[-1]["k"]) <= 300, (K, m[1]["k"], m[-1]["k"])
    avg = sum(float(x["mean"]) for x in m[K // 2:]) / len(m[K // 2:])
    assert math.isclose(r["real_gap"], avg - fstar, rel_tol=1e-6), (r["real_gap"], avg - fstar)
    # the ensembles (a row per step) are averaged over the same k as the real run's late half
    ks = [int(x["k"]) for x in m[K // 2:]]
    for f, col in (("msgd_moments.csv", "msgd_gap"), ("asgd_moments.csv", "asgd_gap")):
        e = {int(x["k"]): float(x["mean"]) for x in csv.DictReader(open(f"{d}/M{r['workers']}/{f}"))}
        win = sum(e[k] for k in ks) / len(ks) - fstar
        assert math.isclose(r[col], win, rel_tol=1e-6), (col, r[col], win)
    below = [int(x["k"]) for x in m if float(x["mean"]) <= j["target"]]
    assert r["iters_to_target"] == (below[0] if below else None), (r["iters_to_target"], below[:3])
    for f in ("msgd_moments.csv", "asgd_moments.csv"):
        assert len(list(csv.DictReader(open(f"{d}/M{r['workers']}/{f}")))) == 301
PY
  "$py" "$plot" sweep "$dout" >/dev/null && is_png "$dout/sweep.png" && ok || fail "plot.py sweep, data"
else
  fail "asgd sweep on data failed"
fi
# --target on data: a level of the loss itself (f(0) = log 2 = 0.693 > 0.6 > f*), reached
if "$asgd" sweep --loss logistic --data heart_scale --workers 1 --work none --replicas 2 \
     --iters 300 --paths 8 --target 0.6 --quiet --out "$tmp/dt"; then
  python3 - "$tmp/dt" <<'PY' && ok || fail "sweep on data: --target"
import csv, json, sys
d = sys.argv[1]
j = json.load(open(d + "/sweep.json"))
assert j["target"] == 0.6 and j["target_default"] is False, j
m = list(csv.DictReader(open(d + "/M1/moments.csv")))
first = next(int(x["k"]) for x in m if float(x["mean"]) <= 0.6)
assert 0 < first and j["rows"][0]["iters_to_target"] == first, (first, j["rows"][0])
PY
else
  fail "asgd sweep on data --target failed"
fi

# ---- plot.py sweep: bad input exits 2 ------------------------------------------------------
usage_cmd=("$py" "$plot" sweep)
expect_usage "does not exist" "$tmp/nope"
expect_usage "has no sweep.json" "$out/M1"
mkdir -p "$tmp/bad" && echo '{' >"$tmp/bad/sweep.json"
expect_usage "is not readable JSON" "$tmp/bad"
echo '{"rows": []}' >"$tmp/bad/sweep.json"
expect_usage "has no rows" "$tmp/bad"
echo '{"rows": [{"workers": 1}]}' >"$tmp/bad/sweep.json"
expect_usage "row 0 lacks" "$tmp/bad"
[ -z "$(find "$tmp/bad" -name '*.tmp*')" ] && ok || fail "temporary PNG left behind"
usage_cmd=("$asgd")

# ---- SIGINT: partial outputs, exit 130 ---------------------------------------------------
# Interrupted at "sweep: M = 1 (1 of 2)", printed (after the signal handler is in and M1/ is
# made) as M = 1's replicas start: they are then cut short, so M1/summary.json is partial and no
# row is complete. The engine says nothing more before 10% of its 100000 replicas.
"$asgd" sweep --workers 1,2 --iters 100000 --replicas 100000 --work fixed:50us \
  --out "$tmp/int" >"$tmp/int.out" 2>"$tmp/int.err" &
pid=$!
wait_for_progress $pid "$tmp/int.err" '^sweep: M = 1 \(1 of 2\)$' ||
  fail "sweep printed no progress line to interrupt at"
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] && ok || fail "interrupted sweep exited $rc, expected 130"
python3 - "$tmp/int" <<'PY' && ok || fail "interrupted sweep outputs"
import csv, json, sys
d = sys.argv[1]
j = json.load(open(d + "/sweep.json"))
assert j["partial"] is True and len(j["rows"]) < 2, j
assert len(list(csv.DictReader(open(d + "/sweep.csv")))) == len(j["rows"])
s = json.load(open(d + "/M1/summary.json"))   # the interrupted M's own files are whole
assert s["partial"] is True
assert s["accounting"]["computed"] == s["accounting"]["applied"] + s["accounting"]["discarded"]
PY

finish cli_sweep
