#!/usr/bin/env bash
# Is the command line's behaviour unchanged since REV? Builds REV (a git worktree) and the
# working tree, runs scripts/behaviour.py's command list with each, and compares the outputs
# (timings, the machine and floating-point differences below 1e-12 relative aside).
# usage: scripts/behaviour-check.sh REV [--rename OLD=NEW ...] [--skip GLOB ...]
#        (REV e.g. a commit or main~3; --skip '*-help' leaves out the --help texts)
# Exit 0 when nothing differs, 1 when something does (printed, one line each).
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: scripts/behaviour-check.sh REV [--rename OLD=NEW ...]}
shift
work=$(mktemp -d)
trap 'git worktree remove --force "$work/ref" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach "$work/ref" "$rev" >/dev/null
for tree in "$work/ref" "$PWD"; do
  b="$work/build-$(basename "$tree")"
  cmake -S "$tree" -B "$b" -DCMAKE_BUILD_TYPE=Release -DASGD_BUILD_TESTS=OFF -DASGD_BUILD_BENCH=OFF >/dev/null
  cmake --build "$b" -j"$(nproc)" --target asgd >/dev/null
done
# The command list is the working tree's, so that both sides run the same commands.
python3 scripts/behaviour.py snapshot "$work/build-ref/asgd" "$work/before" 2>/dev/null
python3 scripts/behaviour.py snapshot "$work/build-$(basename "$PWD")/asgd" "$work/after" 2>/dev/null
python3 scripts/behaviour.py compare "$work/before" "$work/after" "$@"
