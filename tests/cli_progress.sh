#!/usr/bin/env bash
# cli_progress.sh — the progress display end to end: --progress lines prints the documented
# "progress CMD I/N PHASE DONE/TOTAL Ss" lines, phase by phase, each reaching its total; none
# prints nothing; --quiet empties stdout and turns progress off unless --progress is given; a bad
# value exits 2; the bar (forced, or auto on a terminal under script(1)) redraws with \r and
# shows a percent, the elapsed time and the ETA.
# usage: tests/cli_progress.sh PATH/TO/asgd
asgd=${1:?usage: cli_progress.sh PATH/TO/asgd}
. "$(dirname "$0")/lib.sh"

small=(--replicas 4 --paths 8 --iters 50 --work none)
line_re='^progress [a-z]+ [0-9]+/[0-9]+ [^ ]+ [0-9]+/[0-9]+ [0-9]+\.[0-9]s$'

# check_lines FILE CMD COUNT PHASE... : every progress line of FILE is one of CMD's; the phases
# come in order, numbered 1..COUNT as listed (PHASE "I:NAME"), each with its counts never going
# down and its last line at its total.
check_lines() {
  python3 - "$@" <<'PY'
import re, sys
path, cmd, count, *want = sys.argv[1:]
rx = re.compile(r"^progress (\S+) (\d+)/(\d+) (\S+) (\d+)/(\d+) (\d+\.\d)s$")
seen = []  # [index, name, last done, total]
for ln in open(path).read().splitlines():
    if not ln.startswith("progress "):
        continue  # a warning (a busy machine, the realised work) may come between them
    m = rx.match(ln)
    if not m:
        sys.exit(f"not a progress line: {ln!r}")
    c, i, n, name, done, total = m[1], int(m[2]), int(m[3]), m[4], int(m[5]), int(m[6])
    if c != cmd or n != int(count):
        sys.exit(f"wrong command or phase count: {ln!r}")
    if seen and seen[-1][0] == i:
        if done < seen[-1][2]:
            sys.exit(f"count went down: {ln!r}")
        seen[-1][2] = done
    else:
        if seen and i < seen[-1][0]:
            sys.exit(f"phase {i} after phase {seen[-1][0]}")
        seen.append([i, name, done, total])
got = [f"{i}:{name}" for i, name, _, _ in seen]
if got != want:
    sys.exit(f"phases {got}, expected {want}")
for i, name, done, total in seen:
    if done != total:
        sys.exit(f"phase {i} {name} ended at {done}/{total}")
PY
}

# ---- lines: validate's seven phases --------------------------------------------------------
validate_phases=(1:real 2:sme-asgd 3:sme-sgd 4:asgd-geometric 5:asgd-measured-pmf
  6:asgd-mixture-pmf 7:sme-asgd-mixture)
if "$asgd" validate "${small[@]}" --progress lines --out "$tmp/v" >"$tmp/v.out" 2>"$tmp/v.err"; then
  ok
  check_lines "$tmp/v.err" validate 7 "${validate_phases[@]}" && ok || fail "validate lines"
  grep -q "^progress validate 1/7 real 4/4 " "$tmp/v.err" && ok || fail "real run's last count"
  [ -s "$tmp/v.out" ] && ok || fail "validate --progress lines: stdout empty"
else
  fail "validate --progress lines exited $?: $(tail -3 "$tmp/v.err")"
fi

# auto off a terminal is lines
if "$asgd" validate "${small[@]}" --out "$tmp/va" >/dev/null 2>"$tmp/va.err"; then
  check_lines "$tmp/va.err" validate 7 "${validate_phases[@]}" && ok || fail "auto off a terminal"
else
  fail "validate (auto) exited $?"
fi

# ---- none, --quiet and which wins ------------------------------------------------------------
"$asgd" validate "${small[@]}" --progress none --out "$tmp/n" >"$tmp/n.out" 2>"$tmp/n.err" && ok ||
  fail "validate --progress none exited $?"
[ ! -s "$tmp/n.err" ] && ok || fail "--progress none printed on stderr: $(head -3 "$tmp/n.err")"
[ -s "$tmp/n.out" ] && ok || fail "--progress none emptied stdout"

"$asgd" validate "${small[@]}" --quiet --out "$tmp/q" >"$tmp/q.out" 2>"$tmp/q.err" && ok ||
  fail "validate --quiet exited $?"
[ ! -s "$tmp/q.out" ] && [ ! -s "$tmp/q.err" ] && ok || fail "--quiet printed something"

"$asgd" validate "${small[@]}" --quiet --progress lines --out "$tmp/ql" >"$tmp/ql.out" \
  2>"$tmp/ql.err" && ok || fail "validate --quiet --progress lines exited $?"
