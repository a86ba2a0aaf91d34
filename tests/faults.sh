#!/usr/bin/env bash
# faults.sh — asgd under faults: each run either continues or stops with correct accounting and
# a valid output marked partial; nothing half-written, no hang (every run has a timeout).
#   1. a worker that stalls for a second, gradient in hand;
#   2. a worker that fails and leaves; every worker leaving (master, in place, Hogwild);
#   3. SIGINT and SIGTERM mid-run, in every engine mode and in validate;
#   4. a full disk on --out (a 16 KiB tmpfs, where this user may mount one);
#   5. allocation failure injected at every allocation of a small run (LD_PRELOAD library
#      tests/failmalloc.c, when given as $2): exit 0 or 1 (never a crash, a hang or exit 2),
#      and summary.json, when present, is valid JSON that is not partial-by-accident.
# usage: tests/faults.sh PATH/TO/asgd [PATH/TO/libfailmalloc.so]
asgd=${1:?usage: faults.sh PATH/TO/asgd [libfailmalloc.so]}
failmalloc=${2:-}
. "$(dirname "$0")/lib.sh"
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3

# accounting DIR: computed = applied + discarded in DIR/summary.json
accounting() {
  $py - "$1/summary.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["accounting"]
sys.exit(0 if a["computed"] == a["applied"] + a["discarded"] else 1)
PY
}

# ---- 1. a stalled worker: the run goes on, the stall shows as one huge tau ---------------------
start=$(date +%s.%N)
if timeout 60 "$asgd" run --preset fig4 --workers 2 --work exp:1ms --replicas 1 --iters 3000 \
     --fault stall:0:100:1s --quiet --out "$tmp/stall"; then
  end=$(date +%s.%N)
  accounting "$tmp/stall" && ok || fail "stall: accounting"
  [ "$(json_get "$tmp/stall/summary.json" "['accounting']['applied']")" = "3000" ] && ok || fail "stall: all 3000 updates applied"
  # worker 1 kept the run going during the second: worker 0's held gradient lands very stale
  max=$(json_get "$tmp/stall/summary.json" "['staleness']['max']")
  [ "${max%.*}" -ge 100 ] && ok || fail "stall: max tau $max, expected >= 100"
  $py -c "import sys; sys.exit(0 if float(sys.argv[2]) - float(sys.argv[1]) >= 1.0 else 1)" "$start" "$end" \
    && ok || fail "stall: the run took less than the 1 s stall"
else
  fail "stall: exit $?"
fi

# ---- 2. workers that leave -------------------------------------------------------------------
if timeout 60 "$asgd" run --preset fig4 --workers 2 --work none --replicas 2 --iters 2000 \
     --fault leave:1:5 --quiet --out "$tmp/leave1"; then
  s="$tmp/leave1/summary.json"
  accounting "$tmp/leave1" && ok || fail "leave one: accounting"
  [ "$(json_get "$s" "['workers_left']")" = "2" ] && ok || fail "leave one: workers_left $(json_get "$s" "['workers_left']"), expected 1 per replica"
  [ "$(json_get "$s" "['partial']")" = "False" ] && ok || fail "leave one: the run must complete"
  [ "$(json_get "$s" "['replicas']")" = "2" ] && ok || fail "leave one: both replicas complete"
else
  fail "leave one: exit $?"
fi
for mode in master master-inplace hogwild; do
  timeout 60 "$asgd" run --preset fig4 --mode "$mode" --workers 1 --work none --replicas 3 \
    --iters 2000 --fault leave:0:50 --quiet --out "$tmp/leaveall-$mode" 2>"$tmp/err"
  rc=$?
  s="$tmp/leaveall-$mode/summary.json"
  [ $rc -eq 1 ] && ok || fail "leave all ($mode): exit $rc, expected 1"
  grep -q "every worker left" "$tmp/err" && ok || fail "leave all ($mode): message: $(cat "$tmp/err")"
  if [ -s "$s" ]; then
    accounting "$tmp/leaveall-$mode" && ok || fail "leave all ($mode): accounting"
    [ "$(json_get "$s" "['partial']")" = "True" ] && [ "$(json_get "$s" "['starved']")" = "True" ] \
      && ok || fail "leave all ($mode): not marked partial and starved"
    [ "$(json_get "$s" "['accounting']['applied']")" = "49" ] && ok \
      || fail "leave all ($mode): applied $(json_get "$s" "['accounting']['applied']"), expected the 49 before the leave"
  else
    fail "leave all ($mode): no summary.json"
  fi
done
expect_usage "fault 'stall:0:5' is not allowed" run --fault stall:0:5
expect_usage "fault 'leave:0:0' is not allowed" run --fault leave:0:0
expect_usage "the fault strikes worker 4, but there are only 4" run --workers 4 --fault leave:4:1

