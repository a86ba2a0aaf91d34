#!/usr/bin/env bash
# Set up (if needed), build, and run the main job: `asgd validate` on the built-in default
# experiment (fig4, 4 workers, exponential work of mean 100 us, 1000 replicas of the real engine,
# every model with the fitted staleness) into out/validate, printing the verdict table.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
exec build/asgd validate "$@"
