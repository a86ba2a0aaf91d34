#!/usr/bin/env bash
# cli_stop_data.sh — SIGINT reaches `asgd run` in the phases around the engine that take seconds
# on a large data set (docs/DESIGN.md, "Stopping"): while it generates `rcv1` (before any output
# exists: exit 130, nothing written) and while it scores the recorded rows of a replica that ran
# to its end (exit 130 with a whole summary.json: "partial", "omitted": ["replica_scoring"] — the
# optimum is not omitted: the default step solved for it before the run, and the problem kept it
# (asgd_problem_solve) — the accounting intact). Either way the process must be gone within 1 s of the signal (3 s for an
# AddressSanitizer build, 10 s for ThreadSanitizer).
# usage: tests/cli_stop_data.sh PATH/TO/asgd
asgd=${1:?usage: cli_stop_data.sh PATH/TO/asgd}
. "$(dirname "$0")/lib.sh"

limit=1
if grep -q __tsan_init "$asgd"; then limit=10; elif grep -q __asan_init "$asgd"; then limit=3; fi

# alive PID: PID exists and has not exited (a zombie not yet waited for has exited).
alive() {
  local key state
  kill -0 "$1" 2>/dev/null || return 1
  while read -r key state _; do
    if [ "$key" = State: ]; then [ "$state" != Z ]; return; fi
  done <"/proc/$1/status" 2>/dev/null
  return 0
}

# catches_sigint PID: PID's SIGINT handler is installed (bit 2 of SigCgt in /proc). Until then a
# SIGINT would be lost: a background job of a non-interactive shell starts with SIGINT ignored.
catches_sigint() {
  local mask
  mask=$(awk '/^SigCgt:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
  [ -n "$mask" ] && (((16#$mask >> 1) & 1))
}

# wait_until WHAT TIMEOUT_S CMD...: poll CMD every 10 ms; 1 and a message when it never held.
wait_until() {
  local what=$1 timeout=$2 start=$SECONDS
  shift 2
  until "$@"; do
    if [ $((SECONDS - start)) -ge "$timeout" ]; then
      fail "waited ${timeout} s for $what"
      return 1
    fi
    sleep 0.01
  done
}

# interrupt PID: SIGINT, then the seconds until PID is gone into $took and its status into $rc
# (PID is killed after 60 s: a run that ignored the signal must not hang the test).
interrupt() {
  local pid=$1 t0 start=$SECONDS
  t0=$EPOCHREALTIME
  kill -INT "$pid"
  while alive "$pid"; do
    if [ $((SECONDS - start)) -ge 60 ]; then kill -KILL "$pid"; break; fi
    sleep 0.005
  done
  took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
  wait "$pid"
  rc=$?
}

within_limit() { awk -v t="$1" -v l="$limit" 'BEGIN { exit !(t < l) }'; }

# ---- while generating the data: nothing measured, nothing written --------------------------
out=$tmp/gen
"$asgd" run --loss hinge --data rcv1:n=400000,d=47236,nnz=70 --replicas 1 --quiet \
  --out "$out" >"$tmp/gen.out" 2>"$tmp/gen.err" &
pid=$!
# Generation takes seconds; the handler is installed first thing in main(). Once /proc shows it,
# wait a little more so that the signal lands inside the generator's loop.
if wait_until "the SIGINT handler of asgd run (generating)" 60 catches_sigint "$pid"; then
  sleep 0.2
  interrupt "$pid"
  [ "$rc" -eq 130 ] && ok || fail "SIGINT while generating: exit $rc, expected 130: $(cat "$tmp/gen.err")"
  within_limit "$took" && ok || fail "SIGINT while generating: gone after $took s (limit $limit s)"
  grep -q "interrupted while loading --data" "$tmp/gen.err" && ok ||
    fail "SIGINT while generating: stderr says $(cat "$tmp/gen.err")"
  [ ! -e "$out/summary.json" ] && ok || fail "SIGINT while generating wrote a summary"
else
  kill -KILL "$pid" 2>/dev/null
  wait "$pid"
fi

# ---- while scoring a finished replica's rows -------------------------------------------------
# Hogwild with no injected work runs 300 updates in milliseconds; each of the 301 recorded rows is
# then scored by the loss over 100 000 rows (~15 ms each): seconds. Replica 1 is scored whole and
# reported ("progress run 1/1 replicas 1/2 ..."); the signal then lands while replica 2's rows are scored.
out=$tmp/score
"$asgd" run --loss hinge --data rcv1:n=100000 --mode hogwild --work none --workers 2 \
  --iters 300 --record-every 1 --replicas 2 --out "$out" >"$tmp/score.out" 2>"$tmp/score.err" &
pid=$!
if wait_until "'progress run 1/1 replicas 1/2' on the stderr of asgd run" 300 \
  grep -q "^progress run 1/1 replicas 1/2 " "$tmp/score.err"; then
  sleep 0.3
  interrupt "$pid"
  [ "$rc" -eq 130 ] && ok || fail "SIGINT while scoring: exit $rc, expected 130: $(cat "$tmp/score.err")"
  within_limit "$took" && ok || fail "SIGINT while scoring: gone after $took s (limit $limit s)"
  s=$out/summary.json
  if python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$s" 2>/dev/null; then
    ok
    [ "$(json_get "$s" "['partial']")" = True ] && ok || fail "scoring stop: partial is not true"
    [ "$(json_get "$s" "['omitted']")" = "['replica_scoring']" ] && ok ||
      fail "scoring stop: omitted = $(json_get "$s" "['omitted']"), expected ['replica_scoring']"
    [ "$(json_get "$s" "['replicas']")" = 1 ] && ok ||
      fail "scoring stop: replicas = $(json_get "$s" "['replicas']"), expected 1 (the scored one)"
    [ "$(json_get "$s" "['accounting']['applied']")" = 600 ] && ok ||
      fail "scoring stop: applied $(json_get "$s" "['accounting']['applied']"), expected 600"
    [ "$(json_get "$s" "['accounting']['computed'] == d['accounting']['applied'] + d['accounting']['discarded']")" = True ] &&
      ok || fail "scoring stop: computed != applied + discarded"
    [ "$(json_get "$s" "['staleness']['count']")" = 600 ] && ok ||
      fail "scoring stop: the staleness lacks the unscored replica's 300 updates"
  else
    fail "SIGINT while scoring: no whole summary.json"
  fi
  grep -q "was not scored" "$tmp/score.err" && ok ||
    fail "SIGINT while scoring: stderr says $(cat "$tmp/score.err")"
else
  kill -KILL "$pid" 2>/dev/null
  wait "$pid"
fi

finish cli_stop_data
