#!/usr/bin/env bash
# cli_data.sh — models on data, end to end: `asgd run` and `asgd validate` with --loss/--data;
# bad input exits 2 naming the value (malformed files with FILE:LINE:COLUMN); every engine mode
# keeps its accounting; and on heart_scale the final regularised logistic loss of a real
# asynchronous run is within 1% of the optimum that liblinear (Debian's liblinear-tools, -s 0,
# the same C) computes — an independent solver — when liblinear-train is installed.
# usage: tests/cli_data.sh PATH/TO/asgd
asgd=${1:?usage: cli_data.sh PATH/TO/asgd}
. "$(dirname "$0")/lib.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3

# ---- bad input -------------------------------------------------------------------------------
expect_usage "--loss 'lasso' is unknown" run --loss lasso --data heart_scale
expect_usage "--loss logistic needs --data" run --loss logistic
expect_usage "need --loss" run --data heart_scale
expect_usage "--preset 'fig4' and --loss 'logistic' both given" run --preset fig4 --loss logistic --data heart_scale
expect_usage "--lambda '-1' is not allowed" run --loss logistic --data heart_scale --lambda -1
expect_usage "--C '0' is not allowed" run --loss logistic --data heart_scale --C 0
expect_usage "--lambda and --C both given" run --loss logistic --data heart_scale --C 1 --lambda 1
expect_usage "positive class 3 is not a label" run --loss logistic --data heart_scale --positive 3
expect_usage "--mode 'async' is unknown" run --loss logistic --data heart_scale --mode async
expect_usage "observable 'coord:13' is not allowed" run --loss logistic --data heart_scale --observe coord:13
expect_usage "observable 'mean' is unknown" validate --loss logistic --data heart_scale --observe mean
expect_usage "--index-base '2' is not allowed" run --loss logistic --data heart_scale --index-base 2
expect_usage "momentum 0.5 is not allowed in hogwild mode" run --loss logistic --data heart_scale --mode hogwild --momentum 0.5
expect_usage "cannot" run --loss logistic --data "$tmp/missing.svm"
expect_usage "--data '$tmp'" run --loss logistic --data "$tmp"
printf '+1 1:0.5 2:0.25\n-1 1:0.1 2:zz\n' >"$tmp/bad.svm"
expect_usage "bad.svm:2:10: found '2:zz'" run --loss logistic --data "$tmp/bad.svm"
printf '1,2,3\n4,5\n' >"$tmp/ragged.csv"
expect_usage "ragged.csv:2" run --loss squares --data "$tmp/ragged.csv"
head -c 300 /dev/urandom >"$tmp/binary.svm"
expect_usage "binary.svm:" run --loss logistic --data "$tmp/binary.svm"
expect_usage "rcv1" run --loss hinge --data rcv1:n=0
expect_usage "--scale 'minmax' is unknown: allowed none, maxabs, standard" run --loss logistic --data heart_scale --scale minmax
expect_usage "and --scale need --loss" run --preset fig4 --scale maxabs
expect_usage "use maxabs, which keeps the data sparse" run --loss hinge --data rcv1:n=3000,d=47236,nnz=5 --scale standard
# a scaled run: the summary names the scaled source, and the scaling reaches the model; the
# mean final loss over the replicas is the mean of the moments' last row, and the gap is
# computed from it and the optimum; the terminal says both
if "$asgd" run --loss logistic --data heart_scale --scale standard --mode hogwild --workers 2 \
     --work none --replicas 3 --iters 2000 --out "$tmp/scaled" >"$tmp/scaled.txt"; then
  s="$tmp/scaled/summary.json"
  src=$(json_get "$s" "['data']['source']")
  [[ $src == *"(scaled: standard)" ]] && ok || fail "scaled source recorded: '$src'"
  $py - "$s" "$tmp/scaled/moments.csv" <<'PY' && ok || fail "mean final loss and gap in summary.json"
