#!/usr/bin/env bash
# cli_conventions.sh — what every command shares (issue 17): --version, -h and `asgd help CMD`,
# the messages for an unknown option (did you mean), an ambiguous prefix, a missing value, an
# unknown preset, data set or command; `asgd fit` on a missing file (exit 2, nothing created) or
# a histogram (no nan per-worker means); the p-value format; and that every JSON a quick run of
# each command writes has "command_line" as an array and the "machine", "build" and "run" keys.
# usage: tests/cli_conventions.sh PATH/TO/asgd
asgd=$(realpath "${1:?usage: cli_conventions.sh PATH/TO/asgd}")	# fit runs in another directory
. "$(dirname "$0")/lib.sh"

commands=(run fit simulate sme theory compare order validate sweep advise batch)

# ---- --version / version -------------------------------------------------------------------
for v in --version version; do
  if "$asgd" $v >"$tmp/version" 2>&1; then
    grep -qE '^asgd [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/version" && grep -q '^commit: .' "$tmp/version" &&
      grep -q '^build_type: .' "$tmp/version" && grep -q '^compiler: .' "$tmp/version" &&
      ok || fail "asgd $v: $(cat "$tmp/version")"
  else
    fail "asgd $v exited non-zero"
  fi
done

# ---- -h, --help and `asgd help CMD` on every command ----------------------------------------
for c in "${commands[@]}"; do
  "$asgd" "$c" -h >"$tmp/h1" 2>&1 && grep -q "^usage: asgd $c " "$tmp/h1" && ok || fail "$c -h"
  "$asgd" "$c" --help >"$tmp/h2" 2>&1 && cmp -s "$tmp/h1" "$tmp/h2" && ok ||
    fail "$c -h differs from $c --help"
  "$asgd" help "$c" >"$tmp/h3" 2>&1 && cmp -s "$tmp/h1" "$tmp/h3" && ok ||
    fail "asgd help $c differs from $c --help"
done
"$asgd" help >"$tmp/h" && grep -q "asgd help COMMAND" "$tmp/h" && ok || fail "asgd help"
expect_usage "unknown command 'fitt'; did you mean 'fit'?" help fitt
expect_usage "did you mean 'sweep'?" swep

# ---- option, preset and data set messages ---------------------------------------------------
expect_usage "unknown option '--etta'; did you mean --eta?" run --etta 0.1
expect_usage "unknown option '--presetz'; did you mean --preset?" simulate --presetz fig4
expect_usage "unknown option '--zzzzzz'" run --zzzzzz
"$asgd" run --zzzzzz 2>&1 | grep -q "did you mean" && fail "--zzzzzz got a suggestion" || ok
expect_usage "ambiguous option '--w': it could be --workers or --work" run --w 2
expect_usage "--eta needs a value: --eta ETA" run --eta
expect_usage "--quiet takes no value" run --quiet=1
expect_usage "unknown option '-x'" run -x
expect_usage "--preset 'fgi4' is unknown; did you mean 'fig4'?" run --preset fgi4
expect_usage "did you mean 'heart_scale'?" run --loss logistic --data heart_scal
# a prefix that names one flag is that flag (getopt_long): --iter is --iters
expect_usage "--iters '0' is not allowed" run --iter 0

# ---- fit: a missing file creates nothing; a histogram has no per-worker means ----------------
mkdir "$tmp/fitdir"
(cd "$tmp/fitdir" && "$asgd" fit nosuchfile.txt >"$tmp/out" 2>"$tmp/err")
rc=$?
[ $rc -eq 2 ] && ok || fail "fit on a missing file exited $rc, expected 2"
grep -q "nosuchfile.txt" "$tmp/err" && ok || fail "fit's message lacks the file: $(cat "$tmp/err")"
[ -z "$(ls -A "$tmp/fitdir")" ] && ok || fail "fit on a missing file created $(ls -A "$tmp/fitdir")"
"$asgd" fit --out "$tmp/nofit" "$tmp/nosuch" 2>/dev/null
[ ! -e "$tmp/nofit" ] && ok || fail "fit on a missing file created --out"

