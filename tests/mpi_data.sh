#!/usr/bin/env bash
# mpi_data.sh — data that does not fit one node (issue 18 item 4), under mpirun on one machine:
# each worker rank holds only its shard of the rows (i = r mod W: ceil or floor of n/W, together
# n), rank 0 only a fixed sample it scores the loss on (reported as such, with its size), the
# accounting holds, one worker stays bit for bit the threaded in-place master (and with a sample
# trains the same weights), three sharded workers reach the threaded run's objective after the
# same number of updates, one file per worker (the sample gathered from the files, the whole
# set's d agreed), and the usage errors.
# usage: tests/mpi_data.sh PATH/TO/asgd PATH/TO/mpirun
asgd=${1:?usage: mpi_data.sh PATH/TO/asgd PATH/TO/mpirun}
mpirun=${2:?usage: mpi_data.sh PATH/TO/asgd PATH/TO/mpirun}
. "$(dirname "$0")/lib.sh"
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3
mpi_setup # Open MPI as root, ranks that may die, oversubscribed (tests/lib.sh)

# ---- 3 workers on 301 rows: shards of 101, 100, 100; a sample of 50 on rank 0 -----------------
data=rcv1:n=301,d=500,nnz=10,seed=3
if mpi 4 "$asgd" run --mode mpi --loss hinge --data $data --loss-sample 50 --replicas 2 \
     --iters 1500 --work none --seed 4 --out "$tmp/sh" >"$tmp/sh.out" 2>"$tmp/sh.err"; then
  $py - "$tmp/sh/summary.json" <<'PY' && ok || fail "3 shards: summary"
import json, sys
d = json.load(open(sys.argv[1]))
a, m, data = d["accounting"], d["mpi"], d["data"]
assert a["computed"] == a["applied"] + a["discarded"] and a["applied"] == 2 * 1500, a
# worker r holds the rows i = r mod 3: ceil((301 - r)/3) of them, together all 301
assert m["rows_per_worker"] == [101, 100, 100], m
assert sum(m["rows_per_worker"]) == 301, m
# rank 0 scored on its sample: 50 rows, of 301
assert data["rows"] == 50 and data["sample_of"] == 301, data
assert "sample: 50 of 301 rows" in data["source"], data["source"]
assert data["features"] == 500, data                       # the whole set's d
assert m["messages"] == "sparse", m                        # every rank agreed on the widest row
assert data["optimum_loss"] is not None and data["optimum_loss"] > 0, data
assert not d["partial"], d
PY
  grep -q "each of 3 worker ranks holds 100 to 101 of the 301 rows; rank 0 scores the loss on a fixed sample of 50" "$tmp/sh.out" \
    && ok || fail "3 shards: stdout lacks the shards line: $(grep -E 'shards|data' "$tmp/sh.out")"
  grep -q "^data .*on the fixed sample of 50 of the 301 rows" "$tmp/sh.out" \
    && ok || fail "3 shards: stdout does not say the loss is on the sample"
else
  fail "3 shards: exit $?"
fi
# the same with two servers: the workers are ranks 2..4 and hold the same rows
if mpi 5 "$asgd" run --mode mpi --servers 2 --loss hinge --data $data --loss-sample 50 \
     --replicas 2 --iters 1500 --work none --seed 4 --quiet --out "$tmp/sh2"; then
  $py - "$tmp/sh2/summary.json" <<'PY' && ok || fail "3 shards, two servers: summary"
import json, sys
d = json.load(open(sys.argv[1]))
a, m = d["accounting"], d["mpi"]
assert m["servers"] == 2 and m["rows_per_worker"] == [101, 100, 100], m
assert a["applied"] == 3000 and [s["applied"] for s in m["shards"]] == [3000, 3000], (a, m)
assert d["data"]["rows"] == 50 and d["data"]["sample_of"] == 301, d["data"]
PY
else
  fail "3 shards, two servers: exit $?"