import csv, json, sys
d = json.load(open(sys.argv[1]))["data"]
last = list(csv.DictReader(open(sys.argv[2])))[-1]
assert abs(d["final_loss_mean"] - float(last["mean"])) <= 1e-9 * abs(float(last["mean"]))
assert d["final_loss_replicas"] == 3 and d["final_loss_at"] == float(last["k"])
gap = (d["final_loss_mean"] - d["optimum_loss"]) / d["optimum_loss"]
assert abs(d["relative_gap"] - gap) < 1e-12 and d["final_loss_se"] > 0
PY
  grep -q "mean final loss .* over 3 replicas at update [0-9]*; optimum .*; gap" "$tmp/scaled.txt" \
    && ok || fail "the data line: $(grep '^data' "$tmp/scaled.txt")"
else
  fail "run --scale standard exited $?"
fi
grep -q -- "--loss LOSS" <<<"$("$asgd" run --help)" && ok || fail "run --help lists --loss"

# ---- the data defaults: no flag but the problem gives a run within 1% of the optimum ----------
# The default step aims at a stationary gap of 0.5% (docs/MODELS.md §7); 5 replicas give the
# mean an SE of about 0.1% of the optimum on heart_scale, so 1% is 4 SE above the aim.
if "$asgd" run --loss logistic --data heart_scale --out "$tmp/dflt" >"$tmp/dflt.txt"; then
  $py - "$tmp/dflt/summary.json" <<'PY' && ok || fail "run with the data defaults: $(grep -E '^(data|defaults)' "$tmp/dflt.txt")"
import json, sys
s = json.load(open(sys.argv[1]))
d, dd = s["data"], s["data_defaults"]
assert s["work"] == "none", s["work"]
assert s["replicas"] == 5 and d["final_loss_replicas"] == 5
assert abs(dd["predicted_gap"] - 0.005) < 1e-12 and dd["eta"] < dd["eta_stable"]
assert abs(s["eta"] - dd["eta"]) <= 1e-15 and s["iterations"] == dd["iters"] == dd["epochs"] * 270
assert 0 < d["relative_gap"] <= 0.01, d["relative_gap"]
PY
  grep -q "^defaults  eta .* predicted stationary gap 0.50%" "$tmp/dflt.txt" && ok \
    || fail "the defaults line: $(grep '^defaults' "$tmp/dflt.txt")"
else
  fail "run --loss logistic --data heart_scale (defaults) exited $?"
fi
# --epochs E: E n component gradients whatever the batch; not with --iters
"$asgd" run --loss logistic --data heart_scale --epochs 2 --batch 3 --replicas 1 --quiet \
  --out "$tmp/ep" && [ "$(json_get "$tmp/ep/summary.json" "['iterations']")" = 180 ] && ok \
  || fail "--epochs 2 --batch 3 on n = 270: 180 updates"
expect_usage "--iters '10' and --epochs '2' both given" run --loss logistic --data heart_scale \
  --iters 10 --epochs 2
expect_usage "--epochs '-1' is not allowed" run --loss logistic --data heart_scale --epochs -1

# ---- one problem parser for every command ------------------------------------------------------
# --model LOSS is the deprecated spelling of --loss in run and validate: same run, a note.
"$asgd" run --model logistic --data heart_scale --workers 1 --replicas 2 --iters 200 --work none --quiet \
  --out "$tmp/alias" 2>"$tmp/alias.err" && grep -q "deprecated" "$tmp/alias.err" && ok \
  || fail "run --model logistic: a run with a deprecation note"
"$asgd" run --loss logistic --data heart_scale --workers 1 --replicas 2 --iters 200 --work none --quiet \
  --out "$tmp/loss" && cmp -s "$tmp/alias/moments.csv" "$tmp/loss/moments.csv" && ok \
  || fail "run --model LOSS and --loss LOSS differ"
expect_usage "--model 'logistic' and --loss 'hinge' both given" run --model logistic \
  --loss hinge --data heart_scale
# In simulate and sme --model is the algorithm, whatever the problem.
expect_usage "--model 'logistic' is unknown" simulate --model logistic --loss logistic \
  --data heart_scale
for cmd in "simulate --model asgd --mu 0.5" "sme --model sme-sgd" "sme --model sme-asgd --mu 0.5"; do
  if $asgd $cmd --loss logistic --data heart_scale --iters 50 --paths 8 --quiet \
       --out "$tmp/ens"; then
    [ "$(head -1 "$tmp/ens/moments.csv" | cut -d, -f1-3)" = "k,t,mean" ] \
      && [ "$(wc -l <"$tmp/ens/moments.csv")" -eq 52 ] && ok \
      || fail "$cmd on data: moments.csv of the loss ($(head -1 "$tmp/ens/moments.csv"))"
  else
    fail "$cmd --loss logistic --data heart_scale exited $?"
  fi