# A histogram far from geometric: chi2 p underflows to 0, printed as "< 1e-300".
printf 'l,count\n0,1000000\n5,1000000\n6,10\n' >"$tmp/hist.csv"
if "$asgd" fit --workers 4 --out "$tmp/fit" "$tmp/hist.csv" >"$tmp/fit.txt" 2>&1; then
  ok
  grep -qi "nan" "$tmp/fit.txt" && fail "fit printed nan: $(grep -i nan "$tmp/fit.txt")" || ok
  grep -q "per-worker mean τ: not measured" "$tmp/fit.txt" && ok || fail "fit: per-worker line"
  grep -q "p = < 1e-300 " "$tmp/fit.txt" && ok || fail "fit: p-value: $(grep 'p =' "$tmp/fit.txt")"
  python3 - "$tmp/fit/summary.json" <<'PY' && ok || fail "fit: chi2_p in the JSON is not a number"
import json, sys
p = json.load(open(sys.argv[1]))["staleness"]["chi2_p"]
assert isinstance(p, (int, float)) and 0 <= p < 1e-300, p
PY
else
  fail "fit on a histogram: $(cat "$tmp/fit.txt")"
fi

# ---- every JSON of a quick run of each command: command_line array, machine, build, run ------
q=(--quiet)
printf '0\n1\n0\n2\n1\n0\n3\n1\n' >"$tmp/sample.txt"
runs=(
  "run --preset fig4 --workers 2 --iters 100 --replicas 2 --work none ${q[*]}"
  "fit --workers 2 ${q[*]} $tmp/sample.txt"
  "simulate --preset fig4 --paths 50 --iters 50 ${q[*]}"
  "sme --model sme-asgd --sigma constant --preset fig4 --paths 50 --iters 50 ${q[*]}"
  "theory --preset fig4 --mu 0.9 --eta 0.01 --iters 200"
  "compare --preset fig4 --mu 0.9 --paths 64 --iters 50 ${q[*]}"
  "validate --preset fig4 --workers 2 --work none --replicas 4 --iters 50 --paths 64 ${q[*]}"
  "sweep --workers 1,2 --work none --replicas 4 --iters 50 --eta 0.05 --paths 32 ${q[*]}"
  "order --preset fig4 --mu 0.9 ${q[*]}"
  "advise --workers 2 --work none --probe-replicas 4 --replicas 4 --iters 50 ${q[*]}"
  "batch --horizon 50 --paths 50 --replicas 2 --work none ${q[*]}"
)
for line in "${runs[@]}"; do
  read -ra args <<<"$line"
  c=${args[0]}
  dir="$tmp/json-$c"
  if "$asgd" "${args[@]}" --out "$dir" >"$tmp/run.out" 2>&1; then
    ok
    python3 - "$dir" "$c" <<'PY' && ok || fail "$c: JSON conventions"
import json, os, sys
root, cmd = sys.argv[1], sys.argv[2]
files = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".json")]
assert files, "no JSON written"
for path in files:
    d = json.load(open(path))
    cl = d.get("command_line")
    assert isinstance(cl, list) and cl[:2] == ["asgd", cmd], (path, cl)
    assert all(isinstance(a, str) for a in cl), (path, cl)
    assert "argv" not in d, path
    assert isinstance(d["machine"]["nproc"], (int, float)), path
    b = d["build"]
    assert b["version"].count(".") == 2 and b["commit"] and b["build_type"] and b["compiler"], b
    r = d["run"]
    assert r["time_utc"].endswith("Z") and len(r["time_utc"]) == 20, r
    assert r["kernel"].startswith(os.uname().sysname), r
    la = r["loadavg"]
    assert la is None or (len(la) == 3 and all(x >= 0 for x in la)), r
PY
  else
    fail "asgd $line: $(tail -3 "$tmp/run.out")"
  fi
done

finish cli_conventions
