# lib.sh — what the end-to-end scripts tests/cli*.sh share: a scratch directory removed on exit,
# pass/fail counts, expect_usage and json_get. Source it after setting $asgd (the binary under
# test); end the script with `finish NAME`, which prints the counts and sets the exit status.
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

# json_get FILE "['key'][0]": one value of a JSON file, as Python prints it.
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d'+sys.argv[2]))" "$@"; }

finish() {
  echo "$1: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