done
# The commands of quadratic closed forms refuse data, naming the flag and why; --help says so.
expect_usage "--loss 'logistic' is not allowed: theory's closed forms" theory --loss logistic
expect_usage "--data 'heart_scale' is not allowed: order halves eta" order --data heart_scale
expect_usage "--loss 'hinge' is not allowed: compare puts" compare --loss hinge
for cmd in theory order compare; do
  grep -q "not allowed here (exit 2)" <<<"$("$asgd" $cmd --help)" && ok \
    || fail "$cmd --help says it refuses data"
done
grep -q -- "--observe WHAT" <<<"$("$asgd" validate --help)" && ok || fail "validate --help lists --observe"

# ---- every mode on a synthetic sparse set: accounting and a falling loss ----------------------
for mode in master master-inplace hogwild; do
  if "$asgd" run --loss hinge --data rcv1:n=2000,d=500,nnz=20 --mode "$mode" --workers 3 \
       --work none --replicas 3 --iters 2000 --observe loss --quiet --out "$tmp/r-$mode"; then
    s="$tmp/r-$mode/summary.json"
    [ "$(json_get "$s" "['mode']")" = "$mode" ] && ok || fail "$mode: mode recorded"
    c=$(json_get "$s" "['accounting']['computed']"); a=$(json_get "$s" "['accounting']['applied']")
    d=$(json_get "$s" "['accounting']['discarded']")
    [ "$(( ${c%.*} ))" -eq "$(( ${a%.*} + ${d%.*} ))" ] && ok || fail "$mode: computed $c != $a + $d"
    [ "${a%.*}" -eq 6000 ] && ok || fail "$mode: applied $a, expected 6000"
    # the hinge loss at x0 = 0 is exactly 1; after 2000 updates it must be below
    $py - "$tmp/r-$mode/moments.csv" <<'PY' && ok || fail "$mode: loss does not fall from 1"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert abs(float(rows[0]["mean"]) - 1) < 1e-12, rows[0]
assert float(rows[-1]["mean"]) < 0.9, rows[-1]
PY
    # the hinge loss has an optimum (dual coordinate descent): no replica's loss is below it
    $py - "$s" <<'PY' && ok || fail "$mode: hinge optimum and gap in summary.json"
import json, sys
d = json.load(open(sys.argv[1]))["data"]
assert 0 < d["optimum_loss"] < 1, d
assert d["final_loss"] >= d["optimum_loss"] and d["relative_gap"] > 0, d
PY
  else
    fail "run --mode $mode"
  fi
done

# ---- validate on heart_scale: the observable's moments from the real run and every model ------
if "$asgd" validate --loss logistic --data heart_scale --observe proj:3 --workers 2 \
     --work exp:20us --replicas 20 --iters 60 --paths 64 --quiet --out "$tmp/v"; then
  v="$tmp/v/validation.json"
  [ -s "$tmp/v/real/moments.csv" ] && [ -s "$tmp/v/sme-asgd/moments.csv" ] && ok || fail "validate files"
  [ "$(head -1 "$tmp/v/real/moments.csv")" = "k,t,mean,second_moment,var,se_mean,se_second" ] \
    && ok || fail "validate moments of a scalar observable: $(head -1 "$tmp/v/real/moments.csv")"
  grep -q '"best_model"' "$v" && ok || fail "validation.json has a best model"
else
  fail "validate --loss logistic --data heart_scale"
fi
# rows every S: on data at most 256 after row 0 by default (K = 600: S = 4), the same k in the
# real run and every model; --record-every overrides it, within 1..K
expect_usage "--record-every '0' is not allowed" validate --loss logistic --data heart_scale --iters 60 --record-every 0
expect_usage "--record-every '61' is not allowed" validate --loss logistic --data heart_scale --iters 60 --record-every 61
for every in "" 7; do
  if "$asgd" validate --loss logistic --data heart_scale --workers 2 --replicas 4 --iters 600 \
       --paths 8 ${every:+--record-every $every} --quiet --out "$tmp/vs"; then
    S=${every:-4}
    "$py" - "$tmp/vs" "$S" <<'PY' && ok || fail "validate rows every ${every:-default}"