fi
# without --loss-sample a set under 10000 rows is scored whole on rank 0
if mpi 4 "$asgd" run --mode mpi --loss hinge --data $data --replicas 1 --iters 300 --work none \
     --quiet --out "$tmp/whole"; then
  $py - "$tmp/whole/summary.json" <<'PY' && ok || fail "default sample: summary"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["data"]["rows"] == 301 and "sample_of" not in d["data"], d["data"]
assert d["mpi"]["rows_per_worker"] == [101, 100, 100], d["mpi"]
PY
else
  fail "default sample: exit $?"
fi

# ---- one worker: bit for bit the threaded in-place master -------------------------------------
one=(--loss hinge --data rcv1:n=400,d=600,nnz=10 --batch 2 --replicas 3 --iters 800 --work none
     --seed 9 --quiet)
mpi 2 "$asgd" run --mode mpi "${one[@]}" --out "$tmp/one-mpi" && \
  "$asgd" run --workers 1 "${one[@]}" --out "$tmp/one-thr" && \
  cmp -s "$tmp/one-mpi/moments.csv" "$tmp/one-thr/moments.csv" \
  && ok || fail "one worker: MPI and one thread differ"
# with a loss sample the loss differs (scored on 100 rows) but the weights trained do not
mpi 2 "$asgd" run --mode mpi "${one[@]}" --loss-sample 100 --save-model "$tmp/one-mpi.model" \
  --out "$tmp/one-mpi-s" && \
  "$asgd" run --workers 1 "${one[@]}" --save-model "$tmp/one-thr.model" --out "$tmp/one-thr-s" && \
  cmp -s <(grep -v '^#' "$tmp/one-mpi.model") <(grep -v '^#' "$tmp/one-thr.model") \
  && ok || fail "one worker with a loss sample: the weights differ from one thread's"
grep -q "^# source: rcv1:n=400,d=600,nnz=10,seed=1$" "$tmp/one-mpi.model" \
  && ok || fail "one worker with a loss sample: the model's source is not the whole set: $(sed -n 2p "$tmp/one-mpi.model")"
[ "$(json_get "$tmp/one-mpi-s/summary.json" "['data']['sample_of']")" = "400" ] \
  && ok || fail "one worker with a loss sample: data.sample_of"

# ---- three sharded workers reach the threaded run's objective after the same K --------------
# Logistic loss on 3000 rows, K = 20000 updates at eta 0.08 from x0 = 0: the mean loss over 4
# replicas falls from log 2 = 0.693 to about 0.577 (measured), each mean with an SE of ~0.03%.
# Sharding changes which rows a worker draws, not the law of the row each update uses (each
# worker draws uniformly from its third, the updates interleave the thirds), and MPI's staleness
# differs from the threads' by about one update, an O(eta tau) = O(0.1%) effect on the path
# here: the two means agreed to 0.15% when measured. 1% (the issue's goal) leaves room for a
# loaded machine; a shard that trained on the wrong rows or the wrong n would move the loss
# more than that only in part, which is what test_datamodel's bit-for-bit checks are for.
k=(--loss logistic --data rcv1:n=3000,d=2000,nnz=10 --eta 0.08 --iters 20000 --replicas 4
   --work none --seed 5 --quiet)
if mpi 4 "$asgd" run --mode mpi "${k[@]}" --out "$tmp/k-mpi" && \
   "$asgd" run --workers 3 "${k[@]}" --out "$tmp/k-thr"; then
  $py - "$tmp/k-mpi/summary.json" "$tmp/k-thr/summary.json" <<'PY' && ok || fail "objective after K: MPI shards vs threads"
import json, sys
m, t = (json.load(open(p)) for p in sys.argv[1:])
assert m["mpi"]["rows_per_worker"] == [1000, 1000, 1000], m["mpi"]
assert m["data"]["rows"] == 3000 and "sample_of" not in m["data"], m["data"]
lm, lt = m["data"]["final_loss_mean"], t["data"]["final_loss_mean"]
assert m["data"]["final_loss_at"] == t["data"]["final_loss_at"], (m["data"], t["data"])
assert lt < 0.95 * 0.6931, lt                        # the run moved: the check can fail
assert abs(lm - lt) <= 0.01 * lt, (lm, lt)
PY
else
  fail "objective after K: exit $?"
