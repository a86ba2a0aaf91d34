#!/usr/bin/env bash
# cli_theory.sh — `asgd theory` end to end: --help, bad input exits 2 with a message naming the
# value, and a good run's theory.json and theory.csv checked against the closed forms in Python.
# usage: tests/cli_theory.sh PATH/TO/asgd
asgd=${1:?usage: cli_theory.sh PATH/TO/asgd}
. "$(dirname "$0")/lib.sh"

grep -q "usage: asgd theory" <<<"$("$asgd" theory --help)" && ok || fail "theory --help"

expect_usage "--a '0' is not allowed" theory --a 0 --out "$tmp/x"
expect_usage "--a '-2' is not allowed" theory --a -2 --out "$tmp/x"
expect_usage "--eta '0' is not allowed" theory --eta 0 --out "$tmp/x"
expect_usage "--eta 'nan' is not allowed" theory --eta nan --out "$tmp/x"
expect_usage "--mu '1' is not allowed" theory --mu 1 --out "$tmp/x"
expect_usage "--mu '-0.1' is not allowed" theory --mu -0.1 --out "$tmp/x"
expect_usage "--sigma2 '-1' is not allowed" theory --sigma2 -1 --out "$tmp/x"
expect_usage "--sigma2 'inf' is not allowed" theory --sigma2 inf --out "$tmp/x"
expect_usage "--iters 'x' is not allowed" theory --iters x --out "$tmp/x"
expect_usage "theory needs a 1-D quadratic preset: fig4 or fig8" theory --preset fig6
expect_usage "theory needs a 1-D quadratic preset: fig4 or fig8" theory --preset fig5-quartic
expect_usage "'nosuch'" theory --preset nosuch
expect_usage "unknown option" theory --bogus
expect_usage "unexpected argument" theory extra

# ---- fig4, mu = 0.9, eta = 0.01: the numbers of docs/MODELS.md section 3 ------------------
out="$tmp/t"
if "$asgd" theory --preset fig4 --mu 0.9 --eta 0.01 --iters 2000 --out "$out" >"$tmp/table"; then
  ok
  grep -q "E X^2 = 0.012" "$tmp/table" && ok || fail "table lacks E X^2 = 0.012: $(cat "$tmp/table")"
  python3 - "$out" <<'PY' && ok || fail "theory.json/theory.csv values"
import csv, json, math, sys
d = json.load(open(sys.argv[1] + "/theory.json"))
a, S, eta, mu = 2.0, 4.0, 0.01, 0.9
p = d["parameters"]
assert (p["a"], p["sigma2"], p["eta"], p["mu"]) == (a, S, eta, mu), p
c = math.sqrt((1 - mu) / eta)
close = lambda x, y, tol=1e-12: abs(x - y) <= tol * max(1.0, abs(y))
st = d["stationary_sme"]
assert close(st["EX2"], S * eta**2 / (2 * (1 - mu)) + S * eta / (2 * a)) and close(st["EX2"], 0.012)
assert close(st["EY2"], a * S * eta**2 / (2 * (1 - mu)))
assert close(st["EXY"], -S * eta**1.5 / (2 * math.sqrt(1 - mu)))
assert close(st["EM2"], S * eta / (2 * a)) and close(st["EP2"], S * eta / 2)
sc = d["scales"]
assert close(sc["c"], c) and close(sc["dt"], math.sqrt(eta * (1 - mu)))
assert close(sc["alpha"], 1 / c) and close(sc["s2"], eta**1.5 / math.sqrt(1 - mu))
r = math.sqrt(c * c - 4 * a)          # real here: c^2 = 10 > 8
eA = sorted(e["re"] for e in d["eigenvalues"]["A"])
assert all(close(x, y) for x, y in zip(eA, sorted([(-c + r) / 2, (-c - r) / 2])))
eB = sorted(e["re"] for e in d["eigenvalues"]["B"])
assert all(close(x, y) for x, y in zip(eB, sorted([-c, -c + r, -c - r])))
o = d["optimal"]
assert close(o["mu_opt"], max(1 - 4 * a * eta, 0)) and close(o["eta_opt"], (1 - mu) / (4 * a))
pr = d["proposition1"]
assert close(pr["msgd_eta"], eta * (1 - mu)) and pr["msgd_mu"] == mu
assert close(pr["temperature_sme_asgd"], S * eta / 2)
assert close(pr["temperature_sme_msgd"], pr["temperature_sme_asgd"])
# the discrete fixed points, by iterating the 1-D recursions of docs/MODELS.md section 4 here
P = Q = R = D = 0.0
for _ in range(200000):
    T = Q - eta * a * R
    P1 = P - 2 * eta * a * Q + eta**2 * (a * a * D + S)
    P, Q, R, D = P1, (1 - mu) * P1 + mu * T, (1 - mu)**2 * P1 + 2 * (1 - mu) * mu * T + mu * mu * R, (1 - mu) * P1 + mu * D