# ---- 3. SIGINT and SIGTERM mid-run ------------------------------------------------------------
# signal_run NAME SIGNAL ARGS...: start, wait for the run to be under way, signal, expect 130 and
# a whole summary.json marked partial with its accounting intact.
signal_run() {
  local name=$1 sig=$2; shift 2
  "$asgd" "$@" --quiet --out "$tmp/$name" 2>/dev/null &
  local pid=$! waited=0
  while [ ! -d "$tmp/$name" ] && [ $waited -lt 100 ]; do sleep 0.05; waited=$((waited + 1)); done
  sleep 0.7
  kill -"$sig" $pid
  local t0=$SECONDS
  wait $pid
  local rc=$?
  [ $rc -eq 130 ] && ok || fail "$name: SIG$sig gave exit $rc, expected 130"
  [ $((SECONDS - t0)) -le 15 ] && ok || fail "$name: took $((SECONDS - t0)) s to stop"
  local s="$tmp/$name/summary.json"
  [ -f "$s" ] || s="$tmp/$name/real/summary.json"
  if [ -f "$s" ]; then
    [ "$(json_get "$s" "['partial']")" = "True" ] && ok || fail "$name: not marked partial"
    accounting "$(dirname "$s")" && ok || fail "$name: accounting"
  else
    fail "$name: no summary.json after SIG$sig"
  fi
  ls "$tmp/$name" | grep -q '\.tmp' && fail "$name: a temporary file was left" || ok
}
for mode in master master-inplace hogwild; do
  signal_run "int-$mode" INT run --preset fig4 --mode "$mode" --workers 3 --work exp:200us \
    --replicas 100000 --iters 1000
  signal_run "term-$mode" TERM run --preset fig4 --mode "$mode" --workers 3 --work exp:200us \
    --replicas 100000 --iters 1000
done
signal_run "term-data" TERM run --model hinge --data rcv1:n=5000,d=2000,nnz=30 --workers 3 \
  --work exp:100us --replicas 100000 --iters 1000
signal_run "term-validate" TERM validate --preset fig4 --workers 2 --work exp:200us \
  --replicas 100000 --iters 200 --paths 256

# ---- 4. a full disk on --out -----------------------------------------------------------------
mkdir -p "$tmp/full"
if mount -t tmpfs -o size=16k tmpfs "$tmp/full" 2>/dev/null; then
  echo "previous" >"$tmp/full/moments.csv"
  timeout 60 "$asgd" run --preset fig6 --workers 2 --work none --replicas 2 --iters 400 \
    --quiet --out "$tmp/full" 2>"$tmp/err"
  rc=$?
  [ $rc -eq 1 ] && ok || fail "full disk: exit $rc, expected 1"
  grep -qi "could not write" "$tmp/err" && ok || fail "full disk: message: $(cat "$tmp/err")"
  [ "$(cat "$tmp/full/moments.csv")" = "previous" ] && ok || fail "full disk: the old moments.csv was not kept whole"
  ls -a "$tmp/full" | grep -q '\.tmp' && fail "full disk: a temporary file was left: $(ls -a "$tmp/full")" || ok
  [ ! -e "$tmp/full/summary.json" ] && ok || fail "full disk: a summary.json was written"
  umount "$tmp/full"
else
  echo "faults: cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN); full-disk case skipped" >&2
fi

# ---- 5. allocation failure at every allocation of a small run ---------------------------------
if [ -n "$failmalloc" ]; then
  small=(run --preset fig4 --workers 2 --replicas 3 --iters 200 --work none --quiet)
  ASGD_FAILMALLOC_COUNT="$tmp/count" LD_PRELOAD="$failmalloc" "$asgd" "${small[@]}" --out "$tmp/fm0" \
    && ok || fail "failmalloc: the run without a failure"
  total=$(cat "$tmp/count" 2>/dev/null || echo 0)
  [ "$total" -gt 100 ] && ok || fail "failmalloc: only $total allocations counted"
  bad=0 survived=0 stopped=0
  for n in $(seq 1 "$total"); do
    rm -rf "$tmp/fm"
    ASGD_FAILMALLOC=$n LD_PRELOAD="$failmalloc" timeout 30 "$asgd" "${small[@]}" --out "$tmp/fm" \
      >/dev/null 2>"$tmp/err"
    rc=$?
    case $rc in
      0) survived=$((survived + 1)) ;;
      1) stopped=$((stopped + 1)) ;;
      *) bad=$((bad + 1)); echo "failmalloc: allocation $n: exit $rc: $(head -c 200 "$tmp/err")" >&2 ;;
    esac
    if [ -f "$tmp/fm/summary.json" ] && ! $py -c "import json,sys; json.load(open(sys.argv[1]))" "$tmp/fm/summary.json" 2>/dev/null; then
      bad=$((bad + 1)); echo "failmalloc: allocation $n: summary.json is not valid JSON" >&2
    fi
    if ls "$tmp/fm" 2>/dev/null | grep -q '\.tmp'; then
      bad=$((bad + 1)); echo "failmalloc: allocation $n: a temporary file was left" >&2
    fi
  done
  [ $bad -eq 0 ] && ok || fail "failmalloc: $bad of $total injected failures crashed, hung, said bad usage or left a broken file"
  echo "faults: $total allocation failures injected: $survived runs completed, $stopped stopped with exit 1, $bad bad" >&2
else
  echo "faults: no failmalloc library (sanitizer build); allocation failures skipped" >&2
fi

finish faults
