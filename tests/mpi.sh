#!/usr/bin/env bash
# mpi.sh — the parameter-server mode on MPI, with 4 ranks on one machine (--oversubscribe):
# accounting across ranks, outputs written by rank 0 only, the same seed giving the same
# gradient samples per worker (one worker under MPI is bit for bit one thread), a straggler that
# shows in the per-worker staleness table, a worker rank that dies (noticed by the timeout, the
# run goes on; all dead: stopped and flagged partial, no hang), validate under mpirun, SIGTERM,
# and the usage errors; the bytes each way (exact for dense messages; for sparse data a few per
# non-zero, one sparse worker bit for bit one in-place thread, a dead rank under sparse messages);
# sharded servers (--servers S: one worker bit for bit the thread, every server applying every
# update, each server's clock, a dead rank, validate, SIGTERM, the usage errors); bounded
# staleness (--max-staleness: the bound, a straggler, a dead rank).
# usage: tests/mpi.sh PATH/TO/asgd PATH/TO/mpirun
asgd=${1:?usage: mpi.sh PATH/TO/asgd PATH/TO/mpirun}
mpirun=${2:?usage: mpi.sh PATH/TO/asgd PATH/TO/mpirun}
. "$(dirname "$0")/lib.sh"
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3
mpi_setup # Open MPI as root, ranks that may die, oversubscribed (tests/lib.sh)

# ---- 4 ranks: accounting, rank 0's outputs, the run's shape -----------------------------------
if mpi 4 "$asgd" run --mode mpi --preset fig4 --replicas 20 --iters 500 --work exp:50us \
     --quiet --out "$tmp/m4"; then
  s="$tmp/m4/summary.json"
  $py - "$s" <<'PY' && ok || fail "4 ranks: summary"
import json, sys
d = json.load(open(sys.argv[1]))
a = d["accounting"]
assert d["mode"] == "mpi" and d["workers"] == 3 and d["mpi"]["ranks"] == 4, d
assert a["computed"] == a["applied"] + a["discarded"] and a["applied"] == 20 * 500, a
assert a["discarded"] <= 3 * 20, a                       # at most one per worker per replica
st = d["staleness"]
assert len(st["workers"]) == 3 and all(w["count"] > 0 for w in st["workers"]), st["workers"]
assert 0 < st["mu_hat"] < 1 and d["replicas"] == 20 and not d["partial"], d
# dense messages: every GRAD is 4 + d doubles; PARAMS too, STOP 4 doubles (one per replica's
# end and per discarded gradient); each replica starts with one PARAMS per worker
m, full = d["mpi"], 8 * (4 + d["dim"])
assert m["messages"] == "dense", m
assert m["bytes_to_master"] == a["computed"] * full, (m, a)
assert m["bytes_to_workers"] == (20 * 3 + a["applied"] - 20) * full + (20 + a["discarded"]) * 32, (m, a)
PY
  [ "$(wc -l <"$tmp/m4/moments.csv")" -eq 502 ] && ok || fail "4 ranks: moments.csv rows"
  [ -s "$tmp/m4/staleness.csv" ] && ok || fail "4 ranks: staleness.csv"
else
  fail "4 ranks: exit $?"
fi

# ---- the same seed, the same samples: one MPI worker is one thread, bit for bit --------------
mpi 2 "$asgd" run --mode mpi --preset fig6 --replicas 4 --iters 300 --work none --seed 9 \
  --quiet --out "$tmp/one-mpi" && \
  "$asgd" run --preset fig6 --workers 1 --replicas 4 --iters 300 --work none --seed 9 \
  --quiet --out "$tmp/one-thread" && cmp -s "$tmp/one-mpi/moments.csv" "$tmp/one-thread/moments.csv" \
  && ok || fail "one MPI worker and one thread differ"

# ---- sparse data: sparse messages, a few bytes per non-zero each way --------------------------
# A worker pulls x only where its next gradient reads and pushes only its gradient's non-zeros:
# each way at most 3 × 12 bytes per non-zero of the mini-batch (the issue's bound), where dense
# messages cost 8d. Each replica's first PARAMS is x_0 in full, counted too.
if mpi 4 "$asgd" run --mode mpi --loss hinge --data rcv1:n=2000,d=5000,nnz=20 --batch 2 \
     --replicas 3 --iters 2000 --work none --seed 5 --quiet --out "$tmp/sp"; then
  $py - "$tmp/sp/summary.json" <<'PY' && ok || fail "sparse: bytes per update, accounting"