fi

# ---- one file per worker: --data 'DIR/part{worker}.svm' -------------------------------------
# 301 rows in LIBSVM text, and the same rows cut in three files of 101, 100 and 100 (in order:
# the files in worker order are the set). Features up to 400 in the whole set, fewer in a part.
$py - "$tmp" <<'PY'
import random, sys
random.seed(1)
rows = []
for i in range(301):
    feats = sorted(random.sample(range(1, 400), random.randint(1, 6)))
    y = 1 if random.random() < 0.5 else -1
    rows.append(f"{y} " + " ".join(f"{j}:{random.random():.6f}" for j in feats))
rows.append("1 400:0.5")                                 # the widest id, in the last file only
rows = rows[:300] + [rows[-1]]
open(f"{sys.argv[1]}/all.svm", "w").write("\n".join(rows) + "\n")
open(f"{sys.argv[1]}/one0.svm", "w").write("\n".join(rows) + "\n")
for r, (a, b) in enumerate([(0, 101), (101, 201), (201, 301)]):
    open(f"{sys.argv[1]}/part{r}.svm", "w").write("\n".join(rows[a:b]) + "\n")
PY
f=(--loss hinge --eta 0.1 --iters 1500 --replicas 2 --work none --seed 6 --quiet)
if mpi 4 "$asgd" run --mode mpi --data "$tmp/part{worker}.svm" "${f[@]}" --loss-sample 50 \
     --out "$tmp/files"; then
  $py - "$tmp/files/summary.json" <<'PY' && ok || fail "one file per worker: summary"
import json, sys
d = json.load(open(sys.argv[1]))
a, m, data = d["accounting"], d["mpi"], d["data"]
assert a["computed"] == a["applied"] + a["discarded"] and a["applied"] == 3000, a
assert m["rows_per_worker"] == [101, 100, 100], m
assert data["rows"] == 50 and data["sample_of"] == 301, data
assert data["features"] == 400, data       # the widest file's d, agreed by every rank
assert data["optimum_loss"] is None and "relative_gap" not in data, data
PY
else
  fail "one file per worker: exit $?"
fi
# Two servers (--servers 2, ranks 0 and 1) and the same three files on ranks 2..4: the workers
# still hold their files' rows, and the second server, which has no file, gets rank 0's sample
# (it needs the set's shape) and applies every update.
if mpi 5 "$asgd" run --mode mpi --servers 2 --data "$tmp/part{worker}.svm" "${f[@]}" \
     --loss-sample 50 --out "$tmp/files-s2"; then
  $py - "$tmp/files-s2/summary.json" <<'PY' && ok || fail "one file per worker, two servers: summary"
import json, sys
d = json.load(open(sys.argv[1]))
a, m = d["accounting"], d["mpi"]
assert m["servers"] == 2 and m["rows_per_worker"] == [101, 100, 100], m
assert a["applied"] == 3000 and a["discarded"] == 0, a
assert [s["applied"] for s in m["shards"]] == [3000, 3000], m["shards"]
PY
else
  fail "one file per worker, two servers: exit $?"
fi
# The sample rank 0 gathers from the files is the rows floor(k n/N) of their concatenation: the
# loss at k = 0 from the same --init weights equals that of the whole file's sample (to the
# digits moments.csv prints).
"$asgd" run --data "$tmp/all.svm" "${f[@]}" --workers 1 --save-model "$tmp/w.model" \
  --out "$tmp/w" >/dev/null