import csv, json, sys
d, S = sys.argv[1], int(sys.argv[2])
v = json.load(open(d + "/validation.json"))
assert v["settings"]["record_every"] == S, v["settings"]
assert v["settings"]["substeps"] == 1, v["settings"]
want = list(range(0, 601, S))
for m in ["real", "sme-asgd", "sme-sgd", "asgd-geometric", "asgd-measured-pmf"]:
    ks = [int(r["k"]) for r in csv.DictReader(open(f"{d}/{m}/moments.csv"))]
    assert ks == want, (m, ks[:4], len(ks))
PY
  else
    fail "validate --record-every ${every:-default} on heart_scale"
  fi
done

# ---- held-out scores, saved models (issue 16, item 3) ------------------------------------------
# --test-fraction 0.3 holds out round(0.3 * 270) = 81 rows; every replica's final iterate is
# scored on them and on the 189 training rows; --save-model keeps the last replica's weights.
if "$asgd" run --loss logistic --data heart_scale --scale standard --test-fraction 0.3 \
     --workers 2 --work none --replicas 3 --iters 2000 --out "$tmp/ho" \
     --save-model "$tmp/ho/model.txt" >"$tmp/ho.txt"; then
  grep -q "^data .*test .* 81 rows: mean loss .*, test accuracy" "$tmp/ho.txt" && ok \
    || fail "run --test-fraction prints the test accuracy: $(grep '^data' "$tmp/ho.txt")"
  $py - "$tmp/ho/summary.json" <<'PY' && ok || fail "summary.json's held-out keys"
import json, sys
d = json.load(open(sys.argv[1]))["data"]
assert d["rows"] == 189 and d["test_rows"] == 81 and d["test_replicas"] == 3, d
assert "held out: 81 of 270 rows, split seed 1" in d["test_source"], d["test_source"]
assert d["test_source"].endswith("(scaled: standard)") and "train: 189 of 270" in d["source"]
for k in ("test_loss", "test_accuracy", "train_loss", "train_accuracy"):
    assert d[k + "_se"] >= 0 and d[k + "_mean"] > 0, k
assert 0.5 < d["test_accuracy_mean"] <= 1 and d["train_loss_mean"] < d["final_loss_mean"]
PY
  head -1 "$tmp/ho/model.txt" | grep -q "^# asgd model v1 loss=logistic d=13 lambda=.* scale=standard objective=" \
    && ok || fail "model header: $(head -1 "$tmp/ho/model.txt")"
  # the saved model read back: one update of step 1e-12 from it leaves the loss where it was
  if "$asgd" run --loss logistic --data heart_scale --scale standard --test-fraction 0.3 \
       --init "$tmp/ho/model.txt" --workers 1 --work none --replicas 1 --iters 1 --eta 1e-12 \
       --quiet --out "$tmp/ho_init"; then
    $py - "$tmp/ho/summary.json" "$tmp/ho_init/summary.json" "$tmp/ho/model.txt" <<'PY' \
      && ok || fail "--init from the saved model gives its loss"
import json, sys
saved = json.load(open(sys.argv[1]))["data"]["final_loss"]
again = json.load(open(sys.argv[2]))["data"]["final_loss"]
head = dict(f.split("=") for f in open(sys.argv[3]).readline().split()[4:])
assert abs(again - saved) <= 1e-9 * saved, (again, saved)
# summary.json's number is cJSON's, whose 15 digits may be 1 ulp off the %.17g in the file
assert abs(float(head["objective"]) - saved) <= 4e-16 * saved, (head, saved)
PY
  else
    fail "run --init from a saved model exited $?"
  fi
else
  fail "run --test-fraction 0.3 --save-model exited $?"
fi
# --test FILE: the training file itself scores exactly as the training rows do
if "$asgd" run --loss logistic --data heart_scale --test heart_scale --workers 1 --work none \
     --replicas 2 --iters 500 --quiet --out "$tmp/ho_self"; then
  $py - "$tmp/ho_self/summary.json" <<'PY' && ok || fail "--test on the training rows"
