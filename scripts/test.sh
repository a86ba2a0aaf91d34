#!/usr/bin/env bash
# Set up (if needed), build, and run the whole test suite with ctest.
# Usage: scripts/test.sh [BUILD_DIR] [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
scripts/setup.sh "$build" "$@"
cd "$build"
ctest --output-on-failure