for d in "$tmp/part{worker}.svm" "$tmp/all.svm"; do
  n=$([ "$d" = "$tmp/all.svm" ] && echo whole || echo parts)
  mpi 4 "$asgd" run --mode mpi --data "$d" "${f[@]}" --loss-sample 50 --init "$tmp/w.model" \
    --out "$tmp/init-$n" || fail "--init on $n: exit $?"
done
[ "$(sed -n 2p "$tmp/init-parts/moments.csv")" = "$(sed -n 2p "$tmp/init-whole/moments.csv")" ] \
  && [ -n "$(sed -n 2p "$tmp/init-parts/moments.csv")" ] \
  && ok || fail "the sample gathered from the files is not the whole file's: $(sed -n 2p "$tmp/init-parts/moments.csv") vs $(sed -n 2p "$tmp/init-whole/moments.csv")"
# one worker, one file: the worker's model is the whole set's, and the run the threads' bit for bit
mpi 2 "$asgd" run --mode mpi --data "$tmp/one{worker}.svm" "${f[@]}" --out "$tmp/one-file" && \
  "$asgd" run --data "$tmp/all.svm" "${f[@]}" --workers 1 --out "$tmp/one-file-thr" && \
  cmp -s "$tmp/one-file/moments.csv" "$tmp/one-file-thr/moments.csv" \
  && ok || fail "one worker, one file: MPI and one thread differ"
# refusals: not under MPI, with what needs every row in one place, without --eta/--iters, and a
# worker's file missing (every rank stops, none waits)
expect_usage "names one file per MPI worker ({worker})" run --loss hinge \
  --data "$tmp/part{worker}.svm" --eta 0.1 --iters 10
mpi 4 "$asgd" run --mode mpi --loss hinge --data "$tmp/part{worker}.svm" --scale maxabs \
  --eta 0.1 --iters 10 --quiet --out "$tmp/r1" 2>"$tmp/err"
grep -q "takes no --test, --test-fraction or --scale" "$tmp/err" && ok || fail "files with --scale: $(head -3 "$tmp/err")"
mpi 4 "$asgd" run --mode mpi --loss hinge --data "$tmp/part{worker}.svm" --iters 10 --quiet \
  --out "$tmp/r2" 2>"$tmp/err"
grep -q "needs --eta and --iters" "$tmp/err" && ok || fail "files without --eta: $(head -3 "$tmp/err")"
mpi 5 "$asgd" run --mode mpi --loss hinge --data "$tmp/part{worker}.svm" --eta 0.1 --iters 10 \
  --quiet --out "$tmp/r3" 2>"$tmp/err"
rc=$?
[ $rc -ne 124 ] && ok || fail "a worker's file missing: a hang"
grep -q "worker 3's file .*part3.svm" "$tmp/err" && ok || fail "a worker's file missing: $(head -3 "$tmp/err")"

# ---- usage --------------------------------------------------------------------------------------
expect_usage "--loss-sample '10' is for --mode mpi on data" run --loss hinge --data rcv1:n=50 \
  --loss-sample 10 --iters 10
mpi 4 "$asgd" run --mode mpi --loss squares --data rcv1:n=2,d=20,nnz=2 --iters 10 --quiet \
  --out "$tmp/tiny" 2>"$tmp/err"
grep -q "has 2 rows, fewer than the 3 worker ranks" "$tmp/err" && ok || fail "n < W: $(head -3 "$tmp/err")"
mpi 2 "$asgd" run --mode mpi --loss hinge --data rcv1:n=50,d=20,nnz=2 --iters 10 --loss-sample 0 \
  --quiet --out "$tmp/zero" 2>"$tmp/err"
grep -q "\-\-loss-sample '0'" "$tmp/err" && ok || fail "--loss-sample 0: $(head -3 "$tmp/err")"
mpi 2 "$asgd" run --mode mpi --preset fig4 --iters 10 --loss-sample 5 --quiet --out "$tmp/pre" \
  2>"$tmp/err"
grep -q "is for --mode mpi on data" "$tmp/err" && ok || fail "--loss-sample on a preset: $(head -3 "$tmp/err")"

finish mpi_data