em, mm = eta * (1 - mu), mu
XX = XV = VV = 0.0
for _ in range(200000):
    xv = mm * XV - em * a * XX
    vv = mm * mm * VV - 2 * mm * em * a * XV + em**2 * (a * a * XX + S)
    XX, XV, VV = XX + 2 * xv + vv, xv + vv, vv
di = d["discrete"]
assert close(di["asgd_ex2"], P, 1e-9), (di["asgd_ex2"], P)
assert close(di["msgd_ex2"], XX, 1e-9), (di["msgd_ex2"], XX)
assert di["asgd_stable"] and di["msgd_stable"]
assert close(di["rel_gap_asgd_vs_msgd"], P / XX - 1, 1e-8)
assert close(di["rel_gap_appendix_b_vs_asgd"], st["EX2"] / P - 1, 1e-8)
assert 0.15 < di["rel_gap_asgd_vs_msgd"] < 0.25        # docs/ERRATA.md §6
rows = list(csv.DictReader(open(sys.argv[1] + "/theory.csv")))
assert len(rows) == 2001 and list(rows[0]) == ["k", "t", "mean", "second_moment"]
assert float(rows[0]["mean"]) == 1.0 and float(rows[0]["second_moment"]) == 1.0
assert close(float(rows[10]["t"]), 10 * sc["dt"], 1e-9)
assert abs(float(rows[-1]["second_moment"]) - 0.012) < 1e-9 and abs(float(rows[-1]["mean"])) < 1e-9
PY
  ls "$out" | grep -q tmp && fail "temporary files left in $out" || ok
else
  fail "asgd theory fig4 failed"
fi

# ---- --a/--sigma2 override the preset; --json prints the same JSON ------------------------
if "$asgd" theory --a 1 --sigma2 0.5 --eta 0.02 --mu 0.5 --iters 5 --json --out "$tmp/j" >"$tmp/j.json"; then
  python3 -c "
import json,sys
a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
assert a['stationary_sme']==b['stationary_sme']
assert abs(a['stationary_sme']['EX2'] - (0.5*0.02**2/(2*0.5) + 0.5*0.02/2)) < 1e-15
assert a['parameters']['a']==1 and a['parameters']['sigma2']==0.5" "$tmp/j.json" "$tmp/j/theory.json" && ok || fail "--json output"
  [ "$(wc -l <"$tmp/j/theory.csv")" = "7" ] && ok || fail "theory.csv rows for --iters 5"
else
  fail "asgd theory --a --sigma2 failed"
fi

# ---- fig8: a = 1, Sigma = variance of the c_i, x* = their mean ---------------------------
if "$asgd" theory --preset fig8 --out "$tmp/f8" >/dev/null; then
  python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))['parameters']; n=100
c=[-0.5+i/(2*n) for i in range(1,n+1)]; m=sum(c)/n; v=sum((x-m)**2 for x in c)/n
assert d['a']==1 and abs(d['sigma2']-v)<1e-15 and abs(d['xstar']-m)<1e-15, d" "$tmp/f8/theory.json" && ok || fail "fig8 parameters"
else
  fail "asgd theory --preset fig8 failed"
fi

finish cli_theory