import json, sys
d = json.load(open(sys.argv[1]))["data"]
assert d["test_rows"] == 270 and d["test_loss_mean"] == d["train_loss_mean"], d
assert d["test_accuracy_mean"] == d["train_accuracy_mean"], d
PY
else
  fail "run --test heart_scale exited $?"
fi
# features the training set lacks are ignored, with a note; another loss's model, with a note
printf '+1 1:0.5 40:1\n-1 2:0.5\n' >"$tmp/extra.svm"
"$asgd" run --loss logistic --data heart_scale --test "$tmp/extra.svm" --workers 1 --work none \
  --replicas 1 --iters 10 --quiet --out "$tmp/ho_extra" 2>"$tmp/extra.err" \
  && grep -q "has 1 entries in features beyond the training set's 13" "$tmp/extra.err" && ok \
  || fail "--test with an extra feature: $(cat "$tmp/extra.err")"
if [ -s "$tmp/ho/model.txt" ]; then
  "$asgd" run --loss hinge --data heart_scale --scale standard --init "$tmp/ho/model.txt" \
    --workers 1 --work none --replicas 1 --iters 10 --quiet --out "$tmp/ho_hinge" \
    2>"$tmp/hinge.err" && grep -q "a loss=logistic model starts this --loss hinge run" \
    "$tmp/hinge.err" && ok || fail "--init of another loss: $(cat "$tmp/hinge.err")"
  expect_usage "model.txt:1: the model has d=13, --data 'breast-cancer' has 30 features" \
    run --loss logistic --data breast-cancer --init "$tmp/ho/model.txt"
fi
expect_usage "--test-fraction '1.5' is not allowed: expected a number in (0, 1)" \
  run --loss logistic --data heart_scale --test-fraction 1.5
expect_usage "--test 'heart_scale' and --test-fraction '0.3' both given" \
  run --loss logistic --data heart_scale --test heart_scale --test-fraction 0.3
expect_usage "--test '$tmp/missing.svm': cannot open" \
  run --loss logistic --data heart_scale --test "$tmp/missing.svm"
expect_usage "only 'asgd run' reports held-out scores" \
  sweep --loss logistic --data heart_scale --test-fraction 0.3

# ---- heart_scale against liblinear ------------------------------------------------------------
hs=$(dirname "$(readlink -f /usr/share/doc/liblinear-tools/examples/heart_scale 2>/dev/null || echo /x)")/heart_scale
if command -v liblinear-train >/dev/null && [ -r "$hs" ]; then
  liblinear-train -s 0 -c 1 -e 1e-8 -q "$hs" "$tmp/hs.model" >/dev/null
  f_lib=$($py "$root/scripts/liblinear_objective.py" "$hs" "$tmp/hs.model" 1)
  # The final iterate of constant-step SGD sits above the optimum by a noise floor ∝ η/B: with
  # B = 1 it is 0.1–1.1% here (one CI run gave 1.11%), with B = 16 0.01–0.08% over six seeds,
  # so the 1% check below has room to spare and still fails for a wrong objective or gradient.
  if "$asgd" run --loss logistic --data heart_scale --C 1 --workers 4 --work none \
       --replicas 1 --iters 200000 --eta 0.01 --batch 16 --seed 3 --quiet --out "$tmp/hs"; then
    f_asgd=$(json_get "$tmp/hs/summary.json" "['data']['final_loss']")
    f_opt=$(json_get "$tmp/hs/summary.json" "['data']['optimum_loss']")
    $py -c "import sys; a,l=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if abs(a-l)/l < 0.01 else 1)" \
      "$f_asgd" "$f_lib" && ok || fail "heart_scale: asgd final loss $f_asgd not within 1% of liblinear $f_lib"
    # asgd's own Newton optimum and liblinear's agree far more closely: the same objective
    $py -c "import sys; a,l=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if abs(a-l)/l < 1e-7 else 1)" \
      "$f_opt" "$f_lib" && ok || fail "heart_scale: asgd optimum $f_opt vs liblinear $f_lib"
  else
    fail "run on heart_scale"
  fi
else
  echo "cli_data: liblinear-train or heart_scale not installed; liblinear comparison skipped" >&2
fi

finish cli_data