[ ! -s "$tmp/ql.out" ] && ok || fail "--quiet --progress lines printed on stdout"
check_lines "$tmp/ql.err" validate 7 "${validate_phases[@]}" && ok ||
  fail "--quiet --progress lines: no progress lines"

# ---- bad values: exit 2, naming the value and what is allowed --------------------------------
for cmd in validate run compare order simulate sme sweep advise batch; do
  expect_usage "--progress 'sometimes' is not allowed: expected auto, bar, lines or none" \
    $cmd --progress sometimes
done
expect_usage "--progress" validate --progress
# fit has no long phase: no --progress
"$asgd" fit --help | grep -q -- "--progress" && fail "fit --help lists --progress" || ok

# ---- the other commands' phases ---------------------------------------------------------------
"$asgd" run --replicas 3 --iters 50 --work none --progress lines --out "$tmp/r" >/dev/null \
  2>"$tmp/r.err" && check_lines "$tmp/r.err" run 1 1:replicas && ok || fail "run lines"
"$asgd" compare --paths 16 --iters 50 --progress lines --out "$tmp/c" >/dev/null \
  2>"$tmp/c.err" && check_lines "$tmp/c.err" compare 3 1:asgd 2:sme-asgd 3:sme-sgd && ok ||
  fail "compare lines"
"$asgd" simulate --paths 16 --iters 50 --progress lines --out "$tmp/s" >/dev/null \
  2>"$tmp/s.err" && check_lines "$tmp/s.err" simulate 1 1:paths && ok || fail "simulate lines"
"$asgd" sweep --workers 1,2 --replicas 2 --iters 50 --paths 8 --work none --progress lines \
  --out "$tmp/w" >/dev/null 2>"$tmp/w.err" && ok || fail "sweep exited $?"
grep '^progress ' "$tmp/w.err" >"$tmp/w.lines"
check_lines "$tmp/w.lines" sweep 6 1:M1:real 2:M1:msgd 3:M1:asgd 4:M2:real 5:M2:msgd 6:M2:asgd &&
  ok || fail "sweep lines"
grep -q '^sweep: M = 2 (2 of 2)$' "$tmp/w.err" && ok || fail "sweep's note on M"

# ---- the bar ----------------------------------------------------------------------------------
# check_bar FILE: \r-redrawn text whose every phase starts at "ETA --" (its rate not yet known)
# and ends at 100% with "ETA 0 s", with validate's phases in order.
check_bar() {
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace", newline="").read()
if "\r" not in text:
    sys.exit("no \\r in the bar's output")
draws = [d for d in re.split(r"[\r\n]+", text) if d.startswith("validate ")]
rx = re.compile(r"^validate (\d)/7: (\S+)  \[[#-]{20}\] +(\d+)%  \d+\.\d s  ETA (.*?)(\x1b\[K)?$")
phases = {}
for d in draws:
    m = rx.match(d)
    if not m:
        sys.exit(f"not a bar: {d!r}")
    phases.setdefault(int(m[1]), []).append((int(m[3]), m[4]))
if sorted(phases) != list(range(1, 8)):
    sys.exit(f"phases {sorted(phases)}")
for i, p in phases.items():
    if p[0][1] != "--":
        sys.exit(f"phase {i} starts with ETA {p[0][1]!r}")
    if p[-1] != (100, "0 s"):
        sys.exit(f"phase {i} ends at {p[-1]}")
PY
}

# forced off a terminal
"$asgd" validate "${small[@]}" --progress bar --out "$tmp/b" >/dev/null 2>"$tmp/b.err" && ok ||
  fail "validate --progress bar exited $?"
check_bar "$tmp/b.err" && ok || fail "--progress bar off a terminal"

# auto on a terminal (script(1) gives one); skipped without script
if command -v script >/dev/null 2>&1 && script -qec true /dev/null >/dev/null 2>&1; then
  script -qec "'$asgd' validate ${small[*]} --out '$tmp/t' >/dev/null" /dev/null \
    >"$tmp/t.tty" 2>&1 </dev/null && ok || fail "validate under script exited $?"
  tr -d '\000' <"$tmp/t.tty" >"$tmp/t.txt"
  check_bar "$tmp/t.txt" && ok || fail "auto on a terminal is not the bar"
  script -qec "'$asgd' validate ${small[*]} --progress lines --out '$tmp/tl' >/dev/null" \
    /dev/null >"$tmp/tl.tty" 2>&1 </dev/null
  tr -d '\r' <"$tmp/tl.tty" >"$tmp/tl.txt"
  check_lines "$tmp/tl.txt" validate 7 "${validate_phases[@]}" && ok ||
    fail "--progress lines on a terminal"
else
  echo "cli_progress: no script(1): the terminal checks are skipped"
fi

finish cli_progress