import json, sys
d = json.load(open(sys.argv[1]))
a, m = d["accounting"], d["mpi"]
assert m["messages"] == "sparse", m
assert a["computed"] == a["applied"] + a["discarded"] and a["applied"] == 3 * 2000, a
nnz_batch = d["batch"] * d["data"]["nnz"] / d["data"]["rows"]
bound = 3 * 12 * nnz_batch
for way in ("to_workers", "to_master"):
    per = m["bytes_per_update_" + way]
    assert per == m["bytes_" + way] / a["applied"], m
    assert 0 < per <= bound, (way, per, bound)
    assert per < 8 * d["dim"] / 10, (way, per)   # an order of magnitude under dense
PY
else
  fail "sparse: exit $?"
fi
# one worker: bit for bit the threaded in-place master, mini-batches merged or not
for b in 1 3; do
  mpi 2 "$asgd" run --mode mpi --loss hinge --data rcv1:n=2000,d=5000,nnz=20 --batch $b \
    --replicas 3 --iters 800 --work none --seed 9 --quiet --out "$tmp/sp-mpi$b" && \
    "$asgd" run --loss hinge --data rcv1:n=2000,d=5000,nnz=20 --batch $b --workers 1 \
    --replicas 3 --iters 800 --work none --seed 9 --quiet --out "$tmp/sp-thr$b" && \
    cmp -s "$tmp/sp-mpi$b/moments.csv" "$tmp/sp-thr$b/moments.csv" \
    && ok || fail "sparse, batch $b: one MPI worker and one thread differ"
done
# a rank that dies under sparse messages: noticed, the others carry on
if mpi 4 "$asgd" run --mode mpi --loss hinge --data rcv1:n=2000,d=5000,nnz=20 --replicas 2 \
     --iters 1500 --work exp:50us --fault leave:1:5 --mpi-timeout 1s --quiet --out "$tmp/sp-dead"; then
  $py - "$tmp/sp-dead/summary.json" <<'PY' && ok || fail "sparse, one rank dies: summary"
import json, sys
d = json.load(open(sys.argv[1]))
a = d["accounting"]
assert d["mpi"]["messages"] == "sparse", d["mpi"]
assert a["computed"] == a["applied"] + a["discarded"] and a["applied"] == 3000, a
assert d["workers_lost"] >= 1 and not d["partial"], d
PY
else
  fail "sparse, one rank dies: exit $?"
fi

# ---- a straggler shows in the per-worker staleness -------------------------------------------
if mpi 4 "$asgd" run --mode mpi --preset fig4 --replicas 5 --iters 600 --work exp:50us \
     --straggler 1:fixed:2ms --quiet --out "$tmp/slow"; then
  $py - "$tmp/slow/summary.json" <<'PY' && ok || fail "straggler: per-worker staleness"
import json, sys
d = json.load(open(sys.argv[1]))
w = {x["worker"]: x for x in d["staleness"]["workers"]}
assert d["mpi"]["straggler"] == 1, d["mpi"]
# the slow worker applies far fewer gradients, each far staler
assert w[1]["count"] * 5 < min(w[0]["count"], w[2]["count"]), w
assert w[1]["mean"] > 5 * max(w[0]["mean"], w[2]["mean"]), w
PY
else
  fail "straggler: exit $?"
fi

# ---- a worker rank dies: noticed, the others carry on; all dead: partial, no hang -------------
if mpi 4 "$asgd" run --mode mpi --preset fig4 --replicas 2 --iters 1500 --work exp:50us \
     --fault leave:1:5 --mpi-timeout 1s --quiet --out "$tmp/dead1"; then
  $py - "$tmp/dead1/summary.json" <<'PY' && ok || fail "one rank dies: summary"
import json, sys
d = json.load(open(sys.argv[1]))
a = d["accounting"]
assert a["computed"] == a["applied"] + a["discarded"] and a["applied"] == 3000, a
assert d["workers_lost"] >= 1 and not d["partial"], d
PY
else
  fail "one rank dies: exit $?"
