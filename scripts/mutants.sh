#!/usr/bin/env bash
# Mutation testing: apply each known bug to a scratch copy and check that a test catches it.
# See scripts/mutants.py for the list and the method. usage: scripts/mutants.sh [--help]
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 scripts/mutants.py "$@"
