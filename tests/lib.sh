# lib.sh — what the end-to-end scripts tests/cli*.sh share: a scratch directory removed on exit,
# pass/fail counts, expect_usage, json_get and wait_for_progress. Source it after setting $asgd
# (the binary under test); end the script with `finish NAME`, which prints the counts and sets
# the exit status.
# Bash only (sourced, not run).
set -uo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
# The command expect_usage runs; a script testing another program (plot.py) replaces it.
usage_cmd=("$asgd")

ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# expect_usage "what the message must contain" args...: exit 2 and the text on stderr.
expect_usage() {
  local want=$1; shift
  "${usage_cmd[@]}" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ $rc -ne 2 ]; then fail "${usage_cmd[*]##*/} $* exited $rc, expected 2"; return; fi
  if ! grep -qF -- "$want" "$tmp/err"; then
    fail "${usage_cmd[*]##*/} $*: stderr lacks '$want': $(cat "$tmp/err")"; return
  fi
  ok
}

# running PID: the process exists and has not exited (a zombie not yet waited for counts as
# exited). Reads /proc directly: this is polled every 20 ms.
running() {
  kill -0 "$1" 2>/dev/null || return 1
  local key state
  while read -r key state _; do
    if [ "$key" = State: ]; then [ "$state" != Z ]; return; fi
  done <"/proc/$1/status" 2>/dev/null
  return 0
}

# wait_for_progress PID FILE PATTERN [TIMEOUT_S]: before interrupting the background command PID,
# wait until FILE (its redirected stderr) has a line matching PATTERN (grep -E) — a progress line
# it prints only once it has got as far as the test's checks need (its signal handler in, and
# the work they look at done or under way). A fixed sleep instead fails on a loaded machine (the
# run has not got that far yet) and, worse, a SIGINT that arrives before the command has
# installed its handler is lost: a background job of a non-interactive shell starts with SIGINT
# ignored, and the run would go on to its end. Polls every 20 ms. Returns 0 on the line; 1,
# saying why on stderr, when PID exited first or TIMEOUT_S (default 300: sanitizer builds on a
# loaded machine are slow) passed — then it also kills PID (SIGKILL), so that the caller's
# `wait $pid` cannot hang on a run that ignores SIGINT.
wait_for_progress() {
  local pid=$1 file=$2 pattern=$3 timeout=${4:-300} start=$SECONDS
  while :; do
    grep -qE -- "$pattern" "$file" 2>/dev/null && return 0
    if ! running "$pid"; then
      # it may have printed the line just before exiting
      grep -qE -- "$pattern" "$file" 2>/dev/null && return 0
      echo "wait_for_progress: pid $pid exited before '$pattern' appeared in $file;" \
        "its last lines: $(tail -3 "$file" 2>/dev/null)" >&2
      return 1
    fi
    if [ $((SECONDS - start)) -ge "$timeout" ]; then
      echo "wait_for_progress: no '$pattern' in $file after ${timeout} s; killing pid $pid;" \
        "its last lines: $(tail -3 "$file" 2>/dev/null)" >&2
      kill -KILL "$pid" 2>/dev/null
      return 1
    fi
    sleep 0.02
  done
}

# json_get FILE "['key'][0]": one value of a JSON file, as Python prints it.
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d'+sys.argv[2]))" "$@"; }

# The MPI tests' environment (tests/mpi.sh, tests/mpi_data.sh), with $mpirun set: CI runs as
# root, which Open MPI refuses without these; a rank that dies must not take the others down
# with it (mpirun's default), or there would be nothing to notice. After a rank died, Open MPI
# 4.1's MPI_Finalize can wait for it for ever (its closing fence); asgd then exits without
# finishing MPI_Finalize (asgd_mpi_finalize_or_exit), which mpirun must accept as normal.
# mpi N ARGS...: mpirun -np N ARGS, oversubscribed, at most 120 s.
mpi_setup() {
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_orte_abort_on_non_zero_status=0 OMPI_MCA_rmaps_base_oversubscribe=1
  export OMPI_MCA_orte_allowed_exit_without_sync=1
  mpi() { timeout 120 "$mpirun" --oversubscribe -np "$@"; }
}

finish() {
  echo "$1: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