fi
mpi 2 "$asgd" run --mode mpi --preset fig4 --replicas 3 --iters 1000 --work exp:50us \
  --fault leave:0:40 --mpi-timeout 1s --quiet --out "$tmp/dead-all" 2>"$tmp/err"
rc=$?
# (with orte_abort_on_non_zero_status=0 mpirun's own status does not carry rank 0's exit 1)
[ $rc -ne 124 ] && ok || fail "all ranks die: a hang"
grep -q "every worker left or was lost" "$tmp/err" && ok || fail "all ranks die: message: $(cat "$tmp/err")"
if [ -s "$tmp/dead-all/summary.json" ]; then
  $py - "$tmp/dead-all/summary.json" <<'PY' && ok || fail "all ranks die: summary"
import json, sys
d = json.load(open(sys.argv[1]))
a = d["accounting"]
assert d["partial"] and d["starved"] and a["applied"] == 39, d
assert a["computed"] == a["applied"] + a["discarded"], a
PY
else
  fail "all ranks die: no summary.json"
fi

# ---- validate under mpirun ---------------------------------------------------------------------
if mpi 3 "$asgd" validate --mode mpi --preset fig4 --replicas 40 --iters 200 --paths 256 \
     --work exp:50us --quiet --out "$tmp/v"; then
  [ "$($py -c "import json,sys; print(json.load(open(sys.argv[1]))['settings']['workers'])" "$tmp/v/validation.json" 2>/dev/null)" = "2" ] \
    && ok || fail "validate: workers in validation.json"
  [ -s "$tmp/v/real/moments.csv" ] && [ -s "$tmp/v/sme-asgd/moments.csv" ] && ok || fail "validate: files"
else
  fail "validate under mpirun: exit $?"
fi

# ---- SIGTERM to mpirun: rank 0 writes a partial result, everyone exits ------------------------
# Signalled once rank 0 reports its first replica done (not on a timer: a loaded machine is slow
# to start ranks, and a signal before the handlers are in would be lost).
"$mpirun" --oversubscribe -np 3 "$asgd" run --mode mpi --preset fig4 --replicas 100000 \
  --iters 1000 --work exp:200us --out "$tmp/term" >/dev/null 2>"$tmp/term.err" &
pid=$!
wait_for_progress $pid "$tmp/term.err" '^progress run 1/1 replicas 1/' || fail "SIGTERM: no progress line to signal at"
kill -TERM $pid
t0=$SECONDS
wait $pid
rc=$?
[ $((SECONDS - t0)) -le 30 ] && ok || fail "SIGTERM: took $((SECONDS - t0)) s"
if [ -s "$tmp/term/summary.json" ]; then
  [ "$(json_get "$tmp/term/summary.json" "['partial']")" = "True" ] && ok || fail "SIGTERM: not partial (exit $rc)"
else
  echo "mpi: mpirun ended the job on SIGTERM before rank 0 wrote (exit $rc); Open MPI's choice" >&2
fi

# ---- sharded servers (--servers S): ranks 0..S-1 own parts of x ------------------------------
# One worker: with S servers the trajectory is bit for bit the threaded in-place master's, in
# both layouts (every coordinate is written by the same update, in the same order, wherever it
# lives).
for S in 2 3; do
  for L in cyclic blocks; do
    mpi $((S + 1)) "$asgd" run --mode mpi --servers $S --partition $L --loss hinge \
      --data rcv1:n=2000,d=5000,nnz=20 --batch 3 --replicas 3 --iters 800 --work none --seed 9 \
      --quiet --out "$tmp/sv-$S$L" && \
      cmp -s "$tmp/sv-$S$L/moments.csv" "$tmp/sp-thr3/moments.csv" \
      && ok || fail "servers $S $L: one MPI worker and one thread differ"
  done
done
# Three workers, two servers: nothing discarded (rank 0 parks the workers it does not need), so
# every server applies every update; each server's own clock gives the same mean staleness as
# rank 0's up to the updates in flight at the ends; cyclic balances the Zipf columns; the bytes
# stay within the bound with a header per server.
check_servers() { # summary.json, servers, replicas×iters, [lost]
  $py - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); S = int(sys.argv[2]); K = int(sys.argv[3])
lost = len(sys.argv) > 4
a, m, st = d["accounting"], d["mpi"], d["staleness"]
assert m["servers"] == S and len(m["shards"]) == S and m["partition"] == "cyclic", m
assert a["computed"] == a["applied"] and a["discarded"] == 0, a
if not d["partial"]:
    assert a["applied"] == K, a
for s in m["shards"]:
    assert s["applied"] == a["applied"], (s, a)
    if not lost:   # rank 0's clock is the run's: the others differ only by arrival order
        assert abs(s["tau_mean"] - st["mean"]) < 0.05 * st["mean"] + 0.05, (s, st["mean"])
assert m["shards"][0]["tau_max"] == st["max"], (m["shards"][0], st["max"])
assert sum(s["coords"] for s in m["shards"]) == d["dim"], m
w = [s["coords_written"] for s in m["shards"]]
assert max(w) < 1.5 * sum(w) / S, w    # blocks would give rank 0 most of the writes
nnz_batch = d["batch"] * d["data"]["nnz"] / d["data"]["rows"]
for way in ("to_workers", "to_master"):
    assert 0 < m["bytes_per_update_" + way] <= 3 * 12 * nnz_batch + 48 * S, (way, m)
PY
}
if mpi 5 "$asgd" run --mode mpi --servers 2 --loss hinge --data rcv1:n=2000,d=5000,nnz=20 \
     --replicas 3 --iters 3000 --work none --seed 5 --quiet --out "$tmp/sv3"; then
  check_servers "$tmp/sv3/summary.json" 2 9000 && ok || fail "servers 2, 3 workers: summary"
  [ "$(wc -l <"$tmp/sv3/moments.csv")" -gt 2 ] && ok || fail "servers 2: moments.csv"
else
  fail "servers 2, 3 workers: exit $?"
fi
# a worker rank that dies: a parked worker takes its place, every server still applies all
if mpi 5 "$asgd" run --mode mpi --servers 2 --loss hinge --data rcv1:n=2000,d=5000,nnz=20 \
     --replicas 2 --iters 1500 --work exp:50us --fault leave:1:5 --mpi-timeout 1s --quiet \
     --out "$tmp/sv-dead"; then
  check_servers "$tmp/sv-dead/summary.json" 2 3000 lost && ok || fail "servers 2, a rank dies: summary"
  [ "$(json_get "$tmp/sv-dead/summary.json" "['workers_lost']")" -ge 1 ] && ok || fail "servers 2: no rank lost"
else
  fail "servers 2, a rank dies: exit $?"
fi
# validate with two servers, on data
mpi 4 "$asgd" validate --mode mpi --servers 2 --loss hinge --data rcv1:n=300,d=500,nnz=10 \
  --iters 200 --replicas 10 --paths 32 --quiet --out "$tmp/sv-val" && \
  [ -s "$tmp/sv-val/validation.json" ] && [ -s "$tmp/sv-val/real/moments.csv" ] \
  && ok || fail "validate with --servers 2"
# SIGTERM with two servers: rank 0 stops, drains (applying: the others applied those pieces),
# ends the servers and writes a partial result in which every server applied the same
"$mpirun" --oversubscribe -np 4 "$asgd" run --mode mpi --servers 2 --loss hinge \
  --data rcv1:n=2000,d=5000,nnz=20 --replicas 100000 --iters 2000 --work exp:200us \
  --out "$tmp/sv-term" >/dev/null 2>"$tmp/sv-term.err" &
pid=$!
wait_for_progress $pid "$tmp/sv-term.err" '^progress run 1/1 replicas 1/' || fail "servers, SIGTERM: no progress line"
kill -TERM $pid
t0=$SECONDS
wait $pid
[ $((SECONDS - t0)) -le 30 ] && ok || fail "servers, SIGTERM: took $((SECONDS - t0)) s"
if [ -s "$tmp/sv-term/summary.json" ]; then
  check_servers "$tmp/sv-term/summary.json" 2 0 && \
    [ "$(json_get "$tmp/sv-term/summary.json" "['partial']")" = "True" ] \
    && ok || fail "servers, SIGTERM: summary"
else
  echo "mpi: mpirun ended the job on SIGTERM before rank 0 wrote; Open MPI's choice" >&2
fi
mpi 3 "$asgd" run --mode mpi --servers 2 --preset fig4 --quiet --out "$tmp/sv-dense" 2>"$tmp/err"
grep -q "servers 2 needs sparse messages" "$tmp/err" && ok || fail "servers on a dense problem: $(head -2 "$tmp/err")"
mpi 3 "$asgd" run --mode mpi --servers 3 --loss hinge --data rcv1:n=300,d=500,nnz=10 --quiet \
  --out "$tmp/sv-all" 2>"$tmp/err"
grep -q "servers 3 leaves no worker rank of mpirun -np 3" "$tmp/err" && ok || fail "servers = ranks: $(head -2 "$tmp/err")"

# ---- bounded staleness (--max-staleness s): rank 0 holds gradients and lets workers read in turn
# Every applied gradient has tau <= s, the bound binds (mass at s), every computed gradient is
# applied or discarded, and a straggler is waited for (its gradients are applied) rather than
# outrun; a rank that dies leaves the bound after the timeout instead of blocking the run.
check_bound() { # summary.json, s, iters in all, [straggler worker]
  $py - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); s = int(sys.argv[2]); K = int(sys.argv[3])
a, st = d["accounting"], d["staleness"]
assert d["max_staleness"] == s, d["max_staleness"]
assert a["computed"] == a["applied"] + a["discarded"] and a["applied"] == K, a
assert st["max"] <= s and st["pmf"][s] > 0.1, (st["max"], st["pmf"])
h = d["held"]
assert h["gradients"] + h["reads_delayed"] > 0, h     # the bound held something back
if len(sys.argv) > 4:   # the others' gradients waited for the straggler's
    w = {x["worker"]: x for x in st["workers"]}[int(sys.argv[4])]
    assert w["count"] > 0 and h["gradients"] > 0, (w, h)
PY
}
mpi 7 "$asgd" run --mode mpi --max-staleness 2 --preset fig4 --iters 2000 --replicas 3 \
  --work exp:50us --quiet --out "$tmp/ssp-dense" && check_bound "$tmp/ssp-dense/summary.json" 2 6000 \
  && ok || fail "max-staleness 2, dense messages"
mpi 5 "$asgd" run --mode mpi --max-staleness 3 --loss hinge --data rcv1:n=2000,d=5000,nnz=20 \
  --iters 2000 --replicas 2 --work exp:20us --straggler 0:fixed:1ms --quiet --out "$tmp/ssp-slow" \
  && check_bound "$tmp/ssp-slow/summary.json" 3 4000 0 && ok || fail "max-staleness 3, a straggler"
mpi 5 "$asgd" run --mode mpi --max-staleness 2 --preset fig4 --iters 1500 --replicas 2 \
  --work exp:50us --fault leave:1:5 --mpi-timeout 1s --quiet --out "$tmp/ssp-dead" \
  && check_bound "$tmp/ssp-dead/summary.json" 2 3000 && ok || fail "max-staleness 2, a rank dies"
mpi 4 "$asgd" run --mode mpi --servers 2 --max-staleness 2 --loss hinge \
  --data rcv1:n=300,d=500,nnz=10 --quiet --out "$tmp/ssp-s2" 2>"$tmp/err"
grep -q "max-staleness 2 needs one parameter server" "$tmp/err" && ok || fail "max-staleness with servers: $(head -2 "$tmp/err")"

# ---- usage -------------------------------------------------------------------------------------
expect_usage "--mode mpi needs a master and at least one worker rank" run --mode mpi
expect_usage "--net-delay and --straggler delay MPI messages" run --net-delay exp:1ms
expect_usage "--mpi-timeout '0s' is not allowed" run --mpi-timeout 0s
expect_usage "--servers is for the parameter servers of --mode mpi" run --servers 2
expect_usage "--partition is for the parameter servers of --mode mpi" run --partition blocks
expect_usage "--partition 'hashed' is not allowed: cyclic or blocks" run --partition hashed
"$mpirun" --oversubscribe -np 1 "$asgd" run --mode mpi --quiet --out "$tmp/np1" 2>"$tmp/err"
grep -q "needs a master and at least one worker" "$tmp/err" && ok || fail "np 1: $(cat "$tmp/err")"
mpi 3 "$asgd" run --mode mpi --workers 5 --quiet --out "$tmp/w5" 2>"$tmp/err"
grep -q "does not match the 2 worker ranks" "$tmp/err" && ok || fail "--workers mismatch: $(head -3 "$tmp/err")"

finish mpi
